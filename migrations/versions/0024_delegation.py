"""Delegation (ủy quyền): a leader away delegates their inbox and signing to a deputy for a
period; what the deputy approves and signs under it is marked on the draft and the issued
document

Plain ALTER TABLE ADD COLUMN on SQLite, not a batch: a batch rebuilds outgoing_document and so
drops the triggers that keep its full-text index (0013_search) in step. The downgrade rebuilds
the table and puts the triggers back.

Revision ID: 0024_delegation
Revises: 0023_office_check
Create Date: 2026-12-03 10:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_delegation'
down_revision = '0023_office_check'
branch_labels = None
depends_on = None

FTS = "outgoing_document_fts"
TRIGGERS = [  # as 0013_search made them
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON outgoing_document BEGIN "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON outgoing_document BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) "
    f"VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF search_text ON outgoing_document BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) "
    f"VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
]


def _reference(table, column, name):
    """A nullable column referencing delegation (ALTER … ADD COLUMN … REFERENCES on SQLite)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   "REFERENCES delegation (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, 'delegation', [column], ['id'])


# The new references are NO ACTION (the default), not RESTRICT: SQLite can only add a column
# with an inline REFERENCES clause, whose ON DELETE its reflection cannot read back, and a
# table rebuild would run under enforced foreign keys. Both refuse deleting a referenced row.

def upgrade():
    op.create_table(
        'delegation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('from_user_id', sa.Integer(), nullable=False),
        sa.Column('to_user_id', sa.Integer(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('inbox', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('sign', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('signing_form', sa.String(length=5), nullable=False, server_default=''),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['from_user_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['to_user_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.CheckConstraint('end_date >= start_date', name='ck_delegation_period'),
        sa.CheckConstraint('from_user_id <> to_user_id', name='ck_delegation_not_self'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_delegation_to_period', 'delegation',
                    ['to_user_id', 'start_date', 'end_date'])
    op.create_index('ix_delegation_from_period', 'delegation',
                    ['from_user_id', 'start_date', 'end_date'])
    _reference('draft', 'approved_delegation_id', 'fk_draft_approved_delegation')
    _reference('outgoing_document', 'delegation_id', 'fk_outgoing_delegation')
    op.add_column('outgoing_document', sa.Column('signed_for', sa.String(length=100),
                                                 nullable=True))
    op.add_column('outgoing_document', sa.Column('signed_for_name', sa.String(length=100),
                                                 nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{event}")
        with op.batch_alter_table('outgoing_document') as batch:
            batch.drop_column('signed_for_name')
            batch.drop_column('signed_for')
            batch.drop_column('delegation_id')
        for statement in TRIGGERS:
            op.execute(statement)
        with op.batch_alter_table('draft') as batch:
            batch.drop_column('approved_delegation_id')
    else:
        op.drop_constraint('fk_outgoing_delegation', 'outgoing_document', type_='foreignkey')
        op.drop_column('outgoing_document', 'signed_for_name')
        op.drop_column('outgoing_document', 'signed_for')
        op.drop_column('outgoing_document', 'delegation_id')
        op.drop_constraint('fk_draft_approved_delegation', 'draft', type_='foreignkey')
        op.drop_column('draft', 'approved_delegation_id')
    op.drop_index('ix_delegation_from_period', table_name='delegation')
    op.drop_index('ix_delegation_to_period', table_name='delegation')
    op.drop_table('delegation')
