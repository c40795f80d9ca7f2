"""The approval chain of a draft (Decree 30, Art. 10–13) as one transition table:
(state, action) → (new state, who may). Nobody approves their own draft; the draft is approved
by the person who will sign it; only the clerk issues, and only what was approved."""

from flask_babel import lazy_gettext as _l

from app.core.workflow import Transition
from app.security.access import may
from app.outgoing.models import APPROVED, DRAFTING, ISSUED, SIGNER_REVIEW, UNIT_REVIEW


def is_drafter(user, draft):
    return draft.drafter_id == user.id


def leads_drafting_unit(user, draft):
    return (draft.drafting_department_id == user.department_id
            and may(user, "can_review_unit", "Draft")
            and draft.drafter_id != user.id)


def is_signer(user, draft):
    return (draft.signer is not None and draft.signer.user_id == user.id
            and draft.drafter_id != user.id)


def issues(user, _draft=None):
    """Numbers and issues what was approved (the clerk, Art. 9.1b)."""
    return may(user, "can_write", "OutgoingDocument")


def recalls(user, _document=None):
    return may(user, "can_recall", "OutgoingDocument")



TRANSITIONS = {
    (DRAFTING, "edit"): Transition(None, is_drafter, _l("Sửa")),
    (DRAFTING, "submit"): Transition(UNIT_REVIEW, is_drafter, _l("Trình duyệt")),
    (UNIT_REVIEW, "forward"): Transition(SIGNER_REVIEW, leads_drafting_unit,
                                         _l("Trình người ký")),
    (UNIT_REVIEW, "return"): Transition(DRAFTING, leads_drafting_unit, _l("Trả lại")),
    (SIGNER_REVIEW, "approve"): Transition(APPROVED, is_signer, _l("Duyệt, chuyển phát hành")),
    (SIGNER_REVIEW, "return"): Transition(DRAFTING, is_signer, _l("Trả lại")),
    (APPROVED, "issue"): Transition(ISSUED, issues, _l("Phát hành")),
}

EVENT_LABELS = {
    "create": _l("Tạo dự thảo"),
    "edit": _l("Sửa thông tin"),
    "upload": _l("Tải lên phiên bản mới"),
    "comment": _l("Góp ý"),
    "submit": _l("Trình duyệt"),
    "forward": _l("Trình người ký"),
    "return": _l("Trả lại"),
    "approve": _l("Duyệt, chuyển phát hành"),
    "issue": _l("Phát hành"),
}


def transition_for(draft, action):
    return TRANSITIONS.get((draft.state, action))


def allowed(user, draft, action) -> bool:
    transition = transition_for(draft, action)
    return bool(transition and transition.may(user, draft))


def actions_for(user, draft):
    """[(action, label)] the user may take now; editing is offered separately."""
    return [(action, t.label) for (state, action), t in TRANSITIONS.items()
            if state == draft.state and action != "edit" and t.may(user, draft)]
