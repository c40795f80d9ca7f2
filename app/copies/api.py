"""REST API /api/v1/copies/: the electronic copies, with the same service, rules and visibility
as the web pages (app.copies.services, app.copies.access)."""
from flask import request
from flask_appbuilder.api import expose

from app.copies import services
from app.copies.access import get_visible
from app.copies.models import ElectronicCopy
from app.core.api import DomainApi, guarded, listing, person, uploads
from app.core.timefmt import format_datetime
from app.extensions import db


def _file(record, url):
    return {"id": record.id, "name": record.original_name, "size": record.size,
            "sha256": record.sha256, "content_type": record.content_type,
            "page_count": record.page_count, "signature_state": record.signature_state,
            "url": url} if record is not None else None


def serialize(copy, full=False) -> dict:
    result = {
        "id": copy.id,
        "year": copy.year,
        "number": copy.number,
        "number_symbol": copy.number_symbol,
        "form": copy.form,
        "original": copy.original,
        "incoming_id": copy.incoming_id,
        "made_by": person(copy.made_by),
        "made_at": copy.made_at.isoformat() + "Z",
        "made_at_display": format_datetime(copy.made_at),
    }
    if full:
        base = f"/api/v1/copies/{copy.id}"
        result.update({
            "recipients": copy.recipients,
            "copy_file": _file(copy.copy_file, f"{base}/files/copy"),
            "source_file": _file(copy.source_file, f"{base}/files/scan"),
        })
    return result


class ElectronicCopyApi(DomainApi):
    resource_name = "copies"
    class_permission_name = "ElectronicCopy"
    method_permission_name = {"get_list": "read", "get": "read", "download": "read",
                              "post": "write"}
    openapi_spec_tag = "Sao y điện tử"
    visible_record = staticmethod(get_visible)

    @expose("/", methods=["GET"])
    @guarded("get")
    @listing("The copies the caller may see, newest first.", returns="electronic copies")
    def get_list(self):
        return self.page(services.visible_query(self.caller()), ElectronicCopy, serialize)

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        return self.response(200, result=serialize(self.visible(pk), full=True))

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Sao y điện tử: multipart with `original` (the original named: type, number and
        symbol, date, excerpt), `file` (the scan: PDF, JPEG, PNG, TIFF), `incoming_id`
        (optional), `recipients` (optional). 201 with the copy; 422 with the messages."""
        multipart = request.mimetype == "multipart/form-data"
        form = request.form if multipart else {}
        with self.refusals():
            copy = services.make_copy(
                db.session, self.caller(), original=form.get("original"),
                uploads=uploads("file") if multipart else [],
                incoming_id=form.get("incoming_id"), recipients=form.get("recipients"))
        return self.response(201, id=copy.id, result=serialize(copy, full=True))

    @expose("/<int:pk>/files/<which>", methods=["GET"])
    @guarded("download")
    def download(self, pk, which):
        """The signed copy (`copy`) or the scan (`scan`), audited."""
        from app.copies.views import FILES, send_copy_file

        copy = self.visible(pk)
        if which not in FILES:
            return self.response_404()
        return send_copy_file(copy, which)
