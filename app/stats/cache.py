"""The dashboard's figures, computed once per version of the data.

A dozen grouped queries over a year of a million-document register take seconds; a leader
opens the dashboard many times a day. Every change of the application's records writes a line
of the audit trail (app.audit.services: one hook on the session, no path forgets it), so the
newest audit line is the version of the data: the figures are reused until it moves, the day
changes, or the reader, the period, the unit or the language differ."""
from dataclasses import replace

from flask_babel import get_locale
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import cache
from app.stats import figures


def data_version(session) -> int:
    return session.scalar(select(func.max(AuditEvent.id))) or 0


def _key(session, scope, name, *extra) -> str:
    parts = (name, scope.user.id, scope.unit_id, scope.period.start, scope.period.end,
             scope.today, get_locale(), data_version(session), *extra)
    return "stats:" + ":".join(str(part) for part in parts)


def _plain(figure):
    """A figure with its lazily translated titles as plain text (cacheable)."""
    return replace(figure, title=str(figure.title), dimension=str(figure.dimension))


def remembered(session, scope, name, compute, *extra):
    """compute() for this scope and data version, from the cache when it is there."""
    key = _key(session, scope, name, *extra)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value


def dashboard(session, scope, idle_days) -> dict:
    """Everything the dashboard shows: charts, headline totals, people not logging in."""
    return remembered(session, scope, "dashboard", lambda: {
        "charts": [_plain(function(session, scope)) for function in figures.FIGURES.values()],
        "totals": figures.summary(session, scope),
        "idle": figures.idle_people(session, scope, idle_days),
    }, idle_days)


def figure(session, scope, name):
    """One figure of the REST API."""
    return remembered(session, scope, name,
                      lambda: _plain(figures.FIGURES[name](session, scope)))
