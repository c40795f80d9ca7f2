"""Database plumbing shared by every domain: SQLite settings, Vietnamese collation,
NFC on every write, and "is this row still used?" checks."""
import hashlib
import math
import sqlite3
from contextlib import contextmanager

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import UniqueConstraint, and_, event, func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import CompileError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.errors import DomainError
from app.core.numbers import row_id
from app.core.text import nfc, vietnamese_collate

# One collation name on both databases: PostgreSQL ships it with ICU, SQLite gets it from us.
VI_COLLATION = "vi-x-icu"


def sql_with_values(statement, dialect) -> str:
    """A statement's SQL with its values written in: what it reads, as a cache key's part.
    A value the dialect cannot write inline (a pickled column's): the SQL and its values."""
    try:
        return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except CompileError:
        compiled = statement.compile(dialect=dialect)
        return f"{compiled} {sorted((k, repr(v)) for k, v in compiled.params.items())}"


def conditions_digest(conditions, dialect) -> str:
    """A short digest of SQL conditions with their values (a reader's visibility rules): two
    readers whose rules read the same share what is kept under it."""
    text_ = "|".join(sql_with_values(condition, dialect) for condition in conditions)
    return hashlib.sha1(text_.encode()).hexdigest()[:16]


# A statement's shape (SQLAlchemy's cache key, without the values) → the digest of its SQL:
# compiled once per shape in a process, not at each look.
_SHAPES: dict = {}


def statement_key(statement, dialect) -> str:
    """A digest of what `statement` reads, the same in every process: its SQL and its values.
    The SQL of a shape is compiled once (the values apart, as SQLAlchemy caches statements);
    a statement SQLAlchemy cannot key is compiled with its values written in."""
    cache_key = statement._generate_cache_key()  # noqa: SLF001 (SQLAlchemy's caching recipe)
    if cache_key is None:
        return hashlib.sha1(sql_with_values(statement, dialect).encode()).hexdigest()
    shape = _SHAPES.get((dialect.name, cache_key.key))
    if shape is None:
        if len(_SHAPES) > 2000:
            _SHAPES.clear()
        shape = _SHAPES[dialect.name, cache_key.key] = hashlib.sha1(
            str(statement.compile(dialect=dialect)).encode()).hexdigest()
    values = repr([param.effective_value for param in cache_key.bindparams])
    return hashlib.sha1(f"{shape} {values}".encode()).hexdigest()


def vi_order(column):
    """Order a text column the Vietnamese way (đ after d, ă after a)."""
    return column.collate(VI_COLLATION)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.create_collation(VI_COLLATION, vietnamese_collate)
    # SQLite's lower() folds ASCII only ("ĐẶC" stays "ĐẶC"); grids filter with lower(…) LIKE.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Session, "before_flush")
def _normalise_text_to_nfc(session, _flush_context, _instances):
    """The last guard of 'text is NFC': whatever path wrote the row, the stored text is NFC."""
    for obj in list(session.new) + list(session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = getattr(obj, attr.key, None)
            if isinstance(value, str):
                normalised = nfc(value)
                if normalised != value:
                    setattr(obj, attr.key, normalised)


# Labels of tables that have no model class (association tables), for "still in use" messages.
TABLE_LABELS = {}


def _table_label(table):
    from flask_appbuilder import Model

    for mapper in Model.registry.mappers:
        if mapper.local_table is table and hasattr(mapper.class_, "__label__"):
            return mapper.class_.__label__
    return TABLE_LABELS.get(table.name, table.name)


def usages_of(session, item) -> list[tuple[str, int]]:
    """Where a row is referenced: [(table label, count)] over every foreign key pointing at it.

    Used to refuse deleting a catalog entry in use with a message that says where."""
    table = inspect(item).mapper.local_table
    pk_value = inspect(item).identity[0]
    found = []
    for other in table.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table:
                count = session.scalar(
                    select(func.count()).select_from(other).where(fk.parent == pk_value)
                )
                if count:
                    found.append((str(_table_label(other)), count))
    return found


def unique_conflicts(session, item) -> list[str]:
    """The columns of the first unique rule that another row already holds, else [].

    Checked before saving so that the user gets a message naming the field instead of a
    database error; the unique constraint stays the last guard."""
    mapper = inspect(item).mapper
    table = mapper.local_table
    rules = [[c] for c in table.columns if c.unique]
    rules += [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    pk = [getattr(item, mapper.get_property_by_column(c).key) for c in table.primary_key]
    with session.no_autoflush:
        for columns in rules:
            values = [getattr(item, mapper.get_property_by_column(c).key) for c in columns]
            if any(v is None for v in values):
                continue  # NULLs never collide
            query = select(func.count()).select_from(table).where(
                and_(*[c == v for c, v in zip(columns, values, strict=True)])
            )
            if all(v is not None for v in pk):
                others = [c != v for c, v in zip(table.primary_key, pk, strict=True)]
                query = query.where(and_(*others))
            if session.scalar(query):
                return [mapper.get_property_by_column(c).key for c in columns]
    return []


def rows_by_id(session, model, ids) -> dict:
    """{id: row} of `model` for these ids: the rows already in the session as they are, the
    others read in one query (an id without a row is left out; None ignored)."""
    from sqlalchemy.orm.util import identity_key

    found, missing = {}, set()
    for number in set(ids) - {None}:
        known = session.identity_map.get(identity_key(model, number))
        if known is not None and not inspect(known).expired_attributes:
            found[number] = known
        else:
            missing.add(number)
    if missing:
        found.update((row.id, row) for row in session.scalars(
            select(model).where(model.id.in_(sorted(missing)))))
    return found


def visible_row(session, model, visible, ident, options=()):
    """The row `ident` of `model` if it meets `visible` (the domain's visibility rule, a SQL
    condition), else None — also for an id that cannot be a row's (text, zero, beyond
    INTEGER): callers answer 404, whatever the reason. `options`: loader options (what the
    page shows of the row, loaded with it)."""
    ident = row_id(ident)
    if ident is None:
        return None
    return session.scalar(select(model).where(model.id == ident, visible).options(*options))


@contextmanager
def unit_of_work(session, failed, log="unit of work failed"):
    """One unit of work that commits at its end, all or nothing: a domain's refusal
    (DomainError) rolls it back and goes on up; a database error (someone changed the same
    rows meanwhile, a constraint) rolls it back and becomes a DomainError saying `failed`
    (Vietnamese: what was not saved), logged as `log`."""
    try:
        yield
        session.commit()
    except DomainError:
        session.rollback()
        raise
    except SQLAlchemyError as error:
        session.rollback()
        current_app.logger.warning("%s: %s", log, error)
        raise DomainError(failed) from error


# PostgreSQL checks "a line of mine exists for the row" (an assignment to me or my unit, a
# recipient line of my unit, a draft of mine) by first hashing every line of the person or the
# unit: at a decade they have 40,000–200,000 of them, 7–300 ms before the first row of a page.
# Looking each row's own lines up instead (OFFSET 0 keeps PostgreSQL from turning the EXISTS
# into a hashed IN) reads a page in under a millisecond. SQLite probes row by row already.
#
# A grid's count stops at its cap (g.grid_counting: the number of rows it counts to,
# app.core.views) and reads more rows than a page: about cap × N / L of the table's N rows for
# an owner of L lines. A row probed costs ~2.5 µs, a line hashed ~0.7 µs and a row tested
# against the hash ~0.5 µs (the officer's outgoing grid on the bench data: the capped count
# 48 ms hashed, 9 ms probed; the same count without its cap 208 ms hashed, 733 ms probed), so
# probing is the cheaper way for the count when L² > 3 × cap × N: 30,000 lines of 300,000
# outgoing documents, 55,000 of a million incoming ones. With fewer lines hashing stays.
PROBE_EACH_ROW_FROM = 20_000  # lines of the person or the unit, for a page
PROBE_WHEN_COUNTING_FROM = 100_000  # … for a count, at most (a table of 3.3 million rows)
PROBE_COST_RATIO = 3  # (a row probed − a row tested against the hash) / a line hashed, rounded


def lines_exist(lines, owner, owners, rows_of=None):
    """`lines` (a SELECT of a row's lines whose `owner` column — of the lines' model, not an
    alias — is in `owners`, correlated to the row of the table `rows_of`) as EXISTS, in the
    form PostgreSQL plans best for the number of lines the owners have."""
    count = _line_count(owner, owners)
    if not count:  # few lines, or SQLite
        return lines.exists()
    counting = has_request_context() and g.get("grid_counting", False)
    threshold = _counting_threshold(counting, rows_of) if counting else PROBE_EACH_ROW_FROM
    return (lines.offset(0) if count >= threshold else lines).exists()


def _counting_threshold(cap, rows_of) -> int:
    """The lines from which a count stopping at `cap` rows of `rows_of` is cheaper probed."""
    rows = _row_estimate(rows_of) if rows_of is not None else 0
    if not rows:
        return PROBE_WHEN_COUNTING_FROM
    return min(PROBE_WHEN_COUNTING_FROM, int(math.sqrt(PROBE_COST_RATIO * cap * rows)))


LINE_COUNT_SECONDS = 3600  # a plan's choice: an hour-old count of a decade's lines will do


def _line_count(owner, owners) -> int:
    """How many lines the owners have, up to PROBE_WHEN_COUNTING_FROM (PostgreSQL only, else
    0): counted from the index on the owner column at most once an hour (the app's cache)."""
    from app.extensions import cache, db

    if not has_app_context():  # a rule built for later use: the plan as PostgreSQL likes it
        return 0
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return 0
    key = f"owned-lines:{owner}:{','.join(str(o) for o in owners)}"  # "table.column"
    count = cache.get(key)
    if count is None:
        with session.no_autoflush:
            count = session.scalar(select(func.count()).select_from(
                select(owner).where(owner.in_(owners)).limit(PROBE_WHEN_COUNTING_FROM)
                .subquery()))
        cache.set(key, count, timeout=LINE_COUNT_SECONDS)
    return count


def _row_estimate(table) -> int:
    """The planner's estimate of the table's rows (PostgreSQL's pg_class.reltuples, kept an
    hour like _line_count; 0 when unknown)."""
    from app.extensions import cache, db

    key = f"table-rows:{table.name}"
    rows = cache.get(key)
    if rows is None:
        with db.session.no_autoflush:
            rows = max(0, int(db.session.scalar(text(
                "SELECT reltuples FROM pg_class WHERE oid = to_regclass(:name)"),
                {"name": table.name}) or 0))
        cache.set(key, rows, timeout=LINE_COUNT_SECONDS)
    return rows
