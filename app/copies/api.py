"""REST API /api/v1/copies/: the electronic copies, with the same service, rules and visibility
as the web pages (app.copies.services, app.copies.access)."""
from flask import request
from flask_appbuilder.api import expose

from app.copies import services
from app.copies.access import get_visible
from app.copies.models import ElectronicCopy
from app.core.api import DomainApi, guarded
from app.core.errors import DomainError
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
        "made_by": {"id": copy.made_by.id, "name": copy.made_by.full_name}
        if copy.made_by else None,
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

    @expose("/", methods=["GET"])
    @guarded("get")
    def get_list(self):
        """The copies the caller may see, newest first.
        ---
        get:
          parameters:
          - {in: query, name: after_id, schema: {type: integer}, description: keyset paging}
          - {in: query, name: page_size, schema: {type: integer}}
          responses:
            200: {description: electronic copies}
        """
        return self.page(services.visible_query(self.caller()), ElectronicCopy, serialize)

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        copy = get_visible(db.session, self.caller(), pk)
        if copy is None:
            return self.response_404()
        return self.response(200, result=serialize(copy, full=True))

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Sao y điện tử: multipart with `original` (the original named: type, number and
        symbol, date, excerpt), `file` (the scan: PDF, JPEG, PNG, TIFF), `incoming_id`
        (optional), `recipients` (optional). 201 with the copy; 422 with the messages."""
        from app.copies.views import uploads_of

        multipart = request.mimetype == "multipart/form-data"
        form = request.form if multipart else {}
        uploads = uploads_of(request.files) if multipart else []
        try:
            copy = services.make_copy(
                db.session, self.caller(), original=form.get("original"), uploads=uploads,
                incoming_id=form.get("incoming_id"), recipients=form.get("recipients"))
        except DomainError as error:
            return self._errors(error)
        return self.response(201, id=copy.id, result=serialize(copy, full=True))

    @expose("/<int:pk>/files/<which>", methods=["GET"])
    @guarded("download")
    def download(self, pk, which):
        """The signed copy (`copy`) or the scan (`scan`), audited."""
        from app.copies.views import FILES, send_copy_file

        copy = get_visible(db.session, self.caller(), pk)
        if copy is None or which not in FILES:
            return self.response_404()

        return send_copy_file(copy, which)
