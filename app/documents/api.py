"""REST API /api/v1/incoming/: the same services, rules and visibility as the web pages."""

from flask import request
from flask_appbuilder.api import expose
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, object_session, selectinload

from app.core import storage
from app.core.api import (
    BOX, NOT_AN_OBJECT, SEARCH, STATE, DomainApi, guarded, listing, uploads,
)
from app.core.dates import parse_date, parse_datetime
from app.core.downloads import file_missing, send_download
from app.core.numbers import int_or_none
from app.core.timefmt import format_date, format_datetime, to_local
from app.documents import registers, replies, services
from app.documents.access import get_visible
from app.documents.models import DocumentFile, IncomingDocument
from app.extensions import db
from app.security.signature_checks import signature_condition


def _moment(at, entered_at, reason) -> dict:
    """A routing time as the API gives it: the real time, and for a backfill when it was typed
    in and why (Vietnam time)."""
    return {"at": to_local(at).strftime("%Y-%m-%dT%H:%M") if at else None,
            "at_display": format_datetime(at),
            "entered_at": to_local(entered_at).strftime("%Y-%m-%dT%H:%M") if entered_at
            else None,
            "backfill_reason": reason}


INTEGER_FIELDS = ("register_id", "agency_id", "document_type_id", "field_id", "urgency_id",
                  "secrecy_id", "page_count")


def data_from_json(body: dict) -> dict:
    """JSON body → the service's data dict (dates ISO or dd/mm/yyyy, Vietnam time)."""
    if not isinstance(body, dict):
        raise services.FormErrors({"body": [NOT_AN_OBJECT]})
    data = {key: body.get(key) for key in services.FIELDS + ["new_agency"] if key in body}
    if "arrival_at" in body:
        data["arrival_at"] = parse_datetime(body.get("arrival_at"), "arrival_at")
    for key in ("document_date", "deadline"):
        if key in body:
            data[key] = parse_date(body.get(key), key)
    for key in INTEGER_FIELDS:
        if data.get(key) not in (None, "") and not isinstance(data[key], int):
            raise services.FormErrors({key: [_("Phải là số nguyên.")]})
    return data


def _form_body(form) -> dict:
    """A multipart form's text fields as the JSON body would carry them: whole numbers as
    integers (anything else is left as typed, and refused by data_from_json)."""
    body = {key: form.get(key) for key in form}
    for key in INTEGER_FIELDS:
        number = int_or_none(body[key]) if key in body else None
        if number is not None:
            body[key] = number
    return body


def _flag(value) -> bool:
    """A flag from JSON (true) or a form ("1", "true", "on")."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


# What serialize(full=True) reads of a document, loaded with it: four statements, not one per
# related record (a registration's answer read eight, after its commit).
SERIALIZED = (joinedload(IncomingDocument.agency), joinedload(IncomingDocument.document_type),
              joinedload(IncomingDocument.urgency), joinedload(IncomingDocument.secrecy),
              joinedload(IncomingDocument.field), joinedload(IncomingDocument.submitted_to),
              selectinload(IncomingDocument.files), selectinload(IncomingDocument.assignments),
              selectinload(IncomingDocument.events))


def serialize(document, full=False, caller=None) -> dict:
    """The document as the API gives it; `full` with its routing, and the replies `caller`
    may see."""
    result = {
        "id": document.id,
        "state": document.state,
        "state_label": str(document.state_label),
        "register_id": document.register_id,
        "arrival_number": document.arrival_number,
        "arrival_year": document.arrival_year,
        "arrival_at": to_local(document.arrival_at).strftime("%Y-%m-%dT%H:%M"),  # Vietnam time
        "arrival_at_display": format_datetime(document.arrival_at),
        "channel": document.channel,
        "agency": {"id": document.agency_id, "name": document.agency.name},
        "number_symbol": document.number_symbol,
        "document_date": document.document_date.isoformat(),
        "document_type": {"id": document.document_type_id,
                          "name": document.document_type.name},
        "excerpt": document.excerpt,
        "urgency": {"id": document.urgency_id, "name": document.urgency.name,
                    "urgent": document.is_urgent},
        "secrecy": {"id": document.secrecy_id, "name": document.secrecy.name},
        "field": {"id": document.field_id, "name": document.field.name}
        if document.field else None,
        "deadline": document.deadline.isoformat() if document.deadline else None,
        "deadline_display": format_date(document.deadline),
        "overdue": services.is_overdue(document),
        # False until a file arrives ("Chưa có tệp"), e.g. between the two steps of the API.
        "has_files": bool(document.files) if full else services.has_files(document),
    }
    if full:
        result.update({
            "signer_name": document.signer_name, "signer_position": document.signer_position,
            "page_count": document.page_count, "recipients": document.recipients,
            "notes": document.notes, "direction": document.direction,
            "submitted_to": {"id": document.submitted_to_id,
                             "name": document.submitted_to.full_name}
            if document.submitted_to else None,
            "result_note": document.result_note, "reply_reference": document.reply_reference,
            "files": [{"id": f.id, "name": f.original_name, "size": f.size, "sha256": f.sha256,
                       "content_type": f.content_type, "page_count": f.page_count,
                       "ocr_state": f.ocr_state}
                      for f in document.files],
            "assignments": [{"id": a.id, "parent_id": a.parent_id, "role": a.role,
                             "department_id": a.department_id, "user_id": a.user_id,
                             "assignee": str(a.assignee), "state": a.state,
                             "instruction": a.instruction,
                             "deadline": a.deadline.isoformat() if a.deadline else None,
                             "progress_note": a.progress_note, "result_note": a.result_note,
                             "assigned": _moment(a.assigned_at, a.entered_at,
                                                 a.backfill_reason),
                             "completed": _moment(a.completed_at, a.completed_entered_at,
                                                  a.completed_backfill_reason)
                             if a.completed_at else None}
                            for a in document.assignments],
            "history": [{"at": format_datetime(e.at), "actor": str(e.actor or ""),
                         "action": e.action, "to_state": e.to_state, "note": e.note,
                         "entered_at": format_datetime(e.entered_at) or None,
                         "backfill_reason": e.backfill_reason}
                        for e in document.events],
            "replies": [{"kind": r.kind, "id": r.id, "label": r.label,
                         "state_label": r.state_label, "url": r.url,
                         "number_symbol": r.number_symbol}
                        for r in replies.replies_of(object_session(document), caller, document)]
            if caller is not None else [],
        })
    return result


def _rows(body, key):
    rows = body.get(key)
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise services.FormErrors({key: [_("Phải là danh sách các đối tượng.")]})
    return rows


def _lines(body) -> list:
    """The direction's rows of a JSON body: [{role, department_id | user_id, deadline,
    instruction}]."""
    lines = []
    for row in _rows(body, "lines"):
        for key in ("department_id", "user_id"):
            if row.get(key) is not None and (isinstance(row[key], bool) or
                                             not isinstance(row[key], int)):
                raise services.FormErrors({"lines": [_("Phải là số nguyên.")]})
        lines.append({**row, "deadline": parse_date(row.get("deadline"), "lines")})
    return lines


def _officers(body) -> list:
    """A unit leader's hand-out in a JSON body: [{user_id, lead, deadline, instruction}]."""
    officers = []
    for row in _rows(body, "officers"):
        if isinstance(row.get("user_id"), bool) or not isinstance(row.get("user_id"), int):
            raise services.FormErrors({"officers": [_("Phải là số nguyên.")]})
        officers.append({"user_id": row["user_id"], "lead": row.get("lead") is True,
                         "deadline": parse_date(row.get("deadline"), "officers"),
                         "instruction": row.get("instruction")})
    return officers


class IncomingApi(DomainApi):
    resource_name = "incoming"
    class_permission_name = "IncomingDocument"
    method_permission_name = {
        "get_list": "read", "get": "read", "download": "read", "stamped": "read",
        "action": "read", "bulk": "read", "inboxes": "read", "post": "write", "put": "write",
        "upload": "write", "file_text": "read", "propose": "write",
    }
    openapi_spec_tag = "Văn bản đến"
    visible_record = staticmethod(get_visible)

    @expose("/", methods=["GET"])
    @guarded("get")
    @listing("Visible incoming documents, newest first.", SEARCH, BOX, STATE,
             "{in: query, name: signature, schema: {type: string, enum: [valid, invalid, "
             "unknown, unsigned, unchecked]}, description: digital signatures of the files}",
             returns="documents")
    def get_list(self):
        args = request.args
        with self.bad_filters():
            query = services.inbox_query(self.caller(), args["box"]) if args.get("box") else \
                services.visible_query(self.caller())
        query = self.filtered(query, search=services.search_condition,
                              state=IncomingDocument.state)
        if args.get("signature"):
            signed = signature_condition(args["signature"],
                                         DocumentFile.incoming_id == IncomingDocument.id)
            if signed is None:
                return self.response_400(message=_(
                    "Giá trị lọc chữ ký số không hợp lệ (valid, invalid, unknown, unsigned, "
                    "unchecked)."))
            query = query.where(signed)
        return self.page(query, IncomingDocument, serialize)

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        user = self.caller()
        return self.response(200, result=serialize(
            self.found(get_visible(db.session, user, pk, SERIALIZED)), full=True, caller=user))

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Register an incoming document, with its files in the same request if wished.
        ---
        post:
          description: >-
            Vào sổ văn bản đến, in one transaction through the same service as the web form
            (validation, the next arrival number, the files). Either a JSON body, or
            multipart/form-data with the same fields as text plus one or more `files` (PDF or
            images): the document and its files are saved together or not at all. A document
            registered without files shows `has_files: false` ("Chưa có tệp") until files are
            attached (POST /{pk}/files). Dates: yyyy-mm-dd or dd/mm/yyyy, arrival
            yyyy-mm-ddTHH:MM (Vietnam time), years 1900-2100. An arrival older than
            BACKFILL_AFTER_HOURS is a late entry (nhập bù) and needs `backfill_reason`.
          requestBody:
            required: true
            content:
              application/json:
                schema: &registration
                  type: object
                  properties:
                    register_id: {type: integer}
                    arrival_at: {type: string, example: '2026-03-05T08:30'}
                    channel: {type: string}
                    agency_id: {type: integer}
                    new_agency: {type: string, description: an issuing agency added by name}
                    number_symbol: {type: string, example: 15/QĐ-UBND}
                    document_date: {type: string, example: '2026-03-04'}
                    document_type_id: {type: integer}
                    excerpt: {type: string}
                    signer_name: {type: string}
                    signer_position: {type: string}
                    field_id: {type: integer}
                    urgency_id: {type: integer}
                    secrecy_id: {type: integer}
                    page_count: {type: integer}
                    deadline: {type: string, example: '2026-03-19'}
                    recipients: {type: string}
                    notes: {type: string}
                    backfill_reason: {type: string}
                    confirm_duplicate: {type: boolean}
                    submit: {type: boolean}
              multipart/form-data:  # the same fields as text, and the files
                schema:
                  allOf:
                  - *registration
                  - type: object
                    properties:
                      files:
                        type: array
                        items: {type: string, format: binary}
          responses:
            201: {description: 'registered: {id, result}'}
            400: {description: neither a JSON object nor a form}
            403: {description: not a clerk}
            422: {description: '{message: {field: [messages]}} in Vietnamese; nothing saved'}
        """
        if request.mimetype == "multipart/form-data":
            body, files = _form_body(request.form), uploads()
        else:
            body, files = self.body(), []
        user = self.caller()
        with self.refusals():
            data = data_from_json(body)
            # As the web form: the late-entry reason is always asked for, sent or not.
            data.setdefault("backfill_reason", None)
            document = services.register_incoming(
                db.session, user, data, files,
                confirm_duplicate=_flag(body.get("confirm_duplicate")),
                submit=_flag(body.get("submit")))
        # the entry as it was written, still loaded (its registrar sees it: no visibility
        # to test, nothing to read back)
        return self.response(201, id=document.id, result=serialize(document, full=True))

    @expose("/<int:pk>", methods=["PUT"])
    @guarded("put")
    def put(self, pk):
        document, body = self.visible(pk), self.body()
        with self.refusals():  # only the fields given change
            services.update_incoming(db.session, self.caller(), document, data_from_json(body),
                                     confirm_duplicate=bool(body.get("confirm_duplicate")),
                                     partial=True)
        return self.response(200, result=serialize(document, full=True))

    @expose("/<int:pk>/actions/<action>", methods=["POST"])
    @guarded("action")
    def action(self, pk, action):
        """Routing: submit {leader_id (default: the deputy in charge of the field, else the
        head)}, assign {direction, lines:[{role (lead, cooperate, fyi, follow),
        department_id|user_id, deadline, instruction}], deadline}, delegate {line_id,
        officers:[{user_id, lead, deadline, instruction}]} (or one officer_id, deadline,
        note), progress/complete/return {line_id, note[, reply_reference | reply_id: the
        issued outgoing document answering it]}, acknowledge {line_id (default: all the
        caller's unread FYI lines)}, reopen, register {register_id}. Assign, delegate and
        complete also take `occurred_at` (ISO, Vietnam time) and `backfill_reason`: a step
        done during an outage, entered afterwards."""
        document, body = self.visible(pk), self.body(optional=True)
        if action not in services.ACTIONS:
            return self.response_404()
        with self.refusals():
            services.act(db.session, self.caller(), document, action,
                         services.routing_data(body, _lines(body), _officers(body)))
        return self.response(200, result=serialize(document, full=True, caller=self.caller()))

    @expose("/bulk/<action>", methods=["POST"])
    @guarded("bulk")
    def bulk(self, action):
        """The grid's daily batches: submit {ids, leader_id}, assign {ids, direction, lines,
        deadline}, acknowledge {ids}; each document in its own unit of work. 200 with
        {done: [ids], failed: [{document, message}], message} (the summary in Vietnamese)."""
        body = self.body()
        if action not in services.BULK_ACTIONS:
            return self.response_404()
        ids = body.get("ids")
        with self.refusals():
            if not isinstance(ids, list):
                raise services.FormErrors({"ids": [_("Phải là danh sách mã văn bản.")]})
            result = services.bulk_act(db.session, self.caller(), ids, action,
                                       services.routing_data(body, _lines(body)))
        return self.response(200, done=[d.id for d in result.done],
                             failed=[{"document": label, "message": str(message)}
                                     for label, message in result.failed],
                             message=result.summary(action))

    @expose("/<int:pk>/files", methods=["POST"])
    @guarded("upload")
    def upload(self, pk):
        """Attach files (multipart, field `files`)."""
        document = self.visible(pk)
        self.attach(document, services.attach_files)
        return self.response(201, result=serialize(document, full=True)["files"])

    @expose("/<int:pk>/files/<int:file_id>", methods=["GET"])
    @guarded("download")
    def download(self, pk, file_id):
        document = self.visible(pk)
        return storage.send_stored(self.file_of(document, file_id), "incoming_document",
                                   document.id)

    @expose("/<int:pk>/files/<int:file_id>/stamped", methods=["GET"])
    @guarded("stamped")
    def stamped(self, pk, file_id):
        document = self.visible(pk)
        record = self.file_of(document, file_id)
        if not record.is_pdf or document.arrival_number is None:
            return self.response_404()
        if not storage.stored_path(record).is_file():
            return file_missing()
        return send_download(data=registers.stamped_copy(document, record),
                             filename=f"DEN-{document.arrival_number}-{record.original_name}",
                             mimetype="application/pdf", object_type="incoming_document",
                             object_id=document.id)

    @expose("/<int:pk>/files/<int:file_id>/text", methods=["GET"])
    @guarded("file_text")
    def file_text(self, pk, file_id):
        """The text of a file: its own text layer, or what OCR read from the scan.
        ---
        get:
          description: >-
            `state`: the file's OCR (null: not needed or not checked, waiting, done, failed,
            off); `text`: the text kept for search (a PDF's text layer, or the OCR text of a
            scan, empty while it waits); `message`: in Vietnamese, what the page says of the
            OCR (why it failed or is off). 404 for a document the caller may not see.
          responses:
            200: {description: '{state, text, message}'}
            404: {description: no such document or file for the caller}
        """
        from app.documents import ocr_jobs

        record = self.file_of(self.visible(pk), file_id)
        view = ocr_jobs.ocr_view(record)
        return self.response(200, state=record.ocr_state, text=record.text or "",
                             message=str(view.label) if view is not None else None)

    @expose("/propose", methods=["POST"])
    @guarded("propose")
    def propose(self):
        """The fields of a scan being registered, read from it (no document is made).
        ---
        post:
          description: >-
            The clerk's registration help: the file (multipart, field `file`: PDF or image) is
            read (OCR of its first and last page, or the text layer of an electronic PDF) and
            the fields of Decree 30's layout are proposed against the catalogs. Nothing is
            saved. `fields`: {agency_id | new_agency, number_symbol, document_date
            (dd/mm/yyyy), document_type_id, excerpt, signer_name, signer_position,
            urgency_id, secrecy_id}, each {value, label (a catalog choice's name), text (as
            read), confidence}.
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
          responses:
            200: {description: '{fields, source (ocr | text), pages, seconds, message}'}
            400: {description: no file}
            403: {description: not a clerk}
            422: {description: 'the file cannot be read (message in Vietnamese)'}
        """
        from app.documents import prefill

        body, status = prefill.answer(db.session, self.caller(), request.files)
        return self.response(status, **body)

    @expose("/inboxes", methods=["GET"])
    @guarded("get")
    def inboxes(self):
        """The caller's inboxes: [{key, label, count}]; count is null for the boxes of
        finished work ("processed", "fyi"), which grow for ever and ask for nothing."""
        return self.boxes(services.inbox_counts(db.session, self.caller()))




