"""Security headers on every response."""
import re


def test_pages_carry_the_security_headers(login_as):
    client = login_as("vanthu")
    for path in ("/login/", "/", "/incoming/list/list/", "/api/v1/incoming/"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split(
            "script-src")[1].split(";")[0]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_every_inline_script_carries_this_responses_nonce(login_as):
    client = login_as("vanthu")
    response = client.get("/incoming/register")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", response.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in attributes for attributes in scripts)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login/").headers
    secure = client.get("/login/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def nonce_of(response) -> str:
    return re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)


def test_the_pages_kept_scripts_carry_each_responses_own_nonce(login_as):
    """The scripts every page names are drawn once (app.core.ui.kept_fragment), but each
    response gives them its own nonce, and the placeholder never reaches a page."""
    from app.core import ui

    client = login_as("chuyenvien")
    first, second = client.get("/account/compromised"), client.get("/account/compromised")
    assert nonce_of(first) != nonce_of(second)
    for response in (first, second):
        html = response.get_data(as_text=True)
        scripts = re.findall(r"<script([^>]*)>", html)
        assert len(scripts) >= 15, scripts  # jQuery, bootstrap, select2, ours…
        assert all(f'nonce="{nonce_of(response)}"' in attributes for attributes in scripts)
        assert ui._NONCE not in html


def test_the_pages_kept_parts_follow_the_language(login_as):
    client = login_as("chuyenvien")
    html = client.get("/account/compromised").get_data(as_text=True)
    assert 'data-title="Xác nhận"' in html and 'data-ok="Đồng ý"' in html
    client.get("/lang/en")
    try:
        html = client.get("/account/compromised").get_data(as_text=True)
        assert 'data-title="Confirm"' in html and 'data-ok="OK"' in html
    finally:
        client.get("/lang/vi")


def test_a_page_seen_again_builds_no_address_of_its_scripts_and_styles(app, login_as):
    """The scripts' and styles' addresses (each with its file's version) are built once per
    process, language and script root, not at every page (40 of them: 1 ms a page)."""
    from app.core.headers import STATIC_ENDPOINTS

    client = login_as("chuyenvien")
    assert client.get("/account/compromised").status_code == 200
    built = []

    def counting(endpoint, _values):  # called for every address the app builds
        built.append(endpoint)

    app.url_default_functions[None].append(counting)
    try:
        html = client.get("/account/compromised").get_data(as_text=True)
    finally:
        app.url_default_functions[None].remove(counting)
    assert "/static/appbuilder/js/jquery-latest.js?v=" in html
    assert "/static/js/bell.js?v=" in html
    assert "NotificationView.index" in built  # the navigation bar's, built at each page
    assert [endpoint for endpoint in built if endpoint in STATIC_ENDPOINTS] == []
