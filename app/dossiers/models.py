"""Work dossiers (hồ sơ công việc), the year's dossier plan (danh mục hồ sơ) and the documents
filed in a dossier (Decree 30/2020, Art. 28–31, Appendix V)."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.catalogs.models import Field, RetentionPeriod
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
    retention_id = Column(Integer, ForeignKey("retention_period.id", ondelete="RESTRICT"),
                          nullable=False)
    retention = relationship(RetentionPeriod)
    creator_department_id = Column(Integer, ForeignKey("department.id", ondelete="RESTRICT"))
    creator_department = relationship(Department)
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
    field_id = Column(Integer, ForeignKey("field.id", ondelete="RESTRICT"), index=True)
    field = relationship(Field)
    owner_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False,
                      index=True)
    owner = relationship(EofficeUser, foreign_keys=[owner_id])
    department_id = Column(Integer, ForeignKey("department.id", ondelete="RESTRICT"),
                           index=True)
    department = relationship(Department)
    retention_id = Column(Integer, ForeignKey("retention_period.id", ondelete="RESTRICT"),
                          nullable=False)
    retention = relationship(RetentionPeriod)
    plan_item_id = Column(Integer, ForeignKey("dossier_plan_item.id", ondelete="RESTRICT"),
                          index=True)
    plan_item = relationship(DossierPlanItem, backref="dossiers")
    start_date = Column(Date, nullable=False)
    end_date = Column(Date)
    deadline = Column(Date, index=True)
    status = Column(String(12), nullable=False, default=OPEN, index=True)
    notes = Column(Text)
    search_text = Column(Text, nullable=False, default="")  # folded, app.core.text.fold
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    created_by = relationship(EofficeUser, foreign_keys=[created_by_id])
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    closed_at = Column(DateTime)
    handed_over_at = Column(DateTime)

    items = relationship("DossierItem", back_populates="dossier",
                         order_by="DossierItem.position", cascade="all, delete-orphan")
    events = relationship("DossierEvent", back_populates="dossier", order_by="DossierEvent.id",
                          cascade="all, delete-orphan")

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

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
    dossier_id = Column(Integer, ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    dossier = relationship(Dossier, back_populates="items")
    incoming_id = Column(Integer, ForeignKey("incoming_document.id", ondelete="RESTRICT"),
                         index=True)
    incoming = relationship(IncomingDocument)
    outgoing_id = Column(Integer, ForeignKey("outgoing_document.id", ondelete="RESTRICT"),
                         index=True)
    outgoing = relationship(OutgoingDocument)
    # A discarded draft leaves the dossiers it was in; issued documents are never deleted.
    draft_id = Column(Integer, ForeignKey("draft.id", ondelete="CASCADE"), index=True)
    draft = relationship(Draft)
    position = Column(Integer, nullable=False, default=1)  # order in the dossier
    sheets = Column(String(30))  # tờ số, e.g. "05" or "05-09"
    notes = Column(String(500))
    added_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    added_by = relationship(EofficeUser)
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


class DossierEvent(Model):
    """The dossier's history, append-only: opened, closed, handed over, reopened (with the
    reason), documents filed and removed."""
    __tablename__ = "dossier_event"
    __label__ = _l("lịch sử hồ sơ")

    id = Column(Integer, primary_key=True)
    dossier_id = Column(Integer, ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    dossier = relationship(Dossier, back_populates="events")
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    actor = relationship(EofficeUser)
    at = Column(DateTime, nullable=False, default=utcnow)
    action = Column(String(30), nullable=False)
    from_status = Column(String(12))
    to_status = Column(String(12))
    note = Column(Text)
