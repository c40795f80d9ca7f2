"""The clerk's queue of electronic arrivals (liên thông văn bản) in the real browser: an odd
package from Sở Tài chính (no PromulgationDate, an empty Subject, a DueDate already past,
PageAmount 0) waits in "Chờ tiếp nhận"; vanthu finds it by its DocumentId, sees how many points
need checking, opens it, reads the list, and registers it from the form where each warning sits
beside its field: refused first without an excerpt (nothing registered), then registered with
the excerpt and the document date typed in. A second package is returned to its sender with a
reason, and the exchange page shows it "Đã trả lại" with that reason.
Screenshots: test-output/screenshots/exchange-*.png, and docs/screenshots/lien-thong-vao-so.png
(README)."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.core.timefmt import local_now
from app.documents.models import IncomingDocument
from app.exchange import edxml, services, worker
from app.exchange.models import QUEUED, RETURNED, ExchangeInbound
from tests.e2e.conftest import REPO_ROOT
from tests.e2e.helpers import choose, click_confirmed, exactly, expect_flash
from tests.exchange_helpers import (
    FINANCE, FINANCE_TOKEN, OURS, drop, ensure_partner, set_text, valid_package,
)

pytestmark = pytest.mark.browser

EXCHANGE = "/exchange/"
README_SHOT = REPO_ROOT / "docs" / "screenshots" / "lien-thong-vao-so.png"
SENDER = "Sở Tài chính tỉnh Hà Nam"
EXCERPT = "V/v hướng dẫn lập dự toán ngân sách năm 2027"
RETURN_REASON = "Thiếu phụ lục kèm theo; đề nghị gửi lại đủ hồ sơ."


@pytest.fixture(autouse=True)
def our_identity(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", OURS)


def queued(app, db_session, text: str) -> ExchangeInbound:
    """A package from Sở Tài chính received and processed into the clerk's queue, as the
    exchange worker does with what the partner posts to the inbox."""
    partner = ensure_partner(db_session, FINANCE, FINANCE_TOKEN)
    with app.test_request_context():
        inbound = services.receive(db_session, text.encode(), partner=partner)
        inbound_id = inbound.id
        services.process(db_session, inbound)
    db_session.rollback()
    inbound = db_session.get(ExchangeInbound, inbound_id)
    assert inbound.state == QUEUED, inbound.error
    return inbound


def worker_round(app) -> list[str]:
    """One round of the exchange worker; what it would post to partners is collected."""
    sent = []

    def collect(url, token, payload):
        sent.append(payload.decode() if isinstance(payload, bytes) else payload)
        return 202, b"{}"
    worker.run_once(app, post=collect)
    return sent


def odd_package(app) -> str:
    past = date.today() - timedelta(days=40)
    text = set_text(valid_package(app), "Subject", "")
    text = set_text(text, "DueDate", f"{past:%Y/%m/%d}")
    text = set_text(text, "PageAmount", "0")
    return drop(text, "PromulgationDate")


def arrival_row(page, document_key: str):
    return page.locator("table.exchange-inbound tr").filter(
        has=page.locator("code", has_text=exactly(document_key)))


def search_queue(page, live_server, document_key: str, pill: str):
    """The exchange page, one filter pill, searched by the DocumentId; returns the one row."""
    page.goto(f"{live_server}{EXCHANGE}")
    expect(page.locator("h2")).to_contain_text("Liên thông văn bản")
    with page.expect_navigation():
        page.locator(".exchange-filter a", has_text=exactly(pill)).click()
    expect(page.locator(".exchange-filter li.active")).to_have_text(exactly(pill))
    page.locator("form.exchange-search input[name=q]").fill(document_key)
    with page.expect_navigation():
        page.locator("form.exchange-search button[type=submit]").click()
    # the search keeps the filter
    expect(page.locator(".exchange-filter li.active")).to_have_text(exactly(pill))
    box = page.locator("form.exchange-search input[name=q]")
    expect(box).to_have_value(document_key)
    assert fits(box), "the search box cuts the DocumentId off"
    rows = page.locator("table.exchange-inbound tr").filter(has=page.locator("td"))
    expect(rows).to_have_count(1)
    row = arrival_row(page, document_key)
    expect(row).to_have_count(1)
    return row


def fits(locator) -> bool:
    """Its content is seen whole: nothing runs past its right edge."""
    return locator.evaluate("e => e.scrollWidth <= e.clientWidth + 1")


def group_of(page, field_id: str):
    return page.locator(".form-group").filter(has=page.locator(f"#{field_id}"))


def test_clerk_registers_an_odd_package_from_the_queue(app, db_session, page, live_server,
                                                       login_as, shot):
    inbound = queued(app, db_session, odd_package(app))
    key, document_id = inbound.document_key, inbound.incoming_id
    warnings = inbound.warning_list
    by_field = {w["field"]: w for w in warnings}
    for field in ("excerpt", "document_date", "deadline", "page_count"):
        assert field in by_field, f"no warning beside {field}: {warnings}"
    document_date = (local_now().date() - timedelta(days=3)).strftime("%d/%m/%Y")

    # 1. The queue: the package waits in "Chờ tiếp nhận", with how much there is to check.
    login_as("vanthu")
    row = search_queue(page, live_server, key, "Chờ tiếp nhận")
    expect(row).to_contain_text(SENDER)
    expect(row).to_contain_text("Chờ tiếp nhận")
    badge = row.locator(".inbound-warnings")
    expect(badge).to_have_text(exactly(f"{len(warnings)} điểm lạ"))
    shot(page, "exchange-01-queue")

    # 2. The document page: the points to check, and the way to registration.
    link = row.locator(f"a[href$='/incoming/{document_id}']")
    # an empty Subject still leaves something to click, saying what is missing
    expect(link).to_have_text(exactly("Chưa có trích yếu."))
    with page.expect_navigation():
        link.click()
    expect(page).to_have_url(re.compile(rf"/incoming/{document_id}$"))
    panel = page.locator(".exchange-panel")
    expect(panel).to_contain_text(SENDER)
    expect(panel.locator("code", has_text=exactly(key))).to_be_visible()
    points = panel.locator(".exchange-warnings")
    expect(points.locator("strong")).to_have_text(
        exactly(f"Điểm cần kiểm tra trong gói tin ({len(warnings)})"))
    expect(points.locator("li")).to_have_count(len(warnings))
    for element in ("Subject", "PromulgationDate", "DueDate", "PageAmount"):
        expect(points).to_contain_text(element)
    expect(points).to_contain_text("Sửa trong biểu mẫu vào sổ")
    check = page.locator("a.action-check-register")
    expect(check).to_have_text(exactly("Kiểm tra và vào sổ"))
    shot(page, "exchange-02-document")
    with page.expect_navigation():
        check.click()
    expect(page).to_have_url(re.compile(rf"/incoming/{document_id}/edit$"))

    # 3. The registration form: each warning beside its field, the document still waiting.
    expect(page.locator(".panel-title .label.state")).to_have_text(exactly("Chờ vào sổ"))
    expect(page.locator(".exchange-notices")).to_contain_text(
        "các điểm lạ trong gói tin được ghi cạnh từng trường")
    for field, element in (("excerpt", "Subject"), ("document_date", "PromulgationDate"),
                           ("deadline", "DueDate"), ("page_count", "PageAmount")):
        notice = group_of(page, field).locator(".exchange-notice")
        expect(notice).to_have_count(1)
        expect(notice).to_be_visible()
        expect(notice).to_contain_text(element)
        expect(notice).to_contain_text(by_field[field]["message"])
        assert fits(notice), f"the warning beside {field} runs out of its column"
    expect(page.locator("#excerpt")).to_have_value("")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        "the registration form is wider than the window"
    README_SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.locator(".panel.panel-primary").first.screenshot(path=str(README_SHOT))
    shot(page, "exchange-03-form-with-warnings")

    # 4. "Vào sổ" without the excerpt: the rule's message, nothing registered.
    register_now = page.locator("button.action-register-now")
    expect(register_now).to_have_text(exactly("Vào sổ"))
    with page.expect_navigation():
        register_now.click()
    expect(page).to_have_url(re.compile(rf"/incoming/{document_id}/edit$"))
    expect(page.locator(".alert-danger")).to_contain_text("Chưa lưu")
    errors = page.locator(".form-group.has-error .error-message").all_inner_texts()
    assert errors == ["Nhập trích yếu nội dung."], \
        f"the only problem is the missing excerpt, yet the form says: {errors}"
    expect(group_of(page, "excerpt").locator(".error-message")).to_have_text(
        exactly("Nhập trích yếu nội dung."))
    expect(group_of(page, "excerpt").locator(".exchange-notice")).to_contain_text("Subject")
    expect(page.locator("button.action-register-now")).to_be_visible()  # still waiting
    db_session.rollback()
    waiting = db_session.get(IncomingDocument, document_id)
    assert waiting.state == "pending" and not waiting.arrival_number
    shot(page, "exchange-04-excerpt-missing")

    # 5. The excerpt and the document date typed in, the register chosen: registered.
    page.locator("#excerpt").fill(EXCERPT)
    date_field = page.locator("#document_date")
    date_field.click()
    date_field.press("Control+a")
    date_field.press_sequentially(document_date)
    expect(date_field).to_have_value(document_date)
    registers = [label.strip() for label in
                 page.locator("#register_id option").all_inner_texts() if label.strip()]
    assert registers, "no register to choose"
    choose(page, "register_id", registers[0])
    with page.expect_navigation():
        page.locator("button.action-register-now").click()
    expect(page).to_have_url(re.compile(rf"/incoming/{document_id}$"))
    flash = page.locator(".alert").filter(has_text="Đã vào sổ văn bản đến số")
    expect(flash).to_have_text(re.compile(r"Đã vào sổ văn bản đến số \d+\."))
    number = re.search(r"số (\d+)\.", flash.inner_text()).group(1)
    expect(page.locator(".panel-heading .panel-title").first).to_contain_text(f"số {number}/")
    expect(page.locator("table.document-metadata")).to_contain_text(EXCERPT)
    expect(page.locator("table.document-metadata")).to_contain_text(document_date)
    expect(page.locator("a.action-check-register")).to_have_count(0)
    shot(page, "exchange-05-registered")
    db_session.rollback()
    registered = db_session.get(IncomingDocument, document_id)
    assert registered.state != "pending" and str(registered.arrival_number) == number
    assert registered.excerpt == EXCERPT

    # 6. The queue lists it as registered at once, with its number; the exchange worker's
    # next round tells the sender (03).
    sent = worker_round(app)
    codes = [edxml.read(payload.encode()).code for payload in sent
             if "StatusCode" in payload and key in payload]
    # 01 (Đã đến) from the arrival, 03 (Đã vào sổ) from the clerk's registration
    assert codes == ["01", "03"], f"Sở Tài chính was told {codes}"
    row = search_queue(page, live_server, key, "Đã vào sổ")
    expect(row.locator("td").nth(5)).to_have_text(
        exactly(f"Đã vào sổ – số đến {number}"))
    expect(row.locator(f"a[href$='/incoming/{document_id}']")).to_be_visible()
    shot(page, "exchange-06-queue-registered")


def test_clerk_returns_a_package_to_its_sender(app, db_session, page, live_server, login_as,
                                               shot):
    inbound = queued(app, db_session, valid_package(app))
    key, document_id = inbound.document_key, inbound.incoming_id

    login_as("vanthu")
    row = search_queue(page, live_server, key, "Chờ tiếp nhận")
    expect(row).to_contain_text(inbound.subject)
    with page.expect_navigation():
        row.locator("a", has_text=inbound.subject).click()
    expect(page).to_have_url(re.compile(rf"/incoming/{document_id}$"))
    form = page.locator(".exchange-panel form.exchange-return")
    form.locator("textarea[name=reason]").fill(RETURN_REASON)
    button = form.locator("button.action-exchange-return")
    expect(button).to_have_text(exactly("Trả lại cơ quan gửi"))
    shot(page, "exchange-07-return")
    with page.expect_navigation():
        click_confirmed(page, button)
    expect_flash(page, "Đã trả lại văn bản cho cơ quan gửi.")
    expect(page).to_have_url(re.compile(r"/exchange/"))

    row = search_queue(page, live_server, key, "Đã trả lại")
    expect(row).to_contain_text("Đã trả lại")
    expect(row).to_contain_text(RETURN_REASON)
    shot(page, "exchange-08-returned")
    db_session.rollback()
    returned = db_session.get(ExchangeInbound, inbound.id)
    assert returned.state == RETURNED and returned.reason == RETURN_REASON
    assert db_session.get(IncomingDocument, document_id) is None  # the waiting entry is gone
