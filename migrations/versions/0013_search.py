"""Full-text search over the folded text of incoming and outgoing documents: SQLite FTS5
tables kept in step by triggers, PostgreSQL GIN indexes on to_tsvector('simple', …); agency
names indexed in Vietnamese order (grids sorted by issuing agency); a person's assignment lines
by role and state (inbox counts)

Revision ID: 0013_search
Revises: 0012_totp
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op

from app.core.search import INDEXED_TABLES, SORT_INDEXES, create_ddl, drop_ddl

# revision identifiers, used by Alembic.
revision = '0013_search'
down_revision = '0012_totp'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    # exec_driver_sql: the DDL holds ':' and quotes that are not bind parameters.
    for table in INDEXED_TABLES:
        for statement in create_ddl(bind.dialect.name, table):
            bind.exec_driver_sql(statement)
    for statement in SORT_INDEXES.values():
        bind.exec_driver_sql(statement)
    op.create_index("ix_incoming_assignment_inbox", "incoming_assignment",
                    ["user_id", "role", "state", "document_id"])


def downgrade():
    bind = op.get_bind()
    op.drop_index("ix_incoming_assignment_inbox", table_name="incoming_assignment")
    for name in SORT_INDEXES:
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    for table in INDEXED_TABLES:
        for statement in drop_ddl(bind.dialect.name, table):
            bind.exec_driver_sql(statement)
