"""PostgreSQL's search: a stored tsvector column (generated from search_text) under the GIN
index, instead of an index on the expression. A grid that walks its date index, or a scoped
reader's visibility, checks the match row by row; with an expression index each such check
analysed the text again (to_tsvector per row: a unit leader's search «đất đai» spent most of
its 380 ms there at the bench's scale). SQLite is unchanged (its FTS5 tables).

Revision ID: 0030_search_vector
Revises: 0029_waiting_deadline_index
Create Date: 2026-12-05 02:00:00
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030_search_vector'
down_revision = '0029_waiting_deadline_index'
branch_labels = None
depends_on = None

# As at this revision (a migration is history and never imports live code).
INDEXED_TABLES = ("incoming_document", "outgoing_document")
PG_TEXT = "regexp_replace(search_text, '[^[:alnum:]]+', ' ', 'g')"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in INDEXED_TABLES:
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {table}_fts")
        bind.exec_driver_sql(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('simple'::regconfig, {PG_TEXT})) STORED")
        bind.exec_driver_sql(f"CREATE INDEX {table}_fts ON {table} USING gin (search_vector)")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in INDEXED_TABLES:
        bind.exec_driver_sql(f"DROP INDEX IF EXISTS {table}_fts")
        bind.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN search_vector")
        bind.exec_driver_sql(f"CREATE INDEX {table}_fts ON {table} USING gin "
                             f"(to_tsvector('simple'::regconfig, {PG_TEXT}))")
