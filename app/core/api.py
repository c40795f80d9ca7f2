"""Base of the REST resources written by hand (documents, drafts, dossiers, requests): who is
calling, and domain errors as 422 with Vietnamese messages, never a 500 in English; and the
pieces every resource repeats: a visible record or 404, the JSON body or 400, a refused
action as 422, a list's filters and page, its OpenAPI parameters."""
import functools
import re
from contextlib import contextmanager

from flask import current_app, request
from flask_appbuilder.api import BaseApi, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_jwt_extended import current_user as jwt_current_user
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import ERROR_MESSAGES, DomainError
from app.core.timefmt import format_datetime

MAX_PAGE_SIZE = 100
_URL_VARIABLE = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


class Answered(Exception):
    """Raised by DomainApi's helpers with the answer the request gets (a 404, a 400, a 422):
    `guarded` returns it."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def guarded(permission: str):
    """The decorators of a REST endpoint written by hand, in FAB's order: the caller must hold
    `permission` on the resource (`protect`), anything raised is a JSON error (`safe`), and
    the answer of a helper's `Answered` is returned."""
    def wrap(function):
        @functools.wraps(function)
        def answering(self, *args, **kwargs):
            try:
                return function(self, *args, **kwargs)
            except Answered as answered:
                return answered.response
        return protect()(safe(permission_name(permission)(answering)))
    return wrap


# A list's query parameters in the OpenAPI document (YAML), for `listing`.
SEARCH = "{in: query, name: q, schema: {type: string}, description: accent-insensitive search}"
BOX = "{in: query, name: box, schema: {type: string}, description: inbox key}"
STATE = "{in: query, name: state, schema: {type: string}}"
PAGING = ("{in: query, name: after_id, schema: {type: integer}, description: keyset paging}",
          "{in: query, name: page_size, schema: {type: integer}}")


def listing(summary: str, *parameters: str, returns: str):
    """The docstring (OpenAPI) of a list answered by `DomainApi.page`: `summary`, the query
    `parameters` (YAML: SEARCH, BOX, STATE or the list's own), then the keyset paging's, and
    what the 200 answer `returns`. Put it under `guarded`."""
    lines = [summary, "---", "get:", "  parameters:",
             *(f"  - {parameter}" for parameter in (*parameters, *PAGING)),
             "  responses:", f"    200: {{description: {returns}}}"]

    def document(function):
        function.__doc__ = "\n".join(lines)
        return function
    return document


NOT_AN_OBJECT = _l("Nội dung phải là một đối tượng JSON.")


def json_object(optional=False) -> dict | None:
    """The request's JSON body when it is an object, else None (answer 400 with NOT_AN_OBJECT).
    `optional`: no body at all is an empty object (actions that need no fields)."""
    body = request.get_json(silent=True)
    if body is None and optional:
        return {}
    return body if isinstance(body, dict) else None


def json_fields() -> dict:
    """The request's JSON body when it is an object, else {}: an action whose fields are all
    optional takes any body."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def text_field(body: dict, key: str = "note") -> str | None:
    """`body[key]` when it is text (a note, a reason), else None."""
    value = body.get(key)
    return value if isinstance(value, str) else None


def uploads(name: str = "files") -> list[tuple[bytes, str]]:
    """The files chosen in the multipart field `name` of the request: [(data, filename)]."""
    return [(f.read(), f.filename) for f in request.files.getlist(name) if f.filename]


def person(user) -> dict | None:
    """A person as the API names one: {id, name}, or None."""
    return {"id": user.id, "name": user.full_name} if user else None


def history(events, labels) -> list[dict]:
    """A record's workflow events as the API lists them, each action named by `labels` (the
    domain's EVENT_LABELS)."""
    return [{"at": format_datetime(e.at), "actor": person(e.actor), "action": e.action,
             "action_label": str(labels.get(e.action, e.action)),
             "from_state": e.from_state, "to_state": e.to_state, "note": e.note}
            for e in events]


def actions(available) -> list[dict]:
    """The actions open to the caller, from the workflow's [(action, transition)]."""
    return [{"action": action, "label": str(t.label), "note": t.note}
            for action, t in available]


class DomainApi(BaseApi):
    allow_browser_login = True
    visible_record = None  # the domain's get_visible(session, user, pk), for `visible`

    @staticmethod
    def caller():
        """The bearer of the JWT when the request has one, else the session's user (FAB sets
        g.user only for the session)."""
        if request.headers.get("Authorization", "").startswith("Bearer "):
            try:
                get_jwt()  # verified by FAB's decorator already: not decoded again
            except RuntimeError:
                verify_jwt_in_request()
            return jwt_current_user
        return current_app.appbuilder.sm.current_user

    def found(self, record):
        """`record`; None (no such record, or not the caller's to see) is answered 404."""
        if record is None:
            raise Answered(self.response_404())
        return record

    def visible(self, pk):
        """The record `pk` if the caller may see it (the class's `visible_record`), else the
        request is answered 404."""
        from app.extensions import db

        return self.found(self.visible_record(db.session, self.caller(), pk))

    def file_of(self, record, file_id):
        """The file `file_id` among `record.files`, else the request is answered 404."""
        return self.found(next((f for f in record.files if f.id == file_id), None))

    def body(self, optional=False) -> dict:
        """The request's JSON object (`json_object`), else the request is answered 400 with
        NOT_AN_OBJECT."""
        body = json_object(optional)
        if body is None:
            raise Answered(self.response_400(message=str(NOT_AN_OBJECT)))
        return body

    def attach(self, record, attach_files):
        """The files chosen (multipart field `files`) attached to `record` by the domain's
        `attach_files(session, user, record, uploads)`; none chosen is answered 400, a refusal
        422."""
        from app.extensions import db

        files = uploads()
        if not files:
            raise Answered(self.response_400(message=_("Chưa chọn tệp.")))
        with self.refusals():
            attach_files(db.session, self.caller(), record, files)

    @contextmanager
    def refusals(self):
        """Inside it, a DomainError (a refused action) answers the request 422 (`_errors`)."""
        try:
            yield
        except DomainError as error:
            raise Answered(self._errors(error)) from error

    @contextmanager
    def bad_filters(self):
        """Inside it, a DomainError (an unknown box, a wrong filter of a list) answers the
        request 400 with its message."""
        try:
            yield
        except DomainError as error:
            raise Answered(self.response_400(message=str(error))) from error

    def filtered(self, query, search=None, state=None, states=None):
        """`query` narrowed by the filters lists share: `?q=` by the domain's `search(words)`
        condition, `?state=` on the `state` column (a value outside `states`, when given, is
        answered 400)."""
        args = request.args
        if search is not None and args.get("q"):
            query = query.where(search(args["q"]))
        if state is not None and args.get("state"):
            if states is not None and args["state"] not in states:
                raise Answered(self.response_400(message=_("Trạng thái không hợp lệ.")))
            query = query.where(state == args["state"])
        return query

    def boxes(self, counts):
        """The caller's inboxes, from the domain's [(key, label, count)]: [{key, label,
        count}]."""
        return self.response(200, result=[{"key": key, "label": str(label), "count": count}
                                          for key, label, count in counts])

    def _errors(self, error):
        """A refused action: 422 with {field: [messages]} or one message; nothing saved."""
        from app.extensions import db

        db.session.rollback()
        errors = getattr(error, "errors", None)
        if errors:
            return self.response_422(message={k: [str(m) for m in v] for k, v in errors.items()})
        return self.response_422(message=str(error))

    def page(self, query, model, serialize, prepare=None):
        """Keyset paging, newest first: `page_size` (≤ 100) rows with an id below `after_id`,
        and the `next_after_id` to ask for the next page (no OFFSET, no count). `prepare(rows)`
        loads at once what `serialize` needs for the page's rows (the grids' prepare_rows)."""
        from app.extensions import db

        args = request.args
        size = min(max(args.get("page_size", 25, type=int) or 25, 1), MAX_PAGE_SIZE)
        after_id = args.get("after_id", type=int)
        if after_id and 0 < after_id < 2**31:
            query = query.where(model.id < after_id)
        rows = list(db.session.scalars(query.order_by(model.id.desc()).limit(size + 1)))
        more = len(rows) > size
        rows = rows[:size]
        if prepare is not None:
            prepare(rows)
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
