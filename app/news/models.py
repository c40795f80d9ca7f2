"""Internal news (tin tức nội bộ, Art. 6.2c, 7.2c, 8.2c): an item written by an officer, edited
by the unit leader, published by the agency leader; its revisions, its history and its images."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, Column, DateTime, ForeignKey, Integer, String, Text, false,
)
from sqlalchemy.orm import relationship

from app.catalogs.models import NewsCategory
from app.core.model_mixins import EventLine, link_table, lines, part_of, reference
from app.core.models import DocumentFile
from app.core.timefmt import utcnow
from app.org.models import Department, EofficeUser

# States; the transitions between them are in app.news.workflow.
DRAFT = "draft"              # nháp: only the author sees it
SUBMITTED = "submitted"      # chờ biên tập: at the unit leader's desk
PENDING = "pending"          # chờ duyệt: at the agency leader's desk
PUBLISHED = "published"      # đã xuất bản (visible from published_at on)
RETURNED = "returned"        # trả lại: back with the author, with a comment
UNPUBLISHED = "unpublished"  # đã gỡ bài
STATES = {
    DRAFT: _l("Nháp"),
    SUBMITTED: _l("Chờ biên tập"),
    PENDING: _l("Chờ duyệt"),
    PUBLISHED: _l("Đã xuất bản"),
    RETURNED: _l("Bị trả lại"),
    UNPUBLISHED: _l("Đã gỡ bài"),
}
WAITING_LABEL = _l("Đã duyệt, chờ đến giờ đăng")

TITLE_MAX = 300
SUMMARY_MAX = 1000

# The images an item uses (its cover and those in its body): whoever may read the item may
# see them. Links are kept when an image leaves the body, so old revisions still show it.
news_item_image = link_table("news_item_image", _l("ảnh của tin"),
                             ("news_id", "news_item", "CASCADE"),
                             ("image_id", "news_image", "CASCADE"))


class NewsImage(Model):
    """An image uploaded for the news (cover or body), checked by decoding (app.core.files),
    stored as a DocumentFile and served only by /news/image/<id>."""
    __tablename__ = "news_image"
    __label__ = _l("ảnh tin tức")

    id = Column(Integer, primary_key=True)
    file_id, file = reference(DocumentFile, nullable=False, unique=True)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"),
                            nullable=False, index=True)
    uploaded_at = Column(DateTime, nullable=False, default=utcnow)

    @property
    def url(self):
        return f"/news/image/{self.id}"

    def __repr__(self):
        return self.file.original_name if self.file else str(self.id)


class NewsItem(Model):
    __tablename__ = "news_item"
    __label__ = _l("tin tức")

    id = Column(Integer, primary_key=True)
    state = Column(String(12), nullable=False, default=DRAFT, index=True)
    title = Column(String(TITLE_MAX), nullable=False)
    summary = Column(Text, nullable=False, default="")  # sapo
    body = Column(Text, nullable=False, default="")  # sanitised HTML (app.news.sanitize)
    category_id, category = reference(NewsCategory, nullable=False, index=True)
    cover_image_id, cover_image = reference(NewsImage, ondelete="SET NULL")
    featured = Column(Boolean, nullable=False, default=False, server_default=false())
    # Wished publication time (scheduled); published_at is when it shows on the portal.
    publish_at = Column(DateTime)
    # Art. 5.4: an item published during an outage, entered afterwards with its real time
    # (publish_at in the past) says why; created_at keeps the time of entry.
    backfill_reason = Column(String(500))
    published_at = Column(DateTime, index=True)
    author_id, author = reference(EofficeUser, nullable=False, index=True)
    # The author's unit when the item was written: its leader edits the item.
    department_id, department = reference(Department, nullable=False, index=True)
    publisher_id, publisher = reference(EofficeUser)
    return_comment = Column(Text)  # the last "trả lại" comment, shown to the author
    version = Column(Integer, nullable=False, default=1)  # a stale form is refused
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    images = relationship(NewsImage, secondary=news_item_image, order_by=NewsImage.id)
    revisions = relationship("NewsRevision", back_populates="news",
                             order_by="NewsRevision.id.desc()", cascade="all, delete-orphan")
    events = lines("NewsEvent", "news")

    @property
    def state_label(self):
        if self.state == PUBLISHED and self.published_at and self.published_at > utcnow():
            return WAITING_LABEL
        return STATES.get(self.state, self.state)

    def __repr__(self):
        return self.title or ""


class NewsRevision(Model):
    """Every save of the title, summary or body: who, when, and the content as saved."""
    __tablename__ = "news_revision"
    __label__ = _l("phiên bản tin")

    id = Column(Integer, primary_key=True)
    news_id, news = part_of(NewsItem, "revisions")
    editor_id, editor = reference(EofficeUser)
    at = Column(DateTime, nullable=False, default=utcnow)
    title = Column(String(TITLE_MAX), nullable=False)
    summary = Column(Text, nullable=False, default="")
    body = Column(Text, nullable=False, default="")

    def __repr__(self):
        return self.title or ""


class NewsEvent(EventLine, Model):
    """The item's workflow history, append-only: who did what, when, with which comment."""
    __tablename__ = "news_event"
    __label__ = _l("lịch sử tin")

    news_id, news = EventLine.of(NewsItem)
    action, from_state, to_state = EventLine.step(20, 12)
