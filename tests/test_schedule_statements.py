"""The weekly schedule page reads each thing once, however many its items: the weeks shown, the
agency's week and the weeks one may add to in one query; the items of the weeks shown and the
published items they may conflict with in one more, with their people, units and rooms; the
chairs, owners and preparing units among the scope menu's people and units (not read again,
nor one by one); the history's actors with it. Each test builds weeks of its own, far ahead."""
from datetime import time

import pytest
from sqlalchemy import delete, select

from app.catalogs.models import MeetingRoom
from app.core.timefmt import iso_week_days, utcnow
from app.org.models import Department, EofficeUser
from app.schedules.models import ScheduleEvent, ScheduleItem, ScheduleWeek

YEAR = 2043


def reads(statements, table):
    """The statements reading rows of `table` (SELECT table.…, not a link table's)."""
    return [s for s in statements if s.lstrip().startswith(f"SELECT {table}.")]


def by_ids(statements, table):
    return [s for s in reads(statements, table) if f"WHERE {table}.id IN" in s]


def user(db_session, username):
    return db_session.scalar(select(EofficeUser).where(EofficeUser.username == username))


class Cast:
    """The people, units and rooms the items are spread over."""

    def __init__(self, db_session):
        self.people = db_session.scalars(select(EofficeUser).where(
            EofficeUser.active.is_(True)).order_by(EofficeUser.id)).all()
        self.units = db_session.scalars(select(Department).where(
            Department.active.is_(True)).order_by(Department.id)).all()
        self.rooms = db_session.scalars(select(MeetingRoom).order_by(MeetingRoom.id)).all()
        assert len(self.people) > 6 and len(self.units) > 3 and len(self.rooms) > 1


def add_items(db_session, cast, week, count, first=0, label="Mục"):
    """`count` items of `week`, each with another chair, people, units, room and preparing unit;
    two items a day at the same hour in the same room (a conflict shown on the page)."""
    days = iso_week_days(week.year, week.week)
    items = []
    for n in range(first, first + count):
        people = [cast.people[(n + k) % len(cast.people)] for k in (1, 2)]
        item = ScheduleItem(
            week_record=week, day=days[n % 5], session="morning", start_time=time(8 + n % 3),
            end_time=time(9 + n % 3), content=f"{label} {week.level} số {n}",
            chair_id=cast.people[n % len(cast.people)].id,
            room_id=cast.rooms[n % len(cast.rooms)].id,
            preparing_unit_id=cast.units[n % len(cast.units)].id,
            private=week.level == "person" and n % 2 == 0)
        item.people = people
        item.units = [cast.units[(n + 1) % len(cast.units)]]
        db_session.add(item)
        items.append(item)
    return items


def add_history(db_session, cast, week, count, first=0):
    for n in range(first, first + count):
        db_session.add(ScheduleEvent(week_record=week, actor_id=cast.people[n % len(
            cast.people)].id, action="approve" if n % 2 else "submit"))


@pytest.fixture
def weeks_ahead(db_session):
    """build(week) → the published weeks of that week: the agency's, chuyenvien's unit's,
    chuyenvien's own and another person's (with private items); removed after the test."""
    built = []

    def build(week):
        officer, other = user(db_session, "chuyenvien"), user(db_session, "lanhdao")
        published = {"year": YEAR, "week": week, "state": "published", "version": 1,
                     "published_at": utcnow()}
        weeks = {
            "agency": ScheduleWeek(level="agency", **published),
            "unit": ScheduleWeek(level="unit", department_id=officer.department_id, **published),
            "mine": ScheduleWeek(level="person", owner_id=officer.id, **published),
            "other": ScheduleWeek(level="person", owner_id=other.id, **published)}
        db_session.add_all(weeks.values())
        built.extend(weeks.values())
        return weeks

    yield build
    db_session.rollback()
    ids = [week.id for week in built]
    # Their items, the items' people and units, and the history go with them (ON DELETE CASCADE).
    db_session.execute(delete(ScheduleWeek).where(ScheduleWeek.id.in_(ids)))
    db_session.commit()
    assert not db_session.scalar(select(ScheduleItem.id).where(ScheduleItem.week_id.in_(ids)))


def page(client, statements, path):
    client.get(path)  # once before: what a first visit fills is not counted
    statements.clear()
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), list(statements)


@pytest.mark.parametrize("username", ["chuyenvien", "truongphong"])
def test_the_combined_week_reads_each_thing_once_however_many_items(
        login_as, db_session, statements, weeks_ahead, username):
    cast = Cast(db_session)
    weeks = weeks_ahead(10 if username == "chuyenvien" else 11)
    for week in weeks.values():
        add_items(db_session, cast, week, 2)
    db_session.commit()
    client = login_as(username)
    path = f"/schedule/week?scope=all&year={YEAR}&week={weeks['agency'].week}"
    html, few = page(client, statements, path)
    assert "Mục agency số 0" in html and "Mục unit số 1" in html
    assert "has-conflict" in html  # the same room twice at the same hour

    assert len(reads(few, "schedule_week")) == 1, reads(few, "schedule_week")
    assert len(reads(few, "schedule_item")) == 1, reads(few, "schedule_item")
    assert len(reads(few, "schedule_item_person")) <= 1
    assert len(reads(few, "schedule_item_unit")) <= 1
    assert len(reads(few, "meeting_room")) <= 1
    assert len(by_ids(few, "ab_user")) <= 1  # chairs, owners, conflicting people: together
    assert len(reads(few, "department")) <= 1  # the scope menu's units hold the preparing ones

    for week in weeks.values():
        add_items(db_session, cast, week, 10, first=2, label="Thêm")
    db_session.commit()
    html, many = page(client, statements, path)
    assert "Thêm agency số 11" in html and "Thêm unit số 7" in html
    assert len(many) <= len(few), [s[:80] for s in many]


@pytest.mark.parametrize("scope", ["agency", "unit", "mine"])
def test_one_scope_and_its_history_in_the_same_statements_however_long(
        login_as, db_session, statements, weeks_ahead, scope):
    cast = Cast(db_session)
    weeks = weeks_ahead({"agency": 20, "unit": 21, "mine": 22}[scope])
    for week in weeks.values():
        add_items(db_session, cast, week, 2)
    shown = weeks["unit" if scope == "unit" else "agency"]
    add_history(db_session, cast, shown, 1)
    db_session.commit()
    officer = user(db_session, "chuyenvien")
    key = {"agency": "agency", "unit": f"unit-{officer.department_id}", "mine": "mine"}[scope]
    client = login_as("chuyenvien" if scope == "mine" else "truongphong")
    path = f"/schedule/week?scope={key}&year={YEAR}&week={shown.week}"
    html, few = page(client, statements, path)
    assert f"Mục {shown.level} số 0" in html
    assert len(reads(few, "schedule_week")) == 1, reads(few, "schedule_week")
    assert len(reads(few, "schedule_item")) == 1, reads(few, "schedule_item")

    for week in weeks.values():
        add_items(db_session, cast, week, 8, first=2, label="Thêm")
    add_history(db_session, cast, shown, 6, first=1)
    db_session.commit()
    html, many = page(client, statements, path)
    assert f"Thêm {shown.level} số 9" in html
    assert len(many) <= len(few), [s[:80] for s in many]
