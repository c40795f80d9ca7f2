"""The dashboard's month stamps (app.stats.stamps): a version per (kind, month), raised by each
transaction that changes that month's documents, lines, drafts or dossiers. An empty table is
right for existing data (every month at version 0: nothing counted yet).

Revision ID: 0031_stats_stamp
Revises: 0030_search_vector
Create Date: 2026-12-05 22:30:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031_stats_stamp'
down_revision = '0030_search_vector'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stats_stamp',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'month'),
    )


def downgrade():
    op.drop_table('stats_stamp')
