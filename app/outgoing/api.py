"""REST API /api/v1/draft/ and /api/v1/outgoing/: the same services, rules and visibility."""
from flask import request
from flask_appbuilder.api import expose
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.api import DomainApi, guarded, json_fields, uploads
from app.core.dates import parse_date
from app.core.downloads import send_download
from app.core.storage import send_stored
from app.extensions import db
from app.outgoing import services
from app.outgoing.access import (
    get_visible_draft, get_visible_outgoing, visible_draft, visible_outgoing,
)
from app.outgoing.models import SIGNING_METHODS, Draft, OutgoingDocument



def serialize_draft(draft, full=False):
    result = {
        "id": draft.id, "state": draft.state, "state_label": str(draft.state_label),
        "excerpt": draft.excerpt, "document_type": draft.document_type.name,
        "drafting_department_id": draft.drafting_department_id, "drafter_id": draft.drafter_id,
        "signer_id": draft.signer_id, "urgency_id": draft.urgency_id,
        "secrecy_id": draft.secrecy_id, "field_id": draft.field_id,
    }
    if full:
        result.update({
            "internal_unit_ids": [x.id for x in draft.internal_units],
            "internal_user_ids": [x.id for x in draft.internal_users],
            "external_agency_ids": [x.id for x in draft.external_agencies],
            "versions": [{"id": v.id, "number": v.number, "name": v.file.original_name,
                          "sha256": v.file.sha256} for v in draft.versions],
            "history": [{"action": e.action, "to_state": e.to_state, "note": e.note,
                         "actor": str(e.actor or "")} for e in draft.events],
            "missing_for_issuance": [str(p) for p in services.missing_for_issuance(draft)],
            "outgoing_id": draft.outgoing.id if draft.outgoing else None,
            # the office's check (Art. 7.1d)
            "checked": draft.is_checked,
            "checked_at": draft.checked_at.isoformat() if draft.checked_at else None,
            "checked_by": str(draft.checked_by or "") or None,
            "checked_version": draft.checked_version,
            "approved_under_delegation": draft.approved_delegation.acting_note()
            if draft.approved_delegation else None,
            # ký số by the signer (the last step of approval)
            "signed": serialize_signature(draft),
        })
    return result


def serialize_signature(draft):
    """The signer's digital signature of the draft, or None."""
    record = draft.signed_file
    if record is None:
        return None
    return {"version": draft.signed_version, "by_id": draft.signed_by_id,
            "by": str(draft.signed_by or "") or None,
            "at": draft.signed_at.isoformat() if draft.signed_at else None,
            "method": draft.signing_method,
            "method_label": str(SIGNING_METHODS.get(draft.signing_method, "")) or None,
            "current": services.is_signed(draft),
            "file": {"id": record.id, "name": record.original_name, "sha256": record.sha256,
                     "signature_state": record.signature_state}}


def _reply_of(user, draft):
    """The incoming document a draft answers, if the caller may see it."""
    from app.documents.access import get_visible as get_visible_incoming

    incoming = get_visible_incoming(db.session, user, draft.reply_to_id) \
        if draft.reply_to_id else None
    return {"id": incoming.id, "label": services.reply_label(incoming),
            "arrival_number": incoming.arrival_number, "arrival_year": incoming.arrival_year,
            "number_symbol": incoming.number_symbol} if incoming else None


def serialize_outgoing(document, full=False):
    result = {
        "id": document.id, "state": document.state, "number": document.number,
        "year": document.year, "symbol": document.symbol,
        "number_symbol": document.number_symbol,
        "issued_date": document.issued_date.isoformat(), "place": document.place,
        "excerpt": document.excerpt, "document_type": document.document_type.name,
        "signer": f"{document.signer_authority} {document.signer_position} "
                  f"{document.signer_name}".strip(),
        "signature": document.signature_block,
        "signed_under_delegation": document.delegation.acting_note()
        if document.delegation else None,
    }
    if full:
        result.update({
            "electronic": bool(document.electronic),
            "files": [{"id": f.file_id, "role": f.role, "name": f.file.original_name,
                       "sha256": f.file.sha256, "signature_state": f.file.signature_state}
                      for f in document.files],
            "recipients": [{"id": x.id, "kind": x.kind, "name": x.name, "status": x.status}
                           for x in document.recipients],
            "recall_reason": document.recall_reason, "replaces_id": document.replaces_id,
        })
    return result


class DraftApi(DomainApi):
    resource_name = "draft"
    class_permission_name = "Draft"
    method_permission_name = {"get_list": "read", "get": "read", "post": "write",
                              "put": "write", "action": "write", "upload": "write",
                              "issue": "write", "to_sign": "write", "sign": "write",
                              "signed": "write", "signed_copy": "read"}
    openapi_spec_tag = "Văn bản dự thảo"
    visible_record = staticmethod(get_visible_draft)

    @expose("/", methods=["GET"])
    @guarded("get")
    def get_list(self):
        """Visible drafts (box, state filters; keyset paging with after_id)."""
        user = self.caller()
        query = select(Draft).where(visible_draft(user))
        box = request.args.get("box")
        if box:
            condition = {k: c for k, _l, c in services.draft_boxes(user)}.get(box)
            if condition is None:
                return self.response_400(message=_("Không có danh sách «%(box)s».", box=box))
            query = query.where(condition)
        return self.page(self.filtered(query, state=Draft.state), Draft, serialize_draft)

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        draft = self.visible(pk)
        return self.response(200, result={**serialize_draft(draft, full=True),
                                          "reply_to": _reply_of(self.caller(), draft)})

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Create a draft (JSON; files with POST /<id>/versions)."""
        body = self.body()
        with self.refusals():
            draft = services.create_draft(db.session, self.caller(), dict(body))
        return self.response(201, id=draft.id, result=serialize_draft(draft, full=True))

    @expose("/<int:pk>", methods=["PUT"])
    @guarded("put")
    def put(self, pk):
        draft, body = self.visible(pk), self.body()
        with self.refusals():
            services.update_draft(db.session, self.caller(), draft, body)
        return self.response(200, result=serialize_draft(draft, full=True))

    @expose("/<int:pk>/versions", methods=["POST"])
    @guarded("upload")
    def upload(self, pk):
        """Upload a new version of the draft file (multipart field `files`)."""
        draft, files = self.visible(pk), uploads()
        with self.refusals():
            services.upload_version(db.session, self.caller(), draft, files,
                                    request.form.get("note"))
        return self.response(201, result=serialize_draft(draft, full=True)["versions"])

    @expose("/<int:pk>/actions/<action>", methods=["POST"])
    @guarded("action")
    def action(self, pk, action):
        """submit, forward, return {note}, approve, comment {note}; the office's check:
        check, office_return {note}."""
        draft = self.visible(pk)
        if action not in services.ACTIONS:
            return self.response_404()
        body = self.body(optional=True)
        with self.refusals():
            services.act(db.session, self.caller(), draft, action, body.get("note"))
        return self.response(200, result=serialize_draft(draft, full=True))

    @expose("/<int:pk>/to-sign", methods=["GET"])
    @guarded("to_sign")
    def to_sign(self, pk):
        """The latest version prepared for signing (PDF with the empty number and date
        fields), for the signer's own signing software."""
        draft = self.visible(pk)
        with self.refusals():
            data, name = services.prepared_for_signing(db.session, self.caller(), draft)
        return send_download(data=data, filename=name, mimetype="application/pdf",
                             object_type="draft", object_id=draft.id)

    @expose("/<int:pk>/sign", methods=["POST"])
    @guarded("sign")
    def sign(self, pk):
        """Sign and approve: JSON {"method": "remote"} (the remote signing service)."""
        draft, body = self.visible(pk), self.body(optional=True)
        if body.get("method", "remote") != "remote":
            return self.response_400(message=_(
                "Chỉ ký qua dịch vụ ký số từ xa ở đây (\"method\": \"remote\"); bản ký bằng "
                "thiết bị ký số gửi lên POST /api/v1/draft/<id>/signed."))
        with self.refusals():
            services.sign_remote(db.session, self.caller(), draft)
        return self.response(200, result=serialize_draft(draft, full=True))

    @expose("/<int:pk>/signed", methods=["POST"])
    @guarded("signed")
    def signed(self, pk):
        """The prepared PDF signed with the signer's own token (multipart field `file`)."""
        draft, upload = self.visible(pk), request.files.get("file")
        with self.refusals():
            services.accept_signed(db.session, self.caller(), draft,
                                   (upload.read(), upload.filename)
                                   if upload and upload.filename else None)
        return self.response(200, result=serialize_draft(draft, full=True))

    @expose("/<int:pk>/signed-copy", methods=["GET"])
    @guarded("signed_copy")
    def signed_copy(self, pk):
        """The PDF the signer signed."""
        draft = self.visible(pk)
        if draft.signed_file is None:
            return self.response_404()
        return send_stored(draft.signed_file, "draft", draft.id)

    @expose("/<int:pk>/issue", methods=["POST"])
    @guarded("issue")
    def issue(self, pk):
        """Issue an approved draft (clerk): multipart with register_id, issued_date, place,
        symbol?, copies?, archive_holder?, and the signed scan in `scan` (not needed when the
        signer signed the draft digitally: the agency's signature is added)."""
        draft, form = self.visible(pk), request.form
        with self.refusals():
            document = services.issue(
                db.session, self.caller(), draft, register_id=form.get("register_id", type=int),
                issued_date=parse_date(form.get("issued_date"), "issued_date"),
                place=form.get("place"), symbol=form.get("symbol"),
                copies=form.get("copies", type=int), archive_holder=form.get("archive_holder"),
                scan_uploads=uploads("scan"))
        return self.response(201, id=document.id, result=serialize_outgoing(document, True))


class OutgoingApi(DomainApi):
    resource_name = "outgoing"
    class_permission_name = "OutgoingDocument"
    method_permission_name = {"get_list": "read", "get": "read", "recall": "read",
                              "download": "read"}
    openapi_spec_tag = "Văn bản đi"
    visible_record = staticmethod(get_visible_outgoing)

    @expose("/", methods=["GET"])
    @guarded("get")
    def get_list(self):
        """Visible outgoing documents (q, box=received, keyset paging)."""
        user = self.caller()
        query = select(OutgoingDocument).where(visible_outgoing(user))
        if request.args.get("box") == "received":
            query = query.where(services.received_condition(user))
        query = self.filtered(query, search=services.search_condition)
        return self.page(query, OutgoingDocument, serialize_outgoing)

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        return self.response(200, result=serialize_outgoing(self.visible(pk), full=True))

    @expose("/<int:pk>/files/<int:file_id>", methods=["GET"])
    @guarded("download")
    def download(self, pk, file_id):
        document = self.visible(pk)
        link = self.found(next((f for f in document.files if f.file_id == file_id), None))
        return send_stored(link.file, "outgoing_document", document.id)

    @expose("/<int:pk>/recall", methods=["POST"])
    @guarded("recall")
    def recall(self, pk):
        document = self.visible(pk)
        with self.refusals():
            services.recall(db.session, self.caller(), document, json_fields().get("note"))
        return self.response(200, result=serialize_outgoing(document, full=True))
