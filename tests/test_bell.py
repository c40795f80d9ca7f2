"""The bell keeps its number current by asking the server (no push service on an intranet):
GET /notifications/count. Those requests are the page's, not the person's: they never keep an
idle session alive."""
import time

from app.notifications import services
from tests.conftest import user


def test_the_bell_counts_the_persons_unread_notices(login_as, db_session):
    client = login_as("chuyenvien")
    response = client.get("/notifications/count")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    officer = user(db_session, "chuyenvien")
    assert response.get_json() == {"unread": services.unread_count(db_session, officer.id)}


def test_the_page_shows_the_bell_that_asks(login_as):
    html = login_as("chuyenvien").get("/").get_data(as_text=True)
    assert 'data-count-url="/notifications/count"' in html and "js/bell.js" in html


def test_asking_the_bell_does_not_keep_an_idle_session_alive(app, login_as):
    client = login_as("chuyenvien")
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    almost = time.time() - idle + 120  # two minutes before the session ends
    with client.session_transaction() as session:
        session["last_seen"] = almost
    assert client.get("/notifications/count").status_code == 200
    with client.session_transaction() as session:
        assert session["last_seen"] == almost  # the bell's question is not activity
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert session["last_seen"] > almost  # a page the person opens is


def test_an_ended_session_gets_no_count(app, login_as):
    client = login_as("chuyenvien")
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - app.config["SESSION_IDLE_MINUTES"] * 60 - 60
    response = client.get("/notifications/count")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/notifications/count").status_code == 302  # and it stays ended


def test_nobody_logged_in_gets_no_count(client):
    client.get("/logout/")
    response = client.get("/notifications/count")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
