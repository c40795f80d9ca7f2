"""Nhận dạng chữ (OCR) of scanned files: each file record's OCR state, the OCR'd copy with a
text layer stored beside the untouched original, the reason of a failure and when it was done.
Plain ADD COLUMN (no table rebuild on SQLite).

Revision ID: 0027_ocr
Revises: 0026_digital_signatures
Create Date: 2026-12-04 15:40:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_ocr'
down_revision = '0026_digital_signatures'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('document_file', sa.Column('ocr_state', sa.String(length=10)))
    op.add_column('document_file', sa.Column('ocr_storage_name', sa.String(length=80)))
    op.add_column('document_file', sa.Column('ocr_message', sa.Text()))
    op.add_column('document_file', sa.Column('ocr_at', sa.DateTime()))
    op.create_index('ix_document_file_ocr_state', 'document_file', ['ocr_state'])


def downgrade():
    op.drop_index('ix_document_file_ocr_state', 'document_file')
    with op.batch_alter_table('document_file') as batch:
        for name in ('ocr_at', 'ocr_message', 'ocr_storage_name', 'ocr_state'):
            batch.drop_column(name)
