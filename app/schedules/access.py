"""Who sees and who builds which weekly schedule: one place for the rules.

- The agency week is built by those with the permission "compile" on AgencySchedule (the
  office leader, and anyone the administrator delegates it to with a role of their own) and
  approved by those with "approve" (the agency leader). Before its first publication only
  they see it.
- A unit week is built and published by the unit's leader; before that only the unit's
  leaders and the agency's leaders see it.
- A personal week belongs to its person and needs no approval. A private item shows its
  details only to the person and the leaders (agency, office, the person's unit leader);
  others see the time as busy.
- Published weeks are seen by everyone logged in (Art. 6.2b, 7.2b, 8.2b).

`visible_weeks(user)` is that rule as a SQL condition, used by every query that lists weeks
(the week views, "Lịch của tôi", print, .xlsx, REST); `can_see_week(user, week)` is the same
rule for one week already loaded (tests/test_schedules.py checks that they agree)."""
from sqlalchemy import and_, false, or_

from app.security.access import has_role
from app.schedules.models import AGENCY, PERSON, UNIT, ScheduleWeek
from app.security import roles as r

AGENCY_PERMISSION_VIEW = "AgencySchedule"
AGENCY_LEADERS = (r.AGENCY_LEADER, r.OFFICE_LEADER)
UNIT_LEADERS = (r.UNIT_LEADER, r.OFFICE_LEADER)  # the office leader leads the office


def has_permission(user, permission, view_name) -> bool:
    """Whether one of the user's roles grants the permission (not only for g.user)."""
    for role in getattr(user, "roles", None) or []:
        for pv in role.permissions:
            if pv.permission.name == permission and pv.view_menu.name == view_name:
                return True
    return False


def can_compile_agency(user) -> bool:
    return has_permission(user, "can_compile", AGENCY_PERMISSION_VIEW)


def can_approve_agency(user) -> bool:
    return has_permission(user, "can_approve", AGENCY_PERMISSION_VIEW)


def leads_unit(user, department_id) -> bool:
    return (user is not None and department_id is not None
            and user.department_id == department_id and has_role(user, *UNIT_LEADERS))


def can_build(user, week) -> bool:
    """May add, change and cancel the week's items."""
    if user is None:
        return False
    if week.level == AGENCY:
        return can_compile_agency(user)
    if week.level == UNIT:
        return leads_unit(user, week.department_id)
    return week.owner_id == user.id


def can_build_scope(user, level, department_id=None, owner_id=None) -> bool:
    """The same rule before the week exists."""
    if level == AGENCY:
        return can_compile_agency(user)
    if level == UNIT:
        return leads_unit(user, department_id)
    return owner_id == user.id


def can_see_week(user, week) -> bool:
    if week.is_published or week.level == PERSON:
        return True
    if week.level == AGENCY:
        return can_compile_agency(user) or can_approve_agency(user)
    return leads_unit(user, week.department_id) or has_role(user, *AGENCY_LEADERS)


def visible_weeks(user):
    """A SQL condition on ScheduleWeek: the weeks `user` may see (the rule of can_see_week)."""
    if user is None:
        return false()
    seen = [ScheduleWeek.version > 0, ScheduleWeek.level == PERSON]
    if can_compile_agency(user) or can_approve_agency(user):
        seen.append(ScheduleWeek.level == AGENCY)
    if has_role(user, *AGENCY_LEADERS):
        seen.append(ScheduleWeek.level == UNIT)
    elif user.department_id is not None and has_role(user, *UNIT_LEADERS):
        seen.append(and_(ScheduleWeek.level == UNIT,
                         ScheduleWeek.department_id == user.department_id))
    return or_(*seen)


def can_see_private(user, owner) -> bool:
    """Details of a person's private items: the person and the leaders."""
    if user is None or owner is None:
        return False
    return (owner.id == user.id or has_role(user, *AGENCY_LEADERS)
            or leads_unit(user, owner.department_id))


def shows_details(user, item) -> bool:
    week = item.week_record
    return not item.private or can_see_private(user, week.owner)


def sees_changes(user, week) -> bool:
    """Sees the week as it is being prepared (waiting changes included): its builders and
    those who approve it."""
    if user is None:
        return False
    if week.level == PERSON:
        return week.owner_id == user.id
    if week.level == AGENCY:
        return can_compile_agency(user) or can_approve_agency(user)
    return leads_unit(user, week.department_id) or has_role(user, *AGENCY_LEADERS)
