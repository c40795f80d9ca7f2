"""Sending and reading in-application notices. Modules call `notify` in the same transaction
as the change it announces, so a notice never tells of something that was rolled back."""
from sqlalchemy import and_, func, or_, select, true, update

from app.core import request_facts
from app.core.timefmt import utcnow
from app.notifications.models import Notification, NotificationReminder


def notify(session, recipients, message, url=None, kind="info", exclude=None, *,
           subject=None, urgent=False):
    """Add one notice for each recipient (users or user ids), once each, except `exclude`
    (usually the person who acted: nobody needs to be told what they just did). `subject`
    ("incoming:12", "draft:7"): what it is about, settled when the person acts on it;
    `urgent`: mailed at once rather than in the daily digest."""
    excluded = _id(exclude) if exclude is not None else None
    seen = set()
    for recipient in recipients:
        user_id = _id(recipient)
        if user_id is None or user_id in seen or user_id == excluded:
            continue
        seen.add(user_id)
        session.add(Notification(user_id=user_id, kind=kind, message=str(message)[:500],
                                 url=_internal(url), subject=subject, urgent=bool(urgent)))
    return len(seen)


def unread_count(session, user_id) -> int:
    """The person's unread notices (the bell): read with the person at this request when it
    was (app.core.request_facts), else counted."""
    answer = request_facts.known("unread_notices", user_id)
    if answer is not request_facts.MISSING:
        return answer or 0
    return session.scalar(unread_statement(user_id)) or 0


def unread_statement(user_id):
    return select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))


def is_open():
    """Still waiting for the person: a notice about work (it has a subject) not yet done, or
    a notice for information not yet read. "Chưa xử lý" on the page, the daily digest."""
    return and_(Notification.done_at.is_(None),
                or_(Notification.subject.is_not(None), Notification.read_at.is_(None)))


def notices_of(session, user_id, limit=50, offset=0, open_only=False):
    query = select(Notification).where(Notification.user_id == user_id)
    if open_only:
        query = query.where(is_open())
    return session.scalars(query.order_by(Notification.id.desc())
                           .limit(limit).offset(offset)).all()


def mark_read(session, user_id, notification_id=None) -> int:
    """Mark one notice (or all of them) of this user as read; others' notices are untouched."""
    statement = update(Notification).where(Notification.user_id == user_id,
                                           Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    count = session.execute(statement.values(read_at=utcnow())).rowcount
    session.commit()
    return count


def settle(session, user, subject) -> int:
    """The person acted on `subject`: their open notices about it are done (and read). Called
    by a domain in the same transaction as the action; commits nothing. Returns how many."""
    user_id = _id(user)
    if user_id is None or not subject:
        return 0
    return _settle(session, subject, Notification.user_id == user_id)


def settle_all(session, subject, kinds=None) -> int:
    """The step `subject` waited for is over, whoever took it (another leader of the unit,
    another clerk; the request was withdrawn): everybody's open notices about it (of `kinds`,
    if given) are done. Same transaction as the step; commits nothing."""
    if not subject:
        return 0
    condition = Notification.kind.in_(list(kinds)) if kinds else true()
    return _settle(session, subject, condition)


def _settle(session, subject, condition) -> int:
    now = utcnow()
    return session.execute(update(Notification).where(
        condition, Notification.subject == subject, Notification.done_at.is_(None))
        .values(done_at=now, read_at=func.coalesce(Notification.read_at, now))
        .execution_options(synchronize_session=False)).rowcount or 0


def remind(session, recipients, ref, message, url=None, kind="reminder", *, subject=None,
           urgent=False) -> int:
    """A deadline reminder: like `notify`, but never twice to the same person for the same
    `kind` and `ref` (the work and its deadline, "line:34@2026-12-10"). Commits nothing; the
    unique key of notification_reminder guards against a second process."""
    ids = {i for i in (_id(r) for r in recipients) if i is not None}
    if not ids:
        return 0
    given = set(session.scalars(select(NotificationReminder.user_id).where(
        NotificationReminder.kind == kind, NotificationReminder.ref == ref,
        NotificationReminder.user_id.in_(ids))))
    fresh = sorted(ids - given)
    for user_id in fresh:
        session.add(NotificationReminder(kind=kind, ref=ref[:80], user_id=user_id))
    return notify(session, fresh, message, url, kind, subject=subject, urgent=urgent)


def people_of(session, department_ids) -> list[int]:
    """Active people of the given units."""
    from app.org.models import EofficeUser

    ids = [i for i in department_ids if i is not None]
    if not ids:
        return []
    return sorted(session.scalars(select(EofficeUser.id).where(
        EofficeUser.department_id.in_(ids), EofficeUser.active.is_(True))))


def quote(text, limit=120, *, secret=False) -> str:
    """«text» cut to a readable length, for a notice's one line. The excerpt of a secret
    document never goes into a notice (notices are mailed): "(văn bản mật)" instead."""
    if secret:
        from flask_babel import gettext as _

        return _("(văn bản mật)")
    text = " ".join(str(text or "").split())
    return f"«{text[:limit - 1]}…»" if len(text) > limit else f"«{text}»"


def _id(recipient):
    return recipient if isinstance(recipient, int) or recipient is None else recipient.id


def _internal(url):
    """Only paths inside this application: a notice is never a way out to another site."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url[:500]
    return None


def mail_settings(session, user_id):
    """(digest, urgent): whether the person receives the daily digest and the urgent mails
    (both on until they opt out)."""
    from app.notifications.models import NotificationMail

    row = session.get(NotificationMail, user_id)
    return (True, True) if row is None else (row.digest, row.urgent)


def save_mail_settings(session, user_id, digest: bool, urgent: bool) -> None:
    """The person's choice on /notifications/settings; one unit of work."""
    from app.notifications.models import NotificationMail

    row = session.get(NotificationMail, user_id)
    if row is None:
        row = NotificationMail(user_id=user_id)
        session.add(row)
    row.digest, row.urgent = bool(digest), bool(urgent)
    session.commit()
