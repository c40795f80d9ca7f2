"""The agency's week through the real browser: on Friday the office leader compiles next
week's schedule and submits it; the director approves it and it appears on the home page;
everyone is told; the unit leader then adds and publishes his unit's item, and the combined
view shows both. Screenshots: test-output/screenshots/schedule-*.png."""
import random
import string
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from app.core.timefmt import iso_week_days, today_local
from app.extensions import db
from app.schedules.models import ScheduleWeek
from tests.e2e.helpers import click_confirmed, exactly, open_menu, switch_user

pytestmark = pytest.mark.browser

CHAIR = "Trần Quốc Đạt"  # lanhdao
ROOM = "Phòng họp số 2 (tầng 3)"


@pytest.fixture
def next_week(app):
    """Next week as on a Friday: the agency's week not compiled yet (the demo's removed)."""
    year, week, _ = (today_local() + timedelta(days=7)).isocalendar()
    with app.app_context():
        db.session.execute(delete(ScheduleWeek).where(
            ScheduleWeek.level == "agency", ScheduleWeek.year == year,
            ScheduleWeek.week == week))
        db.session.commit()
    return year, week


def choose(page, select_id, label):
    """Pick an option of a select2-enhanced <select> through select2, by its visible label."""
    page.locator(f"select#{select_id} + .select2-container").click()
    search = page.locator(".select2-container--open input.select2-search__field")
    if search.count():
        search.press_sequentially(label[:10])
    page.locator(".select2-results__option", has_text=label).first.click()
    expect(page.locator(f"select#{select_id} option:checked")).to_contain_text(label)


def fill_item(page, day, start, end, content):
    page.locator("#day").fill(day.strftime("%d/%m/%Y"))
    page.locator("#start_time").fill(start)
    page.locator("#end_time").fill(end)
    page.locator("#content").fill(content)


def test_weekly_schedule_journey(page, live_server, login_as, shot, next_week, app):
    year, week = next_week
    monday = iso_week_days(year, week)[0]
    marker = "".join(random.choices(string.ascii_lowercase, k=6))
    meeting = f"Giao ban Lãnh đạo Sở tuần {week:02d} ({marker})"

    # 1. The office leader compiles next week: one meeting, chaired by the director.
    login_as("lanhdaovp")
    open_menu(page, "Lịch và tin tức", "Soạn lịch cơ quan")
    expect(page.locator(".schedule-title")).to_contain_text(f"Tuần thứ {week:02d}")
    with page.expect_navigation():
        page.locator("a.add-item").click()
    fill_item(page, monday, "08:00", "10:00", meeting)
    choose(page, "chair_id", CHAIR)
    choose(page, "room_id", ROOM)
    with page.expect_navigation():
        page.locator("form.schedule-item-form button[type=submit]").click()
    expect(page.locator(".alert").filter(has_text="Đã lưu mục lịch.")).to_be_visible()
    row = page.locator("tr.schedule-row").filter(has_text=meeting)
    expect(row).to_contain_text(CHAIR)
    expect(row).to_contain_text(ROOM)
    expect(page.locator(".week-state")).to_have_text(exactly("Đang soạn"))
    with page.expect_navigation():
        page.locator("form.act-submit button").click()
    expect(page.locator(".week-state")).to_have_text(exactly("Chờ duyệt"))
    shot(page, "schedule-1-submitted")

    # 2. The director approves it from "Duyệt lịch cơ quan"; it is published.
    switch_user(page, live_server, login_as, "lanhdao")
    expect(page.locator(".notification-count")).to_be_visible()
    page.goto(f"{live_server}/schedule/week?scope=agency&year={year}&week={week}")
    expect(page.locator("tr.schedule-row").filter(has_text=meeting)).to_be_visible()
    with page.expect_navigation():
        click_confirmed(page, page.locator("form.act-approve button"))
    expect(page.locator(".week-state")).to_have_text(exactly("Đã ban hành"))
    shot(page, "schedule-2-published")

    # 3. An officer sees it on the home page and is told.
    switch_user(page, live_server, login_as, "chuyenvien")
    panel = page.locator(f".home-schedule-{week}")
    expect(panel).to_contain_text(meeting)
    with page.expect_navigation():
        page.locator(".notification-bell").click()
    expect(page.locator(".notification-list")).to_contain_text(
        f"Lịch cơ quan tuần {week:02d}/{year} đã được ban hành.")
    shot(page, "schedule-3-home")

    # 4. The unit leader adds his unit's item and publishes the unit's week.
    switch_user(page, live_server, login_as, "truongphong")
    with app.app_context():
        from app.org.models import EofficeUser

        unit_id = db.session.scalar(select(EofficeUser.department_id).where(
            EofficeUser.username == "truongphong"))
    page.goto(f"{live_server}/schedule/week?scope=unit-{unit_id}&year={year}&week={week}")
    with page.expect_navigation():
        page.locator("a.add-item").click()
    unit_meeting = f"Họp phòng triển khai nhiệm vụ tuần ({marker})"
    fill_item(page, monday, "14:00", "15:30", unit_meeting)
    with page.expect_navigation():
        page.locator("form.schedule-item-form button[type=submit]").click()
    expect(page.locator("tr.schedule-row").filter(has_text=unit_meeting)).to_be_visible()
    with page.expect_navigation():
        click_confirmed(page, page.locator("form.act-publish button"))
    expect(page.locator(".week-state")).to_have_text(exactly("Đã ban hành"))

    # 5. The combined view shows the agency's and the unit's items, each with its schedule.
    page.goto(f"{live_server}/schedule/week?scope=all&year={year}&week={week}")
    expect(page.locator("tr.schedule-row").filter(has_text=meeting)).to_contain_text(
        "Lịch cơ quan")
    expect(page.locator("tr.schedule-row").filter(has_text=unit_meeting)).to_contain_text(
        "Lịch đơn vị")
    shot(page, "schedule-4-combined")
