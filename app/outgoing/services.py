"""Drafts, their approval, the office's final check, issuance by the clerk, distribution,
recall and replacement. Plain functions taking the acting user and the session; the web
views, the REST API and the demo data call them."""
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.catalogs.models import Agency, DocumentType, Register, SecrecyLevel, Signer, UrgencyLevel
from app.core import search, storage
from app.core.errors import DomainError, FormErrors
from app.core.text import fold, nfc, number_symbol_key
from app.core.timefmt import today_local, utcnow
from app.documents.numbering import begin_numbering, peek_next_number, take_next_number
from app.notifications.services import notify, people_of, quote, settle, settle_all
from app.security.access import people_with
from app.org.models import Department, EofficeUser
from app.outgoing import symbols, workflow
from app.outgoing.access import visible_outgoing
from app.security.access import may
from app.outgoing.models import (
    APPROVED, DISPATCH_PENDING, DISPATCHED, DRAFTER_FILE, DRAFTING, EXTERNAL, INTERNAL_UNIT,
    INTERNAL_USER, ISSUED, ISSUED_STATE, RECALLED, REPLACED, SIGNED_PDF, SIGNED_SCAN,
    SIGNER_REVIEW,
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
        _clear_signature(draft)  # the signature covered what the signer saw, not this
    for data, info in checked:
        number = len(draft.versions) + 1
        draft.versions.append(DraftVersion(number=number, file=store(user, data, info),
                                           note=nfc(note) if note else None,
                                           uploaded_by_id=user.id, uploaded_at=utcnow()))
        _event(draft, user, "upload", draft.state, _l("Phiên bản %(n)s", n=number))


NOT_EDITABLE = _l("Chỉ người soạn thảo sửa được dự thảo khi đang soạn thảo.")


def update_draft(session, user, draft, data: dict, uploads=(), note=None):
    if not workflow.allowed(user, draft, "edit"):
        raise DomainError(NOT_EDITABLE)
    data = validate_draft(session, {**{k: getattr(draft, k) for k in DRAFT_FIELDS}, **data},
                          user, draft)
    checked = _check_draft_files(uploads)
    with storage.saving_files(session) as store:
        for key in DRAFT_FIELDS:
            setattr(draft, key, data.get(key))
        _set_recipients(session, draft, data)
        _clear_check(draft)  # what the office checked has changed
        _clear_signature(draft)  # and so has what the signer signed
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


def loaded_for_the_check():
    """Loader options for a list of drafts to check (the office's check page): what
    missing_for_issuance, the workflow's actions and the row read of each draft, loaded with
    the drafts — the references joined, the lists in one query each — not one query a row."""
    return (*(joinedload(relation) for relation in (
                Draft.document_type, Draft.field, Draft.urgency, Draft.secrecy, Draft.signer,
                Draft.drafting_department, Draft.drafter, Draft.checked_by, Draft.replaces)),
            *(selectinload(lines) for lines in (
                Draft.versions, Draft.internal_units, Draft.internal_users,
                Draft.external_agencies)))


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
    if action in ("approve", "return") and from_state == SIGNER_REVIEW:
        _clear_signature(draft)  # approved on paper, or sent back: no earlier signature stands
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


# ---------------------------------------------------------------- digital signing (ký số)
# Decree 30/2020 Art. 8 and 13: the competent person signs the electronic document digitally;
# Art. 15–16: the clerk numbers and dates it and adds the agency's signature at issuance. The
# signer signs the latest version (a PDF) as "the last step of approval": signing approves, in
# one unit of work. Two ways: the remote signing service (CSC API, or the demo keys), or the
# signer's own token software on the PDF prepared here, uploaded back. The paper path (approve,
# then the clerk uploads the signed scan) stays for those who need it.

SIGNER_FIELD, AGENCY_FIELD = "ky_nguoi_ky", "ky_co_quan"
NOT_A_PDF = _l("Phiên bản mới nhất của dự thảo không phải tệp PDF: chuyển dự thảo sang PDF và "
               "tải lên thành phiên bản mới để ký số (tệp Word vẫn được giữ để sửa).")
NOT_DERIVED = _l("Tệp tải lên không phải bản dự thảo đã duyệt (nội dung khác với bản để ký).")
NOT_ALLOWED_TO_SIGN = _l("Bạn không thể thực hiện thao tác này với dự thảo ở bước hiện tại.")


def _clear_signature(draft):
    """A new version or an edit: the signature covered what the signer saw, not this."""
    draft.signed_file = None
    draft.signed_file_id = draft.signed_version = draft.signed_by_id = None
    draft.signed_at = draft.signing_method = None


def is_signed(draft) -> bool:
    """The signer signed the draft's latest version digitally (issued electronically)."""
    version = draft.latest_version
    return bool(draft.signed_file_id and version is not None
                and draft.signed_version == version.number)


# What is printed on the signed document itself is a legal form, always in Vietnamese whatever
# the interface language (like the arrival stamp): these texts are not _l().

def signing_time_text(moment=None) -> str:
    """"Thời gian ký: 03.12.2026 14:05:09 +07:00", in Vietnam time, as a signature shows it."""
    from app.core.timefmt import to_local

    local = to_local(moment or utcnow())
    offset = local.strftime("%z")
    return f"Thời gian ký: {local:%d.%m.%Y %H:%M:%S} {offset[:3]}:{offset[3:]}"


def number_text(display: str) -> str:
    """The number and symbol as printed on the document: "Số: 12/QĐ-SNV"."""
    return f"Số: {display}"


def place_date_text(place: str, day: date) -> str:
    """"Hà Nam, ngày 03 tháng 02 năm 2026" (Decree 30, Annex I: a day below 10 and the months
    1 and 2 are written with a leading 0)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def printed_title(printed: dict) -> str:
    """The signature block's title line: "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC", "Giám đốc"."""
    if printed.get("signed_for"):
        return f"{printed['authority']} {printed['signed_for'].upper()} / " \
               f"{printed['position'].upper()}".strip()
    return f"{printed['authority'] or ''} {printed['position'] or ''}".strip()


def _signable(session, user, draft):
    """What both ways of signing check first, as "approve" does: the signer (or their deputy)
    while the draft waits for them, nothing missing for issuance, the office's check when
    required, a PDF as the latest version. Returns (version, prepared PDF); writes nothing."""
    if not workflow.allowed(user, draft, "approve"):
        raise DomainError(NOT_ALLOWED_TO_SIGN)
    problems = missing_for_issuance(draft)
    unchecked = _not_checked_problem(draft)
    if problems or unchecked:
        raise FormErrors({"state": problems + ([unchecked] if unchecked else [])})
    version = draft.latest_version
    if version is None or not version.file.is_pdf:
        raise FormErrors({"file": [NOT_A_PDF]})
    from app.core import pades

    return version, pades.prepare_for_signing(storage.read_file(version.file))


def _file_stem(version) -> str:
    name = version.file.original_name or "du-thao.pdf"
    return name[:-4] if name.lower().endswith(".pdf") else name


def prepared_for_signing(session, user, draft) -> tuple[bytes, str]:
    """"Tải bản để ký": the latest version with the empty fields for the number and the date,
    for the signer's own signing software. Deterministic, so nothing is stored (a GET)."""
    version, prepared = _signable(session, user, draft)
    return prepared, str(_l("%(name)s - bản để ký.pdf", name=_file_stem(version)))


def sign_remote(session, user, draft):
    """"Ký số và duyệt": signed with the signer's key at the remote signing service (or the
    demo key), then approved; one unit of work."""
    from app.core import pades
    from app.security import signing

    version, prepared = _signable(session, user, draft)
    delegation = _signer_delegation(session, user, draft)
    printed = _signature_of(session, draft, delegation)
    now = utcnow()
    appearance = pades.Appearance(
        kind="signer", lines=[printed["name"], printed_title(printed), signing_time_text(now)],
        near_text=printed["name"])
    from pyhanko.sign.signers.csc_signer import CSCSigner

    with signing.personal_signer(session, user) as signer:
        signed = pades.sign(prepared, signer, field_name=SIGNER_FIELD, appearance=appearance,
                            timestamp_url=signing.timestamp_url())
        method = "csc" if isinstance(signer, CSCSigner) else "demo"  # the demo keys otherwise
    name = str(_l("%(name)s - đã ký số.pdf", name=_file_stem(version)))
    _record_signature(session, user, draft, version, (signed, name), method, delegation, now)


def _certificate_name(cert) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def accept_signed(session, user, draft, upload):
    """"Tải lên bản đã ký số": `upload` = (data, filename), the prepared PDF signed with the
    signer's own token. It must be that PDF plus one whole-covering signature, intact, made
    with a valid certificate confirmed as the signer's (the deputy's under a delegation).
    Then as sign_remote: stored, approved, one unit of work.

    An unknown certificate is proposed to the administrators (app.security.certificate_admin,
    its own committed unit of work: the proposal is a separate, intended record) and the
    upload is refused; nothing of the draft changes."""
    from cryptography import x509

    from app.core import pades
    from app.core.timefmt import format_date
    from app.security import signing

    version, prepared = _signable(session, user, draft)
    data, filename = upload if upload else (b"", "")
    if not data:
        raise FormErrors({"file": [_l("Chọn tệp PDF đã ký số.")]})
    try:
        storage.check_files([(data, filename)], allowed=("pdf",))
    except storage.FileErrors as error:
        raise FormErrors({"file": error.messages}) from error
    if not pades.extends(prepared, data):
        raise FormErrors({"file": [NOT_DERIVED]})
    report = signing.verify(session, data)
    last = report.signatures[-1] if report.signatures else None
    if last is None or not last.intact:
        raise FormErrors({"file": [_l("Chữ ký số trong tệp tải lên không toàn vẹn: ký lại bản "
                                      "để ký rồi tải lên.")]})
    cert_der = pades.signer_certificate(data)
    cert = x509.load_der_x509_certificate(cert_der)
    holder = _certificate_name(cert)
    now = utcnow()
    if cert.not_valid_after_utc.replace(tzinfo=None) < now:
        raise FormErrors({"file": [_l(
            "Chứng thư số «%(name)s» đã hết hạn từ ngày %(d)s: ký bằng chứng thư số còn hiệu "
            "lực.", name=holder, d=format_date(cert.not_valid_after_utc.replace(tzinfo=None)))]})
    if cert.not_valid_before_utc.replace(tzinfo=None) > now:
        raise FormErrors({"file": [_l("Chứng thư số «%(name)s» chưa có hiệu lực.",
                                      name=holder)]})
    if last.state == pades.INVALID:  # revoked, not usable for signing, a weak algorithm…
        reasons = " ".join(pades.reason_text(r.get("code", ""), r.get("params"))
                           for r in last.reasons)
        raise FormErrors({"file": [_l("Chữ ký số trong tệp tải lên không hợp lệ: %(r)s",
                                      r=reasons)]})
    person = signing.person_of_certificate(session, cert_der)
    if person is None:
        from app.security.certificate_admin import propose_personal_certificate

        try:
            propose_personal_certificate(session, user, cert_der)
        except DomainError as error:  # already proposed, or not a signing certificate
            raise FormErrors({"file": [str(error)]}) from error
        raise FormErrors({"file": [_l(
            "Chứng thư số «%(name)s» chưa được gắn với tài khoản của bạn; đã gửi quản trị mạng "
            "xác nhận. Sau khi được xác nhận, tải lên lại bản đã ký.", name=holder)]})
    if person.user_id != user.id:
        raise FormErrors({"file": [_l(
            "Chứng thư số «%(name)s» là của %(owner)s, không phải của bạn: ký bằng chứng thư "
            "số của chính bạn.", name=holder, owner=person.user.full_name if person.user
            else holder)]})
    delegation = _signer_delegation(session, user, draft)
    _record_signature(session, user, draft, version, (data, filename), "upload", delegation,
                      now)


def _record_signature(session, user, draft, version, signed, method, delegation, now):
    """The signed PDF stored and checked; the draft signed and approved; one commit."""
    from app.security import signing

    checked = storage.check_files([signed], allowed=("pdf",))
    with storage.saving_files(session) as store:
        record = store(user, *checked[0])
        if record.signature_checked_at is None:  # storing checks it (signature_checks)
            signing.verify_file(session, record, signed[0])
        draft.signed_file = record
        draft.signed_version, draft.signed_by_id = version.number, user.id
        draft.signed_at, draft.signing_method = now, method
        from_state = draft.state
        draft.state = APPROVED
        draft.approved_delegation_id = delegation.id if delegation else None
        note = str(_l("Phiên bản %(n)s", n=version.number))
        if delegation is not None:
            from app.security.delegation import record_acted_for

            note = f"{note}. {delegation.acting_note()}"
            record_acted_for(session, delegation, "draft", draft.id,
                             workflow.EVENT_LABELS["sign"])
        _event(draft, user, "sign", from_state, note)
        signing.record_signing(
            session, signing.PERSONAL_SIGNED, object_type="draft", object_id=draft.id,
            what=str(_l("Ký số dự thảo %(e)s, phiên bản %(n)s", e=draft.excerpt[:200],
                        n=version.number)),
            certificate_der=_last_certificate(signed[0]), file_name=record.original_name)


def _last_certificate(data: bytes) -> bytes | None:
    from app.core import pades

    try:
        return pades.signer_certificate(data)
    except DomainError:
        return None


def signing_level() -> str:
    """The level of the signatures made here: with a time-stamping authority PAdES-B-T."""
    from app.security import signing

    return "PAdES-B-T" if signing.timestamp_url() else str(
        _l("PAdES-B-B (không có dấu thời gian)"))


def agency_signing_problem():
    """Why the agency's signature cannot be added now (no key configured), or None."""
    from app.security import signing

    if signing.agency_key_kind() is None:
        return _l("Chưa cấu hình khóa ký số của cơ quan (token, HSM hoặc tệp PKCS#12): báo quản "
                  "trị mạng. Văn bản điện tử chưa phát hành được; chưa cấp số.")
    return None


def _agency_signed(data: bytes, display: str, place: str, issued_date: date) -> bytes:
    """The signer's PDF numbered, dated and signed with the agency's key (Art. 15–16)."""
    from app.core import pades
    from app.security import signing

    appearance = pades.Appearance(kind="agency", lines=[current_app.config["AGENCY_NAME"],
                                                        signing_time_text()])
    try:
        with signing.agency_signer() as signer:
            return pades.sign(data, signer, field_name=AGENCY_FIELD, appearance=appearance,
                              timestamp_url=signing.timestamp_url(),
                              fill={pades.NUMBER_FIELD: number_text(display),
                                    pades.DATE_FIELD: place_date_text(place, issued_date)})
    except signing.SigningUnavailable as error:
        raise FormErrors({"state": [_l("Chưa ký số được bằng khóa của cơ quan: %(e)s. Văn bản "
                                       "chưa phát hành, chưa cấp số.", e=error)]}) from error


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
    electronic = is_signed(draft)  # signed digitally: the agency signs, no scan is needed
    if electronic:
        problem = agency_signing_problem() or _signer_signature_problem(session, draft)
        if problem:
            errors["state"] = errors.get("state", []) + [problem]
    if not scans and not electronic and "scan" not in errors:
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
        if electronic:  # the issued PDF first: what every recipient reads
            document.electronic = True
            issued_pdf, agency_certificate = _store_issued_pdf(
                session, user, store, draft, display, place, issued_date)
            document.files.append(OutgoingFile(role=SIGNED_PDF, file=issued_pdf))
        if draft.latest_version is not None:
            document.files.append(OutgoingFile(role=DRAFTER_FILE,
                                               file=draft.latest_version.file))
        for data, info in scans:
            document.files.append(OutgoingFile(role=SIGNED_SCAN, file=store(user, data, info)))
        pages = sum(f.file.page_count or 0 for f in document.files
                    if f.role == (SIGNED_PDF if electronic else SIGNED_SCAN))
        document.page_count = pages or None
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
        if electronic:
            from app.security import signing

            record = document.file_of(SIGNED_PDF)
            signing.record_signing(
                session, signing.AGENCY_SIGNED, object_type="outgoing_document",
                object_id=document.id, what=str(_l("Văn bản số %(n)s", n=display)),
                certificate_der=agency_certificate, file_name=record.original_name)
        refresh_search_text(document)
        _tell_recipients(session, user, document)
    return document


def _signer_signature_problem(session, draft):
    """Art. 32.2: the clerk signs only what carries the competent person's signature, intact."""
    from app.security import signing

    report = signing.verify(session, storage.read_file(draft.signed_file))
    if report.state in ("invalid", "unsigned"):
        return _l("Chữ ký số của người ký trên dự thảo không còn hợp lệ: trả lại để người ký ký "
                  "lại.")
    return None


def _store_issued_pdf(session, user, store, draft, display, place, issued_date):
    """The signer's PDF numbered, dated and signed by the agency, stored and checked; with the
    agency certificate's DER (for the audit line)."""
    from app.security import signing

    issued = _agency_signed(storage.read_file(draft.signed_file), display, place, issued_date)
    name = str(_l("%(n)s - văn bản điện tử.pdf", n=display.replace("/", "-")))
    record = store(user, *storage.check_files([(issued, name)], allowed=("pdf",))[0])
    if record.signature_checked_at is None:  # storing checks it (signature_checks)
        signing.verify_file(session, record, issued)
    return record, _last_certificate(issued)


def _signature(session, draft) -> dict:
    """Who signed, as printed: the draft's signer; or, when a deputy approved it under a
    delegation, the deputy with the delegation's mark (KT./TUQ.) for the signer's title —
    "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"."""
    return _signature_of(session, draft, draft.approved_delegation)


def _signature_of(session, draft, delegation) -> dict:
    """As _signature, for the delegation under which the draft is (being) approved."""
    signer = draft.signer
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


def _box_rights(user) -> tuple[bool, bool, bool, bool]:
    """Which of the optional draft lists the user has: a unit's review, the office's check,
    the issuing, the whole chain (by permissions)."""
    return (may(user, "can_review_unit", "Draft"), workflow.checks(user),
            workflow.issues(user), may(user, "can_read_all", "Draft"))


def draft_boxes(user):
    """(key, label, condition) of the draft lists a user works from."""
    from app.catalogs.models import Signer as SignerModel

    reviews_unit, checks, issues, reads_all = _box_rights(user)
    boxes = [("mine", _l("Dự thảo của tôi"), Draft.drafter_id == user.id)]
    if reviews_unit:
        # `+ 0`: found by its state (a few hundred drafts), never by the unit (a unit's decade,
        # 33,000 on the bench): SQLite, knowing only the average rows per value, took the
        # unit's index (48 ms instead of 1)
        boxes.append(("unit_review", _l("Chờ tôi duyệt (đơn vị)"),
                      (Draft.state == UNIT_REVIEW)
                      & (Draft.drafting_department_id + 0 == user.department_id)
                      & (Draft.drafter_id != user.id)))
    from app.security.delegation import SIGN, acting_for

    signers = [user.id, *acting_for(user, SIGN)]  # and those who delegated signing to me
    boxes.append(("to_sign", _l("Chờ tôi ký duyệt"),
                  (Draft.state == SIGNER_REVIEW) & Draft.signer_id.in_(select(SignerModel.id).where(
                      SignerModel.user_id.in_(signers)))))
    if checks:
        boxes.append(("to_check", _l("Chờ văn phòng kiểm tra"),
                      Draft.state.in_(workflow.CHECK_STATES) & Draft.checked_at.is_(None)))
    if issues:
        boxes.append(("to_issue", _l("Chờ phát hành"), Draft.state == APPROVED))
    if reads_all:
        boxes.append(("in_chain", _l("Đang trình duyệt"),
                      Draft.state.in_([UNIT_REVIEW, SIGNER_REVIEW, APPROVED])))
    return boxes


def draft_box_counts(session, user):
    """[(box, label, drafts)] in one statement, a count per box, each by its own index. The
    drafter's own box needs no other test (a drafter sees their drafts: visible_draft), so it
    is counted from the drafter's index alone — an officer drafts thousands over a decade, and
    testing each against the visibility rule was 30 ms. Remembered per version of the data
    (every change of a draft, a person or a delegation is audited), reader, the lists they
    have (their permissions), language and day (a delegation starts and ends by its dates)."""
    from flask_babel import get_locale

    from app.audit.version import remembered
    from app.outgoing.access import visible_draft

    def count():
        visible = visible_draft(user)
        reads = may(user, "can_read", "Draft")
        boxes = draft_boxes(user)
        counts = session.execute(select(*[
            select(func.count()).select_from(Draft).where(
                condition if key == "mine" and reads else and_(visible, condition))
            .scalar_subquery() for key, _label, condition in boxes])).one()
        return [(key, str(label), number)
                for (key, label, _c), number in zip(boxes, counts, strict=True)]

    return remembered(session, "draft-boxes", (user.id, *map(int, _box_rights(user)),
                                               get_locale(), today_local()), count)


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
