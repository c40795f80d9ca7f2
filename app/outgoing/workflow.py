"""The approval chain of a draft (Decree 30, Art. 10–13) as one transition table:
(state, action) → (new state, who may). Nobody approves their own draft; the draft is approved
by the person who will sign it; only the clerk issues, and only what was approved."""

from flask_babel import lazy_gettext as _l

from app.core.workflow import NOTE_REQUIRED, Transition
from app.security.access import may
from app.security.delegation import SIGN, acting_for
from app.outgoing.models import APPROVED, DRAFTING, ISSUED, SIGNER_REVIEW, UNIT_REVIEW


def is_drafter(user, draft):
    return draft.drafter_id == user.id


def leads_drafting_unit(user, draft):
    return (draft.drafting_department_id == user.department_id
            and may(user, "can_review_unit", "Draft")
            and draft.drafter_id != user.id)


def is_signer(user, draft):
    """The draft's signer, or a deputy the signer delegated signing to for today
    (app.security.delegation); never the drafter."""
    if draft.signer is None or draft.signer.user_id is None or draft.drafter_id == user.id:
        return False
    return draft.signer.user_id == user.id or signs_for(user, draft)


def signs_for(user, draft) -> bool:
    """Whether the user approves and signs this draft as a deputy, under a delegation."""
    return (draft.signer is not None and draft.signer.user_id is not None
            and draft.signer.user_id != user.id
            and draft.signer.user_id in acting_for(user, SIGN))


def checks(user, _draft=None):
    """The office leader's check of form and presentation before issuance (Art. 7.1d)."""
    return may(user, "can_check", "Draft")


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
    # The office's check (Art. 7.1d) of a draft in the chain: "checked" keeps the state,
    # "returned by the office" sends it back to the drafter with the comments.
    **{(state, "check"): Transition(None, checks, _l("Đã kiểm tra"))
       for state in (UNIT_REVIEW, SIGNER_REVIEW, APPROVED)},
    **{(state, "office_return"): Transition(
        DRAFTING, checks, _l("Trả lại người soạn thảo"), note=NOTE_REQUIRED, style="warning")
       for state in (UNIT_REVIEW, SIGNER_REVIEW, APPROVED)},
}
CHECK_STATES = (UNIT_REVIEW, SIGNER_REVIEW, APPROVED)

EVENT_LABELS = {
    "create": _l("Tạo dự thảo"),
    "edit": _l("Sửa thông tin"),
    "upload": _l("Tải lên phiên bản mới"),
    "comment": _l("Góp ý"),
    "submit": _l("Trình duyệt"),
    "forward": _l("Trình người ký"),
    "return": _l("Trả lại"),
    "approve": _l("Duyệt, chuyển phát hành"),
    "sign": _l("Ký số và duyệt"),  # the signer's digital signature, the last step of approval
    "issue": _l("Phát hành"),
    "check": _l("Văn phòng đã kiểm tra"),
    "office_return": _l("Văn phòng trả lại"),
}


def transition_for(draft, action):
    return TRANSITIONS.get((draft.state, action))


def allowed(user, draft, action) -> bool:
    transition = transition_for(draft, action)
    return bool(transition and transition.may(user, draft))


def actions_for(user, draft):
    """[(action, label)] the user may take now; editing is offered separately."""
    return [(action, t.label) for (state, action), t in TRANSITIONS.items()
            if state == draft.state and action != "edit" and t.may(user, draft)
            and not (action == "check" and draft.is_checked)]
