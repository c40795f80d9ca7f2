"""Notices by email: each person's settings (daily digest, urgent mail, both on until they opt
out) and the deadline reminders already given (never twice for the same work and kind)

Revision ID: 0021_notification_mail
Revises: 0020_notification_subject
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_notification_mail'
down_revision = '0020_notification_subject'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_mail',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('urgent', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('last_digest_on', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_table(
        'notification_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('ref', sa.String(length=80), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'ref', 'user_id', name='uq_notification_reminder'),
    )
    op.create_index('ix_notification_reminder_user_id', 'notification_reminder', ['user_id'])


def downgrade():
    op.drop_index('ix_notification_reminder_user_id', table_name='notification_reminder')
    op.drop_table('notification_reminder')
    op.drop_table('notification_mail')
