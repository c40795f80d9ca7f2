"""A working day without surprises (issue 16): one incoming document and one draft go through
the day, and each person learns of their part from the bell, not by searching. The clerk
presents the document to a deputy; the deputy's notice waits ("Cần xử lý") until she directs;
the unit leader, the officer and the office leader (FYI) are each told, and each notice is done
("Đã xử lý") once its person acts. Then a draft: the unit leader is told it waits for review,
the signer that it waits for signature, the clerk that it waits for issuance, the drafter that
it was issued. The administrator's notices page opens in Vietnamese, without the day's work.
Screenshots: test-output/screenshots/notice-*.png, and docs/screenshots/thong-bao.png (README).
"""
import random
import re
import string

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO_ROOT
from tests.e2e.helpers import click_confirmed, exactly, expect_flash, switch_user

pytestmark = pytest.mark.browser

DEPUTY = "Bùi Thị Nga – Phó Giám đốc"     # pgd.nga
UNIT = "Phòng Cải cách hành chính"        # truongphong leads it
READER = "Lê Thị Hòa – VP"                # lanhdaovp, FYI
OFFICER = "Hoàng Thị Thủy"                # chuyenvien
UNIT_LEADER = "Phạm Minh Đức"             # truongphong
DIRECTION = "Khẩn trương tham mưu trả lời."
UNIT_INSTRUCTION = "Chủ trì tham mưu văn bản trả lời."
OFFICER_INSTRUCTION = "Dự thảo công văn trả lời trước thứ Sáu."
README_SHOT = REPO_ROOT / "docs" / "screenshots" / "thong-bao.png"


@pytest.fixture(scope="module")
def marker():
    return "thongbao" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6))


@pytest.fixture
def document(app, db_session, marker):
    """A document the clerk registered this morning (with its PDF), not yet presented."""
    from app.documents import services
    from tests.conftest import pdf, user
    from tests.incoming_helpers import entry

    with app.test_request_context():
        return services.register_incoming(
            db_session, user(db_session, "vanthu"),
            entry(db_session, excerpt=f"V/v góp ý quy chế phối hợp {marker}"),
            [(pdf(), "cong-van.pdf")])


@pytest.fixture
def draft(app, db_session, marker):
    """The officer's draft, saved with its Word file, not yet submitted."""
    from tests.test_outgoing import new_draft

    with app.test_request_context():
        return new_draft(db_session, excerpt=f"V/v báo cáo quy chế phối hợp {marker}")


# ---------------------------------------------------------------- what a person sees

def bell_count(page) -> int:
    """The number on the bell in the navigation bar (no badge: nothing unread)."""
    expect(page.locator(".navbar .notification-bell")).to_be_visible()
    badge = page.locator(".navbar .notification-count")
    return int(badge.inner_text().strip()) if badge.count() else 0


def notices(page, live_server, show="open"):
    """Through the bell to the notices page, then its "Chưa xử lý" or "Tất cả" pill."""
    with page.expect_navigation():
        page.locator(".navbar .notification-bell").click()
    expect(page.locator("h2")).to_contain_text("Thông báo")
    label = {"open": "Chưa xử lý", "all": "Tất cả"}[show]
    with page.expect_navigation():
        page.locator(".notification-filter a", has_text=exactly(label)).click()
    expect(page).to_have_url(re.compile(rf"/notifications/\?show={show}$"))
    expect(page.locator(".notification-filter li.active")).to_have_text(exactly(label))


def notice(page, about: str, words: str):
    """The one notice of the list naming the journey's document or draft (`about`) and saying
    `words`."""
    found = page.locator(".notification-list form.notification-open").filter(
        has_text=about).filter(has_text=words)
    expect(found).to_have_count(1)
    return found


def state_of(item):
    return item.locator(".notification-state")


def open_notice(page, item, url: str) -> None:
    """Open a notice as a person does: click it; it leads to what it is about."""
    with page.expect_navigation():
        item.locator("button").click()
    expect(page).to_have_url(url)


def waits(page, live_server, about, words):
    """The notice is among "Chưa xử lý", unread and "Cần xử lý"."""
    notices(page, live_server, "open")
    item = notice(page, about, words)
    expect(state_of(item)).to_have_text(exactly("Cần xử lý"))
    expect(item.locator(".label", has_text=exactly("Mới"))).to_have_count(1)
    return item


def settled(page, live_server, about, words):
    """The notice has left "Chưa xử lý" and shows "Đã xử lý" among all notices."""
    notices(page, live_server, "open")
    expect(page.locator(".notification-list form.notification-open").filter(
        has_text=about).filter(has_text=words)).to_have_count(0)
    notices(page, live_server, "all")
    item = notice(page, about, words)
    expect(state_of(item)).to_have_text(exactly("Đã xử lý"))
    expect(item.locator(".label", has_text=exactly("Mới"))).to_have_count(0)
    return item


def line_row(page, assignee):
    return page.locator("table.assignments tr").filter(
        has=page.locator("td", has_text=exactly(assignee)))


def act(page, action: str, flash: str = "Đã ghi nhận.") -> None:
    with page.expect_navigation():
        click_confirmed(page, page.locator(f"button.action-{action}"))
    expect_flash(page, flash)


# ---------------------------------------------------------------- the day

def test_each_person_learns_of_their_part_from_the_bell(
        page, live_server, login_as, shot, marker, document, draft):
    from tests.conftest import pdf

    document_url = f"{live_server}/incoming/{document.id}"
    draft_url = f"{live_server}/drafts/{draft.id}"
    # how a notice names the document: its arrival number, then the sender's number/symbol
    title = f"số {document.arrival_number}/{document.arrival_year} ({document.number_symbol})"

    # 1. The clerk presents the document to the deputy, who finds it under the bell.
    login_as("vanthu")
    page.goto(document_url)
    page.locator("#leader-id").select_option(label=DEPUTY)
    with page.expect_navigation():
        page.locator("button.action-submit").click()
    expect_flash(page, "Đã ghi nhận.")
    expect(page.locator("td.submitted-to")).to_contain_text(DEPUTY)

    switch_user(page, live_server, login_as, "pgd.nga")
    unread = bell_count(page)
    assert unread >= 1, "the deputy's bell shows nothing unread"
    item = waits(page, live_server, title, "trình đồng chí cho ý kiến chỉ đạo")
    expect(item).to_contain_text(marker)  # and what it is about
    shot(page, "notice-01-deputy-waiting")
    open_notice(page, item, document_url)
    expect(page.locator(".direction-form")).to_be_visible()
    assert bell_count(page) == unread - 1, "opening the notice did not mark it read"
    # read, yet still waiting for her direction
    notices(page, live_server, "open")
    item = notice(page, title, "trình đồng chí cho ý kiến chỉ đạo")
    expect(state_of(item)).to_have_text(exactly("Cần xử lý"))
    expect(item.locator(".label", has_text=exactly("Mới"))).to_have_count(0)

    # 2. She directs: the unit leads, the office leader is to know. Her notice is done.
    open_notice(page, item, document_url)
    form = page.locator(".direction-form form")
    form.locator("textarea[name=direction]").fill(DIRECTION)
    rows = form.locator("table.assignment-rows tr")
    for index, (role, target, instruction) in enumerate(
            [("Chủ trì", UNIT, UNIT_INSTRUCTION), ("Nhận để biết", READER, "")], start=1):
        rows.nth(index).locator("select[name=role]").select_option(label=role)
        rows.nth(index).locator("select[name=target]").select_option(label=target)
        rows.nth(index).locator("input[name=instruction]").fill(instruction)
    with page.expect_navigation():
        form.locator("button.action-assign").click()
    expect_flash(page, "Đã ghi nhận.")
    settled(page, live_server, title, "trình đồng chí cho ý kiến chỉ đạo")
    shot(page, "notice-02-deputy-done")

    # 3. The unit leader is told his unit leads, with the instruction; he hands it on.
    switch_user(page, live_server, login_as, "truongphong")
    assert bell_count(page) >= 1
    item = waits(page, live_server, title, f"được giao chủ trì (đơn vị {UNIT})")
    expect(item).to_contain_text(UNIT_INSTRUCTION)
    open_notice(page, item, document_url)
    hand_out = line_row(page, UNIT).locator("form").filter(
        has=page.locator("button.action-delegate"))
    officers = hand_out.locator("table.officer-rows tr")
    officers.nth(1).locator("select[name=officer_id]").select_option(label=OFFICER)
    officers.nth(1).locator("input[name=officer_instruction]").fill(OFFICER_INSTRUCTION)
    with page.expect_navigation():
        hand_out.locator("button.action-delegate").click()
    expect_flash(page, "Đã ghi nhận.")
    expect(line_row(page, OFFICER).locator("td").nth(0)).to_have_text(exactly("↳ Chủ trì"))
    settled(page, live_server, title, "được giao chủ trì")

    # The officer's bell: the document handed to her, with the unit leader's instruction.
    switch_user(page, live_server, login_as, "chuyenvien")
    assert bell_count(page) >= 1
    handed = f"{UNIT_LEADER} giao đồng chí chủ trì văn bản đến"
    item = waits(page, live_server, title, handed)
    expect(item).to_contain_text(f"ý kiến: {OFFICER_INSTRUCTION}")
    shot(page, "notice-03-officer-waiting")

    # The office leader is to know: opening the document from her notice makes it done.
    switch_user(page, live_server, login_as, "lanhdaovp")
    item = waits(page, live_server, title, "được giao nhận để biết")
    open_notice(page, item, document_url)
    expect(page.locator("body[data-acknowledged='1']")).to_have_count(1)
    expect(line_row(page, "Lê Thị Hòa").locator("td.line-state")).to_have_text(
        exactly("Đã xem"))
    settled(page, live_server, title, "được giao nhận để biết")
    shot(page, "notice-04-fyi-done")

    # 4. The officer completes her line from her notice: the notice is done.
    switch_user(page, live_server, login_as, "chuyenvien")
    item = waits(page, live_server, title, handed)
    open_notice(page, item, document_url)
    complete = line_row(page, OFFICER).locator("form").filter(
        has=page.locator("button.action-complete"))
    complete.locator("textarea[name=note]").fill("Đã tham mưu văn bản trả lời.")
    with page.expect_navigation():
        click_confirmed(page, complete.locator("button.action-complete"))
    expect_flash(page, "Đã ghi nhận.")
    expect(page.locator(".panel-heading .label.state")).to_have_text(exactly("Hoàn thành"))
    settled(page, live_server, title, handed)

    # 5. The draft: she submits it; her unit leader is told it waits for his review.
    page.goto(draft_url)
    act(page, "submit")
    expect(page.locator(".panel-heading .label.state")).to_have_text(
        exactly("Chờ lãnh đạo đơn vị"))

    switch_user(page, live_server, login_as, "truongphong")
    review = f"của {OFFICER} đang chờ bạn duyệt"
    item = waits(page, live_server, marker, review)
    notices(page, live_server, "all")  # the day so far: one waiting, one done
    expect(state_of(notice(page, marker, review))).to_have_text(exactly("Cần xử lý"))
    expect(state_of(notice(page, title, "được giao chủ trì"))).to_have_text(
        exactly("Đã xử lý"))
    README_SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(README_SHOT))
    shot(page, "notice-05-unit-leader-day")
    open_notice(page, notice(page, marker, review), draft_url)
    act(page, "forward")
    expect(page.locator(".panel-heading .label.state")).to_have_text(
        exactly("Chờ người ký duyệt"))
    settled(page, live_server, marker, review)

    # The signer is told it waits for his signature; he approves it.
    switch_user(page, live_server, login_as, "lanhdao")
    sign = "đang chờ bạn ký, duyệt"
    item = waits(page, live_server, marker, sign)
    open_notice(page, item, draft_url)
    act(page, "approve")
    expect(page.locator(".panel-heading .label.state")).to_have_text(
        exactly("Đã duyệt, chờ phát hành"))
    settled(page, live_server, marker, sign)

    # The clerk is told it waits for issuance; she issues it with the signed scan.
    switch_user(page, live_server, login_as, "vanthu")
    to_issue = "đã được duyệt, chờ phát hành"
    item = waits(page, live_server, marker, to_issue)
    shot(page, "notice-06-clerk-to-issue")
    open_notice(page, item, draft_url)
    with page.expect_navigation():
        page.locator("a.action-issue").click()
    page.locator("input#scan").set_input_files(
        {"name": f"ban-quet-{marker}.pdf", "mimeType": "application/pdf", "buffer": pdf()})
    with page.expect_navigation():
        page.locator("button.action-issue").click()
    expect_flash(page, "Đã phát hành văn bản số")
    issued_flash = page.locator(".alert").filter(has_text="Đã phát hành văn bản số").first
    number_symbol = re.search(r"số (\S+)\.", issued_flash.inner_text()).group(1)
    settled(page, live_server, marker, to_issue)

    # The drafter learns the number it was issued under.
    switch_user(page, live_server, login_as, "chuyenvien")
    notices(page, live_server, "open")
    issued = notice(page, marker, "đã được phát hành, số")
    expect(issued).to_contain_text(number_symbol)
    expect(state_of(issued)).to_have_count(0)  # for information: nothing to do
    open_notice(page, issued, draft_url)

    # 6. The administrator: operational alerts only, none of the day's work, all Vietnamese.
    switch_user(page, live_server, login_as, "quantri")
    response = page.goto(f"{live_server}/notifications/")
    assert response is not None and response.status == 200
    expect(page.locator("h2")).to_have_text(exactly("Thông báo"))
    expect(page.locator(".notification-filter")).to_contain_text("Chưa xử lý")
    expect(page.locator(".notification-filter")).to_contain_text("Tất cả")
    expect(page.locator("body")).not_to_contain_text(marker)
    expect(page.locator("body")).not_to_contain_text(title)
    text = page.locator("body").inner_text()
    english = [word for word in ("Notification", "Mark all", "Settings", "Previous", "Next",
                                 "No records", "Unread", "Read all", "Open", "Done", "Home",
                                 "Logout", "List")
               if re.search(rf"\b{word}\b", text)]
    assert not english, f"English words on the administrator's notices page: {english}"
    shot(page, "notice-07-administrator")
