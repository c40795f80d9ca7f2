"""The drafts and outgoing documents that answer an incoming document (Draft.reply_to_id).

They live in app.outgoing, which depends on this domain; so that documents never imports it,
the outgoing domain registers its reader here (app.outgoing.replies, imported with the models
by app/models.py). Without a reader (a test of this domain alone) there is no reply."""
from typing import NamedTuple


class Reply(NamedTuple):
    """One answer as the incoming document's page shows it."""
    kind: str            # "draft" (being written, approved) or "outgoing" (issued)
    id: int
    label: str           # the number/symbol once issued, else the draft's excerpt
    state_label: str
    url: str
    number_symbol: str | None  # issued only: what fills reply_reference


_readers = []


def register(reader) -> None:
    """reader(session, user, incoming_id) → [Reply] the user may see."""
    if reader not in _readers:
        _readers.append(reader)


def replies_of(session, user, document) -> list[Reply]:
    """The answers to `document` that `user` may see, drafts and issued documents."""
    if document is None or document.id is None:
        return []
    return [reply for reader in _readers for reply in reader(session, user, document.id)]


def issued_reply(session, user, document, outgoing_id) -> Reply | None:
    """The issued answer `outgoing_id` to `document`, if `user` may see it."""
    return next((r for r in replies_of(session, user, document)
                 if r.kind == "outgoing" and str(r.id) == str(outgoing_id)), None)
