"""Full-text search over the folded text of incoming and outgoing documents: SQLite FTS5
tables kept in step by triggers, PostgreSQL GIN indexes on to_tsvector('simple', …); agency
names indexed in Vietnamese order (grids sorted by issuing agency); a person's assignment lines
by role and state (inbox counts)

Revision ID: 0013_search
Revises: 0012_totp
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op

# The DDL as it was at this revision (app.core.search.create_ddl/drop_ddl then): a migration is
# history and never imports live code.
INDEXED_TABLES = ("incoming_document", "outgoing_document")
PG_TEXT = "regexp_replace(search_text, '[^[:alnum:]]+', ' ', 'g')"
SORT_INDEXES = {"ix_agency_name_vi": 'CREATE INDEX ix_agency_name_vi ON agency '
                                     '(name COLLATE "vi-x-icu")'}


def create_ddl(dialect: str, table: str) -> list[str]:
    fts = f"{table}_fts"
    if dialect == "sqlite":
        return [
            f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
            f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, search_text) "
            f"VALUES ('delete', old.id, old.search_text); END",
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, search_text) "
            f"VALUES ('delete', old.id, old.search_text); "
            f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    if dialect == "postgresql":
        return [f"CREATE INDEX {fts} ON {table} USING gin (to_tsvector('simple'::regconfig, "
                f"{PG_TEXT}))"]
    return []


def drop_ddl(dialect: str, table: str) -> list[str]:
    fts = f"{table}_fts"
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in
                ("insert", "delete", "update")] + [f"DROP TABLE IF EXISTS {fts}"]
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {fts}"]
    return []

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
