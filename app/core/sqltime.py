"""Vietnam dates of stored UTC timestamps, computed by the database (for grouped queries).

Asia/Ho_Chi_Minh has been UTC+7 all year since 1975 (no daylight saving), so a fixed shift
is exact. One SQL spelling per database: SQLite's date functions, PostgreSQL's intervals."""
from sqlalchemy import Date, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

OFFSET_HOURS = 7


class local_date(FunctionElement):  # noqa: N801 (reads as a SQL function)
    """The Vietnam calendar date of a UTC DateTime column."""
    type = Date()
    inherit_cache = True
    name = "local_date"


class local_month(FunctionElement):  # noqa: N801
    """'yyyy-mm' of a UTC DateTime column in Vietnam time."""
    type = String()
    inherit_cache = True
    name = "local_month"


class date_month(FunctionElement):  # noqa: N801
    """'yyyy-mm' of a Date column (a calendar date: no shift)."""
    type = String()
    inherit_cache = True
    name = "date_month"


@compiles(local_date)
def _local_date(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)}) + INTERVAL '{OFFSET_HOURS} hours'" \
           " AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{OFFSET_HOURS} hours')"


@compiles(local_month)
def _local_month(element, compiler, **kw):
    return f"to_char(({compiler.process(element.clauses, **kw)}) + " \
           f"INTERVAL '{OFFSET_HOURS} hours', 'YYYY-MM')"


@compiles(local_month, "sqlite")
def _local_month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)}, " \
           f"'+{OFFSET_HOURS} hours')"


@compiles(date_month)
def _date_month(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(date_month, "sqlite")
def _date_month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"
