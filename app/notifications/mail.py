"""Notices by email, through the agency's SMTP relay (standard library only): the connection
(MAIL_SECURITY none / starttls / ssl, optional login) and the two messages, in Vietnamese,
plain text with a simple HTML twin — the daily digest of a person's open notices and the
immediate mail of an urgent one. Nothing here touches the database; app.notifications.worker
decides what to send and records it. Nothing is ever sent when MAIL_SERVER is empty."""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from flask_babel import gettext as _
from markupsafe import escape

from app.core.timefmt import format_date, format_datetime

SECURITIES = ("none", "starttls", "ssl")


class MailSettingsError(ValueError):
    """MAIL_SECURITY (or another setting) cannot be used: said at start, not at 7 a.m."""


def configured(config) -> bool:
    return bool((config.get("MAIL_SERVER") or "").strip())


def check_settings(config) -> None:
    if not configured(config):
        return
    if (config.get("MAIL_SECURITY") or "").lower() not in SECURITIES:
        raise MailSettingsError(_("MAIL_SECURITY phải là một trong: %(values)s.",
                                  values=", ".join(SECURITIES)))
    if not (config.get("MAIL_FROM") or config.get("MAIL_USERNAME")):
        raise MailSettingsError(_("Cần đặt MAIL_FROM (địa chỉ gửi thư)."))
    hour = config.get("MAIL_DIGEST_HOUR")
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        raise MailSettingsError(_("MAIL_DIGEST_HOUR là giờ trong ngày, từ 0 đến 23."))


class Postman:
    """One SMTP connection for a pass of the worker, opened at the first message. Errors
    (smtplib.SMTPException, OSError: the relay down, a refused login) go to the caller."""

    def __init__(self, config):
        self.config = config
        self.connection = None
        self.sent = 0

    def _connect(self):
        config = self.config
        host = config["MAIL_SERVER"].strip()
        port = int(config.get("MAIL_PORT") or 0)
        timeout = int(config.get("MAIL_TIMEOUT") or 30)
        security = (config.get("MAIL_SECURITY") or "starttls").lower()
        if security == "ssl":
            connection = smtplib.SMTP_SSL(host, port or 465, timeout=timeout,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(host, port or (587 if security == "starttls" else 25),
                                      timeout=timeout)
            if security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        return connection

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._connect()
        self.connection.send_message(message)
        self.sent += 1

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None


def sender(config) -> str:
    address = config.get("MAIL_FROM") or config.get("MAIL_USERNAME")
    return formataddr((config.get("APP_NAME") or "", address)) if "<" not in address \
        else address


def link(config, path) -> str:
    """The absolute address of a page (PUBLIC_URL + path); the path alone when PUBLIC_URL is
    not set (check-deploy says so)."""
    base = (config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}{path or '/notifications/'}"


def _message(config, to, subject, text, html) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject  # non-ASCII: encoded (RFC 2047) by the email package
    message["From"] = sender(config)
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    domain = (config.get("MAIL_FROM") or "eoffice@localhost").rpartition("@")[2].strip(">")
    message["Message-ID"] = make_msgid(domain=domain or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    # Quoted-printable: 7-bit clean, whatever the relay says of 8BITMIME.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def _html(greeting, intro, items, footer) -> str:
    mark = f"<strong>{escape(_('Khẩn'))}:</strong> "
    rows = "".join(
        f'<li style="margin-bottom:8px">{mark if urgent else ""}'
        f'<a href="{escape(href)}">{escape(text)}</a><br>'
        f'<small style="color:#777">{escape(when)}</small></li>'
        for text, href, when, urgent in items)
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"></head>'
            f'<body style="font-family:Arial,sans-serif;font-size:14px">'
            f"<p>{escape(greeting)}</p><p>{escape(intro)}</p><ul>{rows}</ul>"
            f'<p style="color:#777;font-size:12px">{escape(footer)}</p></body></html>')


def _footer(config) -> str:
    return _("Thư gửi tự động từ %(app)s, xin không trả lời thư này. Đổi cài đặt nhận email "
             "tại %(link)s", app=config.get("APP_NAME") or "", link=link(
                 config, "/notifications/settings"))


def digest(config, person, notices, today) -> EmailMessage:
    """The daily digest: the person's open notices, newest first, each with its link."""
    greeting = _("Kính gửi %(name)s,", name=person.full_name)
    intro = _("Các việc và thông báo đang chờ bạn trên %(app)s (%(count)s):",
              app=config.get("APP_NAME") or "", count=len(notices))
    items = [(n.message, link(config, n.url), format_datetime(n.created_at), n.urgent)
             for n in notices]
    footer = _footer(config)
    text = "\n".join([greeting, "", intro, ""] + [
        f"- {(_('Khẩn') + ': ') if urgent else ''}{message}\n  {href}\n  {when}"
        for message, href, when, urgent in items] + ["", footer, ""])
    subject = _("[%(app)s] %(count)s việc đang chờ bạn (%(day)s)",
                app=config.get("APP_NAME") or "", count=len(notices), day=format_date(today))
    return _message(config, person.email, subject, text, _html(greeting, intro, items, footer))


def urgent(config, person, notice) -> EmailMessage:
    """One urgent notice, mailed as soon as the worker sees it."""
    greeting = _("Kính gửi %(name)s,", name=person.full_name)
    intro = _("Thông báo khẩn trên %(app)s:", app=config.get("APP_NAME") or "")
    href = link(config, notice.url)
    footer = _footer(config)
    text = "\n".join([greeting, "", intro, "", notice.message, href,
                      format_datetime(notice.created_at), "", footer, ""])
    summary = notice.message if len(notice.message) <= 90 else notice.message[:89] + "…"
    subject = _("[%(app)s] Khẩn: %(summary)s", app=config.get("APP_NAME") or "",
                summary=summary)
    return _message(config, person.email, subject, text, _html(
        greeting, intro, [(notice.message, href, format_datetime(notice.created_at), True)],
        footer))
