"""Domain errors: a translatable message, optionally tied to a form field."""


class DomainError(ValueError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)
