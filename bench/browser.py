"""What a person waits for in the browser: the daily pages of each role opened in Debian's
Chromium (Playwright), as on a plain-HTTP intranet — where browsers run no service worker — or
as the installed app (`--service-workers allow`).

    .venv/bin/python -m bench.browser --docs 1000000 [--database URL] [--repeat 5]
                                      [--role chuyenvien] [--service-workers allow]

The server is the application in this process (werkzeug, threaded, on 127.0.0.1): its time is
in `bench.walk`; this measures what comes on top, in the browser. Each role logs in through the
form and opens its daily pages once, then `--repeat` times in turn, as a working day does. Per
page (the median of the repeats): the load time (Navigation Timing: the request to the end of
the `load` event, scripts and styles included), and how many of the page's files crossed the
network (a `304 Not Modified` included: Resource Timing's transfer size). Writes
bench/browser-<database>.json."""
import argparse
import json
import statistics
import threading
from datetime import date
from pathlib import Path

from werkzeug.serving import make_server

from bench import generate
from bench.run import machine
from bench.walk import ACCOUNTS

ROOT = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
PAGES = ("/", "/incoming/list/list/", "/outgoing/list/list/", "/drafts/list/list/",
         "/notifications/", "/schedule/week")
TIMING = """() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const files = performance.getEntriesByType("resource");
    return {load_ms: nav.loadEventEnd - nav.startTime,
            files: files.length,
            fetched: files.filter(f => f.transferSize > 0).length,
            fetched_bytes: files.reduce((sum, f) => sum + f.transferSize, 0)}; }"""


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def role_pages(browser, base, account, repeat, service_workers):
    context = browser.new_context(locale="vi-VN", service_workers=service_workers,
                                  viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base}/login/")
        page.fill("#username", account)
        page.fill("#password", generate.DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form [type=submit]")
        seen = {path: [] for path in PAGES}
        for round_ in range(repeat + 1):  # the first round opens each page once
            for path in PAGES:
                response = page.goto(f"{base}{path}", wait_until="load")
                if response is None or response.status != 200:
                    seen.pop(path, None)
                    continue
                if round_ and path in seen:
                    seen[path].append(page.evaluate(TIMING))
        return {path: {"load_ms": round(statistics.median(t["load_ms"] for t in runs), 1),
                       "files": runs[-1]["files"],
                       "fetched": round(statistics.median(t["fetched"] for t in runs)),
                       "fetched_kb": round(statistics.median(
                           t["fetched_bytes"] for t in runs) / 1024, 1)}
                for path, runs in seen.items() if runs}
    finally:
        context.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--role", action="append", help="a demo account (repeatable)")
    parser.add_argument("--service-workers", choices=("block", "allow"), default="block",
                        help="block: a plain-HTTP intranet (the default); allow: the "
                             "installed app over HTTPS")
    args = parser.parse_args()
    url = args.database or generate.default_url(args.docs)
    generate.ensure(url, args.docs, args.docs * 3 // 10)
    app = generate.bench_app(url)
    server, base = serve(app)
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            for role, account in ACCOUNTS.items():
                if args.role and account not in args.role:
                    continue
                results[account] = {"role": role, "pages": role_pages(
                    browser, base, account, args.repeat, args.service_workers)}
        finally:
            browser.close()
            server.shutdown()
    print("| role | page | load ms (median) | files | over the network | kB |")
    print("|---|---|---:|---:|---:|---:|")
    for account, result in results.items():
        for path, row in result["pages"].items():
            print(f"| {account} | {path} | {row['load_ms']} | {row['files']} | "
                  f"{row['fetched']} | {row['fetched_kb']} |")
    database = "postgresql" if url.startswith("postgresql") else "sqlite"
    (ROOT / f"browser-{database}.json").write_text(json.dumps(
        {"results": results, "machine": machine(), "date": date.today().isoformat(),
         "docs": args.docs, "repeat": args.repeat, "service_workers": args.service_workers},
        ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
