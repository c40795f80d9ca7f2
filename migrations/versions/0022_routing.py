"""Routing as agencies do it: the leader a document is presented to, and the instruction
(ý kiến chỉ đạo) of each assignment line

Plain ALTER TABLE ADD COLUMN, not a batch: on SQLite a batch rebuilds incoming_document and
so drops the triggers that keep its full-text index (0013_search) in step. The downgrade
rebuilds the table (SQLite cannot drop a referencing column) and puts the triggers back.

Revision ID: 0022_routing
Revises: 0021_notification_mail
Create Date: 2026-12-03 09:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_routing'
down_revision = '0021_notification_mail'
branch_labels = None
depends_on = None

FTS = "incoming_document_fts"
TRIGGERS = [  # as 0013_search made them
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON incoming_document BEGIN "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON incoming_document BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) "
    f"VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF search_text ON incoming_document BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) "
    f"VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
]


# The new references are NO ACTION (the default), not RESTRICT: SQLite can only add a column
# with an inline REFERENCES clause, whose ON DELETE its reflection cannot read back, and a
# table rebuild would run under enforced foreign keys. Both refuse deleting a referenced row.

def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE incoming_document ADD COLUMN submitted_to_id INTEGER "
                   "REFERENCES ab_user (id)")
    else:
        op.add_column('incoming_document',
                      sa.Column('submitted_to_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_incoming_document_submitted_to', 'incoming_document',
                              'ab_user', ['submitted_to_id'], ['id'])
    op.create_index('ix_incoming_document_submitted_to_id', 'incoming_document',
                    ['submitted_to_id'])
    op.add_column('incoming_assignment', sa.Column('instruction', sa.Text(), nullable=True))


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('incoming_assignment') as batch:
        batch.drop_column('instruction')
    op.drop_index('ix_incoming_document_submitted_to_id', table_name='incoming_document')
    if sqlite:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{event}")
        with op.batch_alter_table('incoming_document') as batch:
            batch.drop_column('submitted_to_id')
        for statement in TRIGGERS:
            op.execute(statement)
    else:
        op.drop_constraint('fk_incoming_document_submitted_to', 'incoming_document',
                           type_='foreignkey')
        op.drop_column('incoming_document', 'submitted_to_id')
