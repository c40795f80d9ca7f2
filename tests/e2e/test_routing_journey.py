"""Routing as agencies do it, in the real browser (issue 16, points 5 and 6): the clerk
presents two documents at once to a chosen deputy from the grid; the deputy assigns a unit to
lead, a person to co-operate and one to know (FYI), each with an instruction; the unit leader
hands the unit's line to two officers with instructions; the FYI holder opens the page and
her line is done; the lead officer completes and picks the issued reply; the co-operating
person is told and still finishes her part. Screenshots: test-output/screenshots/route-*.png.
"""
import random
import string

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import click_confirmed, exactly, expect_flash, switch_user

pytestmark = pytest.mark.browser

GRID = "/incoming/list/list/"
DEPUTY = "Vũ Đình Thành"          # pgd.thanh
UNIT = "Phòng Cải cách hành chính"
HELPER = "Ngô Thị Hạnh"           # cv.tcbc1, co-operating
READER = "Lê Thị Hòa"             # lanhdaovp, FYI
LEAD_OFFICER = "Hoàng Thị Thủy"   # chuyenvien
SECOND_OFFICER = "Phan Thị Oanh"  # cv.cchc


@pytest.fixture(scope="module")
def marker():
    return "dinhtuyen" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6))


@pytest.fixture
def two_documents(app, db_session, marker):
    """Two documents the clerk registered this morning, not yet presented."""
    from app.documents import services
    from tests.conftest import pdf, user
    from tests.incoming_helpers import entry

    made = []
    with app.test_request_context():
        for index in (1, 2):
            made.append(services.register_incoming(
                db_session, user(db_session, "vanthu"),
                entry(db_session, excerpt=f"V/v báo cáo cải cách hành chính đợt {index} "
                                          f"{marker}"), [(pdf(), "cong-van.pdf")]))
    return made


def line_row(page, assignee):
    return page.locator("table.assignments tr").filter(
        has=page.locator("td", has_text=exactly(assignee)))


def test_routing_journey(page, live_server, login_as, shot, marker, two_documents, app,
                         db_session):
    first, second = two_documents
    document_url = f"{live_server}/incoming/{first.id}"

    # 1. The clerk selects both in the grid and presents them to the deputy at once.
    login_as("vanthu")
    page.goto(f"{live_server}{GRID}?q={marker}")
    rows = page.locator("table tbody tr").filter(has_text=marker)
    expect(rows).to_have_count(2)
    for row in rows.all():
        row.locator("input.bulk-select").check()
    expect(page.locator(".incoming-bulk .bulk-count")).to_have_text("2")
    page.locator("#bulk-leader").select_option(label=f"{DEPUTY} – Phó Giám đốc")
    shot(page, "route-01-clerk-bulk")
    with page.expect_navigation():
        click_confirmed(page, page.locator("button.action-bulk-submit"))
    expect_flash(page, "Đã trình 2 văn bản")
    for document in (second, first):
        page.goto(f"{live_server}/incoming/{document.id}")
        expect(page.locator("td.submitted-to")).to_contain_text(DEPUTY)
        expect(page.locator(".panel-heading .label.state")).to_have_text(
            exactly("Chờ chỉ đạo"))

    # 2. The deputy directs: the unit leads, a person co-operates, the office leader knows.
    switch_user(page, live_server, login_as, "pgd.thanh")
    page.goto(document_url)
    form = page.locator(".direction-form form")
    form.locator("textarea[name=direction]").fill("Khẩn trương thực hiện.")
    rows = form.locator("table.assignment-rows tr")
    plan = [("Chủ trì", UNIT, "Chủ trì tham mưu văn bản trả lời."),
            ("Phối hợp", f"{HELPER} – TCBC", "Cung cấp số liệu biên chế."),
            ("Nhận để biết", f"{READER} – VP", "")]
    for index, (role, target, instruction) in enumerate(plan, start=1):
        rows.nth(index).locator("select[name=role]").select_option(label=role)
        rows.nth(index).locator("select[name=target]").select_option(label=target)
        rows.nth(index).locator("input[name=instruction]").fill(instruction)
    shot(page, "route-02-deputy-direction")
    with page.expect_navigation():
        form.locator("button.action-assign").click()
    expect_flash(page, "Đã ghi nhận.")
    expect(line_row(page, UNIT).locator("td.instruction")).to_contain_text(
        "Chủ trì tham mưu văn bản trả lời.")
    expect(line_row(page, HELPER).locator("td").nth(0)).to_have_text(exactly("Phối hợp"))
    expect(line_row(page, READER).locator("td").nth(3)).to_have_text(exactly("Chưa xem"))

    # 3. The unit leader hands the unit's line to two officers, the first one leading.
    switch_user(page, live_server, login_as, "truongphong")
    page.goto(document_url)
    hand_out = line_row(page, UNIT).locator("form").filter(
        has=page.locator("button.action-delegate"))
    officers = hand_out.locator("table.officer-rows tr")
    officers.nth(1).locator("select[name=officer_id]").select_option(label=LEAD_OFFICER)
    officers.nth(1).locator("input[name=officer_instruction]").fill("Dự thảo công văn trả lời.")
    officers.nth(2).locator("select[name=officer_id]").select_option(label=SECOND_OFFICER)
    officers.nth(2).locator("input[name=officer_instruction]").fill("Tổng hợp số liệu.")
    expect(officers.nth(1).locator("input[name=officer_lead]")).to_be_checked()
    shot(page, "route-03-unit-leader-hands-out")
    with page.expect_navigation():
        hand_out.locator("button.action-delegate").click()
    expect_flash(page, "Đã ghi nhận.")
    expect(line_row(page, LEAD_OFFICER).locator("td").nth(0)).to_have_text(exactly("↳ Chủ trì"))
    expect(line_row(page, SECOND_OFFICER).locator("td").nth(0)).to_have_text(
        exactly("↳ Phối hợp"))
    expect(line_row(page, SECOND_OFFICER).locator("td.instruction")).to_contain_text(
        "Tổng hợp số liệu.")

    # 4. The office leader (FYI) opens the page: her line is done, not "Đang xử lý".
    switch_user(page, live_server, login_as, "lanhdaovp")
    page.goto(document_url)
    expect(page.locator("body[data-acknowledged='1']")).to_have_count(1)
    expect(line_row(page, READER).locator("td").nth(3)).to_have_text(exactly("Đã xem"))
    page.reload()
    expect(line_row(page, READER).locator("td").nth(3)).to_have_text(exactly("Đã xem"))
    expect(line_row(page, READER).locator("button")).to_have_count(0)
    shot(page, "route-04-fyi-read")

    # The reply is drafted, approved and issued meanwhile (the outgoing side's own journey).
    from tests.test_outgoing import approved_draft, issue

    with app.test_request_context():
        outgoing = issue(db_session, approved_draft(db_session, reply_to_id=first.id))
    reply_symbol = outgoing.number_symbol

    # 5. The lead officer completes and picks the issued reply.
    switch_user(page, live_server, login_as, "chuyenvien")
    page.goto(document_url)
    expect(page.locator(".replies")).to_contain_text(reply_symbol)
    complete = line_row(page, LEAD_OFFICER).locator("form").filter(
        has=page.locator("button.action-complete"))
    complete.locator("textarea[name=note]").fill("Đã phát hành công văn trả lời.")
    complete.locator("select[name=reply_id]").select_option(value=str(outgoing.id))
    shot(page, "route-05-lead-completes")
    with page.expect_navigation():
        click_confirmed(page, complete.locator("button.action-complete"))
    expect_flash(page, "Đã ghi nhận.")
    expect(page.locator(".panel-heading .label.state")).to_have_text(exactly("Hoàn thành"))
    result = page.locator("table.document-metadata tr").filter(
        has=page.locator("th", has_text=exactly("Kết quả xử lý")))
    expect(result).to_contain_text(reply_symbol)
    expect(line_row(page, HELPER).locator("td").nth(3)).to_have_text(exactly("Đang xử lý"))

    # 6. The co-operating person is told, and still finishes her part.
    switch_user(page, live_server, login_as, "cv.tcbc1")
    page.goto(f"{live_server}/notifications/")
    expect(page.locator("body")).to_contain_text("vẫn mở")
    page.goto(document_url)
    mine = line_row(page, HELPER).locator("form").filter(
        has=page.locator("button.action-complete"))
    mine.locator("textarea[name=note]").fill("Đã cung cấp số liệu biên chế.")
    with page.expect_navigation():
        click_confirmed(page, mine.locator("button.action-complete"))
    expect_flash(page, "Đã ghi nhận.")
    expect(line_row(page, HELPER).locator("td").nth(3)).to_have_text(exactly("Đã xử lý"))
    shot(page, "route-06-cooperation-done")
