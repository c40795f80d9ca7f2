"""Load test: gunicorn (2 sync workers) on loopback under 50 simulated users (locust,
headless), over the benchmark's data, the roles mixed as in an agency (1 clerk, 3 leaders,
6 unit leaders, 40 officers; bench/locustfile.py). The workers have just started and the
cache is emptied; the 50 people arrive in 5 s. Measured apart (exact percentiles of every
request): the start (the first --start seconds: every account's first looks, the
dashboards' round) and the minute of work after it (--seconds), the goal's figure; the
whole run as locust counts it. Writes bench/load-<database>.json: totals, the two phases,
per request ("<role>: <page>") and per role.

    .venv/bin/python -m bench.load --docs 1000000 [--database URL] [--users 50] [--seconds 60]
                                   [--start 20] [--workers 2] [--cache redis|worker]"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from sqlalchemy import select

from bench import generate
from bench.run import machine, percentile, register_body, server_settings

ROOT = Path(__file__).resolve().parent
PORT = 8765
REDIS = "redis://127.0.0.1:6379/15"  # the load test's own database of the local Redis


# role → its accounts of the demo agency; the simulated users of a role take them in turn.
ACCOUNTS = {"clerk": ["vanthu"], "leader": ["lanhdao", "pgd.nga", "lanhdaovp"],
            "unit_leader": ["truongphong", "tp.tcbc", "tp.xdcq", "ccvtlt", "chanh.thanhtra",
                            "tdkt"],
            "officer": ["chuyenvien", "cv.tcbc1", "cv.tcbc2", "cv.xdcq", "cv.cchc",
                        "cv.thanhtra", "cv.vtlt"]}
MIX = {"clerk": 1, "leader": 3, "unit_leader": 6, "officer": 40}  # of 50 users (issue 15)
SHOWN = 500  # visible documents per account the users open: its newest


def mix(users):
    """role → users: MIX scaled to `users`, at least one of each; the officers the rest."""
    counts = {role: max(1, round(users * share / sum(MIX.values())))
              for role, share in MIX.items() if role != "officer"}
    return {**counts, "officer": max(1, users - sum(counts.values()))}


def scenario_env(url):
    """What the simulated users need: files to download, a register body, and per role its
    accounts, each logged in once (session cookie, token) with the newest incoming ids it may
    see (app.documents.access.visible_incoming)."""
    from app.documents.access import visible_incoming
    from app.documents.models import DocumentFile, IncomingDocument
    from app.extensions import db
    from app.org.models import EofficeUser

    app = generate.bench_app(url)
    with app.app_context():
        files = db.session.execute(select(DocumentFile.incoming_id, DocumentFile.id).where(
            DocumentFile.incoming_id.is_not(None)).limit(200)).all()
        body = register_body(db.session, 0)
        body.pop("number_symbol")
        shown = {}
        for username in (name for names in ACCOUNTS.values() for name in names):
            person = db.session.scalar(select(EofficeUser).where(
                EofficeUser.username == username))
            shown[username] = db.session.scalars(select(IncomingDocument.id).where(
                visible_incoming(person)).order_by(IncomingDocument.id.desc())
                .limit(SHOWN)).all()
    # Logged in outside that context: inside it the logins' requests share its database
    # session, and every other account's server-side session was lost (a 302 to the login).
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    env = {}
    for role, usernames in ACCOUNTS.items():
        accounts = []
        for username in usernames:
            if not shown[username]:
                raise SystemExit(f"{username} sees no incoming document")
            client = app.test_client()
            client.post("/login/", data={"username": username,
                                         "password": generate.DEMO_PASSWORD})
            token = client.post("/api/v1/security/login", json={
                "username": username, "password": generate.DEMO_PASSWORD,
                "provider": "db"}).get_json()
            accounts.append({"cookie": {name: client.get_cookie(name).value},
                             "token": token["access_token"], "ids": shown[username]})
        env[f"BENCH_{role.upper()}"] = json.dumps(accounts, separators=(",", ":"))
    return {**env, "BENCH_FILES": ",".join(f"{d}:{f}" for d, f in files),
            "BENCH_REGISTER": json.dumps(body)}


def figures(samples) -> dict:
    times = sorted(ms for _at, ms, _failed, _name in samples)
    seconds = (samples[-1][0] - samples[0][0]) if len(samples) > 1 else 0
    return {"requests": len(samples), "errors": sum(failed for _a, _m, failed, _n in samples),
            "throughput_rps": round(len(samples) / seconds, 1) if seconds else 0.0,
            **{f"p{p}_ms": percentile(times, p / 100) for p in (50, 95, 99)},
            "max_ms": times[-1] if times else 0.0}


def waited(samples, top=8) -> dict:
    """The kinds of request the people waited on most (their summed time), with their p95."""
    kinds = {}
    for _at, ms, _failed, name in samples:
        kinds.setdefault(name, []).append(ms)
    return {name: {"requests": len(times), "waited_s": round(sum(times) / 1000, 1),
                   "p95_ms": percentile(sorted(times), 0.95)}
            for name, times in sorted(kinds.items(), key=lambda kind: -sum(kind[1]))[:top]}


def phases(samples, start: int) -> dict:
    """The goal's figures: the requests sent after the first `start` seconds (the minute of
    work), at the top level; the start apart, under "start"."""
    samples = sorted((at - ms / 1000, ms, failed, name) for at, ms, failed, name in samples)
    if not samples:
        return figures([])
    began = samples[0][0]
    first = [s for s in samples if s[0] < began + start]
    return {**figures([s for s in samples if s[0] >= began + start]),
            "start": {"seconds": start, **figures(first), "waited_most": waited(first)}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60, help="the minute of work measured")
    parser.add_argument("--start", type=int, default=20,
                        help="the start before it, measured apart (workers and cache cold)")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn's sync workers (docs/deploy.md: 2..4 on two cores)")
    parser.add_argument("--cache", choices=("redis", "worker"), default="redis",
                        help="the app cache: one Redis for both workers, as docs/deploy.md "
                             "sets up several workers (emptied first), or one per worker")
    parser.add_argument("--keep-cache", action="store_true",
                        help="a restart of the workers alone: the Redis cache as the last run "
                             "left it (bench/load-<database>-cache-kept.json)")
    parser.add_argument("--no-warm", dest="warm", action="store_false",
                        help="without the dashboard warmer (on by default, as deployed)")
    args = parser.parse_args()
    url = args.database or generate.default_url(args.docs)
    generate.ensure(url, args.docs, args.docs * 3 // 10)
    roles = mix(args.users)
    prefix = Path("/tmp") / f"eoffice-load-{os.getpid()}"
    env = {**os.environ, "BENCH_DATABASE_URL": url, "PYTHONPATH": str(ROOT.parent),
           "BENCH_MIX": json.dumps(roles), "BENCH_BY_ROLE": f"{prefix}_by_role.json",
           "BENCH_SAMPLES": f"{prefix}_samples.json",
           "BENCH_WARM": "1" if args.warm else "0", **scenario_env(url)}
    if args.cache == "redis":
        import redis

        if not args.keep_cache:
            redis.Redis.from_url(REDIS).flushdb()  # nothing remembered from an earlier run
        env["CACHE_REDIS_URL"] = REDIS
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", str(args.workers),
                               "--bind", f"127.0.0.1:{PORT}", "--timeout", "120",
                               "bench.wsgi:app"],
                              env=env, cwd=ROOT.parent, stderr=subprocess.DEVNULL)
    peak = {}
    try:
        time.sleep(15)  # both workers import and build the app
        load = subprocess.Popen([str(bin_dir / "locust"), "-f", str(ROOT / "locustfile.py"),
                                 "--headless", "-u", str(sum(roles.values())), "-r", "10",
                                 "-t", f"{args.start + args.seconds}s", "--host",
                                 f"http://127.0.0.1:{PORT}", "--csv", str(prefix),
                                 "--only-summary", "--csv-full-history"], env=env,
                                cwd=ROOT.parent)
        while load.poll() is None:  # peak RSS of each worker while under load
            for child in psutil.Process(server.pid).children():
                rss = child.memory_info().rss / 2**20
                peak[child.pid] = max(peak.get(child.pid, 0), rss)
            time.sleep(1)
    finally:
        server.terminate()
        server.wait()
    rows = {row["Name"]: row for row in csv.DictReader(open(f"{prefix}_stats.csv"))}
    total = rows["Aggregated"]
    report = {
        "users": sum(roles.values()), "mix": roles, "seconds": args.seconds,
        "workers": args.workers, "cache": args.cache, "warmer": args.warm,
        **phases(json.loads(Path(f"{prefix}_samples.json").read_text()), args.start),
        "whole_run": {"seconds": args.start + args.seconds,
                      "requests": int(total["Request Count"]),
                      "errors": int(total["Failure Count"]),
                      "throughput_rps": round(float(total["Requests/s"]), 1),
                      "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]),
                      "p99_ms": float(total["99%"])},
        "peak_rss_per_worker_mb": sorted(round(v) for v in peak.values()),
        "by_request": {name: {"requests": int(r["Request Count"]),
                              "errors": int(r["Failure Count"]), "p50_ms": float(r["50%"]),
                              "p95_ms": float(r["95%"]), "p99_ms": float(r["99%"])}
                       for name, r in rows.items() if name != "Aggregated"},
        "by_role": json.loads(Path(f"{prefix}_by_role.json").read_text()),
        "machine": machine(), "server": server_settings(url),
    }
    from sqlalchemy.engine import make_url

    name = make_url(url).get_backend_name()
    report["cache_kept"] = args.keep_cache
    suffix = "-cache-kept" if args.keep_cache else ""
    (ROOT / f"load-{name}{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
