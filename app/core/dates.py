"""The one parser of dates and date-times typed in JSON bodies and plain forms: yyyy-mm-dd or
dd/mm/yyyy; yyyy-mm-ddTHH:MM[:SS], yyyy-mm-dd HH:MM or dd/mm/yyyy HH:MM (Vietnam time).
A value that fits none of them is a FormErrors next to its field. (Web forms use the fields of
app.core.forms.)"""
from datetime import date, datetime

from flask_babel import gettext as _

from app.core.errors import FormErrors

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M")


def _parse(value, formats, field, message):
    for fmt in formats:
        try:
            return datetime.strptime(str(value), fmt)
        except ValueError:
            continue
    raise FormErrors({field: [message()]})


def parse_date(value, field: str, message=None) -> date | None:
    """None for an empty value; a date as it is. `message`: the error to show instead of the
    general one."""
    if isinstance(value, str):
        value = value.strip()
    if value in (None, "") or isinstance(value, date):
        return value or None
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
                return datetime.fromisoformat(value)
            except ValueError:
                pass
    if value in (None, "") or isinstance(value, date):
        return value or None
    return _parse(value, DATETIME_FORMATS, field, lambda: message if message is not None else
                  _("Ngày giờ không hợp lệ: dùng yyyy-mm-ddTHH:MM."))
