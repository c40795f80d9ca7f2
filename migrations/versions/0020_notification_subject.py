"""Notices about a subject ("incoming:12", "draft:7") are done when the person acts on it;
urgent ones are mailed at once, the others in the daily digest

Revision ID: 0020_notification_subject
Revises: 0019_audit_search
Create Date: 2026-12-03 09:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_notification_subject'
down_revision = '0019_audit_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification') as batch:
        batch.add_column(sa.Column('subject', sa.String(length=60), nullable=True))
        batch.add_column(sa.Column('done_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('urgent', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('emailed_at', sa.DateTime(), nullable=True))
        batch.create_index('ix_notification_user_subject', ['user_id', 'subject', 'done_at'])


def downgrade():
    with op.batch_alter_table('notification') as batch:
        batch.drop_index('ix_notification_user_subject')
        batch.drop_column('emailed_at')
        batch.drop_column('urgent')
        batch.drop_column('done_at')
        batch.drop_column('subject')
