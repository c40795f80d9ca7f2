"""Secret documents in the audit trail — one rule, used when a line is recorded and when lines
are shown (the trail's grid, its page, its export, a document's own history).

A line about a secret document (độ mật "Mật" and above: SecrecyLevel.level > 0) — the
document itself, or a row that belongs to it (its routing lines, files, draft versions,
recipients, dossier items, exchange messages) — keeps the action, the actor, the time, the
address and the names of the fields changed, never their values nor the record's wording
(excerpt, direction, notes, file names): those read "(nội dung mật)". The network
administrator reads the trail and is not a document reader; the document page is where the
content is shown, to whoever may see the document (app.documents.access, app.outgoing.access).

At record time nothing of a secret document's content is stored; at display time the rule is
applied again to what is stored, so lines written before this rule, or before a document was
classified, are covered too."""
import functools
import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select

# What is stored in place of the content (the trail is written in the application's language);
# what is shown is the translated REDACTED.
REDACTED_TEXT = "(nội dung mật)"
REDACTED = _l("(nội dung mật)")

DOCUMENT_TYPES = ("incoming_document", "outgoing_document", "draft")
# The tables whose rows belong to a document (the queries below say how).
TRACKED_TYPES = frozenset(DOCUMENT_TYPES + (
    "incoming_assignment", "document_file", "draft_version", "outgoing_file",
    "outgoing_recipient", "dossier_item", "exchange_outbox", "exchange_inbound",
    "electronic_copy"))


def _secret_levels():
    from app.catalogs.models import SecrecyLevel

    return select(SecrecyLevel.id).where(SecrecyLevel.level > 0)


@functools.cache
def _secret_ids_queries():
    """{object_type: a SELECT of the ids of that table's rows that concern a secret document}.
    Built once: every flush that writes audit lines asks, and building the expressions cost
    more than running them."""
    from app.copies.models import ElectronicCopy
    from app.core.models import DocumentFile
    from app.documents.models import IncomingAssignment, IncomingDocument
    from app.dossiers.models import DossierItem
    from app.exchange.models import ExchangeInbound, ExchangeOutbox
    from app.outgoing.models import (
        Draft, DraftVersion, OutgoingDocument, OutgoingFile, OutgoingRecipient,
    )

    levels = _secret_levels()

    # Each condition is looked up row by row (EXISTS on the document's key), never as the list
    # of every secret document of a decade: a page's history asks about a few rows.
    def secret_incoming(key):
        return exists().where(IncomingDocument.id == key, IncomingDocument.secrecy_id.in_(levels))

    def secret_outgoing(key):
        return exists().where(OutgoingDocument.id == key, OutgoingDocument.secrecy_id.in_(levels))

    def secret_draft(key):
        return exists().where(Draft.id == key, Draft.secrecy_id.in_(levels))

    return {
        "incoming_document": (IncomingDocument.id, IncomingDocument.secrecy_id.in_(levels)),
        "outgoing_document": (OutgoingDocument.id, OutgoingDocument.secrecy_id.in_(levels)),
        "draft": (Draft.id, Draft.secrecy_id.in_(levels)),
        "incoming_assignment": (IncomingAssignment.id,
                                secret_incoming(IncomingAssignment.document_id)),
        "document_file": (DocumentFile.id, or_(
            secret_incoming(DocumentFile.incoming_id),
            exists().where(DraftVersion.file_id == DocumentFile.id,
                           secret_draft(DraftVersion.draft_id)),
            exists().where(OutgoingFile.file_id == DocumentFile.id,
                           secret_outgoing(OutgoingFile.document_id)),
            exists().where(or_(ElectronicCopy.source_file_id == DocumentFile.id,
                               ElectronicCopy.copy_file_id == DocumentFile.id),
                           secret_incoming(ElectronicCopy.incoming_id)))),
        "draft_version": (DraftVersion.id, secret_draft(DraftVersion.draft_id)),
        "outgoing_file": (OutgoingFile.id, secret_outgoing(OutgoingFile.document_id)),
        "outgoing_recipient": (OutgoingRecipient.id,
                               secret_outgoing(OutgoingRecipient.document_id)),
        "dossier_item": (DossierItem.id, or_(secret_incoming(DossierItem.incoming_id),
                                             secret_outgoing(DossierItem.outgoing_id),
                                             secret_draft(DossierItem.draft_id))),
        "exchange_outbox": (ExchangeOutbox.id, secret_outgoing(ExchangeOutbox.outgoing_id)),
        "exchange_inbound": (ExchangeInbound.id, secret_incoming(ExchangeInbound.incoming_id)),
        "electronic_copy": (ElectronicCopy.id, secret_incoming(ElectronicCopy.incoming_id)),
    }


def _number(value):
    value = str(value or "")
    return int(value) if value.isdecimal() and int(value) < 2**31 else None


def secret_keys(session, keys) -> set:
    """The (object_type, object_id) pairs among `keys` that concern a secret document: one
    query per object type."""
    wanted = {}
    for object_type, object_id in keys:
        if object_type not in TRACKED_TYPES:
            continue
        number = _number(object_id)
        if number is not None:
            wanted.setdefault(object_type, set()).add(number)
    if not wanted:
        return set()
    queries = _secret_ids_queries()
    found = set()
    with session.no_autoflush:
        for object_type, ids in wanted.items():
            column, condition = queries[object_type]
            for chunk in _chunks(sorted(ids), 500):
                found.update((object_type, str(i)) for i in session.scalars(
                    select(column).where(column.in_(chunk), condition)))
    return found


def _chunks(values, size):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def is_secret_now(session, obj) -> bool:
    """A document whose secrecy level, as it is about to be saved, is Mật or above (catches a
    document classified in the very change being recorded)."""
    from app.catalogs.models import SecrecyLevel

    secrecy_id = getattr(obj, "secrecy_id", None)
    if secrecy_id is None or obj.__table__.name not in DOCUMENT_TYPES:
        return False
    with session.no_autoflush:
        level = session.get(SecrecyLevel, secrecy_id)
    return bool(level is not None and level.level > 0)


def is_secret_value(value) -> bool:
    """A related record shown in a line's before/after (e.g. a dossier item's document): a
    secret document is not written out."""
    from sqlalchemy.orm import object_session

    table = getattr(getattr(value, "__table__", None), "name", None)
    if table not in DOCUMENT_TYPES:
        return False
    session = object_session(value)
    if session is None:
        return bool(value.is_secret)
    with session.no_autoflush:  # called while the session flushes
        return bool(value.is_secret)


def redact_changes(changes, text=REDACTED_TEXT):
    """{field: [before, after]} with the field names kept and the values hidden; accepts the
    stored JSON text or a dict, returns the same kind."""
    if not changes:
        return changes
    data = changes
    if isinstance(changes, str):
        try:
            data = json.loads(changes)
        except ValueError:
            return text
        if not isinstance(data, dict):
            return text
    hidden = {field: [text, text] for field in data}
    return json.dumps(hidden, ensure_ascii=False) if isinstance(changes, str) else hidden


def redact_rows(session, rows):
    """Apply the rule to audit lines about to be shown: the summary and the changes of a line
    about a secret document are replaced, in memory only (never written back: the trail is
    append-only)."""
    from sqlalchemy.orm.attributes import set_committed_value

    rows = list(rows)
    secret = secret_keys(session, {(r.object_type, r.object_id) for r in rows if r.object_type})
    for row in rows:
        if (row.object_type, row.object_id) in secret:
            if row.summary:
                set_committed_value(row, "summary", str(REDACTED))
            if row.changes:
                set_committed_value(row, "changes", redact_changes(row.changes, str(REDACTED)))
    return rows
