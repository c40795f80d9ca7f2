"""Each month's counts of a figure, kept until that month's data change (app.stats.stamps).

A dashboard figure over a year is the sum of twelve months. The counts of a month are kept in
the app cache under the month's versions: after a registration only the current month is
counted again, not the year — and not a decade for the overdue headline. What else a month's
counts depend on is in the key too: the reader's visibility (the SQL of their rules, so that
every reader who sees everything shares the same counts), the unit, the month's bounds when
the period clips it. Counts of one unit that depend on who is in it are kept with the unit's
people they were counted for: when someone joins or leaves the unit, the figure's `moved`
counts what changes (the documents of the people who came or went), not the unit's months
again. The agency's counts by unit are kept unit by unit, each with its own people
(monthly_by_unit).

Counts that depend on the day (a line still open is overdue from the day after its deadline)
are kept with the last day they stay true: the earliest deadline not yet passed among the
month's open work (`valid_through`); the day after it, they are counted again."""
from datetime import timedelta

from flask import g
from sqlalchemy import select

from app.core.db import conditions_digest
from app.extensions import cache
from app.org.models import EofficeUser
from app.stats import stamps


def reader_key(session, token, conditions) -> str:
    """A short digest of a reader's visibility (SQL conditions with their values: built by
    `conditions()` only the first time), once per request for `token`: readers whose rules
    are the same share the counts."""
    memo = g.setdefault("stats_reader_keys", {})
    if token not in memo:
        memo[token] = conditions_digest(conditions(), session.get_bind().dialect)
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


# At most this many people joined or left a unit since its counts were kept: what changes is
# counted from their documents (`moved`); more, and the unit's months are counted again. A
# person's documents are a tenth to a third of a unit's; four of them cost about the months.
MOVED_AT_MOST = 4


def _prefix(scope, name, reader, kinds):
    return ":".join(str(part) for part in ("stats-part", name, reader, scope.unit_id,
                                           ",".join(kinds)))


def units_members(session) -> dict:
    """{unit id: the ids of everyone in it, in order} of every unit that has people, in one
    statement once per request (app.documents.services.unit_people, of every unit)."""
    if "stats_units_members" not in g:
        people = {}
        for person, unit in session.execute(select(EofficeUser.id, EofficeUser.department_id)
                                            .where(EofficeUser.department_id.is_not(None))
                                            .order_by(EofficeUser.id)):
            people.setdefault(unit, []).append(person)
        g.stats_units_members = {unit: tuple(ids) for unit, ids in people.items()}
    return g.stats_units_members


def _people_of(entry):
    """The unit's people a kept entry was counted for (None: counts of no unit's people)."""
    return entry[3] if len(entry) > 3 else None


def _movable(entry, now) -> bool:
    """The kept entry was counted for other people of the unit than `now`, few enough to be
    brought up to date from their documents."""
    before = _people_of(entry)
    return before is not None and now is not None and before != now \
        and len(set(before) ^ set(now)) <= MOVED_AT_MOST


def _kept(values, today):
    """The kept entries that still hold today ({index: entry}) of cache.get_many's answer."""
    return {index: kept for index, kept in enumerate(values) if kept is not None
            and kept[1] <= today and (kept[2] is None or today <= kept[2])}


def monthly(session, scope, name, *, reader, kinds, months, compute, empty,
            valid_through=None, people="unit", moved=None) -> dict:
    """{month key: value} of the months [(key, first day, last day)].

    `compute(months)` counts the given months in one go ({key: value}; a month it leaves
    out is `empty`); `reader`: the digest of the visibility rules it applies (reader_key);
    `kinds`: the stamps its data move. `valid_through(months)` ({key: last day}; absent:
    always), for counts that depend on the day. `people="unit"`: counts of one unit that
    depend on who is in it (the documents of its people), kept with its people (members);
    `people=None`: they do not (a unit fixed by a column of the record, counts per person).
    `moved(months, kept, before, now)`: of the kept values {key: value} of the months
    counted for the people `before`, the values for the people `now` ({key: value}; counted
    from the documents of those who came or went); without it, or when more than
    MOVED_AT_MOST came or went, the months are counted again. A kept value stays true
    through the same day as before: the people's documents were among the month's when its
    day was found."""
    versions = stamps.versions(session, kinds, [key for key, _a, _b in months])
    people_now = units_members(session).get(scope.unit_id, ()) \
        if people == "unit" and scope.unit_id is not None else None
    prefix = _prefix(scope, name, reader, kinds)
    keys = [":".join(str(part) for part in (
        prefix, key, start, end, *(versions.get((kind, key), 0) for kind in kinds)))
        for key, start, end in months]
    kept = _kept(cache.get_many(*keys), scope.today) if keys else {}
    result, stale, shifted, fresh = {}, [], {}, {}
    for index, (month, key) in enumerate(zip(months, keys, strict=True)):
        entry = kept.get(index)
        if entry is not None and _people_of(entry) == people_now:
            result[month[0]] = entry[0]
        elif entry is not None and moved is not None and _movable(entry, people_now):
            shifted.setdefault(entry[3], []).append((month, key, entry))
        else:
            stale.append((month, key))
    for before, entries in shifted.items():
        values = moved([month for month, _key, _entry in entries],
                       {month[0]: entry[0] for month, _key, entry in entries}, before,
                       people_now)
        for month, key, entry in entries:
            result[month[0]] = values.get(month[0], empty)
            fresh[key] = (result[month[0]], entry[1], entry[2], people_now)
    if stale:
        values = compute([month for month, _key in stale])
        through = valid_through([month for month, _key in stale]) if valid_through else {}
        for month, key in stale:
            value = values.get(month[0], empty)
            result[month[0]] = value
            fresh[key] = (value, scope.today, through.get(month[0]), people_now)
    if fresh:
        cache.set_many(fresh)
    return result


def monthly_by_unit(session, scope, name, *, reader, kinds, months, units, compute,
                    valid_through=None, moved=None) -> dict:
    """{month key: {unit id: value}} of the agency's counts by unit, each unit's months kept
    with that unit's people (as monthly's counts of one unit) as well as the months'
    versions: a person moved from one unit to another changes those two units' counts, not
    every unit's.

    `units`: every unit's id; `compute(months, units)` counts the given months of the given
    units ({key: {unit: value}}, `units` None: all of them in one go); a unit it leaves out
    has nothing that month. `moved(unit, months, kept, before, now)`: as monthly's, for one
    unit.
    What is stale is counted as one rectangle: the stale months (a registration: this month
    of every unit) by the stale units (more people moved than `moved` takes)."""
    versions = stamps.versions(session, kinds, [key for key, _a, _b in months])
    prefix = _prefix(scope, name, reader, kinds)
    people = units_members(session)
    cells = [(month, unit) for month in months for unit in units]
    keys = [":".join(str(part) for part in (
        prefix, key, start, end, *(versions.get((kind, key), 0) for kind in kinds), unit))
        for (key, start, end), unit in cells]
    kept = _kept(cache.get_many(*keys), scope.today) if keys else {}
    result = {month[0]: {} for month in months}
    stale_months, stale_units, shifted, fresh = {}, set(), {}, {}
    for index, (month, unit) in enumerate(cells):
        entry, now = kept.get(index), people.get(unit, ())
        if entry is not None and _people_of(entry) == now:
            if entry[0]:
                result[month[0]][unit] = entry[0]
        elif entry is not None and moved is not None and _movable(entry, now):
            shifted.setdefault((unit, entry[3]), []).append((month, index, entry))
        else:
            stale_months[month[0]] = month
            stale_units.add(unit)
    for (unit, before), entries in shifted.items():
        values = moved(unit, [month for month, _index, _entry in entries],
                       {month[0]: entry[0] for month, _index, entry in entries}, before,
                       people.get(unit, ()))
        for month, index, entry in entries:
            value = values.get(month[0], {})
            if value:
                result[month[0]][unit] = value
            fresh[keys[index]] = (value, entry[1], entry[2], people.get(unit, ()))
    if stale_months:
        chosen = sorted(stale_months.values(), key=lambda month: month[1])
        values = compute(chosen, None if stale_units == set(units) else sorted(stale_units))
        through = valid_through(chosen) if valid_through else {}
        for index, (month, unit) in enumerate(cells):
            if month[0] in stale_months and unit in stale_units:
                value = values.get(month[0], {}).get(unit, {})
                result[month[0]].pop(unit, None)
                if value:
                    result[month[0]][unit] = value
                fresh[keys[index]] = (value, scope.today, through.get(month[0]),
                                      people.get(unit, ()))
    if fresh:
        cache.set_many(fresh)
    return result
