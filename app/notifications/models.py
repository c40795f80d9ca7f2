"""In-application notices (thông báo): one row per recipient, read or not, done or not."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, false,
    true,
)

from app.core.timefmt import utcnow


class Notification(Model):
    __tablename__ = "notification"
    __label__ = _l("thông báo")
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),
                      Index("ix_notification_user_subject", "user_id", "subject", "done_at"))

    id = Column(Integer, primary_key=True)
    # A notice is personal and disposable: it goes with its account.
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(40), nullable=False)  # e.g. "schedule.published", "incoming.assigned"
    message = Column(String(500), nullable=False)
    url = Column(String(500))  # where the notice leads (a path inside this application)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)  # UTC
    read_at = Column(DateTime)
    # What the notice is about ("incoming:12", "draft:7"): when the person acts on it, their
    # notices about it are done (app.notifications.services.settle), not only read.
    subject = Column(String(60))
    done_at = Column(DateTime)
    # Urgent notices are mailed at once, the others in the daily digest.
    urgent = Column(Boolean, nullable=False, default=False, server_default=false())
    emailed_at = Column(DateTime)


class NotificationMail(Model):
    """A person's email settings (both on until they opt out) and the day of their last
    digest. A row is made the first time either is needed."""
    __tablename__ = "notification_mail"
    __label__ = _l("cài đặt email thông báo")

    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    digest = Column(Boolean, nullable=False, default=True, server_default=true())
    urgent = Column(Boolean, nullable=False, default=True, server_default=true())
    last_digest_on = Column(Date)  # Vietnam date of the last daily digest sent
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class NotificationReminder(Model):
    """A deadline reminder already given: never twice for the same work and kind. `ref` names
    the work and its deadline ("line:34@2026-12-10", "dossier:5@2026-11-30"): a new deadline
    is a new reminder."""
    __tablename__ = "notification_reminder"
    __label__ = _l("nhắc hạn đã gửi")
    __table_args__ = (UniqueConstraint("kind", "ref", "user_id",
                                       name="uq_notification_reminder"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(40), nullable=False)
    ref = Column(String(80), nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False,
                     index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
