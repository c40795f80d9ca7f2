"""The life of a news item as one transition table: (state, action) → (new state, who may).
The UI and the API offer exactly the actions this table allows.

    draft ─submit─▶ submitted ─forward─▶ pending ─publish─▶ published ─unpublish─▶ unpublished
      │  (officer)   (unit leader edits)  (agency leader)                │
      └─submit_up──────────────────────▶ (a leader's own item)          publish / return
    returned ◀─return (comment)─ submitted, pending, unpublished
    returned ─submit / submit_up─▶ as from draft

Nobody reviews their own item: the reviewer checks all say "not the author". The unit leader
of the author's unit edits and forwards; the office leader is the unit leader of the office.
The agency leader publishes, returns and unpublishes (Art. 6.2c)."""

from flask_babel import lazy_gettext as _l

from app.core.workflow import Transition
from app.news.access import is_agency_leader, leads_unit
from app.news.models import DRAFT, PENDING, PUBLISHED, RETURNED, SUBMITTED, UNPUBLISHED


def is_author(user, item):
    return user is not None and item.author_id == user.id


def leads_own_unit(user, item):
    """An author who needs no unit leader above them: their unit's leader, an agency leader."""
    return is_agency_leader(user) or leads_unit(user, item.department_id)


def author_to_unit(user, item):
    return is_author(user, item) and not leads_own_unit(user, item)


def author_to_agency(user, item):
    return is_author(user, item) and leads_own_unit(user, item)


def unit_editor(user, item):
    return not is_author(user, item) and leads_unit(user, item.department_id)


def agency_reviewer(user, item):
    return not is_author(user, item) and is_agency_leader(user)


def agency_leader(user, _item):
    return is_agency_leader(user)



TRANSITIONS = {
    (DRAFT, "edit"): Transition(None, is_author, _l("Sửa tin")),
    (DRAFT, "submit"): Transition(SUBMITTED, author_to_unit, _l("Gửi lãnh đạo đơn vị")),
    (DRAFT, "submit_up"): Transition(PENDING, author_to_agency, _l("Trình lãnh đạo cơ quan")),
    (RETURNED, "edit"): Transition(None, is_author, _l("Sửa tin")),
    (RETURNED, "submit"): Transition(SUBMITTED, author_to_unit, _l("Gửi lãnh đạo đơn vị")),
    (RETURNED, "submit_up"): Transition(PENDING, author_to_agency,
                                        _l("Trình lãnh đạo cơ quan")),
    (SUBMITTED, "edit"): Transition(None, unit_editor, _l("Biên tập")),
    (SUBMITTED, "forward"): Transition(PENDING, unit_editor, _l("Trình lãnh đạo cơ quan")),
    (SUBMITTED, "return"): Transition(RETURNED, unit_editor, _l("Trả lại"), "required"),
    (PENDING, "edit"): Transition(None, agency_reviewer, _l("Biên tập")),
    (PENDING, "publish"): Transition(PUBLISHED, agency_reviewer, _l("Duyệt và xuất bản")),
    (PENDING, "return"): Transition(RETURNED, agency_reviewer, _l("Trả lại"), "required"),
    (PUBLISHED, "unpublish"): Transition(UNPUBLISHED, agency_leader, _l("Gỡ bài"), "required"),
    (UNPUBLISHED, "publish"): Transition(PUBLISHED, agency_reviewer, _l("Xuất bản lại")),
    (UNPUBLISHED, "return"): Transition(RETURNED, agency_reviewer, _l("Trả lại"), "required"),
}
ACTIONS = sorted({action for _state, action in TRANSITIONS} - {"edit"})


def transition_for(item, action):
    return TRANSITIONS.get((item.state, action))


def allowed(user, item, action) -> bool:
    transition = transition_for(item, action)
    return bool(transition and transition.may(user, item))


def available_actions(user, item):
    """[(action, transition)] the user may take on the item now (editing aside)."""
    return [(action, t) for (state, action), t in TRANSITIONS.items()
            if state == item.state and action != "edit" and t.may(user, item)]


# How each recorded action reads in the item's history.
EVENT_LABELS = {
    "create": _l("Viết tin"),
    "edit": _l("Sửa nội dung"),
    "submit": _l("Gửi lãnh đạo đơn vị"),
    "submit_up": _l("Trình lãnh đạo cơ quan"),
    "forward": _l("Biên tập, trình lãnh đạo cơ quan"),
    "publish": _l("Duyệt và xuất bản"),
    "return": _l("Trả lại"),
    "unpublish": _l("Gỡ bài"),
}
