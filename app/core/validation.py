"""One check, every path: a rule written once as `check(value) -> message or None`
becomes a WTForms validator (web forms) and a marshmallow validator (REST API)."""
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from wtforms import IntegerField
from wtforms.validators import ValidationError as FormValidationError

from app.core.numbers import db_int


def form_validator(check):
    def validate(_form, field):
        message = check(field.data)
        if message:
            raise FormValidationError(str(message))
    return validate


def api_validator(check):
    def validate(value):
        message = check(value)
        if message:
            raise ValidationError(str(message))
    return validate


class BoundedIntegerField(IntegerField):
    """WTForms' IntegerField, reading through db_int: a number the database cannot hold
    (99999999999999999999) is a field error, not an overflow when it is stored or looked up."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            return
        try:
            self.data = db_int(valuelist[0])
        except ValueError as error:
            self.data = None
            raise ValueError(str(_l("Phải là một số nguyên không quá 2 147 483 647."))) from error
