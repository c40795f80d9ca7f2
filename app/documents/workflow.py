"""Routing of an incoming document (Decree 30, Art. 23) as one transition table:
(state, action) → (new state, who may). The UI offers exactly the actions this table allows.

Actions on an assignment line (progress, complete, return, delegate, acknowledge) are checked
against that line: only whoever holds it may act on it.

The clerk presents a document to one leader (submitted_to: their "chờ chỉ đạo" and notice);
any leader who directs may still direct it (the head takes over a deputy's document). A
"nắm tình hình" line (follow) is never held: no action, no work. When the lead completes the
document, the co-operating lines still open stay open and may still be finished."""

from flask_babel import lazy_gettext as _l

from app.core.workflow import Transition
from app.security.access import may
from app.security.delegation import principals
from app.documents.models import (
    COMPLETED, COOPERATE, FYI, IN_PROGRESS, LEAD, OPEN, PENDING, REGISTERED, SUBMITTED, WORK_ROLES,
)


def registers(user, _document, _line=None):
    return may(user, "can_write", "IncomingDocument")


def submits(user, _document, _line=None):
    return may(user, "can_submit", "IncomingDocument")


def directs(user, _document, _line=None):
    return may(user, "can_direct", "IncomingDocument")


def holds(user, document, line):
    """The line is open and is this person's, or their unit's while they lead the unit.
    A line passed on (open child lines) is carried by the officers instead: a lead line by its
    lead officer (while the co-operating officers work, the unit leader gets it back when that
    officer returns it), a co-operating line by any of them."""
    if line is None or line.state != OPEN:
        return False
    if any(child.parent_id == line.id and child.state == OPEN
           and (line.role != LEAD or child.role == LEAD) for child in document.assignments):
        return False
    people = principals(user)  # the person, and whoever they stand in for today (ủy quyền)
    if line.user_id is not None:
        return any(line.user_id == person.id for person in people)
    return any(leads_unit_of(person, line) for person in people)


def leads_unit_of(user, line):
    return (line is not None and line.user_id is None and line.department_id is not None
            and line.department_id == user.department_id
            and may(user, "can_delegate", "IncomingDocument"))


def holds_work(user, document, line):
    return holds(user, document, line) and line.role in WORK_ROLES


def holds_cooperation(user, document, line):
    """A co-operating line still open on a completed document: its holder finishes it."""
    return holds_work(user, document, line) and line.role == COOPERATE


def holds_fyi(user, document, line):
    return holds(user, document, line) and line.role == FYI


def can_delegate(user, document, line):
    return holds_work(user, document, line) and any(
        leads_unit_of(person, line) for person in principals(user))


def can_delegate_cooperation(user, document, line):
    return can_delegate(user, document, line) and line.role == COOPERATE


TRANSITIONS = {
    (PENDING, "register"): Transition(REGISTERED, registers, _l("Vào sổ")),
    (REGISTERED, "submit"): Transition(SUBMITTED, submits, _l("Trình lãnh đạo")),
    (SUBMITTED, "assign"): Transition(IN_PROGRESS, directs, _l("Cho ý kiến chỉ đạo")),
    (IN_PROGRESS, "assign"): Transition(None, directs, _l("Bổ sung chỉ đạo")),
    (IN_PROGRESS, "delegate"): Transition(None, can_delegate, _l("Giao chuyên viên"),
                                          needs_line=True),
    (IN_PROGRESS, "progress"): Transition(None, holds_work, _l("Cập nhật tiến độ"),
                                          needs_line=True),
    (IN_PROGRESS, "complete"): Transition(None, holds_work, _l("Hoàn thành"), needs_line=True),
    (IN_PROGRESS, "return"): Transition(None, holds_work, _l("Trả lại"), needs_line=True),
    (IN_PROGRESS, "acknowledge"): Transition(None, holds_fyi, _l("Đã xem"), needs_line=True),
    (SUBMITTED, "acknowledge"): Transition(None, holds_fyi, _l("Đã xem"), needs_line=True),
    (COMPLETED, "acknowledge"): Transition(None, holds_fyi, _l("Đã xem"), needs_line=True),
    (COMPLETED, "delegate"): Transition(None, can_delegate_cooperation, _l("Giao chuyên viên"),
                                        needs_line=True),
    (COMPLETED, "progress"): Transition(None, holds_cooperation, _l("Cập nhật tiến độ"),
                                        needs_line=True),
    (COMPLETED, "complete"): Transition(None, holds_cooperation, _l("Hoàn thành"),
                                        needs_line=True),
    (COMPLETED, "reopen"): Transition(IN_PROGRESS, directs, _l("Mở lại")),
}


def transition_for(document, action):
    return TRANSITIONS.get((document.state, action))


def allowed(user, document, action, line=None) -> bool:
    transition = transition_for(document, action)
    return bool(transition and transition.may(user, document, line))


def document_actions(user, document):
    """[(action, label)] the user may take on the document itself."""
    return [(action, t.label) for (state, action), t in TRANSITIONS.items()
            if state == document.state and not t.needs_line and t.may(user, document)]


def line_actions(user, document, line):
    """[(action, label)] the user may take on one assignment line."""
    return [(action, t.label) for (state, action), t in TRANSITIONS.items()
            if state == document.state and t.needs_line and t.may(user, document, line)]


# How each recorded action reads in the document's history.
EVENT_LABELS = {
    "receive": _l("Nhận văn bản điện tử"),
    "register": _l("Vào sổ"),
    "update": _l("Sửa thông tin vào sổ"),
    "submit": _l("Trình lãnh đạo"),  # the note names the leader it was presented to
    "assign": _l("Cho ý kiến chỉ đạo, phân công"),
    "delegate": _l("Giao chuyên viên"),  # one or several officers at once
    "progress": _l("Cập nhật tiến độ"),
    "complete": _l("Hoàn thành phần việc"),
    "document_completed": _l("Văn bản hoàn thành"),
    "return": _l("Trả lại"),
    "returned_to_leader": _l("Trả lại lãnh đạo để chỉ đạo lại"),
    "acknowledge": _l("Đã xem (nhận để biết)"),
    "reopen": _l("Mở lại"),
    "recalled": _l("Cơ quan gửi thu hồi văn bản"),
    "replaced": _l("Cơ quan gửi thay thế văn bản"),
}
