"""Who sees which electronic copy — one rule, as a SQL filter, used by the book (list), the
copy's page, its files and the REST API.

The clerk, who makes the copies and keeps the book ("can_write"), and whoever reads every
incoming document (agency and office leaders) see every copy. Anyone else who reads copies sees
the copies of the incoming documents they may see (app.documents.access), nothing else."""
from sqlalchemy import exists, false, select, true

from app.copies.models import ElectronicCopy
from app.core.db import visible_row
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from app.security.access import may

RESOURCE = "ElectronicCopy"


def may_make(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and may(user, "can_write", RESOURCE))


def visible_copies(user):
    """A SQL condition on ElectronicCopy: the copies `user` may see. Deny by default."""
    if user is None or not getattr(user, "is_authenticated", False) or \
            not may(user, "can_read", RESOURCE):
        return false()
    if may(user, "can_write", RESOURCE) or may(user, "can_read_all", "IncomingDocument"):
        return true()
    # Checked copy by copy (EXISTS on the document's key), never the list of every document
    # the person may see: an officer sees a hundred thousand of a decade's documents.
    return exists().where(IncomingDocument.id == ElectronicCopy.incoming_id,
                          visible_incoming(user))


def get_visible(session, user, copy_id):
    """The copy if `user` may see it, else None (callers answer 404)."""
    return visible_row(session, ElectronicCopy, visible_copies(user), copy_id)


def copy_of_file(session, record):
    """The copy a stored file belongs to (its scan or its signed copy), or None."""
    if record is None or record.id is None:
        return None
    return session.scalar(select(ElectronicCopy).where(
        (ElectronicCopy.copy_file_id == record.id) | (ElectronicCopy.source_file_id == record.id)))
