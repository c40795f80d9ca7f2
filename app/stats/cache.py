"""The dashboard's figures, computed once per version of the data (app.audit.version).

A dozen grouped queries over a year of a million-document register take seconds; a leader
opens the dashboard many times a day. The figures are reused until the data move, the day
changes, or the reader, the period, the unit or the language differ. The dashboard, the
reports and the API share them figure by figure."""
from dataclasses import replace

from flask_babel import get_locale

from app.audit import version
from app.stats import figures


def _plain(figure):
    """A figure with its lazily translated titles as plain text (cacheable)."""
    return replace(figure, title=str(figure.title), dimension=str(figure.dimension))


# Figures that count logins: kept per line of the trail (app.audit.version.trail_version),
# the others per change of the data.
OF_LOGINS = ("logins_by_day", "idle")


def remembered(session, scope, name, compute, *extra):
    """compute() for this scope and data version, from the cache when it is there."""
    return version.remembered(session, "stats:" + name, (
        scope.user.id, scope.unit_id, scope.period.start, scope.period.end, scope.today,
        get_locale(), *extra), compute, every_line=name in OF_LOGINS)


def dashboard(session, scope, idle_days) -> dict:
    """Everything the dashboard shows: charts, headline totals, people not logging in."""
    return {"charts": [figure(session, scope, name) for name in figures.FIGURES],
            "totals": summary(session, scope),
            "idle": remembered(session, scope, "idle",
                               lambda: figures.idle_people(session, scope, idle_days),
                               idle_days)}


def figure(session, scope, name):
    """One figure (the dashboard's, a report's, the REST API's)."""
    return remembered(session, scope, name,
                      lambda: _plain(figures.FIGURES[name](session, scope)))


def summary(session, scope) -> dict:
    """The headline numbers (app.stats.figures.summary)."""
    return remembered(session, scope, "summary", lambda: figures.summary(session, scope))
