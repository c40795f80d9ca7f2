"""Statistics at a decade of documents: the work completed in a period is read through an
index on incoming_assignment.completed_at (the leaders' "officers' activity" figure scanned
every line otherwise)

Revision ID: 0015_completed_index
Revises: 0014_routing_backfill
Create Date: 2026-11-27 21:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015_completed_index'
down_revision = '0014_routing_backfill'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_incoming_assignment_completed_at', 'incoming_assignment',
                    ['completed_at'], unique=False)


def downgrade():
    op.drop_index('ix_incoming_assignment_completed_at', table_name='incoming_assignment')
