"""Who sees which incoming document (Art. 6.1a, 7.1b, 8.1b) — one rule, as a SQL filter, used
by every path that reads a document: grid, show, actions, files, stamped copy, search, REST,
exports, inboxes."""
from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from app.catalogs.models import SecrecyLevel
from app.documents.models import PENDING, IncomingAssignment, IncomingDocument
from app.security import roles as r
from app.security.access import has_role, role_names

SEES_ALL = {r.AGENCY_LEADER, r.OFFICE_LEADER, r.CLERK}
SEES_OWN = {r.UNIT_LEADER, r.OFFICER}


def visible_incoming(user):
    """A SQL condition on IncomingDocument: the documents `user` may see. Deny by default.

    Agency leaders, office leaders and clerks see all. A unit leader sees documents of their
    fields or assigned to their unit or to them; an officer those of their fields or assigned to
    them. Secret documents (Mật and above) only by assignment. Documents not yet registered
    only the clerks and leaders who see all."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    names = role_names(user)
    if names & SEES_ALL:
        return true()
    if not names & SEES_OWN:
        return false()
    doc = IncomingDocument
    # An alias, so the condition also works in queries that join the assignments themselves.
    line = aliased(IncomingAssignment)
    assigned = [exists().where(line.document_id == doc.id, line.user_id == user.id)]
    if r.UNIT_LEADER in names and user.department_id:
        assigned.append(exists().where(line.document_id == doc.id,
                                       line.department_id == user.department_id))
    field_ids = [field.id for field in user.fields]
    not_secret = doc.secrecy_id.in_(select(SecrecyLevel.id).where(SecrecyLevel.level == 0))
    in_my_fields = and_(doc.field_id.in_(field_ids), not_secret) if field_ids else false()
    return and_(doc.state != PENDING, or_(in_my_fields, *assigned))


# The registers (sổ đăng ký văn bản đến, đi; sổ theo dõi giải quyết), their numbers and the
# next number of a register: for the clerk who keeps them and the leaders who see every
# document (README, Roles). Unit leaders and officers follow their own work in their inboxes
# and the overdue list, scoped by visible_incoming; a register page would give them the
# numbering (and so the count) of registers they do not keep, the secret ones included.
REGISTER_READERS = SEES_ALL


def may_read_registers(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and has_role(user, *REGISTER_READERS))


def get_visible(session, user, document_id):
    """The document if `user` may see it, else None (callers answer 404)."""
    try:
        document_id = int(document_id)
    except (TypeError, ValueError):
        return None
    return session.scalar(select(IncomingDocument).where(
        IncomingDocument.id == document_id, visible_incoming(user)))
