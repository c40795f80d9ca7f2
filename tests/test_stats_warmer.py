"""The dashboard warmer (app.stats.warmer): after what makes a dashboard count at length — a
person moved into or out of a unit, a new day, a restart — the leaders' dashboards are counted
in the background, so the leader's own look finds them counted; it starts no round for a mere
registration, and it writes nothing to the database."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.timefmt import today_local
from app.extensions import cache
from app.org.models import Department, EofficeUser
from app.stats import warmer
from app.stats.models import StatsStamp
from dossier_helpers import register_incoming
from tests.conftest import user

# the statements that count a year, and those that count what a move changed
COUNTING = ("period_documents", "period_lines", "moved_lines")


def look(client, statements):
    """(the dashboard's total of incoming documents, its counting statements)."""
    statements.clear()
    response = client.get("/stats/dashboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    total = int(re.search(r'id="total-incoming">([\d.]+)<', html).group(1).replace(".", ""))
    return total, [sql for sql in statements if any(name in sql for name in COUNTING)]


def someone_of(session, unit_id, *besides):
    return session.scalars(select(EofficeUser).where(
        EofficeUser.department_id == unit_id, EofficeUser.active.is_(True),
        EofficeUser.username.not_in(besides)).order_by(EofficeUser.id)).first()


def test_after_a_move_out_of_a_unit_its_leader_finds_the_dashboard_counted(
        app, db_session, login_as, statements):
    """A person leaves the unit leader's unit: without the warmer the leader's look counts
    what it changed (the person's documents); after a round of the warmer it counts nothing
    and shows what a count from nothing shows."""
    leader = login_as("truongphong")
    unit = user(db_session, "truongphong").department_id
    mover = someone_of(db_session, unit, "truongphong")
    other = db_session.scalars(select(Department.id).where(
        Department.id != unit, Department.parent_id.is_not(None)).order_by(Department.id)).first()
    look(leader, statements)
    mover.department_id = other
    db_session.commit()
    try:
        _total, counting = look(leader, statements)
        assert counting, "with no round, the leader's own look counts what the move changed"
        mover.department_id = unit
        db_session.commit()

        counted = warmer.run_once(app)
        assert "truongphong" in counted and "lanhdao" in counted
        total, counting = look(leader, statements)
        assert counting == []
        with app.app_context():
            cache.clear()
        assert look(leader, statements)[0] == total
    finally:
        mover.department_id = unit
        db_session.commit()


def test_the_agency_leaders_counts_by_unit_are_counted_after_any_move(
        app, db_session, login_as, statements):
    leader = login_as("lanhdao")
    unit = user(db_session, "truongphong").department_id
    mover = db_session.scalars(select(EofficeUser).where(
        EofficeUser.department_id.is_not(None), EofficeUser.department_id != unit,
        EofficeUser.active.is_(True)).order_by(EofficeUser.id)).first()
    home = mover.department_id
    look(leader, statements)
    mover.department_id = unit
    db_session.commit()
    try:
        warmer.run_once(app)
        assert look(leader, statements)[1] == []
    finally:
        mover.department_id = home
        db_session.commit()


def test_a_round_only_when_the_day_or_the_people_changed(app, db_session, monkeypatch):
    warmer.run_once(app)  # whatever earlier tests changed
    assert warmer.run_once(app) is None, "nothing changed: no round"
    register_incoming(app, db_session)
    assert warmer.run_once(app) is None, "a registration: the reader's look counts one month"
    tomorrow = today_local() + timedelta(days=1)
    monkeypatch.setattr(warmer, "today_local", lambda: tomorrow)
    assert "lanhdao" in warmer.run_once(app), "a new day: the overnight deadlines"


def test_the_readers_are_those_who_may_open_the_dashboard(app, db_session):
    counted = warmer.run_once(app, force=True)
    assert {"lanhdao", "lanhdaovp", "truongphong"} <= set(counted)
    assert not {"vanthu", "chuyenvien", "quantri"} & set(counted)
    inactive = db_session.scalars(select(EofficeUser.username).where(
        EofficeUser.active.is_(False))).all()
    assert not set(inactive) & set(counted)


def test_a_round_writes_nothing(app, db_session):
    def written():
        db_session.expire_all()
        return (db_session.scalar(select(func.count(AuditEvent.id))),
                db_session.execute(select(StatsStamp.kind, StatsStamp.month,
                                          StatsStamp.version).order_by(
                    StatsStamp.kind, StatsStamp.month)).all())

    before = written()
    assert warmer.run_once(app, force=True)
    assert written() == before


def test_a_dashboard_that_fails_does_not_stop_the_others(app, monkeypatch):
    real = warmer.dashboard

    def failing(app_, session, reader):
        if reader.username == "lanhdao":
            raise RuntimeError("this reader's figures fail")
        return real(app_, session, reader)

    monkeypatch.setattr(warmer, "dashboard", failing)
    counted = warmer.run_once(app, force=True)
    assert "lanhdao" not in counted and "truongphong" in counted


def test_not_started_in_tests(app):
    assert warmer.start(app) is None


def test_a_committed_move_wakes_the_warmer_and_nothing_else_does(app, db_session):
    """The warmer of the process that commits a move starts its round at once (it would
    otherwise wait for its next look); a registration or a move rolled back does not wake it."""
    from app.stats import stamps

    stamps.people_moved.clear()
    register_incoming(app, db_session)
    assert not stamps.people_moved.is_set()
    mover = someone_of(db_session, user(db_session, "truongphong").department_id,
                       "truongphong")
    home = mover.department_id
    other = db_session.scalars(select(Department.id).where(
        Department.id != home, Department.parent_id.is_not(None)).order_by(Department.id)).first()
    mover.department_id = other
    db_session.flush()
    db_session.rollback()
    assert not stamps.people_moved.is_set()
    mover = db_session.merge(mover)
    mover.department_id = other
    db_session.commit()
    try:
        assert stamps.people_moved.is_set()
    finally:
        mover.department_id = home
        db_session.commit()
        stamps.people_moved.clear()


def test_the_first_round_starts_with_the_worker(app, monkeypatch):
    """Right after a restart the round comes first, before any wait: the first people find
    the dashboards counted instead of sharing the server with the round."""
    import threading

    from app.stats import stamps

    happened = []
    stop = threading.Event()
    monkeypatch.setattr(stop, "wait", lambda timeout=None: happened.append("waited"))
    monkeypatch.setattr(warmer, "run_once", lambda _app: happened.append("round"))

    class Moved:  # the wait between two rounds: the test stops the loop there
        def wait(self, timeout=None):
            happened.append("next round's wait")
            stop.set()

        def clear(self):
            pass

    monkeypatch.setattr(stamps, "people_moved", Moved())
    warmer._loop(app, stop)
    assert happened == ["round", "next round's wait"]
