"""Indexes found missing by the walk of every page at a decade of documents:
- the incoming document's (state, deadline): the documents waiting for a direction or to be
  presented past their deadline (the overdue page, the dashboard's headline, the reports) were
  found through the deadline alone — most of a decade's documents have a deadline in the past,
  so SQLite read a million rows to find 2,400 (1 s a statement at the bench's scale; 20 ms);
- the assignment's (department_id, state, user_id), in place of department_id alone: a unit's
  open lines not given to a person (its leader's inbox badge and overdue count) were found
  among all the unit's lines of a decade (180,000 at the bench's scale);
- the draft's reply_to_id: the incoming document's page lists the drafts and documents that
  answer it, a scan of every draft (40 ms of each document page at the bench's scale).

Revision ID: 0029_waiting_deadline_index
Revises: 0028_assignment_parent_index
Create Date: 2026-12-04 18:50:00
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0029_waiting_deadline_index'
down_revision = '0028_assignment_parent_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_incoming_document_state_deadline', 'incoming_document',
                    ['state', 'deadline'])
    op.create_index('ix_incoming_assignment_unit', 'incoming_assignment',
                    ['department_id', 'state', 'user_id'])
    op.drop_index('ix_incoming_assignment_department_id', 'incoming_assignment')
    op.create_index('ix_draft_reply_to_id', 'draft', ['reply_to_id'])


def downgrade():
    op.drop_index('ix_draft_reply_to_id', 'draft')
    op.create_index('ix_incoming_assignment_department_id', 'incoming_assignment',
                    ['department_id'])
    op.drop_index('ix_incoming_assignment_unit', 'incoming_assignment')
    op.drop_index('ix_incoming_document_state_deadline', 'incoming_document')
