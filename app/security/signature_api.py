"""Chữ ký số over REST (/api/v1/signatures/) and the page's "Kiểm tra lại chữ ký số" button:
verify an uploaded PDF without keeping it, read the stored result of a file one may see, check
a stored file again. The rules are in app.security.signature_checks, which both call."""
import json

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import expose as api_expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from app.core.api import DomainApi, guarded
from app.core.errors import DomainError
from app.extensions import db
from app.security import signature_checks as checks

RESOURCE = "SignatureCheck"


def report_json(report) -> dict:
    """A pades.Report as the API answers it: the stored fields, the state's label, the reasons
    in Vietnamese and the one-line summary."""
    body = json.loads(report.to_json())
    body.update(state_label=str(report.state_label), reasons_text=[str(r) for r in
                                                                   report.reasons()],
                summary=str(report.summary()))
    return body


def file_json(record) -> dict:
    report = checks.report_of(record)
    view = checks.signature_view(record)
    return {"file_id": record.id, "name": record.original_name,
            "state": record.signature_state,
            "state_label": view.label if view is not None else None,
            "checked_at": record.signature_checked_at.isoformat()
            if record.signature_checked_at else None,
            "reasons": view.reasons if view is not None else [],
            "report": report_json(report) if report is not None else None}


def checked_pdf(data: bytes) -> bytes:
    """The upload to verify: a PDF within MAX_UPLOAD_BYTES, else DomainError (Vietnamese)."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise DomainError(_l("Tệp rỗng."))
    if len(data) > limit:
        size = f"{limit / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",")
        raise DomainError(_l("Tệp quá lớn: dung lượng tối đa là %(limit)s MB.", limit=size))
    if not data.startswith(b"%PDF-"):
        raise DomainError(_l("Chỉ kiểm tra chữ ký số của tệp PDF."))
    return data


class SignatureApi(DomainApi):
    resource_name = "signatures"
    class_permission_name = RESOURCE
    method_permission_name = {"verify": "read", "get_file": "read", "recheck": "write"}
    openapi_spec_tag = "Chữ ký số"

    @api_expose("/verify", methods=["POST"])
    @guarded("verify")
    def verify(self):
        """Verify the digital signatures of a PDF (multipart `file`); nothing is stored.
        ---
        post:
          responses:
            200: {description: 'the report: state, signatures, reasons'}
            400: {description: no file}
            422: {description: not a PDF, too large or unreadable (Vietnamese message)}
        """
        from app.security import signing

        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self.response_400(message=_("Chưa chọn tệp."))
        with self.refusals():
            report = signing.verify(db.session, checked_pdf(upload.read()))
        db.session.rollback()  # a GET-like check: nothing is written
        return self.response(200, result=report_json(report))

    @api_expose("/files/<int:file_id>", methods=["GET"])
    @guarded("get_file")
    def get_file(self, file_id):
        """The stored signature check of a file of a document the caller may see."""
        record, _kind, _owner = self.found(checks.visible_file(db.session, self.caller(), file_id))
        return self.response(200, result=file_json(record))

    @api_expose("/files/<int:file_id>/recheck", methods=["POST"])
    @guarded("recheck")
    def recheck(self, file_id):
        """Check a stored PDF's signatures again now (e.g. after a trust anchor was added)."""
        try:
            record, _kind, _owner = checks.recheck_file(db.session, self.caller(), file_id)
        except checks.NotVisible:
            return self.response_404()
        except DomainError as error:
            return self._errors(error)
        return self.response(200, result=file_json(record))


class SignatureCheckView(BaseView):
    route_base = "/signatures"
    class_permission_name = RESOURCE
    method_permission_name = {"recheck": "write"}

    @expose("/files/<int:file_id>/recheck", methods=["POST"])
    @has_access
    def recheck(self, file_id):
        if not FlaskForm().validate():
            abort(400)
        try:
            record, kind, owner = checks.recheck_file(db.session, g.user, file_id)
        except checks.NotVisible:
            abort(404)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for("IncomingView.list"))
        flash(_("Đã kiểm tra lại chữ ký số của «%(name)s»: %(state)s.",
                name=record.original_name, state=checks.state_label(record.signature_state)),
              "success" if record.signature_state == checks.VALID else "warning")
        return redirect(checks.FILE_OWNERS[kind].page(owner))


def register_views(appbuilder):
    appbuilder.add_api(SignatureApi)
    appbuilder.add_view_no_menu(SignatureCheckView)
