"""Base of the REST resources written by hand (documents, drafts, dossiers, requests): who is
calling, and domain errors as 422 with Vietnamese messages, never a 500 in English."""
from flask import current_app, request
from flask_appbuilder.api import BaseApi
from flask_jwt_extended import current_user as jwt_current_user
from flask_jwt_extended import verify_jwt_in_request

from app.core.errors import ERROR_MESSAGES


class DomainApi(BaseApi):
    allow_browser_login = True

    @staticmethod
    def caller():
        """The bearer of the JWT when the request has one, else the session's user (FAB sets
        g.user only for the session)."""
        if request.headers.get("Authorization", "").startswith("Bearer "):
            verify_jwt_in_request()
            return jwt_current_user
        return current_app.appbuilder.sm.current_user

    def _errors(self, error):
        """A refused action: 422 with {field: [messages]} or one message; nothing saved."""
        from app.extensions import db

        db.session.rollback()
        errors = getattr(error, "errors", None)
        if errors:
            return self.response_422(message={k: [str(m) for m in v] for k, v in errors.items()})
        return self.response_422(message=str(error))

    def response_500(self, message=None):
        from app.extensions import db

        db.session.rollback()
        return super().response_500(message=str(ERROR_MESSAGES[500]))
