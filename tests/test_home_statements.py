"""The home page reads the agency's schedule once: this week's and next week's records in one
query, the items of both in one more with their people, units, rooms, chairs and preparing
units — however many the items."""
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.core.timefmt import today_local
from app.schedules.models import ScheduleItem, ScheduleWeek
from tests.conftest import first_look_statements
from tests.test_schedule_statements import Cast, add_items, by_ids, reads


def agency_weeks(db_session):
    """This week's and next week's agency records (the demo publishes both)."""
    weeks = []
    for offset in (0, 7):
        year, week, _ = (today_local() + timedelta(days=offset)).isocalendar()
        weeks.append(db_session.scalar(select(ScheduleWeek).where(
            ScheduleWeek.level == "agency", ScheduleWeek.year == year,
            ScheduleWeek.week == week)))
    assert all(week is not None and week.is_published for week in weeks)
    return weeks


@pytest.fixture
def added(db_session):
    """Items added to the demo's weeks for a test, removed after it."""
    items = []
    yield items
    db_session.rollback()
    ids = [item.id for item in items]
    db_session.execute(delete(ScheduleItem).where(ScheduleItem.id.in_(ids)))
    db_session.commit()


def home(app, client, statements):
    """The home as drawn at its first look (what the schedule panel reads when it is drawn,
    not its kept copy): (HTML, statements)."""
    found, html = first_look_statements(app, client, "/", statements)
    return html, found


@pytest.mark.parametrize("username", ["chuyenvien", "truongphong"])
def test_home_reads_both_weeks_of_the_agency_once_however_many_items(
        app, login_as, db_session, statements, added, username):
    this_week, next_week = agency_weeks(db_session)
    shown = [item.content for item in this_week.items + next_week.items
             if not item.pending and item.change != "cancelled"]
    client = login_as(username)
    html, few = home(app, client, statements)
    assert shown and [content for content in shown if content not in html] == []
    assert len(reads(few, "schedule_week")) == 1, reads(few, "schedule_week")
    assert len(reads(few, "schedule_item")) == 1, reads(few, "schedule_item")
    for table in ("schedule_item_person", "schedule_item_unit", "meeting_room"):
        assert len(reads(few, table)) <= 1, reads(few, table)
    for table in ("ab_user", "department"):  # the chairs; the preparing units
        assert len(by_ids(few, table)) <= 1, by_ids(few, table)

    cast = Cast(db_session)
    added += add_items(db_session, cast, this_week, 6, label="Trang chủ")
    added += add_items(db_session, cast, next_week, 6, first=6, label="Trang chủ")
    db_session.commit()
    html, many = home(app, client, statements)
    assert "Trang chủ agency số 3" in html and "Trang chủ agency số 9" in html
    # Not one more (one fewer when the units read with the items hold the preparing ones).
    assert len(many) <= len(few), [s[:80] for s in many]


def test_the_schedule_panel_seen_again_reads_no_schedule_and_shows_a_change_at_once(
        login_as, db_session, statements, added):
    """Drawn once per version of the data, reader, language and day: seen again the home
    reads no week and no item; an item added to this week shows at the next look."""
    this_week, _next_week = agency_weeks(db_session)
    client = login_as("chuyenvien")
    client.get("/")
    statements.clear()
    again = client.get("/").get_data(as_text=True)
    assert [s for s in statements if "FROM schedule_" in s] == []
    assert f"home-schedule-{this_week.week}" in again

    added += add_items(db_session, Cast(db_session), this_week, 1, label="Xem lại trang chủ")
    db_session.commit()
    assert "Xem lại trang chủ agency số 0" in client.get("/").get_data(as_text=True)
