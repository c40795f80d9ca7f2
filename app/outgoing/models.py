"""Drafts (văn bản dự thảo) and outgoing documents (văn bản đi)."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text,
    UniqueConstraint, false,
)
from sqlalchemy.orm import relationship

from app.catalogs.models import (
    Agency, DocumentType, Field, Register, SecrecyLevel, Signer, UrgencyLevel,
)
from app.core.model_mixins import (
    EventLine, label_of, link_table, lines, part_of, reference,
)
from app.core.models import DocumentFile
from app.core.timefmt import utcnow
from app.documents.models import IncomingDocument
from app.org.models import Department, EofficeUser
from app.security.delegation import Delegation

# Draft states; transitions in app.outgoing.workflow.
DRAFTING = "drafting"          # being written (or returned to the drafter)
UNIT_REVIEW = "unit_review"    # submitted to the drafting unit's leader
SIGNER_REVIEW = "signer_review"  # submitted to the person who will sign
APPROVED = "approved"          # approved and passed for issuance (chuyển phát hành)
ISSUED = "issued"              # the clerk issued it: an OutgoingDocument exists
DRAFT_STATES = {
    DRAFTING: _l("Đang soạn thảo"),
    UNIT_REVIEW: _l("Chờ lãnh đạo đơn vị"),
    SIGNER_REVIEW: _l("Chờ người ký duyệt"),
    APPROVED: _l("Đã duyệt, chờ phát hành"),
    ISSUED: _l("Đã phát hành"),
}

# A draft's recipients (nơi nhận): units, people and other agencies.
DRAFT_KEY, RECIPIENTS = ("draft_id", "draft", "CASCADE"), _l("nơi nhận của dự thảo")
draft_internal_unit = link_table("draft_internal_unit", RECIPIENTS, DRAFT_KEY,
                                 ("department_id", "department", "RESTRICT"))
draft_internal_user = link_table("draft_internal_user", RECIPIENTS, DRAFT_KEY,
                                 ("user_id", "ab_user", "RESTRICT"))
draft_external_agency = link_table("draft_external_agency", RECIPIENTS, DRAFT_KEY,
                                   ("agency_id", "agency", "RESTRICT"))


class Draft(Model):
    __tablename__ = "draft"
    __label__ = _l("văn bản dự thảo")
    # the grid's order (newest change first): walked, never sorted whole (a decade holds one
    # draft per outgoing document)
    __table_args__ = (Index("ix_draft_updated_at", "updated_at", "id"),)

    id = Column(Integer, primary_key=True)
    state = Column(String(20), nullable=False, default=DRAFTING, index=True)
    document_type_id, document_type = reference(DocumentType, nullable=False)
    excerpt = Column(String(1000), nullable=False)  # trích yếu
    field_id, field = reference(Field, index=True)
    urgency_id, urgency = reference(UrgencyLevel, nullable=False)
    secrecy_id, secrecy = reference(SecrecyLevel, nullable=False)
    signer_id, signer = reference(Signer)  # intended signer
    drafting_department_id, drafting_department = reference(Department, nullable=False, index=True)
    drafter_id, drafter = reference(EofficeUser, nullable=False, index=True)
    # indexed: the incoming document's page lists its answers (app.outgoing.replies)
    reply_to_id, reply_to = reference(IncomingDocument, ondelete="SET NULL", index=True)
    # A replacement (Decree 30 Art. 18): issuing this draft replaces that outgoing document.
    replaces_id = Column(Integer, ForeignKey("outgoing_document.id", ondelete="RESTRICT",
                                             use_alter=True, name="fk_draft_replaces"))
    replaces = relationship("OutgoingDocument", foreign_keys=[replaces_id])
    internal_units = relationship(Department, secondary=draft_internal_unit)
    internal_users = relationship(EofficeUser, secondary=draft_internal_user)
    external_agencies = relationship(Agency, secondary=draft_external_agency)
    notes = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # The office leader's check (Art. 7.1d): who marked it checked, when, and which version;
    # a new version or an edit clears it (what was checked is what gets issued).
    checked_at = Column(DateTime, index=True)
    checked_by_id, checked_by = reference(EofficeUser, ondelete=None)
    checked_version = Column(Integer)
    # Approved by a deputy acting for the signer (app.security.delegation).
    approved_delegation_id, approved_delegation = reference(Delegation, ondelete=None)
    # Signed digitally by the signer (ký số, Decree 30 Art. 8): the signed PDF, which version of
    # the draft it is, who signed, when and how ("csc": remote signing service; "upload": signed
    # with the signer's own token software and uploaded). A new version clears it.
    signed_file_id, signed_file = reference(DocumentFile, ondelete=None)
    signed_version = Column(Integer)
    signed_by_id, signed_by = reference(EofficeUser, ondelete=None)
    signed_at = Column(DateTime)
    signing_method = Column(String(10))

    versions = relationship("DraftVersion", back_populates="draft",
                            order_by="DraftVersion.number", cascade="all, delete-orphan")
    events = lines("DraftEvent", "draft")
    outgoing = relationship("OutgoingDocument", back_populates="draft", uselist=False,
                            foreign_keys="OutgoingDocument.draft_id")

    state_label = label_of("state", DRAFT_STATES)

    @property
    def is_checked(self) -> bool:
        return self.checked_at is not None

    @property
    def latest_version(self):
        return self.versions[-1] if self.versions else None

    @property
    def is_secret(self):
        return bool(self.secrecy and self.secrecy.level > 0)

    def __repr__(self):
        return f"{self.document_type.name if self.document_type else ''}: {self.excerpt[:60]}"


class DraftVersion(Model):
    """Each upload of the draft file is a new version; earlier ones are kept."""
    __tablename__ = "draft_version"
    __label__ = _l("phiên bản dự thảo")
    __table_args__ = (UniqueConstraint("draft_id", "number", name="uq_draft_version"),)

    id = Column(Integer, primary_key=True)
    draft_id, draft = part_of(Draft, "versions", index=None)  # uq_draft_version leads with it
    number = Column(Integer, nullable=False)
    file_id, file = reference(DocumentFile, nullable=False)
    note = Column(String(500))
    uploaded_by_id, uploaded_by = reference(EofficeUser)
    uploaded_at = Column(DateTime, nullable=False, default=utcnow)


class DraftEvent(EventLine, Model):
    """The draft's history and comments (the note: the comment when returned), append-only."""
    __tablename__ = "draft_event"
    __label__ = _l("lịch sử dự thảo")

    draft_id, draft = EventLine.of(Draft)
    action, from_state, to_state = EventLine.step(30, 20)


# Outgoing document states
ISSUED_STATE, RECALLED, REPLACED = "issued", "recalled", "replaced"
OUTGOING_STATES = {ISSUED_STATE: _l("Đã phát hành"), RECALLED: _l("Đã thu hồi"),
                   REPLACED: _l("Đã bị thay thế")}


class OutgoingDocument(Model):
    """Văn bản đi: issued by the clerk from an approved draft, numbered in an outgoing
    register; number + symbol unique in the year."""
    __tablename__ = "outgoing_document"
    __label__ = _l("văn bản đi")
    __table_args__ = (
        UniqueConstraint("register_id", "year", "number", name="uq_outgoing_number"),
        UniqueConstraint("year", "number_symbol_key", name="uq_outgoing_number_symbol"),
        # the grid's order (newest issued first): walked, never sorted whole
        Index("ix_outgoing_document_issued_at", "issued_at", "id"),
    )

    id = Column(Integer, primary_key=True)
    state = Column(String(12), nullable=False, default=ISSUED_STATE, index=True)
    draft_id = Column(Integer, ForeignKey("draft.id", ondelete="RESTRICT"), unique=True)
    draft = relationship(Draft, back_populates="outgoing", foreign_keys=[draft_id])
    register_id, register = reference(Register, nullable=False)
    year = Column(Integer, nullable=False)
    number = Column(Integer, nullable=False)
    symbol = Column(String(60), nullable=False)  # "QĐ-SNV", "SNV-VP", "2026/QĐ-UBND"
    number_symbol = Column(String(80), nullable=False)  # "15/QĐ-SNV", for display
    number_symbol_key = Column(String(80), nullable=False, index=True)
    issued_date = Column(Date, nullable=False, index=True)
    place = Column(String(100), nullable=False)
    document_type_id, document_type = reference(DocumentType, nullable=False, index=True)
    excerpt = Column(String(1000), nullable=False)
    field_id, field = reference(Field, index=True)
    urgency_id, urgency = reference(UrgencyLevel, nullable=False)
    secrecy_id, secrecy = reference(SecrecyLevel, nullable=False)
    signer_name = Column(String(100), nullable=False)
    signer_position = Column(String(100), nullable=False)
    signer_authority = Column(String(5), nullable=False, default="")
    drafting_department_id, drafting_department = reference(Department)
    page_count = Column(Integer)
    copies = Column(Integer)  # số lượng bản
    archive_holder = Column(String(200))  # đơn vị, người nhận bản lưu
    notes = Column(Text)
    issued_by_id, issued_by = reference(EofficeUser)
    issued_at = Column(DateTime, nullable=False, default=utcnow)
    recall_reason = Column(Text)
    replaces_id = Column(Integer, ForeignKey("outgoing_document.id", ondelete="RESTRICT"))
    replaces = relationship("OutgoingDocument", remote_side=[id], foreign_keys=[replaces_id])
    search_text = Column(Text, nullable=False, default="")
    # Signed by a deputy under a delegation: for whom (the delegator's title and name).
    delegation_id, delegation = reference(Delegation, ondelete=None)
    signed_for = Column(String(100))
    signed_for_name = Column(String(100))
    # Issued electronically: the signer's digital signature and the agency's (no paper scan);
    # the issued PDF is the file of role SIGNED_PDF.
    electronic = Column(Boolean, nullable=False, default=False, server_default=false())

    recipients = lines("OutgoingRecipient", "document")
    files = lines("OutgoingFile", "document")

    state_label = label_of("state", OUTGOING_STATES)

    @property
    def is_secret(self):
        return bool(self.secrecy and self.secrecy.level > 0)

    @property
    def signature_block(self) -> str:
        """The signature as printed: "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC" under a delegation,
        otherwise the authority and the position ("KT. Phó Giám đốc")."""
        if self.signed_for:
            return f"{self.signer_authority} {self.signed_for.upper()} / " \
                   f"{self.signer_position.upper()}".strip()
        return f"{self.signer_authority} {self.signer_position}".strip()

    def file_of(self, role):
        return next((f.file for f in self.files if f.role == role), None)

    def __repr__(self):
        return f"{self.number_symbol} – {self.excerpt[:60]}"


# How the signer signed a draft digitally (Draft.signing_method).
SIGNING_METHODS = {"csc": _l("qua dịch vụ ký số từ xa"),
                   "upload": _l("bằng thiết bị ký số của người ký, tải lên"),
                   "demo": _l("bằng khóa thử nghiệm (chỉ để thử nghiệm)")}

DRAFTER_FILE, SIGNED_SCAN, SIGNED_PDF = "drafter_file", "signed_scan", "signed_pdf"
FILE_ROLES = {DRAFTER_FILE: _l("Tệp của người soạn thảo"),
              SIGNED_SCAN: _l("Bản quét có chữ ký, đóng dấu"),
              SIGNED_PDF: _l("Văn bản điện tử có chữ ký số")}


class OutgoingFile(Model):
    __tablename__ = "outgoing_file"
    __label__ = _l("tệp văn bản đi")

    id = Column(Integer, primary_key=True)
    document_id, document = part_of(OutgoingDocument, "files")
    role = Column(String(20), nullable=False)
    file_id, file = reference(DocumentFile, nullable=False)


INTERNAL_UNIT, INTERNAL_USER, EXTERNAL = "unit", "user", "external"
DISPATCH_PENDING, DISPATCHED, RECEIVED = "pending", "dispatched", "received"
DISPATCH_STATES = {DISPATCH_PENDING: _l("Chờ gửi"), DISPATCHED: _l("Đã gửi"),
                   RECEIVED: _l("Đã nhận")}


class OutgoingRecipient(Model):
    """Nơi nhận: an internal unit or person (who then sees the document in their inbox) or an
    external agency (sent the signed scan only)."""
    __tablename__ = "outgoing_recipient"
    __label__ = _l("nơi nhận văn bản đi")

    id = Column(Integer, primary_key=True)
    document_id, document = part_of(OutgoingDocument, "recipients")
    kind = Column(String(10), nullable=False)
    department_id, department = reference(Department, index=True)
    user_id, user = reference(EofficeUser, index=True)
    agency_id, agency = reference(Agency)
    status = Column(String(12), nullable=False, default=DISPATCH_PENDING)
    dispatched_at = Column(DateTime)
    read_at = Column(DateTime)  # internal: when the recipient opened it

    @property
    def name(self):
        return str(self.department or self.user or self.agency or "")

    status_label = label_of("status", DISPATCH_STATES)
