"""Where the clerk put the arrival stamp ("ĐẾN") on an incoming PDF: mm from the left and from
the top of its first page as displayed; empty while the application chooses (a blank space,
else ARRIVAL_STAMP_POSITION)

Revision ID: 0018_stamp_position
Revises: 0017_audit_chain
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_stamp_position'
down_revision = '0017_audit_chain'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('document_file', sa.Column('stamp_left_mm', sa.Float(), nullable=True))
    op.add_column('document_file', sa.Column('stamp_top_mm', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('document_file', schema=None) as batch_op:
        batch_op.drop_column('stamp_top_mm')
        batch_op.drop_column('stamp_left_mm')
