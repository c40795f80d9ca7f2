"""Sessions kept on the server (login_session): logout and "Báo lộ mật khẩu" end a copied
cookie too

Revision ID: 0016_login_sessions
Revises: 0015_completed_index
Create Date: 2026-12-02 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_login_sessions'
down_revision = '0015_completed_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_session',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('user_agent', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_session_user', 'login_session', ['user_id', 'ended_at'])


def downgrade():
    op.drop_index('ix_login_session_user', table_name='login_session')
    op.drop_table('login_session')
