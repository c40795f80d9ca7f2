"""The drafts' grid walks its order (newest change first) from an index instead of sorting
every visible draft: a decade holds one draft per outgoing document, 300,000 in the bench
data, and the clerk's grid took 353 ms on PostgreSQL (issue 15, thirteenth round).

Revision ID: 0034_draft_updated_at_index
Revises: 0033_assignment_document_index
Create Date: 2026-12-06 23:05:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034_draft_updated_at_index'
down_revision = '0033_assignment_document_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_draft_updated_at', 'draft', ['updated_at', 'id'])


def downgrade():
    op.drop_index('ix_draft_updated_at', 'draft')
