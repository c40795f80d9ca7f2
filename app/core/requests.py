"""Every text that enters through a request is NFC before any code sees it, and every whole
number read from it fits the database (app.core.numbers)."""
from flask import Request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest

from app.core.numbers import any_out_of_range, db_int
from app.core.text import nfc


class PlainBadRequest(BadRequest):
    """FAB's API shows str(error): let that be the message alone, without '400 Bad Request:'."""

    def __str__(self):
        return str(self.description)


class RequestValues(ImmutableMultiDict):
    """The query string or a form: `get(name, type=int)` / `getlist(name, type=int)` read
    through db_int, so 99999999999999999999, "²" or "1.5" give the default (None), never an
    overflow further down."""

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        return super().get(key, default, db_int if type is int else type)

    def getlist(self, key, type=None):  # noqa: A002
        return super().getlist(key, db_int if type is int else type)


def _nfc_multidict(data):
    return RequestValues([(nfc(k), nfc(v)) for k, v in data.items(multi=True)])


def _nfc_json(value):
    if isinstance(value, dict):
        return {nfc(k): _nfc_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc_json(v) for v in value]
    return nfc(value)


class NfcRequest(Request):
    """Query string, form fields and JSON bodies normalised to NFC (macOS and some input
    methods send NFD)."""

    @property
    def args(self):
        if "_nfc_args" not in self.__dict__:
            self.__dict__["_nfc_args"] = _nfc_multidict(super().args)
        return self.__dict__["_nfc_args"]

    def _load_form_data(self):
        super()._load_form_data()
        self.__dict__["form"] = _nfc_multidict(self.__dict__["form"])

    def on_json_loading_failed(self, e):
        raise PlainBadRequest(_("Nội dung JSON không hợp lệ."))

    def get_json(self, *args, **kwargs):
        data = super().get_json(*args, **kwargs)
        if any_out_of_range(data):
            raise PlainBadRequest(_("Nội dung JSON có số vượt quá giới hạn cho phép."))
        return _nfc_json(data)
