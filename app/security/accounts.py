"""Accounts and passwords (Regulation Art. 3; OWASP ASVS 2.1, 2.2): the password policy,
lockout after repeated failures, sessions that end when a password changes, forced change of
temporary passwords, and the report of a compromised password."""
from datetime import timedelta

from flask import current_app, g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from zxcvbn import zxcvbn

from app.audit.models import AuditEvent
from app.audit.services import record
from app.core.text import fold
from app.core.timefmt import utcnow

MIN_LENGTH, MAX_LENGTH = 12, 128


def check_password(password: str, user_inputs=()) -> str | None:
    """None if the password is acceptable, else the reason (Vietnamese). No composition
    rules: length, not common or guessable (zxcvbn), not made of the person's names."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return str(_l("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("Mật khẩu dài tối đa %(n)s ký tự.", n=MAX_LENGTH))
    folded = fold(password).replace(" ", "")
    for value in user_inputs:
        for part in fold(str(value or "")).replace(".", " ").split():
            if len(part) >= 3 and part in folded:
                return str(_l("Mật khẩu không được chứa tên đăng nhập hoặc họ tên của bạn."))
    words = [w for value in user_inputs for w in fold(str(value or "")).split()]
    if zxcvbn(password[:100], user_inputs=words)["score"] < 3:
        return str(_l("Mật khẩu quá dễ đoán (từ thông dụng, dãy ký tự hoặc ngày tháng). "
                      "Hãy dùng một cụm từ dài, khó đoán."))
    return None


def _inputs_of(user):
    if user is None:
        return []
    return [user.username, user.first_name, user.last_name, user.email.split("@")[0]
            if user.email else ""]


def fab_password_validator(password):
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: FAB passes only the password, so the person is found
    from the request (the user being created or reset, or the one logged in)."""
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    inputs = []
    if has_request_context():
        inputs += [request.form.get(k) for k in ("username", "first_name", "last_name",
                                                  "email")]
        target = request.args.get("pk")
        sm = current_app.appbuilder.sm
        person = sm.get_user_by_id(target) if target else (
            g.user if getattr(g, "user", None) is not None and
            getattr(g.user, "is_authenticated", False) else None)
        inputs += _inputs_of(person)
    message = check_password(password, [i for i in inputs if i])
    if message:
        raise PasswordComplexityValidationError(message)


# ---------------------------------------------------------------- lockout

def recent_failures(session, user) -> int:
    window = timedelta(minutes=current_app.config["LOCKOUT_WINDOW_MINUTES"])
    return session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "login_failed", AuditEvent.object_type == "ab_user",
        AuditEvent.object_id == str(user.id), AuditEvent.at >= utcnow() - window))


def is_locked(user) -> bool:
    return bool(user.compromised_at) or bool(user.locked_until and user.locked_until > utcnow())


def lock_message(user):
    from app.core.timefmt import format_datetime

    if user.compromised_at:
        return _l("Tài khoản đã bị khóa vì báo lộ mật khẩu. Liên hệ quản trị mạng để được đặt "
                  "lại mật khẩu.")
    return _l("Tài khoản đã bị khóa do đăng nhập sai nhiều lần, đến %(time)s.",
              time=format_datetime(user.locked_until))


def login_failed(session, user):
    """Record a failure; the fifth within the window locks the account."""
    record(session, "login_failed", object_type="ab_user", object_id=user.id,
           summary=user.username, actor_id=user.id, actor_name=user.username)
    session.flush()
    if recent_failures(session, user) >= current_app.config["LOCKOUT_ATTEMPTS"]:
        user.locked_until = utcnow() + timedelta(
            minutes=current_app.config["LOCKOUT_MINUTES"])
        record(session, "locked", object_type="ab_user", object_id=user.id,
               summary=user.username, actor_id=user.id, actor_name=user.username)
    session.commit()


def login_refused_locked(session, user):
    """A login attempt while the account is locked: recorded (the person and the administrator
    see it in the trail), refused, and the lock is not extended — otherwise one try every few
    minutes would keep anyone's account locked for ever."""
    record(session, "login_locked", object_type="ab_user", object_id=user.id,
           summary=user.username, actor_id=user.id, actor_name=user.username)
    session.commit()


def locked_accounts(session):
    """Accounts locked now after failed logins, for the administrators' home page."""
    from app.org.models import EofficeUser

    return list(session.scalars(select(EofficeUser).where(
        EofficeUser.locked_until > utcnow()).order_by(EofficeUser.locked_until)))


def unlock(session, user):
    user.locked_until = None
    record(session, "unlocked", object_type="ab_user", object_id=user.id, summary=user.username)
    session.commit()


# ---------------------------------------------------------------- sessions and passwords

def end_sessions(user, keep_current: bool = False, commit: bool = False):
    """Every session (cookie or token) started before this moment stops working — on the
    server too (app.security.sessions) — but, with keep_current, the person's own session that
    is making the change. Part of the caller's unit of work, or one of its own (commit)."""
    from sqlalchemy.orm import object_session

    from app.security import sessions

    user.session_version = (user.session_version or 1) + 1
    db_session = object_session(user)
    if db_session is not None:
        keep = sessions.current_sid() if keep_current and has_request_context() else None
        sessions.end_all(db_session, user, keep=keep)
        if commit:
            db_session.commit()


def report_compromised(session, user):
    """Art. 3.2: the person's sessions end, the account is locked until the administrator
    resets the password; recorded, and shown to the administrators."""
    user.compromised_at = utcnow()
    end_sessions(user)
    record(session, "compromised", object_type="ab_user", object_id=user.id,
           summary=user.username)
    session.commit()


def compromised_accounts(session):
    from app.org.models import EofficeUser

    return list(session.scalars(select(EofficeUser).where(
        EofficeUser.compromised_at.is_not(None)).order_by(EofficeUser.compromised_at)))
