"""WTForms' own messages ("Not a valid integer value.", "This field is required.") come from
our catalog: WTForms ships no Vietnamese, and Flask-WTF reads only WTForms' catalogs."""
import flask_wtf.i18n
from flask import has_request_context
from flask_babel import get_translations


def _our_translations():
    return get_translations() if has_request_context() else None


def init_wtforms_translations():
    flask_wtf.i18n._get_translations = _our_translations
