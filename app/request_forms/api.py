"""REST API /api/v1/request/: the same services, rules and visibility as the web pages."""

from flask import request
from flask_appbuilder.api import expose
from flask_babel import gettext as _

from app.core import storage
from app.core.api import (
    BOX, NOT_AN_OBJECT, SEARCH, DomainApi, actions, guarded, history, json_fields, listing, person,
    text_field, uploads,
)
from app.core.dates import parse_date
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


def _unit(department):
    return {"id": department.id, "name": department.name} if department else None


def serialize(item, user=None, full=False) -> dict:
    result = {
        "id": item.id,
        "state": item.state,
        "state_label": str(item.state_label),
        "subject": item.subject,
        "sender": person(item.sender),
        "sender_department": _unit(item.sender_department),
        "target_department": _unit(item.target_department),
        "target_user": person(item.target_user),
        "assignee": person(item.assignee),
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
            "history": history(item.events, workflow.EVENT_LABELS),
            "actions": actions(workflow.available_actions(user, item))
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
    visible_record = staticmethod(get_visible)

    @expose("/", methods=["GET"])
    @guarded("get")
    @listing("Visible request forms, newest first.", SEARCH, BOX,
             "{in: query, name: state, schema: {type: string}, description: state key}",
             returns="request forms")
    def get_list(self):
        args, user = request.args, self.caller()
        with self.bad_filters():
            query = services.inbox_query(user, args["box"]) if args.get("box") else \
                services.visible_query(user)
        query = self.filtered(query, search=services.search_condition, state=RequestForm.state,
                              states=STATES)
        return self.page(query, RequestForm, serialize)

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        return self.response(200, result=serialize(self.visible(pk), self.caller(), full=True))

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Send a request form: JSON {subject, content, deadline, target ('d:<unit id>' or
        'u:<user id>') or target_department_id / target_user_id, dossier_id}; or the same
        fields as multipart form data with `files`."""
        user = self.caller()
        multipart = request.mimetype == "multipart/form-data"
        body = request.form.to_dict() if multipart else request.get_json(silent=False)
        files = uploads() if multipart else []
        with self.refusals():
            item = services.create_request(db.session, user, data_from_body(body), files)
        return self.response(201, id=item.id, result=serialize(item, user, full=True))

    @expose("/<int:pk>/actions/<action>", methods=["POST"])
    @guarded("action")
    def action(self, pk, action):
        """accept {note}, refuse {note: reason}, complete {note: result}, withdraw {note},
        forward {assignee_id, note}."""
        item = self.visible(pk)
        if action not in services.ACTIONS:
            return self.response_404()
        body, user = json_fields(), self.caller()
        with self.refusals():
            services.act(db.session, user, item, action, note=text_field(body),
                         assignee_id=body.get("assignee_id"))
        return self.response(200, result=serialize(item, user, full=True))

    @expose("/<int:pk>/files", methods=["POST"])
    @guarded("upload")
    def upload(self, pk):
        """Attach files (multipart, field `files`)."""
        item = self.visible(pk)
        self.attach(item, services.attach_files)
        return self.response(201, result=serialize(item, self.caller(), full=True)["files"])

    @expose("/<int:pk>/files/<int:file_id>", methods=["GET"])
    @guarded("download")
    def download(self, pk, file_id):
        item = self.visible(pk)
        return storage.send_stored(self.file_of(item, file_id), "request_form", item.id)

    @expose("/inboxes", methods=["GET"])
    @guarded("get")
    def inboxes(self):
        return self.boxes(services.inbox_counts(db.session, self.caller()))

