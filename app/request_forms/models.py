"""Request forms (phiếu yêu cầu, Art. 7.1a, 8.1a): a slip from one person (and their unit) to a
unit, a person or a leader, asking for something by a deadline; its files and its history."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, Date, DateTime, Integer, String, Text
from sqlalchemy.orm import relationship

from app.core.model_mixins import EventLine, label_of, link_table, lines, reference
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

request_form_file = link_table("request_form_file", _l("tệp đính kèm của phiếu yêu cầu"),
                               ("request_id", "request_form", "CASCADE"),
                               ("file_id", "document_file", "RESTRICT"))


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
    sender_id, sender = reference(EofficeUser, nullable=False, index=True)
    sender_department_id, sender_department = reference(Department, nullable=False, index=True)
    target_department_id, target_department = reference(Department, index=True)
    target_user_id, target_user = reference(EofficeUser, index=True)
    # For a unit target: the person of the unit its leader passed the request to.
    assignee_id, assignee = reference(EofficeUser, index=True)
    # The work dossier the request belongs to (optional).
    dossier_id, dossier = reference(Dossier, ondelete="SET NULL", index=True)
    result_note = Column(Text)   # kết quả, when done
    refusal_reason = Column(Text)  # lý do từ chối, when refused
    search_text = Column(Text, nullable=False, default="")  # folded, see app.core.text.fold
    sent_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    closed_at = Column(DateTime)  # done, refused or withdrawn
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    files = relationship(DocumentFile, secondary=request_form_file, order_by=DocumentFile.id)
    events = lines("RequestFormEvent", "request")

    state_label = label_of("state", STATES)

    @property
    def target(self):
        return self.target_user or self.target_department

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    def __repr__(self):
        return self.subject or ""


class RequestFormEvent(EventLine, Model):
    """The request's history, append-only: who did what, when, with which note or result."""
    __tablename__ = "request_form_event"
    __label__ = _l("lịch sử phiếu yêu cầu")

    request_id, request = EventLine.of(RequestForm)
    action, from_state, to_state = EventLine.step(20, 12)
