"""Request forms (phiếu yêu cầu, Art. 7.1a, 8.1a): a slip from one person (and their unit) to a
unit, a person or a leader, asking for something by a deadline; its files and its history."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text,
)
from sqlalchemy.orm import relationship

from app.core.db import TABLE_LABELS
from app.core.models import DocumentFile
from app.core.timefmt import utcnow
from app.dossiers.models import Dossier
from app.org.models import Department, EofficeUser

# States; the transitions between them are in app.request_forms.workflow.
SENT = "sent"            # sent, waiting for the addressee
ACCEPTED = "accepted"    # the addressee took it on
DONE = "done"            # completed, with a result
REFUSED = "refused"      # refused, with a reason
WITHDRAWN = "withdrawn"  # the sender took it back before it was accepted
STATES = {
    SENT: _l("Đã gửi, chờ tiếp nhận"),
    ACCEPTED: _l("Đang xử lý"),
    DONE: _l("Hoàn thành"),
    REFUSED: _l("Từ chối"),
    WITHDRAWN: _l("Đã thu hồi"),
}
OPEN_STATES = (SENT, ACCEPTED)
CLOSED_STATES = (DONE, REFUSED, WITHDRAWN)

request_form_file = Table(
    "request_form_file", Model.metadata,
    Column("request_id", Integer, ForeignKey("request_form.id", ondelete="CASCADE"),
           primary_key=True),
    Column("file_id", Integer, ForeignKey("document_file.id", ondelete="RESTRICT"),
           primary_key=True),
)
TABLE_LABELS["request_form_file"] = _l("tệp đính kèm của phiếu yêu cầu")


class RequestForm(Model):
    __tablename__ = "request_form"
    __label__ = _l("phiếu yêu cầu")
    __table_args__ = (
        # Exactly one addressee: a unit, or a person (a leader is a person).
        CheckConstraint("(target_department_id IS NULL) <> (target_user_id IS NULL)",
                        name="ck_request_form_one_target"),
    )

    id = Column(Integer, primary_key=True)
    state = Column(String(12), nullable=False, default=SENT, index=True)
    subject = Column(String(500), nullable=False)  # tiêu đề
    content = Column(Text, nullable=False)
    deadline = Column(Date, nullable=False, index=True)
    sender_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False,
                       index=True)
    sender = relationship(EofficeUser, foreign_keys=[sender_id])
    sender_department_id = Column(Integer, ForeignKey("department.id", ondelete="RESTRICT"),
                                  nullable=False, index=True)
    sender_department = relationship(Department, foreign_keys=[sender_department_id])
    target_department_id = Column(Integer, ForeignKey("department.id", ondelete="RESTRICT"),
                                  index=True)
    target_department = relationship(Department, foreign_keys=[target_department_id])
    target_user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), index=True)
    target_user = relationship(EofficeUser, foreign_keys=[target_user_id])
    # For a unit target: the person of the unit its leader passed the request to.
    assignee_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), index=True)
    assignee = relationship(EofficeUser, foreign_keys=[assignee_id])
    # The work dossier the request belongs to (optional).
    dossier_id = Column(Integer, ForeignKey("dossier.id", ondelete="SET NULL"), index=True)
    dossier = relationship(Dossier)
    result_note = Column(Text)   # kết quả, when done
    refusal_reason = Column(Text)  # lý do từ chối, when refused
    search_text = Column(Text, nullable=False, default="")  # folded, see app.core.text.fold
    sent_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    closed_at = Column(DateTime)  # done, refused or withdrawn
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    files = relationship(DocumentFile, secondary=request_form_file, order_by=DocumentFile.id)
    events = relationship("RequestFormEvent", back_populates="request",
                          order_by="RequestFormEvent.id", cascade="all, delete-orphan")

    @property
    def state_label(self):
        return STATES.get(self.state, self.state)

    @property
    def target(self):
        return self.target_user or self.target_department

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    def __repr__(self):
        return self.subject or ""


class RequestFormEvent(Model):
    """The request's history, append-only: who did what, when, with which note or result."""
    __tablename__ = "request_form_event"
    __label__ = _l("lịch sử phiếu yêu cầu")

    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("request_form.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    request = relationship(RequestForm, back_populates="events")
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    actor = relationship(EofficeUser)
    at = Column(DateTime, nullable=False, default=utcnow)
    action = Column(String(20), nullable=False)
    from_state = Column(String(12))
    to_state = Column(String(12))
    note = Column(Text)
