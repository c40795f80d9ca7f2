"""Each month's counts of a figure, kept until that month's data change (app.stats.stamps).

A dashboard figure over a year is the sum of twelve months. The counts of a month are kept in
the app cache under the month's versions: after a registration only the current month is
counted again, not the year — and not a decade for the overdue headline. What else a month's
counts depend on is in the key too: the reader's visibility (the SQL of their rules, so that
every reader who sees everything shares the same counts), the unit, the month's bounds when
the period clips it, and the version of the people (who is in which unit: the unit's own
people for the counts of one unit, everyone for the agency's counts by unit).

Counts that depend on the day (a line still open is overdue from the day after its deadline)
are kept with the last day they stay true: the earliest deadline not yet passed among the
month's open work (`valid_through`); the day after it, they are counted again."""
import hashlib
from datetime import timedelta

from flask import g

from app.core.db import sql_with_values
from app.extensions import cache
from app.stats import stamps


def reader_key(session, token, conditions) -> str:
    """A short digest of a reader's visibility (SQL conditions with their values), once per
    request for `token`: readers whose rules are the same share the counts."""
    memo = g.setdefault("stats_reader_keys", {})
    if token not in memo:
        dialect = session.get_bind().dialect
        text = "|".join(sql_with_values(condition, dialect) for condition in conditions)
        memo[token] = hashlib.sha1(text.encode()).hexdigest()[:16]
    return memo[token]


def runs(months) -> list:
    """The months [(key, first day, last day)] as contiguous spans [(first day, last day)]."""
    spans = []
    for _key, start, end in sorted(months, key=lambda month: month[1]):
        if spans and spans[-1][1] + timedelta(days=1) == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _prefix(scope, name, reader, kinds, versions, people):
    # counts of one unit follow its own people's stamp; the agency's counts by unit, everyone's
    whose = stamps.NO_MONTH if scope.unit_id is None else stamps.unit_month(scope.unit_id)
    return ":".join(str(part) for part in (
        "stats-part", name, reader, scope.unit_id,
        f"{whose}={versions.get((stamps.PEOPLE, whose), 0)}" if people else "-",
        ",".join(kinds)))


def monthly(session, scope, name, *, reader, kinds, months, compute, empty,
            valid_through=None, by_unit=False) -> dict:
    """{month key: value} of the months [(key, first day, last day)].

    `compute(months)` counts the given months in one go ({key: value}; a month it leaves
    out is `empty`); `reader`: the digest of the visibility rules it applies (reader_key);
    `kinds`: the stamps its data move. `valid_through(months)` ({key: last day}; absent:
    always), for counts that depend on the day. Counts of one unit, or by unit (`by_unit`),
    depend on who is in which unit: they are counted again when a person moves."""
    versions = stamps.versions(session, kinds, [key for key, _a, _b in months])
    prefix = _prefix(scope, name, reader, kinds, versions,
                     people=by_unit or scope.unit_id is not None)
    keys = [":".join(str(part) for part in (
        prefix, key, start, end, *(versions.get((kind, key), 0) for kind in kinds)))
        for key, start, end in months]
    today = scope.today
    result, stale = {}, []
    kept_values = cache.get_many(*keys) if keys else []
    for month, key, kept in zip(months, keys, kept_values, strict=True):
        if kept is not None and kept[1] <= today and (kept[2] is None or today <= kept[2]):
            result[month[0]] = kept[0]
        else:
            stale.append((month, key))
    if stale:
        values = compute([month for month, _key in stale])
        through = valid_through([month for month, _key in stale]) if valid_through else {}
        fresh = {}
        for month, key in stale:
            value = values.get(month[0], empty)
            result[month[0]] = value
            fresh[key] = (value, today, through.get(month[0]))
        cache.set_many(fresh)
    return result
