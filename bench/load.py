"""Load test: gunicorn (2 sync workers) on loopback under 50 simulated users (locust,
headless) for 60 s, over the benchmark's data. Writes bench/load-<database>.json.

    .venv/bin/python -m bench.load --docs 1000000 [--database URL]"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from sqlalchemy import func, select

from bench import generate
from bench.run import register_body

ROOT = Path(__file__).resolve().parent
PORT = 8765


def scenario_env(url):
    """What the simulated users need: files to download, the newest id, a register body."""
    from app.documents.models import DocumentFile, IncomingDocument
    from app.extensions import db

    app = generate.bench_app(url)
    with app.app_context():
        files = db.session.execute(select(DocumentFile.incoming_id, DocumentFile.id).where(
            DocumentFile.incoming_id.is_not(None)).limit(200)).all()
        last = db.session.scalar(select(func.max(IncomingDocument.id)))
        body = register_body(db.session, 0)
        body.pop("number_symbol")
    client = app.test_client()
    client.post("/login/", data={"username": "vanthu", "password": generate.DEMO_PASSWORD})
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookie = {name: client.get_cookie(name).value}
    token = client.post("/api/v1/security/login", json={
        "username": "vanthu", "password": generate.DEMO_PASSWORD, "provider": "db"}).get_json()
    return {"BENCH_FILES": ",".join(f"{d}:{f}" for d, f in files),
            "BENCH_LAST_ID": str(last), "BENCH_REGISTER": json.dumps(body),
            "BENCH_SESSION": json.dumps(cookie), "BENCH_TOKEN": token["access_token"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    url = args.database or generate.default_url(args.docs)
    generate.ensure(url, args.docs, args.docs * 3 // 10)
    env = {**os.environ, "BENCH_DATABASE_URL": url, "PYTHONPATH": str(ROOT.parent),
           **scenario_env(url)}
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", "2", "--bind",
                               f"127.0.0.1:{PORT}", "--timeout", "120", "bench.wsgi:app"],
                              env=env, cwd=ROOT.parent, stderr=subprocess.DEVNULL)
    prefix = Path("/tmp") / f"eoffice-load-{os.getpid()}"
    peak = {}
    try:
        time.sleep(15)  # both workers import and build the app
        load = subprocess.Popen([str(bin_dir / "locust"), "-f", str(ROOT / "locustfile.py"),
                                 "--headless", "-u", str(args.users), "-r", "10",
                                 "-t", f"{args.seconds}s", "--host",
                                 f"http://127.0.0.1:{PORT}", "--csv", str(prefix),
                                 "--only-summary"], env=env, cwd=ROOT.parent)
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
        "users": args.users, "seconds": args.seconds, "workers": 2,
        "requests": int(total["Request Count"]), "errors": int(total["Failure Count"]),
        "throughput_rps": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "peak_rss_per_worker_mb": sorted(round(v) for v in peak.values()),
        "by_request": {name: {"requests": int(r["Request Count"]),
                              "errors": int(r["Failure Count"]), "p50_ms": float(r["50%"]),
                              "p95_ms": float(r["95%"]), "p99_ms": float(r["99%"])}
                       for name, r in rows.items() if name != "Aggregated"},
    }
    from sqlalchemy.engine import make_url

    name = make_url(url).get_backend_name()
    (ROOT / f"load-{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
