"""Recording the audit trail: who did what, when (UTC), from where, before and after.

Every create, update and delete of the application's records is recorded by one hook on the
database session (so no path can forget it); logins, logouts, password events and downloads
are recorded where they happen with `record()`."""
import json
from datetime import date, datetime

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.orm import RelationshipProperty, Session

from app.audit.models import AuditEvent
from app.core.timefmt import utcnow

# Records whose changes are not worth a line: the trail itself, per-document histories
# (already a trail), counters and FAB's internal permission rows.
NOT_AUDITED = {"audit_event", "incoming_event", "draft_event", "register_counter",
               "notification", "schedule_event", "news_event", "news_revision",
               "ab_permission", "ab_view_menu", "ab_permission_view", "ab_register_user",
               "login_session"}
SECRET_FIELDS = {"password", "otp_secret", "token"}
# Fields that change as a side effect and would only bury the real changes.
NOISE_FIELDS = {"search_text", "text", "updated_at", "changed_on", "last_login",
                "login_count", "fail_login_count", "session_version"}


def _readable(value):
    """A related record as people read it; records without their own wording are skipped."""
    return type(value).__repr__ is not object.__repr__

ACTION_LABELS = {
    "create": _l("Tạo mới"), "update": _l("Sửa"), "delete": _l("Xóa"),
    "login": _l("Đăng nhập"), "login_failed": _l("Đăng nhập sai"),
    "locked": _l("Khóa tài khoản (đăng nhập sai nhiều lần)"), "logout": _l("Đăng xuất"),
    "password_changed": _l("Đổi mật khẩu"), "password_reset": _l("Đặt lại mật khẩu"),
    "compromised": _l("Báo lộ mật khẩu"), "unlocked": _l("Mở khóa tài khoản"),
    "download": _l("Tải tệp"), "session_ended": _l("Kết thúc phiên làm việc"),
    "2fa_enabled": _l("Bật xác thực hai bước"), "2fa_disabled": _l("Tắt xác thực hai bước"),
    "2fa_reset": _l("Đặt lại xác thực hai bước"),
    "import": _l("Nhập từ tệp"),
}


def _actor():
    user = getattr(g, "user", None) if has_request_context() else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, getattr(user, "username", None)
    return None, None


def _ip():
    return request.remote_addr if has_request_context() else None


AUDIT_TEXT_MAX = 2000  # a long body (news, notes) is cut: the full text has its own history


def _plain(value):
    if isinstance(value, str) and len(value) > AUDIT_TEXT_MAX:
        return value[:AUDIT_TEXT_MAX] + "…"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return str(value)


def record(session, action, *, object_type=None, object_id=None, summary=None, changes=None,
           actor_id=None, actor_name=None):
    """Add one line to the trail (committed with the caller's transaction)."""
    current_id, current_name = _actor()
    session.add(AuditEvent(
        at=utcnow(), actor_id=actor_id if actor_id is not None else current_id,
        actor_name=actor_name or current_name, ip=_ip(), action=action,
        object_type=object_type, object_id=str(object_id) if object_id is not None else None,
        summary=str(summary)[:500] if summary else None,
        changes=json.dumps(changes, ensure_ascii=False) if changes else None))


def _changes(state):
    changes = {}
    for attribute in state.mapper.attrs:
        key = attribute.key
        if key in NOISE_FIELDS:
            continue
        if key in SECRET_FIELDS:
            history = state.attrs[key].history
            if history.has_changes():
                changes[key] = ["***", "***"]
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        related = list(history.added) + list(history.deleted)
        if isinstance(attribute, RelationshipProperty) and not all(_readable(v)
                                                                    for v in related):
            continue  # e.g. file links: their own rows are recorded
        before = history.deleted[0] if len(history.deleted) == 1 else list(history.deleted)
        after = history.added[0] if len(history.added) == 1 else list(history.added)
        if before == after:
            continue
        changes[key] = [_plain(before), _plain(after)]
    return changes


def _identity(obj):
    state = inspect(obj)
    identity = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in identity) if identity else None


@event.listens_for(Session, "before_flush")
def _audit_changes(session, _flush_context, _instances):
    pending = []
    for obj in list(session.dirty):
        table = inspect(obj).mapper.local_table.name
        if table in NOT_AUDITED or not session.is_modified(obj):
            continue
        changes = _changes(inspect(obj))
        if changes:
            pending.append(("update", table, _identity(obj), str(obj)[:500], changes))
    for obj in list(session.deleted):
        table = inspect(obj).mapper.local_table.name
        if table not in NOT_AUDITED:
            pending.append(("delete", table, _identity(obj), str(obj)[:500], None))
    for action, table, identity, summary, changes in pending:
        record(session, action, object_type=table, object_id=identity, summary=summary,
               changes=changes)
    session.info.setdefault("audit_new", []).extend(
        obj for obj in session.new
        if inspect(obj).mapper.local_table.name not in NOT_AUDITED)


@event.listens_for(Session, "after_flush_postexec")
def _audit_created(session, _flush_context):
    """New rows get their id only at flush: record them right after, in the same
    transaction (they are flushed with the next flush or the commit)."""
    created = session.info.pop("audit_new", [])
    for obj in created:
        state = inspect(obj)
        if state.identity is None:
            continue
        session.add(AuditEvent(
            at=utcnow(), actor_id=_actor()[0], actor_name=_actor()[1], ip=_ip(),
            action="create", object_type=state.mapper.local_table.name,
            object_id=_identity(obj), summary=str(obj)[:500]))


def record_download(session, file_or_name, owner_type, owner_id):
    """A file left the system: who took which file of which record (ASVS 7.2)."""
    record(session, "download", object_type=owner_type, object_id=owner_id,
           summary=getattr(file_or_name, "original_name", file_or_name))
    session.commit()
