"""Indexes for the statistics: incoming by type and issuing agency, outgoing by type, drafts
by date, logins per day

Revision ID: 0010_stats_indexes
Revises: 0009_schedules
Create Date: 2026-11-27 18:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010_stats_indexes'
down_revision = '0009_schedules'
branch_labels = None
depends_on = None


# Plain CREATE INDEX (no batch mode): the audit trail's table keeps its triggers.
INDEXES = [
    ('ix_audit_action_at', 'audit_event', ['action', 'at']),
    ('ix_draft_created_at', 'draft', ['created_at']),
    ('ix_incoming_document_agency_id', 'incoming_document', ['agency_id']),
    ('ix_incoming_document_document_type_id', 'incoming_document', ['document_type_id']),
    ('ix_outgoing_document_document_type_id', 'outgoing_document', ['document_type_id']),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
