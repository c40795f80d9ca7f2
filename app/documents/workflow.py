"""Routing of an incoming document (Decree 30, Art. 23) as one transition table:
(state, action) → (new state, who may). The UI offers exactly the actions this table allows.

Actions on an assignment line (progress, complete, return, delegate, acknowledge) are checked
against that line: only whoever holds it may act on it."""

from flask_babel import lazy_gettext as _l

from app.core.workflow import Transition
from app.security.access import may
from app.documents.models import (
    COMPLETED, FYI, IN_PROGRESS, OPEN, PENDING, REGISTERED, SUBMITTED,
)


def registers(user, _document, _line=None):
    return may(user, "can_write", "IncomingDocument")


def submits(user, _document, _line=None):
    return may(user, "can_submit", "IncomingDocument")


def directs(user, _document, _line=None):
    return may(user, "can_direct", "IncomingDocument")


def holds(user, document, line):
    """The line is open and is this person's, or their unit's while they lead the unit.
    A line passed on to someone (an open child line) is carried by that person instead."""
    if line is None or line.state != OPEN:
        return False
    if any(child.parent_id == line.id and child.state == OPEN
           for child in document.assignments):
        return False
    if line.user_id is not None:
        return line.user_id == user.id
    return leads_unit_of(user, line)


def leads_unit_of(user, line):
    return (line is not None and line.user_id is None and line.department_id is not None
            and line.department_id == user.department_id
            and may(user, "can_delegate", "IncomingDocument"))


def holds_work(user, document, line):
    return holds(user, document, line) and line.role != FYI


def holds_fyi(user, document, line):
    return holds(user, document, line) and line.role == FYI


def can_delegate(user, document, line):
    return holds_work(user, document, line) and leads_unit_of(user, line)


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
    "submit": _l("Trình lãnh đạo"),
    "assign": _l("Cho ý kiến chỉ đạo, phân công"),
    "delegate": _l("Giao chuyên viên"),
    "progress": _l("Cập nhật tiến độ"),
    "complete": _l("Hoàn thành phần việc"),
    "document_completed": _l("Văn bản hoàn thành"),
    "return": _l("Trả lại"),
    "returned_to_leader": _l("Trả lại lãnh đạo để chỉ đạo lại"),
    "acknowledge": _l("Đã xem"),
    "reopen": _l("Mở lại"),
    "recalled": _l("Cơ quan gửi thu hồi văn bản"),
    "replaced": _l("Cơ quan gửi thay thế văn bản"),
}
