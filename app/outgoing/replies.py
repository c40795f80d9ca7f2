"""The drafts and issued documents answering an incoming document, for its page and for the
completion that names the reply (app.documents.replies holds the hook; it cannot import this
domain). Visibility: the outgoing domain's own rules (app.outgoing.access)."""
from sqlalchemy import select

from app.documents import replies
from app.outgoing.access import visible_draft, visible_outgoing
from app.outgoing.models import Draft, OutgoingDocument


def replies_to(session, user, incoming_id) -> list[replies.Reply]:
    # Most documents have no answer: one look at the drafts' reply_to_id index says so, before
    # the two statements with the reader's visibility (every issued answer has its draft).
    answering = session.scalars(select(Draft.id).where(Draft.reply_to_id == incoming_id)).all()
    if not answering:
        return []
    drafts = session.scalars(select(Draft).where(
        Draft.id.in_(answering), visible_draft(user)).order_by(Draft.id)).all()
    # from the answering drafts (a few) to their documents; sorted here: an ORDER BY on the
    # documents' key made SQLite walk all 300,000 of them instead
    issued = {d.id: d for d in sorted(session.scalars(
        select(OutgoingDocument).where(OutgoingDocument.draft_id.in_(answering),
                                       visible_outgoing(user))),
        key=lambda d: d.id)}
    result = []
    for draft in drafts:
        if draft.outgoing is not None and draft.outgoing.id in issued:
            continue  # shown as the issued document below
        result.append(replies.Reply("draft", draft.id, draft.excerpt[:120],
                                    str(draft.state_label), f"/drafts/{draft.id}", None))
    for document in issued.values():
        result.append(replies.Reply(
            "outgoing", document.id, f"{document.number_symbol} – {document.excerpt[:100]}",
            str(document.state_label), f"/outgoing/{document.id}", document.number_symbol))
    return result


replies.register(replies_to)
