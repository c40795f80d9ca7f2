"""Work dossiers: the rules, as plain functions that take the acting user and the session.
The web pages, the REST API and the demo data all call these.

Who may move a dossier between its states is the transition table below; who sees a dossier
is app.dossiers.access; who may change an open dossier is `can_edit`."""
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm import object_session as session_of

from app.catalogs.models import Field, RetentionPeriod
from app.core import search
from app.core.errors import DomainError, FormErrors
from app.core.text import fold, nfc
from app.core.timefmt import today_local, utcnow
from app.security.access import may
from app.documents.models import IncomingDocument
from app.dossiers import access, workflow
from app.dossiers.models import (
    CLOSED, DRAFT, HANDED_OVER, INCOMING, ITEM_KINDS, OPEN, OUTGOING, STATUSES, Dossier,
    DossierEvent, DossierItem, DossierPlanItem,
)
from app.org.models import EofficeUser
from app.outgoing.models import Draft, DraftVersion, OutgoingDocument

TITLE_MAX, CODE_MAX, HEADING_MAX, SHEETS_MAX, ITEM_NOTES_MAX = 500, 30, 200, 30, 500
CLOSED_MESSAGE = _l("Hồ sơ đã đóng nên không thể sửa, thêm hoặc bỏ văn bản. Nếu cần, đề nghị "
                    "lãnh đạo văn phòng mở lại hồ sơ.")
HANDED_OVER_MESSAGE = _l("Hồ sơ đã nộp lưu vào lưu trữ cơ quan nên không thể sửa, thêm hoặc bỏ "
                         "văn bản.")
BAD_CODE = _l("Số, ký hiệu hồ sơ gồm số thứ tự, dấu chấm và ký hiệu đề mục, ví dụ 01.TCCB.")


def _event(dossier, user, action, from_status=None, note=None):
    dossier.events.append(DossierEvent(
        actor_id=user.id if user else None, action=action, from_status=from_status,
        to_status=dossier.status, note=str(note)[:2000] if note else None, at=utcnow()))
    if dossier.id is not None:  # the overdue notice is done once the dossier no longer is
        _tell_dossier(session_of(dossier), dossier, user)


def _check_editable(user, dossier):
    if dossier.status == CLOSED:
        raise DomainError(CLOSED_MESSAGE)
    if dossier.status == HANDED_OVER:
        raise DomainError(HANDED_OVER_MESSAGE)
    if not workflow.can_edit(user, dossier):
        raise DomainError(_l("Chỉ người lập hồ sơ, lãnh đạo đơn vị của hồ sơ hoặc lãnh đạo văn "
                             "phòng được thay đổi hồ sơ này."))


def apply_action(session, user, dossier, action, note=None):
    """Close, hand over or reopen, as the table allows; recorded in the history."""
    transition = workflow.transition_for(dossier, action)
    if transition is None:
        raise DomainError(_l("Không thể thực hiện thao tác này với hồ sơ ở trạng thái "
                             "«%(status)s».", status=dossier.status_label))
    if action == "handover" and not workflow.is_archivable(dossier):
        raise DomainError(_l("Hồ sơ có thời hạn bảo quản dưới %(years)s năm không phải nộp lưu "
                             "vào lưu trữ cơ quan.", years=workflow.handover_min_years()))
    if not transition.may(user, dossier):
        raise DomainError({
            "close": _l("Chỉ người lập hồ sơ hoặc lãnh đạo đơn vị của hồ sơ được đóng hồ sơ."),
            "handover": _l("Chỉ văn phòng (lãnh đạo văn phòng, văn thư) đánh dấu hồ sơ đã nộp "
                           "lưu."),
            "reopen": _l("Chỉ lãnh đạo văn phòng được mở lại hồ sơ đã đóng."),
        }[action])
    note = nfc((note or "").strip()) or None
    if transition.note_required and not note:
        raise FormErrors({"note": [_l("Nhập lý do mở lại hồ sơ.")]})
    today = today_local()
    if action == "close":
        if not dossier.items:
            raise DomainError(_l("Hồ sơ chưa có văn bản nào nên chưa thể đóng."))
        dossier.end_date = dossier.end_date or max(today, dossier.start_date)
        dossier.closed_at = utcnow()
    elif action == "handover":
        dossier.handed_over_at = utcnow()
    elif action == "reopen":  # the work goes on: it ends again when the dossier is closed
        dossier.closed_at, dossier.end_date = None, None
    from_status = dossier.status
    dossier.status = transition.new_state
    _event(dossier, user, action, from_status, note)
    session.commit()
    return dossier


# ---------------------------------------------------------------- number and symbol

CODE_PATTERN = re.compile(r"^(\d{1,4})\s*\.\s*([^\W_](?:[\w.\-]*[^\W_])?)$")


def normalise_code(value) -> str | None:
    """'1.tccb' → '01.TCCB'; None when it is not an ordinal, a dot and an abbreviation."""
    value = nfc((value or "").strip())
    match = CODE_PATTERN.match(value)
    if not match or "_" in match.group(2):
        return None
    return f"{int(match.group(1)):02d}.{match.group(2).upper()}"


def check_code(value):
    """For the plan grid and its API: a message, or None."""
    if value and normalise_code(value) is None:
        return BAD_CODE
    return None


def _ordinals(session, year, abbreviation):
    codes = list(session.scalars(select(Dossier.code).where(Dossier.year == year)))
    codes += list(session.scalars(select(DossierPlanItem.code).where(
        DossierPlanItem.year == year)))
    found = []
    for code in codes:
        number, _dot, abbr = code.partition(".")
        if abbr == abbreviation and number.isdecimal():
            found.append(int(number))
    return found


def next_code(session, year, abbreviation) -> str | None:
    """The next free number for a heading abbreviation in the year (plan and dossiers)."""
    probe = normalise_code(f"1.{abbreviation or ''}")
    if probe is None:
        return None
    abbreviation = probe.partition(".")[2]
    return f"{max(_ordinals(session, year, abbreviation), default=0) + 1:02d}.{abbreviation}"


def check_plan_title(value):
    if value and len(value.strip()) > TITLE_MAX:
        return _l("Tiêu đề hồ sơ tối đa %(n)s ký tự.", n=TITLE_MAX)
    return None


def prepare_plan_item(item):
    """The rules of a line of the dossier plan (grid and REST): a well-formed number and
    symbol, stored in its normal form ('1.tccb' → '01.TCCB'), a title."""
    code = normalise_code(item.code)
    if code is None:
        raise DomainError(BAD_CODE, field="code")
    if len(code) > CODE_MAX:
        raise DomainError(_l("Số, ký hiệu hồ sơ tối đa %(n)s ký tự.", n=CODE_MAX), field="code")
    item.code = code
    item.heading = nfc((item.heading or "").strip()) or None
    if item.heading and len(item.heading) > HEADING_MAX:
        raise DomainError(_l("Đề mục tối đa %(n)s ký tự.", n=HEADING_MAX), field="heading")
    item.title = nfc((item.title or "").strip())
    if not item.title:
        raise DomainError(_l("Nhập tiêu đề hồ sơ."), field="title")
    message = check_plan_title(item.title)
    if message:
        raise DomainError(message, field="title")
    if item.year is None or not 2000 <= int(item.year) <= 2100:
        raise DomainError(_l("Năm không hợp lệ."), field="year")


# ---------------------------------------------------------------- validation

FIELDS = ["plan_item_id", "code", "abbreviation", "title", "field_id", "retention_id",
          "owner_id", "start_date", "end_date", "deadline", "notes"]


def _clean(data: dict) -> dict:
    clean = {k: nfc(v.strip()) if isinstance(v, str) else v for k, v in data.items()}
    return {k: (None if v == "" else v) for k, v in clean.items()}


def _int_or_error(data, key, errors):
    value = data.get(key)
    if value in (None, ""):
        return None
    number = access.row_id(value)
    if number is None:
        errors.setdefault(key, []).append(_l("Giá trị không hợp lệ."))
    return number


def validate(session, user, data: dict, dossier=None) -> dict:
    """All the rules of a dossier's details; raises FormErrors listing every problem."""
    data = _clean({k: data.get(k) for k in FIELDS if k in data})
    errors = {}
    for key in ("plan_item_id", "field_id", "retention_id", "owner_id"):
        data[key] = _int_or_error(data, key, errors)
    plan = session.get(DossierPlanItem, data["plan_item_id"]) if data["plan_item_id"] else None
    if data["plan_item_id"] and plan is None:
        errors.setdefault("plan_item_id", []).append(_l("Không tìm thấy mục trong danh mục hồ "
                                                        "sơ."))
    if plan is not None and dossier is None:  # opening from the plan: its values by default
        data["title"] = data.get("title") or plan.title
        data["retention_id"] = data.get("retention_id") or plan.retention_id
        data["code"] = data.get("code") or plan.code
        taken = session.scalar(select(Dossier).where(Dossier.plan_item_id == plan.id))
        if taken is not None:
            errors.setdefault("plan_item_id", []).append(_l(
                "Hồ sơ theo mục này của danh mục đã được mở: %(code)s.", code=taken.code))

    title = data.get("title")
    if not title:
        errors.setdefault("title", []).append(_l("Nhập tiêu đề hồ sơ."))
    elif len(title) > TITLE_MAX:
        errors.setdefault("title", []).append(_l("Tiêu đề hồ sơ tối đa %(n)s ký tự.",
                                                 n=TITLE_MAX))
    if not data.get("retention_id"):
        errors.setdefault("retention_id", []).append(_l("Chọn thời hạn bảo quản."))
    elif session.get(RetentionPeriod, data["retention_id"]) is None:
        errors.setdefault("retention_id", []).append(_l("Thời hạn bảo quản không hợp lệ."))
    if data.get("field_id") and session.get(Field, data["field_id"]) is None:
        errors.setdefault("field_id", []).append(_l("Lĩnh vực không hợp lệ."))

    start = data.get("start_date")
    if not start:
        errors.setdefault("start_date", []).append(_l("Nhập ngày bắt đầu."))
    elif not isinstance(start, date):
        errors.setdefault("start_date", []).append(_l("Ngày không hợp lệ."))
        start = None
    for key, message in (("end_date", _l("Ngày kết thúc không thể trước ngày bắt đầu.")),
                         ("deadline", _l("Hạn hoàn thành không thể trước ngày bắt đầu."))):
        value = data.get(key)
        if value is not None and not isinstance(value, date):
            errors.setdefault(key, []).append(_l("Ngày không hợp lệ."))
        elif value and start and value < start:
            errors.setdefault(key, []).append(message)
    if start and start > today_local() and dossier is None:
        errors.setdefault("start_date", []).append(_l("Ngày bắt đầu không thể ở tương lai."))

    # The owner: yourself; a unit leader may open one for a person of their unit; the office
    # leader for anyone.
    owner_id = data.get("owner_id") or (dossier.owner_id if dossier else user.id)
    owner = session.get(EofficeUser, owner_id)
    if owner is None or not owner.active:
        errors.setdefault("owner_id", []).append(_l("Người lập hồ sơ không hợp lệ."))
    elif owner.id != user.id and not (dossier is not None and owner.id == dossier.owner_id) \
            and not workflow.is_office_leader(user) and not (
                may(user, "can_read_unit", "Dossier") and user.department_id
                and owner.department_id == user.department_id):
        errors.setdefault("owner_id", []).append(_l(
            "Bạn chỉ có thể giao hồ sơ cho chính mình hoặc cho người của đơn vị mình phụ "
            "trách."))
    data["owner"] = owner

    year = plan.year if plan is not None else (
        start.year if start else (dossier.year if dossier else today_local().year))
    data["year"] = year
    code = data.get("code")
    if code:
        normal = normalise_code(code)
        if normal is None:
            errors.setdefault("code", []).append(BAD_CODE)
        elif len(normal) > CODE_MAX:
            errors.setdefault("code", []).append(_l("Số, ký hiệu hồ sơ tối đa %(n)s ký tự.",
                                                    n=CODE_MAX))
        else:
            data["code"] = normal
            _check_code_free(session, errors, normal, year, dossier, plan)
    elif "code" not in errors:
        abbreviation = data.get("abbreviation") or (
            owner.department.code if owner is not None and owner.department else None)
        suggested = next_code(session, year, abbreviation) if abbreviation else None
        if suggested is not None and len(suggested) > CODE_MAX:
            errors.setdefault("abbreviation", []).append(_l("Ký hiệu đề mục quá dài."))
        elif suggested is None:
            errors.setdefault("code", []).append(_l("Nhập số, ký hiệu hồ sơ, ví dụ 01.TCCB."))
        else:
            data["code"] = suggested
    if errors:
        raise FormErrors(errors)
    return data


def _check_code_free(session, errors, code, year, dossier, plan):
    other = select(Dossier.id).where(Dossier.year == year, Dossier.code == code)
    if dossier is not None:
        other = other.where(Dossier.id != dossier.id)
    if session.scalar(other):
        errors.setdefault("code", []).append(_l(
            "Số, ký hiệu hồ sơ %(code)s đã được dùng trong năm %(year)s.", code=code, year=year))
        return
    planned = session.scalar(select(DossierPlanItem).where(
        DossierPlanItem.year == year, DossierPlanItem.code == code))
    own_plan = plan or (dossier.plan_item if dossier is not None else None)
    if planned is not None and planned is not own_plan:
        errors.setdefault("code", []).append(_l(
            "Số, ký hiệu %(code)s đã có trong danh mục hồ sơ năm %(year)s (%(title)s): hãy mở "
            "hồ sơ từ danh mục.", code=code, year=year, title=planned.title))


def _integrity(session, error, data):
    session.rollback()
    if "code" in str(error.orig).lower() or "uq_dossier" in str(error.orig):
        raise FormErrors({"code": [_l("Số, ký hiệu hồ sơ %(code)s đã được dùng trong năm "
                                      "%(year)s.", code=data.get("code"),
                                      year=data.get("year"))]}) from error
    raise DomainError(_l("Không lưu được hồ sơ; vui lòng thử lại.")) from error


def refresh_search_text(dossier):
    parts = [dossier.code, dossier.title, dossier.notes or "",
             dossier.owner.full_name if dossier.owner else "",
             dossier.field.name if dossier.field else ""]
    dossier.search_text = fold(" ".join(p for p in parts if p))


# ---------------------------------------------------------------- writing

def open_dossier(session, user, data: dict):
    """Mở hồ sơ: from a line of the plan (its number, title and retention by default) or
    outside the plan (title, number, retention, creator, start date)."""
    if not workflow.can_create(user):
        raise DomainError(_l("Bạn không có quyền mở hồ sơ công việc."))
    data = validate(session, user, data)
    owner = data["owner"]
    dossier = Dossier(
        year=data["year"], code=data["code"], title=data["title"], field_id=data.get("field_id"),
        owner_id=owner.id, department_id=owner.department_id,
        retention_id=data["retention_id"], plan_item_id=data.get("plan_item_id"),
        start_date=data["start_date"], end_date=data.get("end_date"),
        deadline=data.get("deadline"), notes=data.get("notes"), status=OPEN,
        created_by_id=user.id)
    dossier.owner = owner
    if dossier.field_id:
        dossier.field = session.get(Field, dossier.field_id)
    refresh_search_text(dossier)
    session.add(dossier)
    _event(dossier, user, "open", None)
    try:
        session.commit()
    except IntegrityError as error:
        _integrity(session, error, data)
    return dossier


def update_dossier(session, user, dossier, data: dict):
    """Correct an open dossier's details (the unit follows the owner)."""
    _check_editable(user, dossier)
    current = {"plan_item_id": dossier.plan_item_id, "code": dossier.code,
               "title": dossier.title, "field_id": dossier.field_id,
               "retention_id": dossier.retention_id, "owner_id": dossier.owner_id,
               "start_date": dossier.start_date, "end_date": dossier.end_date,
               "deadline": dossier.deadline, "notes": dossier.notes}
    current.update({k: v for k, v in data.items() if k in FIELDS and k != "plan_item_id"})
    data = validate(session, user, current, dossier=dossier)
    owner = data["owner"]
    for key in ("year", "code", "title", "field_id", "retention_id", "start_date", "end_date",
                "deadline", "notes"):
        setattr(dossier, key, data.get(key))
    if owner.id != dossier.owner_id:
        dossier.owner_id, dossier.department_id = owner.id, owner.department_id
        dossier.owner = owner
    dossier.field = session.get(Field, dossier.field_id) if dossier.field_id else None
    refresh_search_text(dossier)
    _event(dossier, user, "update", dossier.status)
    try:
        session.commit()
    except IntegrityError as error:
        _integrity(session, error, data)
    return dossier


# ---------------------------------------------------------------- documents in a dossier

MODELS = {INCOMING: IncomingDocument, OUTGOING: OutgoingDocument, DRAFT: Draft}
ITEM_COLUMN = {INCOMING: "incoming_id", OUTGOING: "outgoing_id", DRAFT: "draft_id"}


def _describe(kind, document):
    return f"{ITEM_KINDS[kind]} {document_reference(kind, document)}"


def document_reference(kind, document):
    """The number of a filed document, as the dossier's history keeps it. Not its excerpt: the
    history is shown to everyone who sees the dossier, the content of a document only to
    whoever may see that document (the table of contents, toc_rows)."""
    if kind == DRAFT:
        return f"#{document.id}"
    return document.number_symbol


def _check_item_fields(sheets, notes):
    errors = {}
    if sheets and len(sheets) > SHEETS_MAX:
        errors["sheets"] = [_l("Tờ số tối đa %(n)s ký tự.", n=SHEETS_MAX)]
    if notes and len(notes) > ITEM_NOTES_MAX:
        errors["notes"] = [_l("Ghi chú tối đa %(n)s ký tự.", n=ITEM_NOTES_MAX)]
    if errors:
        raise FormErrors(errors)


def link_document(session, user, dossier, kind, document_id, sheets=None, notes=None):
    """File a document the user can see in an open dossier (once per dossier)."""
    _check_editable(user, dossier)
    if kind not in MODELS:
        raise FormErrors({"kind": [_l("Loại văn bản không hợp lệ.")]})
    document_id = access.row_id(document_id)
    sheets = nfc((sheets or "").strip()) or None
    notes = nfc((notes or "").strip()) or None
    _check_item_fields(sheets, notes)
    if kind != INCOMING:
        rule_outgoing, rule_draft = access.outgoing_rules()
        if (rule_outgoing if kind == OUTGOING else rule_draft) is None:
            raise DomainError(_l("Chưa thể thêm văn bản đi hoặc dự thảo vào hồ sơ: chức năng "
                                 "văn bản đi chưa sẵn sàng."))
    model = MODELS[kind]
    document = session.scalar(select(model).where(
        model.id == document_id, access.document_condition(kind, user))) if document_id \
        else None
    if document is None:
        raise DomainError(_l("Không tìm thấy văn bản, hoặc bạn không có quyền xem văn bản "
                             "này."))
    column = ITEM_COLUMN[kind]
    if any(getattr(item, column) == document.id for item in dossier.items):
        raise DomainError(_l("Văn bản này đã có trong hồ sơ."))
    position = max((item.position for item in dossier.items), default=0) + 1
    item = DossierItem(position=position, sheets=sheets, notes=notes, added_by_id=user.id,
                       added_at=utcnow(), **{column: document.id})
    dossier.items.append(item)
    _event(dossier, user, "link", dossier.status, _describe(kind, document))
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise DomainError(_l("Văn bản này đã có trong hồ sơ.")) from error
    return item


def _item(dossier, item_id):
    for item in dossier.items:
        if str(item.id) == str(item_id):
            return item
    raise DomainError(_l("Không tìm thấy văn bản này trong hồ sơ."))


def _renumber(items):
    for number, item in enumerate(items, start=1):
        item.position = number


def unlink_document(session, user, dossier, item_id):
    _check_editable(user, dossier)
    item = _item(dossier, item_id)
    description = _describe(item.kind, item.document) if item.document else ""
    dossier.items.remove(item)
    _renumber(dossier.items)
    _event(dossier, user, "unlink", dossier.status, description)
    session.commit()


def update_item(session, user, dossier, item_id, *, sheets=None, notes=None, position=None,
                keep=()):
    """Sheet numbers, notes and the place of a document in the dossier. Fields named in
    `keep` are left as they are."""
    _check_editable(user, dossier)
    item = _item(dossier, item_id)
    if "sheets" not in keep:
        sheets = nfc((sheets or "").strip()) or None
    else:
        sheets = item.sheets
    if "notes" not in keep:
        notes = nfc((notes or "").strip()) or None
    else:
        notes = item.notes
    _check_item_fields(sheets, notes)
    item.sheets, item.notes = sheets, notes
    if position not in (None, ""):
        try:
            position = int(position)
        except (TypeError, ValueError) as error:
            raise FormErrors({"position": [_l("Số thứ tự phải là số nguyên.")]}) from error
        items = [i for i in dossier.items if i is not item]
        position = min(max(position, 1), len(items) + 1)
        items.insert(position - 1, item)
        _renumber(items)
    _event(dossier, user, "item", dossier.status, _describe(item.kind, item.document))
    session.commit()
    return item


def move_item(session, user, dossier, item_id, direction):
    item = _item(dossier, item_id)
    step = -1 if direction == "up" else 1
    return update_item(session, user, dossier, item_id, position=item.position + step,
                       keep=("sheets", "notes"))


# ---------------------------------------------------------------- table of contents

@dataclass
class TocRow:
    """One line of the mục lục văn bản: No. | number/symbol | date | type and excerpt |
    author | sheet | notes."""
    number: int
    item: DossierItem
    kind: str
    number_symbol: str
    date: date | None
    type_excerpt: str
    author: str
    sheets: str
    notes: str
    visible: bool
    page_count: int | None


def _agency_name():
    from flask import current_app

    try:
        return current_app.config.get("AGENCY_NAME", "")
    except RuntimeError:  # outside an application
        return ""


def visible_items(session, user, dossier) -> set[int]:
    """Ids of the dossier's items whose document the user may see."""
    seen = set()
    for kind, column in ITEM_COLUMN.items():
        ids = {getattr(i, column) for i in dossier.items if getattr(i, column)}
        allowed = access.visible_document_ids(session, user, kind, ids)
        seen |= {i.id for i in dossier.items if getattr(i, column) in allowed}
    return seen


def _type_name(document):
    return document.document_type.name if getattr(document, "document_type", None) else ""


# What the table of contents reads of each kind of filed document (its author, type, files,
# latest version), loaded with the documents themselves.
TOC_LOADS = {
    INCOMING: (joinedload(IncomingDocument.agency), joinedload(IncomingDocument.document_type)),
    OUTGOING: (joinedload(OutgoingDocument.document_type),),
    DRAFT: (joinedload(Draft.document_type), joinedload(Draft.drafting_department),
            selectinload(Draft.versions).joinedload(DraftVersion.file)),
}


def load_documents(session, dossier) -> dict[str, dict[int, object]]:
    """{kind: {id: document}}: the documents filed in the dossier, with what the table of
    contents reads of them, in a few statements whatever their number (not one per
    document). An incoming document's files are read only for those with no page count of
    their own, as the table of contents does."""
    loaded = {}
    for kind, column in ITEM_COLUMN.items():
        ids = {getattr(i, column) for i in dossier.items if getattr(i, column)}
        if not ids:
            continue
        model = MODELS[kind]
        documents = session.scalars(select(model).where(model.id.in_(ids))
                                    .options(*TOC_LOADS[kind])).unique().all()
        if kind == INCOMING:
            counted = {d.id for d in documents if not d.page_count}
            if counted:
                session.scalars(select(IncomingDocument).where(
                    IncomingDocument.id.in_(counted)).options(
                    selectinload(IncomingDocument.files))).all()
        loaded[kind] = {d.id: d for d in documents}
    return loaded


def history(session, dossier):
    """The dossier's history, oldest first, with the people who acted (read at once)."""
    return list(session.scalars(
        select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)
        .order_by(DossierEvent.id).options(selectinload(DossierEvent.actor))))


def toc_rows(session, user, dossier) -> list[TocRow]:
    seen = visible_items(session, user, dossier)
    documents = load_documents(session, dossier)
    hidden = str(_l("(Không có quyền xem nội dung văn bản này)"))
    rows = []
    for number, item in enumerate(dossier.items, start=1):
        kind = item.kind
        doc = documents.get(kind, {}).get(item.document_id) or item.document
        if kind == INCOMING:
            reference, when, author = doc.number_symbol, doc.document_date, doc.agency.name
            pages = doc.page_count or sum(f.page_count or 0 for f in doc.files if f.is_pdf) \
                or None
        elif kind == OUTGOING:  # issued by the agency: the agency is the author, not the unit
            reference, when, author = doc.number_symbol, doc.issued_date, _agency_name()
            pages = doc.page_count
        else:
            version = doc.latest_version
            reference = str(_l("Dự thảo"))
            when = (version.uploaded_at if version else doc.created_at).date()
            author = doc.drafting_department.name if doc.drafting_department else ""
            pages = version.file.page_count if version and version.file else None
        visible = item.id in seen
        excerpt = f"{_type_name(doc)}: {doc.excerpt}" if _type_name(doc) else doc.excerpt
        rows.append(TocRow(number=number, item=item, kind=kind, number_symbol=reference,
                           date=when, type_excerpt=excerpt if visible else hidden,
                           author=author or "", sheets=item.sheets or "",
                           notes=item.notes or "", visible=visible, page_count=pages))
    return rows


# ---------------------------------------------------------------- reading, lists, overdue

def is_overdue(dossier, today=None) -> bool:
    today = today or today_local()
    return bool(dossier.status == OPEN and dossier.deadline and dossier.deadline < today)


def overdue_condition(today=None):
    today = today or today_local()
    return and_(Dossier.status == OPEN, Dossier.deadline.is_not(None), Dossier.deadline < today)


def visible_query(user):
    return select(Dossier).where(access.visible_dossier(user))


BOXES = [
    ("open", _l("Đang mở")),
    ("overdue", _l("Quá hạn")),
    ("closed", _l("Đã đóng")),
    ("handed_over", _l("Đã nộp lưu")),
    ("mine", _l("Hồ sơ của tôi")),
]


def box_condition(user, box):
    if box in STATUSES:
        return Dossier.status == box
    if box == "overdue":
        return overdue_condition()
    if box == "mine":
        return Dossier.owner_id == user.id
    raise DomainError(_l("Không có danh sách hồ sơ này."))


def item_counts(session, dossier_ids) -> dict[int, int]:
    """{dossier id: number of documents filed in it} for a page of dossiers."""
    if not dossier_ids:
        return {}
    return dict.fromkeys(dossier_ids, 0) | dict(session.execute(
        select(DossierItem.dossier_id, func.count(DossierItem.id))
        .where(DossierItem.dossier_id.in_(dossier_ids)).group_by(DossierItem.dossier_id)).all())


def box_counts(session, user) -> list[tuple[str, object, int]]:
    """[(box, label, dossiers)] of the boxes the user sees, counted in one statement."""
    counts = session.execute(select(*[
        func.count(case((box_condition(user, key), Dossier.id))) for key, _label in BOXES])
        .where(access.visible_dossier(user))).one()
    return [(key, label, count) for (key, label), count in zip(BOXES, counts, strict=True)]


def search_condition(text: str):
    """Case- and accent-insensitive match on number/symbol, title, notes, owner, field."""
    words = fold(text).split()
    conditions = [Dossier.search_text.contains(w, autoescape=True) for w in words]
    return and_(*conditions) if conditions else True


def plan_items(session, year=None):
    query = select(DossierPlanItem).order_by(DossierPlanItem.year.desc(), DossierPlanItem.code)
    if year:
        query = query.where(DossierPlanItem.year == year)
    return list(session.scalars(query))


def plan_dossiers(session, user, plan_ids) -> dict[int, list[tuple[int, str, bool]]]:
    """{plan line id: [(dossier id, number and symbol, whether `user` may see it)]}: the
    dossiers opened from these lines of the plan, in one statement (the visibility by the one
    rule, app.dossiers.access)."""
    if not plan_ids:
        return {}
    visible = case((access.visible_dossier(user), True), else_=False)
    found = {}
    for plan_id, dossier_id, code, seen in session.execute(
            select(Dossier.plan_item_id, Dossier.id, Dossier.code, visible)
            .where(Dossier.plan_item_id.in_(plan_ids)).order_by(Dossier.id)):
        found.setdefault(plan_id, []).append((dossier_id, code, bool(seen)))
    return found


def open_plan_items(session, year=None):
    """Lines of the plan for which no dossier has been opened yet."""
    year = year or today_local().year
    used = select(Dossier.plan_item_id).where(Dossier.plan_item_id.is_not(None))
    return list(session.scalars(select(DossierPlanItem).where(
        DossierPlanItem.year == year, DossierPlanItem.id.not_in(used))
        .order_by(DossierPlanItem.code)))


def assignable_owners(session, user):
    """People the user may make owner of a dossier."""
    query = select(EofficeUser).where(EofficeUser.active.is_(True))
    if workflow.is_office_leader(user):
        pass
    elif may(user, "can_read_unit", "Dossier") and user.department_id:
        query = query.where(EofficeUser.department_id == user.department_id)
    else:
        query = query.where(EofficeUser.id == user.id)
    from app.core.text import vietnamese_sort_key

    return sorted(session.scalars(query), key=lambda p: vietnamese_sort_key(p.full_name))


# ---------------------------------------------------------------- finding documents to file

@dataclass
class Candidate:
    kind: str
    id: int
    number_symbol: str
    date: date | None
    excerpt: str

    @property
    def kind_label(self):
        return ITEM_KINDS[self.kind]


def find_documents(session, user, dossier, text="", limit=15, kinds=None) -> list[Candidate]:
    """Documents the user may see and could file in the dossier (newest first, `limit` of
    each kind): a search on number/symbol and excerpt (accent-insensitive for incoming and
    outgoing documents)."""
    text = nfc((text or "").strip())[:200]
    kinds = kinds or list(ITEM_KINDS)
    found = []
    have = {kind: {getattr(i, column) for i in dossier.items if getattr(i, column)}
            for kind, column in ITEM_COLUMN.items()}

    def candidates(kind, model, visible, matching, number, when):
        """The newest `limit` rows of `model` the user may see (`matching()` the text), not in
        the dossier yet."""
        query = select(model).where(visible)
        if text:
            query = query.where(matching())
        if have[kind]:
            query = query.where(model.id.not_in(have[kind]))
        query = query.options(selectinload(model.document_type))  # not one query per row
        for doc in session.scalars(query.order_by(model.id.desc()).limit(limit)):
            found.append(Candidate(kind, doc.id, number(doc), when(doc),
                                   f"{_type_name(doc)}: {doc.excerpt}"))

    if INCOMING in kinds:
        candidates(INCOMING, IncomingDocument, access.document_condition(INCOMING, user),
                   lambda: search.matches(IncomingDocument, text),
                   lambda doc: doc.number_symbol, lambda doc: doc.document_date)
    rule_outgoing, rule_draft = access.outgoing_rules()
    if OUTGOING in kinds and rule_outgoing is not None:  # the same full text as incoming
        candidates(OUTGOING, OutgoingDocument, rule_outgoing(user),
                   lambda: search.matches(OutgoingDocument, text),
                   lambda doc: doc.number_symbol, lambda doc: doc.issued_date)
    if DRAFT in kinds and rule_draft is not None:
        candidates(DRAFT, Draft, rule_draft(user),
                   lambda: and_(*[func.lower(Draft.excerpt).contains(w, autoescape=True)
                                  for w in text.lower().split()]),
                   lambda doc: str(_l("Dự thảo")),
                   lambda doc: doc.created_at.date() if doc.created_at else None)
    return found


# ---------------------------------------------------------------- notices (app.notifications)

def _tell_dossier(session, dossier, user):
    """The actor's notices about the dossier are done; everyone's overdue notice is done once
    the dossier is closed or its deadline moved (app.dossiers.reminders gives them)."""
    from app.notifications.services import settle, settle_all

    subject = f"dossier:{dossier.id}"
    settle(session, user, subject)
    if not is_overdue(dossier):
        settle_all(session, subject, ("dossier.overdue",))
