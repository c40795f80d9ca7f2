"""Who sees which work dossier — one rule, as a SQL filter, used by every path that reads a
dossier: grid, dossier page, actions, PDF download, REST.

The documents filed in a dossier keep their own rules (app.documents.access for incoming
documents, app.outgoing.access for outgoing documents and drafts): linking a document needs
the right to see it, and the dossier's PDF and table of contents show the content of a
document only to whoever may see that document."""
from sqlalchemy import false, or_, select, true

from app.core.db import visible_row
from app.documents.access import visible_incoming
from app.security.access import may
from app.dossiers.models import Dossier

ID_MAX = 2**31 - 1  # an INTEGER key on both databases; larger numbers find nothing


def row_id(value):
    """A row id from user input (URL, form, JSON), or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= ID_MAX else None


def visible_dossier(user):
    """A SQL condition on Dossier: the dossiers `user` may see. Deny by default.

    Agency leaders, office leaders and clerks see all (`can_read_all`). Others who keep
    dossiers see their own and those of their fields, a unit leader (`can_read_unit`) also
    those of their unit. The network administrator sees none."""
    if user is None or not getattr(user, "is_authenticated", False) or \
            not may(user, "can_read", "Dossier"):
        return false()
    if may(user, "can_read_all", "Dossier"):
        return true()
    conditions = [Dossier.owner_id == user.id]
    field_ids = [field.id for field in user.fields]
    if field_ids:
        conditions.append(Dossier.field_id.in_(field_ids))
    if may(user, "can_read_unit", "Dossier") and user.department_id:
        conditions.append(Dossier.department_id == user.department_id)
    return or_(*conditions) if conditions else false()


def get_visible(session, user, dossier_id):
    """The dossier if `user` may see it, else None (callers answer 404)."""
    return visible_row(session, Dossier, visible_dossier(user), dossier_id)


# ---------------------------------------------------------------- the documents

def outgoing_rules():
    """(visible_outgoing, visible_draft) of the outgoing module, or None for each one it does
    not provide (then nobody may link or read such documents through a dossier)."""
    try:
        from app.outgoing import access as outgoing_access
    except ImportError:
        return None, None
    return (getattr(outgoing_access, "visible_outgoing", None),
            getattr(outgoing_access, "visible_draft", None))


def document_condition(kind, user):
    """The visibility condition for one kind of document (incoming, outgoing, draft)."""
    from app.dossiers.models import DRAFT, INCOMING, OUTGOING

    if kind == INCOMING:
        return visible_incoming(user)
    rule_outgoing, rule_draft = outgoing_rules()
    rule = {OUTGOING: rule_outgoing, DRAFT: rule_draft}.get(kind)
    return rule(user) if rule is not None else false()


def visible_document_ids(session, user, kind, ids):
    """The subset of `ids` (documents of one kind) that `user` may see."""
    from app.documents.models import IncomingDocument
    from app.dossiers.models import DRAFT, INCOMING, OUTGOING
    from app.outgoing.models import Draft, OutgoingDocument

    ids = {i for i in ids if i}
    if not ids:
        return set()
    model = {INCOMING: IncomingDocument, OUTGOING: OutgoingDocument, DRAFT: Draft}[kind]
    return set(session.scalars(select(model.id).where(model.id.in_(ids),
                                                      document_condition(kind, user))))
