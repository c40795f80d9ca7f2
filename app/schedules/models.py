"""Weekly work schedules (lịch công tác tuần, Art. 6.2, 7.2, 8.2; DOMAIN.md §3).

A week is one ISO week of one scope: the agency's leadership, a unit, or a person. The agency
and unit weeks are built, then approved, which publishes them; after that, changes are made as
an adjustment: edited items wait as `pending` copies (and cancellations as `cancel_pending`)
while the published items stay as they were, until the adjustment is approved. Each published
item remembers whether it was added, changed or cancelled by an adjustment, and when."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text,
    Time, UniqueConstraint, false,
)
from sqlalchemy.orm import relationship

from app.catalogs.models import MeetingRoom
from app.core.model_mixins import EventLine, link_table, lines, reference
from app.core.timefmt import utcnow
from app.org.models import Department, EofficeUser

# Levels (Art. 6.2a agency, 7.2a unit, 8.2a person).
AGENCY, UNIT, PERSON = "agency", "unit", "person"
LEVELS = {AGENCY: _l("Lịch cơ quan"), UNIT: _l("Lịch đơn vị"), PERSON: _l("Lịch cá nhân")}

# States of the week (of its first version, then of the adjustment being prepared).
DRAFT, SUBMITTED, RETURNED, PUBLISHED = "draft", "submitted", "returned", "published"
STATES = {DRAFT: _l("Đang soạn"), SUBMITTED: _l("Chờ duyệt"), RETURNED: _l("Bị trả lại"),
          PUBLISHED: _l("Đã ban hành")}

SESSIONS = {"morning": _l("Sáng"), "afternoon": _l("Chiều"), "evening": _l("Tối")}
SESSION_ORDER = {"morning": 0, "afternoon": 1, "evening": 2}

# What an adjustment did to a published item.
ADDED, CHANGED, CANCELLED = "added", "changed", "cancelled"
CHANGES = {ADDED: _l("Bổ sung"), CHANGED: _l("Điều chỉnh"), CANCELLED: _l("Hủy")}


class ScheduleWeek(Model):
    __tablename__ = "schedule_week"
    __label__ = _l("lịch công tác tuần")
    __table_args__ = (
        UniqueConstraint("level", "department_id", "owner_id", "year", "week",
                         name="uq_schedule_week_scope"),
        CheckConstraint("week BETWEEN 1 AND 53", name="ck_schedule_week_week"),
        Index("ix_schedule_week_when", "year", "week"),
    )

    id = Column(Integer, primary_key=True)
    level = Column(String(10), nullable=False)
    # A unit week has its unit; a personal week its person; the agency week neither. (The
    # agency week is kept unique by the service: NULLs never collide in a unique constraint.)
    department_id, department = reference(Department, index=True)
    owner_id, owner = reference(EofficeUser, index=True)
    year = Column(Integer, nullable=False)  # ISO year
    week = Column(Integer, nullable=False)  # ISO week number
    state = Column(String(10), nullable=False, default=DRAFT)
    version = Column(Integer, nullable=False, default=0)  # publications so far (0: never)
    published_at = Column(DateTime)  # the last publication (UTC)
    approved_by_id, approved_by = reference(EofficeUser)
    submitted_by_id, submitted_by = reference(EofficeUser)
    return_reason = Column(String(1000))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    items = relationship("ScheduleItem", back_populates="week_record",
                         cascade="all, delete-orphan", passive_deletes=True)
    events = lines("ScheduleEvent", "week_record", passive_deletes=True)

    @property
    def is_published(self):
        return self.version > 0

    def __repr__(self):
        return f"{LEVELS[self.level]} {self.week:02d}/{self.year}"


ITEM_KEY = ("item_id", "schedule_item", "CASCADE")
schedule_item_person = link_table("schedule_item_person", _l("thành phần của lịch công tác"),
                                  ITEM_KEY, ("user_id", "ab_user", "RESTRICT"))
schedule_item_unit = link_table("schedule_item_unit", _l("đơn vị tham dự lịch công tác"),
                                ITEM_KEY, ("department_id", "department", "RESTRICT"))


class ScheduleItem(Model):
    __tablename__ = "schedule_item"
    __label__ = _l("mục lịch công tác")
    __table_args__ = (
        Index("ix_schedule_item_day", "day", "start_time"),
        CheckConstraint("end_time IS NULL OR end_time > start_time",
                        name="ck_schedule_item_times"),
    )

    id = Column(Integer, primary_key=True)
    week_id = Column(Integer, ForeignKey("schedule_week.id", ondelete="CASCADE"), nullable=False,
                     index=True)
    week_record = relationship(ScheduleWeek, back_populates="items")
    day = Column(Date, nullable=False)
    session = Column(String(10), nullable=False)  # Sáng / Chiều / Tối
    start_time = Column(Time, nullable=False)
    end_time = Column(Time)
    content = Column(Text, nullable=False)
    chair_id, chair = reference(EofficeUser, index=True)
    chair_text = Column(String(200))  # a chair from outside the agency
    people = relationship(EofficeUser, secondary=schedule_item_person,
                          order_by=EofficeUser.first_name)
    units = relationship(Department, secondary=schedule_item_unit, order_by=Department.name)
    participants_text = Column(String(1000))  # guests and others, as written
    room_id, room = reference(MeetingRoom, index=True)
    place = Column(String(300))  # a place that is not one of our rooms
    preparing_unit_id, preparing_unit = reference(Department)
    notes = Column(String(1000))
    private = Column(Boolean, nullable=False, default=False, server_default=false())
    series = Column(String(36), index=True)  # items created together as a daily repetition

    # Adjustments of a published week.
    pending = Column(Boolean, nullable=False, default=False, server_default=false())
    replaces_id = Column(Integer, ForeignKey("schedule_item.id", ondelete="CASCADE"))
    replaces = relationship("ScheduleItem", remote_side=[id], foreign_keys=[replaces_id])
    cancel_pending = Column(Boolean, nullable=False, default=False, server_default=false())
    change = Column(String(10))  # added / changed / cancelled, by the last adjustment
    changed_at = Column(DateTime)  # when that adjustment was published (UTC)
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    created_at = Column(DateTime, nullable=False, default=utcnow)  # time of entry (UTC)
    # Art. 5.4: an item entered after its day (work done during an outage) says why; its day
    # and hours are the real ones, created_at the time of entry.
    backfill_reason = Column(String(500))

    @property
    def place_text(self):
        return self.room.name if self.room else (self.place or "")

    def __repr__(self):
        return self.content[:60]


class ScheduleEvent(EventLine, Model):
    """The history of a week: built, submitted, returned (why), approved, adjusted."""
    __tablename__ = "schedule_event"
    __label__ = _l("lịch sử lịch công tác")

    week_id, week_record = EventLine.of(ScheduleWeek)
    action = Column(String(20), nullable=False)
    note = Column(String(1000))  # a week's note is bounded (the other histories' are Text)


class ScheduleFeed(Model):
    """A secret calendar-feed address (.ics) of a person or a unit; revoking makes a new one."""
    __tablename__ = "schedule_feed"
    __label__ = _l("địa chỉ lịch")

    id = Column(Integer, primary_key=True)
    token = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), index=True)
    department_id, department = reference(Department, ondelete="CASCADE", index=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    revoked_at = Column(DateTime)
