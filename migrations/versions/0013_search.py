"""Full-text search over the folded text of incoming and outgoing documents: SQLite FTS5
tables kept in step by triggers, PostgreSQL GIN indexes on to_tsvector('simple', …)

Revision ID: 0013_search
Revises: 0007_notifications
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op

from app.core.search import INDEXED_TABLES, create_ddl, drop_ddl

# revision identifiers, used by Alembic.
revision = '0013_search'
down_revision = '0007_notifications'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    # exec_driver_sql: the DDL holds ':' and quotes that are not bind parameters.
    for table in INDEXED_TABLES:
        for statement in create_ddl(bind.dialect.name, table):
            bind.exec_driver_sql(statement)


def downgrade():
    bind = op.get_bind()
    for table in INDEXED_TABLES:
        for statement in drop_ddl(bind.dialect.name, table):
            bind.exec_driver_sql(statement)
