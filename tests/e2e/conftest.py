"""Browser fixtures: the seeded app on a live port, Debian's Chromium through Playwright, and a
page that fails its test on any request leaving the server or any uncaught script error.

Never `playwright install`: the browser is /usr/bin/chromium (CI installs the Debian package).
"""
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-output" / "screenshots"
HARMLESS_SCHEMES = ("data:", "blob:")
# Both passes of CI share two cores with two browsers: a step may take seconds there.
DEFAULT_TIMEOUT_MS = 15_000


expect.set_options(timeout=DEFAULT_TIMEOUT_MS)  # what a page shows, as long as an action


# What a person sees and does in the browser is the same whatever database is under the
# server: the browser tests run once, in the SQLite pass (`make test`), and the PostgreSQL pass
# of CI runs the suite's other tests (the same flows through the test client and the API, on
# PostgreSQL). One journey runs on both, the server threaded under a browser on PostgreSQL: the
# incoming document from its registration (numbering) to its handling and search.
ON_BOTH_DATABASES = {"test_incoming_journey.py"}
_ONCE = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                           reason="the browser's side: run once, in the SQLite pass")


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e drives a browser: mark it `browser` (registered in pytest.ini),
    and run it once (above) unless its file is on both databases."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if item.path.name not in ON_BOTH_DATABASES:
                item.add_marker(_ONCE)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def live_server(app):
    """The session's seeded app on 127.0.0.1 and a free port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package to run the "
                    "browser tests (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def _is_local(url: str, netloc: str) -> bool:
    if url.startswith(HARMLESS_SCHEMES):
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc == netloc


class PageGuard:
    """What a page did that a test must not allow: requests leaving the live server, uncaught
    script errors. Checked right after the test body (a failure of the test) and again at
    teardown for anything that came later."""

    def __init__(self, netloc: str):
        self.netloc = netloc
        self.requests: list[str] = []
        self.page_errors: list[str] = []
        self.reported = ""

    def problems(self) -> str:
        foreign = sorted({url for url in self.requests if not _is_local(url, self.netloc)})
        found = []
        if foreign:
            found.append(f"requests to hosts other than {self.netloc}:\n  " + "\n  ".join(foreign))
        if self.page_errors:
            found.append("uncaught page errors:\n  " + "\n  ".join(self.page_errors))
        return "\n".join(found)

    def check(self) -> None:
        problems = self.problems()
        if problems and problems != self.reported:  # each finding fails the test once
            self.reported = problems
            pytest.fail(problems, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    guard = getattr(item, "_page_guard", None)
    if guard is not None:
        guard.check()
    return result


@contextmanager
def watched_page(browser, live_server, request, shot_prefix="", **options):
    """A fresh context (vi-VN, `options` for the viewport, touch...) and page. The test fails
    if any request went to another host than the live server (data: and blob: URLs aside), or
    if the page raised an uncaught error. Requests to other hosts are also aborted, so nothing
    leaves the machine. A failed test leaves a screenshot."""
    guard = PageGuard(urlsplit(live_server).netloc)
    context = browser.new_context(locale="vi-VN", **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    # context-wide, so popups and new tabs are watched too
    context.on("request", lambda req: guard.requests.append(req.url))
    context.route(lambda url: not _is_local(url, guard.netloc), lambda route: route.abort())
    page = context.new_page()
    page.on("pageerror", lambda error: guard.page_errors.append(f"{page.url}: {error}"))
    # A script or style our Content-Security-Policy blocked is a broken page too.
    page.on("console", lambda message: guard.page_errors.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    request.node._page_guard = guard
    try:
        yield page
        call = getattr(request.node, "rep_call", None)
        if call is not None and call.failed and not page.is_closed():
            shot(page, f"FAILED-{shot_prefix}{_slug(request.node.name)}")
    finally:
        context.close()
    guard.check()


@pytest.fixture
def page(browser, live_server, request):
    """A desktop page (1366×900), watched (watched_page)."""
    with watched_page(browser, live_server, request,
                      viewport={"width": 1366, "height": 900}) as page:
        yield page


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def shot(page, name: str) -> Path:
    """Save a full-page screenshot to test-output/screenshots/<name>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{_slug(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def logout(page, base_url: str) -> None:
    """Log out the way a person does: the user menu's "Đăng xuất" (a POST form)."""
    if page.locator("form.navbar-logout").count():
        page.locator(".navbar .dropdown-toggle .fa-user").first.click()
        with page.expect_navigation():
            page.locator("form.navbar-logout button").click()


def login(page, base_url: str, username: str, password: str) -> None:
    """Log in through the real login form; returns once the logged-in page shows."""
    page.goto(f"{base_url}/login/")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("form [type=submit]").click()
    logout = page.locator("form.navbar-logout")  # logout is a POST form in the user menu
    if logout.count() == 0:
        alerts = " | ".join(page.locator(".alert").all_inner_texts())
        pytest.fail(f"{username} could not log in (now at {page.url}; messages: {alerts!r})")


@pytest.fixture(name="shot")
def shot_fixture():
    """shot(page, name): full-page screenshot into test-output/screenshots/."""
    return shot


@pytest.fixture
def login_as(page, live_server, app):
    """login_as("vanthu"): log `page` in as that demo account through the login form."""
    def _login(username: str, password: str | None = None):
        login(page, live_server, username, password or app.config["DEMO_PASSWORD"])
        return page
    return _login
