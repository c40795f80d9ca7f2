"""The life of one incoming document (văn bản đến) through the real browser: the clerk registers
it, the agency leader gives a direction, the unit leader passes it to an officer, the officer
records progress and completes it; then the leader reads the overdue list. Every step asserts
what the person sees, with a screenshot (test-output/screenshots/in-*.png)."""
import random
import re
import string
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    choose, click_confirmed, enter_date, exactly, expect_flash, open_menu, switch_user,
)

from app.core.pdf import make_demo_pdf
from app.core.timefmt import local_now

pytestmark = pytest.mark.browser

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
REGISTER = "/incoming/register"
GRID = "/incoming/list/list/"
OVERDUE = "/incoming/overdue"

AGENCY = "Ủy ban nhân dân tỉnh Hà Nam"
DOCUMENT_TYPE = "Công văn"
FIELD = "Cải cách hành chính"
UNIT = "Phòng Cải cách hành chính"
OFFICER = "Hoàng Thị Thủy"  # chuyenvien
UNIT_LEADER = "Phạm Minh Đức"  # truongphong
REPLY = "45/SNV-CCHC"


@pytest.fixture(scope="module")
def marker():
    """A word no other document carries: the journey finds its document by it."""
    return "hanhtrinh" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6))


def shown_date(field) -> str:
    """The date a field shows, as dd/mm/yyyy."""
    value = field.input_value()
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        year, month, day = value.split("-")
        value = f"{day}/{month}/{year}"
    return value


def state_label(page):
    return page.locator(".panel-heading .label.state")


def metadata(page, heading: str):
    return page.locator("table.document-metadata tr").filter(
        has=page.locator("th", has_text=exactly(heading))).locator("td")


def assignment_row(page, assignee: str):
    return page.locator("table.assignments tr").filter(
        has=page.locator("td", has_text=exactly(assignee)))


def open_from_inbox(page, live_server, marker: str, excerpt: str, box: str = "to_process"):
    """The inbox (a pill of the grid), searched by the marker; opens the document."""
    page.goto(f"{live_server}{GRID}?box={box}")
    pill = page.locator(".incoming-boxes .nav-pills li.active")
    expect(pill).to_contain_text("Chờ xử lý")
    search = page.locator("form.incoming-search input[name=q]")
    search.fill(marker)
    with page.expect_navigation():
        page.locator("form.incoming-search button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"box={box}"))
    rows = page.locator("table tbody tr").filter(has_text=marker)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(excerpt)
    return rows


# ---------------------------------------------------------------- an overdue document

@pytest.fixture
def overdue_document(app, db_session):
    """The demo data has late documents; should it have none, make one the way the leaders do."""
    from sqlalchemy import select

    from app.documents import services
    from app.org.models import EofficeUser
    from tests.incoming_helpers import entry

    def person(username):
        return db_session.scalar(select(EofficeUser).where(EofficeUser.username == username))

    with app.test_request_context():
        if services.overdue_lines(db_session, person("lanhdao")):
            return
        now = local_now().replace(second=0, microsecond=0)
        document = services.register_incoming(
            db_session, person("vanthu"),
            entry(db_session, excerpt="V/v báo cáo quá hạn (hành trình thử)",
                  arrival_at=now - timedelta(days=10),
                  document_date=(now - timedelta(days=11)).date()),
            submit=True)
        services.assign(db_session, person("lanhdao"), document, "",
                        [{"role": "lead", "user_id": person("chuyenvien").id,
                          "deadline": now.date() - timedelta(days=3)}])


# ---------------------------------------------------------------- the journey

def test_incoming_document_journey(page, live_server, login_as, shot, marker, tmp_path,
                                   overdue_document):
    today = local_now().date()
    yesterday = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    week_ahead = (today + timedelta(days=7)).strftime("%d/%m/%Y")
    number_symbol = f"{random.randint(100, 9999)}/UBND-CCHC"
    excerpt = f"V/v kiểm tra công tác cải cách hành chính năm 2026 {marker}"
    pdf = tmp_path / f"cong-van-{marker}.pdf"
    pdf.write_bytes(make_demo_pdf(
        "Công văn kiểm tra cải cách hành chính",
        ["Độc lập - Tự do - Hạnh phúc", excerpt, "Nơi nhận: Sở Nội vụ tỉnh Hà Nam"],
        font_path=FONT))

    # 1. The clerk registers the document.
    login_as("vanthu")
    open_menu(page, "Văn bản", "Vào sổ văn bản đến")
    expect(page).to_have_url(re.compile(re.escape(REGISTER)))
    expect(page.locator(".panel-title")).to_contain_text("Vào sổ văn bản đến")
    expect(page.locator("label", has_text="Số đến (dự kiến)")).to_be_visible()
    preview = page.locator("#number-preview")
    expect(preview).to_have_text(re.compile(r"^\d+$"))
    expected_number = preview.inner_text().strip()
    expect(page.locator("#arrival_at")).to_have_value(re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$"))
    expect(page.locator("#submit_now")).to_be_checked()
    shot(page, "in-01-register-form")

    choose(page, "agency_id", AGENCY)
    page.locator("#number_symbol").fill(number_symbol)
    enter_date(page.locator("#document_date"), yesterday)
    choose(page, "document_type_id", DOCUMENT_TYPE)
    choose(page, "field_id", FIELD)
    page.locator("#files").set_input_files(str(pdf))
    shot(page, "in-02-register-form-no-excerpt")

    save = page.locator("form button[type=submit]", has_text="Lưu")
    with page.expect_navigation():
        save.click()
    expect(page).to_have_url(re.compile(re.escape(REGISTER)))
    expect(page.locator(".alert-danger")).to_contain_text("Chưa lưu")
    errors = page.locator(".form-group.has-error .error-message").all_inner_texts()
    assert errors == ["Nhập trích yếu nội dung."], \
        f"the only problem is the missing excerpt, yet the form says: {errors}"
    excerpt_group = page.locator(".form-group.has-error").filter(has=page.locator("#excerpt"))
    expect(excerpt_group.locator(".error-message")).to_have_text(
        exactly("Nhập trích yếu nội dung."))
    expect(preview).to_have_text(expected_number)  # nothing was registered
    expect(page.locator("#number_symbol")).to_have_value(number_symbol)  # the entry is kept
    expect(page.locator("#agency_id option:checked")).to_have_text(exactly(AGENCY))
    assert shown_date(page.locator("#document_date")) == yesterday, \
        "the document date typed before the failed save is not shown any more"
    shot(page, "in-03-register-excerpt-missing")

    page.locator("#excerpt").fill(excerpt)
    page.locator("#files").set_input_files(str(pdf))  # a browser never keeps a file input
    expect(page.locator("#submit_now")).to_be_checked()
    with page.expect_navigation():
        save.click()
    expect_flash(page, f"Đã vào sổ văn bản đến số {expected_number}.")
    expect(page).to_have_url(re.compile(r"/incoming/\d+$"))
    document_url = page.url
    expect(page.locator(".panel-heading .panel-title").first).to_contain_text(
        f"số {expected_number}/")
    expect(state_label(page)).to_have_text(exactly("Chờ chỉ đạo"))
    expect(metadata(page, "Trích yếu")).to_contain_text(f"{DOCUMENT_TYPE}: {excerpt}")
    expect(metadata(page, "Cơ quan ban hành")).to_have_text(exactly(AGENCY))
    expect(metadata(page, "Số, ký hiệu")).to_have_text(exactly(f"{number_symbol} ngày {yesterday}"))
    expect(metadata(page, "Lĩnh vực")).to_have_text(exactly(FIELD))
    files = page.locator("ul.document-files")
    attachment = files.locator("a", has_text=pdf.name)
    expect(attachment).to_be_visible()
    stamped = files.locator("a", has_text="Bản có dấu ĐẾN")
    expect(stamped).to_be_visible()
    for link in (attachment, stamped):
        response = page.request.get(f"{live_server}{link.get_attribute('href')}")
        assert response.ok, f"{link.get_attribute('href')} answered {response.status}"
        assert response.headers["content-type"].startswith("application/pdf")
        assert response.body().startswith(b"%PDF")
    history = page.locator("table.history")
    expect(history).to_contain_text("Vào sổ")
    expect(history).to_contain_text("Trình lãnh đạo")
    shot(page, "in-04-registered")

    # 2. The agency leader finds it among the documents waiting for him and gives a direction.
    switch_user(page, live_server, login_as, "lanhdao")
    row = open_from_inbox(page, live_server, marker, excerpt)
    expect(row).to_contain_text("Chờ chỉ đạo")
    shot(page, "in-05-leader-inbox")
    with page.expect_navigation():
        row.locator("a", has_text=number_symbol).click()
    expect(page).to_have_url(document_url)
    form = page.locator(".direction-form form")
    expect(form).to_be_visible()
    direction = (f"Giao {UNIT} chủ trì kiểm tra, tham mưu báo cáo kết quả cải cách hành chính "
                 "năm 2026.")
    form.locator("textarea[name=direction]").fill(direction)
    first = form.locator("table tr").nth(1)
    first.locator("select[name=role]").select_option(label="Chủ trì")
    first.locator("select[name=target]").select_option(label=UNIT)
    first.locator("input[name=line_deadline]").fill(week_ahead)
    shot(page, "in-06-leader-direction-form")
    with page.expect_navigation():
        form.locator("button.action-assign").click()
    expect_flash(page, "Đã ghi nhận.")
    expect(state_label(page)).to_have_text(exactly("Đang xử lý"))
    expect(page.locator("td.direction")).to_have_text(exactly(direction))
    unit_line = assignment_row(page, UNIT)
    expect(unit_line).to_have_count(1)
    expect(unit_line.locator("td").nth(0)).to_have_text(exactly("Chủ trì"))
    expect(unit_line.locator("td").nth(2)).to_have_text(exactly(week_ahead))
    expect(unit_line.locator("td").nth(3)).to_have_text(exactly("Đang xử lý"))
    expect(page.locator(".direction-form")).to_contain_text("Ý kiến chỉ đạo")  # may add more
    shot(page, "in-07-leader-directed")

    # 3. The unit leader passes the unit's line to one of his officers.
    switch_user(page, live_server, login_as, "truongphong")
    row = open_from_inbox(page, live_server, marker, excerpt)
    expect(row).to_contain_text("Đang xử lý")
    with page.expect_navigation():
        row.locator("a", has_text=number_symbol).click()
    expect(page).to_have_url(document_url)
    unit_line = assignment_row(page, UNIT)
    delegate = unit_line.locator("form").filter(has=page.locator("button.action-delegate"))
    expect(delegate.locator("button.action-delegate")).to_have_text(exactly("Giao chuyên viên"))
    # several officers at once: the first row leads (issue 16); one is enough here
    officers = delegate.locator("select[name=officer_id]").first.locator(
        "option").all_inner_texts()
    assert OFFICER in officers, f"the unit's people offered: {officers}"
    assert not {"Trần Quốc Đạt", "Đỗ Thị Lan"} & set(officers), \
        f"people outside the unit offered: {officers}"
    delegate.locator("select[name=officer_id]").first.select_option(label=OFFICER)
    shot(page, "in-08-unit-leader-delegates")
    with page.expect_navigation():
        delegate.locator("button.action-delegate").click()
    expect_flash(page, "Đã ghi nhận.")
    officer_line = assignment_row(page, OFFICER)
    expect(officer_line).to_have_count(1)
    expect(officer_line).to_have_class(re.compile(r"\bchild-line\b"))
    expect(officer_line.locator("td").nth(0)).to_have_text(exactly("↳ Chủ trì"))
    expect(officer_line.locator("td").nth(2)).to_have_text(exactly(week_ahead))
    expect(page.locator("table.history")).to_contain_text("Giao chuyên viên")
    shot(page, "in-09-delegated")

    # 4. The officer records progress, then completes it with the reply's reference.
    switch_user(page, live_server, login_as, "chuyenvien")
    row = open_from_inbox(page, live_server, marker, excerpt)
    shot(page, "in-10-officer-inbox")
    with page.expect_navigation():
        row.locator("a", has_text=number_symbol).click()
    expect(page).to_have_url(document_url)
    officer_line = assignment_row(page, OFFICER)
    expect(assignment_row(page, UNIT).locator("button")).to_have_count(0)  # not hers to act on
    progress_note = "Đã làm việc với các phòng, đang tổng hợp số liệu kiểm tra."
    progress = officer_line.locator("form").filter(has=page.locator("button.action-progress"))
    progress.locator("textarea[name=note]").fill(progress_note)
    with page.expect_navigation():
        progress.locator("button.action-progress").click()
    expect_flash(page, "Đã ghi nhận.")
    officer_line = assignment_row(page, OFFICER)
    expect(officer_line.locator("td").nth(4)).to_have_text(exactly(progress_note))
    expect(state_label(page)).to_have_text(exactly("Đang xử lý"))
    shot(page, "in-11-officer-progress")

    result_note = "Đã kiểm tra xong, dự thảo công văn báo cáo kết quả gửi UBND tỉnh."
    complete = officer_line.locator("form").filter(has=page.locator("button.action-complete"))
    complete.locator("textarea[name=note]").fill(result_note)
    complete.locator("input[name=reply_reference]").fill(REPLY)
    shot(page, "in-12-officer-completing")
    with page.expect_navigation():  # asked first (data-confirm): it cannot be undone
        click_confirmed(page, complete.locator("button.action-complete"))
    expect_flash(page, "Đã ghi nhận.")
    expect(state_label(page)).to_have_text(exactly("Hoàn thành"))
    expect(metadata(page, "Kết quả xử lý")).to_have_text(
        exactly(f"{result_note} – Văn bản trả lời: {REPLY}"))
    for assignee in (UNIT, OFFICER):
        line = assignment_row(page, assignee)
        expect(line.locator("td").nth(3)).to_have_text(exactly("Đã xử lý"))
        expect(line.locator("td").nth(4)).to_have_text(exactly(result_note))
        expect(line.locator("button")).to_have_count(0)
    history = [row.locator("td").nth(2).inner_text().strip()
               for row in page.locator("table.history tr").filter(has=page.locator("td")).all()]
    for step in ("Vào sổ", "Trình lãnh đạo", "Cho ý kiến chỉ đạo, phân công",
                 "Giao chuyên viên", "Cập nhật tiến độ", "Hoàn thành phần việc",
                 "Văn bản hoàn thành"):
        assert step in history, f"{step!r} missing from the history: {history}"
    events = page.locator("table.history")
    expect(events).to_contain_text(direction)
    expect(events).to_contain_text(progress_note)
    expect(events).to_contain_text("Hoàng Thị Thủy")
    expect(events).to_contain_text(UNIT_LEADER)
    shot(page, "in-13-completed")

    # the officer's inbox no longer holds it; "Đã xử lý" does
    page.goto(f"{live_server}{GRID}?box=to_process&q={marker}")
    expect(page.locator("table tbody tr").filter(has_text=marker)).to_have_count(0)
    page.goto(f"{live_server}{GRID}?box=processed&q={marker}")
    expect(page.locator("table tbody tr").filter(has_text=marker)).to_have_count(1)
    shot(page, "in-14-officer-processed")

    # 5. The agency leader reads the overdue list: unit, person, days late.
    switch_user(page, live_server, login_as, "lanhdao")
    open_menu(page, "Văn bản", "Văn bản đến quá hạn")
    expect(page).to_have_url(re.compile(re.escape(OVERDUE)))
    title = page.locator(".panel-title").first
    # everything late the leader may see, in documents (app.documents.deadlines)
    expect(title).to_have_text(re.compile(
        r"Văn bản đến quá hạn – toàn bộ phạm vi xem \((\d+) văn bản\)"))
    total = int(re.search(r"\((\d+) văn bản\)", title.inner_text()).group(1))
    assert total >= 1
    expect(page.locator(".empty-state")).to_have_count(0)
    expect(page.locator("h4.overdue-unit").first).to_be_visible()
    expect(page.locator("h5.overdue-person").first).to_be_visible()
    units = [u.strip() for u in page.locator("h4.overdue-unit").all_inner_texts()]
    assert units and "Chưa rõ đơn vị" not in units, f"units of the overdue list: {units}"
    people = [p.strip() for p in page.locator("h5.overdue-person").all_inner_texts()]
    named = [p for p in people if not p.startswith("Đơn vị chưa giao")]
    assert named and all(re.fullmatch(r"\S.* \(\d+\)", p) for p in named), people
    rows = page.locator("table tr").filter(has=page.locator("td.days-late"))
    documents = {row.locator("td a").first.get_attribute("href") for row in rows.all()}
    assert len(documents) == total or page.locator(".overdue-pager").count(), \
        f"{len(documents)} documents listed, the title says {total}"
    work = page.locator("table").filter(has=page.locator("td.days-late")).first
    headers = [h.strip() for h in work.locator("th").all_inner_texts()]
    deadline_at = headers.index("Hạn xử lý")
    for row in rows.all():
        deadline = datetime.strptime(row.locator("td").nth(deadline_at).inner_text().strip(),
                                     "%d/%m/%Y").date()
        days = int(row.locator("td.days-late").inner_text())
        assert days >= 1 and days == (today - deadline).days, \
            f"{days} days late for a deadline of {deadline:%d/%m/%Y} (today {today:%d/%m/%Y})"
    expect(page.locator("table").filter(has_text=marker)).to_have_count(0)  # ours was on time
    shot(page, "in-15-overdue-list")
