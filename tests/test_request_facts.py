"""What every page asks about its reader — is the login session open, how many notices are
unread, the data's version — is read with the person, in the one statement that loads them
(app.core.request_facts), and is never older than the request: a notice, an ended session, a
change of the data made before the request shows in it; a write within the request is read
again."""
import re

from sqlalchemy import func, select, update

from app.core import request_facts
from app.core.timefmt import utcnow
from app.notifications.models import Notification
from app.notifications.services import unread_count
from app.security.models import LoginSession
from tests.conftest import login, page_statements, user

GRID = "/incoming/list/list/"


def bell(html: str) -> int:
    """The number the bell's label says ("Thông báo: N")."""
    found = re.search(r'aria-label="Thông báo: (\d+)"', html)
    assert found, "no bell on the page"
    return int(found.group(1))


def test_a_kept_page_seen_again_sends_one_statement_the_person_with_what_every_page_asks(
        login_as, statements):
    client = login_as("chuyenvien")
    found, html = page_statements(client, GRID, statements)
    assert "Đăng xuất" in html
    assert len(found) == 1, found
    person = found[0]
    assert "FROM ab_user" in person
    for table in ("login_session", "notification", "audit_event"):
        assert f"FROM {table}" in person, table


def test_a_notice_given_before_the_page_shows_on_its_bell(app, login_as, db_session):
    client = login_as("chuyenvien")
    officer = user(db_session, "chuyenvien")
    before = bell(client.get(GRID).get_data(as_text=True))
    assert before == db_session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == officer.id, Notification.read_at.is_(None)))
    notice = Notification(user_id=officer.id, kind="info", message="Thông báo thử")
    db_session.add(notice)
    db_session.commit()
    try:
        assert bell(client.get(GRID).get_data(as_text=True)) == before + 1
        assert client.get("/notifications/count").get_json() == {"unread": before + 1}
    finally:
        db_session.delete(notice)
        db_session.commit()


def test_a_session_ended_on_the_server_is_refused_at_its_next_page(app, db_session):
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        assert "Đăng xuất" in login(client, "chuyenvien").get_data(as_text=True)
    assert second.get(GRID).status_code == 200
    newest = db_session.scalar(select(LoginSession.id).where(
        LoginSession.user_id == user(db_session, "chuyenvien").id,
        LoginSession.ended_at.is_(None)).order_by(LoginSession.started_at.desc()).limit(1))
    db_session.execute(update(LoginSession).where(LoginSession.id == newest)
                       .values(ended_at=utcnow()))
    db_session.commit()
    refused = second.get(GRID)
    assert refused.status_code == 302 and "/login/" in refused.headers["Location"]
    assert first.get(GRID).status_code == 200


def test_a_write_within_the_request_is_counted_again(app):
    from app.extensions import db

    with app.test_request_context("/"):
        officer = db.session.scalar(select(app.appbuilder.sm.user_model.id).where(
            app.appbuilder.sm.user_model.username == "chuyenvien"))
        app.appbuilder.sm.get_user_by_id(officer)  # the person, with their unread notices
        read = request_facts.known("unread_notices", officer)
        assert read is not request_facts.MISSING
        assert unread_count(db.session, officer) == read
        db.session.add(Notification(user_id=officer, kind="info", message="Mới"))
        db.session.flush()
        assert request_facts.known("unread_notices", officer) is request_facts.MISSING
        assert unread_count(db.session, officer) == read + 1
        db.session.rollback()


def test_the_answers_are_the_person_loaded_not_another(app):
    from app.extensions import db

    model = app.appbuilder.sm.user_model
    with app.test_request_context("/"):
        officer, clerk = (db.session.scalar(select(model.id).where(model.username == name))
                          for name in ("chuyenvien", "vanthu"))
        app.appbuilder.sm.get_user_by_id(officer)
        assert request_facts.known("unread_notices", clerk) is request_facts.MISSING
        db.session.rollback()


def test_a_token_request_asks_neither_the_bell_nor_a_cookies_session(client, api_as, statements):
    headers = api_as("chuyenvien")
    assert client.get("/api/v1/incoming/", headers=headers).status_code == 200
    statements.clear()
    assert client.get("/api/v1/incoming/", headers=headers).status_code == 200
    person = [s for s in statements if "FROM ab_user" in s and "ab_user.password" in s]
    assert len(person) == 1, statements
    assert "FROM notification" not in person[0] and "FROM login_session" not in person[0]
    assert "FROM audit_event" in person[0]  # the data's version: the API's lists keep pages too
