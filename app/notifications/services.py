"""Sending and reading in-application notices. Modules call `notify` in the same transaction
as the change it announces, so a notice never tells of something that was rolled back."""
from sqlalchemy import func, select, update

from app.core.timefmt import utcnow
from app.notifications.models import Notification


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
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def notices_of(session, user_id, limit=50, offset=0):
    return session.scalars(select(Notification).where(Notification.user_id == user_id)
                           .order_by(Notification.id.desc()).limit(limit).offset(offset)).all()


def mark_read(session, user_id, notification_id=None) -> int:
    """Mark one notice (or all of them) of this user as read; others' notices are untouched."""
    statement = update(Notification).where(Notification.user_id == user_id,
                                           Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    count = session.execute(statement.values(read_at=utcnow())).rowcount
    session.commit()
    return count


def settle(session, user, subject) -> None:
    """The person acted on `subject`: their open notices about it are done (and read). Called
    by a domain in the same transaction as the action; commits nothing."""
    user_id = _id(user)
    if user_id is None or not subject:
        return
    now = utcnow()
    session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.subject == subject,
        Notification.done_at.is_(None)).values(done_at=now, read_at=func.coalesce(
            Notification.read_at, now)).execution_options(synchronize_session=False))


def _id(recipient):
    return recipient if isinstance(recipient, int) or recipient is None else recipient.id


def _internal(url):
    """Only paths inside this application: a notice is never a way out to another site."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url[:500]
    return None
