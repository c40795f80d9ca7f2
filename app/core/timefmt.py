"""Time: stored in UTC, shown in Asia/Ho_Chi_Minh as dd/mm/yyyy and HH:mm."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Monday first, as date.weekday() counts.
WEEKDAYS = [_l("Thứ Hai"), _l("Thứ Ba"), _l("Thứ Tư"), _l("Thứ Năm"), _l("Thứ Sáu"),
            _l("Thứ Bảy"), _l("Chủ nhật")]


def utcnow() -> datetime:
    """Naive UTC, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VIETNAM)


def format_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)


def format_datetime(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_date(value)
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def today_local() -> date:
    return datetime.now(VIETNAM).date()


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days (Monday–Friday) after `start`."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def local_to_utc(value: datetime) -> datetime:
    """A naive Vietnam-time datetime (as typed in a form) to naive UTC for storage."""
    return value.replace(tzinfo=VIETNAM).astimezone(UTC).replace(tzinfo=None)


def local_now() -> datetime:
    """Now in Vietnam, naive (as typed in forms)."""
    return datetime.now(VIETNAM).replace(tzinfo=None)


def iso_week_days(year: int, week: int) -> list[date]:
    """Monday to Sunday of an ISO week (ValueError if there is no such week)."""
    monday = date.fromisocalendar(year, week, 1)
    return [monday + timedelta(days=n) for n in range(7)]
