"""REST API /api/v1/dossier/ (and /api/v1/dossier_plan/): the same services, rules and
visibility as the web pages."""

from flask import request
from flask_appbuilder.api import expose
from flask_babel import gettext as _

from app.core.api import (
    NOT_AN_OBJECT, SEARCH, DomainApi, guarded, json_fields, json_object, listing,
)
from app.core.dates import parse_date
from app.core.downloads import send_download
from app.core.timefmt import format_date, format_datetime
from app.core.validation import api_validator
from app.core.views import EofficeApi, VietnameseInterface
from app.dossiers import services, workflow
from app.dossiers.access import get_visible
from app.dossiers.models import Dossier, DossierPlanItem
from app.dossiers.pdf import dossier_pdf, pdf_filename
from app.extensions import db

DATE_KEYS = ("start_date", "end_date", "deadline")
ID_KEYS = ("plan_item_id", "field_id", "retention_id", "owner_id")


def data_from_json(body) -> dict:
    """JSON body → the service's data dict (dates ISO or dd/mm/yyyy)."""
    if not isinstance(body, dict):
        raise services.FormErrors({"body": [NOT_AN_OBJECT]})
    data = {key: body[key] for key in services.FIELDS if key in body}
    errors = {}
    for key in DATE_KEYS:
        if key in data:
            try:
                data[key] = parse_date(data[key], key)
            except services.FormErrors as error:
                errors.update(error.errors)
    for key in ID_KEYS:
        if data.get(key) not in (None, "") and (not isinstance(data[key], int)
                                                or isinstance(data[key], bool)):
            errors[key] = [_("Phải là số nguyên.")]
    for key in ("code", "abbreviation", "title", "notes"):
        if data.get(key) is not None and not isinstance(data[key], str):
            errors[key] = [_("Phải là chuỗi ký tự.")]
    if errors:
        raise services.FormErrors(errors)
    return data


def _name(obj):
    return {"id": obj.id, "name": str(obj)} if obj is not None else None


def serialize(dossier, rows=None, item_count=None) -> dict:
    result = {
        "id": dossier.id,
        "year": dossier.year,
        "code": dossier.code,
        "title": dossier.title,
        "status": dossier.status,
        "status_label": str(dossier.status_label),
        "overdue": services.is_overdue(dossier),
        "field": _name(dossier.field),
        "owner": {"id": dossier.owner_id, "name": dossier.owner.full_name},
        "department": _name(dossier.department),
        "retention": _name(dossier.retention),
        "plan_item_id": dossier.plan_item_id,
        "start_date": dossier.start_date.isoformat(),
        "end_date": dossier.end_date.isoformat() if dossier.end_date else None,
        "deadline": dossier.deadline.isoformat() if dossier.deadline else None,
        "deadline_display": format_date(dossier.deadline),
        "item_count": len(dossier.items) if item_count is None else item_count,
    }
    if rows is not None:
        result.update({
            "notes": dossier.notes,
            "items": [{"id": row.item.id, "position": row.item.position, "number": row.number,
                       "kind": row.kind, "document_id": row.item.document_id,
                       "number_symbol": row.number_symbol,
                       "date": row.date.isoformat() if row.date else None,
                       "type_excerpt": str(row.type_excerpt), "author": row.author,
                       "sheets": row.sheets, "notes": row.notes, "visible": row.visible,
                       "page_count": row.page_count} for row in rows],
            "history": [{"at": format_datetime(e.at), "actor": str(e.actor or ""),
                         "action": e.action, "to_status": e.to_status, "note": e.note}
                        for e in services.history(db.session, dossier)],  # actors at once
        })
    return result


class DossierApi(DomainApi):
    resource_name = "dossier"
    class_permission_name = "Dossier"
    method_permission_name = {
        "get_list": "read", "get": "read", "pdf": "read",
        "post": "write", "put": "write", "link": "write", "unlink": "write",
        "update_item": "write", "action": "write",
    }
    openapi_spec_tag = "Hồ sơ công việc"
    visible_record = staticmethod(get_visible)

    def _full(self, dossier):
        return serialize(dossier, services.toc_rows(db.session, self.caller(), dossier))

    @expose("/", methods=["GET"])
    @guarded("get_list")
    @listing("Visible dossiers, newest first.", SEARCH,
             "{in: query, name: status, schema: {type: string}, "
             "description: \"open, closed, handed_over, overdue or mine\"}",
             returns="dossiers")
    def get_list(self):
        args = request.args
        user = self.caller()
        query = services.visible_query(user)
        if args.get("status"):
            with self.bad_filters():
                query = query.where(services.box_condition(user, args["status"]))
        query = self.filtered(query, search=services.search_condition)
        counts = {}  # the page's item counts in one statement, as the grid has them
        return self.page(
            query, Dossier, lambda dossier: serialize(dossier, item_count=counts[dossier.id]),
            prepare=lambda rows: counts.update(
                services.item_counts(db.session, [row.id for row in rows])))

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        """A dossier with its table of contents and history."""
        return self.response(200, result=self._full(self.visible(pk)))

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Open a dossier: {plan_item_id} or {code | abbreviation, title, retention_id,
        start_date, field_id, owner_id, deadline, notes}."""
        with self.refusals():
            dossier = services.open_dossier(db.session, self.caller(),
                                            data_from_json(json_object()))
        return self.response(201, id=dossier.id, result=self._full(dossier))

    @expose("/<int:pk>", methods=["PUT"])
    @guarded("put")
    def put(self, pk):
        """Correct an open dossier's details (only the keys given change)."""
        dossier = self.visible(pk)
        with self.refusals():
            services.update_dossier(db.session, self.caller(), dossier,
                                    data_from_json(json_object()))
        return self.response(200, result=self._full(dossier))

    @expose("/<int:pk>/items", methods=["POST"])
    @guarded("link")
    def link(self, pk):
        """File a document: {kind: incoming|outgoing|draft, document_id, sheets, notes}."""
        dossier, body = self.visible(pk), json_fields()
        with self.refusals():
            item = services.link_document(db.session, self.caller(), dossier, body.get("kind"),
                                          body.get("document_id"), body.get("sheets"),
                                          body.get("notes"))
        return self.response(201, id=item.id, result=self._full(dossier))

    @expose("/<int:pk>/items/<int:item_id>", methods=["PUT"])
    @guarded("update_item")
    def update_item(self, pk, item_id):
        """Sheet numbers, notes, position of a filed document (only the keys given change)."""
        dossier, body = self.visible(pk), json_fields()
        keep = [k for k in ("sheets", "notes") if k not in body]
        with self.refusals():
            services.update_item(db.session, self.caller(), dossier, item_id,
                                 sheets=body.get("sheets"), notes=body.get("notes"),
                                 position=body.get("position"), keep=keep)
        return self.response(200, result=self._full(dossier))

    @expose("/<int:pk>/items/<int:item_id>", methods=["DELETE"])
    @guarded("unlink")
    def unlink(self, pk, item_id):
        dossier = self.visible(pk)
        with self.refusals():
            services.unlink_document(db.session, self.caller(), dossier, item_id)
        return self.response(200, result=self._full(dossier))

    @expose("/<int:pk>/actions/<action>", methods=["POST"])
    @guarded("action")
    def action(self, pk, action):
        """close, handover, reopen {note}."""
        dossier = self.visible(pk)
        if action not in {a for _s, a in workflow.TRANSITIONS}:
            return self.response_404()
        with self.refusals():
            services.apply_action(db.session, self.caller(), dossier, action,
                                  json_fields().get("note"))
        return self.response(200, result=self._full(dossier))

    @expose("/<int:pk>/pdf", methods=["GET"])
    @guarded("pdf")
    def pdf(self, pk):
        """The dossier as one PDF: contents page(s), then the documents in order."""
        dossier = self.visible(pk)
        data, _contents_pages = dossier_pdf(db.session, self.caller(), dossier)
        return send_download(data=data, filename=pdf_filename(dossier),
                             mimetype="application/pdf", object_type="dossier",
                             object_id=dossier.id)




PLAN_COLUMNS = ["year", "code", "heading", "title", "retention", "creator_department", "notes"]


class DossierPlanApi(EofficeApi):
    """Danh mục hồ sơ: read by everyone who keeps dossiers, written by the office."""
    resource_name = "dossier_plan"
    datamodel = VietnameseInterface(DossierPlanItem)
    class_permission_name = "DossierPlan"
    list_columns = show_columns = ["id", "year", "code", "heading", "title", "retention.id",
                                   "retention.name", "creator_department.id",
                                   "creator_department.name", "notes"]
    add_columns = edit_columns = PLAN_COLUMNS
    order_columns = ["year", "code", "title"]
    validators_columns = {"code": api_validator(services.check_code),
                          "title": api_validator(services.check_plan_title)}
    openapi_spec_tag = "Danh mục hồ sơ"

    def pre_add(self, item):
        services.prepare_plan_item(item)
        super().pre_add(item)

    def pre_update(self, item):
        services.prepare_plan_item(item)
        super().pre_update(item)
