"""One check, every path: a rule written once as `check(value) -> message or None`
becomes a WTForms validator (web forms) and a marshmallow validator (REST API)."""
from marshmallow import ValidationError
from wtforms.validators import ValidationError as FormValidationError


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
