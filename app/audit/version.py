"""The version of the application's data, and figures remembered per version.

Every change of the application's records writes a line of the audit trail (app.audit.services:
one hook on the session, no path forgets it), so the newest audit line is the version of the
data. A costly figure over a decade — the dashboard's charts, the overdue work of the agency —
is computed once per version and reused from the cache (app.extensions.cache: per process, or
Redis with several workers) until the data move; the caller puts in the key everything else
the figure depends on (the reader, the day, the unit, the language…).

Lines that record a reading or an entrance — a login, a logout, a download, a file read in the
viewer — change no record a page shows, and a working morning writes hundreds of them: the
data's version skips them, or every grid and badge would be computed again each time someone
logs in or opens a file. The few figures that count them (the logins per day, the people not
logging in) are kept per `trail_version`, every line of the trail.

A figure may also step over the changes it cannot depend on (`skipping`, pairs of action and
record type), as a person's boxes made of their work lines alone step over the registrations:
a document just registered has no line yet (app.documents.services.lines_only)."""
from flask import has_request_context, request
from sqlalchemy import String, and_, cast, event, func, not_, or_, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core import request_facts
from app.extensions import cache

_READ = "eoffice.data-version"  # the request's versions, once read (request.environ)
# The trail's actions that change no record a page shows (app.audit.services.ACTION_LABELS).
# A login writes the person's last login too; only the figures of logins read it.
READING_ACTIONS = ("login", "login_failed", "login_locked", "logout", "session_ended",
                   "download", "view_file")


def data_version(session, skipping=()) -> int:
    """The newest audit line's id that records a change of the data (not a reading: see
    READING_ACTIONS), and not one of `skipping` ((action, object_type) pairs). Read once per
    GET request: a GET writes nothing, and the parts of one page (a grid's count, its ids, the
    inbox's badges) are of one version; read again after a flush (a test's request context
    that writes) and on every other request."""
    return _per_request(("data", *skipping), session, lambda s: _newest_of(s, skipping))


def trail_version(session) -> int:
    """The newest audit line's id, readings and logins included: the version of figures that
    count them (the logins per day, the people not logging in)."""
    return _per_request("trail", session, _newest)


def _per_request(which, session, read):
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return read(session)
    versions = request.environ.setdefault(_READ, {})
    if which not in versions:
        versions[which] = read(session)
    return versions[which]


def _newest(session) -> int:
    return session.scalar(select(func.max(AuditEvent.id))) or 0


# The newest changes read at once: every version a page asks for (with or without `skipping`)
# is found among them in one statement, unless that many changes in a row were all skipped.
RECENT_CHANGES = 50


def _newest_of(session, skipping) -> int:
    recent = _per_request("recent", session, _recent_changes)
    found = next((ident for ident, action, kind in recent if (action, kind) not in skipping),
                 None)
    if found is not None:
        return found
    return _newest_change(session, skipping) if len(recent) == RECENT_CHANGES else 0


def _recent_changes(session) -> list:
    """[(id, action, object_type)] of the newest RECENT_CHANGES changes, newest first: read
    with the person at the start of a GET (app.core.request_facts), else here."""
    answer = request_facts.known("recent_changes")
    if answer is not request_facts.MISSING:
        return _unpacked(answer)
    return [tuple(row) for row in session.execute(_recent_statement())]


def _recent_statement():
    return (select(AuditEvent.id, AuditEvent.action, AuditEvent.object_type)
            .where(AuditEvent.action.not_in(READING_ACTIONS))
            .order_by(AuditEvent.id.desc()).limit(RECENT_CHANGES))


# The recent changes as one text, to be read as one value with the person: "id␟action␟type"
# joined by ␞ (control characters no action nor record type holds).
_FIELD, _RECORD = "\x1f", "\x1e"


def _on_a_read():
    """A GET reads the version once (data_version); a request that writes, at each use."""
    return {} if request.method in ("GET", "HEAD") else None


@request_facts.fact("recent_changes", applies=_on_a_read)
def _recent_column():
    recent = _recent_statement().subquery()
    line = (cast(recent.c.id, String) + _FIELD + recent.c.action + _FIELD
            + func.coalesce(recent.c.object_type, ""))
    return select(func.aggregate_strings(line, _RECORD))


def _unpacked(text) -> list:
    if not text:
        return []
    changes = []
    for line in text.split(_RECORD):
        ident, action, kind = line.split(_FIELD)
        changes.append((int(ident), action, kind or None))
    return sorted(changes, reverse=True)  # the aggregate keeps no order


def _newest_change(session, skipping=()) -> int:
    # newest first, by the primary key: the readings of the last minutes are stepped over (an
    # aggregate with a condition would read the whole trail on SQLite)
    skipped = [not_(or_(*[and_(AuditEvent.action == action, AuditEvent.object_type == kind)
                          for action, kind in skipping]))] if skipping else []
    return session.scalar(select(AuditEvent.id).where(
        AuditEvent.action.not_in(READING_ACTIONS), *skipped)
        .order_by(AuditEvent.id.desc()).limit(1)) or 0


@event.listens_for(Session, "after_flush")
def _forget_read_version(_session, _flush_context):
    if has_request_context():
        request.environ.pop(_READ, None)


def remembered(session, name, parts, compute, every_line=False, skipping=()):
    """compute() for `parts` at this version of the data, from the cache when it is there.
    The value must be plain data (it is pickled): ids and numbers, not loaded records.
    `every_line`: the figure counts readings or logins (kept per trail_version). `skipping`:
    changes the figure cannot depend on (data_version)."""
    current = trail_version(session) if every_line else data_version(session, skipping)
    key = ":".join(str(part) for part in (name, current, *parts))
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value
