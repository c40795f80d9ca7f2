"""Scripts and styles come from the browser's own copy after the first page (issue 15). On a
plain-HTTP intranet browsers run no service worker (it needs HTTPS), and a page used to ask the
server again for each of its 28 scripts and styles. Measured in such a browser (service workers
blocked) with Resource Timing: a file that crossed the network has a transfer size, a `304 Not
Modified` included; one from the browser's cache has none.

The other browser tests' pages (watched_page) intercept every request to stop any that would
leave the machine, and Playwright keeps no HTTP cache where it intercepts: this page only
watches its requests, and fails on one to another host."""
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import DEFAULT_TIMEOUT_MS, _is_local, login

pytestmark = pytest.mark.browser

FILES_OF_THE_PAGE = """() => performance.getEntriesByType("resource")
    .filter(e => /^\\/static\\/.*\\.(css|js)$/.test(new URL(e.name).pathname))
    .map(e => [e.name, e.transferSize])"""


def test_a_second_page_asks_the_server_for_no_script_or_style(browser, live_server, app):
    context = browser.new_context(locale="vi-VN", service_workers="block",
                                  viewport={"width": 1366, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    requests = []
    context.on("request", lambda req: requests.append(req.url))
    try:
        page = context.new_page()
        login(page, live_server, "chuyenvien", app.config["DEMO_PASSWORD"])  # the home page
        first = {name for name, _size in page.evaluate(FILES_OF_THE_PAGE)}
        page.goto(f"{live_server}/incoming/list/list/")
        files = page.evaluate(FILES_OF_THE_PAGE)
    finally:
        context.close()
    again = [(name, size) for name, size in files if name in first]
    assert len(again) >= 20, files  # FAB's and ours, on both pages
    fetched = [name for name, size in again if size > 0]
    assert not fetched, fetched
    netloc = urlsplit(live_server).netloc
    assert [url for url in requests if not _is_local(url, netloc)] == []
