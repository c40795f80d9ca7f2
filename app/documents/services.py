"""Incoming documents: the rules, as plain functions that take the acting user and the session.
The web views, the REST API, the demo data and (later) imports and exchange all call these."""
import hashlib
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, false, func, inspect, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased, object_session, selectinload

from app.audit import version
from app.catalogs.models import (
    Agency, DocumentType, Field, Register, SecrecyLevel, UrgencyLevel,
)
from app.core import search, storage
from app.core.db import conditions_digest, rows_by_id
from app.extensions import cache
from app.core.dates import parse_date, parse_datetime, to_date
from app.core.forms import BAD_DATE, BAD_DATETIME
from app.core.numbers import int_or_none, row_id
from app.core.errors import DomainError, FormErrors
from app.core.models import DocumentFile
from app.core.text import fold, nfc, number_symbol_key, vietnamese_sort_key
from app.core.timefmt import (
    add_working_days, format_date, format_datetime, local_now, local_to_utc, to_local,
    today_local, utcnow,
)
from app.documents import arrival_months, replies, workflow
from app.security.access import holders_of, may
from app.security.delegation import INBOX, delegation_for, principals, record_acted_for
from app.documents import deadlines
from app.documents.deadlines import effective_deadline, overdue_line  # noqa: F401 (their home)
from app.documents.access import visible_incoming
from app.documents.models import (
    COMPLETED, COOPERATE, DONE, FOLLOW, FOLLOWING, FYI, IN_PROGRESS, LEAD, OPEN, PENDING,
    REGISTERED, RETURNED, SUBMITTED, WORK_ROLES, IncomingAssignment, IncomingDocument,
    IncomingEvent,
)
from app.documents.numbering import begin_numbering, peek_next_number, take_next_number
from app.notifications.services import notify, settle, settle_all
from app.org.models import Department, EofficeUser

FIELDS = ["register_id", "arrival_at", "channel", "agency_id", "number_symbol", "document_date",
          "document_type_id", "excerpt", "signer_name", "signer_position", "field_id",
          "urgency_id", "secrecy_id", "page_count", "deadline", "recipients", "notes",
          "backfill_reason"]
REQUIRED = {
    "register_id": _l("Chọn sổ văn bản đến."),
    "arrival_at": _l("Nhập ngày, giờ đến."),
    "agency_id": _l("Chọn cơ quan ban hành."),
    "number_symbol": _l("Nhập số, ký hiệu văn bản."),
    "document_date": _l("Nhập ngày văn bản."),
    "document_type_id": _l("Chọn loại văn bản."),
    "excerpt": _l("Nhập trích yếu nội dung."),
    "urgency_id": _l("Chọn độ khẩn."),
    "secrecy_id": _l("Chọn độ mật."),
}

# A field naming a catalog row: an id the catalog does not have is refused with its message
# (before, the database's foreign key refused it: an error page).
REFERENCES = {
    "register_id": (Register, _l("Không có sổ văn bản này.")),
    "agency_id": (Agency, _l("Cơ quan ban hành không có trong danh mục.")),
    "document_type_id": (DocumentType, _l("Loại văn bản không có trong danh mục.")),
    "field_id": (Field, _l("Lĩnh vực không có trong danh mục.")),
    "urgency_id": (UrgencyLevel, _l("Độ khẩn không có trong danh mục.")),
    "secrecy_id": (SecrecyLevel, _l("Độ mật không có trong danh mục.")),
}


# ---------------------------------------------------------------- reading

def visible_query(user):
    return select(IncomingDocument).where(visible_incoming(user))


def default_deadline(session, arrival: date, document_type_id, urgency_id) -> date:
    """Arrival + the tighter of the type's and the urgency's days (working days), else the
    agency's default (DEFAULT_PROCESSING_DAYS)."""
    rows = [session.get(model, key) for model, key in (
        (DocumentType, row_id(document_type_id)), (UrgencyLevel, row_id(urgency_id)))
        if key is not None]  # a registration's are in the session already: no statement
    days = [row.processing_days for row in rows if row is not None and row.processing_days]
    return add_working_days(arrival, min(days) if days else
                            current_app.config["DEFAULT_PROCESSING_DAYS"])


def next_number_preview(session, register_id) -> int | None:
    from app.core.numbers import row_id

    register_id = row_id(register_id)  # as typed in the form: "99999999999999999999" finds none
    register = session.get(Register, register_id) if register_id else None
    return peek_next_number(session, register.id, register.year) if register else None


def has_files(document) -> bool:
    """Whether an entry has a file yet: one registered through the API's first step has none
    ("Chưa có tệp") until its files are attached. Reads one row, not the files."""
    if "files" in inspect(document).dict:  # already loaded
        return bool(document.files)
    return object_session(document).scalar(select(DocumentFile.id).where(
        DocumentFile.incoming_id == document.id).limit(1)) is not None


def ids_with_files(session, ids) -> set[int]:
    """Which of these entries have a file yet: one query for a page of the grid."""
    if not ids:
        return set()
    return set(session.scalars(select(DocumentFile.incoming_id).where(
        DocumentFile.incoming_id.in_(ids)).distinct()))


def find_duplicates(session, agency_id, number_symbol, document_date, exclude_id=None):
    """Entries with the same issuing agency, number/symbol (normalised) and date: the same
    document arriving twice (paper and electronic) must not get two numbers."""
    query = select(IncomingDocument).where(
        IncomingDocument.agency_id == agency_id,
        IncomingDocument.number_symbol_key == number_symbol_key(number_symbol),
        IncomingDocument.document_date == document_date)
    if exclude_id:
        query = query.where(IncomingDocument.id != exclude_id)
    return list(session.scalars(query))


# ---------------------------------------------------------------- validation

def _clean(data: dict) -> dict:
    clean = {k: nfc(v.strip()) if isinstance(v, str) else v for k, v in data.items()}
    return {k: (None if v == "" else v) for k, v in clean.items()}


def _entered_as_is(document, data) -> bool:
    """A registered entry corrected with its issuing agency, number/symbol and date as they
    were: whether it may be a duplicate was asked when it was registered (and confirmed, if it
    was), not again at each correction."""
    return document is not None and document.state != PENDING and (
        document.agency_id, document.number_symbol_key, document.document_date) == (
        int_or_none(data["agency_id"]), number_symbol_key(data["number_symbol"]),
        data.get("document_date"))


def validate(session, data: dict, *, document=None, confirm_duplicate=False,
             require_register=True, rows=None) -> dict:
    """All the rules of a register entry; raises FormErrors listing every problem.
    A document waiting for registration (Chờ vào sổ) has no register yet. `rows`, a dict,
    receives the catalog rows the fields name ({"register_id": Register, …}, read here to
    check them): the caller holds them for its unit of work (the session keeps records only
    while someone refers to them) and its entry refers to them without reading them again."""
    data = _clean(data)
    rows = {} if rows is None else rows
    errors = {}
    for field, message in REQUIRED.items():
        if field == "register_id" and not require_register:
            continue
        if data.get(field) in (None, "") and not (field == "agency_id" and data.get("new_agency")):
            errors[field] = [message]
    for field, (model, message) in REFERENCES.items():
        if data.get(field) is not None and field not in errors:
            key = row_id(data[field])
            rows[field] = session.get(model, key) if key is not None else None
            if rows[field] is None:
                errors[field] = [message]
    register = rows.get("register_id")
    arrival = data.get("arrival_at")
    arrival_date = arrival.date() if isinstance(arrival, datetime) else None
    if register is not None:
        if register.direction != "in" or not register.active:
            errors.setdefault("register_id", []).append(
                _l("Sổ này không phải sổ văn bản đến đang dùng."))
        elif arrival_date and arrival_date.year != register.year:
            errors.setdefault("register_id", []).append(_l(
                "Sổ «%(name)s» dùng cho văn bản đến năm %(year)s; ngày đến thuộc năm khác.",
                name=register.name, year=register.year))
        if register.document_type_id and rows.get("document_type_id") is not None and \
                rows["document_type_id"].id != register.document_type_id:
            errors.setdefault("document_type_id", []).append(
                _l("Sổ này chỉ dùng cho loại văn bản «%(type)s».", type=register.document_type))
        secrecy = rows.get("secrecy_id")
        if secrecy is not None and (secrecy.level > 0) != register.is_secret:
            errors.setdefault("register_id", []).append(
                _l("Văn bản mật phải vào sổ văn bản mật; văn bản thường vào sổ thường.")
                if secrecy.level > 0 else _l("Sổ văn bản mật chỉ dùng cho văn bản mật."))
    if arrival and arrival > local_now() + timedelta(minutes=5):
        errors.setdefault("arrival_at", []).append(_l("Ngày đến không thể ở tương lai."))
    if "backfill_reason" in data and document is None and arrival and not data[
            "backfill_reason"] and arrival < local_now() - timedelta(
            hours=current_app.config.get("BACKFILL_AFTER_HOURS", 24)):
        # Nhập bù (Art. 5.4): entered after an outage with its real arrival time, and why.
        errors.setdefault("backfill_reason", []).append(_l(
            "Ngày đến đã qua hơn %(hours)s giờ: đây là nhập bù sau sự cố, nhập lý do.",
            hours=current_app.config.get("BACKFILL_AFTER_HOURS", 24)))
    document_date = data.get("document_date")
    if arrival_date and document_date and arrival_date < document_date:
        errors.setdefault("arrival_at", []).append(
            _l("Ngày đến không thể trước ngày văn bản."))
    deadline = data.get("deadline")
    if deadline and arrival_date and deadline < arrival_date:
        errors.setdefault("deadline", []).append(_l("Hạn xử lý không thể trước ngày đến."))
    page_count = data.get("page_count")
    if page_count is not None and (not isinstance(page_count, int) or page_count < 1):
        errors.setdefault("page_count", []).append(_l("Số trang phải là số nguyên dương."))
    duplicates = []
    if data.get("agency_id") and data.get("number_symbol") and document_date and \
            not _entered_as_is(document, data):
        duplicates = find_duplicates(session, data["agency_id"], data["number_symbol"],
                                     document_date, exclude_id=document.id if document else None)
        if duplicates and not confirm_duplicate:
            errors.setdefault("number_symbol", []).append(_l(
                "Văn bản này có thể đã vào sổ (cùng cơ quan ban hành, số, ký hiệu và ngày). "
                "Kiểm tra và xác nhận nếu vẫn muốn vào sổ lần nữa."))
    if errors:
        raise FormErrors(errors, duplicates)
    return data


class Moment(NamedTuple):
    """When a routing step happened (UTC). A backfilled step (nhập bù, Art. 5.4) also keeps
    when it was typed in and why; a step entered live has neither."""
    at: datetime
    entered_at: datetime | None = None
    reason: str | None = None


def step_moment(occurred_at, backfill_reason, not_before=None, too_early=None) -> Moment:
    """The moment of a routing step: now, or the real Vietnam time typed after an outage.
    That time cannot be in the future nor before `not_before` (UTC, the step it follows:
    message `too_early`); more than a few minutes back it is a backfill and needs its reason.
    Raises FormErrors; nothing is changed."""
    now = utcnow()
    errors = {}
    if backfill_reason is not None and not isinstance(backfill_reason, str):
        errors["backfill_reason"] = [_l("Phải là chuỗi ký tự.")]
        backfill_reason = None
    reason = nfc((backfill_reason or "").strip()) or None
    if reason and len(reason) > 500:
        errors["backfill_reason"] = [_l("Dài quá %(n)s ký tự.", n=500)]
    if occurred_at is None:
        if reason:
            errors["occurred_at"] = [_l("Có lý do nhập bù: nhập cả thời điểm thực tế.")]
        if errors:
            raise FormErrors(errors)
        return Moment(now)
    if not isinstance(occurred_at, datetime):
        raise FormErrors({"occurred_at": [_l("Thời điểm thực tế phải có ngày và giờ.")]})
    try:
        if occurred_at.tzinfo is not None:  # an ISO time with its offset: as Vietnam time
            occurred_at = to_local(occurred_at).replace(tzinfo=None)
        at = local_to_utc(occurred_at)
    except OverflowError:  # year 1 or 9999 shifted across the time zone
        raise FormErrors({"occurred_at": [_l("Thời điểm thực tế không hợp lệ.")]}) from None
    minutes = current_app.config.get("BACKFILL_STEP_MINUTES", 10)
    if at > now + timedelta(minutes=5):  # a little clock drift is not the future
        errors.setdefault("occurred_at", []).append(
            _l("Thời điểm thực tế không thể ở tương lai."))
    elif not_before is not None and at < not_before:
        errors.setdefault("occurred_at", []).append(too_early)
    if not reason and at < now - timedelta(minutes=minutes):
        errors.setdefault("backfill_reason", []).append(_l(
            "Thời điểm thực tế đã qua hơn %(minutes)s phút: đây là nhập bù sau sự cố, nhập lý "
            "do.", minutes=minutes))
    if errors:
        raise FormErrors(errors)
    if not reason:  # within minutes of now: an ordinary step, no backfill
        return Moment(now)
    return Moment(min(at, now), now, reason)


def _step_moment_into(errors, *args, **kwargs):
    """step_moment(…), its messages added to `errors` (a form's messages come in one round)."""
    try:
        return step_moment(*args, **kwargs)
    except FormErrors as error:
        errors.update(error.errors)
        return None


def _after_line(line):
    """Delegating or completing a line cannot have happened before the line was given."""
    return dict(not_before=line.assigned_at, too_early=_l(
        "Thời điểm thực tế không thể trước lúc phần việc được giao (%(at)s).",
        at=format_datetime(line.assigned_at)))


def check_files(uploads):
    try:
        return storage.check_files(uploads)
    except storage.FileErrors as error:
        raise FormErrors({"files": error.messages}) from error


# ---------------------------------------------------------------- writing

def _event(document, user, action, from_state, note=None, moment=None):
    moment = moment or Moment(utcnow())
    document.events.append(IncomingEvent(actor_id=user.id if user else None, action=action,
                                         from_state=from_state, to_state=document.state,
                                         note=str(note) if note else None, at=moment.at,
                                         entered_at=moment.entered_at,
                                         backfill_reason=moment.reason))
    session = object_session(document)
    if session is not None and user is not None and document.id is not None:
        settle(session, user, f"incoming:{document.id}")  # their notices about it are done


def refresh_search_text(document):
    agency = document.agency
    parts = [document.number_symbol, document.number_symbol_key, document.excerpt,
             agency.name if agency else "", agency.short_name if agency else "",
             document.signer_name or ""]
    parts += [f.text or "" for f in document.files]
    document.search_text = fold(" ".join(p for p in parts if p))[:200_000]


def _store_files(document, store, user, checked):
    for data, info in checked:
        document.files.append(store(user, data, info))


def register_incoming(session, user, data: dict, uploads=(), *, confirm_duplicate=False,
                      submit=False, state=REGISTERED):
    """Vào sổ: validate, take the next arrival number and insert, in one transaction.
    `state=PENDING` records an electronic arrival waiting for registration (no number)."""
    if state == REGISTERED and not workflow.registers(user, None):
        raise DomainError(_l("Chỉ văn thư được vào sổ văn bản đến."))
    rows = {}  # the catalog rows validate() reads, held until the commit
    data = validate(session, data, confirm_duplicate=confirm_duplicate,
                    require_register=state == REGISTERED, rows=rows)
    checked = check_files(uploads)
    begin_numbering(session, read_again=False)  # a new entry: what validate() read stays
    with storage.saving_files(session, expire=False) as store:  # answered as written
        register = rows.get("register_id")
        number = take_next_number(session, register.id, register.year) \
            if state == REGISTERED else None
        if not data.get("agency_id"):  # quick-added with the document, in its transaction
            data["agency_id"] = agency_quick_add(session, data["new_agency"]).id
        # a new entry has no files, history or work yet: said at once, so that the flush does
        # not leave them to be read back (a statement each) when they are first added to
        document = IncomingDocument(**{k: data.get(k) for k in FIELDS}, files=[], events=[],
                                    assignments=[])
        for field, row in rows.items():  # the catalog rows validate() read: not read again
            setattr(document, field.removesuffix("_id"), row)
        document.arrival_at = local_to_utc(data["arrival_at"])
        document.number_symbol_key = number_symbol_key(data["number_symbol"])
        document.state = state
        document.arrival_year = register.year if number else None
        document.arrival_number = number
        document.created_by_id = user.id if user else None
        _insert(session, document, data["arrival_at"], store, user, checked,
                "register" if number else "receive")
        if submit and number:
            _submit(session, user, document)  # to the default leader (default_leader)
    return document


def current_data(document) -> dict:
    """The entry's fields as this module takes them (arrival in Vietnam time)."""
    data = {key: getattr(document, key) for key in FIELDS
            if key not in ("arrival_at", "backfill_reason")}
    data["arrival_at"] = to_local(document.arrival_at).replace(tzinfo=None)
    return data


def update_incoming(session, user, document, data: dict, uploads=(), *,
                    confirm_duplicate=False, partial=False):
    """The clerk corrects an entry; the number and the register stay. `partial`: `data` holds
    only the fields that change (the API's PUT), the others keep their values."""
    if not workflow.registers(user, document):
        raise DomainError(_l("Chỉ văn thư được sửa thông tin vào sổ."))
    if partial:
        data = {**current_data(document), **data}
    data["register_id"] = document.register_id
    data = validate(session, data, document=document, confirm_duplicate=confirm_duplicate,
                    require_register=document.state != PENDING)
    checked = check_files(uploads)
    with storage.saving_files(session) as store:
        for key in FIELDS:
            if key not in ("register_id",) and key in data:
                setattr(document, key, data[key])
        document.arrival_at = local_to_utc(data["arrival_at"])
        document.number_symbol_key = number_symbol_key(data["number_symbol"])
        _store_files(document, store, user, checked)
        refresh_search_text(document)
        _event(document, user, "update", document.state)
    return document


def attach_files(session, user, document, uploads):
    """Add files to an entry (clerk)."""
    if not workflow.registers(user, document):
        raise DomainError(_l("Chỉ văn thư được thêm tệp vào văn bản đến."))
    checked = check_files(uploads)
    with storage.saving_files(session) as store:
        _store_files(document, store, user, checked)
        refresh_search_text(document)
        _event(document, user, "update", document.state, _l("Thêm tệp đính kèm"))


def record_arrival(session, data: dict, checked_files=()):
    """An electronic arrival (liên thông) waiting for the clerk, Chờ vào sổ: recorded with what
    the sender's package says even when it is incomplete or odd — the rules of a register
    entry (`validate`) apply when the clerk registers it, with the corrections made then.
    `data` holds FIELDS (a missing text is "", a missing document date the arrival's);
    `checked_files` are [(bytes, StoredFile)] already checked by the caller. No number; one
    unit of work."""
    data = _clean(data)
    with storage.saving_files(session) as store:
        document = IncomingDocument(**{k: data.get(k) for k in FIELDS if k != "register_id"})
        document.number_symbol = document.number_symbol or ""
        document.excerpt = document.excerpt or ""
        document.document_date = document.document_date or data["arrival_at"].date()
        document.arrival_at = local_to_utc(data["arrival_at"])
        document.number_symbol_key = number_symbol_key(document.number_symbol)
        document.state = PENDING
        _insert(session, document, data["arrival_at"], store, None, checked_files, "receive")
    return document


def _insert(session, document, arrival, store, user, checked, action):
    """A new entry: the default deadline when none is given, its files, the page count from
    them when not typed, its search text and its first history line."""
    if not document.deadline:
        document.deadline = default_deadline(session, arrival.date(),
                                             document.document_type_id, document.urgency_id)
    session.add(document)
    _store_files(document, store, user, checked)
    if not document.page_count:
        document.page_count = sum(f.page_count or 0 for f in document.files) or None
    # all of it written by one INSERT: the agency (the one validate() read, quick-added or,
    # for an electronic arrival, read here) set before the flush, and the history line added
    # before it (no notice can be about an entry not yet written: there is none to settle)
    with session.no_autoflush:
        if document.agency is None and document.agency_id is not None:
            document.agency = session.get(Agency, document.agency_id)
        refresh_search_text(document)
        _event(document, user, action, None)
    session.flush()


def register_pending(session, user, document, register_id, data=None, uploads=(), *,
                     confirm_duplicate=True):
    """Vào sổ a document that arrived electronically: it gets its number now. With `data`
    (the registration form), the clerk's corrections are saved in the same transaction, under
    every rule of a register entry; files added with them are checked and kept."""
    if not workflow.allowed(user, document, "register"):
        raise DomainError(_l("Không thể vào sổ văn bản này."))
    if not isinstance(register_id, int) or not 0 < register_id < 2**31:
        register_id = None  # validate() says "Chọn sổ văn bản đến." with the other rules
    corrected = data is not None
    data = {**current_data(document), **(data or {})}
    data["register_id"] = register_id
    data = validate(session, data, document=document, confirm_duplicate=confirm_duplicate)
    register = session.get(Register, register_id)
    checked = check_files(uploads)
    document_id = document.id
    begin_numbering(session)
    with storage.saving_files(session) as store:
        number = take_next_number(session, register.id, register.year)
        document = session.get(IncomingDocument, document_id)
        if corrected:
            if not data.get("agency_id"):  # quick-added in the form, in this transaction
                data["agency_id"] = agency_quick_add(session, data["new_agency"]).id
            for key in FIELDS:
                if key not in ("register_id", "arrival_at", "backfill_reason") and key in data:
                    setattr(document, key, data[key])
            document.number_symbol_key = number_symbol_key(data["number_symbol"])
            _store_files(document, store, user, checked)
            if not document.page_count:
                document.page_count = sum(f.page_count or 0 for f in document.files) or None
            refresh_search_text(document)
        document.register_id, document.arrival_year = register.id, register.year
        document.arrival_number = number
        from_state = document.state
        document.state = REGISTERED
        _event(document, user, "register", from_state)
        settle_all(session, f"incoming:{document.id}", kinds=["incoming.arrived"])
    return document


def _apply(session, user, document, action, line=None, note=None, moment=None):
    transition = workflow.transition_for(document, action)
    if transition is None:
        raise DomainError(_l("Bạn không thể thực hiện thao tác này với văn bản ở trạng thái "
                             "hiện tại."))
    if not transition.may(user, document, line):
        raise DomainError(_l("Bạn không thể thực hiện thao tác này: “%(action)s” không thuộc "
                             "quyền của bạn hoặc không phải việc được giao cho bạn.",
                             action=transition.label))
    delegation = _stood_in_for(session, user, document, action, line)
    if delegation is not None:  # marked in the history and the audit trail
        note = f"{note} — {delegation.acting_note()}" if note else delegation.acting_note()
        record_acted_for(session, delegation, "incoming_document", document.id,
                         str(transition.label))
    from_state = document.state
    if transition.new_state:
        document.state = transition.new_state
    _event(document, user, action, from_state, note, moment)


def _stood_in_for(session, user, document, action, line):
    """The delegation (ủy quyền) under which `user` takes this step, if it is someone else's:
    their line, their unit's line, or the direction of a document presented to them."""
    if line is not None:
        if line.user_id is not None:
            owner = line.user_id
        elif workflow.leads_unit_of(user, line):
            return None
        else:
            owner = next((person.id for person in principals(user)[1:]
                          if workflow.leads_unit_of(person, line)), None)
    elif action == "assign" and document.state == SUBMITTED:
        owner = document.submitted_to_id
    else:
        return None
    if owner is None or owner == user.id:
        return None
    return delegation_for(session, user, owner, INBOX)


def _line(document, line_id):
    for line in document.assignments:
        if str(line.id) == str(line_id):
            return line
    raise DomainError(_l("Không tìm thấy dòng phân công."))


# -- who is told (app.notifications): the person who must act now, with a link to the page

def title_of(document) -> str:
    """'số 12/2026 (15/UBND-NC)' (the arrival number, then the sender's number/symbol): how a
    notice names the document, after "Văn bản đến"."""
    if document.arrival_number:
        return _("số %(number)s/%(year)s (%(symbol)s)", number=document.arrival_number,
                 year=document.arrival_year, symbol=document.number_symbol)
    return document.number_symbol


def _tell(session, document, recipients, message, kind, user):
    notify(session, recipients, message, f"/incoming/{document.id}", kind=f"incoming.{kind}",
           exclude=user, subject=f"incoming:{document.id}", urgent=document.is_urgent)


def _unit_leaders(session, department_id) -> list:
    """Whoever leads the unit (passes its lines on): a unit's line is theirs to hand out."""
    return list(session.scalars(select(EofficeUser).where(
        EofficeUser.department_id == department_id,
        EofficeUser.id.in_(holders_of("can_delegate", "IncomingDocument")))))


def _holders(session, line) -> list:
    return [line.user] if line.user_id else _unit_leaders(session, line.department_id)


# -- presenting to a leader (trình)

def leaders(session) -> list:
    """The people who direct incoming documents (can_direct), the agency head first (the
    position listed first, then the name)."""
    found = session.scalars(select(EofficeUser).where(
        EofficeUser.id.in_(holders_of("can_direct", "IncomingDocument")))
        .options(selectinload(EofficeUser.position), selectinload(EofficeUser.fields))).all()
    return sorted(found, key=lambda p: (p.position.sort_order if p.position else 10**6,
                                        vietnamese_sort_key(p.full_name)))


def default_leader(session, document, candidates=None):
    """Whom the clerk presents to unless they choose: the deputy in charge of the document's
    field (user_field), else the agency head."""
    candidates = leaders(session) if candidates is None else candidates
    if not candidates:
        return None
    if document is not None and document.field_id:
        for person in candidates[1:] + candidates[:1]:  # a deputy before the head
            if any(field.id == document.field_id for field in person.fields):
                return person
    return candidates[0]


def _leader(session, document, leader_id):
    if leader_id in (None, ""):
        leader = default_leader(session, document)
        if leader is None:
            raise FormErrors({"leader_id": [_l("Chưa có lãnh đạo nào được giao chỉ đạo văn "
                                               "bản đến.")]})
        return leader
    leader = session.get(EofficeUser, row_id(leader_id)) \
        if isinstance(leader_id, int) and row_id(leader_id) else None
    if leader is None or not leader.active or not may(leader, "can_direct", "IncomingDocument"):
        raise FormErrors({"leader_id": [_l("Chọn một lãnh đạo có quyền chỉ đạo văn bản.")]})
    return leader


def _submit(session, user, document, leader_id=None):
    leader = _leader(session, document, leader_id)
    _apply(session, user, document, "submit", note=_l("Trình %(name)s", name=leader.full_name))
    document.submitted_to_id = leader.id
    _tell(session, document, [leader], _(
        "Văn bản đến %(title)s trình đồng chí cho ý kiến chỉ đạo: %(excerpt)s",
        title=title_of(document), excerpt=document.excerpt[:200]), "submitted", user)


def submit(session, user, document, leader_id=None):
    """Trình: to the chosen leader (default_leader when none is chosen)."""
    _submit(session, user, document, leader_id)
    session.commit()


# -- the leader's direction: several lines at once, each with its instruction and deadline

ROLE_WORDS = {LEAD: _l("chủ trì"), COOPERATE: _l("phối hợp"), FYI: _l("nhận để biết"),
              FOLLOW: _l("nắm tình hình")}


def _instruction(value, errors, key="lines"):
    if value is not None and not isinstance(value, str):
        errors[key] = [_l("Ý kiến chỉ đạo phải là chuỗi ký tự.")]
        return None
    text = nfc((value or "").strip()) or None
    if text and len(text) > 2000:
        errors[key] = [_l("Ý kiến chỉ đạo dài quá %(n)s ký tự.", n=2000)]
    return text


def _check_target(session, line, errors):
    """The unit or person of a line exists and is active; "nắm tình hình" is a person's."""
    department_id, user_id = line.get("department_id"), line.get("user_id")
    if department_id and user_id:
        errors["lines"] = [_l("Mỗi dòng phân công cần một đơn vị hoặc một người.")]
    elif department_id:
        unit = session.get(Department, row_id(department_id)) \
            if isinstance(department_id, int) and row_id(department_id) else None
        if unit is None or not unit.active:
            errors["lines"] = [_l("Đơn vị được phân công không tồn tại hoặc đã ngừng.")]
    elif user_id:
        person = session.get(EofficeUser, row_id(user_id)) \
            if isinstance(user_id, int) and row_id(user_id) else None
        if person is None or not person.active:
            errors["lines"] = [_l("Người được phân công không tồn tại hoặc đã nghỉ.")]
    if line.get("role") == FOLLOW and not user_id:
        errors["lines"] = [_l("“Nắm tình hình” giao cho một người (lãnh đạo), không cho đơn "
                              "vị.")]


def assign(session, user, document, direction: str, lines: list[dict], deadline=None, *,
           occurred_at=None, backfill_reason=None):
    """The leader's direction: lines of {role, department_id | user_id, deadline,
    instruction}; exactly one lead (chủ trì) across the document's open work. Roles: lead,
    cooperate, fyi (nhận để biết: done when read), follow (nắm tình hình: no task).
    `occurred_at` (Vietnam time) and `backfill_reason`: a direction given during an outage,
    typed in afterwards (nhập bù)."""
    direction = nfc((direction or "").strip())
    errors = {}
    moment = _step_moment_into(errors, occurred_at, backfill_reason, document.arrival_at, _l(
        "Thời điểm thực tế không thể trước ngày, giờ đến của văn bản (%(at)s).",
        at=format_datetime(document.arrival_at)))
    if not lines:
        errors["lines"] = [_l("Phân công ít nhất một đơn vị hoặc người chủ trì.")]
    leads = [x for x in lines if x.get("role") == LEAD]
    existing_lead = any(a.role == LEAD and a.parent_id is None and a.state == OPEN
                        for a in document.assignments)
    if lines and len(leads) + existing_lead != 1:
        errors["lines"] = [_l("Mỗi văn bản có đúng một đơn vị hoặc người chủ trì.")]
    arrival = to_local(document.arrival_at).date()
    seen = set()
    for line in lines:
        if not isinstance(line.get("role"), str) or line["role"] not in ROLE_WORDS:
            errors["lines"] = [_l("Vai trò phân công không hợp lệ.")]
        if not (line.get("department_id") or line.get("user_id")):
            errors["lines"] = [_l("Mỗi dòng phân công cần một đơn vị hoặc một người.")]
        else:
            _check_target(session, line, errors)
        target = (line.get("department_id"), line.get("user_id"))
        if target in seen:
            errors["lines"] = [_l("Một đơn vị hoặc người chỉ được phân công một lần.")]
        seen.add(target)
        line["instruction"] = _instruction(line.get("instruction"), errors)
        line_deadline = line.get("deadline") or deadline or document.deadline
        if line_deadline and line_deadline < arrival:
            errors["lines"] = [_l("Hạn xử lý không thể trước ngày đến.")]
    if errors:
        raise FormErrors(errors)
    # another leader takes it over: the one it was presented to has nothing left to do
    taken_from = document.submitted_to_id if document.state == SUBMITTED and \
        document.submitted_to_id != user.id else None
    _apply(session, user, document, "assign", note=direction or None, moment=moment)
    if taken_from:
        settle(session, taken_from, f"incoming:{document.id}")
    if direction:
        document.direction = direction
    if deadline:
        document.deadline = deadline
    for line in lines:
        no_task = line["role"] in (FYI, FOLLOW)
        new = IncomingAssignment(
            role=line["role"], department_id=line.get("department_id"),
            user_id=line.get("user_id"), instruction=line.get("instruction"),
            state=FOLLOWING if line["role"] == FOLLOW else OPEN,
            deadline=None if no_task else (line.get("deadline") or deadline or document.deadline),
            assigned_by_id=user.id, assigned_at=moment.at, entered_at=moment.entered_at,
            backfill_reason=moment.reason)
        document.assignments.append(new)
        session.flush()
        _tell(session, document, _holders(session, new), _assigned_message(document, new),
              "assigned", user)
    session.commit()


def _assigned_message(document, line):
    role = ROLE_WORDS.get(line.role, line.role)
    unit = "" if line.user_id else _(" (đơn vị %(unit)s)", unit=line.department.name)
    text = _("Văn bản đến %(title)s được giao %(role)s%(unit)s: %(excerpt)s",
             title=title_of(document), role=role, unit=unit, excerpt=document.excerpt[:160])
    if line.deadline and line.role in WORK_ROLES:
        text += _(" – hạn %(date)s", date=format_date(line.deadline))
    if line.instruction:
        text += _(" – ý kiến: %(text)s", text=line.instruction[:160])
    return text


# -- the unit leader passes the unit's line to several officers at once

def delegate(session, user, document, line_id, officer_id=None, deadline=None, note=None, *,
             officers=None, occurred_at=None, backfill_reason=None):
    """A unit leader passes the unit's line to its people: `officers` [{user_id, lead,
    deadline, instruction}] (or one `officer_id` with `deadline` and `note` as instruction);
    now, or (nhập bù) at the real time `occurred_at` with its reason. For the unit's lead line
    exactly one of them leads (the first unless one is marked `lead`), the others co-operate;
    for a co-operating line all co-operate."""
    line = _line(document, line_id)
    if officers is None:
        officers = [{"user_id": officer_id, "deadline": deadline, "instruction": note}] \
            if officer_id is not None else []
    errors = {}
    chosen, seen = [], set()
    for row in officers:
        person_id = row.get("user_id")
        person = session.get(EofficeUser, row_id(person_id)) \
            if isinstance(person_id, int) and row_id(person_id) else None
        if person is None or not person.active or person.department_id != line.department_id:
            errors["officer_id"] = [_l("Chọn một người của đơn vị.")]
            continue
        if person.id in seen:
            errors["officer_id"] = [_l("Mỗi người chỉ được giao một lần.")]
        seen.add(person.id)
        row_deadline = row.get("deadline")
        if row_deadline and line.deadline and row_deadline > line.deadline:
            errors["deadline"] = [_l("Hạn giao không thể sau hạn của đơn vị.")]
        chosen.append((person, row_deadline, _instruction(row.get("instruction"), errors,
                                                          "note"), bool(row.get("lead"))))
    if not officers:
        errors["officer_id"] = [_l("Chọn ít nhất một người của đơn vị.")]
    marked = [c for c in chosen if c[3]]
    if line.role != LEAD and marked:
        errors["officer_id"] = [_l("Đơn vị chỉ phối hợp: không giao ai chủ trì.")]
    elif len(marked) > 1:
        errors["officer_id"] = [_l("Chỉ một người chủ trì.")]
    moment = _step_moment_into(errors, occurred_at, backfill_reason, **_after_line(line))
    if errors:
        raise FormErrors(errors)
    lead = (marked[0] if marked else chosen[0])[0] if line.role == LEAD else None
    names = ", ".join(person.full_name for person, *_rest in chosen)
    _apply(session, user, document, "delegate", line,
           _l("Giao cho %(names)s", names=names), moment)
    for person, row_deadline, instruction, _mark in chosen:
        child = IncomingAssignment(
            parent_id=line.id, role=LEAD if person is lead else COOPERATE,
            department_id=line.department_id, user_id=person.id, instruction=instruction,
            deadline=row_deadline or line.deadline, assigned_by_id=user.id,
            assigned_at=moment.at, entered_at=moment.entered_at, backfill_reason=moment.reason)
        document.assignments.append(child)
        _tell(session, document, [person], _(
            "%(name)s giao đồng chí %(role)s văn bản đến %(title)s%(deadline)s%(text)s",
            name=user.full_name, role=ROLE_WORDS[child.role], title=title_of(document),
            deadline=_(" – hạn %(date)s", date=format_date(child.deadline))
            if child.deadline else "",
            text=_(" – ý kiến: %(text)s", text=instruction[:160]) if instruction else ""),
            "delegated", user)
    session.commit()


def record_progress(session, user, document, line_id, note):
    line = _line(document, line_id)
    note = nfc((note or "").strip())
    if not note:
        raise FormErrors({"note": [_l("Nhập nội dung tiến độ.")]})
    _apply(session, user, document, "progress", line, note)
    line.progress_note = note
    session.commit()


def _close(line, moment, result_note=None):
    """A line done at the step's moment (the real one for a backfill: the reports count it)."""
    line.state, line.completed_at = DONE, moment.at
    line.completed_entered_at, line.completed_backfill_reason = moment.entered_at, moment.reason
    if result_note:
        line.result_note = result_note


def _open_work(document, parent_id=None, *, top=False):
    return [a for a in document.assignments if a.state == OPEN and a.role in WORK_ROLES
            and (a.parent_id is None if top else a.parent_id == parent_id)]


def complete(session, user, document, line_id, result_note, reply_reference=None, *,
             reply_id=None, occurred_at=None, backfill_reason=None):
    """An assignee completes their line; the lead completing it completes the document.
    A unit's line is done through its officers: the lead line when its lead officer
    completes, a co-operating line when its last officer does. The co-operating lines still
    open when the document completes stay open (they are told and finish their part).
    `reply_id`: the issued answer (app.documents.replies) whose number fills the reply's
    reference. `occurred_at` and `backfill_reason`: work finished during an outage."""
    line = _line(document, line_id)
    result_note = nfc((result_note or "").strip())
    errors = {} if result_note else {"note": [_l("Nhập kết quả xử lý.")]}
    if reply_id not in (None, ""):
        reply = replies.issued_reply(session, user, document, reply_id)
        if reply is None:
            errors["reply_id"] = [_l("Văn bản trả lời phải là văn bản đi đã phát hành trả lời "
                                     "văn bản này.")]
        else:
            reply_reference = reply.number_symbol
    moment = _step_moment_into(errors, occurred_at, backfill_reason, **_after_line(line))
    if errors:
        raise FormErrors(errors)
    _apply(session, user, document, "complete", line, result_note, moment)
    _close(line, moment, result_note)
    parent = next((a for a in document.assignments if a.id == line.parent_id), None)
    if parent is not None and parent.state == OPEN and (
            line.role == LEAD or (parent.role != LEAD and not _open_work(document, parent.id))):
        _close(parent, moment, result_note)  # the unit's line is done through its officers
        line = parent
    if line.role == LEAD and line.parent_id is None and document.state == IN_PROGRESS:
        from_state = document.state
        document.state = COMPLETED
        document.completed_at = moment.at
        document.result_note = result_note
        document.reply_reference = nfc((reply_reference or "").strip()) or None
        _event(document, user, "document_completed", from_state, moment=moment)
        still_open = [a for a in document.assignments
                      if a.state == OPEN and a.role == COOPERATE
                      and not _open_work(document, a.id)]
        recipients = [p for a in still_open for p in _holders(session, a)]
        _tell(session, document, recipients, _(
            "Văn bản đến %(title)s đã hoàn thành (đơn vị chủ trì đã xử lý xong). Phần phối "
            "hợp của đồng chí vẫn mở: cập nhật kết quả khi xong.",
            title=title_of(document)), "completed", user)
    session.commit()


def return_line(session, user, document, line_id, reason):
    """An assignee returns their line with a reason: to the unit leader who passed it on, or,
    for the unit's or person's lead line, back to the agency leader who assigned it, for a new
    direction (it is presented to them again)."""
    line = _line(document, line_id)
    reason = nfc((reason or "").strip())
    if not reason:
        raise FormErrors({"note": [_l("Nhập lý do trả lại.")]})
    _apply(session, user, document, "return", line, reason)
    line.state, line.result_note, line.completed_at = RETURNED, reason, utcnow()
    if line.role == LEAD and line.parent_id is None:
        from_state = document.state
        document.state = SUBMITTED
        if line.assigned_by_id:
            document.submitted_to_id = line.assigned_by_id
        _event(document, user, "returned_to_leader", from_state, reason)
    if line.assigned_by_id:
        _tell(session, document, [line.assigned_by_id], _(
            "%(name)s trả lại văn bản đến %(title)s: %(reason)s", name=user.full_name,
            title=title_of(document), reason=reason[:200]), "returned", user)
    session.commit()


def _acknowledge(session, user, document, line):
    _apply(session, user, document, "acknowledge", line)
    line.state, line.completed_at = DONE, utcnow()


def acknowledge(session, user, document, line_id=None):
    """Đã xem: an FYI line is done once read. Without `line_id`: the user's unread FYI lines
    on the document (the page posts this when its holder opens it)."""
    if line_id not in (None, ""):
        lines = [_line(document, line_id)]
    else:
        lines = [a for a in document.assignments if workflow.holds_fyi(user, document, a)]
        if not lines:
            raise DomainError(_l("Không có văn bản nhận để biết nào chờ đồng chí xem."))
    for line in lines:
        _acknowledge(session, user, document, line)
    session.commit()


def reopen(session, user, document, note=None):
    _apply(session, user, document, "reopen", note=note)
    document.completed_at = None
    session.commit()


def routing_data(source, lines=(), officers=(), *, form=False) -> dict:
    """The fields of a routing action, read the same way from a web form and a JSON body
    (`source.get`); `lines`: the direction's rows, `officers`: the rows of a unit leader's
    hand-out, which the two channels shape differently. Dates dd/mm/yyyy or ISO; the real
    time of a backfill (nhập bù) in Vietnam time. `form`: the messages speak of the form's
    formats."""
    bad_date, bad_time = (BAD_DATE, BAD_DATETIME) if form else (None, None)
    return {"line_id": source.get("line_id"), "direction": source.get("direction"),
            "lines": list(lines), "officers": list(officers) or None,
            "deadline": parse_date(source.get("deadline"), "deadline", bad_date),
            "officer_id": int_or_none(source.get("officer_id")), "note": source.get("note"),
            "leader_id": _id_or_error(source.get("leader_id"), "leader_id"),
            "reply_reference": source.get("reply_reference"),
            "reply_id": _id_or_error(source.get("reply_id"), "reply_id"),
            "register_id": int_or_none(source.get("register_id")),
            "occurred_at": parse_datetime(source.get("occurred_at"), "occurred_at",
                                          bad_time),
            "backfill_reason": source.get("backfill_reason")}


def _id_or_error(value, key):
    """A record's id as typed (a form's text, a JSON number); empty: None; anything else is
    refused with a message rather than read as "none chosen"."""
    if value in (None, ""):
        return None
    number = int_or_none(value) if not isinstance(value, bool) else None
    if number is None or number <= 0:
        raise FormErrors({key: [_l("Mã không hợp lệ.")]})
    return number


def _backfill(data):
    return {"occurred_at": data.get("occurred_at"),
            "backfill_reason": data.get("backfill_reason")}


ACTIONS = {  # action name → the step, with the fields of routing_data it takes
    "submit": lambda s, u, d, x: submit(s, u, d, x.get("leader_id")),
    "assign": lambda s, u, d, x: assign(s, u, d, x.get("direction"), x.get("lines") or [],
                                        x.get("deadline"), **_backfill(x)),
    "delegate": lambda s, u, d, x: delegate(s, u, d, x.get("line_id"), x.get("officer_id"),
                                            x.get("deadline"), x.get("note"),
                                            officers=x.get("officers"), **_backfill(x)),
    "progress": lambda s, u, d, x: record_progress(s, u, d, x.get("line_id"), x.get("note")),
    "complete": lambda s, u, d, x: complete(s, u, d, x.get("line_id"), x.get("note"),
                                            x.get("reply_reference"),
                                            reply_id=x.get("reply_id"), **_backfill(x)),
    "return": lambda s, u, d, x: return_line(s, u, d, x.get("line_id"), x.get("note")),
    "acknowledge": lambda s, u, d, x: acknowledge(s, u, d, x.get("line_id")),
    "reopen": lambda s, u, d, x: reopen(s, u, d, x.get("note")),
    "register": lambda s, u, d, x: register_pending(s, u, d, x.get("register_id")),
}


def act(session, user, document, action: str, data: dict) -> None:
    """One entry point of routing for the web and the API: the action by name with the
    fields of `routing_data`; one unit of work."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise DomainError(_l("Không có thao tác này."))
    handler(session, user, document, data)


# -- the grid's daily batches: one action on several documents

BULK_ACTIONS = {"submit": (_l("Đã trình %(n)s văn bản"), _l("không trình được")),
                "assign": (_l("Đã phân công %(n)s văn bản"), _l("không phân công được")),
                "acknowledge": (_l("Đã đánh dấu đã xem %(n)s văn bản"),
                                _l("không đánh dấu được"))}


class BulkResult(NamedTuple):
    done: list      # the documents acted on
    failed: list    # [(label of the document, message)]

    def summary(self, action) -> str:
        """"Đã trình 5 văn bản; 1 văn bản không trình được: 12/UBND (lý do)"."""
        did, failed = BULK_ACTIONS[action]
        text = str(did % {"n": len(self.done)})
        if self.failed:
            text += _("; %(n)s văn bản %(failed)s: %(list)s", n=len(self.failed),
                      failed=failed, list="; ".join(f"{label} ({message})"
                                                    for label, message in self.failed))
        return text


def bulk_act(session, user, document_ids, action, data) -> BulkResult:
    """The same action on each selected document the user may see: one unit of work per
    document (act), so a refused one is rolled back whole and the others stand. Each assign
    gets its own copy of the lines."""
    if action not in BULK_ACTIONS:
        raise DomainError(_l("Không có thao tác này."))
    ids = []
    for value in document_ids or []:
        number = int_or_none(value) if not isinstance(value, bool) else None
        if number is None or number <= 0:
            raise FormErrors({"ids": [_l("Mã văn bản không hợp lệ.")]})
        if number not in ids:
            ids.append(number)
    if not ids:
        raise FormErrors({"ids": [_l("Chọn ít nhất một văn bản.")]})
    if len(ids) > 200:
        raise FormErrors({"ids": [_l("Mỗi lần tối đa %(n)s văn bản.", n=200)]})
    user_id = user.id
    done, failed = [], []
    for document_id in ids:
        user = session.get(EofficeUser, user_id)  # fresh after a rollback
        document = session.scalar(select(IncomingDocument).where(
            IncomingDocument.id == document_id, visible_incoming(user)))
        if document is None:
            failed.append((f"#{document_id}", _("không tìm thấy")))
            continue
        label = document.number_symbol
        try:
            act(session, user, document, action,
                {**data, "line_id": None, "lines": [dict(x) for x in data.get("lines") or []]})
        except FormErrors as error:
            session.rollback()
            failed.append((label, " ".join(str(m) for ms in error.errors.values()
                                           for m in ms)))
        except DomainError as error:
            session.rollback()
            failed.append((label, str(error)))
        else:
            done.append(document)
    return BulkResult(done, failed)


# ---------------------------------------------------------------- inboxes and overdue
# What is overdue and due soon, for whom, and what each place counts: app.documents.deadlines
# (one rule). Its SQL pieces stay importable from here.



def _my_lines(user):
    """Assignment lines held by the user: theirs, or their unit's while they lead it."""
    return deadlines.held_by(user)


def inbox_query(user, box: str):
    """The documents of one inbox: to_process, due_soon, overdue, processed, fyi,
    waiting_registration (clerk), waiting_direction (agency leader), to_submit (clerk).
    due_soon and overdue: the documents late or nearly through what the user holds, lines and
    documents waiting for their direction or presentation alike (app.documents.deadlines)."""
    return select(IncomingDocument).where(visible_incoming(user), inbox_condition(user, box))


def inbox_condition(user, box: str):
    """The condition of the inbox `box` on IncomingDocument, the reader's visibility apart
    (inbox_query adds it; the grid has it already, and PostgreSQL tested it twice on each
    of an officer's documents when the box came as a subquery that had it too)."""
    today = today_local()
    if box == "to_process":
        if workflow.directs(user, None):
            work = select(IncomingAssignment.document_id).join(IncomingDocument).where(
                *deadlines.held_open_lines(user))
            return deadlines.either_of(work, IncomingDocument.state == SUBMITTED)
        return deadlines.held_open_documents(user)
    if box == "due_soon":
        return deadlines.due_soon_document(today, deadlines.due_soon_until(today), user)
    if box == "overdue":
        return deadlines.overdue_document(today, user)
    if box == "processed":
        done = select(IncomingAssignment.document_id).where(
            _my_lines(user), IncomingAssignment.role != FYI,
            IncomingAssignment.state.in_([DONE, RETURNED]))
        return IncomingDocument.id.in_(done)
    if box == "fyi":
        fyi = select(IncomingAssignment.document_id).where(
            _my_lines(user), IncomingAssignment.role == FYI)
        return IncomingDocument.id.in_(fyi)
    if box == "follow":  # "nắm tình hình": followed, never work
        follow = select(IncomingAssignment.document_id).where(
            _my_lines(user), IncomingAssignment.role == FOLLOW)
        return IncomingDocument.id.in_(follow)
    if box == "waiting_registration":
        return IncomingDocument.state == PENDING if workflow.registers(user, None) else false()
    if box == "to_submit":
        return IncomingDocument.state == REGISTERED if workflow.submits(user, None) \
            else false()
    if box == "waiting_direction":
        return IncomingDocument.state == SUBMITTED
    raise DomainError(_l("Không có hộp văn bản này."))


INBOXES = [
    ("to_process", _l("Chờ xử lý")),
    ("due_soon", _l("Sắp đến hạn")),
    ("overdue", _l("Quá hạn")),
    ("processed", _l("Đã xử lý")),
    ("fyi", _l("Nhận để biết")),
    ("follow", _l("Theo dõi")),
]
CLERK_INBOXES = [("waiting_registration", _l("Chờ vào sổ")), ("to_submit", _l("Chờ trình"))]


# Boxes of finished work grow for ever (a decade of lines per person): they get no count.
UNCOUNTED_INBOXES = {"processed", "fyi", "follow"}


def inbox_counts(session, user) -> list[tuple[str, object, int | None]]:
    """[(box, label, count)] of the user's inboxes; count None for UNCOUNTED_INBOXES."""
    boxes = list(INBOXES)
    if workflow.registers(user, None):
        boxes = CLERK_INBOXES + boxes
    counted = [key for key, _label in boxes if key not in UNCOUNTED_INBOXES]
    # Shown on every grid page and on the home page, so remembered for this version of the
    # data (app.audit.version) — stepping over the registrations when every box is made of
    # the person's lines.
    skipping = REGISTERED_WITH_FILES if all(lines_only(user, box) for box in counted) else ()
    counts = version.remembered(session, "incoming:inboxes", (user.id, today_local(), *counted),
                                lambda: _box_counts(session, user, counted), skipping=skipping)
    return [(key, label, counts.get(key)) for key, label in boxes]


# The audit line of a registration (or of a document received from the exchange): the
# document has no work line yet. Its files add a line each: no box's count depends on files,
# but a grid's rows show whether a document has one.
REGISTRATION = (("create", "incoming_document"),)
REGISTERED_WITH_FILES = (*REGISTRATION, ("create", "document_file"))


def lines_only(user, box: str) -> bool:
    """The box holds only documents through the lines `user` holds (none waiting for their
    direction or presentation, none waiting to be registered): a registration changes
    neither its documents nor its count (kept per data_version skipping REGISTRATION, and
    REGISTERED_WITH_FILES for the count)."""
    if box in UNCOUNTED_INBOXES:  # processed, fyi, follow: lines alone
        return True
    if box in WORK_BOXES:  # see _waiting: the documents not through a line
        return not workflow.directs(user, None) and not workflow.submits(user, None)
    return False


# The boxes of open work: counted through the lines the person holds in one pass
# (deadlines.held_line_counts), plus the documents waiting for them.
WORK_BOXES = ("to_process", "overdue", "due_soon")


def _waiting(user, box: str, today, until):
    """The documents of a WORK_BOXES box that are waiting (not through a line): inbox_query's
    documents other than the lines' (those being processed)."""
    if box == "to_process":
        return (IncomingDocument.state == SUBMITTED) if workflow.directs(user, None) else false()
    deadline = deadlines.overdue_waiting(today) if box == "overdue" else \
        deadlines.due_soon_waiting(today, until)
    return and_(deadlines.waiting_for(user), deadline)


def _box_counts(session, user, boxes) -> dict:
    """{box: documents} of the boxes, each the number of inbox_query(user, box)'s documents:
    the work boxes from one pass over the person's lines and one count of the documents
    waiting, the others each counted (one statement, a scalar subquery each)."""
    today = today_local()
    until = deadlines.due_soon_until(today)
    visible = visible_incoming(user)
    work = [box for box in boxes if box in WORK_BOXES]
    others = [box for box in boxes if box not in WORK_BOXES]
    counts = {}
    if work:
        lines = dict(zip(WORK_BOXES, deadlines.held_line_counts(
            session, user, visible, today, until), strict=True))
        waiting = session.execute(select(*[select(func.count(IncomingDocument.id)).where(
            visible, _waiting(user, box, today, until)).scalar_subquery() for box in work])).one()
        counts.update({box: lines[box] + n for box, n in zip(work, waiting, strict=True)})
    if others:
        counts.update(zip(others, session.execute(select(*[select(func.count()).select_from(
            inbox_query(user, box).subquery()).scalar_subquery() for box in others])).one(),
            strict=True))
    return counts


def inbox_count(session, user, box: str) -> int:
    """How many documents one inbox holds (the same number as its badge)."""
    if box in WORK_BOXES:
        return {key: count for key, _label, count in inbox_counts(session, user)}[box]
    return version.remembered(
        session, "incoming:inbox", (user.id, today_local(), box),
        lambda: session.scalar(select(func.count()).select_from(
            inbox_query(user, box).subquery())),
        skipping=REGISTERED_WITH_FILES if lines_only(user, box) else ())


class OverdueItem(NamedTuple):
    """One overdue piece of work on the overdue page and in the overdue report."""
    department: object  # the unit holding the line (None for a document waiting)
    person: object  # the person holding it (the leader it was presented to), or None
    line: object  # the assignment line, None for a document waiting
    document: object
    days: int  # days late
    kind: str  # deadlines.LINE, DIRECTION (Chờ chỉ đạo) or PRESENTATION (Chờ trình)
    deadline: date

    @property
    def task(self):
        """What is late: the line's role, or the step the document waits for."""
        if self.kind == deadlines.DIRECTION:
            return _l("Chờ chỉ đạo")
        if self.kind == deadlines.PRESENTATION:
            return _l("Chờ trình")
        return self.line.role_label

    @property
    def urgent(self):
        return self.document.is_urgent


OVERDUE_PAGE = 50  # pieces of work a page of the overdue list
OVERDUE_GROUPS = {deadlines.DIRECTION: _l("Chờ chỉ đạo của lãnh đạo"),
                  deadlines.PRESENTATION: _l("Chờ trình lãnh đạo (văn thư)")}


def _overdue_rows(user, unit_id, today, items=None, keyed=False):
    """The overdue work items the user may see (of one unit), in the page's order: the
    documents waiting for a direction first, then those waiting to be presented, then the
    lines by unit and person, the oldest deadline first. `items`: deadlines.overdue_items of
    them already named in the statement (_overdue_opening); `keyed`: with the keys of that
    order as columns too (key_0, key_1…)."""
    if items is None:
        items = deadlines.overdue_items(today, visible_incoming(user), unit_id)
    holder = aliased(EofficeUser)
    order = (items.c.rank, items.c.unit_id.is_(None), Department.sort_order, Department.name,
             items.c.person_id.is_not(None), holder.first_name, holder.last_name,
             items.c.person_id, items.c.deadline, items.c.document_id, items.c.line_id)
    return (select(items.c.kind, items.c.document_id, items.c.line_id, items.c.unit_id,
                   items.c.person_id, items.c.deadline,
                   *([key.label(f"key_{n}") for n, key in enumerate(order)] if keyed else []))
            .select_from(items)
            .outerjoin(Department, Department.id == items.c.unit_id)
            .outerjoin(holder, holder.id == items.c.person_id)
            .order_by(*order))


def _overdue_items(session, rows, today) -> list[OverdueItem]:
    """OverdueItems of rows of _overdue_rows, their records loaded in one statement each."""
    documents = rows_by_id(session, IncomingDocument, [row[1] for row in rows])
    lines = rows_by_id(session, IncomingAssignment, [row[2] for row in rows])
    people = rows_by_id(session, EofficeUser, [row[4] for row in rows])
    units = rows_by_id(session, Department, [row[3] for row in rows])
    result = []
    for kind, document_id, line_id, unit_id, person_id, deadline in rows:
        document = documents[document_id]
        deadline = deadline if isinstance(deadline, date) else \
            date.fromisoformat(str(deadline)[:10])  # SQLite gives a UNION's date as text
        person = document.submitted_to if kind == deadlines.DIRECTION else people.get(person_id)
        result.append(OverdueItem(units.get(unit_id), person, lines.get(line_id), document,
                                  (today - deadline).days, kind, deadline))
    return result


def overdue_lines(session, user, *, unit_id=None, offset=0, limit=None) -> list[OverdueItem]:
    """A page (`offset`, `limit`: OVERDUE_PAGE) of the overdue work on the documents the user
    may see (of one unit: `unit_id`), in the order of _overdue_rows. A line passed to an
    officer shows through the officer's line (app.documents.deadlines.overdue_items). The
    page's rows are remembered for this version of the data (app.audit.version): sorting the
    late work of a decade is done once, not at each look. The first page comes with the
    summary (_overdue_opening)."""
    today = today_local()
    limit = OVERDUE_PAGE if limit is None else limit
    if offset == 0 and limit == OVERDUE_PAGE:
        rows = _overdue_opening(session, user, unit_id, today)[2]
    else:
        rows = version.remembered(
            session, "incoming:overdue-page", (user.id, unit_id, today, offset, limit),
            lambda: [tuple(row) for row in session.execute(
                _overdue_rows(user, unit_id, today).offset(offset).limit(limit))])
    return _overdue_items(session, rows, today)


def all_overdue_lines(session, user, *, unit_id=None, chunk=500):
    """Every overdue piece of work, as overdue_lines orders them, streamed `chunk` rows at a
    time (the overdue report's spreadsheet)."""
    today = today_local()
    result = session.execute(_overdue_rows(user, unit_id, today),
                             execution_options={"yield_per": chunk})
    for rows in result.partitions():
        yield from _overdue_items(session, rows, today)


def _overdue_opening(session, user, unit_id, today) -> tuple[int, list, list]:
    """The overdue page as it opens (remembered for this version of the data): (documents,
    [(kind, unit_id, rank, documents, pieces)] of overdue_summary's groups, rows of the first
    page of _overdue_rows).

    Counted in two parts, by the documents' month of arrival. The months before this one are
    kept under what they depend on — their versions, who is in which unit and what is shown of
    people and units (app.documents.arrival_months), the reader's visibility rules and the
    day — across every other change: a registration (the change of every working minute)
    arrives in this month, or stamps the older month it is dated in; a notice, a catalog's
    edit, a dossier change none of them. This month's are counted afresh at each version of
    the data. The two add up: a document arrived in one month. Without the months' versions,
    counted whole."""
    key = (user.id, unit_id, today, OVERDUE_PAGE)
    this_month = today.replace(day=1)
    settled_stamps = arrival_months.settled(session, this_month.strftime("%Y-%m"))
    visible = visible_incoming(user)
    if settled_stamps is None:
        return version.remembered(session, "incoming:overdue", key, lambda: _plain_opening(
            _overdue_counted(session, user, unit_id, today, visible)))
    boundary = local_to_utc(datetime.combine(this_month, datetime.min.time()))
    arrival = IncomingDocument.arrival_at

    def both():
        dialect = session.get_bind().dialect
        settled_key = ":".join(str(part) for part in (
            "incoming:overdue-settled", *key, this_month,
            hashlib.sha1(repr(settled_stamps).encode()).hexdigest()[:16],
            conditions_digest([visible], dialect)))
        settled = cache.get(settled_key)
        if settled is None:
            settled = _overdue_counted(session, user, unit_id, today,
                                       and_(visible, arrival < boundary))
            cache.set(settled_key, settled)
        arrived = aliased(IncomingDocument)
        recent = _overdue_counted(session, user, unit_id, today,
                                  and_(visible, arrival >= boundary),
                                  select(arrived.id).where(arrived.arrival_at >= boundary))
        return _plain_opening(_added(session, settled, recent))

    return version.remembered(session, "incoming:overdue", key, both)


def _overdue_counted(session, user, unit_id, today, visible,
                     documents=None) -> tuple[int, list, list]:
    """(documents, groups, first page) of the overdue work of the documents `visible` (the
    reader's, of some months), in one statement: the work items are found once for the groups
    and the page — the visibility tested on the documents being processed is most of the time,
    which the groups and the page used to pay each (2 × 130 ms for a unit leader after a
    change). `documents`: a SELECT of the few documents whose work it is (deadlines.
    overdue_items). The page's rows carry the keys of their order (_overdue_rows) for
    _added."""
    items = deadlines.overdue_items(today, visible, unit_id, shared=True, documents=documents)
    total = select(func.count(func.distinct(items.c.document_id))).scalar_subquery()
    page = _overdue_rows(user, unit_id, today, items, keyed=True) \
        .limit(OVERDUE_PAGE).subquery()
    keys = [column for column in page.c if column.name.startswith("key_")]
    groups = (select(literal(0).label("part"), items.c.kind, items.c.unit_id,
                     func.min(items.c.rank).label("rank"),
                     func.count(func.distinct(items.c.document_id)).label("documents"),
                     func.count().label("pieces"), total.label("total"),
                     null().label("document_id"), null().label("line_id"),
                     null().label("person_id"), null().label("deadline"),
                     null().label("position"), *[null().label(key.name) for key in keys])
              .group_by(items.c.kind, items.c.unit_id))
    # the page's rows numbered in their order (a union keeps no order of its own): the
    # fifty chosen by a top-N sort, then numbered by the same keys
    position = func.row_number().over(order_by=keys)
    rows = (select(literal(1), page.c.kind, page.c.unit_id, null(), null(), null(), null(),
                   page.c.document_id, page.c.line_id, page.c.person_id, page.c.deadline,
                   position, *keys)
            .select_from(page))
    both = union_all(groups, rows).subquery()
    found = session.execute(select(both).order_by(both.c.part, both.c.position)).all()
    grouped = [tuple(row[1:6]) for row in found if row[0] == 0]
    first = [(row.kind, row.document_id, row.line_id, row.unit_id, row.person_id,
              row.deadline, tuple(row[12:])) for row in found if row[0] == 1]
    total = next((row.total for row in found if row[0] == 0), 0)
    return total, grouped, first


def _added(session, settled, recent) -> tuple[int, list, list]:
    """The overdue work of two sets of months as one (_overdue_counted's parts): the totals
    and each group's documents and pieces add up, the first page is the first of both pages
    in the order of their keys (NULLs where the database puts them: PostgreSQL last, SQLite
    first; names compared as text, as overdue_summary orders the groups)."""
    nulls_last = session.get_bind().dialect.name == "postgresql"

    def order(row):
        return tuple(((value is None) is nulls_last, 0 if value is None else value)
                     for value in row[6])

    groups = {}
    for kind, unit_id, rank, documents, pieces in (*settled[1], *recent[1]):
        if (kind, unit_id) in groups:
            _k, _u, was_rank, was_documents, was_pieces = groups[(kind, unit_id)]
            rank, documents, pieces = min(rank, was_rank), documents + was_documents, \
                pieces + was_pieces
        groups[(kind, unit_id)] = (kind, unit_id, rank, documents, pieces)
    first = sorted((*settled[2], *recent[2]), key=order)[:OVERDUE_PAGE] if recent[2] \
        else settled[2]
    return settled[0] + recent[0], list(groups.values()), first


def _plain_opening(counted) -> tuple[int, list, list]:
    """_overdue_opening's answer: the page's rows without their keys."""
    total, grouped, first = counted
    return total, grouped, [row[:6] for row in first]


def overdue_summary(session, user, *, unit_id=None) -> tuple[int, list]:
    """(documents, groups) of the overdue work the user may see (of one unit): how many
    documents are overdue (the dashboard's headline), and per group — documents waiting for a
    direction, waiting to be presented, then each unit — [(kind, unit or None, documents,
    pieces of work)], in the order of overdue_lines. A document late in two units counts in
    each. Remembered for this version of the data, like the pages."""
    today = today_local()
    total, rows, _page = _overdue_opening(session, user, unit_id, today)
    units = {d.id: d for d in session.scalars(select(Department).where(
        Department.id.in_({r[1] for r in rows if r[1] is not None})))} if rows else {}

    def order(row):
        unit = units.get(row[1])
        return (row[2], unit is None, unit.sort_order if unit else 0,
                unit.name if unit else "")

    return total, [(kind, units.get(unit_id), documents, count)
                   for kind, unit_id, _rank, documents, count in sorted(rows, key=order)]


# ---------------------------------------------------------------- processing status (Art. 6.1b)
# The status of each tracked line, for the dashboard's charts, the reports and the list's
# drill-down; "overdue" here is app.documents.deadlines.overdue_line, as everywhere.

ON_TIME, LATE, IN_TIME, OVERDUE = "on_time", "late", "in_time", "overdue"
PROCESSING_STATUSES = {
    ON_TIME: _l("Hoàn thành đúng hạn"),
    LATE: _l("Hoàn thành quá hạn"),
    IN_TIME: _l("Đang xử lý trong hạn"),
    OVERDUE: _l("Quá hạn"),
}


def tracked_line():
    """The lines whose processing is measured: work (not FYI), completed or still open on a
    document being processed (a returned line was handed back; its successor counts)."""
    return and_(IncomingAssignment.role.in_(deadlines.WORK_ROLES), or_(
        IncomingAssignment.state == DONE,
        and_(IncomingAssignment.state == OPEN, IncomingDocument.state == IN_PROGRESS)))


def line_status(today):
    """SQL CASE giving a tracked line's status: ON_TIME, LATE, IN_TIME or OVERDUE. A line is
    completed late when its completion date (Vietnam time) is after its deadline."""
    from app.core.sqltime import local_date

    deadline = effective_deadline()
    done = IncomingAssignment.state == DONE
    return case(
        (overdue_line(today), OVERDUE),
        (and_(done, local_date(IncomingAssignment.completed_at) > deadline), LATE),
        (done, ON_TIME),
        else_=IN_TIME)


def unit_people(session, unit_id) -> list[int]:
    """Everyone in the unit, active or not (the lines they hold count for it)."""
    return list(session.scalars(select(EofficeUser.id).where(
        EofficeUser.department_id == unit_id).order_by(EofficeUser.id)))


def line_of_unit(unit_id, people):
    """The line is held by the unit: given to it, or to one of its people (`people`:
    unit_people). The people as a list of ids, not a subquery: PostgreSQL then reads the
    unit's lines through the unit's and the people's indexes, and knows how many there are
    (behind a subquery it read a decade's 1.6 million lines: 482 → 276 ms for a unit
    leader's year of processing figures)."""
    return or_(IncomingAssignment.department_id == unit_id,
               *([IncomingAssignment.user_id.in_(people)] if people else []))


def documents_of_unit(unit_id, people):
    """The document has a tracked line held by the unit (a unit leader's figures)."""
    return select(IncomingAssignment.id).where(
        IncomingAssignment.document_id == IncomingDocument.id, tracked_line(),
        line_of_unit(unit_id, people)).exists()


def _row_id(value):
    value = (value or "").strip()
    return int(value) if value.isdecimal() and int(value) < 2**31 else None


def drill_down_conditions(session, args) -> list:
    """Conditions of the grid's optional query parameters, used by the dashboard's links:
    from/to (arrival date, dd/mm/yyyy), type, field ("none": no field), agency, and unit /
    person with status (a processing status of their lines). Unknown values are ignored."""
    conditions = []
    start, end = to_date(args.get("from")), to_date(args.get("to"))
    if start:
        conditions.append(IncomingDocument.arrival_at >= local_to_utc(
            datetime.combine(start, datetime.min.time())))
    if end:
        conditions.append(IncomingDocument.arrival_at < local_to_utc(
            datetime.combine(end + timedelta(days=1), datetime.min.time())))
    for name, column in (("type", IncomingDocument.document_type_id),
                         ("agency", IncomingDocument.agency_id),
                         ("field", IncomingDocument.field_id)):
        if name == "field" and args.get(name) == "none":
            conditions.append(column.is_(None))
        elif _row_id(args.get(name)) is not None:
            conditions.append(column == _row_id(args.get(name)))
    unit, person = _row_id(args.get("unit")), _row_id(args.get("person"))
    status = args.get("status")
    if conditions or unit is not None or person is not None or status in PROCESSING_STATUSES:
        conditions.append(IncomingDocument.state != PENDING)  # the dashboard counts registered
    if unit is None and person is None and status not in PROCESSING_STATUSES:
        return conditions
    people = unit_people(session, unit) if unit is not None else []
    if unit is not None and person is None and status not in PROCESSING_STATUSES:
        return conditions + [documents_of_unit(unit, people)]
    line = [IncomingAssignment.document_id == IncomingDocument.id, tracked_line()]
    if unit is not None:
        line += [line_of_unit(unit, people)]
        if person is None:  # the unit's own line, as the dashboard counts it
            line += [IncomingAssignment.parent_id.is_(None)]
    if person is not None:
        line += [IncomingAssignment.user_id == person]
    if status in PROCESSING_STATUSES:
        line += [line_status(today_local()) == status]
    conditions.append(select(IncomingAssignment.id).where(*line).exists())
    return conditions


def is_overdue(document, today=None) -> bool:
    """The document is overdue (app.documents.deadlines: an open work line past its deadline,
    or waiting for a direction or to be presented past the document's deadline)."""
    return deadlines.is_overdue(document, today)


def search_condition(text: str):
    """Case- and accent-insensitive match on number/symbol, excerpt, agency and file text,
    through the full-text index (app.core.search)."""
    return search.matches(IncomingDocument, text)


def departments(session):
    return list(session.scalars(select(Department).where(Department.active.is_(True))
                                .order_by(Department.sort_order)))


def agency_quick_add(session, name: str):
    """The clerk adds an issuing agency without leaving the form (or finds it by name)."""
    name = nfc((name or "").strip())
    existing = session.scalar(select(Agency).where(func.lower(Agency.name) == name.lower()))
    if existing:
        return existing
    agency = Agency(name=name)
    session.add(agency)
    session.flush()
    return agency
