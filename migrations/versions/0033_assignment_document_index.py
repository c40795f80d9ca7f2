"""The assignment's document index carries the line's unit and person: whether a scoped reader
(an officer, a unit leader) sees a document through its lines — theirs, or their unit's — is
answered from the index alone, not from each line's row (issue 15, the overdue page's first
look: a unit leader's visibility tested on the 40,000 documents being processed, 153,000
buffer reads).

Revision ID: 0033_assignment_document_index
Revises: 0032_open_lines_index
Create Date: 2026-12-06 16:00:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0033_assignment_document_index'
down_revision = '0032_open_lines_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_incoming_assignment_document', 'incoming_assignment',
                    ['document_id', 'department_id', 'user_id'])
    op.drop_index('ix_incoming_assignment_document_id', 'incoming_assignment')


def downgrade():
    op.create_index('ix_incoming_assignment_document_id', 'incoming_assignment',
                    ['document_id'])
    op.drop_index('ix_incoming_assignment_document', 'incoming_assignment')
