"""The months a transaction changes, stamped by that same transaction (app.stats.models).

One hook on the session, as for the audit trail, so no path forgets it: before each flush it
looks at the new, changed and deleted records the figures count and notes each (kind, month)
they touch — the month before a change and the month after it; at commit it raises their
versions. What
counts in which kind:

- INCOMING: an incoming document and its work lines, by the document's month of arrival;
- OUTGOING: an outgoing document, by its month of issue;
- ACTIVITY: what the people did (officers' activity): a line's month of completion, a
  draft's month of writing, a dossier's months of opening and closing;
- PEOPLE (month "*" for the agency, "u<id>" for one unit: unit_month): who is in which unit
  (a line given to a person counts for their unit), who is active; month SHOWN: what of the
  people and units a kept page shows and orders by (names, the units' order), and the
  secrecy levels' ranks the visibility rules read (the overdue page's months kept).

Raising the versions costs one statement per transaction that touches any of these records,
right before its commit. A transaction that rolls back raises nothing."""
import threading
from datetime import date, datetime

from flask import g, has_request_context
from sqlalchemy import event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import NO_VALUE

from app.catalogs.models import SecrecyLevel
from app.core.timefmt import to_local, today_local
from app.documents import arrival_months
from app.documents.models import IncomingAssignment, IncomingDocument
from app.dossiers.models import Dossier
from app.org.models import Department, EofficeUser
from app.outgoing.models import Draft, OutgoingDocument
from app.stats.models import StatsStamp

INCOMING, OUTGOING, ACTIVITY, PEOPLE = "incoming", "outgoing", "activity", "people"
KINDS = (INCOMING, OUTGOING, ACTIVITY, PEOPLE)
NO_MONTH = "*"
SHOWN = "shown"
MONTH_LENGTH = 7  # StatsStamp.month


def month_of(value) -> str | None:
    """yyyy-mm of a stored UTC datetime (in Vietnam time) or of a calendar date."""
    if isinstance(value, datetime):
        return to_local(value).strftime("%Y-%m")
    if isinstance(value, date):
        return value.strftime("%Y-%m")
    return None


def _values(obj, name) -> list:
    """The attribute's value now and, when this flush changes it, its value before."""
    history = inspect(obj).attrs[name].history
    values = [getattr(obj, name)]
    values += [value for value in history.deleted if value is not NO_VALUE]
    return values


def _months(obj, name, new_default=False) -> set:
    months = {month_of(value) for value in _values(obj, name)} - {None}
    if not months and new_default:  # a column filled by its default (now) at insert
        months.add(today_local().strftime("%Y-%m"))
    return months


def _document_of(session, line):
    document = line.document
    if document is None and line.document_id is not None:
        document = session.get(IncomingDocument, line.document_id)
    return document


# What of a person or a unit the counts depend on: who is in which unit, who is active (a
# unit's name, code or place in the tree changes no count).
PEOPLE_ATTRIBUTES = {EofficeUser: ("department_id", "active", "roles"), Department: ("active",)}
# What of them a kept page shows and orders by, and the ranks the visibility rules read.
SHOWN_ATTRIBUTES = {EofficeUser: ("first_name", "last_name"),
                    Department: ("name", "sort_order"), SecrecyLevel: ("level",)}


def _changed(obj, is_new_or_deleted, attributes) -> bool:
    if is_new_or_deleted:
        return True
    state = inspect(obj)
    names = next(names for model, names in attributes.items() if isinstance(obj, model))
    return any(state.attrs[name].history.has_changes() for name in names)


def touched(session) -> set:
    """{(kind, month)} the pending changes of the session touch."""
    stamps = set()
    changed = [(obj, True) for obj in session.new] + [(obj, True) for obj in session.deleted] \
        + [(obj, False) for obj in session.dirty if session.is_modified(obj)]
    for obj, whole in changed:
        if isinstance(obj, IncomingDocument):
            stamps |= {(INCOMING, m) for m in _months(obj, "arrival_at", new_default=True)}
        elif isinstance(obj, IncomingAssignment):
            document = _document_of(session, obj)
            if document is not None:
                stamps |= {(INCOMING, m) for m in _months(document, "arrival_at", True)}
            stamps |= {(ACTIVITY, m) for m in _months(obj, "completed_at")}
        elif isinstance(obj, OutgoingDocument):
            stamps |= {(OUTGOING, m) for m in _months(obj, "issued_date", new_default=True)}
        elif isinstance(obj, Draft):
            stamps |= {(ACTIVITY, m) for m in _months(obj, "created_at", new_default=True)}
        elif isinstance(obj, Dossier):
            stamps |= {(ACTIVITY, m) for m in _months(obj, "start_date", new_default=True)}
            stamps |= {(ACTIVITY, m) for m in _months(obj, "closed_at")}
        if isinstance(obj, (EofficeUser, Department)) and _changed(obj, whole, PEOPLE_ATTRIBUTES):
            units = _values(obj, "department_id") if isinstance(obj, EofficeUser) else [obj.id]
            stamps.add((PEOPLE, NO_MONTH))
            stamps |= {(PEOPLE, unit_month(unit)) for unit in units if unit is not None}
        if isinstance(obj, (EofficeUser, Department, SecrecyLevel)) and \
                _changed(obj, whole, SHOWN_ATTRIBUTES):
            stamps.add((PEOPLE, SHOWN))
    return stamps


def unit_month(unit_id) -> str:
    """The PEOPLE stamp of one unit's people (its "month": "u12"), raised with the agency's
    when someone joins or leaves the unit, or its people's roles or accounts change. No count
    is kept under it any more: the counts of a unit are kept with its people themselves
    (partials.monthly, monthly_by_unit); the warmer's state reads it with the agency's. A
    unit whose key does not fit follows the agency's stamp."""
    key = f"u{unit_id}"
    return key if len(key) <= MONTH_LENGTH else NO_MONTH


def raise_versions(session, stamps) -> None:
    """version + 1 of each (kind, month), in one statement (in a fixed order: two
    transactions raising the same months never wait for each other in a circle)."""
    if not stamps:
        return
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    table = StatsStamp.__table__
    statement = insert(table).values([{"kind": kind, "month": month, "version": 1}
                                      for kind, month in sorted(stamps)])
    connection.execute(statement.on_conflict_do_update(
        index_elements=["kind", "month"], set_={"version": table.c.version + 1}))


PENDING_KEY = "stats_stamps"
PEOPLE_KEY = "stats_people_moved"
# Set after a commit that changed who is in which unit: the dashboard warmer of this process
# (app.stats.warmer) wakes at once instead of at its next look.
people_moved = threading.Event()


@event.listens_for(Session, "before_flush")
def _note_changes(session, _flush_context, _instances):
    """What each flush touches is noted; the versions are raised once, at commit."""
    with session.no_autoflush:
        stamps = touched(session)
    if stamps:
        session.info.setdefault(PENDING_KEY, set()).update(stamps)


@event.listens_for(Session, "before_commit")
def _stamp_at_commit(session):
    """The noted months, raised in one statement in a fixed order right before the commit:
    the rows stay locked for the shortest time, and two transactions never take them in
    opposite orders (which their flushes, one after another, could)."""
    session.flush()  # what is still pending is noted too
    stamps = session.info.pop(PENDING_KEY, None)
    if stamps:
        raise_versions(session, stamps)
        if any(kind == PEOPLE for kind, _month in stamps):
            session.info[PEOPLE_KEY] = True


@event.listens_for(Session, "after_commit")
def _wake_the_warmer(session):
    if session.info.pop(PEOPLE_KEY, False):
        people_moved.set()


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session, transaction):
    """Rolled back or closed without a commit: nothing to stamp (a savepoint's end keeps what
    was noted: at worst a month is counted again)."""
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(PEOPLE_KEY, None)


def _all(session) -> dict:
    """{(kind, month): version} of the whole table (a few hundred rows for a decade), read
    once per request: a page reads, it does not write."""
    memo = g.get("stats_versions") if has_request_context() else None
    if memo is None:
        table = StatsStamp.__table__
        memo = {(kind, month): version for kind, month, version in session.execute(
            select(table.c.kind, table.c.month, table.c.version))}
        if has_request_context():
            g.stats_versions = memo
    return memo


def versions(session, kinds, months) -> dict:
    """{(kind, month): version} of these kinds over these months (and the PEOPLE versions:
    the agency's under (PEOPLE, "*"), each unit's under (PEOPLE, unit_month)); a month never
    changed is absent (version 0)."""
    wanted, kinds = set(months) | {NO_MONTH}, {*kinds, PEOPLE}
    return {(kind, month): version for (kind, month), version in _all(session).items()
            if kind in kinds and (month in wanted or kind == PEOPLE)}


def settled_arrivals(session, before) -> tuple:
    """((kind, month, version), …) of the INCOMING months before `before` (yyyy-mm) and of
    everyone's people and what is shown of them: what the overdue page keeps of the months
    before this one depends on (app.documents.arrival_months)."""
    return tuple(sorted((kind, month, version) for (kind, month), version
                        in _all(session).items()
                        if (kind == INCOMING and month < before)
                        or (kind == PEOPLE and month in (NO_MONTH, SHOWN))))


arrival_months.register(settled_arrivals)
