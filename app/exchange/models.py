"""Liên thông văn bản (QCVN 102:2016 edXML): partner agencies, the outbox of packages and
status messages we send, the packages we received, and the statuses our recipients sent back."""
import json

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, Column, DateTime, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint,
    false,
)
from sqlalchemy.orm import relationship

from app.catalogs.models import Agency
from app.core.model_mixins import label_of, reference
from app.core.timefmt import utcnow

# edXML status codes (DOMAIN.md §2).
STATUS_CODES = {
    "01": _l("Đã đến"),
    "02": _l("Bị trả lại"),
    "03": _l("Đã vào sổ"),
    "04": _l("Đã phân công"),
    "05": _l("Đang xử lý"),
    "06": _l("Hoàn thành"),
    "13": _l("Đề nghị lấy lại"),
    "15": _l("Đồng ý lấy lại"),
    "16": _l("Từ chối lấy lại"),
}
# BussinessDocType
NEW, RECALL, UPDATE, REPLACE = 0, 1, 2, 3
BUSINESS_TYPES = {NEW: _l("Văn bản mới"), RECALL: _l("Thu hồi"), UPDATE: _l("Cập nhật"),
                  REPLACE: _l("Thay thế")}


DIRECT, PLATFORM = "direct", "platform"
CHANNELS = {DIRECT: _l("Trực tiếp (điểm – điểm)"), PLATFORM: _l("Qua trục liên thông")}


class ExchangePartner(Model):
    """An agency we exchange with directly over HTTP: its endpoint and the two secrets.
    `outbound_token` is what we present to it (it must be sent, so it is kept as given);
    only the sha256 of the token it presents to us is kept (`inbound_token_hash`)."""
    __tablename__ = "exchange_partner"
    __label__ = _l("cơ quan liên thông")

    id = Column(Integer, primary_key=True)
    agency_id, agency = reference(Agency, nullable=False, unique=True)
    endpoint_url = Column(String(500))  # their /api/v1/exchange/inbox; empty: file only
    outbound_token = Column(String(200))
    inbound_token_hash = Column(String(64), unique=True)
    active = Column(Boolean, nullable=False, default=True, server_default=false())
    # How packages reach it: "direct" (its endpoint_url, point to point) or "platform" (the
    # national document exchange platform or a provincial axis, app.exchange.platform).
    channel = Column(String(10), nullable=False, default=DIRECT, server_default=DIRECT)
    notes = Column(String(500))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return str(self.agency or "")


# Outbox states
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
OUTBOX_STATES = {PENDING: _l("Chờ gửi"), SENDING: _l("Đang gửi"), SENT: _l("Đã gửi"),
                 FAILED: _l("Gửi không thành công")}


class ExchangeOutbox(Model):
    """One message to one partner: a package (a new document, a recall, a replacement) or a
    status. Sent by the worker with retries and back-off (app.exchange.worker)."""
    __tablename__ = "exchange_outbox"
    __label__ = _l("hàng đợi gửi liên thông")

    id = Column(Integer, primary_key=True)
    partner_id, partner = reference(ExchangePartner, nullable=False, index=True)
    kind = Column(String(10), nullable=False)  # "package" | "status"
    document_key = Column(String(120), nullable=False, index=True)  # edXML DocumentId
    business_type = Column(SmallInteger, nullable=False, default=NEW)
    status_code = Column(String(2))  # of a status message
    outgoing_id = Column(Integer, ForeignKey("outgoing_document.id", ondelete="CASCADE"),
                         index=True)
    outgoing = relationship("OutgoingDocument")
    recipient_id = Column(Integer, ForeignKey("outgoing_recipient.id", ondelete="CASCADE"),
                          index=True)
    recipient = relationship("OutgoingRecipient")
    inbound_id = Column(Integer, ForeignKey("exchange_inbound.id", ondelete="CASCADE"))
    payload = Column(Text, nullable=False)
    state = Column(String(10), nullable=False, default=PENDING, index=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    claimed_until = Column(DateTime)  # a worker is sending it until then
    last_error = Column(Text)
    platform_id = Column(String(100))  # the platform's id of the message, once sent through it
    remote_status = Column(String(2))  # the recipient's latest status code (packages)
    remote_note = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)

    state_label = label_of("state", OUTBOX_STATES)

    @property
    def remote_label(self):
        return STATUS_CODES.get(self.remote_status, "") if self.remote_status else ""


SIGNATURE_STATES = {"valid": _l("Chữ ký số hợp lệ, chứng thư được tin cậy"),
                    "untrusted": _l("Chữ ký số đúng nội dung, chứng thư chưa được tin cậy"),
                    "invalid": _l("Chữ ký số không hợp lệ: gói tin đã bị thay đổi hoặc hỏng"),
                    "unchecked": _l("Có chữ ký nhưng không theo chuẩn XML-DSig, không kiểm tra "
                                    "được")}

# Inbound states
RECEIVED, QUEUED, REGISTERED, RETURNED, APPLIED = (
    "received", "queued", "registered", "returned", "applied")
INBOUND_STATES = {RECEIVED: _l("Đã nhận, chờ xử lý"), QUEUED: _l("Chờ tiếp nhận"),
                  REGISTERED: _l("Đã vào sổ"), RETURNED: _l("Đã trả lại"),
                  APPLIED: _l("Đã áp dụng")}


class ExchangeInbound(Model):
    """One arrival of a package (by the network, the platform or a file). The same package
    received again is stored once (`repeats` counts the copies); a package sent again after
    we returned it, or a different package under a DocumentId still waiting, is a new arrival
    linked to the earlier one (`previous_id`, `sequence` 1, 2 …)."""
    __tablename__ = "exchange_inbound"
    __label__ = _l("văn bản liên thông đến")
    __table_args__ = (UniqueConstraint("from_organ_id", "document_key", "business_type",
                                       "sequence", name="uq_exchange_inbound_arrival"),)

    id = Column(Integer, primary_key=True)
    partner_id, partner = reference(ExchangePartner, ondelete="SET NULL")
    source = Column(String(10), nullable=False, default="network")  # "network" | "file"
    from_organ_id = Column(String(30), nullable=False)
    from_name = Column(String(200))
    document_key = Column(String(120), nullable=False)
    business_type = Column(SmallInteger, nullable=False, default=NEW)
    subject = Column(String(500))
    payload = Column(Text)  # the package, until processed
    sha256 = Column(String(64), nullable=False)
    state = Column(String(10), nullable=False, default=RECEIVED, index=True)
    incoming_id = Column(Integer, ForeignKey("incoming_document.id", ondelete="SET NULL"),
                         index=True)
    incoming = relationship("IncomingDocument")
    reason = Column(Text)  # why it was returned (02), or the recall/replacement reason
    last_status = Column(String(2))  # the latest status we sent back
    last_event_id = Column(Integer, nullable=False, default=0)  # routing events reported
    received_at = Column(DateTime, nullable=False, default=utcnow)
    processed_at = Column(DateTime)
    sequence = Column(Integer, nullable=False, default=0, server_default="0")
    previous_id = Column(Integer, ForeignKey("exchange_inbound.id"))
    previous = relationship("ExchangeInbound", remote_side=[id])
    # What is odd in the package, for the clerk: JSON [{"element", "field", "message"}].
    warnings = Column(Text)
    # XML-DSig: None (unsigned), valid, untrusted, invalid, unchecked (not XML-DSig)
    signature_state = Column(String(12))
    signature_note = Column(Text)
    repeats = Column(Integer, nullable=False, default=0, server_default="0")
    last_repeat_at = Column(DateTime)
    error = Column(Text)  # why processing failed (retried each round; never returned by itself)
    platform_id = Column(String(100))  # the platform's id of the package, when it came that way

    @property
    def current_state(self):
        """Registered as soon as the clerk registers it (the worker's next round, which sends
        03, records it on the row)."""
        if self.state == QUEUED and self.incoming is not None and \
                self.incoming.state != "pending":
            return REGISTERED
        return self.state

    @property
    def state_label(self):
        return INBOUND_STATES.get(self.current_state, self.state)

    @property
    def excerpt(self):
        """What the clerk registered it as, else the package's Subject."""
        return (self.incoming.excerpt if self.incoming is not None else "") or self.subject

    @property
    def warning_list(self) -> list:
        """[{"element", "field", "message"}] (field: the registration form's field or "")."""
        try:
            return json.loads(self.warnings) if self.warnings else []
        except ValueError:
            return []

    @property
    def signature_label(self):
        return SIGNATURE_STATES.get(self.signature_state, "") if self.signature_state else \
            _l("Không có chữ ký số XML")


class ExchangeStatus(Model):
    """A status message a recipient sent back about one of our packages."""
    __tablename__ = "exchange_status"
    __label__ = _l("trạng thái liên thông")

    id = Column(Integer, primary_key=True)
    outbox_id = Column(Integer, ForeignKey("exchange_outbox.id", ondelete="CASCADE"),
                       nullable=False, index=True)
    code = Column(String(2), nullable=False)
    description = Column(Text)
    staff = Column(String(200))
    at = Column(DateTime, nullable=False)  # the recipient's Timestamp (UTC)
    received_at = Column(DateTime, nullable=False, default=utcnow)

    @property
    def label(self):
        return STATUS_CODES.get(self.code, self.code)


# The outbox and inbound rows change state at every try: their own columns are their history.
# The partner's secrets are never written to the trail.
from app.audit import services as _audit  # noqa: E402

_audit.NOT_AUDITED.update({"exchange_outbox", "exchange_inbound", "exchange_status"})
_audit.SECRET_FIELDS.update({"outbound_token", "inbound_token_hash"})
