"""The life of a request form as one transition table: (state, action) → (new state, who may).
The UI and the API offer exactly the actions this table allows.

    sent ──accept──▶ accepted ──complete──▶ done
     │  ╲                │
     │   refuse          refuse ──▶ refused
     withdraw (sender) ──▶ withdrawn

The addressee acts: the person addressed; for a unit, the unit's leader (Lãnh đạo đơn vị or
Lãnh đạo văn phòng of that unit) — or, once the leader has passed it to a person of the unit,
that person. The leader may pass it (again) while it is open."""

from flask_babel import lazy_gettext as _l

from app.request_forms.access import UNIT_LEADER_ROLES
from app.core.workflow import Transition
from app.security.access import has_role
from app.request_forms.models import ACCEPTED, DONE, REFUSED, SENT, WITHDRAWN


def is_sender(user, request):
    return user is not None and request.sender_id == user.id


def leads_target_unit(user, request):
    return (user is not None and request.target_department_id is not None
            and user.department_id == request.target_department_id
            and has_role(user, *UNIT_LEADER_ROLES))


def handles(user, request):
    """The one who answers the request now."""
    if user is None:
        return False
    if request.target_user_id is not None:
        return request.target_user_id == user.id
    if request.assignee_id is not None:
        return request.assignee_id == user.id
    return leads_target_unit(user, request)


def can_pass_on(user, request):
    return leads_target_unit(user, request)


def sender_or_handler(user, request):
    return is_sender(user, request) or handles(user, request)



TRANSITIONS = {
    (SENT, "accept"): Transition(ACCEPTED, handles, _l("Tiếp nhận"), "optional"),
    (SENT, "refuse"): Transition(REFUSED, handles, _l("Từ chối"), "required"),
    (SENT, "forward"): Transition(None, can_pass_on, _l("Giao người xử lý"), "optional"),
    (SENT, "withdraw"): Transition(WITHDRAWN, is_sender, _l("Thu hồi phiếu"), "optional"),
    (SENT, "attach"): Transition(None, sender_or_handler, _l("Thêm tệp đính kèm")),
    (ACCEPTED, "complete"): Transition(DONE, handles, _l("Hoàn thành"), "required"),
    (ACCEPTED, "refuse"): Transition(REFUSED, handles, _l("Từ chối"), "required"),
    (ACCEPTED, "forward"): Transition(None, can_pass_on, _l("Giao người xử lý"), "optional"),
    (ACCEPTED, "attach"): Transition(None, sender_or_handler, _l("Thêm tệp đính kèm")),
}
ACTIONS = sorted({action for _state, action in TRANSITIONS})


def transition_for(request, action):
    return TRANSITIONS.get((request.state, action))


def allowed(user, request, action) -> bool:
    transition = transition_for(request, action)
    return bool(transition and transition.may(user, request))


def available_actions(user, request):
    """[(action, transition)] the user may take on the request now."""
    return [(action, t) for (state, action), t in TRANSITIONS.items()
            if state == request.state and t.may(user, request)]


# How each recorded action reads in the request's history.
EVENT_LABELS = {
    "send": _l("Gửi phiếu yêu cầu"),
    "accept": _l("Tiếp nhận"),
    "refuse": _l("Từ chối"),
    "complete": _l("Hoàn thành"),
    "withdraw": _l("Thu hồi phiếu"),
    "forward": _l("Giao người xử lý"),
    "attach": _l("Thêm tệp đính kèm"),
}
