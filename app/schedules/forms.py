"""Reading an item from a form or a JSON body: dates dd/mm/yyyy (or yyyy-mm-dd) through the one
date parser (app.core.dates), times HH:mm. The same reader serves the web form and the REST API,
so both give the same messages."""
from datetime import date, time

from flask_babel import gettext as _

from app.core.dates import parse_date as _core_parse_date
from app.core.errors import FormErrors


def parse_date(text):
    """A date from dd/mm/yyyy or yyyy-mm-dd (app.core.dates); ValueError when it is empty or
    not a date, so that the caller puts the schedules' own message next to its field."""
    if isinstance(text, str):
        text = text.strip()
    try:
        value = _core_parse_date(text, "day")
    except FormErrors:
        raise ValueError from None
    if not isinstance(value, date):
        raise ValueError
    return value


def parse_time(text):
    text = (text or "").strip() if isinstance(text, str) else text
    try:
        hours, minutes = text.split(":")[:2]
        return time(int(hours), int(minutes))
    except (AttributeError, TypeError, ValueError):
        raise ValueError from None


def _ids(values):
    if values is None:
        return []
    if isinstance(values, str | int):
        values = [values]
    return [v for v in values if v not in (None, "")]


def item_data(values: dict, lists: dict) -> tuple[dict, dict]:
    """(data for services.validate_item, errors of reading). `lists` holds multi-valued
    fields (people, units)."""
    errors = {}
    data = {name: values.get(name) for name in (
        "session", "content", "chair_id", "chair_text", "participants_text", "room_id",
        "place", "preparing_unit_id", "notes", "backfill_reason")}
    data["private"] = values.get("private") in (True, "y", "on", "1", "true", 1)
    data["people"] = _ids(lists.get("people"))
    data["units"] = _ids(lists.get("units"))
    try:
        data["day"] = parse_date(values.get("day"))
    except ValueError:
        data["day"] = None
        errors["day"] = [_("Nhập ngày theo dạng dd/mm/yyyy.")]
    for name, message in (("start_time", _("Nhập giờ bắt đầu theo dạng HH:mm.")),
                          ("end_time", _("Nhập giờ kết thúc theo dạng HH:mm."))):
        raw = values.get(name)
        if raw in (None, "") and name == "end_time":
            data[name] = None
            continue
        try:
            data[name] = parse_time(raw)
        except ValueError:
            data[name] = None
            errors[name] = [message]
    raw = values.get("repeat_until")
    data["repeat_until"] = None
    if raw not in (None, ""):
        try:
            data["repeat_until"] = parse_date(raw)
        except ValueError:
            errors["repeat_until"] = [_("Nhập ngày theo dạng dd/mm/yyyy.")]
    return data, errors
