"""Nhập bù (Art. 5.4) for routing steps: an assignment line and a history event done during an
outage keep their real time (assigned_at, completed_at, at) and say when they were typed in
and why; all nullable, empty for steps entered live

Revision ID: 0014_routing_backfill
Revises: 0013_search
Create Date: 2026-11-27 20:30:49.859791

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_routing_backfill'
down_revision = '0013_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incoming_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('backfill_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('completed_entered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('completed_backfill_reason', sa.String(length=500),
                                      nullable=True))

    with op.batch_alter_table('incoming_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('backfill_reason', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('incoming_event', schema=None) as batch_op:
        batch_op.drop_column('backfill_reason')
        batch_op.drop_column('entered_at')

    with op.batch_alter_table('incoming_assignment', schema=None) as batch_op:
        batch_op.drop_column('completed_backfill_reason')
        batch_op.drop_column('completed_entered_at')
        batch_op.drop_column('backfill_reason')
        batch_op.drop_column('entered_at')
