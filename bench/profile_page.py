"""Where one page's time goes, statement by statement, at a decade of documents:

    .venv/bin/python -m bench.profile_page --role lanhdao /incoming/overdue [/stats/reports/]

Opens each URL as the role (the bench data of `make bench`, in-process like bench/walk.py),
once to warm up (its time is the first look: caches empty) and once measured, and prints the
page's times and the measured load's SQL statements, slowest first (time, rows, the
statement's first line). With --after-change the measured load is the first look right after
a change of the data (bench.walk.a_change: an audited write), as the walk's `first_ms`."""
import argparse
import cProfile
import pstats
import time

from sqlalchemy import event

from bench import generate
from bench.run import login
from bench.first_look import mover
from bench.walk import a_change



def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--role", default="lanhdao", help="a demo account")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--sql", action="store_true", help="the slowest statement in full")
    parser.add_argument("--after-change", action="store_true",
                        help="measure the first look right after a change of the data")
    parser.add_argument("--moved", default=None, metavar="USERNAME",
                        help="with --after-change, the change is this person leaving their "
                             "unit for another (at the next page's change, coming back)")
    parser.add_argument("--python", action="store_true",
                        help="where the Python time goes (cProfile of ten more requests)")
    parser.add_argument("--sort", default="cumulative",
                        help="the profile's order (pstats: cumulative, tottime, ncalls…)")
    parser.add_argument("--repeat", type=int, default=0,
                        help="then the median of this many more looks (no profiler)")
    parser.add_argument("--callers", default=None,
                        help="with --python: who calls the functions matching this pattern")
    args = parser.parse_args()
    url = args.database or generate.default_url(args.docs)
    app = generate.bench_app(url)
    from app.extensions import db

    statements = []

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _begin(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn, cursor, statement, parameters, context, executemany):
        began = conn.info["started"].pop()
        statements.append(((time.perf_counter() - began) * 1000, cursor.rowcount,
                           " ".join(statement.split())))

    client = app.test_client()
    login(client, args.role)
    change, back = a_move(app, args.moved) if args.moved else (a_change(app), None)
    for page in args.urls:
        statements.clear()
        began = time.perf_counter()
        client.get(page)
        first = (time.perf_counter() - began) * 1000
        first_sql = (len(statements), sum(ms for ms, _rows, _sql in statements))
        if args.after_change:
            change()
        statements.clear()
        began = time.perf_counter()
        response = client.get(page)
        total = (time.perf_counter() - began) * 1000
        spent = sum(ms for ms, _rows, _sql in statements)
        then = "after a change" if args.after_change else "then"
        print(f"{page} as {args.role}: {response.status_code}, first {first:.0f} ms "
              f"({first_sql[0]} statements, {first_sql[1]:.0f} ms in SQL), {then} "
              f"{total:.1f} ms, "
              f"{len(statements)} statements, {spent:.1f} ms in SQL")
        slowest = sorted(statements, reverse=True)
        for ms, rows, sql in slowest[:args.top]:
            print(f"  {ms:8.1f} ms  rows={rows:<6} {sql[:160]}")
        if args.sql and slowest:
            print(slowest[0][2])
        if args.repeat:
            times, statuses = [], set()
            for _ in range(args.repeat):
                began = time.perf_counter()
                statuses.add(client.get(page).status_code)
                times.append((time.perf_counter() - began) * 1000)
            if statuses != {response.status_code}:
                print(f"  the page answered {sorted(statuses)}, not only "
                      f"{response.status_code}: its times say nothing")
            times.sort()
            print(f"  median of {args.repeat} more looks: {times[len(times) // 2]:.1f} ms "
                  f"(fastest {times[0]:.1f}, slowest {times[-1]:.1f})")
        if args.python:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(10):
                client.get(page)
            profile.disable()
            stats = pstats.Stats(profile).sort_stats(args.sort)
            if args.callers:
                stats.print_callers(args.callers)
            else:
                stats.print_stats(args.top * 4)
    if back:  # an odd number of pages: the person comes back to their unit
        back()


def a_move(app, username):
    """(change, back): a change that alternates — `username` leaves their unit for another
    one, then comes back (bench.first_look.mover) — and what brings them back if they are
    still away."""
    leave, come_back = mover(app, username)
    away = []

    def change():
        if away:
            away.pop()
            come_back()
        else:
            away.append(True)
            leave()

    def back():
        if away:
            change()
    return change, back


if __name__ == "__main__":
    main()
