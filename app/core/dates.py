"""The one parser of dates and date-times typed in JSON bodies and plain forms: yyyy-mm-dd or
dd/mm/yyyy; yyyy-mm-ddTHH:MM[:SS], yyyy-mm-dd HH:MM or dd/mm/yyyy HH:MM (Vietnam time).
A value that fits none of them is a FormErrors next to its field. (Web forms use the fields of
app.core.forms, which apply the same year range.)

One sanity rule for every channel (forms, REST, imports, exchange): a year outside
MIN_YEAR..MAX_YEAR (1900..2100) is a typing error, refused with a Vietnamese message, never
stored (year 1 or 9999 cannot even be converted between Vietnam time and UTC). The range is
wide on purpose: deadlines and schedules take next year's dates and old documents are
registered late; the rules of each record (a document date not after its arrival…) are the
services'."""
from datetime import date, datetime

from flask_babel import gettext as _

from app.core.errors import FormErrors

MIN_YEAR, MAX_YEAR = 1900, 2100
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")


def year_error(value):
    """The message for a date (or date-time) whose year is out of MIN_YEAR..MAX_YEAR, else
    None. The one year rule: the parsers below and the web forms' date fields use it."""
    if isinstance(value, date) and not MIN_YEAR <= value.year <= MAX_YEAR:
        return _("Năm %(year)s không hợp lệ: chỉ nhận năm từ %(min)s đến %(max)s.",
                 year=value.year, min=MIN_YEAR, max=MAX_YEAR)
    return None


def _in_range(value, field):
    message = year_error(value)
    if message:
        raise FormErrors({field: [message]})
    return value


def _parse(value, formats, field, message):
    for fmt in formats:
        try:
            parsed = datetime.strptime(str(value), fmt)
        except ValueError:
            continue
        return _in_range(parsed, field)
    raise FormErrors({field: [message()]})


def parse_date(value, field: str, message=None) -> date | None:
    """None for an empty value; a date as it is. `message`: the error to show instead of the
    general one."""
    if isinstance(value, str):
        value = value.strip()
    if value in (None, "") or isinstance(value, date):
        return _in_range(value, field) or None
    return _parse(value, DATE_FORMATS, field, lambda: message if message is not None else _(
        "Ngày không hợp lệ: dùng yyyy-mm-dd hoặc dd/mm/yyyy.")).date()


def to_date(value, default=None) -> date | None:
    """A date from a query parameter, leniently: `default` for an empty or wrong value (the
    page then shows its usual period instead of an error)."""
    try:
        return parse_date(value, "") or default
    except FormErrors:
        return default


def parse_datetime(value, field: str, message=None) -> datetime | None:
    """None for an empty value; a date (or date-time) as it is; ISO 8601 with an offset too.
    `message`: the error to show instead of the general one."""
    if isinstance(value, str):
        value = value.strip()
        if "T" in value:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                return _in_range(parsed, field)
    if value in (None, "") or isinstance(value, date):
        return _in_range(value, field) or None
    return _parse(value, DATETIME_FORMATS, field, lambda: message if message is not None else
                  _("Ngày giờ không hợp lệ: dùng yyyy-mm-ddTHH:MM."))
