"""Drafts, their approval, the office's final check, issuance by the clerk, distribution,
recall and replacement. Plain functions taking the acting user and the session; the web
views, the REST API and the demo data call them."""
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.catalogs.models import Agency, DocumentType, Register, SecrecyLevel, Signer, UrgencyLevel
from app.core import search, storage
from app.core.errors import DomainError, FormErrors
from app.core.text import fold, nfc, number_symbol_key
from app.core.timefmt import utcnow
from app.documents.numbering import begin_numbering, peek_next_number, take_next_number
from app.notifications.services import notify, people_of, quote, settle, settle_all
from app.security.access import people_with
from app.org.models import Department, EofficeUser
from app.outgoing import symbols, workflow
from app.outgoing.access import visible_outgoing
from app.security.access import may
from app.outgoing.models import (
    APPROVED, DISPATCH_PENDING, DISPATCHED, DRAFTER_FILE, DRAFTING, EXTERNAL, INTERNAL_UNIT,
    INTERNAL_USER, ISSUED, ISSUED_STATE, RECALLED, REPLACED, SIGNED_SCAN, SIGNER_REVIEW,
    UNIT_REVIEW, Draft, DraftEvent, DraftVersion, OutgoingDocument, OutgoingFile,
    OutgoingRecipient,
)

DRAFT_FIELDS = ["document_type_id", "excerpt", "field_id", "urgency_id", "secrecy_id",
                "signer_id", "drafting_department_id", "reply_to_id", "replaces_id", "notes"]


# ---------------------------------------------------------------- drafts

def _event(draft, user, action, from_state, note=None):
    draft.events.append(DraftEvent(actor_id=user.id, action=action, from_state=from_state,
                                   to_state=draft.state, note=str(note) if note else None,
                                   at=utcnow()))
    _tell_draft(draft, user, from_state, note)


def _clean(data):
    clean = {k: nfc(v.strip()) if isinstance(v, str) else v for k, v in data.items()}
    return {k: (None if v == "" else v) for k, v in clean.items()}


def _reference(session, user, value, get_visible):
    """The record an id typed in a form or a JSON body points to, if the caller may see it;
    None for anything else (not a number, out of range, missing, not visible)."""
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return get_visible(session, user, number) if 0 < number < 2**31 else None


def check_references(session, user, data: dict, draft=None) -> dict:
    """reply_to_id and replaces_id are checked against the caller's visibility before they are
    stored: an incoming document the caller may see; an issued outgoing document the caller
    may see (only those may be replaced). A reference the draft already has is kept as it is.
    Refused like a record that does not exist: never stored, never shown."""
    from app.documents.access import get_visible as get_visible_incoming
    from app.outgoing.access import get_visible_outgoing

    errors = {}
    for key in ("reply_to_id", "replaces_id"):
        value = data.get(key)
        if value is None or (draft is not None and value == getattr(draft, key)):
            continue
        if key == "reply_to_id":
            found = _reference(session, user, value, get_visible_incoming)
            if found is None:
                errors[key] = [_l("Không tìm thấy văn bản đến này, hoặc bạn không có quyền "
                                  "xem văn bản này.")]
        else:
            found = _reference(session, user, value, get_visible_outgoing)
            if found is None:
                errors[key] = [_l("Không tìm thấy văn bản đi này, hoặc bạn không có quyền "
                                  "xem văn bản này.")]
            elif found.state != ISSUED_STATE:
                errors[key] = [_l("Chỉ thay thế được văn bản đang có hiệu lực.")]
        if found is not None and key not in errors:
            data[key] = found.id
    return errors


def validate_draft(session, data: dict, user, draft=None) -> dict:
    data = _clean(data)
    errors = check_references(session, user, data, draft)
    for field, message in (("document_type_id", _l("Chọn loại văn bản.")),
                           ("excerpt", _l("Nhập trích yếu nội dung.")),
                           ("urgency_id", _l("Chọn độ khẩn.")),
                           ("secrecy_id", _l("Chọn độ mật.")),
                           ("drafting_department_id", _l("Chọn đơn vị soạn thảo."))):
        if not data.get(field):
            errors[field] = [message]
    if data.get("signer_id"):
        signer = session.get(Signer, data["signer_id"])
        if signer is None or not signer.active:
            errors["signer_id"] = [_l("Người ký không hợp lệ.")]
        elif signer.user_id is None:
            errors["signer_id"] = [_l("Người ký chưa gắn với tài khoản nên không duyệt được.")]
    if errors:
        raise FormErrors(errors)
    return data


def _set_recipients(session, draft, data):
    if "internal_unit_ids" in data:
        draft.internal_units = list(session.scalars(select(Department).where(
            Department.id.in_(data["internal_unit_ids"] or []))))
    if "internal_user_ids" in data:
        draft.internal_users = list(session.scalars(select(EofficeUser).where(
            EofficeUser.id.in_(data["internal_user_ids"] or []))))
    if "external_agency_ids" in data:
        draft.external_agencies = list(session.scalars(select(Agency).where(
            Agency.id.in_(data["external_agency_ids"] or []))))


def create_draft(session, user, data: dict, uploads=(), note=None):
    """An officer or a leader starts a draft (optionally with its first file)."""
    data.setdefault("drafting_department_id", user.department_id)
    data = validate_draft(session, data, user)
    checked = _check_draft_files(uploads)
    with storage.saving_files(session) as store:
        draft = Draft(**{k: data.get(k) for k in DRAFT_FIELDS}, drafter_id=user.id,
                      state=DRAFTING)
        session.add(draft)
        _set_recipients(session, draft, data)
        _event(draft, user, "create", None)
        _add_versions(draft, store, user, checked, note)
    return draft


def _check_draft_files(uploads):
    try:
        return storage.check_files(uploads, allowed=storage.ANY_DOCUMENT)
    except storage.FileErrors as error:
        raise FormErrors({"files": error.messages}) from error


def _add_versions(draft, store, user, checked, note=None):
    if checked:
        _clear_check(draft)  # the office checked another version
    for data, info in checked:
        number = len(draft.versions) + 1
        draft.versions.append(DraftVersion(number=number, file=store(user, data, info),
                                           note=nfc(note) if note else None,
                                           uploaded_by_id=user.id, uploaded_at=utcnow()))
        _event(draft, user, "upload", draft.state, _l("Phiên bản %(n)s", n=number))


def update_draft(session, user, draft, data: dict, uploads=(), note=None):
    if not workflow.allowed(user, draft, "edit"):
        raise DomainError(_l("Chỉ người soạn thảo sửa được dự thảo khi đang soạn thảo."))
    data = validate_draft(session, {**{k: getattr(draft, k) for k in DRAFT_FIELDS}, **data},
                          user, draft)
    checked = _check_draft_files(uploads)
    with storage.saving_files(session) as store:
        for key in DRAFT_FIELDS:
            setattr(draft, key, data.get(key))
        _set_recipients(session, draft, data)
        _clear_check(draft)  # what the office checked has changed
        _event(draft, user, "edit", draft.state)
        _add_versions(draft, store, user, checked, note)
    return draft


def upload_version(session, user, draft, uploads, note=None):
    """Each upload is a new version; earlier ones are kept. The drafter uploads while drafting;
    reviewers may upload a corrected version while it is with them."""
    reviewing = (draft.state == UNIT_REVIEW and workflow.leads_drafting_unit(user, draft)) or (
        draft.state == SIGNER_REVIEW and workflow.is_signer(user, draft))
    if not (workflow.allowed(user, draft, "edit") or reviewing):
        raise DomainError(_l("Bạn không thể tải lên phiên bản mới ở bước này."))
    checked = _check_draft_files(uploads)
    if not checked:
        raise FormErrors({"files": [_l("Chọn tệp dự thảo.")]})
    with storage.saving_files(session) as store:
        _add_versions(draft, store, user, checked, note)


def comment(session, user, draft, note):
    note = nfc((note or "").strip())
    if not note:
        raise FormErrors({"note": [_l("Nhập nội dung góp ý.")]})
    _event(draft, user, "comment", draft.state, note)
    session.commit()


def missing_for_issuance(draft) -> list:
    """The office leader's final check (Art. 7.1d): what is still missing or inconsistent in
    the draft's form before it may be issued (Decree 30, Annex I)."""
    problems = []
    excerpt = (draft.excerpt or "").strip()
    if not excerpt:
        problems.append(_l("Chưa có trích yếu."))
    if draft.document_type is None:
        problems.append(_l("Chưa chọn loại văn bản."))
    elif not draft.document_type.active:
        problems.append(_l("Loại văn bản «%(type)s» không còn dùng.",
                           type=draft.document_type.name))
    elif excerpt and is_official_letter(draft.document_type) \
            and not fold(excerpt).startswith("v/v"):
        problems.append(_l("Trích yếu của công văn phải bắt đầu bằng «V/v»."))
    if draft.signer is None:
        problems.append(_l("Chưa chọn người ký."))
    elif not draft.signer.active:
        problems.append(_l("Người ký không còn hiệu lực."))
    elif draft.signer.user_id is None:
        problems.append(_l("Người ký chưa gắn với tài khoản nên không duyệt được."))
    if not draft.versions:
        problems.append(_l("Chưa có tệp dự thảo."))
    if not (draft.internal_units or draft.internal_users or draft.external_agencies):
        problems.append(_l("Chưa có nơi nhận."))
    if draft.field is None:
        problems.append(_l("Chưa chọn lĩnh vực."))
    if draft.urgency is None:
        problems.append(_l("Chưa chọn độ khẩn."))
    if draft.secrecy is None:
        problems.append(_l("Chưa chọn độ mật."))
    elif draft.is_secret and draft.external_agencies and draft.secrecy.level >= 2:
        problems.append(_l("Văn bản Tối mật, Tuyệt mật không gửi qua mạng; chỉ gửi bản giấy."))
    if draft.replaces is not None and draft.replaces.state != ISSUED_STATE:
        problems.append(_l("Văn bản được thay thế không còn ở trạng thái đã phát hành."))
    return problems


def is_official_letter(document_type) -> bool:
    """Công văn (no abbreviation of its own): its excerpt reads "V/v …" (Decree 30, Annex I)."""
    return document_type is not None and not document_type.abbreviation \
        and fold(document_type.name) == "cong van"


def submit_problems(draft) -> list:
    """What a draft needs before it goes up the chain: its signer and its file."""
    problems = []
    if draft.signer is None:
        problems.append(_l("Chọn người ký trước khi trình."))
    if not draft.versions:
        problems.append(_l("Tải lên tệp dự thảo trước khi trình."))
    return problems


ACTIONS = ("comment", "submit", "forward", "return", "approve",  # issuing has its own form
           "check", "office_return")  # the office's check (Art. 7.1d)


def act(session, user, draft, action: str, note=None) -> None:
    """One entry point for the web and the API: a draft's step by name; one unit of work."""
    if action not in ACTIONS:
        raise DomainError(_l("Không có thao tác này."))
    if action == "comment":
        comment(session, user, draft, note)
    elif action in ("check", "office_return"):
        office_check(session, user, draft, action, note)
    else:
        apply(session, user, draft, action, note)


# ---------------------------------------------------------------- the office's check

def office_check_required() -> bool:
    """OFFICE_CHECK_REQUIRED: the office must have checked a draft before it is approved
    and issued (the agency's choice; off by default)."""
    return bool(current_app.config.get("OFFICE_CHECK_REQUIRED"))


def _clear_check(draft):
    draft.checked_at = draft.checked_by_id = draft.checked_version = None


def _not_checked_problem(draft):
    if office_check_required() and not draft.is_checked:
        return _l("Văn phòng chưa kiểm tra thể thức dự thảo này (Điều 7.1d): chờ lãnh đạo văn "
                  "phòng kiểm tra trước khi duyệt, phát hành.")
    return None


def office_check(session, user, draft, action, note=None):
    """The office leader's check (Art. 7.1d). "check": the draft's form is right — recorded
    with who, when and which version, in its history; the state does not change. A draft
    with problems is not marked checked. "office_return": back to the drafter with the
    comments (required), the check cleared, the drafter notified (as for any return)."""
    transition = workflow.transition_for(draft, action)
    if transition is None or not transition.may(user, draft):
        raise DomainError(_l("Bạn không thể kiểm tra dự thảo ở bước này: chỉ lãnh đạo văn "
                             "phòng kiểm tra dự thảo đang trình duyệt hoặc chờ phát hành."))
    note = nfc((note or "").strip())
    from_state = draft.state
    if action == "check":
        if draft.is_checked:
            raise DomainError(_l("Dự thảo này đã được kiểm tra."))
        problems = missing_for_issuance(draft)
        if problems:
            raise FormErrors({"state": [_l("Chưa thể xác nhận đã kiểm tra: %(p)s",
                                           p=" ".join(str(p) for p in problems))]})
        version = draft.latest_version
        draft.checked_at, draft.checked_by_id = utcnow(), user.id
        draft.checked_version = version.number if version else None
        _event(draft, user, "check", from_state,
               note or (_l("Phiên bản %(n)s", n=version.number) if version else None))
    else:
        if not note:
            raise FormErrors({"note": [_l("Nhập ý kiến khi trả lại dự thảo.")]})
        draft.state = transition.new_state
        _clear_check(draft)
        _event(draft, user, "office_return", from_state, note)  # the drafter is told there
    session.commit()


def apply(session, user, draft, action, note=None):
    """submit, forward, return (with a comment), approve."""
    transition = workflow.transition_for(draft, action)
    if transition is None or not transition.may(user, draft) or action in ("edit", "issue"):
        raise DomainError(_l("Bạn không thể thực hiện thao tác này với dự thảo ở bước hiện "
                             "tại."))
    note = nfc((note or "").strip())
    if action == "return" and not note:
        raise FormErrors({"note": [_l("Nhập ý kiến khi trả lại dự thảo.")]})
    if action == "submit":
        problems = submit_problems(draft)
        if problems:
            raise FormErrors({"state": problems})
    if action == "approve":
        problems = missing_for_issuance(draft)
        unchecked = _not_checked_problem(draft)
        if problems or unchecked:
            raise FormErrors({"state": problems + ([unchecked] if unchecked else [])})
    delegation = _signer_delegation(session, user, draft) \
        if action in ("approve", "return") and draft.state == SIGNER_REVIEW else None
    from_state = draft.state
    draft.state = transition.new_state
    if action == "submit" and may(user, "can_review_unit", "Draft") \
            and user.department_id == draft.drafting_department_id:
        draft.state = SIGNER_REVIEW  # the unit's leader drafted it: straight to the signer
    if action == "approve":
        draft.approved_delegation_id = delegation.id if delegation else None
    if delegation is not None:
        marked = delegation.acting_note()
        note = f"{marked}. {note}" if note else marked[:1].upper() + marked[1:]
        from app.security.delegation import record_acted_for

        record_acted_for(session, delegation, "draft", draft.id,
                         workflow.EVENT_LABELS.get(action, action))
    _event(draft, user, action, from_state, note or None)
    session.commit()


def _signer_delegation(session, user, draft):
    """The delegation under which `user` approves or returns the draft for its signer, or
    None when they are the signer themselves."""
    if not workflow.signs_for(user, draft):
        return None
    from app.security.delegation import SIGN, delegation_for

    return delegation_for(session, user, draft.signer.user_id, SIGN)


# ---------------------------------------------------------------- issuance

def issuer_code(session) -> str:
    """The agency's abbreviation in symbols: the root unit's code (e.g. SNV)."""
    root = session.scalar(select(Department).where(Department.parent_id.is_(None))
                          .order_by(Department.id))
    return root.code if root else current_app.config.get("AGENCY_CODE", "CQ")


def proposed_symbol(session, draft, year) -> str:
    unit = draft.drafting_department
    return symbols.build_symbol(draft.document_type, issuer_code(session),
                                unit.code if unit else None, year)


def next_outgoing_number(session, register_id):
    register = session.get(Register, register_id) if register_id else None
    return peek_next_number(session, register.id, register.year) if register else None


def issue(session, user, draft, *, register_id, issued_date: date, place: str,
          symbol: str | None = None, copies=None, archive_holder=None, scan_uploads=()):
    """The clerk issues an approved draft: next number of the register's year, symbol,
    the signed scan; both files for internal distribution, the scan only for external."""
    if not workflow.allowed(user, draft, "issue"):
        raise DomainError(_l("Chỉ văn thư phát hành, và chỉ dự thảo đã được duyệt và chuyển "
                             "phát hành."))
    errors = {}
    problems = missing_for_issuance(draft)
    unchecked = _not_checked_problem(draft)
    if problems or unchecked:
        errors["state"] = problems + ([unchecked] if unchecked else [])
    register = session.get(Register, register_id) if register_id else None
    if register is None or register.direction != "out" or not register.active:
        errors["register_id"] = [_l("Chọn sổ văn bản đi đang dùng.")]
    elif issued_date and issued_date.year != register.year:
        errors["register_id"] = [_l("Sổ «%(name)s» dùng cho năm %(year)s.", name=register.name,
                                    year=register.year)]
    elif register.is_secret != draft.is_secret:
        errors["register_id"] = [_l("Văn bản mật phải vào sổ văn bản đi mật; văn bản thường "
                                    "vào sổ thường.")]
    elif register.document_type_id and register.document_type_id != draft.document_type_id:
        errors["register_id"] = [_l("Sổ này chỉ dùng cho loại văn bản «%(type)s».",
                                    type=register.document_type)]
    if not issued_date:
        errors["issued_date"] = [_l("Nhập ngày ban hành.")]
    place = nfc((place or "").strip())
    if not place:
        errors["place"] = [_l("Nhập địa danh ban hành.")]
    symbol = nfc((symbol or "").strip()) or (proposed_symbol(session, draft, issued_date.year)
                                             if issued_date else "")
    if not symbol or "/" in symbol.split("-")[0] and draft.document_type.kind != 2:
        errors["symbol"] = [_l("Ký hiệu không hợp lệ.")]
    try:
        scans = storage.check_files(scan_uploads, allowed=storage.PDF_OR_IMAGE)
    except storage.FileErrors as error:
        errors["scan"] = error.messages
        scans = []
    if not scans and "scan" not in errors:
        errors["scan"] = [_l("Tải lên bản quét có chữ ký, đóng dấu (PDF hoặc ảnh): văn bản gửi "
                             "ra ngoài chỉ gửi bản này, gửi nội bộ cần cả tệp của người soạn "
                             "thảo và bản quét.")]
    has_internal = bool(draft.internal_units or draft.internal_users)
    if has_internal and draft.latest_version is None:
        errors["state"] = errors.get("state", []) + [
            _l("Gửi nội bộ cần tệp của người soạn thảo.")]
    if errors:
        raise FormErrors(errors)
    draft_id = draft.id
    begin_numbering(session)
    with storage.saving_files(session) as store:
        number = take_next_number(session, register.id, register.year)
        draft = session.get(Draft, draft_id)
        display = symbols.number_symbol(number, symbol)
        key = number_symbol_key(display)
        if session.scalar(select(func.count()).select_from(OutgoingDocument).where(
                OutgoingDocument.year == register.year,
                OutgoingDocument.number_symbol_key == key)):
            raise FormErrors({"symbol": [_l(
                "Số, ký hiệu %(s)s đã có trong năm (số và ký hiệu phải duy nhất trong năm): "
                "sửa ký hiệu, ví dụ thêm ký hiệu riêng của sổ này.", s=display)]})
        signer = _signature(session, draft)
        document = OutgoingDocument(
            draft_id=draft.id, register_id=register.id, year=register.year, number=number,
            symbol=symbol, number_symbol=display, number_symbol_key=key,
            issued_date=issued_date, place=place, document_type_id=draft.document_type_id,
            excerpt=draft.excerpt, field_id=draft.field_id, urgency_id=draft.urgency_id,
            secrecy_id=draft.secrecy_id, signer_name=signer["name"],
            signer_position=signer["position"], signer_authority=signer["authority"],
            delegation_id=signer["delegation_id"], signed_for=signer["signed_for"],
            signed_for_name=signer["signed_for_name"],
            drafting_department_id=draft.drafting_department_id, copies=copies,
            archive_holder=nfc(archive_holder) if archive_holder else None,
            issued_by_id=user.id, issued_at=utcnow(), replaces_id=draft.replaces_id)
        session.add(document)
        if draft.latest_version is not None:
            document.files.append(OutgoingFile(role=DRAFTER_FILE,
                                               file=draft.latest_version.file))
        for data, info in scans:
            document.files.append(OutgoingFile(role=SIGNED_SCAN, file=store(user, data, info)))
        scan_pages = sum(f.file.page_count or 0 for f in document.files if f.role == SIGNED_SCAN)
        document.page_count = scan_pages or None
        now = utcnow()
        for unit in draft.internal_units:
            document.recipients.append(OutgoingRecipient(kind=INTERNAL_UNIT, department=unit,
                                                         status=DISPATCHED, dispatched_at=now))
        for person in draft.internal_users:
            document.recipients.append(OutgoingRecipient(kind=INTERNAL_USER, user=person,
                                                         status=DISPATCHED, dispatched_at=now))
        for agency in draft.external_agencies:
            document.recipients.append(OutgoingRecipient(kind=EXTERNAL, agency=agency,
                                                         status=DISPATCH_PENDING))
        if draft.replaces is not None:
            draft.replaces.state = REPLACED
        from_state = draft.state
        draft.state = ISSUED
        _event(draft, user, "issue", from_state, display)
        session.flush()
        refresh_search_text(document)
        _tell_recipients(session, user, document)
    return document


def _signature(session, draft) -> dict:
    """Who signed, as printed: the draft's signer; or, when a deputy approved it under a
    delegation, the deputy with the delegation's mark (KT./TUQ.) for the signer's title —
    "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"."""
    signer, delegation = draft.signer, draft.approved_delegation
    if delegation is None:
        return {"name": signer.full_name, "position": signer.position_title,
                "authority": signer.authority, "delegation_id": None, "signed_for": None,
                "signed_for_name": None}
    deputy = delegation.to_user
    entries = list(session.scalars(select(Signer).where(Signer.user_id == deputy.id,
                                                        Signer.active).order_by(Signer.id)))
    entry = next((e for e in entries if e.authority == delegation.signing_form),
                 entries[0] if entries else None)
    position = entry.position_title if entry else (deputy.position.name if deputy.position
                                                    else "")
    return {"name": deputy.full_name, "position": position,
            "authority": delegation.signing_form, "delegation_id": delegation.id,
            "signed_for": signer.position_title, "signed_for_name": signer.full_name}


def refresh_search_text(document):
    parts = [document.number_symbol, document.number_symbol_key, document.excerpt,
             document.signer_name, str(document.drafting_department or "")]
    parts += [f.file.text or "" for f in document.files]
    document.search_text = fold(" ".join(p for p in parts if p))[:200_000]


def mark_dispatched(session, user, document, recipient_id, when=None):
    """The clerk records that a paper copy left for an external agency."""
    if not workflow.issues(user):
        raise DomainError(_l("Chỉ văn thư ghi nhận việc gửi văn bản."))
    recipient = next((x for x in document.recipients if str(x.id) == str(recipient_id)), None)
    if recipient is None:
        raise DomainError(_l("Không tìm thấy nơi nhận."))
    recipient.status, recipient.dispatched_at = DISPATCHED, when or utcnow()
    session.commit()


def mark_read(session, user, document):
    """An internal recipient opened the document."""
    changed = False
    for recipient in document.recipients:
        mine = (recipient.kind == INTERNAL_USER and recipient.user_id == user.id) or (
            recipient.kind == INTERNAL_UNIT and recipient.department_id == user.department_id)
        if mine and recipient.read_at is None:
            recipient.read_at = utcnow()
            changed = True
    changed |= bool(settle(session, user, f"outgoing:{document.id}"))  # its notice is done
    if changed:
        session.commit()


def recall(session, user, document, reason):
    """Thu hồi (Decree 30 Art. 18): frozen, marked, metadata kept; recipients see it marked."""
    if not workflow.recalls(user):
        raise DomainError(_l("Chỉ lãnh đạo cơ quan hoặc văn thư thu hồi văn bản."))
    if document.state != ISSUED_STATE:
        raise DomainError(_l("Văn bản này không còn ở trạng thái đã phát hành."))
    reason = nfc((reason or "").strip())
    if not reason:
        raise FormErrors({"note": [_l("Nhập lý do thu hồi.")]})
    document.state, document.recall_reason = RECALLED, reason
    for recipient in document.recipients:
        recipient.read_at = None  # shows again as unread: the recipients are notified
    session.commit()


def reply_label(incoming) -> str:
    """How a reply names the incoming document it answers: "Trả lời văn bản đến số
    12/2026 — 45/UBND-VP" (the arrival number first: the office finds it in its register)."""
    if incoming.arrival_number:
        return str(_l("Trả lời văn bản đến số %(n)s/%(y)s — %(s)s", n=incoming.arrival_number,
                      y=incoming.arrival_year, s=incoming.number_symbol))
    return str(_l("Trả lời văn bản %(s)s", s=incoming.number_symbol))


def reply_prefill(incoming) -> dict:
    """What a reply draft starts with: the sending agency as its external recipient, the
    field, and the excerpt "V/v trả lời văn bản số … ngày dd/mm/yyyy của …"."""
    from app.core.timefmt import format_date

    excerpt = _l("V/v trả lời văn bản số %(s)s ngày %(d)s của %(a)s", s=incoming.number_symbol,
                 d=format_date(incoming.document_date), a=incoming.agency.name
                 if incoming.agency else "")
    return {"reply_to_id": incoming.id, "excerpt": nfc(str(excerpt)),
            "field_id": incoming.field_id,
            "external_agency_ids": [incoming.agency_id] if incoming.agency_id else []}


def start_replacement(session, user, document, data: dict):
    """A replacing document starts as a new draft linked to the one it replaces."""
    if document.state != ISSUED_STATE:
        raise DomainError(_l("Chỉ thay thế được văn bản đang có hiệu lực."))
    base = {"document_type_id": document.document_type_id,
            "excerpt": document.excerpt, "field_id": document.field_id,
            "urgency_id": document.urgency_id, "secrecy_id": document.secrecy_id,
            "drafting_department_id": document.drafting_department_id,
            "replaces_id": document.id}
    return create_draft(session, user, {**base, **data})


# ---------------------------------------------------------------- lists

def received_condition(user):
    """Outgoing documents sent to the user or their unit (the internal inbox)."""
    conditions = [OutgoingDocument.id.in_(select(OutgoingRecipient.document_id).where(
        OutgoingRecipient.kind == INTERNAL_USER, OutgoingRecipient.user_id == user.id))]
    if user.department_id:
        conditions.append(OutgoingDocument.id.in_(select(OutgoingRecipient.document_id).where(
            OutgoingRecipient.kind == INTERNAL_UNIT,
            OutgoingRecipient.department_id == user.department_id)))
    return or_(*conditions)


def search_condition(text: str):
    """Case- and accent-insensitive match through the full-text index (app.core.search)."""
    return search.matches(OutgoingDocument, text)


def draft_boxes(user):
    """(key, label, condition) of the draft lists a user works from."""
    from app.catalogs.models import Signer as SignerModel

    boxes = [("mine", _l("Dự thảo của tôi"), Draft.drafter_id == user.id)]
    if may(user, "can_review_unit", "Draft"):
        boxes.append(("unit_review", _l("Chờ tôi duyệt (đơn vị)"),
                      (Draft.state == UNIT_REVIEW)
                      & (Draft.drafting_department_id == user.department_id)
                      & (Draft.drafter_id != user.id)))
    from app.security.delegation import SIGN, acting_for

    signers = [user.id, *acting_for(user, SIGN)]  # and those who delegated signing to me
    boxes.append(("to_sign", _l("Chờ tôi ký duyệt"),
                  (Draft.state == SIGNER_REVIEW) & Draft.signer_id.in_(select(SignerModel.id).where(
                      SignerModel.user_id.in_(signers)))))
    if workflow.checks(user):
        boxes.append(("to_check", _l("Chờ văn phòng kiểm tra"),
                      Draft.state.in_(workflow.CHECK_STATES) & Draft.checked_at.is_(None)))
    if workflow.issues(user):
        boxes.append(("to_issue", _l("Chờ phát hành"), Draft.state == APPROVED))
    if may(user, "can_read_all", "Draft"):
        boxes.append(("in_chain", _l("Đang trình duyệt"),
                      Draft.state.in_([UNIT_REVIEW, SIGNER_REVIEW, APPROVED])))
    return boxes


def draft_box_counts(session, user):
    from app.outgoing.access import visible_draft

    return [(key, label, session.scalar(select(func.count(Draft.id)).where(
        visible_draft(user), condition))) for key, label, condition in draft_boxes(user)]


def visible_outgoing_query(user):
    return select(OutgoingDocument).where(visible_outgoing(user))


def choices(session):
    """Catalog choices for the draft form."""
    return {
        "types": list(session.scalars(select(DocumentType).where(DocumentType.active)
                                      .order_by(DocumentType.sort_order))),
        "urgencies": list(session.scalars(select(UrgencyLevel).order_by(UrgencyLevel.priority))),
        "secrecies": list(session.scalars(select(SecrecyLevel).order_by(SecrecyLevel.level))),
        "signers": list(session.scalars(select(Signer).where(Signer.active))),
        "registers": list(session.scalars(select(Register).where(
            Register.direction == "out", Register.active).order_by(
            Register.year.desc(), Register.is_secret))),
    }


# ---------------------------------------------------------------- notices (app.notifications)

# The notices that wait for a step of the chain: done for everyone once the step is taken.
DRAFT_WAITING = ("draft.review", "draft.sign", "draft.returned", "draft.to_issue")


def _tell_draft(draft, user, from_state, note=None):
    """Called with every recorded step of a draft: the actor's notices about it are done; when
    the draft moved, the previous step's notices are done for everyone and whoever the draft
    now waits for is told."""
    from sqlalchemy.orm import object_session

    session = object_session(draft)
    if session is None or draft.id is None:
        return
    subject = f"draft:{draft.id}"
    settle(session, user, subject)
    if from_state is None or from_state == draft.state:
        return
    settle_all(session, subject, DRAFT_WAITING)
    name, url = quote(draft.excerpt, secret=draft.is_secret), f"/drafts/{draft.id}"
    urgent = bool(draft.urgency and draft.urgency.is_urgent)
    if draft.state == UNIT_REVIEW:
        notify(session, people_with(session, "can_review_unit", "Draft",
                                    draft.drafting_department_id),
               _l("Dự thảo %(name)s của %(who)s đang chờ bạn duyệt.", name=name,
                  who=user.full_name), url, "draft.review", exclude=user, subject=subject,
               urgent=urgent)
    elif draft.state == SIGNER_REVIEW and draft.signer is not None:
        notify(session, [draft.signer.user_id],
               _l("Dự thảo %(name)s đang chờ bạn ký, duyệt.", name=name), url, "draft.sign",
               exclude=user, subject=subject, urgent=urgent)
    elif draft.state == DRAFTING:
        notify(session, [draft.drafter_id],
               _l("Dự thảo %(name)s bị trả lại: %(reason)s", name=name, reason=note or ""),
               url, "draft.returned", exclude=user, subject=subject, urgent=urgent)
    elif draft.state == APPROVED:
        notify(session, people_with(session, "can_write", "OutgoingDocument"),
               _l("Dự thảo %(name)s đã được duyệt, chờ phát hành.", name=name), url,
               "draft.to_issue", exclude=user, subject=subject, urgent=urgent)
    elif draft.state == ISSUED:
        notify(session, [draft.drafter_id],
               _l("Dự thảo %(name)s đã được phát hành, số %(number)s.", name=name,
                  number=note or ""), url, "draft.issued", exclude=user)


def _tell_recipients(session, user, document):
    """The people of the internal recipient units, and the internal recipient people: an
    outgoing document came to them (done when they open it: mark_read)."""
    units = [r.department_id for r in document.recipients if r.kind == INTERNAL_UNIT]
    people = [r.user_id for r in document.recipients if r.kind == INTERNAL_USER]
    name = quote(document.excerpt, secret=document.is_secret)
    urgent = bool(document.urgency and document.urgency.is_urgent)
    for whom, message in ((people, _l("Văn bản đi số %(number)s %(name)s gửi đến bạn.",
                                      number=document.number_symbol, name=name)),
                          ([p for p in people_of(session, units) if p not in people],
                           _l("Văn bản đi số %(number)s %(name)s gửi đến đơn vị bạn.",
                              number=document.number_symbol, name=name))):
        notify(session, whom, message, f"/outgoing/{document.id}", "outgoing.received",
               exclude=user, subject=f"outgoing:{document.id}", urgent=urgent)
