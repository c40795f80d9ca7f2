"""Time: stored in UTC, shown in Asia/Ho_Chi_Minh as dd/mm/yyyy and HH:mm."""
from datetime import date, datetime, UTC
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


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
