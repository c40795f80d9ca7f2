"""Ủy quyền: a leader away (business trip, leave) delegates their inbox and their signing to a
deputy for a period. The deputy then acts for them — the inbox (the domains ask
`acting_for(user, "inbox")`) and the approval and signature of the drafts they were to sign
(`acting_for(user, "sign")`), signing "KT." or "TUQ." as the delegation says. Everything done
under a delegation is marked ("thay mặt …") and recorded in the audit trail.

A delegation is active while today (Vietnam time) lies within [start, end] and it was not
revoked: it ends by itself, with no job. One unit of work per function; views and the API
call them."""
from datetime import date

from flask import has_request_context, request
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, and_,
    false, or_, select,
)
from sqlalchemy.orm import object_session, relationship

from app.audit.labels import TABLE_FIELD_LABELS
from app.audit.services import ACTION_LABELS, record
from app.core.dates import parse_date
from app.core.db import visible_row
from app.core.errors import DomainError, FormErrors
from app.core.text import nfc
from app.core.timefmt import format_date, today_local, utcnow
from app.org.models import EofficeUser
from app.security.access import may

INBOX, SIGN = "inbox", "sign"
SCOPES = {INBOX: _l("Xử lý văn bản đến (hộp văn bản)"), SIGN: _l("Duyệt, ký văn bản đi")}
# The marks a deputy signs with under a delegation (Decree 30, Annex I): ký thay (KT.) for a
# deputy of the head, thừa ủy quyền (TUQ.) for someone the head authorised.
SIGNING_FORMS = [("KT.", _l("KT. (ký thay)")), ("TUQ.", _l("TUQ. (thừa ủy quyền)"))]
REASON_MAX = 500
ACTED_FOR = "acted_for"
ACTION_LABELS.setdefault(ACTED_FOR, _l("Thực hiện theo ủy quyền"))
# How the audit trail names a delegation's fields (app.audit.labels).
TABLE_FIELD_LABELS.setdefault("delegation", {}).update({
    "from_user": _l("Người ủy quyền"), "to_user": _l("Người được ủy quyền"),
    "start_date": _l("Từ ngày"), "end_date": _l("Đến ngày"), "reason": _l("Lý do"),
    "inbox": _l("Ủy quyền xử lý văn bản đến"), "sign": _l("Ủy quyền duyệt, ký văn bản đi"),
    "signing_form": _l("Hình thức ký"), "created_by": _l("Người ghi nhận"),
    "created_at": _l("Ghi nhận lúc"), "revoked_at": _l("Thu hồi lúc"),
    "revoked_by": _l("Người thu hồi"),
})


class Delegation(Model):
    __tablename__ = "delegation"
    __label__ = _l("ủy quyền")
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="ck_delegation_period"),
        CheckConstraint("from_user_id <> to_user_id", name="ck_delegation_not_self"),
        Index("ix_delegation_to_period", "to_user_id", "start_date", "end_date"),
        Index("ix_delegation_from_period", "from_user_id", "start_date", "end_date"),
    )

    id = Column(Integer, primary_key=True)
    from_user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"),
                          nullable=False)
    from_user = relationship(EofficeUser, foreign_keys=[from_user_id])
    to_user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False)
    to_user = relationship(EofficeUser, foreign_keys=[to_user_id])
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    reason = Column(String(REASON_MAX), nullable=False)
    inbox = Column(Boolean, nullable=False, default=False, server_default=false())
    sign = Column(Boolean, nullable=False, default=False, server_default=false())
    signing_form = Column(String(5), nullable=False, default="", server_default="")
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    created_by = relationship(EofficeUser, foreign_keys=[created_by_id])
    created_at = Column(DateTime, nullable=False, default=utcnow)
    revoked_at = Column(DateTime)
    revoked_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    revoked_by = relationship(EofficeUser, foreign_keys=[revoked_by_id])

    def active_on(self, day: date) -> bool:
        return self.revoked_at is None and self.start_date <= day <= self.end_date

    @property
    def is_active(self) -> bool:
        return self.active_on(today_local())

    @property
    def status_label(self):
        if self.revoked_at is not None:
            return _l("Đã thu hồi")
        today = today_local()
        if today < self.start_date:
            return _l("Chưa đến thời gian")
        if today > self.end_date:
            return _l("Đã hết hạn")
        return _l("Đang hiệu lực")

    @property
    def scope_label(self):
        return "; ".join(str(label) for key, label in SCOPES.items() if getattr(self, key))

    @property
    def period(self) -> str:
        return _l("từ %(start)s đến %(end)s", start=format_date(self.start_date),
                  end=format_date(self.end_date))

    def acting_note(self):
        """The words that mark what the deputy did: "thay mặt <name> (ủy quyền từ … đến …)"."""
        return str(_l("thay mặt %(name)s (ủy quyền từ %(start)s đến %(end)s)",
                      name=self.from_user.full_name if self.from_user else "",
                      start=format_date(self.start_date), end=format_date(self.end_date)))

    def __repr__(self):
        return (f"{self.from_user.full_name if self.from_user else ''} → "
                f"{self.to_user.full_name if self.to_user else ''} "
                f"({format_date(self.start_date)}–{format_date(self.end_date)})")


# ---------------------------------------------------------------- who acts for whom

def _session_of(user):
    session = object_session(user)
    if session is None:
        from app.extensions import db

        session = db.session
    return session


def active_condition(day: date | None = None):
    day = day or today_local()
    return and_(Delegation.revoked_at.is_(None), Delegation.start_date <= day,
                Delegation.end_date >= day)


def _scope_condition(scope):
    if scope == INBOX:
        return Delegation.inbox.is_(True)
    if scope == SIGN:
        return Delegation.sign.is_(True)
    raise ValueError(f"unknown delegation scope {scope!r}")


def acting_for(user, scope: str = INBOX, day: date | None = None) -> list[int]:
    """The ids of the people `user` acts for today (Vietnam time) in `scope` ("inbox" or
    "sign"): those whose active, unrevoked delegation names `user` as the deputy. Empty for
    nobody logged in. The domains add these people's lines to the user's own."""
    if user is None or getattr(user, "id", None) is None:
        return []
    _scope_condition(scope)  # an unknown scope is an error
    key = (user.id, scope, day)
    cache = request.environ.setdefault("eoffice.acting_for", {}) \
        if has_request_context() else {}
    if key not in cache:
        # both scopes in one statement: a document's page asks for the inbox's and the
        # signature's
        session = _session_of(user)
        rows = session.execute(select(
            Delegation.from_user_id, Delegation.inbox, Delegation.sign).where(
            Delegation.to_user_id == user.id, active_condition(day))).all()
        cache[(user.id, INBOX, day)] = sorted({row[0] for row in rows if row[1]})
        cache[(user.id, SIGN, day)] = sorted({row[0] for row in rows if row[2]})
    return cache[key]


def _forget():
    """A delegation made or revoked: this request's answers of acting_for are stale."""
    if has_request_context():
        request.environ.pop("eoffice.acting_for", None)


def principals(user, scope: str = INBOX) -> list:
    """`user` and the people they act for today in `scope`: whose lines, inbox and
    presented documents are theirs to handle meanwhile."""
    if user is None or getattr(user, "id", None) is None:
        return []
    session = _session_of(user)
    return [user] + [person for person in (session.get(EofficeUser, person_id)
                                           for person_id in acting_for(user, scope))
                     if person is not None]


def deputies_of(session, user_id, scope: str = INBOX, day: date | None = None) -> list[int]:
    """The reverse of acting_for: who acts for `user_id` today in `scope` (to tell them what
    waits for the person they stand in for)."""
    if user_id is None:
        return []
    return list(session.scalars(select(Delegation.to_user_id).where(
        Delegation.from_user_id == user_id, active_condition(day), _scope_condition(scope))
        .order_by(Delegation.to_user_id).distinct()))


def delegation_for(session, deputy, delegator_id, scope: str = SIGN, day: date | None = None):
    """The active delegation under which `deputy` acts for `delegator_id` in `scope`, or
    None."""
    if deputy is None or getattr(deputy, "id", None) is None or delegator_id is None:
        return None
    return session.scalar(select(Delegation).where(
        Delegation.to_user_id == deputy.id, Delegation.from_user_id == delegator_id,
        active_condition(day), _scope_condition(scope)).order_by(Delegation.id.desc())
        .limit(1))


def record_acted_for(session, delegation, object_type, object_id, what) -> None:
    """One audit line for something done under a delegation: what, and for whom."""
    record(session, ACTED_FOR, object_type=object_type, object_id=object_id,
           summary=f"{what} – {delegation.acting_note()}",
           changes={"delegation_id": delegation.id,
                    "from_user": delegation.from_user.full_name,
                    "to_user": delegation.to_user.full_name,
                    "start_date": format_date(delegation.start_date),
                    "end_date": format_date(delegation.end_date)})


# ---------------------------------------------------------------- making and revoking

def manages_all(user) -> bool:
    """The office (and whoever has the function) records delegations for anyone."""
    return may(user, "can_manage_all", "Delegation")


def visible_delegations(user):
    """A person sees the delegations they gave or received (and made); the office all."""
    if manages_all(user):
        return Delegation.id.isnot(None)
    return or_(Delegation.from_user_id == user.id, Delegation.to_user_id == user.id,
               Delegation.created_by_id == user.id)


def default_signing_form(session, deputy_id) -> str:
    """The deputy's mark in the signer catalog when it is one a deputy may use (KT., TUQ.),
    else TUQ."""
    from app.catalogs.models import Signer

    marks = set(session.scalars(select(Signer.authority).where(
        Signer.user_id == deputy_id, Signer.active)))
    return next((form for form, _label in SIGNING_FORMS if form in marks), "TUQ.")


def create(session, user, data: dict):
    """Record a delegation. `data`: from_user_id (default: the user), to_user_id, start_date,
    end_date (dates), reason, inbox, sign (booleans), signing_form. FormErrors with a
    Vietnamese message per field otherwise."""
    from app.catalogs.models import Signer

    errors = {}
    from_id = _int(data.get("from_user_id")) or user.id
    if from_id != user.id and not manages_all(user):
        raise DomainError(_l("Bạn chỉ ủy quyền được công việc của chính mình."))
    delegator = session.get(EofficeUser, from_id)
    if delegator is None or not delegator.active:
        errors["from_user_id"] = [_l("Chọn người ủy quyền đang làm việc.")]
    to_id = _int(data.get("to_user_id"))
    deputy = session.get(EofficeUser, to_id) if to_id else None
    if deputy is None:
        errors["to_user_id"] = [_l("Chọn người được ủy quyền.")]
    elif not deputy.active:
        errors["to_user_id"] = [_l("Người được ủy quyền không còn hoạt động.")]
    elif to_id == from_id:
        errors["to_user_id"] = [_l("Không ủy quyền cho chính mình.")]
    start, end = _date(data, "start_date", errors), _date(data, "end_date", errors)
    if start is None and "start_date" not in errors:
        errors["start_date"] = [_l("Nhập ngày bắt đầu (dd/mm/yyyy).")]
    if end is None and "end_date" not in errors:
        errors["end_date"] = [_l("Nhập ngày kết thúc (dd/mm/yyyy).")]
    elif end is None:
        pass
    elif start is not None and end < start:
        errors["end_date"] = [_l("Ngày kết thúc phải từ ngày bắt đầu trở đi.")]
    elif end < today_local():
        errors["end_date"] = [_l("Thời gian ủy quyền đã qua.")]
    reason = nfc(str(data.get("reason") or "").strip())
    if not reason:
        errors["reason"] = [_l("Nhập lý do ủy quyền (đi công tác, nghỉ phép…).")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_l("Lý do dài quá %(n)s ký tự.", n=REASON_MAX)]
    inbox, sign = _flag(data.get("inbox")), _flag(data.get("sign"))
    if not (inbox or sign):
        errors["scope"] = [_l("Chọn nội dung ủy quyền: xử lý văn bản đến, duyệt ký văn bản "
                              "đi, hoặc cả hai.")]
    form = str(data.get("signing_form") or "").strip()
    if sign:
        if not form and to_id:
            form = default_signing_form(session, to_id)
        if form not in dict(SIGNING_FORMS):
            errors["signing_form"] = [_l("Hình thức ký phải là KT. hoặc TUQ.")]
        if delegator is not None and not session.scalar(select(Signer.id).where(
                Signer.user_id == delegator.id, Signer.active).limit(1)):
            errors["sign"] = [_l("Người ủy quyền không có trong danh mục người ký nên không "
                                 "ủy quyền ký được.")]
    else:
        form = ""
    if not errors:
        clash = session.scalar(select(Delegation).where(
            Delegation.from_user_id == from_id, Delegation.revoked_at.is_(None),
            Delegation.start_date <= end, Delegation.end_date >= start,
            or_(*([Delegation.inbox.is_(True)] if inbox else [])
                + ([Delegation.sign.is_(True)] if sign else []))).limit(1))
        if clash is not None:
            errors["start_date"] = [_l(
                "Trùng thời gian với ủy quyền cho %(name)s %(period)s: thu hồi ủy quyền đó "
                "trước.", name=clash.to_user.full_name, period=clash.period)]
    if errors:
        raise FormErrors(errors)
    delegation = Delegation(from_user_id=from_id, to_user_id=to_id, start_date=start,
                            end_date=end, reason=reason, inbox=inbox, sign=sign,
                            signing_form=form, created_by_id=user.id, created_at=utcnow())
    session.add(delegation)
    session.commit()
    _forget()
    return delegation


def may_revoke(user, delegation) -> bool:
    return delegation.revoked_at is None and (
        delegation.from_user_id == user.id or delegation.created_by_id == user.id
        or manages_all(user))


def revoke(session, user, delegation) -> None:
    """End a delegation now (the delegator, whoever recorded it, or the office)."""
    if delegation.revoked_at is not None:
        raise DomainError(_l("Ủy quyền này đã được thu hồi."))
    if not may_revoke(user, delegation):
        raise DomainError(_l("Chỉ người ủy quyền hoặc văn phòng thu hồi được ủy quyền này."))
    delegation.revoked_at, delegation.revoked_by_id = utcnow(), user.id
    session.commit()
    _forget()


def get_visible(session, user, delegation_id):
    return visible_row(session, Delegation, visible_delegations(user), delegation_id)


def _date(data, key, errors):
    """A date typed as dd/mm/yyyy (or yyyy-mm-dd, or a date): app.core.dates."""
    try:
        return parse_date(data.get(key), key, _l("Ngày không hợp lệ: nhập theo dạng "
                                                 "dd/mm/yyyy."))
    except FormErrors as error:
        errors.update(error.errors)
        return None


def _flag(value) -> bool:
    """A tick of a form ("1", "on") or a JSON boolean."""
    return value is True or str(value).strip().lower() in ("1", "on", "true")


def _int(value):
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number < 2**31 else None
