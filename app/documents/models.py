"""Incoming documents (văn bản đến): the register entry, its files, its routing and history."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import backref, relationship

from app.catalogs.models import (
    Agency, DocumentType, Field, Register, SecrecyLevel, UrgencyLevel,
)
from app.core.model_mixins import EventLine, label_of, lines, part_of, reference
from app.core.models import DocumentFile
from app.core.timefmt import utcnow
from app.org.models import Department, EofficeUser


class RegisterCounter(Model):
    """The last number given in a register for a year: taken in the same transaction as the
    insert (app.documents.numbering), so numbers never collide."""
    __tablename__ = "register_counter"
    __label__ = _l("bộ đếm số")

    register_id = Column(Integer, ForeignKey("register.id", ondelete="RESTRICT"),
                         primary_key=True)
    year = Column(Integer, primary_key=True)
    last_number = Column(Integer, nullable=False, default=0)


CHANNELS = [("paper", _l("Bản giấy")), ("electronic", _l("Điện tử")),
            ("exchange", _l("Liên thông"))]

# Document states; the transitions between them are in app.documents.workflow.
PENDING = "pending"          # arrived electronically, waiting for registration (Chờ vào sổ)
REGISTERED = "registered"    # in the register, not yet presented to the leader
SUBMITTED = "submitted"      # presented to the agency leader, waiting for a direction
IN_PROGRESS = "in_progress"  # assigned, being processed
COMPLETED = "completed"      # the lead assignee completed it
STATES = {
    PENDING: _l("Chờ vào sổ"),
    REGISTERED: _l("Đã vào sổ"),
    SUBMITTED: _l("Chờ chỉ đạo"),
    IN_PROGRESS: _l("Đang xử lý"),
    COMPLETED: _l("Hoàn thành"),
    # Frozen by the sender's recall or replacement (app.exchange): no action applies any more.
    "recalled": _l("Đã bị thu hồi"),
    "replaced": _l("Đã bị thay thế"),
}


class IncomingDocument(Model):
    __tablename__ = "incoming_document"
    __label__ = _l("văn bản đến")
    __table_args__ = (
        UniqueConstraint("register_id", "arrival_year", "arrival_number",
                         name="uq_incoming_arrival_number"),
        # the documents waiting past their deadline (app.documents.deadlines.overdue_waiting);
        # with the id, PostgreSQL reads the documents being processed and their deadlines
        # from the index alone (the overdue work; migration 0032)
        Index("ix_incoming_document_state_deadline", "state", "deadline", "id"),
        # with the id, PostgreSQL finds which of a set of documents arrived in a period from
        # the index alone (a year's 118,000 entries, not their rows: the dashboard after a
        # person joined or left a unit; migration 0036)
        Index("ix_incoming_document_arrival_at", "arrival_at", "id"),
    )

    id = Column(Integer, primary_key=True)
    state = Column(String(20), nullable=False, default=REGISTERED, index=True)
    register_id, register = reference(Register)
    arrival_year = Column(Integer)
    arrival_number = Column(Integer)  # Số đến: empty until registered
    arrival_at = Column(DateTime, nullable=False)  # UTC
    channel = Column(String(12), nullable=False, default="paper")
    # indexed for the statistics (by issuing agency)
    agency_id, agency = reference(Agency, nullable=False, index=True)
    number_symbol = Column(String(60), nullable=False)  # as typed, for display
    number_symbol_key = Column(String(60), nullable=False, index=True)  # for matching
    document_date = Column(Date, nullable=False)
    document_type_id, document_type = reference(DocumentType, nullable=False, index=True)
    excerpt = Column(String(1000), nullable=False)  # trích yếu
    signer_name = Column(String(100))
    signer_position = Column(String(100))
    field_id, field = reference(Field, index=True)
    urgency_id, urgency = reference(UrgencyLevel, nullable=False)
    secrecy_id, secrecy = reference(SecrecyLevel, nullable=False)
    page_count = Column(Integer)
    deadline = Column(Date, index=True)  # hạn xử lý
    recipients = Column(String(500))  # đơn vị hoặc người nhận, as on the paper register
    notes = Column(Text)
    direction = Column(Text)  # the leader's latest direction (ý kiến chỉ đạo)
    # The leader the clerk presented it to (trình): who must direct it (their "chờ chỉ đạo");
    # other leaders who direct may still take it over (app.documents.workflow).
    submitted_to_id, submitted_to = reference(EofficeUser, ondelete=None, index=True)
    completed_at = Column(DateTime)
    result_note = Column(Text)
    reply_reference = Column(String(100))  # số, ký hiệu văn bản trả lời
    search_text = Column(Text, nullable=False, default="")  # folded, see app.core.text.fold
    # Nhập bù (Art. 5.4): entered after an outage; arrival_at is the real time, created_at
    # the time of entry.
    backfill_reason = Column(String(500))
    created_by_id, created_by = reference(EofficeUser)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    files = relationship(DocumentFile, backref=backref("incoming"), order_by=DocumentFile.id,
                         cascade="all, delete-orphan")
    assignments = lines("IncomingAssignment", "document")
    events = lines("IncomingEvent", "document")

    state_label = label_of("state", STATES)

    @property
    def is_urgent(self):
        return bool(self.urgency and self.urgency.is_urgent)

    @property
    def is_secret(self):
        return bool(self.secrecy and self.secrecy.level > 0)

    def __repr__(self):
        return f"{self.number_symbol} – {self.excerpt[:60]}"


LEAD, COOPERATE, FYI, FOLLOW = "lead", "cooperate", "fyi", "follow"
ASSIGNMENT_ROLES = {LEAD: _l("Chủ trì"), COOPERATE: _l("Phối hợp"), FYI: _l("Nhận để biết"),
                    FOLLOW: _l("Nắm tình hình")}
WORK_ROLES = (LEAD, COOPERATE)  # the lines that are work: counted, due, overdue
OPEN, DONE, RETURNED = "open", "done", "returned"
# A "nắm tình hình" line (a leader follows the document, no task) is neither open work nor
# done work: its own state, so that no count of work or of lateness ever includes it.
FOLLOWING = "following"
ASSIGNMENT_STATES = {OPEN: _l("Đang xử lý"), DONE: _l("Đã xử lý"), RETURNED: _l("Trả lại"),
                     FOLLOWING: _l("Theo dõi")}


_OPEN = text("state = 'open'")
_OPEN_CHILD = text("state = 'open' AND parent_id IS NOT NULL")


class IncomingAssignment(Model):
    """One line of the leader's direction: a unit or a person, as lead, co-operating or FYI,
    with its own deadline. A unit leader passing it on to an officer adds a child line."""
    __tablename__ = "incoming_assignment"
    __label__ = _l("phân công xử lý")
    # The inbox counts on every grid page read a person's lines by role and state: from this
    # index alone (a decade of lines per person), not row by row (migration 0013_search).
    # A unit's open lines not given to a person (its leader's inbox and overdue count): from
    # this one, not from a decade of the unit's lines (migration 0029). The agency's open lines
    # (the overdue page, its groups, the dashboard's overdue figure) and the open lines passed
    # on to a person: from small partial indexes, not from 1.6 million lines (migration 0032).
    # Whether a scoped reader sees a document through its lines (theirs, their unit's): from
    # the document's lines in the index alone, not from each line's row (migration 0033).
    __table_args__ = (Index("ix_incoming_assignment_inbox", "user_id", "role", "state",
                            "document_id"),
                      Index("ix_incoming_assignment_document", "document_id", "department_id",
                            "user_id"),
                      Index("ix_incoming_assignment_unit", "department_id", "state", "user_id"),
                      Index("ix_incoming_assignment_open", "document_id", "role", "deadline",
                            "user_id", "department_id", "id", sqlite_where=_OPEN,
                            postgresql_where=_OPEN),
                      Index("ix_incoming_assignment_open_children", "parent_id", "deadline",
                            sqlite_where=_OPEN_CHILD, postgresql_where=_OPEN_CHILD))

    id = Column(Integer, primary_key=True)
    document_id, document = part_of(IncomingDocument, "assignments", index=False)
    parent_id = Column(Integer, ForeignKey("incoming_assignment.id", ondelete="CASCADE"),
                       index=True)
    role = Column(String(10), nullable=False)
    department_id, department = reference(Department)
    user_id, user = reference(EofficeUser, index=True)
    deadline = Column(Date)
    state = Column(String(10), nullable=False, default=OPEN)
    instruction = Column(Text)  # ý kiến chỉ đạo for this line (the leader's, the unit leader's)
    progress_note = Column(Text)
    result_note = Column(Text)
    assigned_by_id, assigned_by = reference(EofficeUser)
    assigned_at = Column(DateTime, nullable=False, default=utcnow)  # UTC, the real time
    completed_at = Column(DateTime, index=True)  # the period's completed work (statistics)
    # Nhập bù (Art. 5.4): a step done during an outage and typed in afterwards keeps its real
    # time above; these say when it was typed in and why. Empty for a step entered live.
    entered_at = Column(DateTime)
    backfill_reason = Column(String(500))
    completed_entered_at = Column(DateTime)
    completed_backfill_reason = Column(String(500))

    role_label = label_of("role", ASSIGNMENT_ROLES)

    @property
    def state_label(self):
        if self.role == FYI and self.state == DONE:
            return _l("Đã xem")
        if self.role == FYI and self.state == OPEN:
            return _l("Chưa xem")
        return ASSIGNMENT_STATES.get(self.state, self.state)

    @property
    def assignee(self):
        return self.user or self.department


class IncomingEvent(EventLine, Model):
    """The document's history, append-only: who did what, when, with which note."""
    __tablename__ = "incoming_event"
    __label__ = _l("lịch sử xử lý")

    document_id, document = EventLine.of(IncomingDocument)
    action, from_state, to_state = EventLine.step(30, 20)
    # Nhập bù (Art. 5.4): set only for a step typed in after an outage.
    entered_at = Column(DateTime)
    backfill_reason = Column(String(500))
