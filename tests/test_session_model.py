"""One session model on every channel (issue 13, points 1–7, 9, 15; docs/security.md): a
browser cookie obeys the same rules on the web pages and on the REST API, logout ends it on
the server, cookie writes to the API need the CSRF token, temporary passwords get no token,
login refusals all look alike, the lock is not extended by trying, the login limit is shared
by the workers, and the administrator does not grant himself a clerk's reading."""
import json
import re
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app import create_app
from app.audit.models import AuditEvent
from app.org.models import EofficeUser
from tests.conftest import DEMO_PASSWORD, csrf_token, form_of, login
from tests.test_security_accounts import STRONG, new_person

REFUSED_WEB = "Tên đăng nhập hoặc mật khẩu không đúng."
REFUSED_API = "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng."


def logged_in(app, username, password=STRONG):
    client = app.test_client()
    assert "Đăng xuất" in login(client, username, password).get_data(as_text=True)
    return client


def copy_cookie(source, app):
    """An attacker's client holding a copy of the victim's session cookie."""
    thief = app.test_client()
    cookie = source.get_cookie("session")
    assert cookie is not None
    thief.set_cookie("session", cookie.value)
    return thief


def person(db_session, username):
    db_session.expire_all()
    return db_session.scalar(select(EofficeUser).where(EofficeUser.username == username))


# ---------------------------------------------------------------- 1. the cookie everywhere

def test_a_cookie_copied_before_logout_is_dead_on_the_web_and_the_api(app, db_session):
    username = new_person(app, db_session)
    victim = logged_in(app, username)
    thief = copy_cookie(victim, app)
    assert thief.get("/api/v1/incoming/?page_size=1").status_code == 200  # the copy works
    page = victim.get("/").get_data(as_text=True)
    victim.post("/logout/", data={"csrf_token": csrf_token(page)})
    api = thief.get("/api/v1/incoming/?page_size=1")
    assert api.status_code == 401
    assert "Phiên làm việc đã kết thúc" in api.get_json()["message"]
    thief = copy_cookie(victim, app) if victim.get_cookie("session") else thief
    web = thief.get("/incoming/list/list/")
    assert web.status_code == 302 and "/login/" in web.location


def test_a_copied_cookie_dies_with_a_password_change_and_a_compromise_report(app, db_session):
    username = new_person(app, db_session)
    victim = logged_in(app, username)
    thief = copy_cookie(victim, app)
    other_device = logged_in(app, username)
    page = other_device.get("/account/compromised").get_data(as_text=True)
    other_device.post("/account/compromised", data=form_of(page))
    assert thief.get("/api/v1/incoming/?page_size=1").status_code == 401
    assert victim.post("/api/v1/news/", json={"title": "x"}).status_code == 401


def test_the_idle_and_absolute_limits_hold_on_the_api(app, db_session):
    username = new_person(app, db_session)
    client = logged_in(app, username)
    with client.session_transaction() as cookie:
        cookie["last_seen"] -= 31 * 60
    idle = client.get("/api/v1/incoming/?page_size=1")
    assert idle.status_code == 401 and "không sử dụng" in idle.get_json()["message"]
    client = logged_in(app, username)
    with client.session_transaction() as cookie:
        cookie["login_at"] -= 13 * 3600
    too_long = client.get("/api/v1/incoming/?page_size=1")
    assert too_long.status_code == 401 and "quá thời gian" in too_long.get_json()["message"]


def test_a_temporary_password_is_refused_on_the_api_by_cookie_and_by_token(app, db_session):
    username = new_person(app, db_session)
    client = logged_in(app, username)
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=username)
        user.must_change_password = True
        sm.session.commit()
    by_cookie = client.get("/api/v1/incoming/?page_size=1")
    assert by_cookie.status_code == 403 and "mật khẩu tạm thời" in by_cookie.get_json()["message"]
    token = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": STRONG, "provider": "db"})
    assert token.status_code == 403
    assert "đổi mật khẩu" in token.get_json()["message"]
    assert "access_token" not in token.get_json()


def test_a_token_request_is_the_token_bearer_whatever_the_cookie(app, client, api_as):
    headers = api_as("chuyenvien")
    login(client, "vanthu", DEMO_PASSWORD)  # the browser holds the clerk's cookie
    response = client.get("/api/v1/incoming/?page_size=100", headers=headers)
    assert response.status_code == 200
    officer_view = {row["id"] for row in response.get_json()["result"]}
    clerk_view = {row["id"] for row in client.get("/api/v1/incoming/?page_size=100")
                  .get_json()["result"]}
    assert officer_view != clerk_view  # the clerk sees every document, the officer not


# ---------------------------------------------------------------- 2. CSRF on the API

def news_count(db_session):
    return db_session.scalar(sa.text("select count(*) from news_item"))


def test_a_cookie_write_to_the_api_needs_the_csrf_token(app, login_as, db_session):
    client = login_as("chuyenvien")
    before = news_count(db_session)
    body = json.dumps({"title": "Tin giả mạo", "summary": "x", "body": "<p>x</p>"})
    forged = client.post("/api/v1/news/", data=body, content_type="text/plain",
                         headers={"Origin": "http://attacker.example"})
    assert forged.status_code == 415
    no_token = client.post("/api/v1/news/", data=body, content_type="application/json",
                           headers={"Origin": "http://attacker.example"})
    assert no_token.status_code == 403 and "CSRF" in no_token.get_json()["message"]
    assert news_count(db_session) == before
    token = csrf_token(client.get("/").get_data(as_text=True))
    allowed = client.post("/api/v1/news/", data=body, content_type="application/json",
                          headers={"X-CSRFToken": token})
    assert allowed.status_code == 422  # past the guard: the form's own rules (no category)
    assert "category_id" in allowed.get_json()["message"]


def test_a_token_write_needs_no_csrf_but_json(client, api_as):
    headers = api_as("chuyenvien")
    as_text = client.post("/api/v1/news/", data='{"title": "x"}', content_type="text/plain",
                          headers=headers)
    assert as_text.status_code == 415 and "JSON" in as_text.get_json()["message"]
    as_json = client.post("/api/v1/news/", json={"title": "x"}, headers=headers)
    assert as_json.status_code == 422


# ---------------------------------------------------------------- 4–6. passwords and lockout

def test_a_wrong_current_password_counts_toward_the_lockout(app, db_session):
    username = new_person(app, db_session)
    client = logged_in(app, username)
    for _attempt in range(5):
        page = client.get("/resetmypassword/form").get_data(as_text=True)
        response = client.post("/resetmypassword/form", data=form_of(
            page, current_password="khong-phai-mat-khau", password="Một cụm mật khẩu mới 2026",
            conf_password="Một cụm mật khẩu mới 2026"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "bị khóa" in html and "Đăng xuất" not in html  # the session ended at the lock
    failures = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "ab_user",
        AuditEvent.object_id == str(person(db_session, username).id))).all()
    assert failures.count("login_failed") == 5 and "locked" in failures


def test_trying_during_a_lock_does_not_extend_it(app, db_session):
    username = new_person(app, db_session)
    client = app.test_client()
    for _ in range(5):
        login(client, username, "mat-khau-sai-hoan-toan")
    locked_until = person(db_session, username).locked_until
    assert locked_until is not None
    for _ in range(3):
        login(client, username, "mat-khau-sai-lan-nua")
        client.post("/api/v1/security/login", json={"username": username, "password": STRONG})
    assert person(db_session, username).locked_until == locked_until
    refused = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.action == "login_locked", AuditEvent.summary == username)).all()
    assert len(refused) == 6  # recorded, for the person and the administrator


@pytest.fixture
def hash_checks(monkeypatch):
    """Counts the password hashes computed (the work that takes the time of a login)."""
    import flask_appbuilder.security.manager as fab_manager
    from werkzeug import security

    import app.security.manager as our_manager

    calls = []
    real = security.check_password_hash

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(fab_manager, "check_password_hash", counting)
    monkeypatch.setattr(our_manager, "check_password_hash", counting)
    return calls


def test_refusals_look_alike_unknown_wrong_locked_and_two_factor(app, db_session, hash_checks):
    from tests.test_two_factor import enable

    locked = new_person(app, db_session)
    for _ in range(5):
        login(app.test_client(), locked, "mat-khau-sai-hoan-toan")
    with_code = new_person(app, db_session)
    enable(app, db_session, with_code)
    cases = {"unknown": (f"khong.co.{uuid.uuid4().hex[:6]}", STRONG),
             "wrong": (new_person(app, db_session), "mat-khau-sai-hoan-toan"),
             "locked": (locked, STRONG), "two-factor": (with_code, STRONG)}
    answers, hashes = {}, {}
    for case, (username, password) in cases.items():
        del hash_checks[:]
        response = app.test_client().post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db"})
        answers[case] = (response.status_code, response.get_json())
        hashes[case] = len(hash_checks)
    assert set(map(json.dumps, answers.values())) == {
        json.dumps((401, {"message": REFUSED_API}))}, answers
    assert hashes == {case: 1 for case in cases}  # as much work whatever the case
    for case in ("unknown", "wrong", "locked"):
        username, password = cases[case]
        html = login(app.test_client(), username, password).get_data(as_text=True)
        assert REFUSED_WEB in html and "bị khóa" not in html, case


def test_the_administrator_sees_and_lifts_a_lock(app, db_session, login_as):
    username = new_person(app, db_session)
    for _ in range(5):
        login(app.test_client(), username, "mat-khau-sai-hoan-toan")
    admin = login_as("quantri")
    home = admin.get("/").get_data(as_text=True)
    assert "bị khóa do đăng nhập sai nhiều lần" in home and username in home
    pk = person(db_session, username).id
    page = admin.get(f"/users/show/{pk}").get_data(as_text=True)
    assert "Mở khóa tài khoản" in page
    admin.post(f"/users/unlock/{pk}", data={"csrf_token": csrf_token(page)})
    assert person(db_session, username).locked_until is None
    assert "Đăng xuất" in login(app.test_client(), username, STRONG).get_data(as_text=True)


# ---------------------------------------------------------------- 7. limit and client address

def test_the_login_limit_is_shared_by_the_workers(tmp_path):
    """Two application processes (as gunicorn's workers) on one installation count the same
    attempts in Redis: the limit holds whichever worker answers."""
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.db'}",
              "SECRET_KEY": uuid.uuid4().hex * 2, "INSTANCE_DIR": str(tmp_path),
              "TESTING": True, "RATELIMIT_ENABLED": True, "AUTH_RATE_LIMIT": "6 per minute"}
    first, second = create_app(dict(config)), create_app(dict(config))
    if not first.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    first.test_cli_runner().invoke(args=["eoffice", "setup"])
    codes = []
    for attempt in range(8):
        worker = (first, second)[attempt % 2]
        codes.append(worker.test_client().post("/api/v1/security/login", json={
            "username": "khong.co", "password": "sai"}).status_code)
    assert codes[:6] == [401] * 6 and codes[6:] == [429, 429]


def test_memory_storage_when_redis_does_not_answer(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                      "SECRET_KEY": uuid.uuid4().hex * 2, "INSTANCE_DIR": str(tmp_path),
                      "TESTING": True, "REDIS_URL": "redis://127.0.0.1:9/0"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.parametrize("proxies,seen", [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_the_client_address_behind_the_trusted_proxy(tmp_path, proxies, seen):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                      "SECRET_KEY": uuid.uuid4().hex * 2, "INSTANCE_DIR": str(tmp_path),
                      "TESTING": True, "RATELIMIT_ENABLED": False, "TRUSTED_PROXIES": proxies})
    runner = app.test_cli_runner()
    runner.invoke(args=["eoffice", "setup"])
    with app.app_context():
        role = app.appbuilder.sm.find_role("Chuyên viên")
        app.appbuilder.sm.add_user(username="nguoi.thu", first_name="Thử", last_name="Lê",
                                   email="thu@example.vn", role=role, password=STRONG)
    app.test_client().post("/api/v1/security/login", json={
        "username": "nguoi.thu", "password": "sai-mat-khau-roi"},
        headers={"X-Forwarded-For": "203.0.113.7"})
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        ip = conn.scalar(sa.text("select ip from audit_event where action = 'login_failed' "
                                 "order by id desc limit 1"))
    engine.dispose()
    assert ip == seen  # a forged header is believed only behind a trusted proxy


# ---------------------------------------------------------------- 9. separation of duties

def role_id(db_session, name):
    return db_session.scalar(sa.text("select id from ab_role where name = :n"), {"n": name})


def user_form(page, user, roles):
    return form_of(page, first_name=user.first_name, last_name=user.last_name,
                   username=user.username, email=user.email, active="y",
                   roles=[str(r) for r in roles])


def test_the_administrator_cannot_change_his_own_roles(login_as, db_session):
    admin = login_as("quantri")
    me = person(db_session, "quantri")
    page = admin.get(f"/users/edit/{me.id}").get_data(as_text=True)
    response = admin.post(f"/users/edit/{me.id}", data=user_form(
        page, me, [role_id(db_session, "Quản trị mạng"), role_id(db_session, "Văn thư")]),
        follow_redirects=True)
    assert "không thể tự thay đổi vai trò" in response.get_data(as_text=True)
    assert [r.name for r in person(db_session, "quantri").roles] == ["Quản trị mạng"]


def test_an_administrator_account_cannot_also_be_clerk_or_leader(app, login_as, db_session):
    username = new_person(app, db_session)
    target = person(db_session, username)
    admin = login_as("quantri")
    page = admin.get(f"/users/edit/{target.id}").get_data(as_text=True)
    response = admin.post(f"/users/edit/{target.id}", data=user_form(
        page, target, [role_id(db_session, "Quản trị mạng"), role_id(db_session, "Văn thư")]),
        follow_redirects=True)
    assert "Tách bạch nhiệm vụ" in response.get_data(as_text=True)
    assert [r.name for r in person(db_session, username).roles] == ["Chuyên viên"]


def test_a_role_change_is_recorded_as_exactly_what_was_added_and_removed(app, login_as, db_session):
    username = new_person(app, db_session)
    target = person(db_session, username)
    admin = login_as("quantri")
    page = admin.get(f"/users/edit/{target.id}").get_data(as_text=True)
    admin.post(f"/users/edit/{target.id}", data=user_form(
        page, target, [role_id(db_session, "Chuyên viên"), role_id(db_session, "Văn thư")]))
    changes = [json.loads(c) for c in db_session.scalars(select(AuditEvent.changes).where(
        AuditEvent.object_type == "ab_user", AuditEvent.object_id == str(target.id),
        AuditEvent.action == "update", AuditEvent.changes.is_not(None)))]
    assert [c["roles"] for c in changes if "roles" in c] == [
        {"added": ["Văn thư"], "removed": []}]  # exactly what changed; Chuyên viên is kept


# ---------------------------------------------------------------- 15. nothing kept in caches

def test_no_store_on_pages_json_and_files_but_not_on_our_static_files(login_as, api_as, client,
                                                                       db_session):
    clerk = login_as("vanthu")
    document_id, file_id = db_session.execute(sa.text(
        "select incoming_id, id from document_file where incoming_id is not null "
        "order by id limit 1")).one()
    download = clerk.get(f"/incoming/{document_id}/files/{file_id}")
    assert download.status_code == 200
    for response in (clerk.get("/"), clerk.get("/incoming/list/list/"),
                     clerk.get("/api/v1/incoming/?page_size=1"), download):
        assert response.headers["Cache-Control"] == "no-store"
    token = client.get("/api/v1/incoming/?page_size=1", headers=api_as("vanthu"))
    assert token.headers["Cache-Control"] == "no-store"
    static = client.get("/static/favicon.svg")
    assert static.status_code == 200 and "no-store" not in static.headers.get(
        "Cache-Control", "")


# ---------------------------------------------------------------- ASVS 3.3.4, 8.2.3

def test_a_person_sees_and_ends_their_other_sessions(app, db_session):
    username = new_person(app, db_session)
    laptop = logged_in(app, username)
    phone = logged_in(app, username)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert page.count('class="end-session"') == 1 and "Phiên này" in page
    handle = re.search(r'name="session" value="([0-9a-f]{16})"', page).group(1)
    laptop.post("/account/sessions/end", data=form_of(page, session=handle))
    assert phone.get("/api/v1/incoming/?page_size=1").status_code == 401
    assert laptop.get("/api/v1/incoming/?page_size=1").status_code == 200  # this one goes on


def test_logout_asks_the_browser_to_drop_its_copies(login_as):
    client = login_as("vanthu")
    page = client.get("/").get_data(as_text=True)
    response = client.post("/logout/", data={"csrf_token": csrf_token(page)})
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_over_https_the_cookie_is_host_only(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}",
                      "SECRET_KEY": uuid.uuid4().hex * 2, "INSTANCE_DIR": str(tmp_path),
                      "TESTING": True, "SESSION_COOKIE_SECURE": True})
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"


def test_the_pages_own_files_never_rewrite_the_cookie_so_a_posts_message_survives(app):
    """A browser fetches scripts, icons and the service worker while a form's POST is on its
    way, with the cookie from before the POST; an answer that set a cookie would erase the
    message the POST left ("Đã lưu …") and the person would see nothing happen."""
    client = app.test_client()
    login(client, "chuyenvien")
    before = client.get_cookie("session").value
    page = client.get("/notifications/settings").get_data(as_text=True)
    client.post("/notifications/settings", data=form_of(page))
    late = app.test_client()
    late.set_cookie("session", before)
    for url in ("/static/js/bell.js", "/sw.js", "/manifest.webmanifest", "/pwa/icon.svg",
                "/pwa/icon-192.png", "/offline"):
        answer = late.get(url)
        assert answer.status_code == 200, url
        assert answer.headers.getlist("Set-Cookie") == [], url
    assert "Đã lưu cài đặt nhận email." in client.get(
        "/notifications/settings").get_data(as_text=True)


def test_activity_is_written_to_the_cookie_at_most_once_a_minute(app):
    client = app.test_client()
    login(client, "chuyenvien")
    assert client.get("/").headers.getlist("Set-Cookie") == []  # just logged in: no rewrite
    with client.session_transaction() as cookie:
        cookie["last_seen"] -= 61
    assert any(c.startswith("session=") for c in client.get("/").headers.getlist("Set-Cookie"))
