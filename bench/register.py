"""A registration through the REST API, as the clerk's program sends it (issue 15: ≤ 20 ms), on
the bench data, in-process as bench/walk.py:

    .venv/bin/python -m bench.register [--database URL] [--repeat 31] [--statements]

A client holding only the token (no cookie) posts `repeat` registrations after three to warm
up; the median, the fastest and the p90 are printed with the statements one registration
sends (`--statements`: each with its time, the commit marked), and written to
bench/register-<database>.json. Each registration is a new document of the bench data's
current register."""
import argparse
import json
import random
import statistics
import time
from pathlib import Path

from sqlalchemy import event

from bench import generate
from bench.run import login, register_body

ROOT = Path(__file__).resolve().parent
WARM_UP = 3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--statements", action="store_true")
    args = parser.parse_args()
    url = args.database or generate.default_url(args.docs)
    app = generate.bench_app(url)

    from app.extensions import db

    headers = login(app.test_client(), "vanthu")
    api = app.test_client()  # the token only, as a program calling the API
    with app.app_context():
        body = register_body(db.session, 0)
        engine = db.engine
    sent = []  # [(ms, statement)] of the registration being measured
    started = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn, _cursor, statement, *_args):
        started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn, _cursor, statement, *_args):
        sent.append(((time.perf_counter() - started.pop()) * 1000, " ".join(statement.split())))

    @event.listens_for(engine, "commit")
    def _commit(_conn):
        sent.append((None, "COMMIT"))

    first = random.randint(10**6, 10**9)  # numbers/symbols no earlier run used

    def register(i):
        sent.clear()
        start = time.perf_counter()
        response = api.post("/api/v1/incoming/", headers=headers,
                            json={**body, "number_symbol": f"{first + i}/BENCH-UBND"})
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 201, response.get_data(as_text=True)[:300]
        return elapsed

    for i in range(WARM_UP):
        register(i)
    times = sorted(register(WARM_UP + i) for i in range(args.repeat))
    statements = [s for ms, s in sent if ms is not None]
    dialect = engine.dialect.name
    result = {"database": dialect, "repeat": args.repeat,
              "median_ms": round(statistics.median(times), 1), "min_ms": round(times[0], 1),
              "p90_ms": round(times[int(len(times) * 0.9) - 1], 1),
              "statements": len(statements)}
    print(f"{dialect}: registration median {result['median_ms']} ms, fastest "
          f"{result['min_ms']} ms, p90 {result['p90_ms']} ms, {len(statements)} statements")
    if args.statements:
        for ms, statement in sent:
            print("   COMMIT" if ms is None else f"{ms:6.2f} {statement[:110]}")
    (ROOT / f"register-{dialect}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
