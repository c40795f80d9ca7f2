"""A page's scripts and styles are kept by the browser (app/core/static_cache.py): addressed
with their content's version and answered with a year's `immutable`; asked for without it (or
with an old one) they are answered as before, to be asked again. The browser's side is
tests/e2e/test_static_cache.py."""
import re

from app.core.static_cache import YEAR, _digest

ASSET = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)="(/static/[^"]+)\"""")


def assets(html):
    return [url for url in ASSET.findall(html) if re.search(r"\.(js|css)(\?|$)", url)]


def test_every_script_and_style_of_a_page_is_versioned_and_kept_a_year(login_as):
    client = login_as("chuyenvien")
    urls = assets(client.get("/incoming/list/list/").get_data(as_text=True))
    assert len(urls) >= 20  # FAB's and ours
    unversioned = [url for url in urls if not re.search(r"\?v=[0-9a-f]{12}$", url)]
    assert not unversioned
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        control = response.cache_control
        assert control.max_age == YEAR and control.immutable and control.public, url
        assert not control.no_cache and not control.no_store, url
        assert response.headers.getlist("Set-Cookie") == [], url


def test_without_its_version_or_with_an_old_one_a_file_is_asked_again(login_as):
    client = login_as("chuyenvien")
    url = next(url for url in assets(client.get("/").get_data(as_text=True))
               if "/static/css/eoffice.css" in url)
    current = client.get(url)
    for other in ("/static/css/eoffice.css", "/static/css/eoffice.css?v=000000000000"):
        response = client.get(other)
        assert response.status_code == 200
        assert response.data == current.data
        assert response.cache_control.no_cache and response.cache_control.max_age is None


def test_the_version_follows_the_content_not_the_file_time(tmp_path):
    (tmp_path / "a.js").write_text("var a = 1;")
    (tmp_path / "b.js").write_text("var a = 1;")
    first = _digest(str(tmp_path), "a.js")
    assert first and first == _digest(str(tmp_path), "b.js")  # same on every server
    (tmp_path / "a.js").write_text("var a = 2;")
    assert _digest(str(tmp_path), "a.js") != first
    assert _digest(str(tmp_path), "missing.js") is None
    assert _digest(str(tmp_path), "../a.js") is None  # never outside the folder
    assert _digest(str(tmp_path), "") is None  # a folder (PDF.js's base address)
