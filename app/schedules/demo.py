"""Demo weekly schedules for `make run`: last, this and next week's agency schedule, built by
the office leader and approved by the director through app.schedules.services; this week's
has one published adjustment (a meeting moved, one added). Units' and people's weeks follow.

Idempotent: a week that already exists is left alone."""
from datetime import time, timedelta

import click
from sqlalchemy import select

from app.catalogs.models import MeetingRoom
from app.core.timefmt import iso_week_days, today_local
from app.extensions import db
from app.org.models import Department, EofficeUser
from app.schedules import services
from app.schedules.models import AGENCY, PERSON, UNIT

# (weekday 0–6, session, start, end, content, chair, people, units, room, preparing unit, notes)
AGENCY_WEEK = [
    (0, "morning", time(7, 30), time(9, 0), "Giao ban Lãnh đạo Sở đầu tuần", "lanhdao",
     ["lanhdaovp", "truongphong"], [], "Phòng họp số 1 (tầng 2)", "VP",
     "Lịch này thay thư mời họp"),
    (0, "afternoon", time(14, 0), time(16, 30),
     "Làm việc với Phòng Cải cách hành chính về kết quả chỉ số PAR INDEX", "lanhdao",
     ["truongphong", "chuyenvien"], ["CCHC"], "Phòng họp số 1 (tầng 2)", "CCHC", ""),
    (1, "morning", time(8, 0), time(11, 0),
     "Dự họp UBND tỉnh về công tác tổ chức bộ máy", "lanhdao", [], [], None, "VP",
     "Địa điểm: Hội trường UBND tỉnh"),
    (2, "morning", time(8, 0), time(10, 0),
     "Hội nghị trực tuyến tập huấn nghiệp vụ văn thư, lưu trữ", "lanhdaovp", ["vanthu"],
     ["VP"], "Hội trường lớn", "VTLT", ""),
    (3, "afternoon", time(14, 0), time(17, 0),
     "Thẩm định hồ sơ đề nghị khen thưởng cuối năm", "lanhdao", ["lanhdaovp"], ["TĐKT"],
     "Phòng họp số 1 (tầng 2)", "TĐKT", ""),
    (4, "morning", time(8, 0), time(9, 30), "Tiếp công dân định kỳ", "lanhdao", [], ["TTr"],
     "Phòng tiếp công dân, tầng 1", "TTr", ""),
]
UNIT_WEEK = {  # unit code → items (same shape, no room name needed)
    "CCHC": [(1, "afternoon", time(14, 0), time(16, 0),
              "Họp phòng: rà soát thủ tục hành chính quý IV", "truongphong", ["chuyenvien"],
              "Phòng họp số 2 (tầng 3)", ""),
             (3, "morning", time(8, 0), time(11, 0),
              "Kiểm tra công tác cải cách hành chính tại UBND huyện Kim Bảng", "truongphong",
              ["chuyenvien"], None, "Đi cơ sở")],
}
PERSONAL = {  # username → (weekday, session, start, end, content, private)
    "chuyenvien": [(2, "afternoon", time(14, 0), time(15, 30),
                    "Dự thảo báo cáo PAR INDEX gửi Trưởng phòng", False),
                   (4, "afternoon", time(15, 0), time(16, 0), "Khám sức khỏe định kỳ", True)],
    "lanhdao": [(2, "afternoon", time(15, 0), time(16, 30),
                 "Làm việc với Sở Tài chính về dự toán năm sau", False)],
}


def create_schedule_demo(app):
    session = db.session
    users = {u.username: u for u in session.scalars(select(EofficeUser))}
    units = {d.code: d for d in session.scalars(select(Department))}
    rooms = {r.name: r for r in session.scalars(select(MeetingRoom))}
    compiler, approver = users["lanhdaovp"], users["lanhdao"]
    today = today_local()
    created = 0
    for offset in (-7, 0, 7):
        year, week = services.week_of(today + timedelta(days=offset))
        scope = services.Scope(AGENCY)
        if services.find_week(session, scope, year, week) is not None:
            continue
        record = services.open_week(session, compiler, scope, year, week)
        days = iso_week_days(year, week)
        built_on = days[0] - timedelta(days=3)  # the Friday before, as the office does
        for entry in AGENCY_WEEK:
            services.add_items(session, compiler, record,
                               _item(entry, days, users, units, rooms), built_on)
        services.act(session, compiler, record, "submit")
        services.act(session, approver, record, "approve")
        created += 1
        if offset == 0:
            _adjust(session, compiler, approver, record, days, users, units, rooms)
        for code, entries in UNIT_WEEK.items():
            leader = users["truongphong"]
            unit_week = services.open_week(session, leader, services.Scope(
                UNIT, department_id=units[code].id), year, week)
            for (weekday, part, start, end, content, chair, people, room, notes) in entries:
                services.add_items(session, leader, unit_week, _item(
                    (weekday, part, start, end, content, chair, people, [], room, code, notes),
                    days, users, units, rooms), built_on)
            services.act(session, leader, unit_week, "publish")
        for username, entries in PERSONAL.items():
            person = users[username]
            own = services.open_week(session, person, services.Scope(
                PERSON, owner_id=person.id), year, week)
            for weekday, part, start, end, content, private in entries:
                services.add_items(session, person, own, {
                    "day": days[weekday], "session": part, "start_time": start,
                    "end_time": end, "content": content, "private": private}, built_on)
        session.commit()
    if created:
        click.echo(f"Lịch công tác mẫu: {created} tuần lịch cơ quan (kèm lịch đơn vị, cá nhân).")


def _item(entry, days, users, units, rooms):
    (weekday, part, start, end, content, chair, people, unit_codes, room, preparing,
     notes) = entry
    return {"day": days[weekday], "session": part, "start_time": start, "end_time": end,
            "content": content, "chair_id": users[chair].id if chair else None,
            "people": [users[u].id for u in people],
            "units": [units[c].id for c in unit_codes if c in units],
            "room_id": rooms[room].id if room in rooms else None,
            "place": None if room in rooms else room,
            "preparing_unit_id": units[preparing].id if preparing in units else None,
            "notes": notes or None}


def _adjust(session, compiler, approver, week, days, users, units, rooms):
    """This week's adjustment: Thursday's meeting moves to Friday afternoon; a meeting is
    added on Wednesday afternoon."""
    moved = next(i for i in week.items if i.day == days[3])
    data = {**_values(moved), "day": days[4], "session": "afternoon",
            "start_time": time(14, 0), "end_time": time(16, 30)}
    tuesday = days[1]  # the adjustment is made early in the week
    services.update_item(session, compiler, moved, data, tuesday)
    services.add_items(session, compiler, week, _item(
        (2, "afternoon", time(14, 0), time(15, 30),
         "Họp bàn phương án sắp xếp đơn vị sự nghiệp (bổ sung)", "lanhdao", ["lanhdaovp"],
         ["TCBC"], "Phòng họp số 1 (tầng 2)", "TCBC", ""), days, users, units, rooms), tuesday)
    services.act(session, compiler, week, "submit")
    services.act(session, approver, week, "approve")


def _values(item):
    return {"day": item.day, "session": item.session, "start_time": item.start_time,
            "end_time": item.end_time, "content": item.content, "chair_id": item.chair_id,
            "people": [p.id for p in item.people], "units": [u.id for u in item.units],
            "room_id": item.room_id, "place": item.place,
            "preparing_unit_id": item.preparing_unit_id, "notes": item.notes}
