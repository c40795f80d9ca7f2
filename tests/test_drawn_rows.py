"""A versioned grid's rows, kept drawn per reader and version of the data
(app.core.views.DrawnRows): a page looked at again is the same page, with this request's
nonce and CSRF token; a change or another reader draws the rows again."""
import re
from urllib.parse import urlencode

from sqlalchemy import select

from app.core import views
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from tests.conftest import login, user

BOX = "/incoming/list/list/?box=to_process"


def without_request_tokens(html: str) -> str:
    """The page less what is drawn for each request: nonces and CSRF tokens."""
    html = re.sub(r'nonce="[^"]+"', 'nonce=""', html)
    html = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)
    return re.sub(r'<meta name="csrf-token" content="[^"]+"', '<meta name="csrf-token"', html)


def rows_of(html: str) -> str:
    start, end = html.find("<tbody") if "<tbody" in html else html.find("<table"), \
        html.rfind("</table>")
    assert 0 <= start < end, "no table on the page"
    return html[start:end]


def test_a_page_looked_at_again_is_the_same_page(app, login_as, statements):
    client = login_as("chuyenvien")
    with app.app_context():
        views.drawn_rows().clear()
    first = client.get(BOX)
    statements.clear()
    again = client.get(BOX)
    assert first.status_code == again.status_code == 200
    assert not [s for s in statements if "FROM incoming_document" in s and
                s.startswith("SELECT incoming_document.id")], "the rows were read again"
    first_html, again_html = first.get_data(as_text=True), again.get_data(as_text=True)
    assert again_html.count("bulk-select") == first_html.count("bulk-select") > 1
    assert without_request_tokens(again_html) == without_request_tokens(first_html)
    # every script of the page kept carries this response's nonce, the one its CSP allows
    nonce = re.search(r"'nonce-([^']+)'", again.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r'<script[^>]*nonce="([^"]*)"', again_html)
    assert scripts and set(scripts) == {nonce}


def test_a_change_draws_the_rows_again(app, login_as, db_session):
    client = login_as("chuyenvien")
    html = client.get(BOX).get_data(as_text=True)
    shown = int(re.findall(r'name="ids" value="(\d+)"', html)[0])
    document = db_session.get(IncomingDocument, shown)
    document.excerpt = f"{document.excerpt} (đã sửa trích yếu)"  # audited: a new version
    db_session.commit()
    assert "(đã sửa trích yếu)" in client.get(BOX).get_data(as_text=True)


def test_each_reader_has_their_own_rows(app, login_as, db_session):
    officer = login_as("chuyenvien")
    officer_rows = set(re.findall(r'name="ids" value="(\d+)"',
                                  officer.get("/incoming/list/list/").get_data(as_text=True)))
    clerk = app.test_client()
    login(clerk, "vanthu")
    clerk_rows = set(re.findall(r'name="ids" value="(\d+)"',
                                clerk.get("/incoming/list/list/").get_data(as_text=True)))
    with app.app_context():
        seen_by_officer = {str(i) for i in db_session.scalars(
            select(IncomingDocument.id).where(visible_incoming(user(db_session, "chuyenvien"))))}
    assert officer_rows and officer_rows <= seen_by_officer
    assert clerk_rows - seen_by_officer  # the clerk's page is not the officer's


def test_a_search_that_finds_nothing_is_kept_too(app, login_as, db_session, monkeypatch):
    """An officer looks up the number of a document they may not see: the page says there is
    nothing, and looked at again its rows are not looked for again (they were, at every look:
    the search's statement built and its kept count found, 4 ms of a 13 ms page)."""
    officer = user(db_session, "chuyenvien")
    hidden = db_session.scalars(select(IncomingDocument.number_symbol).where(
        ~visible_incoming(officer), IncomingDocument.number_symbol.is_not(None))
        .order_by(IncomingDocument.id)).first()
    client = login_as("chuyenvien")
    url = "/incoming/list/list/?" + urlencode({"q": hidden})
    first = client.get(url)
    searched = []
    real = views.VietnameseInterface.query
    monkeypatch.setattr(views.VietnameseInterface, "query",
                        lambda *args, **kwargs: searched.append(1) or real(*args, **kwargs))
    again = client.get(url)
    assert first.status_code == again.status_code == 200
    assert "Không có dữ liệu" in again.get_data(as_text=True)
    assert searched == [], "searched again"
    assert without_request_tokens(again.get_data(as_text=True)) == \
        without_request_tokens(first.get_data(as_text=True))
