"""Accounts and passwords (Art. 3), lockout, sessions, and the audit trail."""
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.org.models import EofficeUser
from app.security.accounts import check_password
from tests.conftest import DEMO_PASSWORD, csrf_token, form_of, login

STRONG = "Ngựa-ô phi qua đồi chè Thanh Liêm 2026"


def new_person(app, db_session, password=STRONG, **extra):
    """An account of its own for tests that lock or change it."""
    username = f"tk.{uuid.uuid4().hex[:6]}"
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("Chuyên viên")
        sm.add_user(username=username, first_name="Thử", last_name="Nguyễn Văn",
                    email=f"{username}@example.vn", role=role, password=password)
    return username


@pytest.mark.parametrize("password,user_inputs,reason", [
    ("ngan", [], "ít nhất 12 ký tự"),
    ("password1234", [], "quá dễ đoán"),
    ("123456789012", [], "quá dễ đoán"),
    ("vanthu-rat-bi-mat-2026!", ["vanthu"], "không được chứa tên đăng nhập"),
    ("x" * 129, [], "tối đa"),
])
def test_password_policy_refuses(app, password, user_inputs, reason):
    with app.test_request_context():
        assert reason in check_password(password, user_inputs)


def test_password_policy_accepts_a_long_passphrase_without_composition_rules(app):
    with app.test_request_context():
        assert check_password("con mèo tam thể ngủ trên mái nhà tranh", ["vanthu"]) is None
        assert check_password(STRONG, []) is None


def test_admin_creates_an_account_with_a_weak_password_refused(login_as, db_session):
    client = login_as("quantri")
    page = client.get("/users/add").get_data(as_text=True)
    username = f"moi.{uuid.uuid4().hex[:5]}"
    role = db_session.scalar(sa.text("select id from ab_role where name = 'Chuyên viên'"))
    fields = dict(first_name="Mới", last_name="Trần", username=username,
                  email=f"{username}@example.vn", active="y", roles=[str(role)])
    weak = client.post("/users/add", data=form_of(page, password="matkhau12345",
                                                  conf_password="matkhau12345", **fields))
    assert "quá dễ đoán" in weak.get_data(as_text=True) or "ít nhất" in weak.get_data(
        as_text=True)
    assert db_session.scalar(select(EofficeUser).where(EofficeUser.username == username)) is None
    client.post("/users/add", data=form_of(page, password=STRONG, conf_password=STRONG,
                                           **fields))
    created = db_session.scalar(select(EofficeUser).where(EofficeUser.username == username))
    assert created is not None and created.must_change_password
    # The new person must change the first password before anything else.
    person = client.application.test_client()
    response = login(person, username, STRONG)
    assert "mật khẩu tạm thời" in response.get_data(as_text=True)
    assert person.get("/incoming/list/list/").status_code == 302


def test_changing_ones_password_needs_the_current_one_and_ends_other_sessions(app, db_session):
    username = new_person(app, db_session)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, username, STRONG)
    login(phone, username, STRONG)
    page = laptop.get("/resetmypassword/form").get_data(as_text=True)
    new_password = "Trời hôm nay nhiều mây cực kỳ 4711"
    wrong = laptop.post("/resetmypassword/form", data=form_of(
        page, current_password="sai-roi", password=new_password, conf_password=new_password),
        follow_redirects=True)
    assert "Mật khẩu hiện tại không đúng." in wrong.get_data(as_text=True)
    page = laptop.get("/resetmypassword/form").get_data(as_text=True)
    done = laptop.post("/resetmypassword/form", data=form_of(
        page, current_password=STRONG, password=new_password, conf_password=new_password),
        follow_redirects=True)
    assert "Đã đổi mật khẩu" in done.get_data(as_text=True)
    assert laptop.get("/users/userinfo/").status_code == 200  # this session goes on
    ended = phone.get("/users/userinfo/", follow_redirects=True).get_data(as_text=True)
    assert "Phiên làm việc đã kết thúc" in ended
    assert "Đăng xuất" in login(phone, username, new_password).get_data(as_text=True)


def test_five_failures_lock_the_account_on_the_web_and_the_api(app, db_session):
    username = new_person(app, db_session)
    client = app.test_client()
    for _ in range(5):
        login(client, username, "mat-khau-sai-hoan-toan")
    html = login(client, username, STRONG).get_data(as_text=True)
    # The right password is refused with the same words as a wrong one: whoever typed the
    # name is not told that the account exists or is locked.
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in html
    assert "bị khóa" not in html and "Đăng xuất" not in html
    api = client.post("/api/v1/security/login", json={"username": username,
                                                       "password": STRONG, "provider": "db"})
    assert api.status_code == 401
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_name == username)).all()
    assert actions.count("login_failed") >= 5 and "locked" in actions


def test_api_failures_lock_too(app, db_session):
    username = new_person(app, db_session)
    client = app.test_client()
    for _ in range(5):
        client.post("/api/v1/security/login", json={"username": username,
                                                     "password": "sai-sai-sai-sai",
                                                     "provider": "db"})
    html = login(client, username, STRONG).get_data(as_text=True)
    assert "Đăng xuất" not in html and "Tên đăng nhập hoặc mật khẩu không đúng." in html


def test_report_a_compromised_password(app, login_as, db_session):
    username = new_person(app, db_session)
    client = app.test_client()
    login(client, username, STRONG)
    token = client.post("/api/v1/security/login", json={
        "username": username, "password": STRONG, "provider": "db"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/incoming/?page_size=1", headers=headers).status_code == 200
    page = client.get("/account/compromised").get_data(as_text=True)
    reported = client.post("/account/compromised", data=form_of(page), follow_redirects=True)
    assert "tài khoản đã bị khóa" in reported.get_data(as_text=True)
    assert client.get("/api/v1/incoming/?page_size=1", headers=headers).status_code == 401
    refused = login(client, username, STRONG).get_data(as_text=True)
    assert "Đăng xuất" not in refused and "Tên đăng nhập hoặc mật khẩu không đúng." in refused
    admin = login_as("quantri")
    assert username in admin.get("/").get_data(as_text=True)  # the alert on the home page
    assert "Báo lộ mật khẩu" in admin.get(f"/users/list/?_flt_0_username={username}").get_data(
        as_text=True)
    # The administrator resets the password: unlocked, to be changed at the next login.
    person = db_session.scalar(select(EofficeUser).where(EofficeUser.username == username))
    page = admin.get(f"/resetpassword/form?pk={person.id}").get_data(as_text=True)
    temporary = "Mật khẩu tạm cấp lại số 9 cho bạn"
    admin.post(f"/resetpassword/form?pk={person.id}", data=form_of(
        page, password=temporary, conf_password=temporary))
    db_session.expire_all()
    person = db_session.get(EofficeUser, person.id)
    assert person.compromised_at is None and person.must_change_password
    assert "mật khẩu tạm thời" in login(app.test_client(), username, temporary).get_data(
        as_text=True)


def test_logout_is_a_post(login_as):
    client = login_as("vanthu")
    assert client.get("/logout/").status_code == 405
    page = client.get("/").get_data(as_text=True)
    client.post("/logout/", data={"csrf_token": csrf_token(page)})
    assert client.get("/users/userinfo/").status_code == 302


def test_idle_and_absolute_timeouts(app, login_as):
    client = login_as("vanthu")
    with client.session_transaction() as cookie:
        cookie["last_seen"] -= 31 * 60
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "hết hạn sau thời gian không sử dụng" in html
    client = login_as("vanthu")
    with client.session_transaction() as cookie:
        cookie["login_at"] -= 13 * 3600
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "quá thời gian cho phép" in html


def test_per_ip_rate_limit_on_the_api_login(tmp_path):
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.db'}",
                      "SECRET_KEY": "k" * 40, "INSTANCE_DIR": str(tmp_path),
                      "RATELIMIT_ENABLED": True, "AUTH_RATE_LIMIT": "3 per minute"})
    assert app.test_cli_runner().invoke(args=["eoffice", "setup"]).exit_code == 0
    client = app.test_client()
    codes = [client.post("/api/v1/security/login", json={
        "username": "ai-do", "password": "x" * 12, "provider": "db"}).status_code
        for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[-1] == 429


def test_limits_are_shared_through_redis_by_several_workers(tmp_path):
    """Two app processes (workers) with the Redis store count the same attempts."""
    import redis

    from app import create_app

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'redis.db'}",
                "SECRET_KEY": "k" * 40, "INSTANCE_DIR": str(tmp_path),
                "RATELIMIT_ENABLED": True, "AUTH_RATE_LIMIT": "3 per minute",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    first, second = create_app(settings), create_app(settings)
    assert first.test_cli_runner().invoke(args=["eoffice", "setup"]).exit_code == 0
    attempt = {"username": "ai-do", "password": "x" * 12, "provider": "db"}
    codes = [first.test_client().post("/api/v1/security/login", json=attempt).status_code
             for _ in range(2)]
    codes += [second.test_client().post("/api/v1/security/login", json=attempt).status_code
              for _ in range(2)]
    assert codes == [401, 401, 401, 429]


# ---------------------------------------------------------------- audit trail

def test_changes_are_recorded_with_before_and_after(login_as, db_session):
    from app.catalogs.models import MeetingRoom

    room = MeetingRoom(name=f"Phòng nhật ký {uuid.uuid4().hex[:5]}")
    db_session.add(room)
    db_session.commit()
    client = login_as("vanthu")
    page = client.get(f"/meetingroomview/edit/{room.id}").get_data(as_text=True)
    client.post(f"/meetingroomview/edit/{room.id}", data=form_of(
        page, name=room.name, location="Tầng 5", active="y"))
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == "meeting_room", AuditEvent.object_id == str(room.id),
        AuditEvent.action == "update"))
    assert event.actor_name == "vanthu" and "Tầng 5" in event.changes


def test_the_trail_cannot_be_changed_or_deleted(app, db_session):
    event_id = db_session.scalar(select(AuditEvent.id).limit(1))
    for statement in ("UPDATE audit_event SET summary = 'x' WHERE id = :id",
                      "DELETE FROM audit_event WHERE id = :id"):
        with pytest.raises(sa.exc.DatabaseError):
            db_session.execute(sa.text(statement), {"id": event_id})
        db_session.rollback()


def test_leaders_read_the_trail_others_do_not(login_as):
    leader = login_as("lanhdao")
    html = leader.get("/audit/list/?_flt_0_actor_name=vanthu").get_data(as_text=True)
    assert "Nhật ký hệ thống" in html and "vanthu" in html
    export = leader.get("/audit/export")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    officer = login_as("chuyenvien")
    assert officer.get("/audit/list/", follow_redirects=True).get_data(as_text=True).count(
        "Không có quyền truy cập")
    assert officer.get("/audit/edit/1").status_code == 404
    assert officer.get("/audit/delete/1").status_code == 404


def test_logins_are_recorded(app, db_session):
    login(app.test_client(), "pgd.nga")
    assert db_session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "login", AuditEvent.actor_name == "pgd.nga")) is not None


def test_demo_password_still_works(app):
    assert "Đăng xuất" in login(app.test_client(), "vanthu", DEMO_PASSWORD).get_data(
        as_text=True)


def test_downloads_are_recorded_and_the_document_page_shows_its_trail(app, login_as,
                                                                      db_session):
    from app.documents.models import IncomingDocument

    document = db_session.scalar(select(IncomingDocument).where(
        IncomingDocument.files.any()).order_by(IncomingDocument.id))
    client = login_as("lanhdao")
    # Other tests of the process may have downloaded this document's other files before.
    before = db_session.scalar(select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0)))
    assert client.get(f"/incoming/{document.id}/files/{document.files[0].id}").status_code \
        == 200
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.id > before,
        AuditEvent.action == "download", AuditEvent.object_type == "incoming_document",
        AuditEvent.object_id == str(document.id), AuditEvent.actor_name == "lanhdao"))
    assert event is not None and event.summary == document.files[0].original_name
    page = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert "Nhật ký thay đổi" in page and "Tải tệp" in page


def test_role_changes_are_recorded_readably(app, login_as, db_session):
    person = db_session.scalar(select(EofficeUser).where(EofficeUser.username == "cv.vtlt"))
    client = login_as("quantri")
    page = client.get(f"/users/edit/{person.id}").get_data(as_text=True)
    roles = [str(r.id) for r in person.roles]
    clerk = db_session.scalar(sa.text("select id from ab_role where name = 'Văn thư'"))
    client.post(f"/users/edit/{person.id}", data=form_of(
        page, first_name=person.first_name, last_name=person.last_name,
        username=person.username, email=person.email, active="y",
        roles=roles + [str(clerk)]))
    event = db_session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == "ab_user", AuditEvent.object_id == str(person.id),
        AuditEvent.action == "update").order_by(AuditEvent.id.desc()))
    assert event is not None and "Văn thư" in event.changes and " object at " not in \
        event.changes
    client.post(f"/users/edit/{person.id}", data=form_of(
        client.get(f"/users/edit/{person.id}").get_data(as_text=True),
        first_name=person.first_name, last_name=person.last_name, username=person.username,
        email=person.email, active="y", roles=roles))


def test_the_clerk_does_not_see_the_trail_on_document_pages(app, login_as, db_session):
    from app.documents.models import IncomingDocument

    document = db_session.scalar(select(IncomingDocument).join(
        IncomingDocument.assignments).where(IncomingDocument.files.any()).limit(1))
    page = login_as("vanthu").get(f"/incoming/{document.id}")
    assert page.status_code == 200  # the page itself, not a refusal
    assert "Nhật ký thay đổi" not in page.get_data(as_text=True)


def test_dossier_pdf_downloads_are_recorded(app, login_as, db_session):
    from app.dossiers.models import Dossier

    dossier = db_session.scalar(select(Dossier).where(Dossier.items.any()).limit(1))
    assert login_as("lanhdao").get(f"/dossiers/{dossier.id}/pdf").status_code == 200
    assert db_session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "download", AuditEvent.object_type == "dossier",
        AuditEvent.object_id == str(dossier.id))) is not None
