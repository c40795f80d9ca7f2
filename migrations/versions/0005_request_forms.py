"""Request forms (phiếu yêu cầu): the forms, their files and their history

Revision ID: 0005_request_forms
Revises: 0004_dossiers
Create Date: 2026-11-27 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_request_forms'
down_revision = '0004_dossiers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'request_form',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('sender_department_id', sa.Integer(), nullable=False),
        sa.Column('target_department_id', sa.Integer(), nullable=True),
        sa.Column('target_user_id', sa.Integer(), nullable=True),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('dossier_id', sa.Integer(), nullable=True),
        sa.Column('result_note', sa.Text(), nullable=True),
        sa.Column('refusal_reason', sa.Text(), nullable=True),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(target_department_id IS NULL) <> (target_user_id IS NULL)',
                           name='ck_request_form_one_target'),
        sa.ForeignKeyConstraint(['assignee_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['sender_department_id'], ['department.id'],
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['sender_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['target_department_id'], ['department.id'],
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['target_user_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('request_form', schema=None) as batch_op:
        for column in ('assignee_id', 'deadline', 'dossier_id', 'sender_department_id',
                       'sender_id', 'sent_at', 'state', 'target_department_id',
                       'target_user_id'):
            batch_op.create_index(batch_op.f(f'ix_request_form_{column}'), [column],
                                  unique=False)

    op.create_table(
        'request_form_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('from_state', sa.String(length=12), nullable=True),
        sa.Column('to_state', sa.String(length=12), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['request_id'], ['request_form.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('request_form_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_form_event_request_id'), ['request_id'],
                              unique=False)

    op.create_table(
        'request_form_file',
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['file_id'], ['document_file.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['request_id'], ['request_form.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('request_id', 'file_id'),
    )


def downgrade():
    op.drop_table('request_form_file')
    with op.batch_alter_table('request_form_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_form_event_request_id'))
    op.drop_table('request_form_event')
    with op.batch_alter_table('request_form', schema=None) as batch_op:
        for column in ('assignee_id', 'deadline', 'dossier_id', 'sender_department_id',
                       'sender_id', 'sent_at', 'state', 'target_department_id',
                       'target_user_id'):
            batch_op.drop_index(batch_op.f(f'ix_request_form_{column}'))
    op.drop_table('request_form')
