"""The leaders' dashboards counted before they look (issue 15).

A dashboard's figures are kept month by month (app.stats.partials): a registration or a
piece of work done counts one month again, 40–130 ms at a decade of documents; a person moved
into or out of a unit, what that changes, from the person's documents (200–240 ms). Two
things cost more, and neither is a person's own doing: a restart with an empty cache (a
year of every figure: 1.0–1.9 s) and a new day (the months whose open work passed a
deadline overnight: 0.3–0.6 s). Whoever opened the dashboard first paid for them.

The warmer pays instead. As soon as the worker is up, then every STATS_WARM_INTERVAL
seconds — and at once after this process commits a move (stamps.people_moved) — a thread of
the serving process reads the day and the people stamps (app.stats.stamps: one small
statement); when they moved since its last round, it opens the dashboard of each active
person who may read it, as that person, with the page's default period and unit — the same
function the page, the reports and the REST API call (app.stats.cache.dashboard) — so that
the page then finds every figure counted. It only reads: the counts go to the app cache,
nothing to the database.

Once per state: the state is marked in the app cache (`cache.add`), so with one Redis for
several workers (docs/deploy.md) one of them counts and the others find the figures there;
with a cache per worker, each counts its own. Changes of the month stamps alone (a
registration, work done) start no round: the reader's own look counts one month, within the
dashboard's budget, and a round after every registration would take the server's time from
the people working.

The first round starts with the worker, not some seconds later: right after a restart nobody
is waiting yet, and the people who arrive find the figures counted instead of sharing two
cores with the round (the load test's first 20 s on PostgreSQL: p95 615–950 → 330 ms)."""
import logging
import threading
import time

from flask import g
from sqlalchemy import select

from app.core.files import start_worker
from app.core.timefmt import today_local
from app.extensions import cache, db
from app.org.models import EofficeUser
from app.security.access import holders_of
from app.stats import cache as kept
from app.stats import figures, stamps
from app.stats.models import StatsStamp

log = logging.getLogger(__name__)
ROUND_KEY = "stats-warm"
_started = threading.Event()


def readers(session) -> list:
    """The active people who may open the dashboard (the agency's and the office's leaders,
    the unit leaders: the roles given `can_read` on Stats)."""
    return list(session.scalars(select(EofficeUser).where(
        EofficeUser.id.in_(holders_of("can_read", "Stats"))).order_by(EofficeUser.id)))


def state(session) -> str:
    """What, when it moves, leaves the dashboards much to count again: the day and who is in
    which unit (the people stamps, the agency's and each unit's)."""
    people = session.execute(select(StatsStamp.month, StatsStamp.version).where(
        StatsStamp.kind == stamps.PEOPLE).order_by(StatsStamp.month)).all()
    return today_local().isoformat() + "|" + ",".join(f"{m}={v}" for m, v in people)


def run_once(app, force=False) -> list[str] | None:
    """One round: the usernames whose dashboards were counted, or None when this state of the
    data was counted already (by this process, or another sharing the cache). A reader whose
    dashboard fails is logged and skipped: the others are still counted."""
    with app.app_context():
        session = db.session
        try:
            mark = f"{ROUND_KEY}:{state(session)}"
            if not cache.add(mark, True) and not force:
                return None
            counted, began = [], time.monotonic()
            for reader in readers(session):
                try:
                    dashboard(app, session, reader)
                    counted.append(reader.username)
                except Exception:
                    log.exception("Dashboard of %s", reader.username)
                finally:
                    session.rollback()  # a round reads; it keeps nothing open
            log.info("Dashboards counted in advance: %d in %.1f s", len(counted),
                     time.monotonic() - began)
            return counted
        finally:
            session.rollback()


def dashboard(app, session, reader) -> None:
    """The reader's dashboard as the page opens it (default period and unit), counted into
    the cache."""
    with app.test_request_context("/stats/dashboard"):
        g.user = reader
        scope = figures.Scope.for_user(session, reader, {})
        kept.dashboard(session, scope, figures.IDLE_DAYS)


def start(app) -> threading.Thread | None:
    """Start the warmer's thread of a serving process: not when disabled, not in tests, not
    in a CLI command (app.core.files.start_worker)."""
    return start_worker(app, "STATS_WARM_ENABLED", _started, _loop, "eoffice-stats-warm")


def _loop(app, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    interval = max(int(app.config.get("STATS_WARM_INTERVAL", 60)), 1)
    while not stop.is_set():
        try:
            run_once(app)
        except Exception:
            log.exception("Dashboard warmer")
        # a move committed by this process wakes it at once; others' at the next look
        stamps.people_moved.wait(interval)
        stamps.people_moved.clear()
