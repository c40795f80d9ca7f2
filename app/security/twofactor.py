"""Optional two-factor login with time-based codes (TOTP, RFC 6238; OWASP ASVS 2.8).

A person enables it by scanning a QR code (drawn here, no external service) into an
authenticator app and confirming with a first code. Codes are 6 digits, valid ±1 time step of
30 s (clock drift), and single-use: the last accepted step is stored and only a later one is
accepted. Wrong codes count toward the lockout like wrong passwords (app.security.accounts).
Roles listed in TOTP_REQUIRED_ROLES must enable it before doing anything else."""
import hmac
import re
from datetime import UTC, datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from app.audit.services import record
from app.org.models import EofficeUser
from app.security import accounts

DRIFT_STEPS = 1
_CODE = re.compile(r"[0-9]{6}")  # not \d: it matches other scripts' digits too


def new_secret() -> str:
    return pyotp.random_base32()


def qr_code(user, secret: str) -> str:
    """The otpauth:// address as an SVG data URI, for an <img> (the CSP allows data: images)."""
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=current_app.config.get("APP_NAME", "eoffice"))
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def clean_code(code) -> str:
    """What people type: "123 456", "123456 " → "123456"."""
    return "".join(str(code or "").split())


def matching_step(secret: str, code, last_step: int | None = None, at=None) -> int | None:
    """The time step the code belongs to (now ±1), if it is later than last_step."""
    code = clean_code(code)
    if not secret or not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at or datetime.now(UTC))
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def is_enabled(user) -> bool:
    return bool(getattr(user, "otp_secret", None))


def required_for(user) -> bool:
    """The person has a role that must use two-factor login (TOTP_REQUIRED_ROLES)."""
    names = {n.strip() for n in (current_app.config.get("TOTP_REQUIRED_ROLES") or "").split(",")}
    names.discard("")
    return bool(names) and any(role.name in names for role in getattr(user, "roles", []))


def must_enrol(user) -> bool:
    return required_for(user) and not is_enabled(user)


def _store(session, user, **values):
    """Write the 2FA columns with one UPDATE: no generic "update" line in the audit trail
    (each change has its own), and the last step only ever moves forward."""
    statement = update(EofficeUser).where(EofficeUser.id == user.id)
    if "otp_last_step" in values and "otp_secret" not in values:
        statement = statement.where(or_(EofficeUser.otp_last_step.is_(None),
                                        EofficeUser.otp_last_step < values["otp_last_step"]))
    result = session.execute(statement.values(**values).execution_options(
        synchronize_session=False))
    accepted = result.rowcount == 1
    if accepted:
        for key, value in values.items():
            set_committed_value(user, key, value)
    return accepted


def use_code(session, user, code) -> bool:
    """Check a login code; a right one is spent (also against a parallel request with the
    same code: the conditional UPDATE lets only one through). Commits."""
    step = matching_step(user.otp_secret, code, user.otp_last_step)
    accepted = step is not None and _store(session, user, otp_last_step=step)
    session.commit()
    return accepted


def login_code_failed(session, user):
    """A wrong code counts like a wrong password (and may lock the account)."""
    accounts.login_failed(session, user)


def enable(session, user, secret: str, code) -> bool:
    """Turn it on with the secret just shown, if the first code matches. Other sessions end."""
    step = matching_step(secret, code)
    if step is None:
        return False
    _store(session, user, otp_secret=secret, otp_last_step=step)
    accounts.end_sessions(user, keep_current=True)
    record(session, "2fa_enabled", object_type="ab_user", object_id=user.id,
           summary=user.username)
    session.commit()
    return True


def disable(session, user, action="2fa_disabled"):
    """Turn it off: by the person (with a code and the password) or reset by the
    administrator (recovery when the phone is lost)."""
    _store(session, user, otp_secret=None, otp_last_step=None)
    accounts.end_sessions(user, keep_current=action == "2fa_disabled")
    record(session, action, object_type="ab_user", object_id=user.id, summary=user.username)
    session.commit()
