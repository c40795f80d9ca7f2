"""Weekly schedules, as the roles use them through HTTP: building and approving the agency's
week, adjustments, unit and personal weeks, private items, conflicts, print, .xlsx, .ics
feeds and the REST API. Each test works on a week of its own, weeks ahead of the demo data."""
import io
import re
from datetime import time, timedelta

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import select

from app.core.timefmt import iso_week_days, today_local
from app.notifications.models import Notification
from app.org.models import EofficeUser
from app.schedules.models import ScheduleItem, ScheduleWeek
from tests.conftest import csrf_token, login


def week_ahead(weeks):
    year, week, _ = (today_local() + timedelta(weeks=weeks)).isocalendar()
    return year, week


def page_of(client, scope, year, week):
    return client.get(f"/schedule/week?scope={scope}&year={year}&week={week}").get_data(
        as_text=True)


def add_item(client, scope, year, week, **values):
    form_page = client.get(f"/schedule/item/new?scope={scope}&year={year}&week={week}",
                           follow_redirects=True)
    html = form_page.get_data(as_text=True)
    day = iso_week_days(year, week)[0]
    data = {"csrf_token": csrf_token(html), "day": day.strftime("%d/%m/%Y"),
            "session": "morning", "start_time": "08:00", "end_time": "09:30",
            "content": "Họp giao ban", **values}
    return client.post(f"/schedule/item/new?scope={scope}&year={year}&week={week}", data=data,
                       follow_redirects=True)


def act(client, week_id, action, note=None, scope="agency", year=None, week=None):
    html = client.get(f"/schedule/week?scope={scope}&year={year}&week={week}").get_data(
        as_text=True)
    data = {"csrf_token": csrf_token(html), "action": action}
    if note is not None:
        data["note"] = note
    return client.post(f"/schedule/week/{week_id}/act", data=data, follow_redirects=True)


def agency_week(db_session, year, week):
    db_session.expire_all()
    return db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == "agency", ScheduleWeek.year == year, ScheduleWeek.week == week))


def user_id(db_session, username):
    return db_session.scalar(select(EofficeUser.id).where(EofficeUser.username == username))


def publish_agency_week(client, db_session, year, week, content="Họp giao ban tuần"):
    login(client, "lanhdaovp")
    add_item(client, "agency", year, week, content=content)
    record = agency_week(db_session, year, week)
    act(client, record.id, "submit", year=year, week=week)
    login(client, "lanhdao")
    act(client, record.id, "approve", year=year, week=week)
    return agency_week(db_session, year, week)


# ---------------------------------------------------------------- the agency's week

def test_office_leader_builds_head_returns_then_approves(client, db_session):
    year, week = week_ahead(5)
    login(client, "lanhdaovp")
    response = add_item(client, "agency", year, week, content="Hội nghị sơ kết quý IV")
    assert "Đã lưu mục lịch." in response.get_data(as_text=True)
    record = agency_week(db_session, year, week)
    assert record.state == "draft" and record.version == 0

    # Before publication nobody else sees it (page and API).
    login(client, "chuyenvien")
    assert "Hội nghị sơ kết quý IV" not in page_of(client, "agency", year, week)
    assert client.get(f"/api/v1/schedule/?scope=agency&year={year}&week={week}").get_json()[
        "result"] == []

    login(client, "lanhdaovp")
    act(client, record.id, "submit", year=year, week=week)
    assert agency_week(db_session, year, week).state == "submitted"
    # The compiler cannot approve; changes wait until the week is withdrawn.
    html = act(client, record.id, "approve", year=year, week=week).get_data(as_text=True)
    assert "Thao tác này không còn thực hiện được" in html
    assert agency_week(db_session, year, week).state == "submitted"

    login(client, "lanhdao")
    html = act(client, record.id, "return", note="", year=year, week=week).get_data(as_text=True)
    assert "Nhập lý do trả lại." in html
    assert agency_week(db_session, year, week).state == "submitted"
    act(client, record.id, "return", note="Bổ sung thành phần dự họp", year=year, week=week)
    record = agency_week(db_session, year, week)
    assert record.state == "returned" and record.return_reason == "Bổ sung thành phần dự họp"
    compiler = user_id(db_session, "lanhdaovp")
    assert db_session.scalar(select(Notification).where(
        Notification.user_id == compiler, Notification.kind == "schedule.returned",
        Notification.message.contains("Bổ sung thành phần dự họp"))) is not None

    login(client, "lanhdaovp")
    assert "Lý do trả lại:" in page_of(client, "agency", year, week)
    act(client, record.id, "submit", year=year, week=week)
    login(client, "lanhdao")
    act(client, record.id, "approve", year=year, week=week)
    record = agency_week(db_session, year, week)
    assert record.state == "published" and record.version == 1

    officer = user_id(db_session, "chuyenvien")
    assert db_session.scalar(select(Notification).where(
        Notification.user_id == officer, Notification.kind == "schedule.published",
        Notification.url.contains(f"week={week}"))) is not None
    login(client, "chuyenvien")
    html = page_of(client, "agency", year, week)
    assert "Hội nghị sơ kết quý IV" in html and "Đã ban hành" in html
    assert 'class="badge notification-count"' in client.get("/").get_data(as_text=True)


def test_officer_cannot_build_or_approve_the_agency_week(client, db_session):
    year, week = week_ahead(6)
    login(client, "chuyenvien")
    html = add_item(client, "agency", year, week, content="Không được thêm").get_data(
        as_text=True)
    assert "Bạn không có quyền soạn lịch này." in html
    assert agency_week(db_session, year, week) is None
    assert client.get("/schedule/agency/compile").status_code == 403


def test_compiling_can_be_delegated_with_a_role_of_its_own(app, client, db_session):
    """The administrator gives "compile" on AgencySchedule to someone through a role of
    their own (the six declared roles stay as declared)."""
    year, week = week_ahead(17)
    sm = app.appbuilder.sm
    with app.app_context():
        role = sm.find_role("Biên tập lịch cơ quan") or sm.add_role("Biên tập lịch cơ quan")
        sm.add_permission_role(role, sm.find_permission_view_menu("can_compile",
                                                                  "AgencySchedule"))
        person = sm.find_user(username="cv.vtlt")
        person.roles.append(role)
        sm.session.commit()
    try:
        login(client, "cv.vtlt")
        html = add_item(client, "agency", year, week, content="Do người được ủy quyền soạn")
        assert "Đã lưu mục lịch." in html.get_data(as_text=True)
        record = agency_week(db_session, year, week)
        html = act(client, record.id, "submit", year=year, week=week).get_data(as_text=True)
        assert agency_week(db_session, year, week).state == "submitted"
        assert "Duyệt và ban hành" not in html  # compiling is not approving
    finally:
        with app.app_context():
            person = sm.find_user(username="cv.vtlt")
            person.roles = [r for r in person.roles if r.name != "Biên tập lịch cơ quan"]
            sm.session.commit()


def test_adjustment_keeps_published_items_until_approved(client, db_session):
    year, week = week_ahead(7)
    record = publish_agency_week(client, db_session, year, week, "Làm việc với huyện Duy Tiên")
    item = next(i for i in record.items if i.content == "Làm việc với huyện Duy Tiên")

    login(client, "lanhdaovp")
    form = client.get(f"/schedule/item/{item.id}/edit").get_data(as_text=True)
    client.post(f"/schedule/item/{item.id}/edit", data={
        "csrf_token": csrf_token(form), "day": item.day.strftime("%d/%m/%Y"),
        "session": "afternoon", "start_time": "14:00", "end_time": "16:00",
        "content": "Làm việc với huyện Lý Nhân (thay đổi)"})
    add_item(client, "agency", year, week, content="Họp bổ sung về chuyển đổi số",
             start_time="10:00", end_time="11:00")
    assert agency_week(db_session, year, week).state == "draft"

    # Everyone else still sees the published week as it was.
    login(client, "chuyenvien")
    html = page_of(client, "agency", year, week)
    assert "Làm việc với huyện Duy Tiên" in html and "Lý Nhân" not in html
    assert "chuyển đổi số" not in html

    login(client, "lanhdaovp")
    assert "Sẽ điều chỉnh" in page_of(client, "agency", year, week)
    act(client, record.id, "submit", year=year, week=week)
    login(client, "lanhdao")  # the approver sees what the adjustment changes
    html = page_of(client, "agency", year, week)
    assert "Sẽ điều chỉnh" in html and "Sẽ bổ sung" in html and "Lý Nhân" in html
    act(client, record.id, "approve", year=year, week=week)

    login(client, "chuyenvien")
    html = page_of(client, "agency", year, week)
    assert "Làm việc với huyện Lý Nhân (thay đổi)" in html and "Duy Tiên" not in html
    assert "Điều chỉnh" in html and "Bổ sung" in html
    record = agency_week(db_session, year, week)
    assert record.version == 2
    changed = db_session.get(ScheduleItem, item.id)
    assert changed.change == "changed" and changed.changed_at is not None
    assert not any(i.pending for i in record.items)
    officer = user_id(db_session, "chuyenvien")
    assert db_session.scalar(select(Notification).where(
        Notification.user_id == officer, Notification.kind == "schedule.adjusted")) is not None

    # Cancelling a published item is shown as cancelled once approved.
    login(client, "lanhdaovp")
    html = page_of(client, "agency", year, week)
    client.post(f"/schedule/item/{item.id}/cancel", data={"csrf_token": csrf_token(html)})
    act(client, record.id, "submit", year=year, week=week)
    login(client, "lanhdao")
    act(client, record.id, "approve", year=year, week=week)
    db_session.expire_all()
    assert db_session.get(ScheduleItem, item.id).change == "cancelled"
    login(client, "chuyenvien")
    assert "Hủy" in page_of(client, "agency", year, week)


def test_submitted_week_cannot_be_changed_until_withdrawn(client, db_session):
    year, week = week_ahead(8)
    login(client, "lanhdaovp")
    add_item(client, "agency", year, week)
    record = agency_week(db_session, year, week)
    act(client, record.id, "submit", year=year, week=week)
    html = add_item(client, "agency", year, week, content="Thêm khi chờ duyệt").get_data(
        as_text=True)
    assert "rút lại để sửa" in html
    assert len(agency_week(db_session, year, week).items) == 1
    act(client, record.id, "withdraw", year=year, week=week)
    assert agency_week(db_session, year, week).state == "draft"


def test_nothing_to_submit_is_refused(client, db_session):
    year, week = week_ahead(9)
    login(client, "lanhdaovp")
    add_item(client, "agency", year, week)
    record = agency_week(db_session, year, week)
    html = page_of(client, "agency", year, week)
    item_id = record.items[0].id
    client.post(f"/schedule/item/{item_id}/cancel", data={"csrf_token": csrf_token(html)})
    html = act(client, record.id, "submit", year=year, week=week).get_data(as_text=True)
    assert "Chưa có thay đổi nào" in html
    assert agency_week(db_session, year, week).state == "draft"


# ---------------------------------------------------------------- units and people

def test_unit_week_waits_for_the_agency_week_and_belongs_to_its_leader(client, db_session):
    year, week = week_ahead(10)
    cchc = db_session.scalar(select(EofficeUser).where(
        EofficeUser.username == "truongphong")).department_id
    login(client, "truongphong")
    html = add_item(client, f"unit-{cchc}", year, week, content="Họp phòng").get_data(
        as_text=True)
    assert "chưa được ban hành" in html

    publish_agency_week(client, db_session, year, week)
    login(client, "tp.tcbc")  # another unit's leader
    html = add_item(client, f"unit-{cchc}", year, week, content="Không phải phòng mình")
    assert "Bạn không có quyền soạn lịch này." in html.get_data(as_text=True)

    login(client, "truongphong")
    add_item(client, f"unit-{cchc}", year, week, content="Họp phòng rà soát thủ tục")
    unit_week = db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == "unit", ScheduleWeek.department_id == cchc,
        ScheduleWeek.year == year, ScheduleWeek.week == week))
    login(client, "cv.cchc")
    assert "Họp phòng rà soát thủ tục" not in page_of(client, f"unit-{cchc}", year, week)
    login(client, "truongphong")
    act(client, unit_week.id, "publish", scope=f"unit-{cchc}", year=year, week=week)
    login(client, "cv.tcbc1")  # published unit weeks are seen by everyone
    assert "Họp phòng rà soát thủ tục" in page_of(client, f"unit-{cchc}", year, week)
    combined = page_of(client, "all", year, week)
    assert "Họp phòng rà soát thủ tục" in combined and "Họp giao ban tuần" in combined


def test_private_items_show_as_busy_to_others(client, db_session):
    year, week = week_ahead(11)
    publish_agency_week(client, db_session, year, week)
    login(client, "chuyenvien")
    add_item(client, "mine", year, week, content="Khám sức khỏe tại bệnh viện", private="y",
             start_time="15:00", end_time="16:00")
    me = user_id(db_session, "chuyenvien")
    assert "Khám sức khỏe" in page_of(client, f"person-{me}", year, week)
    login(client, "cv.tcbc1")
    html = page_of(client, f"person-{me}", year, week)
    assert "Khám sức khỏe" not in html and "Bận (việc riêng)" in html
    api = client.get(f"/api/v1/schedule/?scope=person-{me}&year={year}&week={week}").get_json()
    assert [row["content"] for row in api["result"]] == ["Bận (việc riêng)"]
    login(client, "truongphong")  # the person's unit leader
    assert "Khám sức khỏe" in page_of(client, f"person-{me}", year, week)
    login(client, "lanhdao")
    assert "Khám sức khỏe" in page_of(client, f"person-{me}", year, week)


# ---------------------------------------------------------------- conflicts and bad input

def test_double_booked_room_and_person_warn(client, db_session):
    year, week = week_ahead(12)
    room = "1"
    chair = str(user_id(db_session, "lanhdao"))
    login(client, "lanhdaovp")
    add_item(client, "agency", year, week, content="Họp A", room_id=room, chair_id=chair,
             start_time="08:00", end_time="10:00")
    record = agency_week(db_session, year, week)
    act(client, record.id, "submit", year=year, week=week)
    login(client, "lanhdao")
    act(client, record.id, "approve", year=year, week=week)
    login(client, "lanhdaovp")
    html = add_item(client, "agency", year, week, content="Họp B", room_id=room,
                    chair_id=chair, start_time="09:00", end_time="11:00").get_data(as_text=True)
    assert "Cảnh báo trùng lịch" in html
    assert "Trần Quốc Đạt có lịch khác trùng giờ 08:00–10:00: Họp A" in html
    assert "đã có lịch khác 08:00–10:00: Họp A" in html
    assert "conflict-warning" in page_of(client, "agency", year, week)
    # Back to back is not a conflict.
    html = add_item(client, "agency", year, week, content="Họp C", room_id=room,
                    start_time="11:00", end_time="12:00").get_data(as_text=True)
    assert "Họp C" in html and "Cảnh báo trùng lịch" not in html


@pytest.mark.parametrize("values, message", [
    ({"day": "31/02/2026"}, "Nhập ngày theo dạng dd/mm/yyyy."),
    ({"day": "01/01/2001"}, "Ngày phải thuộc tuần"),
    ({"start_time": "25:00"}, "Nhập giờ bắt đầu theo dạng HH:mm."),
    ({"start_time": "10:00", "end_time": "09:00"}, "Giờ kết thúc phải sau giờ bắt đầu."),
    ({"content": "   "}, "Nhập nội dung công việc."),
    ({"session": "night"}, "Chọn buổi: Sáng, Chiều hoặc Tối."),
    ({"room_id": "999999"}, "Giá trị đã chọn không còn tồn tại."),
    ({"people": "abc"}, "Giá trị đã chọn không còn tồn tại."),
])
def test_bad_item_input_is_refused_in_vietnamese(client, db_session, values, message):
    year, week = week_ahead(13)
    login(client, "lanhdaovp")
    before = db_session.scalar(select(ScheduleItem.id).order_by(ScheduleItem.id.desc()))
    response = add_item(client, "agency", year, week, **values)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(ScheduleItem.id).order_by(ScheduleItem.id.desc())) == before


def test_stale_form_and_bad_addresses(client):
    year, week = week_ahead(13)
    login(client, "lanhdaovp")
    response = client.post(f"/schedule/item/new?scope=agency&year={year}&week={week}", data={
        "day": "01/01/2030", "session": "morning", "start_time": "08:00", "content": "x"})
    assert response.status_code == 400
    assert "hết hạn" in response.get_data(as_text=True)
    for url in ("/schedule/week?scope=unit-999999", "/schedule/week?scope=xyz",
                "/schedule/week?year=2026&week=60", "/schedule/week?scope=person-99999999999",
                "/schedule/print?week=0", "/schedule/item/999999/edit"):
        assert client.get(url).status_code == 404, url
    assert client.get("/schedule/week?date=32/13/2026").status_code == 200


def test_repeat_daily_creates_one_item_a_day(client, db_session):
    year, week = week_ahead(14)
    days = iso_week_days(year, week)
    login(client, "lanhdaovp")
    html = add_item(client, "agency", year, week, content="Trực cơ quan",
                    repeat_until=days[4].strftime("%d/%m/%Y")).get_data(as_text=True)
    assert "Đã lưu 5 mục lịch" in html
    items = agency_week(db_session, year, week).items
    assert sorted(i.day for i in items) == days[:5]
    assert len({i.series for i in items}) == 1


# ---------------------------------------------------------------- print, export, feeds

def test_print_and_xlsx_show_the_week_with_the_vietnamese_title(client, db_session):
    year, week = week_ahead(15)
    publish_agency_week(client, db_session, year, week, "Tổng kết công tác năm")
    days = iso_week_days(year, week)
    login(client, "chuyenvien")
    html = client.get(f"/schedule/print?scope=agency&year={year}&week={week}").get_data(
        as_text=True)
    title = (f"(Tuần thứ {week:02d}, từ ngày {days[0]:%d/%m/%Y} đến ngày {days[-1]:%d/%m/%Y})")
    assert "LỊCH CÔNG TÁC TUẦN CỦA LÃNH ĐẠO SỞ NỘI VỤ" in html.upper()
    assert title in html
    assert "size: A4 landscape" in html
    for column in ("Thứ/ngày", "Buổi", "Giờ", "Nội dung", "Chủ trì", "Thành phần", "Địa điểm",
                   "Đơn vị chuẩn bị", "Ghi chú"):
        assert f"<th>{column}</th>" in html
    assert "Tổng kết công tác năm" in html

    response = client.get(f"/schedule/export?scope=agency&year={year}&week={week}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert title in rows[1][0]
    assert rows[3][:4] == ["Thứ/ngày", "Buổi", "Giờ", "Nội dung"]
    assert any(row[3] == "Tổng kết công tác năm" for row in rows[4:])


def test_ics_feed_parses_and_can_be_revoked(client, db_session):
    year, week = week_ahead(1)  # inside the feed's window
    record = agency_week(db_session, year, week) or publish_agency_week(
        client, db_session, year, week)
    assert record.is_published
    login(client, "chuyenvien")
    html = client.get("/schedule/feeds").get_data(as_text=True)
    client.post("/schedule/feeds/new", data={"csrf_token": csrf_token(html), "kind": "person"})
    html = client.get("/schedule/feeds").get_data(as_text=True)
    url = re.search(r'value="(http[^"]+\.ics)"', html).group(1)
    path = url.split("localhost", 1)[1]

    login(client, "cv.tcbc1")  # the address is the key: no login needed, anyone's session
    client.post("/logout/", data={"csrf_token": csrf_token(client.get("/").get_data(
        as_text=True))})
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert events, "the feed has the published agency items"
    zones = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    assert zones == ["Asia/Ho_Chi_Minh"]
    published = {i.content for i in record.items if not i.pending}
    summaries = {str(e["SUMMARY"]) for e in events}
    assert published <= summaries
    start = events[0].decoded("DTSTART")
    assert start.utcoffset() == timedelta(hours=7)

    # A new address revokes the old one.
    login(client, "chuyenvien")
    html = client.get("/schedule/feeds").get_data(as_text=True)
    client.post("/schedule/feeds/new", data={"csrf_token": csrf_token(html), "kind": "person"})
    assert client.get(path).status_code == 404
    assert client.get("/schedule/feed/not-a-token.ics").status_code == 404


def test_unit_feed_has_unit_items(client, db_session):
    login(client, "truongphong")
    html = client.get("/schedule/feeds").get_data(as_text=True)
    client.post("/schedule/feeds/new", data={"csrf_token": csrf_token(html), "kind": "unit"})
    html = client.get("/schedule/feeds").get_data(as_text=True)
    urls = re.findall(r'value="(http[^"]+\.ics)"', html)
    assert len(urls) == 1  # the unit's (truongphong has no personal address yet)
    calendar = Calendar.from_ical(client.get(urls[0].split("localhost", 1)[1]).data)
    summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert "Họp phòng: rà soát thủ tục hành chính quý IV" in summaries  # the demo unit week
    assert "Khám sức khỏe định kỳ" not in summaries  # a person's private item


# ---------------------------------------------------------------- demo and REST API

def test_demo_has_three_published_weeks_and_an_adjustment(db_session):
    today = today_local()
    for offset in (-7, 0, 7):
        year, week, _ = (today + timedelta(days=offset)).isocalendar()
        record = agency_week(db_session, year, week)
        assert record is not None and record.is_published
    year, week, _ = today.isocalendar()
    changes = {i.change for i in agency_week(db_session, year, week).items}
    assert {"changed", "added"} <= changes


def test_api_reads_and_writes_under_the_same_rules(client, api_as, db_session):
    year, week = week_ahead(16)
    leader = api_as("lanhdaovp")
    day = iso_week_days(year, week)[1]
    response = client.post("/api/v1/schedule/", headers=leader, json={
        "scope": "agency", "year": year, "week": week, "day": day.isoformat(),
        "session": "morning", "start_time": "08:00", "end_time": "09:00",
        "content": "Họp qua API"})
    assert response.status_code == 201, response.get_json()
    officer = api_as("chuyenvien")
    listing = client.get(f"/api/v1/schedule/?scope=agency&year={year}&week={week}",
                         headers=officer).get_json()
    assert listing["result"] == [] and listing["week_record"] is None

    response = client.post("/api/v1/schedule/", headers=officer, json={
        "scope": "agency", "year": year, "week": week, "day": day.isoformat(),
        "session": "morning", "start_time": "08:00", "content": "Không được"})
    assert response.status_code == 422
    response = client.post("/api/v1/schedule/", headers=leader, json={
        "scope": "agency", "year": year, "week": week, "day": "2026-99-01",
        "session": "morning", "start_time": "8h", "content": "x"})
    assert response.status_code == 422
    assert set(response.get_json()["message"]) >= {"day", "start_time"}
    assert client.post("/api/v1/schedule/", headers=leader, data="nonsense",
                       content_type="application/json").status_code == 400

    record = agency_week(db_session, year, week)
    assert client.post(f"/api/v1/schedule/week/{record.id}/actions/approve",
                       headers=leader).status_code == 422
    assert client.post(f"/api/v1/schedule/week/{record.id}/actions/submit",
                       headers=leader).status_code == 200
    assert client.post(f"/api/v1/schedule/week/{record.id}/actions/approve",
                       headers=officer).status_code == 404  # unpublished: not even seen
    head = api_as("lanhdao")
    response = client.post(f"/api/v1/schedule/week/{record.id}/actions/approve", headers=head)
    assert response.status_code == 200 and response.get_json()["result"]["version"] == 1
    listing = client.get(f"/api/v1/schedule/?scope=agency&year={year}&week={week}",
                         headers=officer).get_json()
    assert [row["content"] for row in listing["result"]] == ["Họp qua API"]
    assert listing["result"][0]["date"] == day.isoformat()


def test_everyone_reaches_the_week_page(client):
    for username in ("quantri", "lanhdao", "lanhdaovp", "truongphong", "chuyenvien", "vanthu"):
        login(client, username)
        response = client.get("/schedule/week")
        assert response.status_code == 200, username
        assert "LỊCH CÔNG TÁC TUẦN" in response.get_data(as_text=True)


def test_a_past_day_is_entered_as_backfill_with_its_reason(client, db_session):
    """Art. 5.4: after an outage, last week's meeting is entered with its real day and hours
    and a reason; the week shows both the real time and the time of entry."""
    year, week, _ = (today_local() - timedelta(days=7)).isocalendar()
    login(client, "lanhdaovp")
    response = add_item(client, "agency", year, week, content="Họp khẩn khi mất điện")
    assert response.status_code == 422
    assert "ghi lý do nhập bù" in response.get_data(as_text=True)
    add_item(client, "agency", year, week, content="Họp khẩn khi mất điện",
             start_time="16:00", end_time="17:00",
             backfill_reason="Mất điện toàn cơ quan, nhập lại sau")
    record = agency_week(db_session, year, week)
    item = next(i for i in record.items if i.content == "Họp khẩn khi mất điện")
    assert item.day == iso_week_days(year, week)[0]
    assert item.backfill_reason == "Mất điện toàn cơ quan, nhập lại sau"
    act(client, record.id, "submit", year=year, week=week)
    login(client, "lanhdao")
    act(client, record.id, "approve", year=year, week=week)
    login(client, "chuyenvien")
    html = page_of(client, "agency", year, week)
    assert "Nhập bù lúc" in html and "Mất điện toàn cơ quan, nhập lại sau" in html


# ---------------------------------------------------------------- issue 20 item 6

def row_of(html, content):
    """The week table's row (<tr>…</tr>) that shows `content`, or None."""
    return next((row for row in re.findall(r'<tr class="schedule-row.*?</tr>', html, re.S)
                 if content in re.sub(r'<div class="conflict-warning.*?</div>', "", row,
                                      flags=re.S)), None)


def session_cell(row):
    match = re.search(r"<td>(Sáng|Chiều|Tối)\s*</td>", row)
    return match.group(1) if match else None


def unit_of(db_session, username):
    return db_session.scalar(select(EofficeUser.department_id).where(
        EofficeUser.username == username))


@pytest.mark.parametrize("chosen, start, end, shown, notice", [
    ("morning", "14:00", "15:30", "Chiều",
     "Buổi được xếp theo giờ bắt đầu: 14:00 thuộc buổi Chiều (không phải buổi Sáng như đã "
     "chọn)."),
    ("morning", "11:59", "13:00", "Sáng", None),  # may end in the next session
    ("morning", "12:00", "13:00", "Chiều", "12:00 thuộc buổi Chiều"),
    ("", "17:59", "19:00", "Chiều", None),  # "Theo giờ bắt đầu"
    ("afternoon", "18:00", "20:00", "Tối", "18:00 thuộc buổi Tối (không phải buổi Chiều"),
    ("evening", "07:30", "", "Sáng", "07:30 thuộc buổi Sáng (không phải buổi Tối"),
])
def test_the_start_time_decides_the_session(client, db_session, chosen, start, end, shown,
                                            notice):
    year, week = week_ahead(18)
    content = f"Họp bắt đầu {start} ({chosen or 'tự động'})"
    login(client, "lanhdaovp")
    response = add_item(client, "agency", year, week, content=content, session=chosen,
                        start_time=start, end_time=end)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Đã lưu mục lịch." in html
    assert session_cell(row_of(html, content)) == shown
    if notice:
        assert notice in html
    else:
        assert "Buổi được xếp theo giờ bắt đầu" not in html
    item = db_session.scalar(select(ScheduleItem).where(ScheduleItem.content == content))
    assert item.session == {"Sáng": "morning", "Chiều": "afternoon", "Tối": "evening"}[shown]


def test_the_item_form_explains_the_sessions_and_follows_the_start_time(client, db_session):
    year, week = week_ahead(18)
    login(client, "lanhdaovp")
    html = client.get(f"/schedule/item/new?scope=agency&year={year}&week={week}").get_data(
        as_text=True)
    assert '<option value="" selected>Theo giờ bắt đầu</option>' in html
    assert "Sáng trước 12:00, Chiều từ 12:00 đến trước 18:00, Tối từ 18:00" in html
    add_item(client, "agency", year, week, content="Tiếp khách buổi chiều", session="",
             start_time="15:00", end_time="16:00")
    item = db_session.scalar(select(ScheduleItem).where(
        ScheduleItem.content == "Tiếp khách buổi chiều"))
    html = client.get(f"/schedule/item/{item.id}/edit").get_data(as_text=True)
    assert '<option value="" selected>Theo giờ bắt đầu</option>' in html
    # Moved to the morning without touching "Buổi": it follows, with no message.
    response = client.post(f"/schedule/item/{item.id}/edit", data={
        "csrf_token": csrf_token(html), "day": item.day.strftime("%d/%m/%Y"), "session": "",
        "start_time": "09:00", "end_time": "10:00", "content": "Tiếp khách buổi chiều"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã lưu mục lịch." in html and "Buổi được xếp" not in html
    assert session_cell(row_of(html, "Tiếp khách buổi chiều")) == "Sáng"


def test_the_api_gives_the_session_of_the_start_time_with_the_same_message(client, api_as,
                                                                          db_session):
    year, week = week_ahead(19)
    leader = api_as("lanhdaovp")
    day = iso_week_days(year, week)[2].isoformat()
    body = {"scope": "agency", "year": year, "week": week, "day": day, "start_time": "14:00",
            "end_time": "15:30", "content": "Họp chiều qua API"}
    response = client.post("/api/v1/schedule/", headers=leader, json={**body,
                                                                       "session": "morning"})
    assert response.status_code == 201, response.get_json()
    assert ("Buổi được xếp theo giờ bắt đầu: 14:00 thuộc buổi Chiều (không phải buổi Sáng "
            "như đã chọn).") in response.get_json()["warnings"]
    item_id = response.get_json()["ids"][0]
    # No session at all: taken from the start time, nothing to warn about.
    response = client.post("/api/v1/schedule/", headers=leader, json={
        **body, "start_time": "19:00", "end_time": "21:00", "content": "Tiếp đoàn buổi tối"})
    assert response.status_code == 201 and not response.get_json()["warnings"]
    listing = client.get(f"/api/v1/schedule/?scope=agency&year={year}&week={week}",
                         headers=leader).get_json()["result"]
    sessions = {row["content"]: row["session"] for row in listing}
    assert sessions == {"Họp chiều qua API": "afternoon", "Tiếp đoàn buổi tối": "evening"}
    # Changing the time through PUT: the same rule, the same message.
    response = client.put(f"/api/v1/schedule/{item_id}", headers=leader, json={
        **body, "session": "afternoon", "start_time": "08:00", "end_time": "09:00"})
    assert response.status_code == 200
    assert any("08:00 thuộc buổi Sáng (không phải buổi Chiều" in w
               for w in response.get_json()["warnings"])
    db_session.expire_all()
    assert db_session.get(ScheduleItem, item_id).session == "morning"
    response = client.post("/api/v1/schedule/", headers=leader, json={**body,
                                                                       "session": "night"})
    assert response.status_code == 422
    assert response.get_json()["message"]["session"] == ["Chọn buổi: Sáng, Chiều hoặc Tối."]


def test_my_schedule_has_every_item_i_chair_or_attend(client, api_as, db_session):
    """"Lịch của tôi": my own items, and those of the agency's, a unit's or someone else's
    schedule that I chair or attend (named, or my unit named) — once they are published."""
    year, week = week_ahead(20)
    me = user_id(db_session, "chuyenvien")
    cchc = unit_of(db_session, "chuyenvien")
    login(client, "lanhdaovp")
    add_item(client, "agency", year, week, content="Hội nghị tôi được mời",
             people=str(me), start_time="08:00")
    add_item(client, "agency", year, week, content="Hội nghị phòng tôi được mời",
             units=str(cchc), start_time="10:00", end_time="11:00")
    add_item(client, "agency", year, week, content="Hội nghị không liên quan đến tôi",
             start_time="14:00", end_time="15:00")
    record = agency_week(db_session, year, week)
    act(client, record.id, "submit", year=year, week=week)
    login(client, "lanhdao")
    act(client, record.id, "approve", year=year, week=week)

    login(client, "truongphong")
    scope = f"unit-{cchc}"
    add_item(client, scope, year, week, content="Họp phòng tôi dự", people=str(me),
             start_time="15:00", end_time="16:00")
    add_item(client, scope, year, week, content="Họp phòng tôi chủ trì", chair_id=str(me),
             start_time="16:00", end_time="17:00")
    add_item(client, scope, year, week, content="Họp phòng không có tôi",
             start_time="17:00", end_time="17:30")
    login(client, "cv.tcbc1")
    add_item(client, "mine", year, week, content="Làm việc với chị Thủy", people=str(me),
             start_time="09:00", end_time="09:30")
    login(client, "chuyenvien")
    add_item(client, "mine", year, week, content="Việc riêng của tôi", start_time="13:00",
             end_time="13:30")

    mine = page_of(client, "mine", year, week)
    for content in ("Hội nghị tôi được mời", "Hội nghị phòng tôi được mời",
                    "Làm việc với chị Thủy", "Việc riêng của tôi"):
        assert row_of(mine, content), content
    assert "Hội nghị không liên quan đến tôi" not in mine
    assert "Họp phòng tôi dự" not in mine  # the unit's week is not published yet
    assert "Lịch cơ quan" in row_of(mine, "Hội nghị tôi được mời")  # the "Lịch" column
    assert "Lịch cá nhân" in row_of(mine, "Làm việc với chị Thủy")
    assert "edit-item" not in row_of(mine, "Hội nghị tôi được mời")  # not mine to edit
    assert "edit-item" in row_of(mine, "Việc riêng của tôi")

    unit_week = db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == "unit", ScheduleWeek.department_id == cchc,
        ScheduleWeek.year == year, ScheduleWeek.week == week))
    login(client, "truongphong")
    act(client, unit_week.id, "publish", scope=scope, year=year, week=week)
    login(client, "chuyenvien")
    mine = page_of(client, "mine", year, week)
    assert "Lịch đơn vị" in row_of(mine, "Họp phòng tôi dự")
    assert row_of(mine, "Họp phòng tôi chủ trì")
    assert "Họp phòng không có tôi" not in mine
    shown = re.findall(r'data-item-id="(\d+)"', mine)
    assert len(shown) == 6
    assert re.findall(r'data-item-id="(\d+)"', page_of(client, f"person-{me}", year,
                                                       week)) == shown
    printed = client.get(f"/schedule/print?scope=mine&year={year}&week={week}").get_data(
        as_text=True)
    assert "Họp phòng tôi dự" in printed and "Họp phòng không có tôi" not in printed

    api = client.get(f"/api/v1/schedule/?scope=mine&year={year}&week={week}",
                     headers=api_as("chuyenvien")).get_json()
    assert {row["content"] for row in api["result"]} == {
        "Hội nghị tôi được mời", "Hội nghị phòng tôi được mời", "Họp phòng tôi dự",
        "Họp phòng tôi chủ trì", "Làm việc với chị Thủy", "Việc riêng của tôi"}
    assert api["week_record"]["level"] == "person"

    # Someone else's personal page shows their week only, not what they attend elsewhere.
    login(client, "cv.tcbc1")
    theirs = page_of(client, f"person-{me}", year, week)
    assert "Việc riêng của tôi" in theirs and "Họp phòng tôi dự" not in theirs


def test_the_sql_rule_of_visible_weeks_agrees_with_can_see_week(db_session,
                                                              unpublished_unit_week):
    from app.schedules.access import can_see_week, visible_weeks

    weeks = db_session.scalars(select(ScheduleWeek)).all()
    assert {w.is_published for w in weeks} == {True, False}
    for person in db_session.scalars(select(EofficeUser).where(EofficeUser.active.is_(True))):
        seen = set(db_session.scalars(select(ScheduleWeek.id).where(visible_weeks(person))))
        assert seen == {w.id for w in weeks if can_see_week(person, w)}, person.username


@pytest.fixture
def unpublished_unit_week(db_session):
    """A unit week being built, seen only by its leaders and the agency's leaders."""
    year, week = week_ahead(21)
    unit = unit_of(db_session, "tp.tcbc")
    found = db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == "unit", ScheduleWeek.department_id == unit,
        ScheduleWeek.year == year, ScheduleWeek.week == week))
    if found is None:
        found = ScheduleWeek(level="unit", department_id=unit, year=year, week=week,
                             state="draft")
        db_session.add(found)
        db_session.commit()
    return found


def copy_last_week(client, scope, year, week):
    html = page_of(client, scope, year, week)
    return client.post(f"/schedule/week/copy-previous?scope={scope}&year={year}&week={week}",
                       data={"csrf_token": csrf_token(html)}, follow_redirects=True)


def test_copy_last_week_into_the_unit_week(client, db_session):
    last_year, last_week = week_ahead(22)
    year, week = week_ahead(23)
    cchc = unit_of(db_session, "truongphong")
    scope = f"unit-{cchc}"
    publish_agency_week(client, db_session, last_year, last_week)
    publish_agency_week(client, db_session, year, week)
    last_days, days = iso_week_days(last_year, last_week), iso_week_days(year, week)

    login(client, "truongphong")
    # Nothing last week yet: refused politely, nothing created.
    html = copy_last_week(client, scope, year, week).get_data(as_text=True)
    assert f"Tuần trước (tuần {last_week:02d}/{last_year}) không có mục lịch nào để sao chép." \
        in html
    add_item(client, scope, last_year, last_week, content="Họp phòng đầu tuần",
             people=str(user_id(db_session, "chuyenvien")))
    add_item(client, scope, last_year, last_week, content="Kiểm tra tại huyện Thanh Liêm",
             day=last_days[2].strftime("%d/%m/%Y"), start_time="14:00", end_time="17:00")
    last = db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == "unit", ScheduleWeek.department_id == cchc,
        ScheduleWeek.year == last_year, ScheduleWeek.week == last_week))
    act(client, last.id, "publish", scope=scope, year=last_year, week=last_week)

    html = page_of(client, scope, year, week)
    assert "Sao chép tuần trước" in html
    html = copy_last_week(client, scope, year, week).get_data(as_text=True)
    assert "Đã sao chép 2 mục lịch từ tuần trước." in html
    assert "Đang soạn" in html  # the copies are a draft until the leader publishes
    first, second = row_of(html, "Họp phòng đầu tuần"), row_of(html, "Kiểm tra tại huyện")
    assert days[0].strftime("%d/%m/%Y") in first and "Hoàng Thị Thủy" in first
    assert days[2].strftime("%d/%m/%Y") in second and session_cell(second) == "Chiều"
    assert "Sao chép lịch tuần trước (2 mục, từ tuần" in html  # the week's history
    login(client, "cv.cchc")
    assert "Họp phòng đầu tuần" not in page_of(client, scope, year, week)

    # Twice: nothing copied twice.
    login(client, "truongphong")
    html = copy_last_week(client, scope, year, week).get_data(as_text=True)
    assert "Các mục của tuần trước đã có trong tuần này" in html
    current = db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == "unit", ScheduleWeek.department_id == cchc,
        ScheduleWeek.year == year, ScheduleWeek.week == week))
    assert len(current.items) == 2

    # Once published the week takes no copy (and the button is gone).
    act(client, current.id, "publish", scope=scope, year=year, week=week)
    html = page_of(client, scope, year, week)
    assert "Sao chép tuần trước" not in html
    html = copy_last_week(client, scope, year, week).get_data(as_text=True)
    assert f"Lịch tuần {week:02d}/{year} đã ban hành nên không sao chép được" in html
    db_session.expire_all()
    assert len(db_session.get(ScheduleWeek, current.id).items) == 2

    # Another unit's leader, an officer: not their week to build.
    login(client, "tp.tcbc")
    assert "Sao chép tuần trước" not in page_of(client, scope, last_year, last_week)
    html = copy_last_week(client, scope, year, week).get_data(as_text=True)
    assert "Bạn không có quyền soạn lịch này." in html


def test_copy_my_last_week_through_the_api(client, api_as, db_session):
    last_year, last_week = week_ahead(24)
    year, week = week_ahead(25)
    publish_agency_week(client, db_session, last_year, last_week)
    publish_agency_week(client, db_session, year, week)
    officer = api_as("chuyenvien")
    last_day = iso_week_days(last_year, last_week)[3]
    response = client.post("/api/v1/schedule/", headers=officer, json={
        "scope": "mine", "year": last_year, "week": last_week, "day": last_day.isoformat(),
        "start_time": "15:00", "end_time": "16:00", "content": "Viết báo cáo tuần",
        "private": True})
    assert response.status_code == 201
    body = {"scope": "mine", "year": year, "week": week}
    response = client.post("/api/v1/schedule/copy-previous", headers=officer, json=body)
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["ids"]) == 1
    copy = db_session.get(ScheduleItem, response.get_json()["ids"][0])
    assert copy.day == last_day + timedelta(days=7) and copy.private
    assert copy.session == "afternoon" and copy.week_record.owner_id == user_id(
        db_session, "chuyenvien")
    response = client.post("/api/v1/schedule/copy-previous", headers=officer, json=body)
    assert response.status_code == 422
    assert "đã có trong tuần này" in response.get_json()["message"]

    # The personal page offers the button; the combined view does not copy.
    login(client, "chuyenvien")
    assert "Sao chép tuần trước" in page_of(client, "mine", year, week)
    assert "Sao chép tuần trước" not in page_of(client, "all", year, week)
    for refused, message in (
            ({**body, "scope": "agency"}, "Chỉ sao chép được lịch đơn vị và lịch cá nhân."),
            ({**body, "scope": f"unit-{unit_of(db_session, 'chuyenvien')}"},
             "Bạn không có quyền soạn lịch này.")):
        response = client.post("/api/v1/schedule/copy-previous", headers=officer, json=refused)
        assert response.status_code == 422 and response.get_json()["message"] == message
    assert client.post("/api/v1/schedule/copy-previous", headers=officer,
                       json={"year": year}).status_code == 400
    assert client.post("/api/v1/schedule/copy-previous", headers=officer,
                       json={**body, "week": 99}).status_code == 422


def test_copy_leaves_out_the_days_gone_by(app, db_session):
    """Copying into the week under way: last week's items of days already past this week are
    left out and counted; the rest is copied."""
    from app.schedules import services
    from app.schedules.models import PERSON

    last_year, last_week = week_ahead(26)
    year, week = week_ahead(27)
    days, last_days = iso_week_days(year, week), iso_week_days(last_year, last_week)
    person = db_session.scalar(select(EofficeUser).where(EofficeUser.username == "cv.cchc"))
    scope = services.Scope(PERSON, owner_id=person.id)
    with app.test_request_context():
        for offset in (0, 7):  # the agency's weeks, published
            y, w = services.week_of(days[0] - timedelta(days=offset))
            if not services.agency_published(db_session, y, w):
                db_session.add(ScheduleWeek(level="agency", year=y, week=w, state="published",
                                            version=1))
        db_session.commit()
        own = services.open_week(db_session, person, scope, last_year, last_week)
        for weekday, content in ((0, "Thứ Hai tuần trước"), (2, "Thứ Tư tuần trước"),
                                 (4, "Thứ Sáu tuần trước")):
            services.add_items(db_session, person, own, {
                "day": last_days[weekday], "start_time": time(8), "content": content},
                today=last_days[0])
        copied = services.copy_previous_week(db_session, person, scope, year, week,
                                             today=days[2])
    assert copied.past == 1 and copied.already_there == 0
    assert sorted((i.day, i.content) for i in copied.items) == [
        (days[2], "Thứ Tư tuần trước"), (days[4], "Thứ Sáu tuần trước")]


def test_add_item_is_offered_wherever_one_may_add(client, db_session):
    year, week = week_ahead(28)
    me = user_id(db_session, "chuyenvien")
    cchc = unit_of(db_session, "truongphong")
    office = unit_of(db_session, "lanhdaovp")

    def offered(html):
        return re.findall(r'href="/schedule/item/new\?scope=([\w-]+)&amp;year=', html)

    # Before the agency's week is published: only its builders may add (to it).
    login(client, "lanhdaovp")
    html = page_of(client, "all", year, week)
    assert offered(html) == ["agency"] and "Thêm mục lịch vào lịch cơ quan" in html
    login(client, "chuyenvien")
    assert offered(page_of(client, "all", year, week)) == []
    assert offered(page_of(client, "mine", year, week)) == []

    publish_agency_week(client, db_session, year, week)
    login(client, "lanhdaovp")  # the office leader builds the agency's, the office's, her own
    html = page_of(client, "all", year, week)
    compiler = user_id(db_session, "lanhdaovp")
    assert offered(html) == ["agency", f"unit-{office}", f"person-{compiler}"]
    assert "Vào lịch cơ quan" in html and "Vào lịch đơn vị Văn phòng Sở" in html
    assert "Vào lịch của tôi" in html
    assert offered(page_of(client, "agency", year, week)) == ["agency"]
    login(client, "truongphong")
    assert offered(page_of(client, "all", year, week)) == [
        f"unit-{cchc}", f"person-{user_id(db_session, 'truongphong')}"]
    assert offered(page_of(client, f"unit-{cchc}", year, week)) == [f"unit-{cchc}"]
    assert offered(page_of(client, "agency", year, week)) == []
    login(client, "chuyenvien")
    html = page_of(client, "all", year, week)
    assert offered(html) == [f"person-{me}"] and "Thêm mục lịch vào lịch của tôi" in html
    assert offered(page_of(client, "mine", year, week)) == [f"person-{me}"]
    assert offered(page_of(client, f"unit-{cchc}", year, week)) == []
    assert offered(page_of(client, "agency", year, week)) == []
    assert offered(page_of(client, f"person-{user_id(db_session, 'cv.cchc')}", year,
                           week)) == []
    # The link opens the form for that week, and the item is saved there.
    form = client.get(f"/schedule/item/new?scope=person-{me}&year={year}&week={week}")
    assert form.status_code == 200 and "Thêm mục lịch" in form.get_data(as_text=True)
    html = add_item(client, f"person-{me}", year, week, content="Đọc tài liệu").get_data(
        as_text=True)
    assert "Đã lưu mục lịch." in html and row_of(html, "Đọc tài liệu")

    # A week waiting for approval takes no new item: not offered.
    login(client, "lanhdaovp")
    add_item(client, "agency", year, week, content="Bổ sung chờ duyệt", start_time="10:00",
             end_time="11:00")
    act(client, agency_week(db_session, year, week).id, "submit", year=year, week=week)
    assert "agency" not in offered(page_of(client, "all", year, week))
