"""Who sees which request form: one rule, as a SQL filter, used by every path that reads one
(grid, page, actions, attachment download, REST, inboxes, search).

The sender, the addressee (the person; for a unit, the unit's leaders and members, and the
person its leader passed it to), agency leaders and office leaders see it. Nobody else — the
network administrator included. Deny by default."""
from sqlalchemy import false, or_, true

from app.core.db import visible_row
from app.request_forms.models import RequestForm
from app.security import roles as r
from app.security.access import role_names

SEES_ALL = {r.AGENCY_LEADER, r.OFFICE_LEADER}
# The roles that send and answer request forms (Art. 7.1a, 8.1a; the clerk answers the office's).
TAKES_PART = {r.AGENCY_LEADER, r.OFFICE_LEADER, r.UNIT_LEADER, r.OFFICER, r.CLERK}
LEADER_ROLES = {r.AGENCY_LEADER, r.OFFICE_LEADER, r.UNIT_LEADER}
UNIT_LEADER_ROLES = {r.UNIT_LEADER, r.OFFICE_LEADER}


def takes_part(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and role_names(user) & TAKES_PART)


def visible_requests(user):
    """A SQL condition on RequestForm: the request forms `user` may see."""
    if not takes_part(user):
        return false()
    if role_names(user) & SEES_ALL:
        return true()
    form = RequestForm
    mine = [form.sender_id == user.id, form.target_user_id == user.id,
            form.assignee_id == user.id]
    if user.department_id:
        mine.append(form.target_department_id == user.department_id)
    return or_(*mine)


def get_visible(session, user, request_id):
    """The request form if `user` may see it, else None (callers answer 404)."""
    return visible_row(session, RequestForm, visible_requests(user), request_id)
