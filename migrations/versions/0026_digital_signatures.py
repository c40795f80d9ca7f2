"""Ký số: the trust anchors and personal certificates (app.security.certificates), each PDF's
signature check on its file record, the signer's digital signature of a draft and the
electronic issuance of an outgoing document. Plain ADD COLUMN (no table rebuild on SQLite).

Revision ID: 0026_digital_signatures
Revises: 0025_exchange_real_world
Create Date: 2026-12-03 16:45:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_digital_signatures'
down_revision = '0025_exchange_real_world'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'trust_anchor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=1000), nullable=False),
        sa.Column('issuer', sa.String(length=1000), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('der', sa.LargeBinary(), nullable=False),
        sa.Column('is_root', sa.Boolean(), nullable=False),
        sa.Column('not_before', sa.DateTime(), nullable=False),
        sa.Column('not_after', sa.DateTime(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['added_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sha256'),
    )
    op.create_table(
        'personal_certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=1000), nullable=False),
        sa.Column('common_name', sa.String(length=255), nullable=False),
        sa.Column('issuer', sa.String(length=1000), nullable=False),
        sa.Column('serial', sa.String(length=80), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('der', sa.LargeBinary(), nullable=False),
        sa.Column('not_before', sa.DateTime(), nullable=False),
        sa.Column('not_after', sa.DateTime(), nullable=False),
        sa.Column('confirmed', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('csc_credential_id', sa.String(length=255), nullable=True),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['added_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sha256'),
    )
    op.create_index('ix_personal_certificate_user_id', 'personal_certificate', ['user_id'])

    op.create_table(
        'electronic_copy_counter',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year'),
    )
    op.create_table(
        'electronic_copy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('number_symbol', sa.String(length=60), nullable=False),
        sa.Column('form', sa.String(length=20), nullable=False),
        sa.Column('original', sa.Text(), nullable=False),
        sa.Column('incoming_id', sa.Integer(), nullable=True),
        sa.Column('recipients', sa.Text(), nullable=True),
        sa.Column('source_file_id', sa.Integer(), nullable=False),
        sa.Column('copy_file_id', sa.Integer(), nullable=False),
        sa.Column('made_by_id', sa.Integer(), nullable=False),
        sa.Column('made_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['incoming_id'], ['incoming_document.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['source_file_id'], ['document_file.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['copy_file_id'], ['document_file.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['made_by_id'], ['ab_user.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('year', 'number', name='uq_electronic_copy_number'),
    )
    op.create_index('ix_electronic_copy_incoming_id', 'electronic_copy', ['incoming_id'])

    op.add_column('document_file', sa.Column('signature_state', sa.String(length=10)))
    op.add_column('document_file', sa.Column('signature_report', sa.Text()))
    op.add_column('document_file', sa.Column('signature_checked_at', sa.DateTime()))
    op.create_index('ix_document_file_signature_state', 'document_file', ['signature_state'])

    # References are NO ACTION, added inline on SQLite (see 0023_office_check).
    for column, table, name in (('signed_file_id', 'document_file', 'fk_draft_signed_file'),
                                ('signed_by_id', 'ab_user', 'fk_draft_signed_by')):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f"ALTER TABLE draft ADD COLUMN {column} INTEGER REFERENCES {table} (id)")
        else:
            op.add_column('draft', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(name, 'draft', table, [column], ['id'])
    op.add_column('draft', sa.Column('signed_version', sa.Integer()))
    op.add_column('draft', sa.Column('signed_at', sa.DateTime()))
    op.add_column('draft', sa.Column('signing_method', sa.String(length=10)))
    op.add_column('outgoing_document', sa.Column('electronic', sa.Boolean(), nullable=False,
                                                 server_default=sa.false()))


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_draft_signed_by', 'draft', type_='foreignkey')
        op.drop_constraint('fk_draft_signed_file', 'draft', type_='foreignkey')
    with op.batch_alter_table('outgoing_document') as batch:
        batch.drop_column('electronic')
    with op.batch_alter_table('draft') as batch:
        for name in ('signing_method', 'signed_at', 'signed_by_id', 'signed_version',
                     'signed_file_id'):
            batch.drop_column(name)
    op.drop_index('ix_document_file_signature_state', 'document_file')
    with op.batch_alter_table('document_file') as batch:
        for name in ('signature_checked_at', 'signature_report', 'signature_state'):
            batch.drop_column(name)
    op.drop_index('ix_electronic_copy_incoming_id', 'electronic_copy')
    op.drop_table('electronic_copy')
    op.drop_table('electronic_copy_counter')
    op.drop_index('ix_personal_certificate_user_id', 'personal_certificate')
    op.drop_table('personal_certificate')
    op.drop_table('trust_anchor')
