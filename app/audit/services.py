"""Recording the audit trail: who did what, when (UTC), from where, before and after.

Every create, update and delete of the application's records is recorded by one hook on the
database session (so no path can forget it); logins, logouts and password events are recorded
where they happen with `record()`; downloads by app.core.downloads.send_download, the one way a
file leaves. Every row is chained by hash to the one before it (tamper evidence, see below)."""
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import RelationshipProperty, Session, object_session

from app.audit import secrecy
from app.audit.models import AuditEvent
from app.core import downloads
from app.core.timefmt import utcnow

# Records whose changes are not worth a line: the trail itself, per-document histories
# (already a trail), counters, a person's notices and their bookkeeping, and FAB's internal
# permission rows.
NOT_AUDITED = {"audit_event", "incoming_event", "draft_event", "register_counter",
               "electronic_copy_counter",
               "notification", "notification_mail", "notification_reminder",
               "schedule_event", "news_event", "news_revision",
               "ab_permission", "ab_view_menu", "ab_permission_view", "ab_register_user",
               "login_session"}
SECRET_FIELDS = {"password", "otp_secret", "token"}
# Fields that change as a side effect and would only bury the real changes.
NOISE_FIELDS = {"search_text", "text", "updated_at", "changed_on", "last_login",
                "login_count", "fail_login_count", "session_version",
                # the signature check's details and time (its result, signature_state, stays)
                "signature_report", "signature_checked_at"}


def _readable(value):
    """A related record as people read it; records without their own wording are skipped."""
    from app.audit.labels import has_own_wording

    return has_own_wording(value)


def _summary(obj, identity=None):
    """A record's wording for the trail: its own (`__str__`/`__repr__`) when its model has one,
    else its type and id ("Lịch sử hồ sơ #12"), never "<… object at 0x…>"."""
    from app.audit.labels import record_name, type_label

    if _readable(obj):
        return record_name(obj)[:500]
    table = inspect(obj).mapper.local_table.name
    return f"{type_label(table)} #{identity}" if identity else type_label(table)

ACTION_LABELS = {
    "create": _l("Tạo mới"), "update": _l("Sửa"), "delete": _l("Xóa"),
    "login": _l("Đăng nhập"), "login_failed": _l("Đăng nhập sai"),
    "login_locked": _l("Đăng nhập khi tài khoản đang khóa (bị từ chối)"),
    "locked": _l("Khóa tài khoản (đăng nhập sai nhiều lần)"), "logout": _l("Đăng xuất"),
    "password_changed": _l("Đổi mật khẩu"), "password_reset": _l("Đặt lại mật khẩu"),
    "compromised": _l("Báo lộ mật khẩu"), "unlocked": _l("Mở khóa tài khoản"),
    "download": _l("Tải tệp"), "session_ended": _l("Kết thúc phiên làm việc"),
    "view_file": _l("Xem tệp"),  # read in the page's PDF viewer (app.core.downloads)
    "2fa_enabled": _l("Bật xác thực hai bước"), "2fa_disabled": _l("Tắt xác thực hai bước"),
    "2fa_reset": _l("Đặt lại xác thực hai bước"),
    "import": _l("Nhập từ tệp"),
    "permissions_changed": _l("Phân quyền theo chức năng"),
    "role_created": _l("Tạo vai trò"),
    "backup_verified": _l("Kiểm tra bản sao lưu"),
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
    if secrecy.is_secret_value(value):  # e.g. a draft's reply_to: a secret document
        return secrecy.REDACTED_TEXT
    return str(value)


def record(session, action, *, object_type=None, object_id=None, summary=None, changes=None,
           actor_id=None, actor_name=None, secret=None):
    """Add one line to the trail (committed with the caller's transaction). A line about a
    secret document keeps no content (app.audit.secrecy); `secret` None: looked up."""
    if secret is None and object_type and object_id is not None and (summary or changes):
        secret = bool(secrecy.secret_keys(session, [(object_type, object_id)]))
    if secret:
        summary = secrecy.REDACTED_TEXT if summary else None
        changes = secrecy.redact_changes(changes)
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
        if isinstance(attribute, RelationshipProperty) and attribute.uselist:
            # A collection (a person's roles): exactly what was added and removed, against
            # the collection as it is in the database (FAB assigns a whole new list, whose
            # history then knows nothing of the entries kept).
            change = _collection_change(state, attribute)
            if change:
                changes[key] = change
            continue
        before = history.deleted[0] if len(history.deleted) == 1 else list(history.deleted)
        after = history.added[0] if len(history.added) == 1 else list(history.added)
        if before == after:
            continue
        changes[key] = [_plain(before), _plain(after)]
    return changes


DESCRIBERS = {}  # a class of related records → how one reads in the trail


def describe_as(cls, describe) -> None:
    """How records of `cls` read in a collection's change (e.g. a role's permissions, in
    Vietnamese: app.security.labels registers it; the trail imports no package above it)."""
    DESCRIBERS[cls] = describe


def _describe(item) -> str:
    describe = DESCRIBERS.get(type(item))
    return str(describe(item)) if describe else str(item)


def _collection_change(state, attribute):
    """{"added": [...], "removed": [...]} of a collection relationship, comparing the rows
    in the database (read before the flush writes) with the collection as it is now."""
    from sqlalchemy.orm import with_parent

    session = state.session
    target = attribute.mapper
    key_of = target.primary_key_from_instance
    with session.no_autoflush:
        stored = session.scalars(select(target.class_).where(
            with_parent(state.obj(), getattr(state.class_, attribute.key)))).all()
        current = list(getattr(state.obj(), attribute.key) or [])
        before = {tuple(key_of(item)): item for item in stored}
        after = {key if None not in key else ("new", id(item)): item
                 for item in current for key in [tuple(key_of(item))]}
        added = sorted(_describe(item) for key, item in after.items() if key not in before)
        removed = sorted(_describe(item) for key, item in before.items() if key not in after)
    if not added and not removed:
        return None
    return {"added": [_plain(v) for v in added], "removed": [_plain(v) for v in removed]}


def _identity(obj):
    state = inspect(obj)
    identity = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(v) for v in identity) if identity else None


@event.listens_for(Session, "before_flush")
def _audit_changes(session, _flush_context, _instances):
    pending = []
    classified = set()  # documents made secret by this very change
    for obj in list(session.dirty):
        table = inspect(obj).mapper.local_table.name
        if table in NOT_AUDITED or not session.is_modified(obj):
            continue
        changes = _changes(inspect(obj))
        if changes:
            pending.append(("update", table, _identity(obj), _summary(obj, _identity(obj)),
                            changes))
            if secrecy.is_secret_now(session, obj):
                classified.add((table, _identity(obj)))
    for obj in list(session.deleted):
        table = inspect(obj).mapper.local_table.name
        if table not in NOT_AUDITED:
            pending.append(("delete", table, _identity(obj), _summary(obj, _identity(obj)),
                            None))
    secret = classified | secrecy.secret_keys(session, [(t, i) for _a, t, i, _s, _c in pending])
    for action, table, identity, summary, changes in pending:
        record(session, action, object_type=table, object_id=identity, summary=summary,
               changes=changes, secret=(table, identity) in secret)
    session.info.setdefault("audit_new", []).extend(
        obj for obj in session.new
        if inspect(obj).mapper.local_table.name not in NOT_AUDITED)


@event.listens_for(Session, "after_flush_postexec")
def _audit_created(session, _flush_context):
    """New rows get their id only at flush: record them right after, in the same
    transaction (they are flushed with the next flush or the commit)."""
    created = [obj for obj in session.info.pop("audit_new", [])
               if inspect(obj).identity is not None]
    # a new document is secret by its own level (as it was written: no read back); its
    # files, lines and steps by their document's, read from the database
    secret = {(obj.__table__.name, _identity(obj)) for obj in created
              if secrecy.is_secret_now(session, obj)}
    secret |= secrecy.secret_keys(session, [
        (inspect(obj).mapper.local_table.name, _identity(obj)) for obj in created
        if inspect(obj).mapper.local_table.name not in secrecy.DOCUMENT_TYPES])
    for obj in created:
        state = inspect(obj)
        key = (state.mapper.local_table.name, _identity(obj))
        session.add(AuditEvent(
            at=utcnow(), actor_id=_actor()[0], actor_name=_actor()[1], ip=_ip(),
            action="create", object_type=key[0], object_id=key[1],
            summary=secrecy.REDACTED_TEXT if key in secret else _summary(obj, key[1])))



# ---------------------------------------------------------------- tamper evidence (hash chain)
#
# Each row carries row_hash = sha256(prev_hash + its canonical fields) and prev_hash = the
# row_hash of the row before it (by id). Changing a row breaks its own hash; deleting one
# breaks the link of the next. Ids may skip a value (a PostgreSQL sequence is not rolled back
# with a failed transaction): a gap whose next row still links to the row before the gap was
# there when the row was written, and is not reported; a gap where the link is broken is
# reported as deleted rows. Someone able to rewrite the table AND recompute every later hash
# is not stopped by a chain without a secret: `flask audit verify` prints the newest hash, to
# be noted somewhere else (a signed report, the weekly backup's record) as an anchor.

CHAIN_FIELDS = ("id", "at", "actor_id", "actor_name", "ip", "action", "object_type",
                "object_id", "summary", "changes")
CHAIN_LOCK = 0x6175_6469_7400  # pg_advisory_xact_lock key of the chain ("audit")


def _canonical(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def chain_hash(prev_hash, row) -> str:
    """sha256 (hex) of the previous hash and the row's fields (a mapping or an object)."""
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    payload = json.dumps([prev_hash or ""] + [_canonical(get(name)) for name in CHAIN_FIELDS],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _chain_start(connection):
    """Take the chain for this transaction: (last id, last row_hash, the new row's id).

    PostgreSQL: a transaction-level advisory lock, held until commit or rollback, so that two
    workers never chain to the same row (taken again by a later flush of the same transaction,
    which is harmless); then the tail and the new id in one statement — after the lock, so
    that it reads the tail the last holder committed. SQLite: the database's write lock —
    taken now with BEGIN IMMEDIATE if the transaction has not written yet, so that the tail
    read below cannot go stale."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
        return tuple(connection.execute(text(
            "SELECT tail.id, tail.row_hash, setval(pg_get_serial_sequence('audit_event', 'id'),"
            " greatest(nextval(pg_get_serial_sequence('audit_event', 'id')),"
            " coalesce(tail.id, 0) + 1)) FROM (SELECT 1) AS one LEFT JOIN (SELECT id, row_hash"
            " FROM audit_event ORDER BY id DESC LIMIT 1) AS tail ON true")).one())
    if dialect == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
    row = connection.execute(select(AuditEvent.id, AuditEvent.row_hash)
                             .order_by(AuditEvent.id.desc()).limit(1)).first()
    last_id, last_hash = (row[0], row[1]) if row else (None, None)
    return last_id, last_hash, _next_id(connection, last_id or 0)


def _next_id(connection, last_id):
    """The sequence's next value (PostgreSQL), never behind the chain's tail (rows inserted
    with explicit ids, e.g. by a data import, do not move a sequence)."""
    if connection.dialect.name == "postgresql":
        return connection.execute(text(
            "SELECT setval(pg_get_serial_sequence('audit_event', 'id'), "
            "greatest(nextval(pg_get_serial_sequence('audit_event', 'id')), :next))"),
            {"next": last_id + 1}).scalar_one()
    return last_id + 1


def search_text(summary, actor_name) -> str:
    """What the grid's search box looks through, folded (app.core.text.fold); the action and
    the object type are matched through their labels (app.audit.views)."""
    from app.core.text import fold

    return fold(" ".join(v for v in (summary, actor_name) if v))


@event.listens_for(AuditEvent, "before_insert")
def _chain_row(_mapper, connection, target):
    """Every inserted row is chained, whoever adds it (record(), the hooks, the demo). All
    rows of one flush are prepared before the first is inserted: the tail of the rows already
    prepared is kept on the session until the flush ends."""
    session = object_session(target)
    info = session.info if session is not None else {}
    tail = info.get("audit_chain_tail")
    if tail is None:
        _last_id, prev_hash, target.id = _chain_start(connection)
    else:
        target.id, prev_hash = _next_id(connection, tail[0]), tail[1]
    if isinstance(target.at, datetime):
        target.at = target.at.replace(tzinfo=None)
    target.prev_hash = prev_hash
    target.row_hash = chain_hash(prev_hash, target)
    target.search_text = search_text(target.summary, target.actor_name)
    info["audit_chain_tail"] = (target.id, target.row_hash)


@event.listens_for(Session, "after_flush")
def _forget_chain_tail(session, _flush_context):
    session.info.pop("audit_chain_tail", None)


@event.listens_for(Session, "after_rollback")
def _forget_chain_tail_on_rollback(session):
    session.info.pop("audit_chain_tail", None)


@dataclass
class ChainReport:
    rows: int = 0
    last_id: int | None = None
    last_hash: str | None = None
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(connection, batch: int = 2000) -> ChainReport:
    """Walk the trail in id order and stop at the first row that is missing, changed or not
    linked to the row before it."""
    report = ChainReport()
    columns = [getattr(AuditEvent, name) for name in CHAIN_FIELDS]
    previous_id, previous_hash = None, None
    after = None
    while True:
        query = select(*columns, AuditEvent.prev_hash, AuditEvent.row_hash).order_by(
            AuditEvent.id).limit(batch)
        if after is not None:
            query = query.where(AuditEvent.id > after)
        rows = connection.execute(query).mappings().all()
        if not rows:
            return report
        for row in rows:
            problem = _row_problem(row, previous_id, previous_hash)
            if problem:
                report.broken_id, report.problem = row["id"], str(problem)
                return report
            report.rows += 1
            previous_id, previous_hash = row["id"], row["row_hash"]
            report.last_id, report.last_hash = previous_id, previous_hash
        after = previous_id


def _row_problem(row, previous_id, previous_hash):
    from flask_babel import gettext as _

    number = row["id"]
    if not row["row_hash"]:
        return _("Dòng #%(id)s không có mã băm (được thêm không qua ứng dụng).", id=number)
    if (row["prev_hash"] or None) != previous_hash:
        if previous_id is None:
            return _("Dòng #%(id)s là dòng đầu tiên còn lại nhưng nối vào một dòng trước nó: "
                     "các dòng trước #%(id)s đã bị xóa.", id=number)
        if number - previous_id > 1:
            return _("Thiếu dòng nhật ký: các dòng từ #%(first)s đến #%(last)s đã bị xóa "
                     "(dòng #%(id)s không còn nối với dòng #%(previous)s).",
                     first=previous_id + 1, last=number - 1, id=number,
                     previous=previous_id)
        return _("Dòng #%(id)s không nối với dòng #%(previous)s trước nó (mã băm trước "
                 "không khớp).", id=number, previous=previous_id)
    if chain_hash(row["prev_hash"], dict(row)) != row["row_hash"]:
        return _("Dòng #%(id)s đã bị sửa sau khi ghi (mã băm không khớp nội dung).", id=number)
    return None


def record_download(object_type, object_id, filename, action="download") -> None:
    """One "download" line (or "view_file": read in the page's viewer), committed in its own
    short transaction (app.core.downloads: a download must not commit or flush the request's
    own session)."""
    from app.extensions import db

    with Session(db.engine) as session:
        record(session, action, object_type=object_type, object_id=object_id,
               summary=filename)
        session.commit()


downloads.set_download_recorder(record_download)
