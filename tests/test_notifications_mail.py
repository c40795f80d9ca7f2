"""Notices by email (issue 16, point 1) against a real SMTP server started by the test
(aiosmtpd): the daily digest in Vietnamese with its links, the urgent mail at once and once,
the person's opt-out, nothing at all without MAIL_SERVER, a relay that is down tried again at
the next pass, one process at a time."""
import email
import email.policy
import re
import socket
import uuid

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.core.timefmt import format_date, today_local
from app.notifications import mail
from app.notifications.models import Notification
from app.notifications.services import notify
from app.notifications.worker import pass_lock, run_once
from app.security import roles as r
from tests.conftest import DEMO_PASSWORD, csrf_token, login

PUBLIC_URL = "https://vpdt.snv.hanam.gov.vn"


class Inbox:
    """What the SMTP server received: [(recipients, parsed message)]."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(
            envelope.content, policy=email.policy.default)))
        return "250 Message accepted for delivery"

    def to(self, address):
        return [message for recipients, message in self.messages if address in recipients]


def is_checked(html, name):
    [tag] = re.findall(rf'<input[^>]*name="{name}"[^>]*>', html)
    return re.search(r"\bchecked\b", tag) is not None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return inbox, controller


@pytest.fixture
def relay(app, monkeypatch):
    """A local SMTP server and the application's settings pointing at it."""
    port = free_port()
    inbox, controller = start_server(port)
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SECURITY": "none",
                       "MAIL_USERNAME": "", "MAIL_FROM": "vanphong@snv.hanam.gov.vn",
                       "MAIL_TIMEOUT": 5, "PUBLIC_URL": PUBLIC_URL}.items():
        monkeypatch.setitem(app.config, key, value)
    yield inbox
    controller.stop()


@pytest.fixture
def person(app):
    """A new officer with an email address of their own: (id, username, address)."""
    username = f"cv.thu.{uuid.uuid4().hex[:8]}"
    address = f"{username}@snv.hanam.gov.vn"
    with app.app_context():
        sm = app.appbuilder.sm
        made = sm.add_user(username=username, first_name="Thư", last_name="Nguyễn Thị",
                           email=address, role=[sm.find_role(r.OFFICER)],
                           password=DEMO_PASSWORD)
        assert made, "the person could not be made"
        return made.id, username, address


def tell(app, session, person_id, message, url="/incoming/list/list/", **kwargs):
    with app.app_context():
        notify(session, [person_id], message, url, "test.mail", **kwargs)
        session.commit()
    return session.scalar(select(Notification).where(Notification.user_id == person_id,
                                                     Notification.message == message))


def test_the_daily_digest_lists_the_open_notices_in_vietnamese(app, db_session, relay,
                                                                 person):
    person_id, _username, address = person
    tag = uuid.uuid4().hex[:6]
    task = tell(app, db_session, person_id, f"Dự thảo «Báo cáo quý {tag}» đang chờ bạn duyệt.",
                "/drafts/7", subject=f"draft:{tag}")
    tell(app, db_session, person_id, f"Lịch cơ quan tuần {tag} đã được ban hành.",
         "/schedule/week")
    counts = run_once(app, digest=True)
    assert counts["mail_error"] is None and counts["digests"] >= 1
    [digest] = relay.to(address)
    subject = digest["Subject"]
    assert subject == f"[{app.config['APP_NAME']}] 2 việc đang chờ bạn " \
                      f"({format_date(today_local())})"
    assert "=?utf-8?" in digest.as_string().split("Subject:", 1)[1].splitlines()[0]
    text = digest.get_body(("plain",)).get_content()
    assert "Kính gửi Nguyễn Thị Thư," in text
    assert f"Dự thảo «Báo cáo quý {tag}» đang chờ bạn duyệt." in text
    assert f"{PUBLIC_URL}/drafts/7" in text and f"{PUBLIC_URL}/schedule/week" in text
    html = digest.get_body(("html",)).get_content()
    assert f'<a href="{PUBLIC_URL}/drafts/7">' in html and "Báo cáo quý" in html
    assert f"{PUBLIC_URL}/notifications/settings" in text
    assert digest["From"] == f"{app.config['APP_NAME']} <vanphong@snv.hanam.gov.vn>"
    db_session.expire_all()
    assert db_session.get(Notification, task.id).emailed_at is not None
    # One digest a day: the next pass of the same day sends none to this person.
    run_once(app, digest=True)
    assert len(relay.to(address)) == 1


def test_the_digest_leaves_out_what_is_done(app, db_session, relay, person):
    person_id, _username, address = person
    tag = uuid.uuid4().hex[:6]
    tell(app, db_session, person_id, f"Việc còn chờ {tag}", "/drafts/8", subject=f"t:{tag}")
    done = tell(app, db_session, person_id, f"Việc đã xong {tag}", "/drafts/9",
                subject=f"t:{tag}-x")
    with app.app_context():
        from app.notifications.services import settle

        settle(db_session, person_id, done.subject)
        db_session.commit()
    run_once(app, digest=True)
    [digest] = relay.to(address)
    text = digest.get_body(("plain",)).get_content()
    assert f"Việc còn chờ {tag}" in text and f"Việc đã xong {tag}" not in text


def test_an_urgent_notice_is_mailed_at_once_and_only_once(app, db_session, relay, person):
    person_id, _username, address = person
    notice = tell(app, db_session, person_id,
                  "Văn bản đến số đến 12/2026 «V/v phòng chống bão» đã quá hạn xử lý.",
                  "/incoming/12", subject="incoming:12", urgent=True)
    counts = run_once(app, digest=False)
    assert counts["urgent"] >= 1 and counts["digests"] == 0
    [message] = relay.to(address)
    assert message["Subject"].startswith(f"[{app.config['APP_NAME']}] Khẩn: Văn bản đến")
    assert f"{PUBLIC_URL}/incoming/12" in message.get_body(("plain",)).get_content()
    db_session.expire_all()
    assert db_session.get(Notification, notice.id).emailed_at is not None
    run_once(app, digest=False)
    assert len(relay.to(address)) == 1


def test_a_person_opts_out_on_the_settings_page(app, db_session, relay, person, client):
    person_id, username, address = person
    login(client, username)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Cài đặt nhận email" in page and address in page
    assert is_checked(page, "digest") and is_checked(page, "urgent")  # on until opted out
    saved = client.post("/notifications/settings", data={"csrf_token": csrf_token(page),
                                                         "urgent": "y"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Đã lưu cài đặt nhận email." in saved
    assert not is_checked(saved, "digest") and is_checked(saved, "urgent")
    tell(app, db_session, person_id, "Việc thường đang chờ", "/drafts/1", subject="t:a")
    tell(app, db_session, person_id, "Việc khẩn đang chờ", "/drafts/2", subject="t:b",
         urgent=True)
    run_once(app, digest=True)
    [message] = relay.to(address)  # the urgent one only: no digest
    assert "Khẩn: Việc khẩn đang chờ" in message["Subject"]
    refused = client.post("/notifications/settings", data={"digest": "y"})
    assert refused.status_code == 400  # no CSRF token: nothing changed


def test_without_mail_server_nothing_is_sent_and_nothing_fails(app, db_session, relay, person,
                                                               monkeypatch):
    person_id, _username, address = person
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    notice = tell(app, db_session, person_id, "Việc khẩn khi chưa có thư", "/drafts/3",
                  subject="t:c", urgent=True)
    counts = run_once(app, digest=True)
    assert counts == {"reminders": counts["reminders"], "urgent": 0, "digests": 0,
                      "mail_error": None}
    assert relay.messages == []
    db_session.expire_all()
    assert db_session.get(Notification, notice.id).emailed_at is None


def test_a_relay_that_is_down_is_tried_again_at_the_next_pass(app, db_session, person,
                                                              monkeypatch):
    person_id, _username, address = person
    port = free_port()  # nothing listens there yet
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SECURITY": "none",
                       "MAIL_FROM": "vanphong@snv.hanam.gov.vn", "MAIL_TIMEOUT": 5,
                       "PUBLIC_URL": PUBLIC_URL}.items():
        monkeypatch.setitem(app.config, key, value)
    notice = tell(app, db_session, person_id, "Việc khẩn khi máy chủ thư tắt", "/drafts/4",
                  subject="t:d", urgent=True)
    counts = run_once(app, digest=False)
    assert counts["mail_error"] and counts["urgent"] == 0
    db_session.expire_all()
    assert db_session.get(Notification, notice.id).emailed_at is None
    inbox, controller = start_server(port)  # the relay is back
    try:
        counts = run_once(app, digest=False)
        assert counts["mail_error"] is None
        [message] = inbox.to(address)
        assert "Việc khẩn khi máy chủ thư tắt" in message["Subject"]
    finally:
        controller.stop()


def test_one_process_sends_at_a_time(app, relay, person, db_session):
    person_id, _username, address = person
    tell(app, db_session, person_id, "Việc khẩn, hai tiến trình", "/drafts/5", subject="t:e",
         urgent=True)
    with pass_lock(app) as mine:
        assert mine
        assert run_once(app, digest=False) is None  # another process holds the lock
    assert relay.to(address) == []
    run_once(app, digest=False)
    assert len(relay.to(address)) == 1


def test_a_wrong_security_setting_is_refused_at_start(app):
    with app.app_context():
        config = {**app.config, "MAIL_SERVER": "relay.snv.local", "MAIL_SECURITY": "tls1",
                  "MAIL_FROM": "vanphong@snv.hanam.gov.vn", "MAIL_USERNAME": ""}
        with pytest.raises(mail.MailSettingsError, match="MAIL_SECURITY"):
            mail.check_settings(config)
        with pytest.raises(mail.MailSettingsError, match="MAIL_FROM"):  # no sender address
            mail.check_settings({**config, "MAIL_SECURITY": "ssl", "MAIL_FROM": ""})
        mail.check_settings({**config, "MAIL_SECURITY": "starttls"})
