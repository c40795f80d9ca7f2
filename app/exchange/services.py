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
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.catalogs.models import Agency, DocumentType, SecrecyLevel, UrgencyLevel
from app.core import storage
from app.core.errors import DomainError
from app.core.text import fold, nfc
from app.core.timefmt import local_now, local_to_utc, to_local, utcnow
from app.documents import services as incoming_services
from app.documents.models import IncomingEvent
from app.exchange import edxml
from app.exchange.models import (
    APPLIED, NEW, PENDING, QUEUED, RECALL, RECEIVED, REGISTERED, REPLACE, RETURNED, SENT,
    FAILED, ExchangeInbound, ExchangeOutbox, ExchangePartner, ExchangeStatus,
)
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
    return session.scalar(select(ExchangePartner).join(Agency).where(
        ExchangePartner.active,
        or_(Agency.electronic_id == organ_id, func.upper(Agency.legacy_code) == organ_id)))


# ---------------------------------------------------------------- building our packages

def _organ_of(agency) -> edxml.Organ:
    return edxml.Organ(agency.electronic_id or agency.legacy_code or "", name=agency.name,
                       address=agency.address or "", email=agency.email or "",
                       phone=agency.phone or "")


def _short(text, limit):
    """Strict in what we send: a field over the edXML limit is cut with an ellipsis."""
    text = nfc(text or "")
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def package_for(document, agencies, *, business_type=NEW, reason="", replaces=(),
                with_files=True) -> edxml.Package:
    """The edXML package of an issued document for these recipient agencies: the signed scan
    only (Art. 9.1b), never the drafter's file."""
    sender = our_organ()
    issuer = document.issued_by
    staff = edxml.Staff(department=str(document.drafting_department or "")[:200],
                        staff=issuer.full_name if issuer else "",
                        email=(issuer.email or "") if issuer else "",
                        mobile=(getattr(issuer, "phone", "") or "") if issuer else "")
    attachments = []
    if with_files:
        for index, link in enumerate(f for f in document.files if f.role == SIGNED_SCAN):
            record = link.file
            attachments.append(edxml.Attachment(
                f"cid:{index + 1}", record.original_name, record.content_type,
                storage.read_file(record), str(_l("Bản quét có chữ ký, đóng dấu"))))
    doc_type = document.document_type
    return edxml.Package(
        sender=sender, recipients=[_organ_of(a) for a in agencies],
        code_number=f"{document.number:02d}", code_notation=document.symbol,
        promulgation_date=document.issued_date, place=document.place,
        type_kind=doc_type.kind, type_detail=doc_type.abbreviation or "",
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
    agencies = [r.agency for r in document.recipients if r.kind == EXTERNAL and r.agency
                and agency_codes(r.agency)]
    if not agencies:
        raise DomainError(_l("Văn bản không có nơi nhận bên ngoài có mã định danh điện tử."))
    try:
        return edxml.build_package(package_for(document, agencies))
    except edxml.PackageError as error:
        raise DomainError(_l("Không lập được gói tin: %(e)s", e=error)) from error


def _outbox(session, partner, kind, document_key, payload, **fields):
    row = ExchangeOutbox(partner=partner, kind=kind, document_key=document_key,
                         payload=payload.decode() if isinstance(payload, bytes) else payload,
                         state=PENDING, next_attempt_at=utcnow(), **fields)
    session.add(row)
    return row


def enqueue_issued(session) -> int:
    """Packages for external recipients not yet queued (issued documents, partners with an
    endpoint). A document we cannot package is queued as failed, with the reason."""
    sent = select(ExchangeOutbox.recipient_id).where(ExchangeOutbox.recipient_id.is_not(None))
    rows = session.execute(
        select(OutgoingRecipient, ExchangePartner)
        .join(ExchangePartner, ExchangePartner.agency_id == OutgoingRecipient.agency_id)
        .join(OutgoingDocument, OutgoingDocument.id == OutgoingRecipient.document_id)
        .where(OutgoingRecipient.kind == EXTERNAL,
               OutgoingRecipient.status == DISPATCH_PENDING,
               OutgoingDocument.state == ISSUED_STATE,
               ExchangePartner.active, ExchangePartner.endpoint_url.is_not(None),
               ExchangePartner.endpoint_url != "", OutgoingRecipient.id.not_in(sent))
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
                    edxml.build_package(package), **fields)
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
        _outbox(session, row.partner, "package", package.document_id,
                edxml.build_package(package), outgoing_id=document.id,
                recipient_id=row.recipient_id, business_type=RECALL)
        count += 1
    session.commit()
    return count


# ---------------------------------------------------------------- receiving

def _agency_for(session, organ: edxml.Organ, *, create: bool):
    agency = session.scalar(select(Agency).where(or_(
        Agency.electronic_id == organ.organ_id, func.upper(Agency.legacy_code) == organ.organ_id)))
    if agency is not None or not create:
        return agency
    name = nfc(organ.name or organ.organ_id)[:200]
    agency = session.scalar(select(Agency).where(func.lower(Agency.name) == name.lower()))
    if agency is None:
        agency = Agency(name=name, address=organ.address[:300] or None,
                        email=organ.email[:320] or None)
        session.add(agency)
    if edxml.ELECTRONIC_ID.match(organ.organ_id) and not agency.electronic_id:
        agency.electronic_id = organ.organ_id
    elif not agency.legacy_code:
        agency.legacy_code = organ.organ_id
    session.flush()
    return agency


def check_package(session, package: edxml.Package, partner=None):
    """Our rules beyond the format: sent by the partner who authenticated, addressed to us,
    dated in the past, with scans that pass the upload checks; a recall or a replacement
    names a document we received from that sender. PackageError lists every problem."""
    problems = []
    ours = our_organ().organ_id
    legacy = (current_app.config.get("EXCHANGE_LEGACY_ID") or "").upper()
    if not any(o.organ_id in (ours, legacy) for o in package.recipients):
        problems.append(_l("To: gói tin không gửi đến cơ quan này (%(id)s).", id=ours))
    if partner is not None and package.sender.organ_id not in agency_codes(partner.agency):
        problems.append(_l("From/OrganId: «%(id)s» không phải mã của cơ quan đã xác thực "
                           "(%(name)s).", id=package.sender.organ_id, name=partner.agency))
    if package.promulgation_date and package.promulgation_date > local_now().date():
        problems.append(_l("PromulgationInfo/PromulgationDate: ngày ban hành ở tương lai."))
    if package.business_type == NEW or package.business_type == REPLACE:
        try:
            storage.check_files([(a.data, a.name) for a in package.attachments])
        except storage.FileErrors as error:
            problems += [_l("Attachment: %(e)s", e=m) for m in error.messages]
    targets = [package.document_id] if package.business_type == RECALL else \
        package.replaces if package.business_type == REPLACE else []
    for target in targets:
        if _received(session, package.sender.organ_id, target) is None:
            problems.append(_l("Bussiness: không có văn bản «%(id)s» đã nhận từ cơ quan gửi "
                               "để thu hồi hoặc thay thế.", id=target))
    if package.business_type == 2:
        problems.append(_l("Bussiness/BussinessDocType: cập nhật (2) chưa được hỗ trợ; gửi "
                           "văn bản thay thế (3)."))
    if problems:
        raise edxml.PackageError(problems)


def _received(session, organ_id, document_key):
    return session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.from_organ_id == organ_id, ExchangeInbound.document_key == document_key,
        ExchangeInbound.business_type.in_([NEW, REPLACE])))


def receive(session, data: bytes, *, partner=None, source="network"):
    """A package or a status from a partner (or a file): validated in full, then stored once.
    Returns the ExchangeInbound (packages) or the ExchangeStatus (statuses); PackageError
    (nothing stored) or Duplicate."""
    limit = current_app.config.get("EXCHANGE_MAX_BYTES", 4 * current_app.config[
        "MAX_UPLOAD_BYTES"])
    if len(data) > limit:
        raise edxml.PackageError([_l("Gói tin quá lớn (tối đa %(mb)s MB).",
                                     mb=limit // (1024 * 1024))])
    message = edxml.read(data)
    if isinstance(message, edxml.Status):
        return apply_status(session, message, partner)
    check_package(session, message, partner)
    key = message.document_id
    if session.scalar(select(ExchangeInbound.id).where(
            ExchangeInbound.from_organ_id == message.sender.organ_id,
            ExchangeInbound.document_key == key,
            ExchangeInbound.business_type == message.business_type)):
        raise Duplicate(_l("Gói tin đã được nhận trước đây (DocumentId %(id)s).", id=key))
    inbound = ExchangeInbound(
        partner=partner or partner_for_organ(session, message.sender.organ_id),
        source=source, from_organ_id=message.sender.organ_id,
        from_name=message.sender.name[:200], document_key=key,
        business_type=message.business_type, subject=message.subject[:500],
        payload=data.decode("utf-8", errors="replace"),
        sha256=hashlib.sha256(data).hexdigest(), state=RECEIVED, received_at=utcnow())
    session.add(inbound)
    try:
        session.commit()
    except IntegrityError as error:  # the same package arriving twice at the same moment
        session.rollback()
        raise Duplicate(_l("Gói tin đã được nhận trước đây (DocumentId %(id)s).", id=key)) \
            from error
    return inbound


def _choose_type(session, package):
    types = list(session.scalars(select(DocumentType).where(DocumentType.active)
                                 .order_by(DocumentType.sort_order)))
    wanted = fold(package.type_name)
    return (next((t for t in types if fold(t.name) == wanted), None)
            or next((t for t in types if package.type_detail and
                     fold(t.abbreviation or "") == fold(package.type_detail)), None)
            or next((t for t in types if fold(t.name) == "cong van"), None) or types[0])


def process(session, inbound) -> None:
    """Turn a stored package into its effect; statuses 01 (or 02 with the reason) go back."""
    package = edxml.read(inbound.payload.encode())
    if package.business_type in FROZEN_STATES:
        _freeze(session, inbound, package)
    if package.business_type == RECALL:
        return
    agency = _agency_for(session, package.sender, create=True)
    session.commit()  # a new agency must outlive register_incoming's fresh transaction
    urgency = session.scalar(select(UrgencyLevel).where(
        UrgencyLevel.priority <= min(package.priority, 3)).order_by(UrgencyLevel.priority.desc()))
    secrecy = session.scalar(select(SecrecyLevel).order_by(SecrecyLevel.level))
    position = " ".join(x for x in (package.signer_competence, package.signer_position) if x)
    data = {
        "arrival_at": to_local(inbound.received_at).replace(tzinfo=None, microsecond=0),
        "channel": "exchange", "agency_id": agency.id, "number_symbol": package.number_symbol,
        "document_date": package.promulgation_date,
        "document_type_id": _choose_type(session, package).id,
        "excerpt": package.subject, "signer_name": package.signer_name or None,
        "signer_position": position[:100] or None, "urgency_id": urgency.id if urgency else None,
        "secrecy_id": secrecy.id if secrecy else None, "page_count": package.page_amount,
        "deadline": package.due_date, "notes": package.content or None,
    }
    inbound_id = inbound.id
    try:
        document = incoming_services.register_incoming(
            session, None, data, [(a.data, a.name) for a in package.attachments],
            confirm_duplicate=True, state=incoming_services.PENDING)
    except DomainError as error:
        session.rollback()
        inbound = session.get(ExchangeInbound, inbound_id)
        reasons = getattr(error, "errors", None)
        reason = "; ".join(str(m) for v in reasons.values() for m in v) if reasons \
            else str(error)
        _refuse(session, inbound, reason)
        return
    inbound = session.get(ExchangeInbound, inbound_id)
    inbound.incoming_id, inbound.state = document.id, QUEUED
    inbound.processed_at = utcnow()
    inbound.last_event_id = max((e.id for e in document.events), default=0)
    send_status(session, inbound, "01")
    session.commit()


def _refuse(session, inbound, reason):
    inbound.state, inbound.reason, inbound.processed_at = RETURNED, reason, utcnow()
    send_status(session, inbound, "02", reason)
    session.commit()


def _freeze(session, inbound, package):
    """Recall (1) or replacement (3): the received document is frozen and marked, its
    metadata kept; the clerk sees why in its history."""
    targets = [package.document_id] if package.business_type == RECALL else package.replaces
    for target in targets:
        earlier = _received(session, package.sender.organ_id, target)
        if earlier is None:
            continue
        earlier.reason = package.business_reason
        document = earlier.incoming
        if document is not None:
            from_state = document.state
            document.state = FROZEN_STATES[package.business_type]
            document.events.append(IncomingEvent(
                action=document.state, from_state=from_state, to_state=document.state,
                note=f"{package.business_reason} ({package.document_id})"[:2000],
                at=utcnow()))
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
        except Exception as error:  # one bad row must not stop the others
            session.rollback()
            current_app.logger.exception("exchange: processing inbound %s", inbound_id)
            inbound = session.get(ExchangeInbound, inbound_id)
            _refuse(session, inbound, str(error))
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
    """Trả lại (status 02): a package waiting in the queue goes back to its sender with the
    reason; the waiting entry (which has no number) is removed."""
    require_clerk(user)
    reason = nfc((reason or "").strip())
    if not reason:
        raise incoming_services.FormErrors({"reason": [_l("Nhập lý do trả lại.")]})
    document = inbound.incoming
    if inbound.state != QUEUED or document is None or document.state != \
            incoming_services.PENDING:
        raise DomainError(_l("Chỉ trả lại được văn bản đang chờ vào sổ."))
    stored = [f.storage_name for f in document.files]
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

def send_status(session, inbound, code, description="", staff_name=""):
    """Queue a status message about a received package to its sender (when it is a partner
    we can reach; a package from a file has nobody to tell)."""
    partner = inbound.partner or partner_for_organ(session, inbound.from_organ_id)
    inbound.last_status = code
    if partner is None or not partner.endpoint_url:
        return None
    status = edxml.Status(document_id=inbound.document_key, sender=our_organ(), code=code,
                          timestamp=local_now().replace(tzinfo=None, microsecond=0),
                          description=_short(description, 500),
                          staff=edxml.Staff(staff=staff_name[:100]))
    return _outbox(session, partner, "status", inbound.document_key,
                   edxml.build_status(status), status_code=code, inbound_id=inbound.id)


def sync_statuses(session) -> int:
    """Report the routing of received documents: each step that moves the status forward
    (03 registered, 04 assigned, 05 in progress, 06 completed) goes back once."""
    count = 0
    inbounds = list(session.scalars(select(ExchangeInbound).where(
        ExchangeInbound.state.in_([QUEUED, REGISTERED]),
        ExchangeInbound.incoming_id.is_not(None))))
    for inbound in inbounds:
        events = session.scalars(select(IncomingEvent).where(
            IncomingEvent.document_id == inbound.incoming_id,
            IncomingEvent.id > inbound.last_event_id).order_by(IncomingEvent.id))
        for event in events:
            inbound.last_event_id = event.id
            code = EVENT_STATUS.get(event.action)
            if code == "03":
                inbound.state = REGISTERED
            if code and code > (inbound.last_status or "00"):
                actor = event.actor.full_name if event.actor else ""
                send_status(session, inbound, code, event.note or "", actor)
                count += 1
    session.commit()
    return count


def apply_status(session, status: edxml.Status, partner=None):
    """A recipient's status about a package we sent: recorded and shown on the outgoing
    record; repeated, it changes nothing."""
    organ = status.sender.organ_id
    if partner is not None and organ not in agency_codes(partner.agency):
        raise edxml.PackageError([_l("Status/From/OrganId: «%(id)s» không phải mã của cơ quan "
                                     "đã xác thực.", id=organ)])
    query = select(ExchangeOutbox).where(
        ExchangeOutbox.kind == "package", ExchangeOutbox.document_key == status.document_id,
        ExchangeOutbox.business_type.in_([NEW, REPLACE]))
    rows = [row for row in session.scalars(query) if organ in agency_codes(row.partner.agency)]
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
            ExchangeStatus.outbox_id.in_([r.id for r in rows])).order_by(ExchangeStatus.at)):
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
