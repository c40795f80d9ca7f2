"""REST API /api/v1/request/: the same services, rules and visibility as the web pages."""

from flask import request
from flask_appbuilder.api import expose
from flask_babel import gettext as _

from app.core import storage
from app.core.api import NOT_AN_OBJECT, DomainApi, guarded
from app.core.dates import parse_date
from app.core.errors import DomainError
from app.core.timefmt import format_date, format_datetime
from app.extensions import db
from app.request_forms import services, workflow
from app.request_forms.access import get_visible
from app.request_forms.models import STATES, RequestForm

CREATE_FIELDS = ("subject", "content", "deadline", "target", "target_department_id",
                 "target_user_id", "dossier_id")


def data_from_body(body) -> dict:
    """JSON body (or multipart form fields) → the service's data dict."""
    if not isinstance(body, dict):
        raise services.FormErrors({"body": [NOT_AN_OBJECT]})
    data = {key: body.get(key) for key in CREATE_FIELDS if key in body}
    for key in ("subject", "content"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise services.FormErrors({key: [_("Phải là chuỗi ký tự.")]})
    if data.get("target"):
        if not isinstance(data["target"], str):
            raise services.FormErrors({"target": [_("Đơn vị hoặc người nhận không hợp lệ.")]})
        data["target_department_id"], data["target_user_id"] = services.parse_target(
            data.pop("target"))
    data.pop("target", None)
    data["deadline"] = parse_date(data.get("deadline"), "deadline")
    return data


def _person(user):
    return {"id": user.id, "name": user.full_name} if user else None


def _unit(department):
    return {"id": department.id, "name": department.name} if department else None


def serialize(item, user=None, full=False) -> dict:
    result = {
        "id": item.id,
        "state": item.state,
        "state_label": str(item.state_label),
        "subject": item.subject,
        "sender": _person(item.sender),
        "sender_department": _unit(item.sender_department),
        "target_department": _unit(item.target_department),
        "target_user": _person(item.target_user),
        "assignee": _person(item.assignee),
        "deadline": item.deadline.isoformat(),
        "deadline_display": format_date(item.deadline),
        "overdue": services.is_overdue(item),
        "sent_at": format_datetime(item.sent_at),
        "dossier": {"id": item.dossier.id, "code": item.dossier.code,
                    "title": item.dossier.title} if item.dossier else None,
    }
    if full:
        result.update({
            "content": item.content,
            "result_note": item.result_note,
            "refusal_reason": item.refusal_reason,
            "closed_at": format_datetime(item.closed_at),
            "files": [{"id": f.id, "name": f.original_name, "size": f.size, "sha256": f.sha256,
                       "content_type": f.content_type, "page_count": f.page_count}
                      for f in item.files],
            "history": [{"at": format_datetime(e.at), "actor": _person(e.actor),
                         "action": e.action,
                         "action_label": str(workflow.EVENT_LABELS.get(e.action, e.action)),
                         "from_state": e.from_state, "to_state": e.to_state, "note": e.note}
                        for e in item.events],
            "actions": [{"action": action, "label": str(t.label), "note": t.note}
                        for action, t in workflow.available_actions(user, item)]
            if user is not None else [],
        })
    return result


class RequestFormApi(DomainApi):
    resource_name = "request"
    class_permission_name = "RequestForm"
    method_permission_name = {
        "get_list": "read", "get": "read", "download": "read", "inboxes": "read",
        "post": "write", "action": "write", "upload": "write",
    }
    openapi_spec_tag = "Phiếu yêu cầu"

    def _visible(self, pk):
        return get_visible(db.session, self.caller(), pk)

    @expose("/", methods=["GET"])
    @guarded("get")
    def get_list(self):
        """Visible request forms, newest first.
        ---
        get:
          parameters:
          - {in: query, name: q, schema: {type: string}, description: accent-insensitive search}
          - {in: query, name: box, schema: {type: string}, description: inbox key}
          - {in: query, name: state, schema: {type: string}, description: state key}
          - {in: query, name: after_id, schema: {type: integer}, description: keyset paging}
          - {in: query, name: page_size, schema: {type: integer}}
          responses:
            200: {description: request forms}
        """
        args, user = request.args, self.caller()
        try:
            query = services.inbox_query(user, args["box"]) if args.get("box") else \
                services.visible_query(user)
        except DomainError as error:
            return self.response_400(message=str(error))
        if args.get("q"):
            query = query.where(services.search_condition(args["q"]))
        if args.get("state"):
            if args["state"] not in STATES:
                return self.response_400(message=_("Trạng thái không hợp lệ."))
            query = query.where(RequestForm.state == args["state"])
        return self.page(query, RequestForm, serialize)

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        item = self._visible(pk)
        if item is None:
            return self.response_404()
        return self.response(200, result=serialize(item, self.caller(), full=True))

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Send a request form: JSON {subject, content, deadline, target ('d:<unit id>' or
        'u:<user id>') or target_department_id / target_user_id, dossier_id}; or the same
        fields as multipart form data with `files`."""
        user = self.caller()
        multipart = request.mimetype == "multipart/form-data"
        body = request.form.to_dict() if multipart else request.get_json(silent=False)
        uploads = [(f.read(), f.filename) for f in request.files.getlist("files")
                   if f.filename] if multipart else []
        try:
            item = services.create_request(db.session, user, data_from_body(body), uploads)
        except DomainError as error:
            return self._errors(error)
        return self.response(201, id=item.id, result=serialize(item, user, full=True))

    @expose("/<int:pk>/actions/<action>", methods=["POST"])
    @guarded("action")
    def action(self, pk, action):
        """accept {note}, refuse {note: reason}, complete {note: result}, withdraw {note},
        forward {assignee_id, note}."""
        item = self._visible(pk)
        if item is None or action not in services.ACTIONS:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            body = {}
        note = body.get("note") if isinstance(body.get("note"), str) else None
        user = self.caller()
        try:
            services.act(db.session, user, item, action, note=note,
                         assignee_id=body.get("assignee_id"))
        except DomainError as error:
            return self._errors(error)
        return self.response(200, result=serialize(item, user, full=True))

    @expose("/<int:pk>/files", methods=["POST"])
    @guarded("upload")
    def upload(self, pk):
        """Attach files (multipart, field `files`)."""
        item = self._visible(pk)
        if item is None:
            return self.response_404()
        uploads = [(f.read(), f.filename) for f in request.files.getlist("files") if f.filename]
        if not uploads:
            return self.response_400(message=_("Chưa chọn tệp."))
        user = self.caller()
        try:
            services.attach_files(db.session, user, item, uploads)
        except DomainError as error:
            return self._errors(error)
        return self.response(201, result=serialize(item, user, full=True)["files"])

    @expose("/<int:pk>/files/<int:file_id>", methods=["GET"])
    @guarded("download")
    def download(self, pk, file_id):
        item = self._visible(pk)
        record = next((f for f in item.files if f.id == file_id), None) if item else None
        if record is None:
            return self.response_404()
        return storage.send_stored(record, "request_form", item.id)

    @expose("/inboxes", methods=["GET"])
    @guarded("get")
    def inboxes(self):
        return self.response(200, result=[
            {"key": key, "label": str(label), "count": count}
            for key, label, count in services.inbox_counts(db.session, self.caller())])

