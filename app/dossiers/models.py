"""Work dossiers (hồ sơ công việc), the year's dossier plan (danh mục hồ sơ) and the documents
filed in a dossier (Decree 30/2020, Art. 28–31, Appendix V)."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.catalogs.models import Field, RetentionPeriod
from app.core.model_mixins import EventLine, label_of, lines, part_of, reference
from app.core.timefmt import utcnow
from app.documents.models import IncomingDocument
from app.org.models import Department, EofficeUser
from app.outgoing.models import Draft, OutgoingDocument

# Dossier states; who moves a dossier between them is the table in app.dossiers.services.
OPEN = "open"                # being built: documents are filed in it
CLOSED = "closed"            # the work ended; read-only (kết thúc hồ sơ)
HANDED_OVER = "handed_over"  # handed to the agency archive (nộp lưu vào lưu trữ cơ quan)
STATUSES = {
    OPEN: _l("Đang mở"),
    CLOSED: _l("Đã đóng"),
    HANDED_OVER: _l("Đã nộp lưu"),
}


class DossierPlanItem(Model):
    """One line of the year's danh mục hồ sơ, kept by the office: number and symbol (e.g.
    01.TCCB), heading and title, retention period, the unit that creates the dossier."""
    __tablename__ = "dossier_plan_item"
    __label__ = _l("danh mục hồ sơ")
    __table_args__ = (UniqueConstraint("year", "code", name="uq_dossier_plan_code"),)

    id = Column(Integer, primary_key=True)
    year = Column(Integer, nullable=False, index=True)
    code = Column(String(30), nullable=False)  # số và ký hiệu hồ sơ: 01.TCCB
    heading = Column(String(200))  # đề mục, e.g. "I. Tổ chức, cán bộ"
    title = Column(String(500), nullable=False)  # tiêu đề hồ sơ
    retention_id, retention = reference(RetentionPeriod, nullable=False)
    creator_department_id, creator_department = reference(Department)
    notes = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return f"{self.code} {self.title}"


class Dossier(Model):
    """A work dossier: the documents of one matter, kept by its owner, closed when the work
    ends and handed over to the agency archive."""
    __tablename__ = "dossier"
    __label__ = _l("hồ sơ công việc")
    __table_args__ = (UniqueConstraint("year", "code", name="uq_dossier_code"),)

    id = Column(Integer, primary_key=True)
    year = Column(Integer, nullable=False, index=True)
    code = Column(String(30), nullable=False)  # số và ký hiệu hồ sơ, unique in the year
    title = Column(String(500), nullable=False)
    field_id, field = reference(Field, index=True)
    owner_id, owner = reference(EofficeUser, nullable=False, index=True)
    department_id, department = reference(Department, index=True)
    retention_id, retention = reference(RetentionPeriod, nullable=False)
    plan_item_id = Column(Integer, ForeignKey("dossier_plan_item.id", ondelete="RESTRICT"),
                          index=True)
    plan_item = relationship(DossierPlanItem, backref="dossiers")
    start_date = Column(Date, nullable=False)
    end_date = Column(Date)
    deadline = Column(Date, index=True)
    status = Column(String(12), nullable=False, default=OPEN, index=True)
    notes = Column(Text)
    search_text = Column(Text, nullable=False, default="")  # folded, app.core.text.fold
    created_by_id, created_by = reference(EofficeUser)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    closed_at = Column(DateTime)
    handed_over_at = Column(DateTime)

    items = relationship("DossierItem", back_populates="dossier",
                         order_by="DossierItem.position", cascade="all, delete-orphan")
    events = lines("DossierEvent", "dossier")

    status_label = label_of("status", STATUSES)

    @property
    def is_open(self):
        return self.status == OPEN

    def __repr__(self):
        return f"{self.code} {self.title}"


INCOMING, OUTGOING, DRAFT = "incoming", "outgoing", "draft"
ITEM_KINDS = {INCOMING: _l("Văn bản đến"), OUTGOING: _l("Văn bản đi"), DRAFT: _l("Dự thảo")}


class DossierItem(Model):
    """A document filed in a dossier: exactly one of an incoming document, an outgoing
    document or a draft. A document may be in several dossiers, once in each."""
    __tablename__ = "dossier_item"
    __label__ = _l("văn bản trong hồ sơ")
    __table_args__ = (
        UniqueConstraint("dossier_id", "incoming_id", name="uq_dossier_item_incoming"),
        UniqueConstraint("dossier_id", "outgoing_id", name="uq_dossier_item_outgoing"),
        UniqueConstraint("dossier_id", "draft_id", name="uq_dossier_item_draft"),
        CheckConstraint(
            "(CASE WHEN incoming_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN outgoing_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN draft_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_dossier_item_one_document"),
    )

    id = Column(Integer, primary_key=True)
    dossier_id, dossier = part_of(Dossier, "items")
    incoming_id, incoming = reference(IncomingDocument, index=True)
    outgoing_id, outgoing = reference(OutgoingDocument, index=True)
    # A discarded draft leaves the dossiers it was in; issued documents are never deleted.
    draft_id, draft = reference(Draft, ondelete="CASCADE", index=True)
    position = Column(Integer, nullable=False, default=1)  # order in the dossier
    sheets = Column(String(30))  # tờ số, e.g. "05" or "05-09"
    notes = Column(String(500))
    added_by_id, added_by = reference(EofficeUser)
    added_at = Column(DateTime, nullable=False, default=utcnow)

    @property
    def kind(self):
        if self.incoming_id:
            return INCOMING
        return OUTGOING if self.outgoing_id else DRAFT

    @property
    def kind_label(self):
        return ITEM_KINDS[self.kind]

    @property
    def document(self):
        return self.incoming or self.outgoing or self.draft

    @property
    def document_id(self):
        return self.incoming_id or self.outgoing_id or self.draft_id


class DossierEvent(EventLine, Model):
    """The dossier's history, append-only: opened, closed, handed over, reopened (with the
    reason), documents filed and removed."""
    __tablename__ = "dossier_event"
    __label__ = _l("lịch sử hồ sơ")

    dossier_id, dossier = EventLine.of(Dossier)
    action, from_status, to_status = EventLine.step(30, 12)
