"""No internet at run time: every page a role can reach loads nothing from another host.

The crawler follows the links of each demo account's pages (menus, grids, forms, show pages)
and scans each page and the stylesheets it links for foreign hosts. The browser tests check the
same on the wire (every request Chromium makes)."""
import re
from collections import deque
from urllib.parse import urljoin, urlparse

import pytest

from tests.conftest import ACCOUNTS

REFERENCE = re.compile(r"""(?:src|href|action|data-src|poster)\s*=\s*["']([^"']+)["']""", re.I)
CSS_REFERENCE = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])([^"')\s]+)""", re.I)
SKIP = ("/logout", "/lang/", "/delete/", "/action/", "/muldelete", "/download/", "/api/")
PAGE_BUDGET = 80


def foreign(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "javascript", "mailto", "tel", "blob", "about"):
        return False
    return bool(parsed.netloc) and parsed.hostname not in ("localhost", "127.0.0.1")


def crawl(client):
    """Yield (path, html) for pages reachable from the home page, same host only."""
    seen, pages = set(), 0
    queue = deque(["/", "/users/userinfo/", "/resetmypassword/form", "/userinfoeditview/form"])
    while queue and pages < PAGE_BUDGET:
        path = queue.popleft()
        kind = re.sub(r"/\d+", "/<id>", path)  # one show page per grid is enough
        if kind in seen:
            continue
        seen.add(kind)
        response = client.get(path, follow_redirects=True)
        if response.mimetype != "text/html":
            continue
        pages += 1
        html = response.get_data(as_text=True)
        yield path, html
        for link in REFERENCE.findall(html):
            if foreign(link) or link.startswith(("#", "javascript:")):
                continue
            target = urlparse(urljoin("http://localhost" + path, link))
            if target.path.startswith("/static/") or any(s in target.path for s in SKIP):
                continue
            # Follow each grid and form once, not every page and sort order of it.
            if re.search(r"/(list|show|edit|add|userinfo|form)\b", target.path) or \
                    target.path == "/":
                queue.append(target.path)


def stylesheets(html):
    """The page's stylesheets (addressed with their version: /static/….css?v=…)."""
    return [link for link in REFERENCE.findall(html) if urlparse(link).path.endswith(".css")]


@pytest.mark.parametrize("username", sorted(ACCOUNTS.values()))
def test_no_page_loads_anything_from_another_host(login_as, username):
    client = login_as(username)
    offenders, visited, css = [], 0, set()
    for path, html in crawl(client):
        visited += 1
        offenders += [(path, ref) for ref in REFERENCE.findall(html) if foreign(ref)]
        offenders += [(path, ref) for ref in CSS_REFERENCE.findall(html) if foreign(ref)]
        css.update(stylesheets(html))
    for sheet in css:
        text = client.get(sheet).get_data(as_text=True)
        offenders += [(sheet, ref) for ref in CSS_REFERENCE.findall(text) if foreign(ref)]
    assert visited >= 3, f"crawled only {visited} pages"
    assert len(css) >= 10, sorted(css)  # FAB's and ours, each read for what it loads
    assert not offenders, offenders


def test_login_page_loads_nothing_foreign(client):
    html = client.get("/login/").get_data(as_text=True)
    assert not [ref for ref in REFERENCE.findall(html) if foreign(ref)]
