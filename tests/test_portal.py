"""The portal home and the notices: what a person sees on logging in, the bell, reading and
opening notices (only one's own)."""
from datetime import timedelta

from sqlalchemy import func, select

from app.core.timefmt import today_local
from app.notifications.models import Notification
from app.notifications.services import notify
from app.org.models import EofficeUser
from app.schedules.models import ScheduleItem, ScheduleWeek
from tests.conftest import csrf_token


def test_home_shows_this_weeks_published_agency_schedule(login_as, db_session):
    year, week, _ = today_local().isocalendar()
    record = db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == "agency", ScheduleWeek.year == year, ScheduleWeek.week == week))
    live = [i for i in record.items if not i.pending]
    assert live  # the demo publishes items for this week: none would make the loop vacuous
    html = login_as("chuyenvien").get("/").get_data(as_text=True)
    assert f"Lịch công tác tuần {week:02d} của cơ quan" in html
    for item in live:
        assert item.content in html
    assert "Điều chỉnh" in html and "Bổ sung" in html  # this week's demo adjustment


def test_home_shows_published_news_and_counters(login_as):
    html = login_as("truongphong").get("/").get_data(as_text=True)
    assert "news-portal-item" in html
    for module in ("Văn bản dự thảo", "Phiếu yêu cầu", "Hồ sơ công việc", "Tin tức"):
        assert module in html
    assert "work-counter" in html


def test_administrator_home_has_no_document_counters(login_as):
    html = login_as("quantri").get("/").get_data(as_text=True)
    assert "Phiếu yêu cầu" not in html and "inbox-counter" not in html
    assert "Lịch công tác tuần" in html


def _user(db_session, username):
    return db_session.scalar(select(EofficeUser).where(EofficeUser.username == username))


def test_notices_are_personal_and_opening_one_marks_it_read(app, login_as, db_session):
    officer, other = _user(db_session, "cv.xdcq"), _user(db_session, "cv.vtlt")
    with app.test_request_context():
        notify(db_session, [officer, officer.id, other], "Thông báo thử nghiệm",
               "/schedule/week", "test", exclude=other)
        notify(db_session, [officer], "Địa chỉ ngoài", "https://example.com/x", "test")
    db_session.commit()
    notices = db_session.scalars(select(Notification).where(
        Notification.kind == "test").order_by(Notification.id)).all()
    assert [(n.user_id, n.url) for n in notices] == [(officer.id, "/schedule/week"),
                                                     (officer.id, None)]

    client = login_as("cv.xdcq")
    html = client.get("/").get_data(as_text=True)
    unread = db_session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == officer.id, Notification.read_at.is_(None)))
    assert f'<span class="badge notification-count">{unread}</span>' in html
    listing = client.get("/notifications/").get_data(as_text=True)
    assert client.get(f"/notifications/{notices[0].id}").status_code == 405  # a GET never writes
    response = client.post(f"/notifications/{notices[0].id}",
                           data={"csrf_token": csrf_token(listing)})
    assert response.status_code == 302 and response.headers["Location"] == "/schedule/week"
    db_session.expire_all()
    assert db_session.get(Notification, notices[0].id).read_at is not None

    client = login_as("cv.vtlt")
    listing = client.get("/notifications/").get_data(as_text=True)
    assert client.post(f"/notifications/{notices[1].id}",
                       data={"csrf_token": csrf_token(listing)}).status_code == 404
    db_session.expire_all()
    assert db_session.get(Notification, notices[1].id).read_at is None

    client = login_as("cv.xdcq")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Địa chỉ ngoài" in page
    assert client.post("/notifications/read-all", data={}).status_code == 400
    client.post("/notifications/read-all", data={"csrf_token": csrf_token(page)})
    db_session.expire_all()
    assert db_session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == officer.id, Notification.read_at.is_(None))) == 0
    assert "notification-count" not in client.get("/").get_data(as_text=True)


def test_home_when_this_week_is_not_published(app, login_as, db_session):
    """A week without a published agency schedule says so (not an empty table)."""
    year, week, _ = (today_local() + timedelta(weeks=40)).isocalendar()
    assert db_session.scalar(select(func.count(ScheduleItem.id)).join(ScheduleWeek).where(
        ScheduleWeek.year == year, ScheduleWeek.week == week)) == 0
    html = login_as("chuyenvien").get(
        f"/schedule/week?scope=agency&year={year}&week={week}").get_data(as_text=True)
    assert "Chưa có lịch công tác đã ban hành trong tuần này." in html
