"""Web form pieces shared by every domain: dates typed dd/mm/yyyy and times HH:mm (Vietnam
time) in a text box, and the choices of a select from a catalog table."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DateField, DateTimeField
from wtforms.widgets import TextInput

from app.core.dates import year_error

DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
BAD_DATE = _l("Ngày phải có dạng dd/mm/yyyy, ví dụ 05/03/2026.")
BAD_DATETIME = _l("Ngày giờ phải có dạng dd/mm/yyyy HH:mm, ví dụ 05/03/2026 08:30.")


class _TypedInTextBox:
    """A date (or date-time) field typed in a text box, with our message when it does not
    parse; `formats` and `placeholder` say what it accepts."""
    widget = TextInput()
    formats: list[str] = []
    placeholder = ""
    bad = ""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", list(self.formats))
        kwargs.setdefault("render_kw", {"placeholder": self.placeholder, "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(self.bad)) from error
        message = year_error(self.data)  # the one year range of app.core.dates
        if message:
            self.data = None
            raise ValueError(message)


class VietnameseDateField(_TypedInTextBox, DateField):
    """Typed as dd/mm/yyyy in a text box (a browser date input shows and sends another
    format); yyyy-mm-dd is accepted too."""
    formats = [DATE_FORMAT, "%Y-%m-%d"]
    placeholder = "dd/mm/yyyy"
    bad = BAD_DATE


class VietnameseDateTimeField(_TypedInTextBox, DateTimeField):
    formats = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    placeholder = "dd/mm/yyyy HH:mm"
    bad = BAD_DATETIME


def choices(session, model, label=lambda x: str(x), where=None, order=None):
    query = select(model)
    if where is not None:
        query = query.where(where)
    order = order if order is not None else model.id
    query = query.order_by(*order) if isinstance(order, tuple) else query.order_by(order)
    return [("", "")] + [(str(x.id), label(x)) for x in session.scalars(query)]
