"""Base of the REST resources written by hand (documents, drafts, dossiers, requests): who is
calling, and domain errors as 422 with Vietnamese messages, never a 500 in English."""
import re

from flask import current_app, request
from flask_appbuilder.api import BaseApi, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_jwt_extended import current_user as jwt_current_user
from flask_jwt_extended import verify_jwt_in_request

from flask_babel import lazy_gettext as _l

from app.core.errors import ERROR_MESSAGES

MAX_PAGE_SIZE = 100
_URL_VARIABLE = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def guarded(permission: str):
    """The decorators of a REST endpoint written by hand, in FAB's order: the caller must hold
    `permission` on the resource (`protect`), and anything raised is a JSON error (`safe`)."""
    def wrap(function):
        return protect()(safe(permission_name(permission)(function)))
    return wrap


NOT_AN_OBJECT = _l("Nội dung phải là một đối tượng JSON.")


def json_object(optional=False) -> dict | None:
    """The request's JSON body when it is an object, else None (answer 400 with NOT_AN_OBJECT).
    `optional`: no body at all is an empty object (actions that need no fields)."""
    body = request.get_json(silent=True)
    if body is None and optional:
        return {}
    return body if isinstance(body, dict) else None


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

    def page(self, query, model, serialize):
        """Keyset paging, newest first: `page_size` (≤ 100) rows with an id below `after_id`,
        and the `next_after_id` to ask for the next page (no OFFSET, no count)."""
        from app.extensions import db

        args = request.args
        size = min(max(args.get("page_size", 25, type=int) or 25, 1), MAX_PAGE_SIZE)
        after_id = args.get("after_id", type=int)
        if after_id and 0 < after_id < 2**31:
            query = query.where(model.id < after_id)
        rows = list(db.session.scalars(query.order_by(model.id.desc()).limit(size + 1)))
        more = len(rows) > size
        rows = rows[:size]
        return self.response(200, result=[serialize(row) for row in rows],
                             next_after_id=rows[-1].id if more else None)

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        """Every variable of a route (`<int:pk>`, `<action>`) is declared as a path parameter
        in the OpenAPI document, whether or not the docstring says it, so a client generator
        or a schema fuzzer reaches these routes."""
        super().operation_helper(path=path, operations=operations, methods=methods,
                                 func=func, **kwargs)
        variables = {}
        for url, _methods in getattr(func, "_urls", ()):
            if self.path_helper(path=url) == path:
                variables = {name: converter for converter, name in _URL_VARIABLE.findall(url)}
        for operation in operations.values():
            declared = {p.get("name") for p in operation.get("parameters", [])
                        if isinstance(p, dict) and p.get("in") == "path"}
            for name, converter in variables.items():
                if name not in declared:
                    schema = {"type": "integer"} if converter == "int" else {"type": "string"}
                    operation.setdefault("parameters", []).append(
                        {"in": "path", "name": name, "required": True, "schema": schema})

    def response_500(self, message=None):
        from app.extensions import db

        db.session.rollback()
        return super().response_500(message=str(ERROR_MESSAGES[500]))
