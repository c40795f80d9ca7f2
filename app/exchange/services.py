"""Liên thông văn bản: the rules of sending and receiving edXML packages, as plain functions
taking the session (and the acting user where a person acts). The inbox API, the worker, the
file import/export pages and the tests all call these.

Sending: every external recipient of an issued document whose agency is an active partner
gets one package (only the signed scan, Art. 9.1b) in the outbox; a recall of the document
sends a recall message (BussinessDocType 1); a replacing document is sent as type 3.
Receiving: a package is validated in full before anything is stored; a valid one is stored
once (idempotent on sender + DocumentId + type) and processed by the worker: a new document
lands in the clerk's "Chờ vào sổ" queue, a recall or replacement freezes and marks the
received document. Statuses 01–06 go back to the sender as the document moves on."""
import hashlib
import io
import json
import re
import secrets
import zipfile
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.catalogs.models import Agency, DocumentType, SecrecyLevel, UrgencyLevel
from app.core import storage
from app.core.errors import DomainError
from app.core.files import check_received
from app.core.text import fold, nfc
from app.core.timefmt import format_date, local_now, local_to_utc, to_local, utcnow
from app.documents import services as incoming_services
from app.documents.models import IncomingEvent
from app.security.access import people_with
from app.exchange import edxml, xmldsig
from app.exchange.models import (
    APPLIED, NEW, PENDING, PLATFORM, QUEUED, RECALL, RECEIVED, REGISTERED, REPLACE, RETURNED,
    SENT,
    FAILED, ExchangeInbound, ExchangeOutbox, ExchangePartner, ExchangeStatus,
)
from app.notifications.services import notify, settle_all
from app.outgoing.models import (
    DISPATCH_PENDING, DISPATCHED, EXTERNAL, ISSUED_STATE, RECALLED, RECEIVED as DELIVERED,
    SIGNED_SCAN, OutgoingDocument, OutgoingRecipient,
)

# What a routing step of the received document reports back (DOMAIN.md §2).
EVENT_STATUS = {"register": "03", "assign": "04", "delegate": "05", "progress": "05",
                "complete": "05", "document_completed": "06"}
# The received document, frozen by the sender's recall or replacement (Decree 30 Art. 18).
FROZEN_STATES = {RECALL: "recalled", REPLACE: "replaced"}


class Duplicate(DomainError):
    """The package was received before: it is not stored again."""


# ---------------------------------------------------------------- identity and partners

def our_organ() -> edxml.Organ:
    config = current_app.config
    organ_id = (config.get("EXCHANGE_ORGAN_ID") or "").strip().upper()
    if not organ_id:
        raise DomainError(_l("Chưa cấu hình mã định danh điện tử của cơ quan "
                             "(EXCHANGE_ORGAN_ID)."))
    return edxml.Organ(organ_id, name=config.get("AGENCY_NAME", ""),
                       address=config.get("EXCHANGE_ORGAN_ADDRESS", ""),
                       email=config.get("EXCHANGE_ORGAN_EMAIL", ""),
                       phone=config.get("EXCHANGE_ORGAN_PHONE", ""))


def our_codes() -> set:
    """Our electronic ID and our older QCVN 102 code (EXCHANGE_LEGACY_ID), upper case."""
    legacy = (current_app.config.get("EXCHANGE_LEGACY_ID") or "").strip().upper()
    return {our_organ().organ_id} | ({legacy} if legacy else set())


def hash_token(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def new_inbound_token(session, partner, token: str | None = None) -> str:
    """A new secret for the partner to present to us (shown once; only its hash is kept)."""
    token = token or secrets.token_urlsafe(32)
    partner.inbound_token_hash = hash_token(token)
    session.commit()
    return token


def partner_for_token(session, token: str):
    """The active partner presenting this bearer token, or None."""
    if not token or len(token) < 16:
        return None
    return session.scalar(select(ExchangePartner).where(
        ExchangePartner.inbound_token_hash == hash_token(token), ExchangePartner.active))


def agency_codes(agency) -> set:
    return {c.upper() for c in (agency.electronic_id, agency.legacy_code) if c}


def partner_for_organ(session, organ_id: str):
    """The active partner with this code (electronic ID or older code, any case)."""
    code = (organ_id or "").upper()
    if not code:
        return None
    return session.scalar(select(ExchangePartner).join(Agency).where(
        ExchangePartner.active,
        or_(Agency.electronic_id == code, func.upper(Agency.legacy_code) == code)).limit(1))


# ---------------------------------------------------------------- building our packages

def _organ_of(agency) -> edxml.Organ:
    return edxml.Organ(agency.electronic_id or agency.legacy_code or "", name=agency.name,
                       address=agency.address or "", email=agency.email or "",
                       phone=agency.phone or "")


def _short(text, limit):
    """Strict in what we send: a field over the edXML limit is cut with an ellipsis."""
    text = nfc(text or "")
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def type_detail(doc_type) -> str:
    """DocumentType/TypeDetail: a number, as every real package seen writes it (the national
    SDK reads it as one): 0 for Công văn (as they all do), else the type's place in our
    catalog. TypeName says which type it is; receivers (ours too) match on the name."""
    if fold(doc_type.name) == "cong van":
        return "0"
    return str(doc_type.sort_order or doc_type.id)


def package_for(document, agencies, *, business_type=NEW, reason="", replaces=(),
                with_files=True) -> edxml.Package:
    """The edXML package of an issued document for these recipient agencies: the signed scan
    only (Art. 9.1b), never the drafter's file; for an electronic document, the PDF with the
    signer's and the agency's digital signatures (ký số)."""
    sender = our_organ()
    issuer = document.issued_by
    staff = edxml.Staff(department=str(document.drafting_department or "")[:200],
                        staff=issuer.full_name if issuer else "",
                        email=(issuer.email or "") if issuer else "",
                        mobile=(getattr(issuer, "phone", "") or "") if issuer else "")
    attachments = []
    if with_files:
        from app.outgoing.models import FILE_ROLES, SIGNED_PDF

        role = SIGNED_PDF if getattr(document, "electronic", False) else SIGNED_SCAN
        for index, link in enumerate(f for f in document.files if f.role == role):
            record = link.file
            attachments.append(edxml.Attachment(
                f"cid:{index + 1}", record.original_name, record.content_type,
                storage.read_file(record), str(FILE_ROLES[role])))
    doc_type = document.document_type
    recipients, ours = [_organ_of(a) for a in agencies], our_codes()
    return edxml.Package(
        sender=sender, recipients=[o for o in recipients if o.organ_id.upper() not in ours],
        code_number=f"{document.number:02d}", code_notation=document.symbol,
        promulgation_date=document.issued_date, place=document.place,
        type_kind=doc_type.kind, type_detail=type_detail(doc_type),
        type_name=doc_type.name, subject=_short(document.excerpt, 500),
        content=_short(document.excerpt, 500) if len(document.excerpt) > 500 else "",
        signer_competence=document.signer_authority or "",
        signer_position=_short(document.signer_position, 100),
        signer_name=_short(document.signer_name, 50),
        to_places=[_short(r.name, 150) for r in document.recipients],
        priority=document.urgency.priority if document.urgency else 0,
        promulgation_amount=document.copies, page_amount=document.page_count,
        business_type=business_type, business_reason=_short(reason, 500),
        replaces=list(replaces), staff=staff,
        traces=[(sender.organ_id, local_now().replace(tzinfo=None, microsecond=0))],
        attachments=attachments)


def export_package(document) -> bytes:
    """An issued document as an .edxml file, addressed to its external recipients."""
    ours = our_codes()
    agencies = [r.agency for r in document.recipients if r.kind == EXTERNAL and r.agency
                and agency_codes(r.agency) - ours]
    if not agencies:
        raise DomainError(_l("Văn bản không có nơi nhận bên ngoài có mã định danh điện tử."))
    try:
        return signed(edxml.build_package(package_for(document, agencies)))
    except edxml.PackageError as error:
        raise DomainError(_l("Không lập được gói tin: %(e)s", e=error)) from error


def signed(data: bytes) -> bytes:
    """What we send, with the agency's XML-DSig signature when its key is configured
    (app.exchange.xmldsig); DomainError naming the setting when the key cannot be used."""
    return xmldsig.sign(data)


def _outbox(session, partner, kind, document_key, payload, **fields):
    row = ExchangeOutbox(partner=partner, kind=kind, document_key=document_key,
                         payload=payload.decode() if isinstance(payload, bytes) else payload,
                         state=PENDING, next_attempt_at=utcnow(), **fields)
    session.add(row)
    return row


def enqueue_issued(session) -> int:
    """Packages for external recipients not yet queued (issued documents, partners with an
    endpoint or reached through the platform). A document we cannot package is queued as
    failed, with the reason."""
    sent = select(ExchangeOutbox.recipient_id).where(ExchangeOutbox.recipient_id.is_not(None))
    rows = session.execute(
        select(OutgoingRecipient, ExchangePartner)
        .join(ExchangePartner, ExchangePartner.agency_id == OutgoingRecipient.agency_id)
        .join(OutgoingDocument, OutgoingDocument.id == OutgoingRecipient.document_id)
        .where(OutgoingRecipient.kind == EXTERNAL,
               OutgoingRecipient.status == DISPATCH_PENDING,
               OutgoingDocument.state == ISSUED_STATE,
               ExchangePartner.active,
               or_(ExchangePartner.channel == "platform",  # models.PLATFORM: via the platform
                   (ExchangePartner.endpoint_url.is_not(None))
                   & (ExchangePartner.endpoint_url != "")),
               OutgoingRecipient.id.not_in(sent))
    ).all()
    for recipient, partner in rows:
        document = recipient.document
        business_type, replaces = NEW, []
        if document.replaces is not None:
            earlier = session.scalar(select(ExchangeOutbox).where(
                ExchangeOutbox.outgoing_id == document.replaces_id,
                ExchangeOutbox.partner_id == partner.id, ExchangeOutbox.kind == "package",
                ExchangeOutbox.business_type.in_([NEW, REPLACE])))
            if earlier is not None:
                business_type, replaces = REPLACE, [earlier.document_key]
        fields = {"outgoing_id": document.id, "recipient_id": recipient.id,
                  "business_type": business_type}
        try:
            if document.is_secret:
                raise DomainError(_l("Văn bản mật không gửi qua mạng; gửi bản giấy."))
            package = package_for(document, [recipient.agency], business_type=business_type,
                                  reason=_l("Thay thế văn bản %(s)s", s=document.replaces)
                                  if replaces else "", replaces=replaces)
            _outbox(session, partner, "package", package.document_id,
                    signed(edxml.build_package(package)), **fields)
        except (DomainError, edxml.PackageError) as error:
            row = _outbox(session, partner, "package", "", "", **fields)
            row.state, row.last_error = FAILED, str(error)
    session.commit()
    return len(rows)


def enqueue_recalls(session) -> int:
    """A recalled document: a recall message (type 1) to each partner it was sent to; what
    had not left yet is simply not sent."""
    rows = list(session.scalars(
        select(ExchangeOutbox).join(OutgoingDocument,
                                    OutgoingDocument.id == ExchangeOutbox.outgoing_id)
        .where(OutgoingDocument.state == RECALLED, ExchangeOutbox.kind == "package",
               ExchangeOutbox.business_type.in_([NEW, REPLACE]),
               ExchangeOutbox.state != FAILED)))
    count = 0
    for row in rows:
        if row.state != SENT:
            row.state, row.last_error = FAILED, str(_l("Văn bản đã thu hồi trước khi gửi."))
            continue
        exists = session.scalar(select(func.count()).select_from(ExchangeOutbox).where(
            ExchangeOutbox.outgoing_id == row.outgoing_id,
            ExchangeOutbox.partner_id == row.partner_id, ExchangeOutbox.business_type == RECALL))
        if exists:
            continue
        document = row.outgoing
        package = package_for(document, [row.recipient.agency], business_type=RECALL,
                              reason=document.recall_reason or _l("Thu hồi văn bản"),
                              with_files=False)
        try:
            payload = signed(edxml.build_package(package))
        except DomainError as error:
            failed = _outbox(session, row.partner, "package", package.document_id, "",
                             outgoing_id=document.id, recipient_id=row.recipient_id,
                             business_type=RECALL)
            failed.state, failed.last_error = FAILED, str(error)
            continue
        _outbox(session, row.partner, "package", package.document_id, payload,
                outgoing_id=document.id, recipient_id=row.recipient_id, business_type=RECALL)
        count += 1
    session.commit()
    return count


# ---------------------------------------------------------------- receiving

def _agency_for(session, organ: edxml.Organ, *, create: bool):
    """The sender in our agency catalog: by its codes, then by its name; with `create`, added
    (its code kept as the electronic ID when it has the national shape, else as its older
    code) — the clerk can change it in the registration form."""
    code = organ.organ_id.upper()
    agency = session.scalar(select(Agency).where(or_(
        Agency.electronic_id == code, func.upper(Agency.legacy_code) == code))
        .limit(1)) if code else None
    if agency is not None or not create:
        return agency
    name = nfc(organ.name or organ.organ_id)[:200]
    agency = session.scalar(select(Agency).where(func.lower(Agency.name) == name.lower())
                            .limit(1))
    if agency is None:
        agency = Agency(name=name, address=organ.address[:300] or None,
                        email=organ.email[:320] or None)
        session.add(agency)
    taken = code and session.scalar(select(Agency.id).where(Agency.electronic_id == code))
    if edxml.ELECTRONIC_ID.match(code) and not agency.electronic_id and not taken:
        agency.electronic_id = code
    elif organ.organ_id and not agency.legacy_code:
        agency.legacy_code = organ.organ_id[:30]
    session.flush()
    return agency


def _ours(package) -> bool:
    """Addressed to us: one of the recipients is us, by our electronic ID, our older code or
    (IDs not always following the national shape) our name."""
    codes, name = our_codes(), fold(current_app.config.get("AGENCY_NAME") or "")
    return any(o.organ_id.upper() in codes or (name and o.name and fold(o.name) == name)
               for o in package.recipients)


def check_package(session, package: edxml.Package, partner=None) -> list:
    """Our rules beyond the format. Refused (PackageError) only when nothing can come of it:
    addressed to other agencies only, or a recall of a document we never received. The rest
    comes back as warnings (edxml.Finding) for the clerk: a sender that is not the partner who
    authenticated, a date in the future, a replacement of a document we do not have."""
    warnings = []
    if package.recipients and not _ours(package):
        raise edxml.PackageError([_l(
            "To: gói tin gửi đến %(to)s, không gửi đến cơ quan này (%(id)s).",
            to=", ".join(o.organ_id or o.name for o in package.recipients)[:300],
            id=our_organ().organ_id)])
    if partner is not None and package.sender.organ_id.upper() not in \
            agency_codes(partner.agency):
        warnings.append(edxml.Finding("From/OrganId", str(_l(
            "«%(id)s» không phải mã của cơ quan đã xác thực khi gửi (%(name)s); văn bản được "
            "ghi nhận là của %(name)s", id=package.sender.organ_id or package.sender.name,
            name=partner.agency)), "agency_id"))
    today = local_now().date()
    if package.promulgation_date and package.promulgation_date > today:
        warnings.append(edxml.Finding("PromulgationInfo/PromulgationDate", str(_l(
            "ngày ban hành %(day)s ở tương lai", day=format_date(package.promulgation_date))),
            "document_date"))
    if package.business_type == RECALL and \
            _received(session, package.sender.organ_id, package.key) is None:
        raise edxml.PackageError([_l("Bussiness: không có văn bản «%(id)s» đã nhận từ cơ quan "
                                     "gửi để thu hồi.", id=package.key)])
    for target in package.replaces if package.business_type == REPLACE else []:
        if _received(session, package.sender.organ_id, target) is None:
            warnings.append(edxml.Finding("Bussiness/ReplacementInfoList", str(_l(
                "văn bản bị thay thế «%(id)s» chưa từng nhận từ cơ quan gửi", id=target)), ""))
    return warnings


def _arrivals(session, organ_id, document_key) -> list:
    """The arrivals of that document from that sender that were not returned, latest first."""
    return list(session.scalars(select(ExchangeInbound).where(
        func.upper(ExchangeInbound.from_organ_id) == (organ_id or "").upper(),
        ExchangeInbound.document_key == document_key,
        ExchangeInbound.business_type.in_([NEW, REPLACE]), ExchangeInbound.state != RETURNED)
        .order_by(ExchangeInbound.sequence.desc(), ExchangeInbound.id.desc())))


def _received(session, organ_id, document_key):
    """The latest arrival of that document from that sender that was not returned."""
    arrivals = _arrivals(session, organ_id, document_key)
    return arrivals[0] if arrivals else None


def receive(session, data: bytes, *, partner=None, source="network", platform_id=None):
    """A package or a status from a partner, the platform or a file. A package is stored with
    what is odd in it (warnings for the clerk) unless it cannot be registered at all
    (PackageError, nothing stored). The same package received again is stored once: Duplicate,
    and the copy is counted on the arrival the clerk sees. Sent again after we returned it, or
    different under a DocumentId already here, it is a new arrival linked to the earlier one.
    Returns the ExchangeInbound (packages) or the ExchangeStatus (statuses)."""
    limit = current_app.config.get("EXCHANGE_MAX_BYTES", 4 * current_app.config[
        "MAX_UPLOAD_BYTES"])
    if len(data) > limit:
        raise edxml.PackageError([_l("Gói tin quá lớn (tối đa %(mb)s MB).",
                                     mb=limit // (1024 * 1024))])
    message = edxml.read(data)
    if isinstance(message, edxml.Status):
        return apply_status(session, message, partner)
    warnings = list(message.warnings) + check_package(session, message, partner)
    partner = partner or partner_for_organ(session, message.sender.organ_id)
    organ_id = message.sender.organ_id or fold(message.sender.name)[:30].upper()
    if partner is not None and organ_id.upper() not in agency_codes(partner.agency):
        organ_id = next(iter(sorted(agency_codes(partner.agency))))
    key, digest = message.key, hashlib.sha256(data).hexdigest()
    earlier = list(session.scalars(select(ExchangeInbound).where(
        ExchangeInbound.from_organ_id == organ_id, ExchangeInbound.document_key == key,
        ExchangeInbound.business_type == message.business_type)
        .order_by(ExchangeInbound.sequence)))
    same = next((row for row in earlier if row.sha256 == digest and row.state != RETURNED),
                None)
    if same is not None:
        same.repeats, same.last_repeat_at = same.repeats + 1, utcnow()
        session.commit()
        raise Duplicate(_l("Gói tin đã được nhận trước đây (DocumentId %(id)s).", id=key))
    previous = earlier[-1] if earlier else None
    if previous is not None and previous.state == RETURNED:
        warnings.append(edxml.Finding("DocumentId", str(_l(
            "gửi lại văn bản đã trả lại ngày %(day)s (lý do: %(reason)s)",
            day=format_date(to_local(previous.processed_at or previous.received_at)),
            reason=previous.reason or "")), ""))
    elif previous is not None:
        warnings.append(edxml.Finding("DocumentId", str(_l(
            "cùng mã văn bản với gói tin nhận ngày %(day)s (%(state)s) nhưng nội dung khác: "
            "có thể là bản gửi lại có sửa; đối chiếu trước khi vào sổ",
            day=format_date(to_local(previous.received_at)), state=previous.state_label)),
            "number_symbol"))
    signature = _verify_signature(data)
    inbound = ExchangeInbound(
        partner=partner, source=source, from_organ_id=organ_id,
        from_name=(message.sender.name or str(partner.agency if partner else ""))[:200],
        document_key=key, business_type=message.business_type,
        subject=message.subject[:500], payload=data.decode("utf-8", errors="replace"),
        sha256=digest, state=RECEIVED, received_at=utcnow(),
        sequence=(previous.sequence + 1) if previous is not None else 0, previous=previous,
        warnings=json.dumps([w.as_dict() for w in warnings], ensure_ascii=False)
        if warnings else None, platform_id=platform_id,
        signature_state=signature.state if signature else None,
        signature_note=signature.note if signature else None)
    session.add(inbound)
    try:
        session.commit()
    except IntegrityError as error:  # the same package arriving twice at the same moment
        session.rollback()
        raise Duplicate(_l("Gói tin đã được nhận trước đây (DocumentId %(id)s).", id=key)) \
            from error
    return inbound


FOREIGN_SIGNATURE = re.compile(rb"<(?:[\w.-]+:)?Signature[\s>]")


def _verify_signature(data: bytes):
    """The XML-DSig result of a package (app.exchange.xmldsig), None when unsigned. The
    national SDK writes its <Signature> outside the XML-DSig namespace: such a signature
    cannot be checked, and the clerk is told so rather than shown "unsigned"."""
    check = xmldsig.verify(data)
    if check is None and FOREIGN_SIGNATURE.search(data):
        return xmldsig.Check("unchecked", note=str(_l(
            "Gói tin có phần tử Signature nhưng không theo chuẩn XML-DSig (không thuộc không "
            "gian tên http://www.w3.org/2000/09/xmldsig#): không kiểm tra được chữ ký.")))
    return check


def _choose_type(session, package):
    types = list(session.scalars(select(DocumentType).where(DocumentType.active)
                                 .order_by(DocumentType.sort_order)))
    wanted = fold(package.type_name)
    return (next((t for t in types if fold(t.name) == wanted), None)
            or next((t for t in types if package.type_detail and
                     fold(t.abbreviation or "") == fold(package.type_detail)), None)
            or next((t for t in types if fold(t.name) == "cong van"), None) or types[0])


def _unwrapped(attachment, limit):
    """The national platform's SDK sends every file as a .zip holding that one file (named by
    a UUID): the file inside, under the attachment's name, or None when it is not that."""
    if not attachment.data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(attachment.data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1 or members[0].file_size > limit:
                return None
            inner = archive.read(members[0])
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return None  # damaged or encrypted: kept as it came
    name = attachment.name
    inner_suffix = members[0].filename.rsplit(".", 1)[-1] if "." in members[0].filename \
        else ""
    if name.lower().endswith(".zip") or "." not in name:
        name = f"{name.removesuffix('.zip')}.{inner_suffix}" if inner_suffix else name
    return edxml.Attachment(attachment.content_id, name, attachment.content_type, inner,
                            attachment.description)


def _files(package, warnings):
    """Every attachment kept: its kind read from its content, the declared type a hint."""
    limit = current_app.config.get("EXCHANGE_MAX_BYTES", 4 * current_app.config[
        "MAX_UPLOAD_BYTES"])
    checked = []
    for attachment in package.attachments:
        where = f"Attachment[{attachment.content_id or attachment.name}]"
        try:
            info, refused = check_received(attachment.data, attachment.name, max_bytes=limit)
            inner = _unwrapped(attachment, limit) if info.content_type == ZIP else None
            if inner is not None:  # a plain .zip of one file (not a .docx): the file inside
                attachment = inner
                info, refused = check_received(inner.data, inner.name, max_bytes=limit)
                warnings.append(edxml.Finding(where, str(_l(
                    "«%(name)s» đến dưới dạng tệp .zip chứa một tệp; đã lấy tệp bên trong",
                    name=attachment.name)), ""))
        except DomainError as error:
            warnings.append(edxml.Finding(where, f"«{attachment.name}»: {error}", "files"))
            continue
        if refused:
            warnings.append(edxml.Finding(where, str(_l(
                "«%(name)s» được giữ nguyên để tải về nhưng không mở được: %(why)s",
                name=attachment.name, why=refused)), "files"))
        elif attachment.content_type and inner is None and \
                _same_type(attachment.content_type) != _same_type(info.content_type) and \
                not (_same_type(attachment.content_type) == ZIP and
                     info.content_type in ZIP_BASED):
            warnings.append(edxml.Finding(where, str(_l(
                "«%(name)s» khai báo «%(declared)s» nhưng nội dung là «%(real)s»",
                name=attachment.name, declared=attachment.content_type[:60],
                real=info.content_type)), "files"))
        checked.append((attachment.data, info))
    return checked


ZIP = "application/zip"
ZIP_BASED = {  # declared as application/zip, these are not mislabelled: they are zip files
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text"}


def _same_type(content_type):
    content_type = content_type.split(";")[0].strip().lower()
    return {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/tif": "image/tiff",
            "application/x-pdf": "application/pdf",
            "application/x-zip-compressed": ZIP}.get(content_type, content_type)


def process(session, inbound) -> None:
    """Turn a stored package into its effect: a new document waits in the clerk's queue
    (Chờ vào sổ) with what the package says, its odd values left for the clerk to correct
    (warnings shown beside the fields); status 01 goes back. Nothing is returned to the sender
    without the clerk (return_inbound)."""
    package = edxml.read(inbound.payload.encode())
    if package.business_type in FROZEN_STATES:
        _freeze(session, inbound, package)
    if package.business_type == RECALL:
        return
    warnings = [edxml.Finding(**w) for w in inbound.warning_list]
    sender = inbound.partner.agency if inbound.partner is not None and \
        inbound.from_organ_id.upper() in agency_codes(inbound.partner.agency) else \
        _agency_for(session, package.sender, create=True)
    urgency = session.scalar(select(UrgencyLevel).where(
        UrgencyLevel.priority <= min(package.priority, 3)).order_by(UrgencyLevel.priority.desc()))
    secrecy = session.scalar(select(SecrecyLevel).order_by(SecrecyLevel.level))
    position = " ".join(x for x in (package.signer_competence, package.signer_position) if x)
    arrival = to_local(inbound.received_at).replace(tzinfo=None, microsecond=0)
    document_date = package.promulgation_date
    if document_date and document_date > arrival.date():
        document_date = None  # the warning says which date the package gave
    if document_date is None:  # the entry needs one: the arrival's, until the clerk corrects
        filled = str(_l("ngày văn bản đang tạm điền là ngày đến %(day)s; sửa theo ngày ghi "
                        "trên văn bản", day=format_date(arrival.date())))
        said = next((w for w in warnings if w.field == "document_date"), None)
        if said is not None:  # one remark beside the field: what is odd, then what was done
            warnings[warnings.index(said)] = edxml.Finding(
                said.element, f"{said.message}; {filled}", said.field)
        else:
            warnings.append(edxml.Finding("PromulgationInfo/PromulgationDate", filled,
                                          "document_date"))
    deadline = package.due_date
    if deadline and deadline < arrival.date():
        warnings.append(edxml.Finding("DueDate", str(_l(
            "hạn xử lý %(day)s đã qua khi văn bản đến; dùng hạn mặc định, sửa nếu cần",
            day=format_date(deadline))), "deadline"))
        deadline = None
    if package.type_name and fold(_choose_type(session, package).name) != \
            fold(package.type_name):
        warnings.append(edxml.Finding("DocumentType/TypeName", str(_l(
            "loại «%(name)s» không có trong danh mục; tạm chọn «%(chosen)s»",
            name=package.type_name, chosen=_choose_type(session, package).name)),
            "document_type_id"))
    checked = _files(package, warnings)
    data = {
        "arrival_at": arrival, "channel": "exchange", "agency_id": sender.id,
        "number_symbol": package.number_symbol[:60], "document_date": document_date,
        "document_type_id": _choose_type(session, package).id,
        "excerpt": package.subject[:1000], "signer_name": package.signer_name[:100] or None,
        "signer_position": position[:100] or None, "urgency_id": urgency.id if urgency else None,
        "secrecy_id": secrecy.id if secrecy else None, "page_count": package.page_amount,
        "deadline": deadline, "notes": package.content or None,
    }
    inbound.warnings = json.dumps([w.as_dict() for w in warnings], ensure_ascii=False) \
        if warnings else None
    inbound_id = inbound.id
    document = incoming_services.record_arrival(session, data, checked)
    inbound = session.get(ExchangeInbound, inbound_id)
    inbound.incoming_id, inbound.state, inbound.error = document.id, QUEUED, None
    inbound.processed_at = utcnow()
    inbound.last_event_id = max((e.id for e in document.events), default=0)
    send_status(session, inbound, "01")
    notify(session, people_with(session, "can_write", "Exchange"), _l(
        "Văn bản liên thông đến chờ vào sổ: %(symbol)s của %(sender)s%(odd)s",
        symbol=document.number_symbol or "—", sender=inbound.from_name or inbound.from_organ_id,
        odd=_l(" (%(n)s điểm cần kiểm tra)", n=len(warnings)) if warnings else ""),
        f"/incoming/{document.id}", kind="incoming.arrived", subject=f"incoming:{document.id}",
        urgent=bool(urgency and urgency.priority))
    session.commit()


def _refuse(session, inbound, reason):
    """Trả lại (02), decided by the clerk."""
    inbound.state, inbound.reason, inbound.processed_at = RETURNED, reason, utcnow()
    send_status(session, inbound, "02", reason)
    session.commit()


def _freeze(session, inbound, package):
    """Recall (1) or replacement (3): the received document is frozen and marked, its
    metadata kept; the clerk sees why in its history."""
    targets = [package.key] if package.business_type == RECALL else package.replaces
    for target in targets:
        for earlier in _arrivals(session, inbound.from_organ_id, target):
            earlier.reason = package.business_reason
            document = earlier.incoming
            if document is None or document.state in FROZEN_STATES.values():
                continue
            from_state = document.state
            document.state = FROZEN_STATES[package.business_type]
            document.events.append(IncomingEvent(
                action=document.state, from_state=from_state, to_state=document.state,
                note=f"{package.business_reason} ({package.key})"[:2000], at=utcnow()))
    inbound.state, inbound.processed_at = APPLIED, utcnow()
    inbound.reason = package.business_reason
    session.commit()


def process_received(session) -> int:
    """The worker's part of receiving: every stored package not yet processed."""
    ids = list(session.scalars(select(ExchangeInbound.id).where(
        ExchangeInbound.state == RECEIVED).order_by(ExchangeInbound.id)))
    for inbound_id in ids:
        inbound = session.get(ExchangeInbound, inbound_id)
        try:
            process(session, inbound)
        except Exception as error:  # one bad row must not stop the others; never returned
            session.rollback()  # by itself: kept, with the reason, and tried again next round
            current_app.logger.exception("exchange: processing inbound %s", inbound_id)
            inbound = session.get(ExchangeInbound, inbound_id)
            inbound.error = str(error)[:2000] or error.__class__.__name__
            session.commit()
    return len(ids)


def import_file(session, user, data: bytes):
    """An .edxml file received by other means (e-mail, USB): the same checks as the network,
    processed at once into the registration queue."""
    require_clerk(user)
    result = receive(session, data, source="file")
    if isinstance(result, ExchangeStatus):
        return result
    process(session, result)
    return session.get(ExchangeInbound, result.id)


def require_clerk(user):
    from app.security.access import may

    if not may(user, "can_write", "Exchange"):
        raise DomainError(_l("Chỉ văn thư thực hiện liên thông văn bản."))


def return_inbound(session, user, inbound, reason):
    """Trả lại (status 02), the clerk's decision: a package waiting in the queue (or one that
    could not be processed) goes back to its sender with the reason; the waiting entry (which
    has no number) is removed, and so are the other clerks' notices about it."""
    require_clerk(user)
    reason = nfc((reason or "").strip())
    if not reason:
        raise incoming_services.FormErrors({"reason": [_l("Nhập lý do trả lại.")]})
    if len(reason) > 500:
        raise incoming_services.FormErrors({"reason": [_l("Lý do trả lại tối đa 500 ký tự.")]})
    document = inbound.incoming
    waiting = inbound.state == QUEUED and document is not None and \
        document.state == incoming_services.PENDING
    if not waiting and not (inbound.state == RECEIVED and document is None):
        raise DomainError(_l("Chỉ trả lại được văn bản đang chờ vào sổ."))
    # the files and their OCR'd copies (app.documents.ocr_jobs)
    stored = [name for f in document.files for name in (f.storage_name, f.ocr_storage_name)
              if name] if document is not None else []
    if document is not None:
        settle_all(session, f"incoming:{document.id}", kinds=["incoming.arrived"])
        session.delete(document)
    inbound.incoming_id = None
    _refuse(session, inbound, reason)
    from app.core.files import file_path

    for name in stored:  # the rows are gone: so are their files
        file_path(current_app.config["DATA_DIR"], name).unlink(missing_ok=True)


def queue_entry(session, document_id):
    """The exchange record of a received document, if it came by exchange."""
    return session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.incoming_id == document_id))


# ---------------------------------------------------------------- statuses

def send_status(session, inbound, code, description="", staff_name="", at=None):
    """Queue a status message about a received package to its sender (when it is a partner
    we can reach; a package from a file has nobody to tell)."""
    partner = inbound.partner or partner_for_organ(session, inbound.from_organ_id)
    inbound.last_status = code
    if partner is None or not (partner.endpoint_url or partner.channel == PLATFORM):
        return None
    moment = to_local(at) if at is not None else local_now()  # when the step happened
    status = edxml.Status(document_id=inbound.document_key, sender=our_organ(), code=code,
                          timestamp=moment.replace(tzinfo=None, microsecond=0),
                          description=_short(description, 500),
                          staff=edxml.Staff(staff=staff_name[:100]))
    try:
        payload = signed(edxml.build_status(status))
    except DomainError as error:  # the key cannot be used: shown failed, with the reason
        row = _outbox(session, partner, "status", inbound.document_key, "", status_code=code,
                      inbound_id=inbound.id)
        row.state, row.last_error = FAILED, str(error)
        return row
    return _outbox(session, partner, "status", inbound.document_key, payload,
                   status_code=code, inbound_id=inbound.id)


def sync_statuses(session) -> int:
    """Report the routing of received documents: each step that moves the status forward
    (03 registered, 04 assigned, 05 in progress, 06 completed) goes back once."""
    count = 0
    inbounds = list(session.scalars(select(ExchangeInbound).where(
        ExchangeInbound.state.in_([QUEUED, REGISTERED]),
        ExchangeInbound.incoming_id.is_not(None),  # 06 is the last word: no longer followed
        or_(ExchangeInbound.last_status.is_(None), ExchangeInbound.last_status < "06"))))
    for inbound in inbounds:
        events = session.scalars(select(IncomingEvent).where(
            IncomingEvent.document_id == inbound.incoming_id,
            IncomingEvent.id > inbound.last_event_id).order_by(IncomingEvent.id))
        said = ""  # the latest note: a completion without one reports the officer's result
        for event in events:
            inbound.last_event_id = event.id
            said = event.note or said
            code = EVENT_STATUS.get(event.action)
            if code == "03":
                inbound.state = REGISTERED
            if code and code > (inbound.last_status or "00"):
                actor = event.actor.full_name if event.actor else ""
                note = event.note or (said if code == "06" else "")
                send_status(session, inbound, code, note, actor, at=event.at)
                count += 1
    session.commit()
    return count


def apply_status(session, status: edxml.Status, partner=None):
    """A recipient's status about a package we sent: recorded and shown on the outgoing
    record; repeated, it changes nothing."""
    organ = status.sender.organ_id
    if partner is not None and organ.upper() not in agency_codes(partner.agency):
        raise edxml.PackageError([_l("Status/From/OrganId: «%(id)s» không phải mã của cơ quan "
                                     "đã xác thực.", id=organ)])
    query = select(ExchangeOutbox).where(
        ExchangeOutbox.kind == "package", ExchangeOutbox.document_key == status.document_id,
        ExchangeOutbox.business_type.in_([NEW, REPLACE])).order_by(ExchangeOutbox.id)
    rows = [row for row in session.scalars(query)
            if organ.upper() in agency_codes(row.partner.agency)]
    if not rows:
        raise edxml.PackageError([_l("Status/ResponseFor: không có văn bản «%(id)s» đã gửi "
                                     "đến cơ quan này.", id=status.document_id)])
    row = rows[-1]
    if session.scalar(select(ExchangeStatus.id).where(ExchangeStatus.outbox_id == row.id,
                                                      ExchangeStatus.code == status.code)):
        raise Duplicate(_l("Trạng thái %(code)s đã được nhận trước đây.", code=status.code))
    record = ExchangeStatus(outbox_id=row.id, code=status.code,
                            description=status.description or None,
                            staff=status.staff.staff or None,
                            at=local_to_utc(status.timestamp), received_at=utcnow())
    session.add(record)
    if status.code == "02" or status.code > (row.remote_status or "00"):
        row.remote_status, row.remote_note = status.code, status.description or None
    if row.recipient is not None and "03" <= status.code <= "06":
        row.recipient.status = DELIVERED
    session.commit()
    return record


def statuses_of(session, outgoing_id):
    """[(outbox row, [ExchangeStatus])] of an outgoing document, for its page."""
    rows = list(session.scalars(select(ExchangeOutbox).where(
        ExchangeOutbox.outgoing_id == outgoing_id, ExchangeOutbox.kind == "package")
        .order_by(ExchangeOutbox.id)))
    history = {}
    for status in session.scalars(select(ExchangeStatus).where(
            ExchangeStatus.outbox_id.in_([r.id for r in rows])).order_by(ExchangeStatus.at,
                                                                         ExchangeStatus.id)):
        history.setdefault(status.outbox_id, []).append(status)
    return [(row, history.get(row.id, [])) for row in rows]


def mark_sent(session, row, *, error=None, retry=True, when=None):
    """After a try: sent (the recipient is marked dispatched), or a retry with back-off, or
    failed for good after MAX_ATTEMPTS or when the partner refused the package."""
    when = when or utcnow()
    row.claimed_until = None
    if error is None:
        row.state, row.sent_at, row.last_error = SENT, when, None
        if row.recipient is not None and row.business_type != RECALL \
                and row.recipient.status == DISPATCH_PENDING:
            row.recipient.status, row.recipient.dispatched_at = DISPATCHED, when
    else:
        row.attempts += 1
        row.last_error = str(error)[:2000]
        max_attempts = current_app.config.get("EXCHANGE_MAX_ATTEMPTS", 8)
        if not retry or row.attempts >= max_attempts:
            row.state = FAILED
        else:
            row.state = PENDING
            row.next_attempt_at = when + backoff(row.attempts)
    session.commit()


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def retry(session, user, row):
    """The clerk sends a failed message again."""
    require_clerk(user)
    if row.state != FAILED or not row.payload:
        raise DomainError(_l("Chỉ gửi lại được tin đã gửi không thành công."))
    row.state, row.attempts, row.next_attempt_at = PENDING, 0, utcnow()
    session.commit()
