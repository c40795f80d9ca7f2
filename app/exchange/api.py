"""REST API /api/v1/exchange/: the partners' inbox and the clerk's queue.

`POST /inbox` is for partner systems only: `Authorization: Bearer <token>`, the secret the
partner was given when it was added to the partner catalog (only its sha256 is stored here).
No token, an unknown one or a deactivated partner: 401. The body is the edXML package or
status. Answers: 202 accepted (processed by the worker), 200 status applied, 409 already
received (nothing stored again), 422 refused with every reason in `problems`, 413 too big."""
from flask import current_app, request
from flask_appbuilder.api import expose, safe
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.api import DomainApi, guarded, json_fields
from app.core.errors import DomainError
from app.core.downloads import send_download
from app.core.timefmt import format_datetime
from app.documents import services as incoming_services
from app.documents.api import data_from_json
from app.exchange import edxml, services
from app.exchange.models import ExchangeInbound, ExchangeOutbox, ExchangeStatus
from app.extensions import db
from app.outgoing.access import visible_outgoing
from app.outgoing.models import OutgoingDocument


def serialize_inbound(inbound) -> dict:
    return {"id": inbound.id, "state": inbound.state, "state_label": str(inbound.state_label),
            "document_id": inbound.document_key, "business_type": inbound.business_type,
            "from": {"organ_id": inbound.from_organ_id, "name": inbound.from_name},
            "subject": inbound.subject, "source": inbound.source,
            "incoming_id": inbound.incoming_id, "reason": inbound.reason,
            "last_status": inbound.last_status,
            "received_at": format_datetime(inbound.received_at),
            "warnings": inbound.warning_list, "previous_id": inbound.previous_id,
            "sequence": inbound.sequence, "repeats": inbound.repeats,
            "last_repeat_at": format_datetime(inbound.last_repeat_at),
            "signature": {"state": inbound.signature_state,
                          "label": str(inbound.signature_label),
                          "note": inbound.signature_note},
            "error": inbound.error, "platform_id": inbound.platform_id}


def serialize_outbox(row) -> dict:
    return {"id": row.id, "kind": row.kind, "document_id": row.document_key,
            "business_type": row.business_type, "status_code": row.status_code,
            "partner": str(row.partner), "outgoing_id": row.outgoing_id,
            "state": row.state, "state_label": str(row.state_label), "attempts": row.attempts,
            "last_error": row.last_error, "remote_status": row.remote_status,
            "remote_label": str(row.remote_label), "remote_note": row.remote_note,
            "sent_at": format_datetime(row.sent_at)}


class ExchangeApi(DomainApi):
    resource_name = "exchange"
    class_permission_name = "Exchange"
    method_permission_name = {"queue": "read", "outbox": "read", "package": "read",
                              "register": "write", "give_back": "write", "upload": "write",
                              "resend": "write"}
    openapi_spec_tag = "Liên thông văn bản"

    @expose("/inbox", methods=["POST"])
    @safe
    def inbox(self):
        """A partner's package or status (edXML body, partner bearer token).
        ---
        post:
          requestBody: {content: {application/xml: {schema: {type: string}}}}
          responses:
            202: {description: package accepted}
            401: {description: not an authenticated partner}
            409: {description: already received}
            422: {description: refused, with the reasons}
        """
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        partner = services.partner_for_token(db.session, token)
        if partner is None:
            return self.response_401()
        limit = current_app.config.get("EXCHANGE_MAX_BYTES",
                                       4 * current_app.config["MAX_UPLOAD_BYTES"])
        if (request.content_length or 0) > limit:
            return self.response(413, message=_("Gói tin quá lớn."))
        return self._receive(lambda: services.receive(db.session, request.get_data(),
                                                      partner=partner))

    def _receive(self, call, created=202):
        """Run a receiving call; refusals answer with their reasons, nothing stored."""
        try:
            result = call()
        except edxml.PackageError as error:
            db.session.rollback()
            return self.response(422, message=_("Gói tin không hợp lệ."),
                                 problems=error.problems)
        except services.Duplicate as error:
            db.session.rollback()
            return self.response(409, message=str(error))
        except DomainError as error:
            return self._errors(error)
        if isinstance(result, ExchangeStatus):
            return self.response(200, message=_("Đã ghi nhận trạng thái."),
                                 status_code=result.code)
        return self.response(created, message=_("Đã nhận gói tin."), id=result.id,
                             document_id=result.document_key, result=serialize_inbound(result))

    @expose("/queue", methods=["GET"])
    @guarded("queue")
    def queue(self):
        """Packages received (state: queued = Chờ vào sổ, registered, returned, applied)."""
        query = self.filtered(select(ExchangeInbound), state=ExchangeInbound.state)
        return self.page(query, ExchangeInbound, serialize_inbound)

    def _row(self, model, pk):
        """The row `pk` of `model`, else the request is answered 404."""
        return self.found(db.session.get(model, pk) if 0 < pk < 2**31 else None)

    @expose("/queue/<int:pk>/register", methods=["POST"])
    @guarded("register")
    def register(self, pk):
        """Vào sổ a queued package: {"register_id": …, "fields": {corrections, as PUT
        /api/v1/incoming/<id> takes them}, "confirm_duplicate": bool} — the corrections and
        the number in one transaction (status 03 goes back)."""
        inbound = self._row(ExchangeInbound, pk)
        if inbound.incoming is None:
            return self.response_404()
        body = self.body()
        with self.refusals():
            if not isinstance(body.get("register_id"), int):
                raise incoming_services.FormErrors({"register_id": [_("Chọn sổ văn bản đến.")]})
            fields = body.get("fields")
            document = incoming_services.register_pending(
                db.session, self.caller(), inbound.incoming, body["register_id"],
                data_from_json(fields) if fields is not None else None,
                confirm_duplicate=fields is None or bool(body.get("confirm_duplicate")))
        return self.response(200, id=document.id, arrival_number=document.arrival_number)

    @expose("/queue/<int:pk>/return", methods=["POST"])
    @guarded("give_back")
    def give_back(self, pk):
        """Trả lại a queued package: {"reason": …} (status 02 goes back)."""
        inbound = self._row(ExchangeInbound, pk)
        with self.refusals():
            services.return_inbound(db.session, self.caller(), inbound,
                                    json_fields().get("reason"))
        return self.response(200, result=serialize_inbound(inbound))

    @expose("/import", methods=["POST"])
    @guarded("upload")
    def upload(self):
        """An .edxml file received by other means (XML body) into the registration queue."""
        return self._receive(lambda: services.import_file(db.session, self.caller(),
                                                          request.get_data()), created=201)

    @expose("/outbox", methods=["GET"])
    @guarded("outbox")
    def outbox(self):
        """Messages sent and their per-recipient status (?outgoing_id=, ?state=)."""
        query = select(ExchangeOutbox)
        if request.args.get("outgoing_id", type=int):
            query = query.where(ExchangeOutbox.outgoing_id == request.args.get(
                "outgoing_id", type=int))
        query = self.filtered(query, state=ExchangeOutbox.state)
        return self.page(query, ExchangeOutbox, serialize_outbox)

    @expose("/outbox/<int:pk>/retry", methods=["POST"])
    @guarded("resend")
    def resend(self, pk):
        row = self._row(ExchangeOutbox, pk)
        with self.refusals():
            services.retry(db.session, self.caller(), row)
        return self.response(200, result=serialize_outbox(row))

    @expose("/outgoing/<int:pk>/edxml", methods=["GET"])
    @guarded("package")
    def package(self, pk):
        """An issued document as an .edxml file."""
        document = self.found(db.session.scalar(select(OutgoingDocument).where(
            OutgoingDocument.id == pk, visible_outgoing(self.caller())))
            if 0 < pk < 2**31 else None)
        with self.refusals():
            data = services.export_package(document)
        return send_download(data=data, mimetype="application/xml",
                             filename=f"{document.number_symbol.replace('/', '-')}.edxml",
                             object_type="outgoing_document", object_id=document.id)
