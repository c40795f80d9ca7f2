"""An index on the sub-assignment's parent (incoming_assignment.parent_id): the overdue rule
looks for a late sub-line of each late line (documents.deadlines), and the cascade of a
deleted line looks for its children; without it each was a scan of every line of a decade
(1.3 million at the bench's scale: the officer's overdue page took minutes). And the
outgoing grid's order (issued_at, id): without it every page sorted 300,000 rows.

Revision ID: 0028_assignment_parent_index
Revises: 0027_ocr
Create Date: 2026-12-04 16:45:00
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0028_assignment_parent_index'
down_revision = '0027_ocr'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_incoming_assignment_parent_id', 'incoming_assignment', ['parent_id'])
    op.create_index('ix_outgoing_document_issued_at', 'outgoing_document', ['issued_at', 'id'])


def downgrade():
    op.drop_index('ix_outgoing_document_issued_at', 'outgoing_document')
    op.drop_index('ix_incoming_assignment_parent_id', 'incoming_assignment')
