"""Two-factor login (TOTP): enabling with a QR code, the code step of the web and API logins,
single-use codes, lockout on wrong codes, disabling, the administrator's reset, and roles that
must use it (TOTP_REQUIRED_ROLES)."""
import time
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.org.models import EofficeUser
from app.security import twofactor
from tests.conftest import form_of, login
from tests.test_security_accounts import STRONG, new_person


@pytest.fixture(autouse=True)
def room_in_the_time_step():
    """Each test uses a few consecutive codes: start early in a 30 s step, so the step does
    not change in the middle of the test."""
    left = 30 - time.time() % 30
    if left < 8:
        time.sleep(left + 0.2)


def code(secret, offset=0):
    """The code of the current time step plus offset (±1 is accepted: clock drift)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(datetime.now(UTC)) + offset)


def enable(app, db_session, username, password=STRONG, offset=-1):
    """Log in, enable 2FA (with the previous step's code), log out; return the secret."""
    client = app.test_client()
    login(client, username, password)
    page = client.get("/account/twofactor").get_data(as_text=True)
    with client.session_transaction() as cookie:
        secret = cookie["otp_enrolment"]
    client.post("/account/twofactor/enable", data=form_of(page, code=code(secret, offset)))
    db_session.expire_all()
    assert person(db_session, username).otp_secret == secret
    return secret


def person(db_session, username):
    return db_session.scalar(select(EofficeUser).where(EofficeUser.username == username))


def second_step(client, code_value):
    page = client.get("/login/code").get_data(as_text=True)
    return client.post("/login/code", data=form_of(page, code=code_value),
                       follow_redirects=True)


def actions_of(db_session, username):
    return db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.summary == username)).all()


def test_codes_are_checked_with_one_step_of_drift_and_used_once():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    at = datetime(2026, 11, 27, 8, 0, 10, tzinfo=UTC)
    step = totp.timecode(at)
    assert twofactor.matching_step(secret, totp.generate_otp(step), at=at) == step
    assert twofactor.matching_step(secret, totp.generate_otp(step - 1), at=at) == step - 1
    assert twofactor.matching_step(secret, totp.generate_otp(step + 1), at=at) == step + 1
    assert twofactor.matching_step(secret, totp.generate_otp(step - 2), at=at) is None
    assert twofactor.matching_step(secret, totp.generate_otp(step), last_step=step,
                                   at=at) is None
    spaced = totp.generate_otp(step)
    assert twofactor.matching_step(secret, f" {spaced[:3]} {spaced[3:]} ", at=at) == step
    for junk in ("", None, "12345", "abcdef", "1234567", "١٢٣٤٥٦"):
        assert twofactor.matching_step(secret, junk, at=at) is None
    assert twofactor.matching_step(secret, totp.generate_otp(step),
                                   at=at + timedelta(seconds=65)) is None


def test_enabling_shows_a_local_qr_code_and_needs_a_right_first_code(app, db_session):
    username = new_person(app, db_session)
    client = app.test_client()
    login(client, username, STRONG)
    page = client.get("/account/twofactor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and 'src="http' not in page  # drawn here
    with client.session_transaction() as cookie:
        secret = cookie["otp_enrolment"]
    assert client.get("/account/twofactor").get_data(as_text=True).count(secret[:4]) >= 1
    wrong = client.post("/account/twofactor/enable", data=form_of(page, code="000000"),
                        follow_redirects=True).get_data(as_text=True)
    assert "Mã xác thực không đúng" in wrong
    assert person(db_session, username).otp_secret is None
    done = client.post("/account/twofactor/enable", data=form_of(page, code=code(secret)),
                       follow_redirects=True).get_data(as_text=True)
    assert "Đã bật xác thực hai bước" in done
    db_session.expire_all()
    assert person(db_session, username).otp_secret == secret
    assert "2fa_enabled" in actions_of(db_session, username)
    assert client.get("/users/userinfo/").status_code == 200  # this session goes on
    assert "Đã bật" in client.get("/users/userinfo/").get_data(as_text=True)


def test_the_web_login_asks_for_the_code_after_the_password(app, db_session):
    username = new_person(app, db_session)
    secret = enable(app, db_session, username)
    client = app.test_client()
    after_password = login(client, username, STRONG).get_data(as_text=True)
    assert "Xác thực hai bước" in after_password and "Đăng xuất" not in after_password
    assert client.get("/users/userinfo/").status_code == 302  # not logged in yet
    assert "Mã xác thực không đúng" in second_step(client, "123456").get_data(as_text=True)
    used = code(secret)
    assert "Đăng xuất" in second_step(client, used).get_data(as_text=True)
    assert client.get("/users/userinfo/").status_code == 200
    # The same code cannot be used again, even within its 30 seconds.
    other = app.test_client()
    login(other, username, STRONG)
    assert "Mã xác thực không đúng" in second_step(other, used).get_data(as_text=True)
    actions = actions_of(db_session, username)
    assert actions.count("login") == 2  # enabling's login and the one with the code


def test_the_code_step_needs_a_right_password_first(app, db_session):
    client = app.test_client()
    assert client.get("/login/code", follow_redirects=True).request.path == "/login/"
    username = new_person(app, db_session)
    enable(app, db_session, username)
    login(client, username, "sai-mat-khau-roi-nhe")
    assert client.get("/login/code").status_code == 302


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, db_session):
    username = new_person(app, db_session)
    secret = enable(app, db_session, username)
    client = app.test_client()
    login(client, username, STRONG)
    for _ in range(4):
        assert "Mã xác thực không đúng" in second_step(client, "000000").get_data(as_text=True)
    locked = second_step(client, "000000").get_data(as_text=True)
    assert "Tài khoản đã bị khóa do đăng nhập sai nhiều lần" in locked  # past the password
    again = login(client, username, STRONG).get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in again and "bị khóa" not in again
    assert client.get("/login/code").status_code == 302  # the password step refused it
    assert "locked" in actions_of(db_session, username)
    assert client.post("/api/v1/security/login", json={
        "username": username, "password": STRONG, "totp": code(secret)}).status_code == 401


def test_the_api_login_is_no_way_around_it(app, db_session):
    username = new_person(app, db_session)
    secret = enable(app, db_session, username)
    client = app.test_client()
    body = {"username": username, "password": STRONG, "provider": "db"}
    # Missing or wrong code: the answer of a wrong password (the password is not confirmed).
    refused = "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng."
    missing = client.post("/api/v1/security/login", json=body)
    assert missing.status_code == 401 and missing.get_json()["message"] == refused
    wrong = client.post("/api/v1/security/login", json=body | {"totp": "000000"})
    assert wrong.status_code == 401 and wrong.get_json()["message"] == refused
    right = client.post("/api/v1/security/login", json=body | {"totp": code(secret)})
    assert right.status_code == 200
    token = right.get_json()["access_token"]
    assert client.get("/api/v1/incoming/?page_size=1", headers={
        "Authorization": f"Bearer {token}"}).status_code == 200
    again = client.post("/api/v1/security/login", json=body | {"totp": code(secret)})
    assert again.status_code == 401  # single use
    bad_password = client.post("/api/v1/security/login", json={
        "username": username, "password": "sai-sai-sai-sai", "totp": code(secret, 1)})
    assert bad_password.status_code == 401 and bad_password.get_json()["message"] == refused


def test_disabling_needs_the_password_and_a_code(app, db_session):
    username = new_person(app, db_session)
    secret = enable(app, db_session, username)
    client = app.test_client()
    login(client, username, STRONG)
    second_step(client, code(secret))
    page = client.get("/account/twofactor").get_data(as_text=True)
    assert "Tắt xác thực hai bước" in page
    refused = client.post("/account/twofactor/disable", data=form_of(
        page, password="khong-phai-mat-khau", code=code(secret, 1)), follow_redirects=True)
    assert "Mật khẩu hoặc mã xác thực không đúng" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert person(db_session, username).otp_secret == secret
    done = client.post("/account/twofactor/disable", data=form_of(
        page, password=STRONG, code=code(secret, 1)), follow_redirects=True)
    assert "Đã tắt xác thực hai bước" in done.get_data(as_text=True)
    db_session.expire_all()
    assert person(db_session, username).otp_secret is None
    assert "2fa_disabled" in actions_of(db_session, username)
    assert "Đăng xuất" in login(app.test_client(), username, STRONG).get_data(as_text=True)


def test_the_administrator_resets_a_lost_phone(app, db_session, login_as):
    username = new_person(app, db_session)
    enable(app, db_session, username)
    user_id = person(db_session, username).id
    officer = login_as("chuyenvien")
    page = officer.get("/").get_data(as_text=True)
    assert officer.post(f"/users/reset2fa/{user_id}", data=form_of(page)).status_code == 403
    admin = login_as("quantri")
    show = admin.get(f"/users/show/{user_id}").get_data(as_text=True)
    assert "Đặt lại xác thực hai bước" in show and "Đã bật" in show
    done = admin.post(f"/users/reset2fa/{user_id}", data=form_of(show), follow_redirects=True)
    assert "Đã đặt lại xác thực hai bước" in done.get_data(as_text=True)
    db_session.expire_all()
    assert person(db_session, username).otp_secret is None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "2fa_reset",
                                                       AuditEvent.summary == username))
    assert event is not None and event.actor_name == "quantri"
    assert "Đăng xuất" in login(app.test_client(), username, STRONG).get_data(as_text=True)


def test_required_roles_must_enrol_before_anything_else(app, db_session, monkeypatch):
    role_name = f"Bắt buộc 2FA {uuid.uuid4().hex[:4]}"
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.add_role(role_name)
        username = new_person(app, db_session)
        user = sm.find_user(username=username)
        user.roles.append(role)
        sm.session.commit()
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", f"Lãnh đạo cơ quan, {role_name}")
    client = app.test_client()
    login(client, username, STRONG)
    for path in ("/", "/incoming/list/list/", "/users/userinfo/"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/twofactor" in response.location
    assert client.get("/api/v1/incoming/").status_code == 403
    api = client.post("/api/v1/security/login", json={"username": username,
                                                      "password": STRONG})
    assert api.status_code == 401 and "bắt buộc xác thực hai bước" in api.get_json()["message"]
    page = client.get("/account/twofactor").get_data(as_text=True)
    assert "bắt buộc" in page
    with client.session_transaction() as cookie:
        secret = cookie["otp_enrolment"]
    client.post("/account/twofactor/enable", data=form_of(page, code=code(secret)))
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/incoming/?page_size=1").status_code == 200


def test_check_deploy_wants_two_factor_for_the_administrator(app, monkeypatch):
    from app.cli import deployment_problems

    assert any("TOTP_REQUIRED_ROLES" in p for p in deployment_problems(app))
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", "Quản trị mạng, Lãnh đạo cơ quan")
    assert not any("TOTP_REQUIRED_ROLES" in p for p in deployment_problems(app))
