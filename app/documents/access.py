"""Who sees which incoming document (Art. 6.1a, 7.1b, 8.1b) — one rule, as a SQL filter, used
by every path that reads a document: grid, show, actions, files, stamped copy, search, REST,
exports, inboxes."""
from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import aliased

from app.catalogs.models import SecrecyLevel
from app.core.db import lines_exist, visible_row
from app.documents.models import PENDING, IncomingAssignment, IncomingDocument
from app.security.access import may
from app.security.delegation import principals



# An alias, so the condition also works in queries that join the assignments themselves. Made
# once: a new alias per call made SQLAlchemy adapt its columns afresh, 7 ms of every grid query.
_LINE = aliased(IncomingAssignment, name="visible_line")


def visible_incoming(user):
    """A SQL condition on IncomingDocument: the documents `user` may see. Deny by default.

    Whoever may read all (agency leaders, office leaders and clerks: `can_read_all`) sees all.
    Others who read incoming documents see those of their fields or assigned to them, and with
    `can_read_unit` (unit leaders) those assigned to their unit. Secret documents (Mật and
    above) only by assignment. Documents not yet registered only those who see all."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if may(user, "can_read_all", "IncomingDocument"):
        return true()
    if not may(user, "can_read", "IncomingDocument"):
        return false()
    doc = IncomingDocument
    line = _LINE
    # The person's own, and while they stand in for someone (ủy quyền), that person's.
    people = principals(user)
    ids = [person.id for person in people]
    assigned = [lines_exist(select(line.document_id).where(line.document_id == doc.id,
                                                  line.user_id.in_(ids)),
                            IncomingAssignment.user_id, ids, IncomingDocument.__table__)]
    if people[1:]:
        assigned.append(doc.submitted_to_id.in_([person.id for person in people[1:]]))
    units = sorted({person.department_id for person in people if person.department_id
                    and may(person, "can_read_unit", "IncomingDocument")})
    if units:
        assigned.append(_assigned_to_units(line, doc, units))
    field_ids = [field.id for field in user.fields]
    not_secret = doc.secrecy_id.in_(select(SecrecyLevel.id).where(SecrecyLevel.level == 0))
    in_my_fields = and_(doc.field_id.in_(field_ids), not_secret) if field_ids else false()
    return and_(doc.state != PENDING, or_(in_my_fields, *assigned))


def _assigned_to_units(line, doc, units):
    return lines_exist(
        select(line.document_id).where(line.document_id == doc.id, line.department_id.in_(units)),
        IncomingAssignment.department_id, units, IncomingDocument.__table__)


# The registers (sổ đăng ký văn bản đến, đi; sổ theo dõi giải quyết), their numbers and the
# next number of a register: for the clerk who keeps them and the leaders who see every
# document (README, Roles). Unit leaders and officers follow their own work in their inboxes
# and the overdue list, scoped by visible_incoming; a register page would give them the
# numbering (and so the count) of registers they do not keep, the secret ones included.
def may_read_registers(user) -> bool:
    return may(user, "can_read_registers", "IncomingDocument")


def get_visible(session, user, document_id, options=()):
    """The document if `user` may see it, else None (callers answer 404). `options`: loader
    options of what the caller shows of it."""
    return visible_row(session, IncomingDocument, visible_incoming(user), document_id, options)
