"""The daily deadline notices of incoming documents: "sắp đến hạn" and "quá hạn" to whoever
holds a piece of work, by the one definition of app.documents.deadlines (an open work line,
a document waiting for a direction or to be presented). Run once a day by the notice worker
(app.notifications.worker) and `flask eoffice notices`; never twice for the same work, kind
and deadline (app.notifications.services.remind)."""
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.core.timefmt import format_date, today_local
from app.documents import deadlines
from app.documents.access import visible_incoming
from app.documents.models import SUBMITTED, IncomingAssignment, IncomingDocument
from app.documents.services import title_of
from app.notifications.services import quote, remind
from app.security.access import people_with

OVERDUE_KIND, DUE_SOON_KIND = "incoming.overdue", "incoming.due_soon"


def remind_incoming(session, today=None) -> int:
    """Give today's reminders; one unit of work. Returns how many notices were added."""
    today = today or today_local()
    until = deadlines.due_soon_until(today)
    try:
        count = _lines(session, today, until) + _waiting(session, today, until)
        session.commit()
    except IntegrityError:  # another process gave them at the same moment: theirs stand
        session.rollback()
        return 0
    return count


def _message(document, deadline, overdue):
    values = {"title": title_of(document), "deadline": format_date(deadline),
              "name": quote(document.excerpt, secret=document.is_secret)}
    if overdue:
        return _("Văn bản đến %(title)s %(name)s đã quá hạn xử lý (hạn %(deadline)s).",
                 **values)
    return _("Văn bản đến %(title)s %(name)s sắp đến hạn xử lý (hạn %(deadline)s).",
             **values)


def _give(session, recipients, ref, document, deadline, overdue):
    return remind(session, recipients, ref, _message(document, deadline, overdue),
                  f"/incoming/{document.id}", OVERDUE_KIND if overdue else DUE_SOON_KIND,
                  subject=f"incoming:{document.id}",
                  urgent=overdue or document.is_urgent)


def _lines(session, today, until) -> int:
    """Each open work line overdue or due soon: its person, or the leaders of its unit."""
    rows = session.execute(
        select(IncomingAssignment, IncomingDocument)
        .join(IncomingDocument, IncomingDocument.id == IncomingAssignment.document_id)
        .where(or_(deadlines.overdue_line(today), deadlines.due_soon_line(today, until)))
        .order_by(IncomingAssignment.id)).all()
    leaders = {}
    count = 0
    for line, document in rows:
        deadline = line.deadline or document.deadline
        if line.user_id is not None:
            holders = [line.user_id]
        else:
            if line.department_id not in leaders:
                leaders[line.department_id] = people_with(
                    session, "can_delegate", "IncomingDocument", line.department_id)
            holders = leaders[line.department_id]
        count += _give(session, holders, f"line:{line.id}@{deadline.isoformat()}", document,
                       deadline, deadline < today)
    return count


def _waiting(session, today, until) -> int:
    """Each document overdue or due soon while waiting for a direction (the leader it was
    presented to, else every leader who directs) or to be presented (the clerks who present),
    to those of them who may see it."""
    documents = session.scalars(select(IncomingDocument).where(or_(
        deadlines.overdue_waiting(today), deadlines.due_soon_waiting(today, until)))
        .order_by(IncomingDocument.id)).all()
    if not documents:
        return 0
    directors = people_with(session, "can_direct", "IncomingDocument")
    presenters = people_with(session, "can_submit", "IncomingDocument")
    candidates = {d.id for d in documents}
    seen_by = {}

    def sees(user_id, document_id):
        if user_id not in seen_by:
            from app.org.models import EofficeUser

            person = session.get(EofficeUser, user_id)
            seen_by[user_id] = set(session.scalars(select(IncomingDocument.id).where(
                visible_incoming(person), IncomingDocument.id.in_(candidates))))
        return document_id in seen_by[user_id]

    count = 0
    for document in documents:
        if document.state == SUBMITTED:
            holders = [document.submitted_to_id] if document.submitted_to_id else directors
        else:
            holders = presenters
        holders = [h for h in holders if sees(h, document.id)]
        count += _give(session, holders,
                       f"incoming:{document.id}:{document.state}@"
                       f"{document.deadline.isoformat()}",
                       document, document.deadline, document.deadline < today)
    return count
