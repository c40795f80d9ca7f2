"""The version of the application's data, and figures remembered per version.

Every change of the application's records writes a line of the audit trail (app.audit.services:
one hook on the session, no path forgets it), so the newest audit line is the version of the
data. A costly figure over a decade — the dashboard's charts, the overdue work of the agency —
is computed once per version and reused from the cache (app.extensions.cache: per process, or
Redis with several workers) until the data move; the caller puts in the key everything else
the figure depends on (the reader, the day, the unit, the language…)."""
from flask import has_request_context, request
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.extensions import cache

_READ = "eoffice.data-version"  # the request's version, once read (request.environ)


def data_version(session) -> int:
    """The newest audit line's id. Read once per GET request: a GET writes nothing, and the
    parts of one page (a grid's count, its ids, the inbox's badges) are of one version; read
    again after a flush (a test's request context that writes) and on every other request."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return _newest(session)
    version = request.environ.get(_READ)
    if version is None:
        version = request.environ[_READ] = _newest(session)
    return version


def _newest(session) -> int:
    return session.scalar(select(func.max(AuditEvent.id))) or 0


@event.listens_for(Session, "after_flush")
def _forget_read_version(_session, _flush_context):
    if has_request_context():
        request.environ.pop(_READ, None)


def remembered(session, name, parts, compute):
    """compute() for `parts` at this version of the data, from the cache when it is there.
    The value must be plain data (it is pickled): ids and numbers, not loaded records."""
    key = ":".join(str(part) for part in (name, data_version(session), *parts))
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value
