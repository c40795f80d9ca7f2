"""Work dossiers: the dossier plan, dossiers, their documents and history

Revision ID: 0004_dossiers
Revises: 0003_outgoing
Create Date: 2026-11-27 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_dossiers'
down_revision = '0003_outgoing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dossier_plan_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('heading', sa.String(length=200), nullable=True),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('retention_id', sa.Integer(), nullable=False),
        sa.Column('creator_department_id', sa.Integer(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['creator_department_id'], ['department.id'],
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['retention_id'], ['retention_period.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('year', 'code', name='uq_dossier_plan_code'),
    )
    op.create_index(op.f('ix_dossier_plan_item_year'), 'dossier_plan_item', ['year'],
                    unique=False)

    op.create_table(
        'dossier',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('field_id', sa.Integer(), nullable=True),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('retention_id', sa.Integer(), nullable=False),
        sa.Column('plan_item_id', sa.Integer(), nullable=True),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('deadline', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('search_text', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('handed_over_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['field_id'], ['field.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['plan_item_id'], ['dossier_plan_item.id'],
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['retention_id'], ['retention_period.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('year', 'code', name='uq_dossier_code'),
    )
    for column in ('deadline', 'department_id', 'field_id', 'owner_id', 'plan_item_id',
                   'status', 'year'):
        op.create_index(op.f(f'ix_dossier_{column}'), 'dossier', [column], unique=False)

    op.create_table(
        'dossier_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('from_status', sa.String(length=12), nullable=True),
        sa.Column('to_status', sa.String(length=12), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_dossier_event_dossier_id'), 'dossier_event', ['dossier_id'],
                    unique=False)

    op.create_table(
        'dossier_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('incoming_id', sa.Integer(), nullable=True),
        sa.Column('outgoing_id', sa.Integer(), nullable=True),
        sa.Column('draft_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('sheets', sa.String(length=30), nullable=True),
        sa.Column('notes', sa.String(length=500), nullable=True),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(CASE WHEN incoming_id IS NULL THEN 0 ELSE 1 END)'
                           ' + (CASE WHEN outgoing_id IS NULL THEN 0 ELSE 1 END)'
                           ' + (CASE WHEN draft_id IS NULL THEN 0 ELSE 1 END) = 1',
                           name='ck_dossier_item_one_document'),
        sa.ForeignKeyConstraint(['added_by_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['draft_id'], ['draft.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['incoming_id'], ['incoming_document.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['outgoing_id'], ['outgoing_document.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dossier_id', 'draft_id', name='uq_dossier_item_draft'),
        sa.UniqueConstraint('dossier_id', 'incoming_id', name='uq_dossier_item_incoming'),
        sa.UniqueConstraint('dossier_id', 'outgoing_id', name='uq_dossier_item_outgoing'),
    )
    for column in ('dossier_id', 'draft_id', 'incoming_id', 'outgoing_id'):
        op.create_index(op.f(f'ix_dossier_item_{column}'), 'dossier_item', [column],
                        unique=False)


def downgrade():
    for column in ('outgoing_id', 'incoming_id', 'draft_id', 'dossier_id'):
        op.drop_index(op.f(f'ix_dossier_item_{column}'), table_name='dossier_item')
    op.drop_table('dossier_item')
    op.drop_index(op.f('ix_dossier_event_dossier_id'), table_name='dossier_event')
    op.drop_table('dossier_event')
    for column in ('year', 'status', 'plan_item_id', 'owner_id', 'field_id', 'department_id',
                   'deadline'):
        op.drop_index(op.f(f'ix_dossier_{column}'), table_name='dossier')
    op.drop_table('dossier')
    op.drop_index(op.f('ix_dossier_plan_item_year'), table_name='dossier_plan_item')
    op.drop_table('dossier_plan_item')
