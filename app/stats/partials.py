"""Each month's counts of a figure, kept until that month's data change (app.stats.stamps).

A dashboard figure over a year is the sum of twelve months. The counts of a month are kept in
the app cache under the month's versions: after a registration only the current month is
counted again, not the year — and not a decade for the overdue headline. What else a month's
counts depend on is in the key too: the reader's visibility (the SQL of their rules, so that
every reader who sees everything shares the same counts), the unit, the month's bounds when
the period clips it, and the version of the people who count (who is in which unit: the
unit's own people for the counts of one unit; for the agency's counts by unit, each unit's
own people, unit by unit: monthly_by_unit).

Counts that depend on the day (a line still open is overdue from the day after its deadline)
are kept with the last day they stay true: the earliest deadline not yet passed among the
month's open work (`valid_through`); the day after it, they are counted again."""
from datetime import timedelta

from flask import g

from app.core.db import conditions_digest
from app.extensions import cache
from app.stats import stamps


def reader_key(session, token, conditions) -> str:
    """A short digest of a reader's visibility (SQL conditions with their values), once per
    request for `token`: readers whose rules are the same share the counts."""
    memo = g.setdefault("stats_reader_keys", {})
    if token not in memo:
        memo[token] = conditions_digest(conditions, session.get_bind().dialect)
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
    # counts of one unit follow its own people's stamp (people="unit"); counts that name no
    # unit's people (a unit fixed by a column, a person's own) follow none
    whose = stamps.unit_month(scope.unit_id) if people and scope.unit_id is not None else None
    return ":".join(str(part) for part in (
        "stats-part", name, reader, scope.unit_id,
        f"{whose}={versions.get((stamps.PEOPLE, whose), 0)}" if whose else "-",
        ",".join(kinds)))


def _kept(values, today):
    """The kept values that still hold today ({index: value}) of cache.get_many's answer."""
    return {index: kept[0] for index, kept in enumerate(values) if kept is not None
            and kept[1] <= today and (kept[2] is None or today <= kept[2])}


def monthly(session, scope, name, *, reader, kinds, months, compute, empty,
            valid_through=None, people="unit") -> dict:
    """{month key: value} of the months [(key, first day, last day)].

    `compute(months)` counts the given months in one go ({key: value}; a month it leaves
    out is `empty`); `reader`: the digest of the visibility rules it applies (reader_key);
    `kinds`: the stamps its data move. `valid_through(months)` ({key: last day}; absent:
    always), for counts that depend on the day. `people="unit"`: counts of one unit that
    depend on who is in it (the documents of its people) are counted again when someone joins
    or leaves it; `people=None`: they do not (a unit fixed by a column of the record, counts
    per person)."""
    versions = stamps.versions(session, kinds, [key for key, _a, _b in months])
    prefix = _prefix(scope, name, reader, kinds, versions, people == "unit")
    keys = [":".join(str(part) for part in (
        prefix, key, start, end, *(versions.get((kind, key), 0) for kind in kinds)))
        for key, start, end in months]
    kept = _kept(cache.get_many(*keys), scope.today) if keys else {}
    result = {month[0]: kept[index] for index, month in enumerate(months) if index in kept}
    stale = [(month, key) for index, (month, key) in enumerate(zip(months, keys, strict=True))
             if index not in kept]
    if stale:
        values = compute([month for month, _key in stale])
        through = valid_through([month for month, _key in stale]) if valid_through else {}
        fresh = {}
        for month, key in stale:
            value = values.get(month[0], empty)
            result[month[0]] = value
            fresh[key] = (value, scope.today, through.get(month[0]))
        cache.set_many(fresh)
    return result


def monthly_by_unit(session, scope, name, *, reader, kinds, months, units, compute,
                    valid_through=None) -> dict:
    """{month key: {unit id: value}} of the agency's counts by unit, each unit's months kept
    under that unit's people stamp (stamps.unit_month) as well as the months' versions: a
    person moved from one unit to another counts those two units again, not every unit.

    `units`: every unit's id; `compute(months, units)` counts the given months of the given
    units ({key: {unit: value}}, `units` None: all of them in one go); a unit it leaves out
    has nothing that month. What is stale is counted as one rectangle: the stale months
    (a registration: this month of every unit) by the stale units (a move: two units, every
    month)."""
    versions = stamps.versions(session, kinds, [key for key, _a, _b in months])
    prefix = _prefix(scope, name, reader, kinds, versions, people=False)
    cells = [(month, unit) for month in months for unit in units]
    keys = [":".join(str(part) for part in (
        prefix, key, start, end, *(versions.get((kind, key), 0) for kind in kinds),
        unit, versions.get((stamps.PEOPLE, stamps.unit_month(unit)), 0)))
        for (key, start, end), unit in cells]
    kept = _kept(cache.get_many(*keys), scope.today) if keys else {}
    result = {month[0]: {} for month in months}
    stale_months, stale_units = {}, set()
    for index, (month, unit) in enumerate(cells):
        if index in kept:
            if kept[index]:
                result[month[0]][unit] = kept[index]
        else:
            stale_months[month[0]] = month
            stale_units.add(unit)
    if stale_months:
        chosen = sorted(stale_months.values(), key=lambda month: month[1])
        values = compute(chosen, None if stale_units == set(units) else sorted(stale_units))
        through = valid_through(chosen) if valid_through else {}
        fresh = {}
        for index, (month, unit) in enumerate(cells):
            if month[0] in stale_months and unit in stale_units:
                value = values.get(month[0], {}).get(unit, {})
                if value:
                    result[month[0]][unit] = value
                fresh[keys[index]] = (value, scope.today, through.get(month[0]))
        cache.set_many(fresh)
    return result
