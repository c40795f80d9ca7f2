"""In-application notices (thông báo): one row per recipient, read or not."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String

from app.core.timefmt import utcnow


class Notification(Model):
    __tablename__ = "notification"
    __label__ = _l("thông báo")
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id = Column(Integer, primary_key=True)
    # A notice is personal and disposable: it goes with its account.
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(40), nullable=False)  # e.g. "schedule.published", "news.returned"
    message = Column(String(500), nullable=False)
    url = Column(String(500))  # where the notice leads (a path inside this application)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)  # UTC
    read_at = Column(DateTime)
