"""`make bench`: generate the data if absent, then time each scenario through the real app
(in-process WSGI: the time around `client.get`, i.e. routing, security, queries and template
rendering, without network) for our views and for stock Flask-AppBuilder on the same data.

    .venv/bin/python -m bench.run --docs 1000000 [--database URL] [--repeat 15]

Prints a table and writes bench/results.json (and bench/results-<database>.json)."""
import argparse
import json
import platform
import resource
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, select

from bench import generate, stock_fab
from bench.generate import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent
SLOW_BUDGET_S = 60  # a stock scenario stops repeating after this long
SCENARIOS = [  # key, label
    ("list", "danh sách, mặc định"),
    ("list_sorted", "danh sách, sắp theo cơ quan ban hành"),
    ("page_1000", "trang 1.000"),
    ("last_page", "trang cuối"),
    ("search", "tìm hai từ tiếng Việt («đất đai»)"),
    ("lookup", "tra số, ký hiệu"),
    ("dashboard", "bảng điều khiển / biểu đồ"),
    ("dashboard_cold", "bảng điều khiển, bộ nhớ đệm trống"),
    ("register", "vào sổ một văn bản"),
]


class Statements:
    """Counts the SQL statements the app sends."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args):
        self.count += 1


def login(client, username):
    client.post("/logout/")
    response = client.post("/login/", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code in (200, 302), response.status_code
    token = client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def measure(call, repeat, budget_s=None, warm_up=True):
    """[ms] of `repeat` calls after one warm-up (or fewer when budget_s runs out)."""
    if warm_up:
        response = call()
        assert response.status_code < 400, (response.status_code, response.get_data()[:500])
    times, started = [], time.perf_counter()
    for _i in range(repeat):
        begin = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - begin) * 1000)
        assert response.status_code < 400, response.status_code
        if budget_s and time.perf_counter() - started > budget_s and (
                len(times) >= 3 or not warm_up):
            break
    return times


def percentile(ordered, share):
    """The `share` percentile of sorted `ordered` (the nearest of its ranks; 0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(times):
    ordered = sorted(times)
    return round(statistics.median(ordered), 1), round(percentile(ordered, 0.95), 1), \
        len(ordered)


def sample_document(session, docs):
    """A document to look up: its number/symbol as typed by someone (no diacritics). The same
    one in every run (three quarters into the generated ones), whatever the earlier runs
    registered: symbols differ in cost, runs should compare."""
    from app.core.text import fold
    from app.documents.models import IncomingDocument

    first = session.scalar(select(func.min(IncomingDocument.id)).where(
        IncomingDocument.number_symbol_key.is_not(None)))
    wanted = first + docs * 3 // 4
    row = session.execute(select(IncomingDocument.number_symbol).where(
        IncomingDocument.id >= wanted).order_by(IncomingDocument.id).limit(1)).one()
    return row[0], fold(row[0]).upper()


def register_body(session, number):
    from app.catalogs.models import Agency, DocumentType, Register, SecrecyLevel, UrgencyLevel
    from app.core.timefmt import local_now

    now = local_now()
    return {
        "register_id": session.scalar(select(Register.id).where(
            Register.direction == "in", Register.year == now.year,
            Register.is_secret.is_(False), Register.document_type_id.is_(None))),
        "arrival_at": now.strftime("%Y-%m-%dT%H:%M"), "channel": "paper",
        "agency_id": session.scalar(select(Agency.id).order_by(Agency.id)),
        "number_symbol": f"{number}/BENCH-UBND", "document_date": (now.date() - timedelta(
            days=1)).isoformat(),
        "document_type_id": session.scalar(select(DocumentType.id).order_by(DocumentType.id)),
        "excerpt": "V/v đo hiệu năng vào sổ văn bản đến", "confirm_duplicate": True,
        "urgency_id": session.scalar(select(UrgencyLevel.id).order_by(UrgencyLevel.priority)),
        "secrecy_id": session.scalar(select(SecrecyLevel.id).order_by(SecrecyLevel.level)),
        "backfill_reason": "",
    }


def stock_register_body(body):
    """The stock REST API writes the columns as they are (no numbering, no rules)."""
    return {"state": "registered", "register": body["register_id"],
            "arrival_at": body["arrival_at"] + ":00", "channel": "paper",
            "agency": body["agency_id"], "number_symbol": body["number_symbol"],
            "number_symbol_key": body["number_symbol"].upper(),
            "document_date": body["document_date"], "document_type": body["document_type_id"],
            "excerpt": body["excerpt"], "urgency": body["urgency_id"],
            "secrecy": body["secrecy_id"], "search_text": "",
            "created_at": body["arrival_at"] + ":00", "updated_at": body["arrival_at"] + ":00"}


def run(url, docs, repeat):
    from app.documents.models import IncomingDocument
    from app.extensions import cache, db

    timings = generate.ensure(url, docs, docs * 3 // 10)
    app = generate.bench_app(url)
    stock_fab.register(app, ["Văn thư", "Lãnh đạo cơ quan"])
    client = app.test_client()
    with app.app_context():
        engine, session = db.engine, db.session
        statements = Statements(engine)
        total = session.scalar(select(func.count(IncomingDocument.id)))
        typed_number, lookup = sample_document(session, docs)
        body = register_body(session, 0)
        dialect = engine.dialect.name
    ours, stock = {}, {}
    pages = total // 25

    def get(path, **kw):
        return lambda: client.get(path, **kw)

    counter = iter(range(10**9))

    def post_ours(headers):
        return lambda: client.post("/api/v1/incoming/", headers=headers, json={
            **body, "number_symbol": f"{next(counter)}/BENCH-UBND"})

    def post_stock(headers):
        return lambda: client.post("/api/v1/stockincoming/", headers=headers, json=(
            stock_register_body({**body, "number_symbol": f"{next(counter)}/STOCK-UBND"})))

    # -- ours (the clerk sees every document; the leader reads the dashboard)
    clerk = login(client, "vanthu")
    grid = "/incoming/list/list/"
    ours_calls = {
        "list": get(grid),
        "list_sorted": get(grid, query_string={"_oc_IncomingView": "agency",
                                               "_od_IncomingView": "asc"}),
        "page_1000": get(grid, query_string={"page_IncomingView": 999}),
        "last_page": get(grid, query_string={"last": 1}),
        "search": get(grid, query_string={"q": "đất đai"}),
        "lookup": get(grid, query_string={"q": lookup}),
        "register": post_ours(clerk),
    }
    for key, call in ours_calls.items():
        ours[key] = measure(call, repeat)
    before = statements.count
    client.get(grid)
    sql_per_page = statements.count - before
    leader = login(client, "lanhdao")
    ours["dashboard"] = measure(get("/stats/dashboard"), repeat)  # figures from the cache

    def dashboard_cold():  # every figure computed: the first look after a change
        with app.app_context():
            cache.clear()
        return client.get("/stats/dashboard")

    ours["dashboard_cold"] = measure(dashboard_cold, min(repeat, 5))
    before = statements.count
    client.get("/stats/dashboard")
    sql_dashboard = statements.count - before
    rss_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # -- stock Flask-AppBuilder, same data, same process, after ours (its chart's memory)
    clerk = login(client, "vanthu")
    view = "/stockincoming/list/"
    stock_calls = {
        "list": get(view),
        "list_sorted": get(view, query_string={"_oc_StockIncomingView": "agency.name",
                                               "_od_StockIncomingView": "asc"}),
        "page_1000": get(view, query_string={"page_StockIncomingView": 999}),
        "last_page": get(view, query_string={"page_StockIncomingView": pages}),
        "search": get(view, query_string={"_flt_2_excerpt": "đất đai"}),  # "contains"
        "lookup": get(view, query_string={"_flt_2_number_symbol": typed_number}),
        "register": post_stock(clerk),
    }
    for key, call in stock_calls.items():
        stock[key] = measure(call, repeat, SLOW_BUDGET_S)
    before = statements.count
    client.get(view)
    sql_stock = statements.count - before
    login(client, "lanhdao")
    # a minute or more and gigabytes per request at a million rows: measured once, cold
    stock["dashboard"] = measure(get("/stockchart/chart/"), 1, warm_up=False)
    stock["dashboard_cold"] = stock["dashboard"]  # stock FAB has no cache
    rss_all = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del leader

    results = {}
    for key, label in SCENARIOS:
        median, p95, runs = summary(ours[key])
        stock_median, stock_p95, stock_runs = summary(stock[key])
        results[key] = {"label": label, "project_ms": median, "p95_ms": p95, "runs": runs,
                        "stock_fab_ms": stock_median, "stock_fab_p95_ms": stock_p95,
                        "stock_fab_runs": stock_runs,
                        "speedup": round(stock_median / median, 1) if median else None}
    meta = {
        "database": dialect, "incoming_documents": total, "docs_requested": docs,
        "measured": "in-process WSGI (Flask test client), server time, median and p95",
        "sql_statements_per_list_page": {"project": sql_per_page, "stock_fab": sql_stock,
                                         "project_dashboard": sql_dashboard},
        "peak_rss_mb": {"project": round(rss_ours), "with_stock_fab": round(rss_all)},
        "generation_s": timings, "machine": machine(), "date": date.today().isoformat(),
        "repeat": repeat,
    }
    return results, meta


def machine():
    import os

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in
                   Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), None)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory,
            "python": platform.python_version(), "system": platform.platform()}


# The PostgreSQL server's settings that decide whether the data is read from its own memory
# (docs/deploy.md recommends them for a million documents); recorded beside the figures.
SERVER_SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem")


def server_settings(url) -> dict:
    """{setting: value} of the PostgreSQL server behind `url` (SERVER_SETTINGS); {} for
    SQLite."""
    from sqlalchemy import create_engine, text

    if not str(url).startswith("postgresql"):
        return {}
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {name: connection.execute(text(f"SHOW {name}")).scalar()
                    for name in SERVER_SETTINGS}
    finally:
        engine.dispose()


def print_table(results, meta):
    print(f"\n{meta['incoming_documents']:,} văn bản đến — {meta['database']} — "
          f"{meta['measured']}")
    print(f"{'kịch bản':40} {'ours ms':>9} {'p95':>8} {'stock FAB':>10} {'p95':>9} {'×':>7}")
    for row in results.values():
        print(f"{row['label']:40} {row['project_ms']:>9} {row['p95_ms']:>8} "
              f"{row['stock_fab_ms']:>10} {row['stock_fab_p95_ms']:>9} {row['speedup']:>7}")
    sql = meta["sql_statements_per_list_page"]
    print(f"SQL statements per list page: ours {sql['project']}, stock FAB {sql['stock_fab']}; "
          f"dashboard {sql['project_dashboard']}")
    print(f"Peak RSS: ours {meta['peak_rss_mb']['project']} MB, after stock FAB "
          f"{meta['peak_rss_mb']['with_stock_fab']} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    url = args.database or generate.default_url(args.docs)
    started = datetime.now()
    results, meta = run(url, args.docs, args.repeat)
    meta["run_s"] = round((datetime.now() - started).total_seconds())
    print_table(results, meta)
    document = {**results, "_meta": meta}
    for name in ("results.json", f"results-{meta['database']}.json"):
        (ROOT / name).write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    print(f"→ {ROOT / 'results.json'}")


if __name__ == "__main__":
    main()
