"""The version of the application's data, and figures remembered per version.

Every change of the application's records writes a line of the audit trail (app.audit.services:
one hook on the session, no path forgets it), so the newest audit line is the version of the
data. A costly figure over a decade — the dashboard's charts, the overdue work of the agency —
is computed once per version and reused from the cache (app.extensions.cache: per process, or
Redis with several workers) until the data move; the caller puts in the key everything else
the figure depends on (the reader, the day, the unit, the language…)."""
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import cache


def data_version(session) -> int:
    return session.scalar(select(func.max(AuditEvent.id))) or 0


def remembered(session, name, parts, compute):
    """compute() for `parts` at this version of the data, from the cache when it is there.
    The value must be plain data (it is pickled): ids and numbers, not loaded records."""
    key = ":".join(str(part) for part in (name, data_version(session), *parts))
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value
