"""The life of a week's schedule as one transition table: (state, action) → (new state, who).
The pages and the API offer exactly the actions this table allows.

    Agency week:  draft/returned ──submit──▶ submitted ──approve──▶ published
                                               │  └──return (reason)──▶ returned
                                               └──withdraw──▶ draft
    Unit week:    draft/returned ──publish (the unit's leader)──▶ published
    Person week:  no approval; items are visible as soon as they are saved.

Changing a published week puts it back to "draft" as an adjustment: the published items stay
as they are until the adjustment is approved (or, for a unit, published)."""
from flask_babel import lazy_gettext as _l

from app.core.workflow import NOTE_REQUIRED, Transition
from app.schedules.access import can_approve_agency, can_build
from app.schedules.models import AGENCY, DRAFT, PUBLISHED, RETURNED, SUBMITTED, UNIT


def agency_builder(user, week):
    return week.level == AGENCY and can_build(user, week)


def agency_approver(user, week):
    return week.level == AGENCY and can_approve_agency(user)


def unit_leader(user, week):
    return week.level == UNIT and can_build(user, week)


TRANSITIONS = {
    (DRAFT, "submit"): Transition(SUBMITTED, agency_builder, _l("Trình duyệt")),
    (RETURNED, "submit"): Transition(SUBMITTED, agency_builder, _l("Trình duyệt")),
    (SUBMITTED, "approve"): Transition(PUBLISHED, agency_approver, _l("Duyệt và ban hành"),
                                       style="success"),
    (SUBMITTED, "return"): Transition(RETURNED, agency_approver, _l("Trả lại"),
                                      note=NOTE_REQUIRED, style="warning"),
    (SUBMITTED, "withdraw"): Transition(DRAFT, agency_builder, _l("Rút lại để sửa"),
                                        style="default"),
    (DRAFT, "publish"): Transition(PUBLISHED, unit_leader, _l("Ban hành"), style="success"),
    (RETURNED, "publish"): Transition(PUBLISHED, unit_leader, _l("Ban hành"), style="success"),
}


def allowed_actions(user, week):
    """[(action, transition)] the user may take on the week now."""
    return [(action, t) for (state, action), t in TRANSITIONS.items()
            if state == week.state and t.may(user, week)]


def transition_for(user, week, action):
    """The transition, or None when the table does not allow it for this user now."""
    transition = TRANSITIONS.get((week.state, action))
    if transition is None or not transition.may(user, week):
        return None
    return transition
