"""Who sees which draft and which outgoing document — one rule each, as SQL conditions used
on every path (grid, page, actions, files, search, REST, registers, dossiers)."""
from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from app.catalogs.models import SecrecyLevel, Signer
from app.core.db import lines_exist, visible_row
from app.security.access import may
from app.security.delegation import SIGN, acting_for
from app.outgoing.models import (
    APPROVED, ISSUED, INTERNAL_UNIT, INTERNAL_USER, Draft, OutgoingDocument, OutgoingRecipient,
)


def _not_secret(secrecy_column):
    return secrecy_column.in_(select(SecrecyLevel.id).where(SecrecyLevel.level == 0))


def _authenticated(user):
    return user is not None and getattr(user, "is_authenticated", False)


def visible_draft(user):
    """Leaders see every draft (`can_read_all`); the clerk, who issues, those approved for
    issuance and issued; the drafter their own; the intended signer those they will sign; a
    unit leader their unit's (`can_read_unit`); anyone the non-secret drafts of their fields;
    a deputy those of the people who delegated their signing to them (today)."""
    if not _authenticated(user) or not may(user, "can_read", "Draft"):
        return false()
    if may(user, "can_read_all", "Draft"):
        return true()
    signers = [user.id, *acting_for(user, SIGN)]
    conditions = [Draft.drafter_id == user.id,
                  Draft.signer_id.in_(select(Signer.id).where(Signer.user_id.in_(signers)))]
    if may(user, "can_write", "OutgoingDocument"):
        conditions.append(Draft.state.in_([APPROVED, ISSUED]))
    if may(user, "can_read_unit", "Draft") and user.department_id:
        conditions.append(Draft.drafting_department_id == user.department_id)
    field_ids = [field.id for field in user.fields]
    if field_ids:
        conditions.append(and_(Draft.field_id.in_(field_ids), _not_secret(Draft.secrecy_id)))
    return or_(*conditions)


# aliased: a query may join Draft too (made once: a new alias per call costs milliseconds)
_DRAFTED = aliased(Draft, name="visible_draft")


def visible_outgoing(user):
    """Leaders and clerks see every outgoing document (`can_read_all`); others what they
    drafted, what was sent to them or to their unit, their unit's (unit leaders,
    `can_read_unit`), and the non-secret ones of their fields."""
    if not _authenticated(user) or not may(user, "can_read", "OutgoingDocument"):
        return false()
    if may(user, "can_read_all", "OutgoingDocument"):
        return true()
    doc, drafted = OutgoingDocument, _DRAFTED
    conditions = [
        # an officer drafts thousands over a decade: looked up document by document (the
        # draft's key) rather than hashing all of them, when they are many (lines_exist)
        lines_exist(select(drafted.id).where(drafted.id == doc.draft_id,
                                             drafted.drafter_id == user.id),
                    Draft.drafter_id, [user.id], OutgoingDocument.__table__),
        exists().where(OutgoingRecipient.document_id == doc.id,
                       OutgoingRecipient.kind == INTERNAL_USER,
                       OutgoingRecipient.user_id == user.id),
    ]
    if user.department_id:
        units = [user.department_id]
        conditions.append(lines_exist(select(OutgoingRecipient.id).where(
            OutgoingRecipient.document_id == doc.id, OutgoingRecipient.kind == INTERNAL_UNIT,
            OutgoingRecipient.department_id.in_(units)), OutgoingRecipient.department_id, units,
            OutgoingDocument.__table__))
        if may(user, "can_read_unit", "OutgoingDocument"):
            conditions.append(doc.drafting_department_id == user.department_id)
    field_ids = [field.id for field in user.fields]
    if field_ids:
        conditions.append(and_(doc.field_id.in_(field_ids), _not_secret(doc.secrecy_id)))
    return or_(*conditions)


def get_visible_draft(session, user, draft_id):
    return visible_row(session, Draft, visible_draft(user), draft_id)


def get_visible_outgoing(session, user, document_id):
    return visible_row(session, OutgoingDocument, visible_outgoing(user), document_id)
