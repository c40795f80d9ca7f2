"""The office leader's check of a draft (Art. 7.1d): who marked it checked, when, and which
version was checked (a new upload clears it)

Plain ALTER TABLE ADD COLUMN on SQLite (a column referencing ab_user), not a batch that would
rebuild the draft table.

Revision ID: 0023_office_check
Revises: 0022_routing
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_office_check'
down_revision = '0022_routing'
branch_labels = None
depends_on = None


# The new references are NO ACTION (the default), not RESTRICT: SQLite can only add a column
# with an inline REFERENCES clause, whose ON DELETE its reflection cannot read back, and a
# table rebuild would run under enforced foreign keys. Both refuse deleting a referenced row.

def upgrade():
    op.add_column('draft', sa.Column('checked_at', sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE draft ADD COLUMN checked_by_id INTEGER "
                   "REFERENCES ab_user (id)")
    else:
        op.add_column('draft', sa.Column('checked_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_draft_checked_by', 'draft', 'ab_user', ['checked_by_id'],
                              ['id'])
    op.add_column('draft', sa.Column('checked_version', sa.Integer(), nullable=True))
    op.create_index('ix_draft_checked_at', 'draft', ['checked_at'])


def downgrade():
    op.drop_index('ix_draft_checked_at', table_name='draft')
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('draft') as batch:
            batch.drop_column('checked_version')
            batch.drop_column('checked_by_id')
            batch.drop_column('checked_at')
    else:
        op.drop_constraint('fk_draft_checked_by', 'draft', type_='foreignkey')
        op.drop_column('draft', 'checked_version')
        op.drop_column('draft', 'checked_by_id')
        op.drop_column('draft', 'checked_at')
