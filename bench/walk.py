"""`make bench-walk`: every GET page of the web, for each of the six roles, at a decade of
documents (the data of `make bench`) — not chosen scenarios, the whole surface.

    .venv/bin/python -m bench.walk --docs 1000000 [--database URL] [--repeat 5] [--role vanthu]

The pages are the GET routes of the URL map (the same list the permission matrix test walks:
tests/test_permission_matrix.py), each opened by each role's demo account. A route with an id
in it is opened with a real id that the role may see (its newest visible row, by the domain's
own visibility rule) — an officer's document page is an officer's document. Routes that change
something or send a file (delete, actions, downloads, feeds) are not pages and are left out; a
page the role may not open (403, a redirect to the login) is listed as such, not timed.

Each page: a look, a change of the data (an agency's phone number, audited: the data's version
moves on), the first look after it (what was remembered for the version before is read again:
`first_ms`), then `--repeat` looks (fewer for a page slower than a second; their median is the
page's time, as a reader sees it looking again); server time in-process (the Flask test
client: routing, security, queries, template). Prints the slowest 20 pages per role (with
the statements of their last look: a statement per row shows), the 5 that send the most
statements, and the goals table (issue 15): every page ≤ 100 ms, the daily pages ≤ 30 ms,
the lookup of an exact number/symbol (the newest incoming and outgoing document the person
may see) ≤ 10 ms, for every role, and how many daily pages are over 30 ms at the first look
after a change, and the process's peak memory after the whole walk (≤ 300 MB, as a worker's); writes
bench/walk-<database>.json; exits 1 when a goal is missed."""
import argparse
import json
import re
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import event, select

from bench import generate
from bench.run import login, machine, server_settings

ROOT = Path(__file__).resolve().parent
ACCOUNTS = {  # role → demo account (README), as the tests
    "Văn thư": "vanthu", "Lãnh đạo cơ quan": "lanhdao", "Lãnh đạo văn phòng": "lanhdaovp",
    "Lãnh đạo đơn vị": "truongphong", "Chuyên viên": "chuyenvien", "Quản trị mạng": "quantri",
}
PAGE_BUDGET_MS = 100
DAILY_BUDGET_MS = 30
MEMORY_BUDGET_MB = 300  # a worker after the whole walk (issue 15)
# The daily pages (issue 15): home, the grids and inboxes, search, a document, the dashboard.
DAILY = re.compile(r"^/$|^/(incoming|outgoing|drafts|request|news|dossiers|copies)/list/list/$"
                   r"|^/incoming/(\d+|overdue)$|^/outgoing/\d+$|^/drafts/\d+$"
                   r"|^/stats/dashboard$|^/notifications/|\?q=")
# Not pages: they change something, send a file (downloads and exports: `make bench` and the
# register tests measure those), or belong to FAB's internals.
NOT_PAGES = re.compile(
    r"^/(static|appbuilder|swagger|api)/|^/(logout|lang)/|/delete/|/action/|/choices/"
    r"|/download|/files/|\.(png|edxml|ics|xlsx|pdf)$|/pdf$|/signed-copy$|^/backups/"
    r"|^/imports/<|^/schedule/feed/|/stamp/|/stamped$|^/news/image/|/first-page|/export$")
SEARCHES = ("đất đai", "quyết định")  # two Vietnamese words, then a number/symbol typed
LOOKUP_BUDGET_MS = 10  # the exact number/symbol of a document the reader may see
LOOKUP = "<số, ký hiệu>"


def _id_finders():
    """rule prefix → (session, user) → the newest id the user may see, by the domain's own
    visibility rule; None when there is none."""
    from app.copies.access import visible_copies
    from app.copies.models import ElectronicCopy
    from app.documents.access import visible_incoming
    from app.documents.models import IncomingDocument
    from app.dossiers.access import visible_dossier
    from app.dossiers.models import Dossier
    from app.news.access import visible_news
    from app.news.models import NewsItem
    from app.outgoing.access import visible_draft, visible_outgoing
    from app.outgoing.models import Draft, OutgoingDocument
    from app.request_forms.access import visible_requests
    from app.request_forms.models import RequestForm

    def newest(model, condition):
        return lambda session, user: session.scalar(
            select(model.id).where(condition(user)).order_by(model.id.desc()).limit(1))

    return {
        "/incoming/": newest(IncomingDocument, visible_incoming),
        "/outgoing/": newest(OutgoingDocument, visible_outgoing),
        "/drafts/": newest(Draft, visible_draft),
        "/dossiers/": newest(Dossier, visible_dossier),
        "/news/": newest(NewsItem, visible_news),
        "/request/": newest(RequestForm, visible_requests),
        "/copies/": newest(ElectronicCopy, visible_copies),
        "/rights/person/": lambda session, user: user.id,
    }


def pages_of(app, session, user, finders):
    """[(label, url)] of the GET pages of the URL map for this person, ids filled in."""
    views = {view.blueprint.name: view for view in app.appbuilder.baseviews
             if getattr(view, "blueprint", None) is not None}
    pages, skipped = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or NOT_PAGES.search(rule.rule):
            continue
        if not rule.arguments:
            pages.append((rule.rule, rule.rule))
            continue
        url = _filled(rule, session, user, finders, views)
        (pages.append((rule.rule, url)) if url else skipped.append(rule.rule))
    for words in SEARCHES:
        for grid in ("/incoming/list/list/", "/outgoing/list/list/"):
            pages.append((f"{grid}?q={words}", f"{grid}?q={words}"))
    for grid, symbol in _lookups(session, user):
        pages.append((f"{grid}?q={LOOKUP}", f"{grid}?q={quote(symbol)}"))
    return pages, skipped


def _lookups(session, user):
    """[(grid, number/symbol)]: the newest incoming and outgoing document the person may see,
    looked up by its number and symbol as typed (issue 15: ≤ 10 ms for every role)."""
    from app.documents.access import visible_incoming
    from app.documents.models import IncomingDocument
    from app.outgoing.access import visible_outgoing
    from app.outgoing.models import OutgoingDocument

    found = []
    for grid, model, visible in (("/incoming/list/list/", IncomingDocument, visible_incoming),
                                 ("/outgoing/list/list/", OutgoingDocument, visible_outgoing)):
        symbol = session.scalar(select(model.number_symbol).where(visible(user))
                                .order_by(model.id.desc()).limit(1))
        if symbol:
            found.append((grid, symbol))
    return found


def _filled(rule, session, user, finders, views):
    arguments = sorted(rule.arguments)
    finder = next((f for prefix, f in finders.items() if rule.rule.startswith(prefix)), None)
    if finder is None and arguments == ["pk"]:  # a FAB model view: its first row
        view = views.get(rule.endpoint.rpartition(".")[0])
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if model is not None:
            key = model.__mapper__.primary_key[0]
            finder = lambda s, _u: s.scalar(select(key).order_by(key).limit(1))  # noqa: E731
    if finder is None or len(arguments) != 1:
        return None
    found = finder(session, user)
    return None if found is None else re.sub(r"<[^<>]+>", str(found), rule.rule)


def measure(client, url, repeat, change=None, sent=None):
    """(status, first look in ms, [the looks after it]). `change()` first: the first look is
    the one right after a change of the data (the page was seen at the version before: what
    was remembered for it is read again), the others at one version (the page as a reader sees
    it looking again). `sent`: a list counting the statements sent to the database, left with
    those of the last look."""
    if change:
        client.get(url)  # seen before the change, as a reader has: not measured
        change()
    begin = time.perf_counter()
    response = client.get(url)
    first = (time.perf_counter() - begin) * 1000
    status = response.status_code
    if status >= 400 or (status in (301, 302, 303) and "/login" in response.location):
        return status, None, []
    times = []
    for _i in range(repeat if first < 1000 else 2):
        if sent is not None:
            sent.clear()
        begin = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - begin) * 1000)
    return status, first, times


def a_change(app):
    """A change of the data as any other: an agency's phone number written and audited (the
    data's version moves on, app.audit.version; no figure of the dashboard's months moves)."""
    from app.catalogs.models import Agency
    from app.extensions import db

    def change():
        with app.test_request_context():
            agency = db.session.scalar(select(Agency).order_by(Agency.id).limit(1))
            agency.phone = "0243" if agency.phone != "0243" else "0244"
            db.session.commit()
            db.session.remove()
    return change


def walk(url, docs, repeat, only=None):
    from app.extensions import db
    from app.org.models import EofficeUser

    generate.ensure(url, docs, docs * 3 // 10)
    app = generate.bench_app(url)
    client = app.test_client()
    finders = _id_finders()
    change = a_change(app)
    sent = []  # the statements of a page's last look (a statement per row shows here)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_args: sent.append(1))
    results = {}
    for role, account in ACCOUNTS.items():
        if only and account not in only:
            continue
        login(client, account)
        with app.app_context():
            person = db.session.scalar(select(EofficeUser).where(
                EofficeUser.username == account))
            pages, skipped = pages_of(app, db.session, person, finders)
            db.session.remove()
        rows = []
        for label, page in pages:
            status, first, times = measure(client, page, repeat, change, sent)
            rows.append({"page": label, "url": page, "status": status,
                         "median_ms": round(statistics.median(times), 1) if times else None,
                         "max_ms": round(max(times), 1) if times else None,
                         "first_ms": round(first, 1) if times else None,
                         "statements": len(sent) if times else None,
                         "daily": bool(DAILY.search(page)), "lookup": LOOKUP in label})
            print(f"{account:12} {status} {rows[-1]['median_ms'] or '-':>9} "
                  f"{rows[-1]['first_ms'] or '-':>9} {page}", file=sys.stderr)
        results[account] = {"role": role, "pages": rows, "no_id": skipped}
    return results


def goals(results):
    """(met, lines): the goals table of issue 15 over the walk."""
    lines, met = [], True
    for account, result in results.items():
        timed = [r for r in result["pages"] if r["median_ms"] is not None]
        over = [r for r in timed if r["median_ms"] > PAGE_BUDGET_MS]
        daily_over = [r for r in timed if r["daily"] and r["median_ms"] > DAILY_BUDGET_MS]
        first_over = [r for r in timed if r["daily"] and r["first_ms"] > DAILY_BUDGET_MS]
        lookups = [r for r in timed if r.get("lookup")]
        lookup_over = [r for r in lookups if r["median_ms"] > LOOKUP_BUDGET_MS]
        met &= not over and not daily_over and not lookup_over
        lines.append(f"| {result['role']} ({account}) | {len(timed)} | "
                     f"{max((r['median_ms'] for r in timed), default=0)} | "
                     f"{len(over) or 'met'} | {len(daily_over) or 'met'} | "
                     f"{(len(lookup_over) or 'met') if lookups else '—'} | "
                     f"{len(first_over)} | "
                     f"{max((r['first_ms'] for r in timed if r['daily']), default=0)} |")
    return met, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--role", action="append", help="a demo account (repeatable)")
    args = parser.parse_args()
    url = args.database or generate.default_url(args.docs)
    results = walk(url, args.docs, args.repeat, args.role)
    for account, result in results.items():
        timed = sorted((r for r in result["pages"] if r["median_ms"] is not None),
                       key=lambda r: -r["median_ms"])
        print(f"\n{result['role']} ({account}): {len(timed)} pages timed, "
              f"{len(result['pages']) - len(timed)} not theirs, "
              f"{len(result['no_id'])} without an id to open")
        for row in timed[:20]:
            budget = LOOKUP_BUDGET_MS if row.get("lookup") else \
                DAILY_BUDGET_MS if row["daily"] else PAGE_BUDGET_MS
            mark = "*" if row["median_ms"] > budget else " "
            print(f"  {mark} {row['median_ms']:>9.1f} ms  (first look {row['first_ms']:>7.1f},"
                  f" {row['statements']:>3} statements)  {row['url']}")
        most = sorted(timed, key=lambda r: -r["statements"])[:5]
        print("  most statements: " + ", ".join(f"{r['url']} {r['statements']}" for r in most))
    met, lines = goals(results)
    print("\n| role | pages | slowest ms | pages > 100 ms | daily pages > 30 ms | lookups > 10 ms"
          " | daily pages > 30 ms at the first look after a change | slowest daily first look ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(lines))
    peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: KB
    memory_met = peak_mb <= MEMORY_BUDGET_MB
    met = met and memory_met
    print(f"\nBộ nhớ lớn nhất của tiến trình sau cả lượt: {peak_mb} MB (mục tiêu ≤ "
          f"{MEMORY_BUDGET_MB} MB: {'đạt' if memory_met else 'CHƯA ĐẠT'}).")
    database = "postgresql" if url.startswith("postgresql") else "sqlite"
    (ROOT / f"walk-{database}.json").write_text(json.dumps(
        {"results": results, "machine": machine(), "server": server_settings(url),
         "date": date.today().isoformat(), "docs": args.docs, "repeat": args.repeat,
         "peak_rss_mb": peak_mb}, ensure_ascii=False, indent=1))
    print("\nMục tiêu: đạt." if met else "\nMục tiêu: CHƯA ĐẠT (các trang đánh dấu *).")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
