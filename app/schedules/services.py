"""Weekly schedules: finding and opening weeks, saving items (as adjustments once published),
the session of an item (from its start time), copying last week, the workflow, the rows a
person may see ("Lịch của tôi": every item they chair or attend), and conflicts of people and
rooms."""
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.audit.services import ACTION_LABELS, record
from app.catalogs.models import MeetingRoom
from app.core.db import rows_by_id
from app.core.errors import DomainError, FormErrors
from app.core.text import nfc
from app.core.timefmt import iso_week_days, today_local, utcnow
from app.notifications.services import notify
from app.org.models import Department, EofficeUser
from app.security.access import people_with
from app.schedules import access, workflow
from app.schedules.models import (
    ADDED, AGENCY, CANCELLED, CHANGED, DRAFT, LEVELS, PERSON, PUBLISHED, SESSIONS, SUBMITTED,
    UNIT, ScheduleEvent, ScheduleItem, ScheduleWeek,
)

DEFAULT_LENGTH = timedelta(hours=1)  # an item without an end time counts as one hour
MAX_CONTENT = 4000
EVENT_LABELS = {
    "submit": _l("Trình duyệt"), "approve": _l("Duyệt và ban hành"), "return": _l("Trả lại"),
    "withdraw": _l("Rút lại để sửa"), "publish": _l("Ban hành"),
    "copy": _l("Sao chép lịch tuần trước"),
}
# The audit trail's lines "schedule.<step>" read in words in the security panel, like its own.
for _step, _label in EVENT_LABELS.items():
    ACTION_LABELS.setdefault(f"schedule.{_step}", _label)


# ---------------------------------------------------------------- weeks

@dataclass(frozen=True)
class Scope:
    """Whose schedule: the agency's, a unit's (department_id) or a person's (owner_id)."""
    level: str
    department_id: int | None = None
    owner_id: int | None = None

    @classmethod
    def parse(cls, text: str | None, user) -> "Scope | None":
        """'agency', 'unit-5', 'person-12', 'mine' (the user's own); None if malformed."""
        text = (text or "agency").strip()
        if text == AGENCY:
            return cls(AGENCY)
        if text == "mine":
            return cls(PERSON, owner_id=user.id)
        kind, _sep, number = text.partition("-")
        if not number.isdecimal() or len(number) > 9:
            return None
        if kind == UNIT:
            return cls(UNIT, department_id=int(number))
        if kind == PERSON:
            return cls(PERSON, owner_id=int(number))
        return None

    @property
    def key(self) -> str:
        if self.level == UNIT:
            return f"unit-{self.department_id}"
        if self.level == PERSON:
            return f"person-{self.owner_id}"
        return AGENCY

    def title(self, session) -> str:
        """'CƠ QUAN', 'PHÒNG …', 'ÔNG/BÀ …' for the printed title."""
        if self.level == UNIT:
            unit = session.get(Department, self.department_id)
            return unit.name if unit else ""
        if self.level == PERSON:
            person = session.get(EofficeUser, self.owner_id)
            return person.full_name if person else ""
        agency = session.scalar(select(Department).where(Department.parent_id.is_(None))
                                .order_by(Department.id))
        return _("Lãnh đạo %(agency)s", agency=agency.name) if agency else ""

    def exists(self, session) -> bool:
        if self.level == UNIT:
            return session.get(Department, self.department_id) is not None
        if self.level == PERSON:
            return session.get(EofficeUser, self.owner_id) is not None
        return True


def week_of(day: date) -> tuple[int, int]:
    year, week, _weekday = day.isocalendar()
    return year, week


def valid_week(year, week) -> bool:
    try:
        iso_week_days(int(year), int(week))
    except (TypeError, ValueError):
        return False
    return 2000 <= int(year) <= 2100


def find_week(session, scope: Scope, year: int, week: int) -> ScheduleWeek | None:
    return session.scalar(select(ScheduleWeek).where(_week_is(scope, year, week)))


def find_weeks(session, wanted) -> dict:
    """{(scope, year, week): its record} for each (scope, year, week) `wanted` that exists (seen
    by the user or not, like find_week), in one query."""
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return {}
    found = session.scalars(select(ScheduleWeek).where(
        or_(*(_week_is(scope, year, week) for scope, year, week in wanted))))
    return {(scope_of(one), one.year, one.week): one for one in found}


def _week_is(scope: Scope, year, week):
    """A SQL condition on ScheduleWeek: the week (year, week) of `scope`."""
    return and_(_scope_is(scope), ScheduleWeek.year == year, ScheduleWeek.week == week)


def _scope_is(scope: Scope):
    """A SQL condition on ScheduleWeek: the weeks of `scope`."""
    return and_(ScheduleWeek.level == scope.level,
                _same(ScheduleWeek.department_id, scope.department_id),
                _same(ScheduleWeek.owner_id, scope.owner_id))


def _same(column, value):
    return column.is_(None) if value is None else column == value


def agency_published(session, year, week) -> bool:
    agency_week = find_week(session, Scope(AGENCY), year, week)
    return agency_week is not None and agency_week.is_published


def open_week(session, user, scope: Scope, year: int, week: int,
              create: bool = True) -> ScheduleWeek:
    """The week to add items to, created on first use — if the user may build it. With
    create=False (a form being shown: a GET writes nothing) a week not yet created is returned
    unsaved; the items' service saves it with them."""
    if not access.can_build_scope(user, scope.level, scope.department_id, scope.owner_id):
        raise DomainError(_l("Bạn không có quyền soạn lịch này."))
    if not valid_week(year, week):
        raise DomainError(_l("Tuần không hợp lệ."))
    existing = find_week(session, scope, year, week)
    if existing is not None:
        return existing
    # Art. 7.2a, 8.2a: units and people plan their week once the agency's week is out.
    if scope.level != AGENCY and not agency_published(session, year, week):
        raise DomainError(_l("Lịch công tác của cơ quan tuần %(week)s chưa được ban hành: lịch "
                             "đơn vị và lịch cá nhân được lập sau khi lịch cơ quan ban hành.",
                             week=f"{week:02d}/{year}"))
    personal = scope.level == PERSON
    created = ScheduleWeek(level=scope.level, department_id=scope.department_id,
                           owner_id=scope.owner_id, year=year, week=week,
                           # A personal week needs no approval: it is "published" at once.
                           state=PUBLISHED if personal else DRAFT, version=1 if personal else 0,
                           published_at=utcnow() if personal else None)
    if create:
        session.add(created)
        session.flush()
    return created


# ---------------------------------------------------------------- sessions

# The start time decides the session (an item may end in the next one): Sáng before 12:00,
# Chiều from 12:00 to before 18:00, Tối from 18:00.
AFTERNOON_FROM, EVENING_FROM = time(12, 0), time(18, 0)
SESSION_HOURS = _l("Buổi theo giờ bắt đầu: Sáng trước 12:00, Chiều từ 12:00 đến trước 18:00, "
                   "Tối từ 18:00.")


def session_of(start: time) -> str:
    """morning / afternoon / evening of an item starting at `start`."""
    if start < AFTERNOON_FROM:
        return "morning"
    return "afternoon" if start < EVENING_FROM else "evening"


def session_notice(data: dict) -> str | None:
    """The message shown when the session chosen contradicts the start time (the item is saved
    with the session of its start time); None when they agree or none was chosen. Web and
    REST show the same."""
    chosen, start = data.get("session"), data.get("start_time")
    if chosen not in SESSIONS or not isinstance(start, time) or session_of(start) == chosen:
        return None
    return _("Buổi được xếp theo giờ bắt đầu: %(time)s thuộc buổi %(session)s (không phải buổi "
             "%(chosen)s như đã chọn).", time=start.strftime("%H:%M"),
             session=SESSIONS[session_of(start)], chosen=SESSIONS[chosen])


# ---------------------------------------------------------------- items

ITEM_FIELDS = ("day", "session", "start_time", "end_time", "content", "chair_id", "chair_text",
               "participants_text", "room_id", "place", "preparing_unit_id", "notes", "private",
               "backfill_reason")


def validate_item(session, week: ScheduleWeek, data: dict, today=None) -> dict:
    """Clean values for an item of this week, or FormErrors with a message per field.
    `today` is the day of entry (the demo builds past weeks as they were built then)."""
    errors = {}
    days = iso_week_days(week.year, week.week)
    clean = {name: data.get(name) for name in ITEM_FIELDS}
    for name in ("content", "chair_text", "participants_text", "place", "notes",
                 "backfill_reason"):
        value = nfc((clean[name] or "").strip())
        clean[name] = value or None
    if not clean["content"]:
        errors["content"] = [_("Nhập nội dung công việc.")]
    elif len(clean["content"]) > MAX_CONTENT:
        errors["content"] = [_("Nội dung dài quá %(n)s ký tự.", n=MAX_CONTENT)]
    for name, limit in (("chair_text", 200), ("participants_text", 1000), ("place", 300),
                        ("notes", 1000), ("backfill_reason", 500)):
        if clean[name] and len(clean[name]) > limit:
            errors[name] = [_("Dài quá %(n)s ký tự.", n=limit)]
    if not isinstance(clean["day"], date):
        errors["day"] = [_("Nhập ngày theo dạng dd/mm/yyyy.")]
    elif clean["day"] not in days:
        errors["day"] = [_("Ngày phải thuộc tuần %(week)s (từ %(start)s đến %(end)s).",
                           week=f"{week.week:02d}", start=days[0].strftime("%d/%m/%Y"),
                           end=days[-1].strftime("%d/%m/%Y"))]
    if clean["session"] in (None, ""):
        clean["session"] = None  # from the start time, below
    elif clean["session"] not in SESSIONS:
        errors["session"] = [_("Chọn buổi: Sáng, Chiều hoặc Tối.")]
    if not isinstance(clean["start_time"], time):
        errors["start_time"] = [_("Nhập giờ bắt đầu theo dạng HH:mm.")]
    elif "session" not in errors:
        # The start time decides; a contradicting choice is corrected (session_notice says so).
        clean["session"] = session_of(clean["start_time"])
    if clean["end_time"] is not None and not isinstance(clean["end_time"], time):
        errors["end_time"] = [_("Nhập giờ kết thúc theo dạng HH:mm.")]
    elif isinstance(clean["start_time"], time) and clean["end_time"] is not None \
            and clean["end_time"] <= clean["start_time"]:
        errors["end_time"] = [_("Giờ kết thúc phải sau giờ bắt đầu.")]
    clean["chair_id"] = _existing(session, EofficeUser, clean["chair_id"], "chair_id", errors)
    clean["room_id"] = _existing(session, MeetingRoom, clean["room_id"], "room_id", errors)
    clean["preparing_unit_id"] = _existing(session, Department, clean["preparing_unit_id"],
                                           "preparing_unit_id", errors)
    people = _existing_many(session, EofficeUser, data.get("people") or [], "people", errors)
    units = _existing_many(session, Department, data.get("units") or [], "units", errors)
    clean["private"] = bool(clean["private"]) and week.level == PERSON
    if isinstance(clean["day"], date) and clean["day"] < (today or today_local()) \
            and not clean["backfill_reason"] and not data.get("existing_backfill"):
        # Art. 5.4: entering a past day (after an outage) is allowed, with its reason.
        errors["backfill_reason"] = [_("Ngày đã qua: ghi lý do nhập bù (ví dụ: mất điện, mất "
                                       "mạng) để lưu mục lịch với ngày giờ thực tế.")]
    repeat_until = data.get("repeat_until")
    if repeat_until is not None:
        if not isinstance(repeat_until, date) or repeat_until not in days or (
                isinstance(clean["day"], date) and repeat_until < clean["day"]):
            errors["repeat_until"] = [_("Lặp lại đến một ngày sau ngày bắt đầu, trong cùng "
                                        "tuần.")]
    if errors:
        raise FormErrors(errors)
    return {"fields": clean, "people": people, "units": units, "repeat_until": repeat_until}


def _existing(session, model, value, name, errors):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not -(2**31) < number < 2**31 or session.get(model, number) is None:
        errors[name] = [_("Giá trị đã chọn không còn tồn tại.")]
        return None
    return number


def _existing_many(session, model, values, name, errors):
    found = []
    for value in values:
        number = _existing(session, model, value, name, errors)
        if number is not None and number not in found:
            found.append(number)
    return [session.get(model, number) for number in found]


def _apply(item, clean):
    for name, value in clean["fields"].items():
        setattr(item, name, value)
    item.people = list(clean["people"])
    item.units = list(clean["units"])


def _editable(user, week):
    if not access.can_build(user, week):
        raise DomainError(_l("Bạn không có quyền sửa lịch này."))
    if week.state == SUBMITTED:
        raise DomainError(_l("Lịch đang chờ duyệt: rút lại để sửa trước khi thay đổi."))


def _adjusting(week):
    """Agency and unit weeks, once published, change only through an approved adjustment."""
    return week.is_published and week.level != PERSON


def add_items(session, user, week, data, today=None) -> list[ScheduleItem]:
    """One item, or one per day up to `repeat_until` (a daily repetition)."""
    _editable(user, week)
    clean = validate_item(session, week, data, today)
    first = clean["fields"]["day"]
    last = clean["repeat_until"] or first
    series = str(uuid.uuid4()) if last > first else None
    created = []
    day = first
    while day <= last:
        item = ScheduleItem(week_record=week, created_by_id=user.id, series=series,
                            pending=_adjusting(week))
        _apply(item, clean)
        item.day = day
        session.add(item)
        created.append(item)
        day += timedelta(days=1)
    _started_changing(week)
    session.commit()  # one unit of work: the week (if new) and its items
    return created


def update_item(session, user, item, data, today=None) -> ScheduleItem:
    """Change an item; a published one gets (or updates) its pending copy instead."""
    week = item.week_record
    _editable(user, week)
    if item.change == CANCELLED:
        raise DomainError(_l("Mục này đã hủy; thêm một mục mới nếu cần."))
    data = {**data, "repeat_until": None,
            "existing_backfill": item.day < (today or today_local()) and
            item.day == data.get("day")}
    clean = validate_item(session, week, data, today)
    target = item
    if _adjusting(week) and not item.pending:
        target = pending_copy(session, item) or ScheduleItem(
            week_record=week, replaces=item, pending=True, created_by_id=user.id,
            series=item.series)
        session.add(target)
    _apply(target, clean)
    _started_changing(week)
    session.commit()
    return target


def pending_copy(session, item):
    return session.scalar(select(ScheduleItem).where(ScheduleItem.replaces_id == item.id,
                                                     ScheduleItem.pending.is_(True)))


def cancel_item(session, user, item) -> None:
    """Remove an item not yet published; mark a published one to be cancelled."""
    week = item.week_record
    _editable(user, week)
    if item.pending or not _adjusting(week):
        session.delete(item)
    else:
        copy = pending_copy(session, item)
        if copy is not None:
            session.delete(copy)
        item.cancel_pending = True
    _started_changing(week)
    session.commit()


def restore_item(session, user, item) -> None:
    """Undo a cancellation or a change waiting in the adjustment."""
    week = item.week_record
    _editable(user, week)
    item.cancel_pending = False
    copy = pending_copy(session, item)
    if copy is not None:
        session.delete(copy)
    session.commit()


def _started_changing(week):
    if week.state == PUBLISHED and week.level != PERSON:
        week.state = DRAFT  # an adjustment is being prepared


def has_changes(week) -> bool:
    if not week.is_published:
        return bool(week.items)
    return any(i.pending or i.cancel_pending for i in week.items)


# ---------------------------------------------------------------- copying last week

@dataclass
class Copied:
    """What copy_previous_week did: the new items, and how many of last week's it left out."""
    items: list
    already_there: int = 0  # the same day, start time and content is already in the week
    past: int = 0  # their day this week has gone by


def copy_previous_week(session, user, scope: Scope, year: int, week: int,
                       today=None) -> Copied:
    """Copy last week's items of a unit's or a person's week into this week, 7 days later.

    Into a unit week still being prepared (never published): the copies wait, like every item
    of the week, for the leader to publish it. A published unit week is refused (change it item
    by item, as an adjustment). A personal week has no approval: its copies show at once.
    Copied: what last week shows (waiting changes and cancelled items left out), without its
    reason of backfill. Left out: items already in this week (same day, start time and
    content: clicking twice copies nothing twice), and items whose day has gone by. Nothing
    left to copy is refused with the reason."""
    if scope.level not in (UNIT, PERSON):
        raise DomainError(_l("Chỉ sao chép được lịch đơn vị và lịch cá nhân."))
    target = open_week(session, user, scope, year, week)
    _editable(user, target)
    if _adjusting(target):
        raise DomainError(_l("Lịch tuần %(week)s đã ban hành nên không sao chép được lịch tuần "
                             "trước vào; hãy thêm hoặc sửa từng mục (được lưu thành điều "
                             "chỉnh).", week=f"{week:02d}/{year}"))
    today = today or today_local()
    monday = iso_week_days(year, week)[0]
    last_year, last_week = week_of(monday - timedelta(days=7))
    source = find_week(session, scope, last_year, last_week)
    originals = sorted(
        (i for i in (source.items if source is not None else [])
         if not i.pending and i.change != CANCELLED),
        key=lambda i: (i.day, i.start_time, i.id))
    if not originals:
        raise DomainError(_l("Tuần trước (tuần %(week)s) không có mục lịch nào để sao chép.",
                             week=f"{last_week:02d}/{last_year}"))
    present = {_identity(i.day, i.start_time, i.content) for i in target.items
               if i.change != CANCELLED and not i.cancel_pending}
    result = Copied(items=[])
    series = {}
    for original in originals:
        day = original.day + timedelta(days=7)
        if day < today:
            result.past += 1
            continue
        if _identity(day, original.start_time, original.content) in present:
            result.already_there += 1
            continue
        clean = validate_item(session, target, {**_copy_values(original), "day": day}, today)
        item = ScheduleItem(week_record=target, created_by_id=user.id, pending=False,
                            series=series.setdefault(original.series, str(uuid.uuid4()))
                            if original.series else None)
        _apply(item, clean)
        session.add(item)
        result.items.append(item)
    if not result.items:
        if not result.past:
            raise DomainError(_l("Các mục của tuần trước đã có trong tuần này (có thể đã sao "
                                 "chép trước đó): không có gì để sao chép thêm."))
        if not result.already_there:
            raise DomainError(_l("Các ngày tương ứng của tuần này đã qua: không có mục nào để "
                                 "sao chép."))
        raise DomainError(_l("Không có gì để sao chép: %(there)s mục của tuần trước đã có trong "
                             "tuần này, %(past)s mục rơi vào ngày đã qua.",
                             there=result.already_there, past=result.past))
    note = _("%(n)s mục, từ tuần %(week)s", n=len(result.items),
             week=f"{last_week:02d}/{last_year}")
    session.add(ScheduleEvent(week_record=target, actor_id=user.id, action="copy", note=note))
    session.flush()
    record(session, "schedule.copy", object_type="schedule_week", object_id=target.id,
           summary=f"{target!r}: {EVENT_LABELS['copy']} ({note})")
    session.commit()  # one unit of work: the week (if new), the copies and the history line
    return result


def _identity(day, start, content):
    return day, start, nfc((content or "").strip())


def _copy_values(item) -> dict:
    """An item's values as validate_item takes them (a copy of the item)."""
    values = {name: getattr(item, name) for name in ITEM_FIELDS}
    values.update(people=[p.id for p in item.people], units=[u.id for u in item.units],
                  backfill_reason=None, repeat_until=None)
    return values


# ---------------------------------------------------------------- workflow

def act(session, user, week, action, note=None) -> None:
    transition = workflow.transition_for(user, week, action)
    if transition is None:
        raise DomainError(_l("Thao tác này không còn thực hiện được với lịch ở trạng thái "
                             "hiện tại (có thể người khác vừa xử lý). Hãy tải lại trang."))
    note = nfc((note or "").strip()) or None
    if transition.note_required and not note:
        raise FormErrors({"note": [_("Nhập lý do trả lại.")]})
    if note and len(note) > 1000:
        raise FormErrors({"note": [_("Dài quá %(n)s ký tự.", n=1000)]})
    if action in ("submit", "publish") and not has_changes(week):
        raise DomainError(_l("Chưa có thay đổi nào để trình hoặc ban hành."))
    first_time = not week.is_published
    week.state = transition.new_state
    if action == "submit":
        week.submitted_by_id = user.id
        week.return_reason = None
    if action == "return":
        week.return_reason = note
    if transition.new_state == PUBLISHED:
        _publish(week, user)
    session.add(ScheduleEvent(week_record=week, actor_id=user.id, action=action, note=note))
    record(session, f"schedule.{action}", object_type="schedule_week", object_id=week.id,
           summary=f"{week!r}: {EVENT_LABELS[action]}" + (f" – {note}" if note else ""))
    session.flush()
    _announce(session, user, week, action, first_time, note)
    session.commit()


def _publish(week, user):
    """Apply the waiting changes and mark what the adjustment did, then publish."""
    now = utcnow()
    adjustment = week.is_published
    for item in list(week.items):
        if item.pending and item.replaces is not None:
            original = item.replaces
            _copy_fields(item, original)
            original.change, original.changed_at = CHANGED, now
            week.items.remove(item)
        elif item.pending:
            item.pending = False
            if adjustment:
                item.change, item.changed_at = ADDED, now
        elif item.cancel_pending:
            item.cancel_pending = False
            item.change, item.changed_at = CANCELLED, now
    week.version += 1
    week.published_at = now
    week.approved_by_id = user.id


def _copy_fields(source, target):
    for name in ITEM_FIELDS:
        setattr(target, name, getattr(source, name))
    target.people = list(source.people)
    target.units = list(source.units)


def _announce(session, user, week, action, first_time, note):
    url = week_path(week)
    name = week_name(session, week)
    if action == "submit":
        notify(session, people_with(session, "can_approve", access.AGENCY_PERMISSION_VIEW),
               _("%(name)s đang chờ duyệt.", name=name), url, "schedule.submitted", exclude=user)
    elif action == "return":
        notify(session, [week.submitted_by_id], _("%(name)s bị trả lại: %(reason)s", name=name,
                                                  reason=note), url, "schedule.returned",
               exclude=user)
    elif week.state == PUBLISHED:
        message = (_("%(name)s đã được ban hành.", name=name) if first_time
                   else _("%(name)s có điều chỉnh, bổ sung.", name=name))
        audience = (select(EofficeUser.id).where(EofficeUser.active.is_(True))
                    if week.level == AGENCY else
                    select(EofficeUser.id).where(EofficeUser.active.is_(True),
                                                 EofficeUser.department_id == week.department_id))
        kind = "schedule.published" if first_time else "schedule.adjusted"
        notify(session, session.scalars(audience).all(), message, url, kind, exclude=user)


def week_path(week) -> str:
    """The week's page (a plain path: notices are also sent from the command line)."""
    return f"/schedule/week?scope={scope_of(week).key}&year={week.year}&week={week.week}"


def scope_of(week) -> Scope:
    return Scope(week.level, week.department_id, week.owner_id)


def week_name(session, week) -> str:
    """'Lịch cơ quan tuần 49/2026', 'Lịch đơn vị Phòng … tuần 49/2026'."""
    label = str(LEVELS[week.level])
    if week.level != AGENCY:
        label += " " + scope_of(week).title(session)
    return _("%(label)s tuần %(week)s", label=label, week=f"{week.week:02d}/{week.year}")


# ---------------------------------------------------------------- reading

@dataclass
class Row:
    """An item as one person sees it in a week view."""
    item: ScheduleItem
    level: str
    details: bool  # False: a private item of someone else — shown as busy only
    status: str = ""  # added / changed / cancelled, or pending_* while editing
    conflicts: list = field(default_factory=list)

    @property
    def sort_key(self):
        item = self.item
        return (item.day, item.start_time, {AGENCY: 0, UNIT: 1, PERSON: 2}[self.level], item.id)


def own_scope(scope: "Scope | None", user) -> bool:
    """Whether the view is the user's own week ("Lịch của tôi")."""
    return scope is not None and scope.level == PERSON and scope.owner_id == user.id


def attends(user):
    """A SQL condition on ScheduleItem: items of any schedule (agency, unit, someone's) that
    `user` chairs or attends — named among the people, or their unit among the units."""
    condition = [ScheduleItem.chair_id == user.id,
                 ScheduleItem.people.any(EofficeUser.id == user.id)]
    if user.department_id is not None:
        condition.append(ScheduleItem.units.any(Department.id == user.department_id))
    return or_(*condition)


def own_week(user):
    """A SQL condition on ScheduleWeek: the user's personal weeks."""
    return and_(ScheduleWeek.level == PERSON, ScheduleWeek.owner_id == user.id)


def _shown_weeks(user, scope: Scope | None):
    """A SQL condition on ScheduleWeek: the weeks of a view, as the user may see them
    (access.visible_weeks) — see weeks_for_view."""
    if scope is None:
        shown = or_(ScheduleWeek.level.in_((AGENCY, UNIT)), own_week(user))
    elif own_scope(scope, user):
        shown = or_(own_week(user), ScheduleWeek.items.any(attends(user)))
    else:
        shown = _scope_is(scope)
    return and_(access.visible_weeks(user), shown)


def weeks_for_view(session, user, scope: Scope | None, year, week) -> list[ScheduleWeek]:
    """The weeks shown, as the user may see them (access.visible_weeks): one scope; the user's
    own ("Lịch của tôi": their week and every week with an item they chair or attend); or
    (scope None) the combined view — the agency, every unit, and the user's own week."""
    return page_weeks(session, user, scope, year, week)[0]


def page_weeks(session, user, scope: Scope | None, year, week, also=()):
    """(weeks_for_view's weeks, {scope: record} of every week read), in one query that also
    reads the weeks of the scopes `also` — seen by the user or not, like find_week — which the
    page decides on (is the agency's week published, is a week waiting for approval)."""
    shown = _shown_weeks(user, scope)
    read = session.execute(
        select(ScheduleWeek, shown.label("shown"))
        .where(ScheduleWeek.year == year, ScheduleWeek.week == week,
               or_(shown, *(_week_is(other, year, week) for other in also)))
        .order_by(ScheduleWeek.id)).all()
    return ([one for one, seen in read if seen], {scope_of(one): one for one, _seen in read})


def _view_of(user, scope, weeks, editing=True):
    """(the week record of the scope shown, or None; the week shown with its waiting changes —
    to those who build or approve it —, or None; a further SQL condition on the items, or
    None: "Lịch của tôi" shows the user's week and the items they chair or attend)."""
    current = (next((w for w in weeks if scope_of(w) == scope), None)
               if scope is not None else None)
    shown = current if editing and current is not None and access.sees_changes(
        user, current) else None
    only = None
    if own_scope(scope, user):
        only = attends(user) if current is None else or_(ScheduleItem.week_id == current.id,
                                                          attends(user))
    return current, shown, only


def view_rows(session, user, scope, year, week, editing=True, weeks=None):
    """(the week record of the scope shown, or None; its rows). The week being built shows its
    waiting changes to those who build or approve it (editing=False: print, .xlsx — what was
    published); "Lịch của tôi" shows the user's week and the items they chair or attend.
    `weeks`: weeks_for_view's, when the page has read them."""
    if weeks is None:
        weeks = weeks_for_view(session, user, scope, year, week)
    current, shown, only = _view_of(user, scope, weeks, editing)
    return current, rows_of(session, user, weeks, shown, only)


def week_view(session, user, scope, year, week, weeks=None):
    """(the week record when one scope is shown, its rows with conflicts) — the week page and
    the API show the same thing: waiting changes only to those who build or approve it.
    The rows and the published items of the week's days they may conflict with are read
    together, once. `weeks`: weeks_for_view's, when the page has read them."""
    if weeks is None:
        weeks = weeks_for_view(session, user, scope, year, week)
    current, shown, only = _view_of(user, scope, weeks)
    if not weeks:
        return current, []
    of_weeks, standing = _items_of(weeks, only), _standing_on(iso_week_days(year, week))
    read = _load_items(session, or_(of_weeks, standing), of_weeks, standing)
    rows = _rows(user, [item for item, of_week, _standing in read if of_week], shown)
    conflicts = _conflicts(session, user, _checked(rows),
                           [item for item, _of_week, stands in read if stands])
    for row in rows:
        row.conflicts = conflicts.get(row.item.id, [])
    return current, rows


def rows_of(session, user, weeks, editing_week=None, only=None) -> list[Row]:
    """The rows of these weeks as the user may see them. The week being edited shows its
    waiting changes; every other week shows what was published. `only`: a further SQL
    condition on the items. Read in a fixed number of statements, however many the weeks and
    their items."""
    if not weeks:
        return []
    read = _load_items(session, _items_of(weeks, only))
    return _rows(user, [item for item, in read], editing_week)


def _items_of(weeks, only=None):
    """A SQL condition on ScheduleItem: the items of these weeks (meeting `only`)."""
    condition = ScheduleItem.week_id.in_([w.id for w in weeks])
    return condition if only is None else and_(condition, only)


def _standing_on(days):
    """A SQL condition on ScheduleItem joined to its week: the published items of these days
    that stand (neither waiting nor cancelled), of any schedule — what an item may conflict
    with."""
    return and_(ScheduleItem.day.in_(sorted(days)), ScheduleItem.pending.is_(False),
                ScheduleItem.cancel_pending.is_(False),
                or_(ScheduleItem.change.is_(None), ScheduleItem.change != CANCELLED),
                ScheduleWeek.version > 0)


def _load_items(session, where, *flags) -> list[tuple]:
    """[(item, flag, …)] for the items meeting `where` (on the item joined to its week), each
    flag (a SQL condition) answered for each item, with what the week views show and the
    conflicts compare — the item's week and its owner, its people, units, room, chair and
    preparing unit: a fixed number of statements however many the items (the chairs, owners,
    rooms and preparing units already in the session are not read again)."""
    read = session.execute(
        select(ScheduleItem, ScheduleWeek,
               *(flag.label(f"flag_{n}") for n, flag in enumerate(flags)))
        .join(ScheduleItem.week_record).where(where)
        .options(selectinload(ScheduleItem.people), selectinload(ScheduleItem.units))
        .order_by(ScheduleItem.day, ScheduleItem.start_time, ScheduleItem.id)).all()
    items = [row[0] for row in read]
    weeks = {row[1].id: row[1] for row in read}
    _attach(items, "week_record", "week_id", weeks)
    users = rows_by_id(session, EofficeUser,
                   [item.chair_id for item in items] + [week.owner_id for week in weeks.values()])
    _attach(items, "chair", "chair_id", users)
    _attach(weeks.values(), "owner", "owner_id", users)
    _attach(items, "room", "room_id", rows_by_id(session, MeetingRoom, [i.room_id for i in items]))
    _attach(items, "preparing_unit", "preparing_unit_id",
            rows_by_id(session, Department, [i.preparing_unit_id for i in items]))
    return [(row[0], *(bool(flag) for flag in row[2:])) for row in read]


def _attach(records, relation, key, rows):
    """Give each record whose many-to-one `relation` is not loaded yet its row from `rows`
    (by the id in `key`), as if loaded with it."""
    for target in records:
        if relation not in target.__dict__:
            set_committed_value(target, relation, rows.get(getattr(target, key)))


def read_history(session, week) -> list[ScheduleEvent]:
    """The week's history and who did each step: two statements at most, however long."""
    events = week.events
    _attach(events, "actor", "actor_id",
            rows_by_id(session, EofficeUser, [event.actor_id for event in events]))
    return events


def _rows(user, items, editing_week=None) -> list[Row]:
    """The rows of these items (of the weeks shown) as the user may see them: see rows_of."""
    replaced = {i.replaces_id for i in items if i.pending and i.replaces_id}
    rows = []
    for item in items:
        week = item.week_record
        editing = editing_week is not None and week.id == editing_week.id
        if item.pending and not editing:
            continue  # not published yet
        if editing and item.id in replaced:
            continue  # its waiting copy is shown instead
        if not editing and not week.is_published:
            continue
        status = item.change or ""
        if editing and item.pending:
            status = "pending_changed" if item.replaces_id else (
                "pending_added" if week.is_published else "")
        elif editing and item.cancel_pending:
            status = "pending_cancelled"
        rows.append(Row(item, week.level, access.shows_details(user, item), status))
    rows.sort(key=lambda row: row.sort_key)
    return rows


# ---------------------------------------------------------------- conflicts

def interval(item):
    start = datetime.combine(item.day, item.start_time)
    end = datetime.combine(item.day, item.end_time) if item.end_time else start + DEFAULT_LENGTH
    return start, end


def _people(item):
    people = {p.id for p in item.people}
    if item.chair_id:
        people.add(item.chair_id)
    if item.week_record.level == PERSON:
        people.add(item.week_record.owner_id)
    return people


def find_conflicts(session, user, rows, extra_items=()) -> dict:
    """{item id: [messages]}: the same person or the same room twice at overlapping times,
    against every published item of those days (any schedule) and the rows themselves."""
    checked = _checked(rows, extra_items)
    days = {item.day for item in checked}
    if not days:
        return {}
    others = [item for item, in _load_items(session, _standing_on(days))]
    return _conflicts(session, user, checked, others)


def _checked(rows, extra_items=()):
    """The items whose conflicts are looked for: the rows not cancelled, and `extra_items`."""
    return [row.item for row in rows
            if row.status not in ("cancelled", "pending_cancelled")] + list(extra_items)


def _conflicts(session, user, checked, others) -> dict:
    """find_conflicts' answer for the `checked` items against `others` (the published items
    that stand on their days) and themselves; the people's names read in one query at most."""
    candidates = {item.id: item for item in others}
    candidates.update({item.id: item for item in checked if item.id is not None})
    clashes = []  # (item id, when, what, the room's name or None, the person's id or None)
    for item in checked:
        start, end = interval(item)
        mine = _people(item)
        for other in candidates.values():
            if other is item or other.id == item.id or other.day != item.day \
                    or other.id == item.replaces_id or other.replaces_id == item.id:
                continue
            other_start, other_end = interval(other)
            if not (start < other_end and other_start < end):
                continue
            when = f"{other_start:%H:%M}–{other_end:%H:%M}"
            what = (other.content[:80] if access.shows_details(user, other)
                    else _("việc riêng"))
            if item.room_id and item.room_id == other.room_id:
                clashes.append((item.id, when, what, other.room.name, None))
            for person_id in sorted(mine & _people(other)):
                clashes.append((item.id, when, what, None, person_id))
    names = rows_by_id(session, EofficeUser, [clash[4] for clash in clashes])
    found = {}
    for item_id, when, what, room, person_id in clashes:
        if person_id is None:
            message = _("Phòng %(room)s đã có lịch khác %(when)s: %(what)s", room=room,
                        when=when, what=what)
        else:
            person = names.get(person_id)
            message = _("%(person)s có lịch khác trùng giờ %(when)s: %(what)s",
                        person=person.full_name if person else str(person_id), when=when,
                        what=what)
        found.setdefault(item_id, []).append(message)
    return found


def feed_items(session, user=None, department_id=None, since=None, until=None):
    """Published items for a calendar feed: the agency's, the unit's, and (for a person)
    their own and those they chair or attend."""
    conditions = [ScheduleWeek.level == AGENCY]
    if department_id is not None:
        conditions.append((ScheduleWeek.level == UNIT) &
                          (ScheduleWeek.department_id == department_id))
    if user is not None:  # the same items as "Lịch của tôi"
        conditions += [own_week(user), attends(user)]
    query = (select(ScheduleItem).join(ScheduleWeek)
             .where(or_(*conditions), ScheduleWeek.version > 0,
                    ScheduleItem.pending.is_(False))
             .options(selectinload(ScheduleItem.people), selectinload(ScheduleItem.units),
                      selectinload(ScheduleItem.room), selectinload(ScheduleItem.chair),
                      selectinload(ScheduleItem.week_record).selectinload(ScheduleWeek.owner))
             .order_by(ScheduleItem.day, ScheduleItem.start_time))
    if since is not None:
        query = query.where(ScheduleItem.day >= since)
    if until is not None:
        query = query.where(ScheduleItem.day <= until)
    return session.scalars(query).all()
