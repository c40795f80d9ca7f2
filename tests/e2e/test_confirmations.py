"""Irreversible actions ask first, in the page (issue 16, point 9): the button carries
data-confirm, static/js/confirm.js shows a dialog with the question, "Hủy" and the action's
own OK. Cancelling (the button or Esc) sends nothing and leaves the record as it was; OK does
the action. Shown on two actions: the clerk recalls an issued document, the director publishes
a news item."""
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.catalogs.models import NewsCategory
from app.news import services as news
from app.news.models import NewsItem
from app.outgoing.models import ISSUED, RECALLED, OutgoingDocument
from tests.conftest import user
from tests.e2e.helpers import expect_flash
from tests.test_outgoing import approved_draft, issue


@pytest.fixture
def issued_document(app, db_session):
    with app.test_request_context():
        document = issue(db_session, approved_draft(db_session))
    return document.id


@pytest.fixture
def pending_news(app, db_session):
    """A unit leader's own item, sent up to the director (waiting to be published)."""
    author = user(db_session, "truongphong")
    category = db_session.scalar(select(NewsCategory.id).order_by(NewsCategory.id))
    with app.test_request_context():
        item = news.create_news(db_session, author, {
            "title": f"Tập huấn sử dụng phần mềm quản lý văn bản {uuid.uuid4().hex[:6]}",
            "summary": "Tập huấn cho cán bộ các phòng.", "body": "<p>Nội dung tập huấn.</p>",
            "category_id": str(category)})
        news.act(db_session, author, item, "submit_up", version=item.version)
    return item.id


def state(db_session, model, record_id):
    db_session.expire_all()
    return db_session.get(model, record_id).state


def dialog(page):
    return page.locator("#eoffice-confirm")


def test_the_clerk_recalls_only_after_saying_yes(page, live_server, login_as, db_session,
                                                issued_document):
    login_as("vanthu")
    page.goto(f"{live_server}/outgoing/{issued_document}")
    page.locator("textarea[name=note]").fill("Sai thể thức, ban hành lại.")
    recall = page.locator("button.action-recall")

    recall.click()
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).locator("#eoffice-confirm-text")).to_contain_text(
        "Thu hồi văn bản này?")
    expect(dialog(page).locator(".confirm-cancel")).to_have_text("Hủy")
    expect(dialog(page).locator(".confirm-cancel")).to_be_focused()  # Enter by reflex: no
    expect(dialog(page).locator(".confirm-ok")).to_have_text("Thu hồi")
    dialog(page).locator(".confirm-cancel").click()
    expect(dialog(page)).to_be_hidden()
    expect(recall).to_be_focused()
    assert state(db_session, OutgoingDocument, issued_document) == ISSUED

    recall.click()
    expect(dialog(page)).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden()
    assert state(db_session, OutgoingDocument, issued_document) == ISSUED
    assert page.url == f"{live_server}/outgoing/{issued_document}"

    recall.click()
    with page.expect_navigation():
        dialog(page).locator(".confirm-ok").click()
    expect_flash(page, "Đã thu hồi")
    assert state(db_session, OutgoingDocument, issued_document) == RECALLED


def test_the_director_publishes_news_only_after_saying_yes(page, live_server, login_as,
                                                           db_session, pending_news):
    login_as("lanhdao")
    page.goto(f"{live_server}/news/{pending_news}")
    publish = page.locator("button.action-publish")

    publish.click()
    expect(dialog(page).locator("#eoffice-confirm-text")).to_contain_text(
        "Xuất bản tin này lên cổng thông tin?")
    expect(dialog(page).locator(".confirm-ok")).to_have_text("Duyệt và xuất bản")
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden()
    assert state(db_session, NewsItem, pending_news) == "pending"

    publish.click()
    expect(dialog(page)).to_be_visible()
    with page.expect_navigation():
        page.keyboard.press("Tab")  # from "Hủy" to the OK button, by keyboard
        page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("Đã ghi nhận")
    assert state(db_session, NewsItem, pending_news) == "published"
