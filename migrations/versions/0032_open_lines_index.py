"""Indexes of the open work (issue 15, the overdue page at a decade of documents):
- the open lines (partial: state 'open'), with what the overdue work reads of each (document,
  role, deadline, holder, unit, id): the overdue page, its groups and the dashboard's overdue
  figure found the agency's 65,000 open lines among a decade's 1.6 million (PostgreSQL read
  the whole table; SQLite each document's lines);
- the open lines passed on to a person (partial, by parent): whether a unit's line shows
  through the officer's is asked for each open line;
- the incoming document's (state, deadline) index carries the id: PostgreSQL answers "the
  documents being processed, with their deadlines" from the index alone (SQLite's indexes
  hold the rowid already).
The overdue page's items statement: 373 → 72 ms on PostgreSQL, 105 → 79 ms on SQLite.

Revision ID: 0032_open_lines_index
Revises: 0031_stats_stamp
Create Date: 2026-12-06 04:10:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032_open_lines_index'
down_revision = '0031_stats_stamp'
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'open'")
OPEN_CHILD = sa.text("state = 'open' AND parent_id IS NOT NULL")


def upgrade():
    op.create_index('ix_incoming_assignment_open', 'incoming_assignment',
                    ['document_id', 'role', 'deadline', 'user_id', 'department_id', 'id'],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index('ix_incoming_assignment_open_children', 'incoming_assignment',
                    ['parent_id', 'deadline'], sqlite_where=OPEN_CHILD,
                    postgresql_where=OPEN_CHILD)
    op.drop_index('ix_incoming_document_state_deadline', 'incoming_document')
    op.create_index('ix_incoming_document_state_deadline', 'incoming_document',
                    ['state', 'deadline', 'id'])


def downgrade():
    op.drop_index('ix_incoming_document_state_deadline', 'incoming_document')
    op.create_index('ix_incoming_document_state_deadline', 'incoming_document',
                    ['state', 'deadline'])
    op.drop_index('ix_incoming_assignment_open_children', 'incoming_assignment')
    op.drop_index('ix_incoming_assignment_open', 'incoming_assignment')
