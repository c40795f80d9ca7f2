"""The leaders' dashboard at its first look after a change (issue 15: ≤ 300 ms), on the bench
data, in-process as bench/walk.py:

    .venv/bin/python -m bench.first_look [--database URL] [--repeat 3]

For the agency leader (the whole agency) and a unit leader (their unit): the dashboard with
nothing counted (the cache emptied: a restart), once more (from the cache), and right after
each kind of change — a registration (through the REST API, as the clerk), work completed on
an older document, a person of the unit leader's unit moved to another unit, then back (each
step measured), a person moved between two other units, then back — and on the first look of
a new day (the process's clock moved on a day: the months whose open work passed a deadline
overnight).
Each change is measured `repeat` times after the dashboard was looked at; the median is
printed and written to bench/first-look-<database>.json. Then the same with the dashboard
warmer (app.stats.warmer): its round, and the looks after it."""
import argparse
import json
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench import generate
from bench.run import login, register_body

ROOT = Path(__file__).resolve().parent
READERS = ("lanhdao", "truongphong")
OWN_UNIT, OTHER_UNITS = "a move out of the unit leader's unit", "a move between two other units"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = args.database or generate.default_url(args.docs)
    app = generate.bench_app(url)

    from app.core.timefmt import today_local, utcnow
    from app.documents.models import (
        DONE, IN_PROGRESS, OPEN, IncomingAssignment, IncomingDocument,
    )
    from app.extensions import cache, db
    from app.org.models import EofficeUser

    with app.app_context():
        body = register_body(db.session, 0)
        dialect = db.engine.dialect.name
    clerk_client = app.test_client()
    clerk = login(clerk_client, "vanthu")
    counter = iter(range(10**9))

    def registration():
        response = clerk_client.post("/api/v1/incoming/", headers=clerk, json={
            **body, "number_symbol": f"{next(counter)}/FIRST-LOOK-UBND"})
        assert response.status_code == 201, response.get_data(as_text=True)[:300]

    def completed_work():
        with app.app_context():
            session = db.session
            line = session.scalars(
                select(IncomingAssignment).join(IncomingDocument)
                .where(IncomingAssignment.state == OPEN,
                       IncomingAssignment.user_id.is_not(None),
                       IncomingDocument.state == IN_PROGRESS,
                       IncomingDocument.arrival_at < utcnow() - timedelta(days=60))
                .order_by(IncomingDocument.arrival_at.desc())).first()
            line.state, line.completed_at = DONE, utcnow()
            session.commit()

    with app.app_context():
        unit = db.session.scalar(select(EofficeUser.department_id).where(
            EofficeUser.username == "truongphong"))
        someone_else = db.session.scalar(select(EofficeUser.username).where(
            EofficeUser.department_id.is_not(None), EofficeUser.department_id != unit,
            EofficeUser.active.is_(True)).order_by(EofficeUser.id))
    leaves, comes_back = mover(app, "chuyenvien")  # an officer of the unit leader's unit
    other_leaves, other_back = mover(app, someone_else, away_from=(unit,))
    # each change: its steps, each measured at the look right after it
    changes = {"registration": [("registration", registration)],
               "completed work": [("completed work on an older document", completed_work)],
               OWN_UNIT: [("a person left the unit leader's unit", leaves),
                          ("that person came back to it", comes_back)],
               OTHER_UNITS: [("a person moved between two other units", other_leaves),
                             ("that person moved back", other_back)]}
    results = {"database": dialect, "day": today_local().isoformat(), "readers": {}}
    for username in READERS:
        client = app.test_client()
        login(client, username)

        def look(client=client):
            began = time.perf_counter()
            response = client.get("/stats/dashboard")
            assert response.status_code == 200, response.status_code
            return (time.perf_counter() - began) * 1000

        with app.app_context():
            cache.clear()
        figures = {"nothing counted (after a restart)": round(look(), 1),
                   "again (from the cache)": round(look(), 1)}
        for steps in changes.values():
            times = {name: [] for name, _step in steps}
            for _i in range(args.repeat):
                look()
                for name, step in steps:
                    step()
                    times[name].append(look())
            for name, spent in times.items():
                figures[f"after {name}"] = round(statistics.median(spent), 1)
        results["readers"][username] = figures
        print(username)
        for name, value in figures.items():
            print(f"  {name:53s} {value:8.1f} ms")
    results["first look of a new day"] = new_day(app, 1)
    results["warmer"] = warmed(app, args.repeat, changes)
    (ROOT / f"first-look-{dialect}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n")


def mover(app, username, away_from=()):
    """(`username` leaves their unit for another one, none of `away_from`; they come back):
    two changes, each committed as an administrator's edit would be."""
    from app.extensions import db
    from app.org.models import EofficeUser

    home = []

    def move(back):
        with app.app_context():
            session = db.session
            person = session.scalar(select(EofficeUser).where(EofficeUser.username == username))
            if back:
                person.department_id = home.pop()
            else:
                home.append(person.department_id)
                person.department_id = session.scalar(select(EofficeUser.department_id).where(
                    EofficeUser.department_id.is_not(None),
                    EofficeUser.department_id.not_in([person.department_id, *away_from])))
            session.commit()
    return (lambda: move(False)), (lambda: move(True))


def shift_days(days):
    """The process's clock (app.core.timefmt: today, now) `days` days ahead."""
    from app.core import timefmt

    class Shifted(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(days=days)

    timefmt.datetime = Shifted if days else datetime


def new_day(app, days, warm=False):
    """Each reader's first look on the day `days` days ahead (with `warm`: after the
    warmer's round of that day, whose time is given too)."""
    from app.stats import warmer

    for username in READERS:  # today's dashboards kept
        client = app.test_client()
        login(client, username)
        assert client.get("/stats/dashboard").status_code == 200
    shift_days(days)
    try:
        clients = {}
        for username in READERS:  # a session ends with its day: logged in again
            clients[username] = app.test_client()
            login(clients[username], username)
        result = {}
        if warm:
            began = time.perf_counter()
            assert warmer.run_once(app), "no round on a new day"
            result["round_ms"] = round((time.perf_counter() - began) * 1000, 1)
        for username, client in clients.items():
            began = time.perf_counter()
            assert client.get("/stats/dashboard").status_code == 200
            result[username] = round((time.perf_counter() - began) * 1000, 1)
    finally:
        shift_days(0)
    print(("with the warmer, " if warm else "") + "the first look of a new day", result)
    return result


def warmed(app, repeat, changes):
    """With the dashboard warmer (app.stats.warmer): how long its round takes after a
    restart and after each move, and each reader's look once the round is done."""
    from app.extensions import cache
    from app.stats import warmer

    clients = {}
    for username in READERS:
        clients[username] = app.test_client()
        login(clients[username], username)

    def looks():
        shown = {}
        for username, client in clients.items():
            began = time.perf_counter()
            assert client.get("/stats/dashboard").status_code == 200
            shown[username] = (time.perf_counter() - began) * 1000
        return shown

    def round_ms(force=False):
        began = time.perf_counter()
        counted = warmer.run_once(app, force=force)
        assert counted, "the round counted nobody"
        return (time.perf_counter() - began) * 1000, len(counted)

    with app.app_context():
        cache.clear()
    spent, dashboards = round_ms(force=True)
    result = {"after a restart": {"round_ms": round(spent, 1), "dashboards": dashboards,
                                  "looks_ms": {u: round(t, 1) for u, t in looks().items()}}}
    for steps in (changes[OWN_UNIT], changes[OTHER_UNITS]):
        rounds = {name: [] for name, _step in steps}
        times = {name: {username: [] for username in READERS} for name, _step in steps}
        for _i in range(repeat):
            looks()
            for name, step in steps:
                step()
                rounds[name].append(round_ms()[0])
                for username, spent in looks().items():
                    times[name][username].append(spent)
        for name, _step in steps:
            result[f"after {name}"] = {
                "round_ms": round(statistics.median(rounds[name]), 1),
                "dashboards": dashboards,
                "looks_ms": {u: round(statistics.median(t), 1)
                             for u, t in times[name].items()}}
    result["the first look of a new day"] = new_day(app, 2, warm=True)
    print("with the warmer (its round, then each reader's look)")
    for name, row in result.items():
        if "looks_ms" in row:
            print(f"  {name:53s} round {row['round_ms']:8.1f} ms ({row['dashboards']} "
                  "dashboards); " + ", ".join(f"{u} {t:.1f} ms"
                                              for u, t in row["looks_ms"].items()))
    return result


if __name__ == "__main__":
    main()
