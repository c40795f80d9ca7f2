"""The daily pages on a phone (issue 22), in Chromium's mobile emulation (390×844, touch).

The leader between meetings: home → the inbox (a card per document, the excerpt on screen) →
a document → a direction to a unit chosen by typing part of its name without accents → "Đồng
ý"; a draft approved and another returned; the week schedule approved; a news item published
and another returned. The officer: home → the FYI inbox → the document (read, so done) → the
notifications. No page of a journey scrolls sideways. Then the installed app: the manifest and
its icons, the service worker, the offline page from the phone's cache when the server cannot
be reached, and nothing but the static shell in that cache.
Screenshots: test-output/screenshots/phone-*.png."""
import json
import random
import re
import string
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, shot, watched_page
from tests.e2e.helpers import exactly, expect_flash

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844
UNIT = "Phòng Cải cách hành chính"
UNIT_TYPED = "cai cach"  # part of the name, without accents
OFFICER = "Hoàng Thị Thủy"  # chuyenvien


@pytest.fixture
def phone(browser, live_server, request):
    """A page in a phone's context (390×844, touch, vi-VN), watched as the desktop `page`
    fixture is: nothing from another host, no uncaught script error, no CSP refusal."""
    with watched_page(browser, live_server, request, shot_prefix="phone-",
                      viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True,
                      has_touch=True, device_scale_factor=2) as page:
        yield page


@pytest.fixture(scope="module")
def marker():
    return "dienthoai" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6))


def log_in(page, live_server, app, username):
    login(page, live_server, username, app.config["DEMO_PASSWORD"])


def fits(page, what: str) -> None:
    """The page does not scroll sideways at phone width."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{what}: the page is {width} px wide at {WIDTH} px"


def excerpt_on_screen(card, column="excerpt") -> None:
    """A card's excerpt (trích yếu) is shown, within the screen's width and height."""
    excerpt = card.locator(f"td[data-col={column}]")
    expect(excerpt).to_be_visible()
    box = excerpt.bounding_box()
    assert box is not None and box["width"] > 100
    assert 0 <= box["x"] and box["x"] + box["width"] <= WIDTH, box
    assert 0 <= box["y"] and box["y"] + box["height"] <= HEIGHT, box


def confirm_dialog(page, ok_label=None):
    dialog = page.locator("#eoffice-confirm")
    expect(dialog).to_be_visible()
    if ok_label:
        expect(dialog.locator(".confirm-ok")).to_have_text(exactly(ok_label))
    return dialog.locator(".confirm-ok")


# ---------------------------------------------------------------- data made by the services

def _incoming(app, db_session, excerpt):
    from app.documents import services
    from tests.conftest import pdf, user
    from tests.incoming_helpers import entry

    with app.test_request_context():
        document = services.register_incoming(
            db_session, user(db_session, "vanthu"), entry(db_session, excerpt=excerpt),
            [(pdf(), "cong-van.pdf")])
        services.submit(db_session, user(db_session, "vanthu"), document,
                        user(db_session, "lanhdao").id)
    return document


@pytest.fixture
def waiting_document(app, db_session, marker):
    """A document presented to the director (lanhdao), waiting for his direction."""
    return _incoming(app, db_session, f"V/v góp ý dự thảo quy chế làm việc {marker}")


@pytest.fixture
def fyi_document(app, db_session, marker):
    """A document the director gave to a unit, the officer (chuyenvien) to know (FYI)."""
    from sqlalchemy import select

    from app.documents import services
    from app.org.models import Department
    from tests.conftest import user

    document = _incoming(app, db_session, f"V/v thông báo lịch tiếp công dân {marker}")
    unit = db_session.scalar(select(Department).where(Department.code == "TCBC"))
    with app.test_request_context():
        services.assign(db_session, user(db_session, "lanhdao"), document, "Để biết", [
            {"role": "lead", "department_id": unit.id},
            {"role": "fyi", "user_id": user(db_session, "chuyenvien").id}])
    return document


def _draft(app, db_session, excerpt):
    """A draft the unit leader forwarded to its signer, the director."""
    from sqlalchemy import select

    from app.catalogs.models import (
        Agency, DocumentType, Field, SecrecyLevel, Signer, UrgencyLevel,
    )
    from app.org.models import Department, EofficeUser
    from app.outgoing import services
    from tests.conftest import pdf, user

    scalar = db_session.scalar
    data = {"document_type_id": scalar(select(DocumentType.id).where(
                DocumentType.name == "Công văn")),
            "excerpt": excerpt,
            "field_id": scalar(select(Field.id).where(Field.code == "CCHC")),
            "urgency_id": scalar(select(UrgencyLevel.id).where(UrgencyLevel.priority == 0)),
            "secrecy_id": scalar(select(SecrecyLevel.id).where(SecrecyLevel.level == 0)),
            "signer_id": scalar(select(Signer.id).join(Signer.user).where(
                EofficeUser.username == "lanhdao")),
            "drafting_department_id": scalar(select(Department.id).where(
                Department.code == "CCHC")),
            "internal_unit_ids": [], "external_agency_ids": [scalar(select(Agency.id).where(
                Agency.electronic_id == "000.00.00.H30"))]}
    with app.test_request_context():
        draft = services.create_draft(db_session, user(db_session, "chuyenvien"), data,
                                      [(pdf(excerpt[:40]), "du-thao.pdf")])
        services.apply(db_session, user(db_session, "chuyenvien"), draft, "submit")
        services.apply(db_session, user(db_session, "truongphong"), draft, "forward")
    return draft


@pytest.fixture
def two_drafts(app, db_session, marker):
    return (_draft(app, db_session, f"V/v báo cáo sơ kết quý {marker} duyet"),
            _draft(app, db_session, f"V/v kế hoạch kiểm tra {marker} tralai"))


def _client_as(app, username):
    from tests.conftest import login as client_login

    client = app.test_client()
    client_login(client, username)
    return client


@pytest.fixture
def waiting_week(app, db_session, marker):
    """The agency's week, far ahead, compiled by the office leader and waiting for the
    director's approval."""
    from sqlalchemy import select

    from app.core.timefmt import iso_week_days, today_local
    from app.schedules.models import ScheduleWeek
    from tests.conftest import csrf_token

    for ahead in range(30, 60):  # a week no other test has touched
        year, week, _day = (today_local() + timedelta(weeks=ahead)).isocalendar()
        if db_session.scalar(select(ScheduleWeek).where(
                ScheduleWeek.level == "agency", ScheduleWeek.year == year,
                ScheduleWeek.week == week)) is None:
            break
    client = _client_as(app, "lanhdaovp")
    address = f"/schedule/item/new?scope=agency&year={year}&week={week}"
    html = client.get(address, follow_redirects=True).get_data(as_text=True)
    day = iso_week_days(year, week)[0]
    client.post(address, data={
        "csrf_token": csrf_token(html), "day": day.strftime("%d/%m/%Y"), "session": "morning",
        "start_time": "08:00", "end_time": "09:30", "content": f"Họp giao ban {marker}"})
    db_session.expire_all()
    record = db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == "agency", ScheduleWeek.year == year, ScheduleWeek.week == week))
    assert record is not None, "the office leader could not add the item"
    page = client.get(f"/schedule/week?scope=agency&year={year}&week={week}")
    response = client.post(f"/schedule/week/{record.id}/act", data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "action": "submit"})
    assert response.status_code in (302, 303), response.status_code
    db_session.expire_all()
    assert db_session.get(ScheduleWeek, record.id).state == "submitted"
    return year, week


def _news_pending(app, db_session, title):
    """A news item the officer wrote and the unit leader forwarded to the director."""
    from sqlalchemy import select

    from app.catalogs.models import NewsCategory
    from tests.conftest import csrf_token

    def act(client, item_id, action):
        html = client.get(f"/news/{item_id}").get_data(as_text=True)
        version = re.search(r'name="version" value="(\d+)"', html)
        response = client.post(f"/news/{item_id}/do/{action}", data={
            "csrf_token": csrf_token(html), "version": version.group(1) if version else ""})
        assert response.status_code == 302, response.status_code

    client = _client_as(app, "chuyenvien")
    html = client.get("/news/new").get_data(as_text=True)
    category = db_session.scalar(select(NewsCategory.id).order_by(NewsCategory.id))
    response = client.post("/news/new", data={
        "csrf_token": csrf_token(html), "title": title, "summary": "Tóm tắt tin.",
        "body": "<p>Nội dung tin.</p>", "category_id": str(category)},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-1000:]
    item_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    act(client, item_id, "submit")
    act(_client_as(app, "truongphong"), item_id, "forward")
    return item_id


@pytest.fixture
def two_news(app, db_session, marker):
    return (_news_pending(app, db_session, f"Hội nghị tổng kết {marker} xuatban"),
            _news_pending(app, db_session, f"Tập huấn văn thư {marker} tralai"))


# ---------------------------------------------------------------- the leader

def test_leader_directs_a_document_from_the_phone(phone, live_server, app, marker,
                                                  waiting_document):
    page = phone
    log_in(page, live_server, app, "lanhdao")
    # Home: the counters in one row, then the first inbox's documents.
    fits(page, "home")
    expect(page.locator(".home-inboxes .inbox-counter").first).to_be_visible()
    expect(page.locator(".home-card").first).to_be_hidden()  # the menu tiles: in the menu
    expect(page.locator(".m-inbox table.eoffice-grid > tbody > tr").first).to_be_visible()
    shot(page, "phone-01-home")

    # The inbox: a card per document, the excerpt on screen, no sideways scroll.
    with page.expect_navigation():
        page.locator(".home-inboxes .inbox-counter").first.tap()
    fits(page, "inbox")
    expect(page.locator("table.eoffice-grid thead")).to_be_hidden()
    excerpt_on_screen(page.locator("table.eoffice-grid > tbody > tr").first)
    shot(page, "phone-02-inbox")

    # Search on top; the card opens the document.
    search = page.locator("form.incoming-search input[name=q]")
    search.fill(marker)
    with page.expect_navigation():
        search.press("Enter")
    card = page.locator("table.eoffice-grid > tbody > tr").filter(has_text=marker)
    expect(card).to_have_count(1)
    excerpt_on_screen(card)
    expect(card.locator("td[data-col=excerpt]")).to_contain_text("quy chế làm việc")
    box = card.locator("td[data-col=excerpt]").bounding_box()
    with page.expect_navigation():  # anywhere on the card, here its excerpt
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert re.search(rf"/incoming/{waiting_document.id}$", page.url), page.url
    fits(page, "document")
    expect(page.locator(".document-metadata")).to_contain_text(marker)
    # the history is folded behind a button
    expect(page.locator("table.history")).to_be_hidden()
    page.locator("button.m-fold-toggle").first.tap()
    expect(page.locator("table.history")).to_be_visible()

    # The direction: a unit found by typing part of its name without accents, two taps.
    form = page.locator(".direction-form form")
    # thumb-sized: buttons and fields at least 44 px high, text in fields 16 px (no zoom)
    deadline = form.locator("input[name=line_deadline]").first
    for control in (form.locator("#direction"), deadline, form.locator("button.action-assign"),
                    form.locator(".m-date-pick").first, form.locator(".m-add-row")):
        assert control.bounding_box()["height"] >= 44, control
    for field in (form.locator("#direction"), deadline):
        assert field.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
    # the deadline: typed dd/mm/yyyy, or picked with the phone's own date picker
    form.locator(".m-date-pick input[type=date]").first.fill("2031-03-15")
    expect(deadline).to_have_value("15/03/2031")
    deadline.fill("")
    form.locator("#direction").fill("Đề nghị phòng nghiên cứu, tham mưu")
    form.locator("select[name=target]").first.locator(
        "xpath=following-sibling::span[contains(@class, 'select2')]").tap()
    page.locator(".select2-container--open input.select2-search__field").press_sequentially(
        UNIT_TYPED)
    option = page.locator(".select2-results__option[role=option]", has_text=exactly(UNIT))
    expect(option).to_be_visible()
    option.tap()
    expect(form.locator("select[name=target]").first.locator("option:checked")).to_have_text(
        exactly(UNIT))
    assert form.locator("select[name=target]").first.input_value().startswith("d:")
    shot(page, "phone-03-direction")
    form.locator("button.action-assign").tap()  # 1
    ok = confirm_dialog(page, "Cho ý kiến chỉ đạo")
    fits(page, "confirmation")
    with page.expect_navigation():
        ok.tap()  # 2
    expect_flash(page, "Đã ghi nhận.")
    fits(page, "document after the direction")
    line = page.locator("table.assignments tr").filter(has_text=UNIT)
    expect(line).to_contain_text("Chủ trì")
    waiting_document_state = page.locator(".panel-heading .label.state")
    expect(waiting_document_state).not_to_have_text(exactly("Chờ chỉ đạo"))


def test_leader_approves_one_draft_and_returns_another(phone, live_server, app, marker,
                                                       two_drafts):
    page = phone
    log_in(page, live_server, app, "lanhdao")
    with page.expect_navigation():
        page.locator(".home-work a", has_text=exactly("Chờ tôi ký duyệt")).tap()
    fits(page, "drafts waiting")
    cards = page.locator("table.eoffice-grid > tbody > tr")
    excerpt_on_screen(cards.first, "link")  # the drafts' grid: the excerpt is the link
    shot(page, "phone-04-drafts")

    for draft, action, flash in ((two_drafts[0], "approve", "Đã ghi nhận"),
                                 (two_drafts[1], "return", "Đã ghi nhận")):
        page.goto(f"{live_server}/drafts/{draft.id}")
        fits(page, "draft page")
        button = page.locator(f"button.action-{action}")
        if action == "return":
            button.locator("xpath=preceding-sibling::textarea[@name='note']").fill(
                "Bổ sung số liệu quý này.")
        button.tap()  # 1
        ok = confirm_dialog(page)
        with page.expect_navigation():
            ok.tap()  # 2
        expect_flash(page, flash)
        fits(page, "draft after the action")
    from app.outgoing.models import Draft
    from app.extensions import db

    with app.app_context():
        approved, returned = (db.session.get(Draft, d.id) for d in two_drafts)
        assert approved.state == "approved", approved.state
        assert returned.state == "drafting", returned.state


def test_leader_approves_the_week_schedule(phone, live_server, app, marker, waiting_week):
    year, week = waiting_week
    page = phone
    log_in(page, live_server, app, "lanhdao")
    page.goto(f"{live_server}/schedule/agency/approve")  # the menu's "Duyệt lịch cơ quan"
    fits(page, "schedules waiting")
    if "/approve" in page.url:  # several weeks wait: the list, then ours
        link = page.locator(f".list-group-item a[href*='year={year}&week={week}']")
        hrefs = page.locator(".list-group-item a").evaluate_all("l => l.map(a => a.href)")
        assert link.count() == 1, hrefs
        with page.expect_navigation():
            link.tap()
    assert f"week={week}" in page.url, page.url
    fits(page, "week")
    # a day per card: the day's heading, then its items with their column's name
    expect(page.locator("table.schedule-table thead")).to_be_hidden()
    expect(page.locator("table.schedule-table td.schedule-day").first).to_be_visible()
    item = page.locator("table.schedule-table tr").filter(has_text=marker)
    expect(item).to_be_visible()
    shot(page, "phone-05-week")
    page.locator("form.act-approve button[type=submit]").tap()  # 1
    ok = confirm_dialog(page, "Duyệt và ban hành")
    with page.expect_navigation():
        ok.tap()  # 2
    fits(page, "week after approval")
    expect(page.locator(".schedule-status .week-state")).to_have_text(exactly("Đã ban hành"))


def test_leader_publishes_one_news_item_and_returns_another(phone, live_server, app, marker,
                                                            two_news):
    page = phone
    log_in(page, live_server, app, "lanhdao")
    published, returned = two_news
    page.goto(f"{live_server}/news/{published}")
    fits(page, "news item")
    page.locator("button.action-publish").tap()  # 1
    with page.expect_navigation():
        confirm_dialog(page, "Duyệt và xuất bản").tap()  # 2
    fits(page, "news after publishing")
    expect_flash(page, "Đã ghi nhận.")
    shot(page, "phone-06-news")

    page.goto(f"{live_server}/news/{returned}")
    form = page.locator("form.action-form-return")
    form.locator("textarea[name=note]").fill("Bổ sung ảnh hội nghị.")
    form.locator("button.action-return").tap()  # 1
    with page.expect_navigation():
        confirm_dialog(page, "Trả lại").tap()  # 2
    expect_flash(page, "Đã ghi nhận.")
    fits(page, "news after the return")
    from app.extensions import db
    from app.news.models import NewsItem

    with app.app_context():
        assert db.session.get(NewsItem, published).state == "published"
        assert db.session.get(NewsItem, returned).state == "returned"


# ---------------------------------------------------------------- the officer

def test_officer_reads_an_fyi_document_and_the_notices(phone, live_server, app, marker,
                                                       fyi_document):
    page = phone
    log_in(page, live_server, app, "chuyenvien")
    fits(page, "home")
    fyi_box = page.locator(".home-inboxes a.inbox-fyi")
    with page.expect_navigation():
        fyi_box.tap()
    fits(page, "FYI inbox")
    excerpt_on_screen(page.locator("table.eoffice-grid > tbody > tr").first)
    card = page.locator("table.eoffice-grid > tbody > tr").filter(has_text=marker)
    expect(card).to_have_count(1)
    with page.expect_navigation():
        card.locator("td[data-col=link] a").tap()
    fits(page, "document")
    # opened by its FYI holder: her line is done ("Đã xem") without a tap
    expect(page.locator("body[data-acknowledged='1']")).to_have_count(1)
    line = page.locator("table.assignments tr.line-fyi").filter(has_text=OFFICER)
    expect(line.locator(".line-state")).to_have_text(exactly("Đã xem"))
    shot(page, "phone-07-document")

    page.goto(f"{live_server}/notifications/")
    fits(page, "notifications")
    notices = page.locator(".notification-list .list-group-item")
    expect(notices.first).to_be_visible()
    box = notices.first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    shot(page, "phone-08-notifications")


# ---------------------------------------------------------------- installable, offline

def test_installable_and_offline_shell(phone, live_server, app):
    page = phone
    log_in(page, live_server, app, "lanhdao")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    response = page.request.get(f"{live_server}{href}")
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.text())
    assert app.config["AGENCY_NAME"] in manifest["name"]
    assert manifest["short_name"] and len(manifest["short_name"]) <= 12
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        answer = page.request.get(f"{live_server}{icon['src']}")
        assert answer.status == 200, icon
        assert answer.headers["content-type"].startswith(icon["type"]), icon
        if icon["type"] == "image/png":
            from io import BytesIO

            from PIL import Image

            width, height = Image.open(BytesIO(answer.body())).size
            assert icon["sizes"] == f"{width}x{height}", icon
            sizes.add(width)
    assert {192, 512} <= sizes

    # The service worker registers and takes the page.
    scope = page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        return registration.scope; }""")
    assert scope == f"{live_server}/"
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.goto(f"{live_server}/incoming/list/list/")  # a page with data, then a static file
    cached = page.evaluate("""async () => {
        const urls = [];
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) urls.push(request.url);
        }
        return urls; }""")
    paths = [urlsplit(url).path for url in cached]
    assert "/offline" in paths and "/static/css/mobile.css" in paths
    allowed = re.compile(r"^/(static/|pwa/|offline$)")
    assert all(allowed.match(path) for path in paths), [p for p in paths if not allowed.match(p)]
    assert not any(re.search(r"/incoming/|/api/|/drafts/|/news/\d|/files/", p) for p in paths)

    # Under the worker a page's scripts and styles come from its cache and are not asked of
    # the server again in the background: their addresses carry their versions
    # (app/core/static_cache.py). What the worker itself fetched is in its Resource Timing.
    worker = page.context.service_workers[0]
    worker.evaluate("performance.clearResourceTimings()")
    page.goto(f"{live_server}/")
    page.wait_for_timeout(500)  # the old background refreshes ended within the page's load
    refreshed = worker.evaluate("""() => performance.getEntriesByType("resource")
        .map(e => new URL(e.name).pathname).filter(p => /^\\/static\\/.*\\.(css|js)$/.test(p))""")
    assert refreshed == []

    # The server cannot be reached: a navigation shows the offline page, in Vietnamese.
    page.context.set_offline(True)
    try:
        page.goto(f"{live_server}/incoming/list/list/?q={uuid.uuid4().hex}")
        expect(page.locator("h1.offline-title")).to_have_text("Không kết nối được máy chủ")
        expect(page.locator(".offline-message")).to_contain_text("không truy cập được")
        fits(page, "offline page")
        shot(page, "phone-09-offline")
        # the shell's style came from the phone's cache: Bootstrap's button is styled
        assert page.evaluate(
            "getComputedStyle(document.querySelector('.offline-retry')).display") == "block"
    finally:
        page.context.set_offline(False)


def test_desktop_stays_as_it_is(page, live_server, app, waiting_document):
    """Above phone width nothing changes: the grid is FAB's table with its head, the document
    page shows its history and the direction form its five rows, without a confirmation."""
    log_in(page, live_server, app, "lanhdao")
    page.goto(f"{live_server}/incoming/list/list/")
    grid = page.locator("table.eoffice-grid")
    expect(grid.locator("thead")).to_be_visible()
    assert grid.locator("tbody td").first.evaluate("e => getComputedStyle(e).display") == \
        "table-cell"
    expect(page.locator(".home-card, .m-fold-toggle, .m-add-row")).to_have_count(0)
    expect(page.locator(".incoming-bulk")).to_be_visible()
    page.goto(f"{live_server}/incoming/{waiting_document.id}")
    expect(page.locator("table.history")).to_be_visible()
    expect(page.locator(".m-fold-toggle, .m-add-row, .m-date-pick")).to_have_count(0)
    rows = page.locator("table.assignment-rows select[name=target]")
    expect(rows).to_have_count(5)
    for index in range(5):
        expect(rows.nth(index)).to_be_visible()
    assert page.locator("button.action-assign").get_attribute("data-confirm") is None
