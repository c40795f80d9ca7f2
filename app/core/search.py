"""One full-text search over the folded shadow text (`search_text`, app.core.text.fold) of the
documents, with a real index on both databases:

- SQLite: an FTS5 table `<table>_fts` over `search_text` (external content: the text is not
  stored twice), kept in step by triggers on the table, so every path that writes
  `search_text` (register, edit, attached files, imports, exchange, deletes) updates it;
- PostgreSQL: a stored generated column `search_vector`, `to_tsvector('simple', <search_text,
  punctuation as spaces>)`, with a GIN index `<table>_fts`; PostgreSQL keeps both in step
  itself. The vector is stored, not an index expression, so a row checked outside the index
  (a grid walking its date index, a scoped reader's rows) is not analysed again (0030).

Both see the same words: letters and digits, punctuation separates. A typed word is a whole
word ('hoa' finds 'hòa', 'hoà' and 'Hòa', not 'hoạch'); a word with punctuation is a phrase
whose last part, when short, may be unfinished ('123/QĐ-UB' finds '123/QĐ-UBND'). `matches()` is the
condition, `rank()` the ordering: the exact number/symbol first, then the documents holding
the words as typed (with their diacritics), then the caller's own order."""
import re

from flask import g, has_request_context
from sqlalchemy import Boolean, String, bindparam, case, func, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy import text as sql_text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.core.text import fold, nfc, number_symbol_key

# Tables that have a search index (the migration 0013_search creates it).
INDEXED_TABLES = ("incoming_document", "outgoing_document")
WORD = re.compile(r"[^\W_]+")
PREFIX_BELOW = 4
NUMBER_PREFIX = re.compile(r"^so\s*[:.]?\s*(?=\d)")  # "Số: 123/QĐ" is looked up as "123/QĐ"
# The text PostgreSQL indexes: the same as the generated column of the migration, to the letter.
PG_TEXT = "regexp_replace({column}, '[^[:alnum:]]+', ' ', 'g')"
VECTOR_COLUMN = "search_vector"  # PostgreSQL only: not in the models (SQLite has FTS5 tables)


def index_name(table: str) -> str:
    return f"{table}_fts"


def terms(text: str) -> list[list[str]]:
    """The typed words, folded, each as its list of parts: 'Đất đai 123/QĐ' ->
    [['dat'], ['dai'], ['123', 'qd']]."""
    text = NUMBER_PREFIX.sub("", fold(text or ""))
    return [parts for word in text.split() if (parts := WORD.findall(word))]


def _unfinished(parts) -> bool:
    """A symbol's last part shorter than PREFIX_BELOW is taken as being typed ('123/QĐ-UB');
    a longer one as whole, which keeps the index from expanding 'ubnd*' over every row."""
    return len(parts) > 1 and len(parts[-1]) < PREFIX_BELOW


def sqlite_query(words) -> str:
    """FTS5 syntax: "dat" AND "dai" AND "123 qd ub"* (a phrase, its last part a prefix)."""
    return " AND ".join(f'"{" ".join(parts)}"' + ("*" if _unfinished(parts) else "")
                        for parts in words)


def postgres_query(words) -> str:
    """tsquery syntax: dat & dai & (123 <-> qd <-> ub:*)."""
    return " & ".join(parts[0] if len(parts) == 1 else "(" + " <-> ".join(
        parts[:-1] + [parts[-1] + (":*" if _unfinished(parts) else "")]) + ")"
        for parts in words)


class _Match(ColumnElement):
    """`model` holds every typed word (compiled per database)."""
    type = Boolean()
    # The words are written into the SQL when it is compiled (_written): they are part of the
    # statement's cache key (`_key`), with the table and the walk. Without a key, SQLAlchemy
    # compiled each search statement anew at each run, and a grid's remembered count and page
    # were keyed by the statement compiled with its values written in (db.statement_key).
    inherit_cache = True
    _traverse_internals = [("_key", InternalTraversal.dp_plain_obj)]

    def __init__(self, model, words, walk=False):
        self.model = model
        self.words = words
        self.walk = walk  # many matches: let the database walk the grid's sort index
        self._key = (model.__tablename__, tuple(tuple(parts) for parts in words), walk)

    def self_group(self, against=None):
        # A condition as it is: SQLAlchemy would write "(…) = 1" for a boolean on SQLite,
        # which hides the index lookup and scans the whole table.
        return self

    @property
    def _from_objects(self):  # the condition needs the table in FROM
        return [self.model.__table__]


def _written(compiler, query: str) -> str:
    """The match's query written into the SQL as a quoted string: the statement's text then
    differs by its words, as its cache key does (a compiled statement, and a grid's count or
    page remembered by the statement's text and values, are never another search's). The
    query is built of folded word characters and the engines' operators, and quoted by the
    dialect's own string literal."""
    return String().literal_processor(compiler.dialect)(query)


@compiles(_Match, "sqlite")
def _match_sqlite(element, compiler, **kw):
    fts = index_name(element.model.__tablename__)
    words = _written(compiler, sqlite_query(element.words))
    key = compiler.process(element.model.__table__.c.id, **kw)
    # "+key": not through the key, so that SQLite walks the sort index and stops after a page
    walk = "+" if element.walk else ""
    return f"({walk}{key} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {words}))"


@compiles(_Match, "postgresql")
def _match_postgresql(element, compiler, **kw):
    # The stored vector of the model's own table (a column the models do not declare).
    vector = compiler.process(
        sql_table(element.model.__tablename__, sql_column(VECTOR_COLUMN)).c[VECTOR_COLUMN],
        **kw)
    words = _written(compiler, postgres_query(element.words))
    if element.walk:
        # The operator's own function: the same test, but not one the GIN index answers, so
        # that PostgreSQL walks the grid's sort index and stops after a page. With the
        # operator it estimates two frequent words that go together ("đất đai": 40,000 rows)
        # at a tenth of their matches, reads them all and sorts them (200 ms instead of 3).
        return f"ts_match_vq({vector}, to_tsquery('simple'::regconfig, {words}))"
    return f"({vector} @@ to_tsquery('simple'::regconfig, {words}))"


def matches(model, text: str):
    """A SQL condition: the rows of `model` (an indexed table) holding every typed word,
    whatever the case, the diacritics (NFC or NFD, hòa or hoà) or the đ. No word: true."""
    words = terms(text)
    return _Match(model, words) if words else True


def _looks_like_number(text: str) -> bool:
    first = (terms(text) or [[""]])[0]
    return "/" in text and first[0].isdecimal()


def rank(model, text: str) -> list:
    """ORDER BY terms putting first the exact number/symbol ('123/QĐ-UBND' for '123/qđ'),
    then the symbols starting with it, then the rows whose excerpt has more of the words
    typed with diacritics as typed (hoà before hòa for 'hoà'; without diacritics all equal).
    Computed over the matching rows only."""
    order = []
    if _looks_like_number(text):
        key = number_symbol_key(text)
        order.append(case((model.number_symbol_key == key, 0),
                          (model.number_symbol_key.startswith(key, autoescape=True), 1),
                          else_=2))
    typed = [word for word in nfc(text or "").lower().split() if word != fold(word)]
    if typed:  # more of the words as typed first
        order.append(sum(case((_Holds(model.excerpt, word), -1), else_=0) for word in typed))
    return order


class _Holds(ColumnElement):
    """`column` holds `word` (lower case, with its diacritics) in any case. SQLite's lower()
    is ours, in Python (its own folds ASCII only): too slow over thousands of matches, so
    SQLite looks for the word as written, Capitalised and in CAPITALS, with instr()."""
    type = Boolean()
    inherit_cache = False

    def __init__(self, column, word):
        self.column, self.word = column, word

    @property
    def _from_objects(self):
        return self.column._from_objects


@compiles(_Holds, "sqlite")
def _holds_sqlite(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    forms = dict.fromkeys((element.word, element.word.capitalize(), element.word.upper()))
    return "(" + " OR ".join(f"instr({column}, {compiler.process(bindparam(None, f), **kw)}) > 0"
                             for f in forms) + ")"


@compiles(_Holds, "postgresql")
def _holds_postgresql(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    return f"strpos(lower({column}), {compiler.process(bindparam(None, element.word), **kw)}) > 0"


# Ranking sorts every match; beyond this many, the matches keep the grid's own order (newest
# first by default), which the database reads from its sort index a page at a time.
RANK_WITHIN = 2_000


# The count that decides between ranking the matches and keeping the grid's order is kept a few
# minutes (the app's cache): a word typed again, by anyone, is not counted again. It never
# filters a row; a few documents registered meanwhile change at most that choice.
MATCH_COUNT_SECONDS = 600


def match_count(session, model, text: str, cap: int) -> int:
    """How many rows hold the typed words, counted up to cap + 1 (from the index)."""
    from app.extensions import cache

    words = terms(text)
    if not words:
        return cap + 1
    key = f"search-matches:{model.__tablename__}:{cap}:{sqlite_query(words)}"
    count = cache.get(key)
    if count is None:
        if session.get_bind().dialect.name == "sqlite":  # the FTS table alone answers
            count = _fts_count(session, model, words, cap)
        else:
            count = session.scalar(select(func.count()).select_from(
                select(model.id).where(_Match(model, words)).limit(cap + 1).subquery()))
        cache.set(key, count, timeout=MATCH_COUNT_SECONDS)
    return count


def _fts_count(session, model, words, cap: int) -> int:
    fts = index_name(model.__tablename__)
    return session.scalar(sql_text(
        f"SELECT count(*) FROM (SELECT rowid FROM {fts} WHERE {fts} MATCH :words "
        f"LIMIT :limit)").bindparams(words=sqlite_query(words), limit=cap + 1))


def count_from_index(query, cap: int) -> int | None:
    """SQLite: the capped count of an ORM query with a match among its conditions, read
    through the FTS table; None for any other query (or database).

    The match alone (a reader who sees every document, no other filter): the FTS table
    answers by itself. With other conditions (a scoped reader's visibility, a box): the FTS
    table drives and each match is tested until cap + 1 pass. Written as a condition
    (`id IN (SELECT rowid …)`), SQLite first lists every match (500,000 for «quyết định» at
    the bench's scale) before testing any."""
    if query.session.get_bind().dialect.name != "sqlite":
        return None
    where = query.whereclause
    clauses = list(where.clauses) if isinstance(where, BooleanClauseList) and \
        where.operator is operators.and_ else [where]
    matches = [clause for clause in clauses if isinstance(clause, _Match)]
    if len(matches) != 1:
        return None
    match = matches[0]
    if len(clauses) == 1:
        return _fts_count(query.session, match.model, match.words, cap)
    table = match.model.__table__
    statement = query.statement
    if statement._setup_joins or statement._from_obj:  # noqa: SLF001 (no public test)
        return None  # joined tables: counted as written
    fts = sql_table(index_name(match.model.__tablename__), sql_column("rowid"))
    rows = (select(table.c.id).select_from(fts).join(table, table.c.id == fts.c.rowid)
            .where(sql_text(f"{fts.name} MATCH :words").bindparams(
                words=sqlite_query(match.words)),
                   *[clause for clause in clauses if clause is not match])
            .limit(cap + 1))
    return query.session.scalar(select(func.count()).select_from(rows.subquery()))


def search(query, model, text: str, counting: bool = False,
           dense: bool = True) -> tuple[object, bool]:
    """(the ORM query narrowed to the matches, ranked): best first when there are at most
    RANK_WITHIN of them, else in the grid's order (say so to the reader). `counting`: the
    query only counts (no sort index to walk: the index of matches is quicker). `dense`: the
    reader sees many of the matches (their grid counted more than a page's worth of pages):
    walking the sort index finds a page soon. PostgreSQL walks only then; a reader who sees
    few of many matches is answered from the index of matches, which bounds the work. SQLite
    walks either way (its planner reads FTS matches in rowid order only)."""
    words = terms(text)
    if not words:
        return query, True
    ranked = match_count(query.session, model, text, RANK_WITHIN) <= RANK_WITHIN
    walk = not ranked and not counting and (
        dense or query.session.get_bind().dialect.name == "sqlite")
    query = query.filter(_Match(model, words, walk=walk))
    return (query.order_by(*rank(model, text)) if ranked else query), ranked


# ---------------------------------------------------------------- small tables, typed text

def folded_contains(session, model, columns, text: str):
    """A SQL condition: the rows of a small table (a catalog: hundreds of rows) whose `columns`
    together hold every typed word anywhere ("contains"), folded as the search box folds
    ('giay' and 'GIẤY' find 'Giấy mời'). Compared in Python with `fold`, so that both
    databases match alike and what is typed is never a pattern ('50%' is 50%); the matching
    keys are computed once per request (a grid counts, then reads a page). No word: true."""
    words = fold(text or "").split()
    if not words:
        return True
    key = model.__mapper__.primary_key[0]
    cache_key = ("folded_contains", model.__tablename__, tuple(columns), tuple(words))
    cached = g.setdefault("folded_matches", {}) if has_request_context() else {}
    if cache_key not in cached:
        rows = session.execute(select(key, *[getattr(model, name) for name in columns]))
        cached[cache_key] = [row[0] for row in rows if all(
            word in fold(" ".join(str(value) for value in row[1:] if value is not None))
            for word in words)]
    return key.in_(cached[cache_key])


def _escaped(base, method: str, negate: bool = False):
    """One of FAB's text filters (same name, same place in the list, same URL argument) that
    takes what was typed literally: % and _ match themselves (LIKE … ESCAPE)."""
    from flask_appbuilder.models.sqla.filters import get_field_setup_query

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        condition = getattr(field, method)(value, autoescape=True)
        return query.filter(~condition if negate else condition)

    return type(base.__name__, (base,), {"apply": apply, "__doc__": base.__doc__})


def _escaped_converter():
    from flask_appbuilder.models.sqla import filters as fab

    swap = {fab.FilterStartsWith: _escaped(fab.FilterStartsWith, "istartswith"),
            fab.FilterNotStartsWith: _escaped(fab.FilterNotStartsWith, "istartswith", True),
            fab.FilterEndsWith: _escaped(fab.FilterEndsWith, "iendswith"),
            fab.FilterNotEndsWith: _escaped(fab.FilterNotEndsWith, "iendswith", True),
            fab.FilterContains: _escaped(fab.FilterContains, "icontains"),
            fab.FilterNotContains: _escaped(fab.FilterNotContains, "icontains", True)}
    table = tuple((test, [swap.get(f, f) for f in filters] if test in ("is_text", "is_string")
                   else filters) for test, filters in fab.SQLAFilterConverter.conversion_table)
    return type("EscapedFilterConverter", (fab.SQLAFilterConverter,),
                {"conversion_table": table, "__doc__": "FAB's filters of the grids and the REST "
                 "API, the text ones with LIKE patterns escaped (_escaped)."})


# The filter converter of our grids and REST resources (VietnameseInterface): FAB's
# "Bắt đầu bằng", "Chứa", … build LIKE patterns from what was typed without escaping % and _.
EscapedFilterConverter = _escaped_converter()


# ---------------------------------------------------------------- the index itself (DDL)

def create_ddl(dialect: str, table: str) -> list[str]:
    """Statements that create the index of `table` and fill it from the existing rows."""
    fts = index_name(table)
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
        return [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {VECTOR_COLUMN} tsvector "
                f"GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, "
                f"{PG_TEXT.format(column='search_text')})) STORED",
                f"CREATE INDEX {fts} ON {table} USING gin ({VECTOR_COLUMN})"]
    return []


def drop_ddl(dialect: str, table: str) -> list[str]:
    fts = index_name(table)
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in
                ("insert", "delete", "update")] + [f"DROP TABLE IF EXISTS {fts}"]
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {fts}"]
    return []


# Grids sort by the issuing agency in Vietnamese order: an index in that collation lets the
# database walk the agencies in order and stop after one page (FAB sorts the whole join).
SORT_INDEXES = {"ix_agency_name_vi": 'CREATE INDEX ix_agency_name_vi ON agency '
                                     '(name COLLATE "vi-x-icu")'}


def not_search_index(_object, name, type_, _reflected, _compare_to) -> bool:
    """Alembic's include_object: the search index and the collated sort index live in the
    migration only (an FTS5 table with its shadow tables, PostgreSQL's stored vector, collated
    indexes, which autogenerate cannot describe): autogenerate leaves them alone."""
    if type_ == "column" and name == VECTOR_COLUMN:
        return False
    return not (type_ in ("table", "index") and name and (
        name in SORT_INDEXES or any(name.startswith(index_name(t)) for t in INDEXED_TABLES)))
