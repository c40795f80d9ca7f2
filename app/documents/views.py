"""Web pages for incoming documents: the grid (with inboxes and search), registration, the
document page with its routing actions, files, the overdue list and the registers."""

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.audit.version import data_version
from app.audit.views import audit_of
from app.core import storage
from app.core.downloads import file_missing, send_download
from app.core.errors import DomainError
from app.core.dates import parse_date, to_date
from app.core.forms import BAD_DATE
from app.core.kept_uploads import KeptUploads
from app.core.numbers import int_or_none
from app.core.text import vietnamese_sort_key
from app.core.timefmt import format_date, format_datetime, local_now, to_local
from app.core.views import (
    GridFilter, RecordGrid, VietnameseInterface, link_to, or_404, urgency_badge,
)
from app.documents import registers, replies, services, workflow
from app.documents.access import get_visible, may_read_registers, visible_incoming
from app.documents.forms import IncomingForm, NoteForm
from app.documents.models import (
    ASSIGNMENT_ROLES, CHANNELS, FYI, LEAD, PENDING, STATES, DocumentFile, IncomingDocument,
)
from app.extensions import db
from app.org.models import EofficeUser
from app.security.signature_checks import register_file_owner, signature_condition


# ---------------------------------------------------------------- grid

def _more_conditions(args) -> list:
    """The dashboard's drill-down parameters and the "Chữ ký số" filter (`signature`)."""
    signed = signature_condition(args.get("signature"),
                                 DocumentFile.incoming_id == IncomingDocument.id)
    return services.drill_down_conditions(db.session, args) + \
        ([signed] if signed is not None else [])


_show_link = link_to("IncomingWorkView.show", "document_id", "number_symbol")


def _link_and_files(row):
    """The number and symbol, linked; "Chưa có tệp" when the entry has no file yet (the page's
    rows with files are read at once by IncomingView.prepare_rows)."""
    with_files = g.get("incoming_with_files")
    if (row.id in with_files) if with_files is not None else services.has_files(row):
        return _show_link(row)
    return _show_link(row) + Markup(' <span class="label label-warning no-files">{}</span>'
                                    ).format(_("Chưa có tệp"))


def _select_box(row):
    """A row's checkbox for the grid's daily batches: it belongs to the bulk form above the
    grid (the `form` attribute), which posts the selected ids to IncomingWorkView.bulk."""
    return Markup('<input type="checkbox" class="bulk-select" name="ids" value="{}" '
                  'form="incoming-bulk" aria-label="{}">').format(
        row.id, _("Chọn văn bản %(symbol)s", symbol=row.number_symbol))


def _state_and_deadline(row):
    """The state, marked "Quá hạn" or "Sắp đến hạn" by the one rule (app.documents.deadlines;
    the page's rows are read at once by IncomingView.prepare_rows). An urgent document late
    while it waits for a direction (or to be presented) stands out."""
    from app.documents import deadlines
    from app.documents.models import REGISTERED, SUBMITTED

    marks = g.get("incoming_deadlines")
    status = marks.get(row.id) if marks is not None else deadlines.status_of(row)
    state = Markup("{}").format(row.state_label)
    if status == deadlines.DUE_SOON:
        return state + Markup(' <span class="label label-warning due-soon">{}</span>').format(
            _("Sắp đến hạn"))
    if status != deadlines.OVERDUE:
        return state
    text = {SUBMITTED: _("Quá hạn chờ chỉ đạo"),
            REGISTERED: _("Quá hạn chờ trình")}.get(row.state, _("Quá hạn"))
    if row.is_urgent and row.state in deadlines.WAITING_STATES:
        return state + Markup(' <span class="label label-danger overdue urgent-overdue">'
                              '<i class="fa fa-triangle-exclamation" aria-hidden="true"></i> '
                              '{}</span>').format(text)
    return state + Markup(' <span class="label label-danger overdue">{}</span>').format(text)


def deadline_marks(session, ids):
    from app.documents import deadlines

    return deadlines.grid_marks(session, ids)


class IncomingView(RecordGrid):
    """Danh sách văn bản đến (grid). Reading only: entries are made through the register form."""
    page = ("IncomingWorkView.show", "document_id")
    computed_columns = {"link": _link_and_files, "select": _select_box,
                        "state_label": _state_and_deadline}
    route_base = "/incoming/list"
    datamodel = VietnameseInterface(IncomingDocument)
    class_permission_name = "IncomingDocument"
    list_template = "incoming/list.html"
    list_title = _l("Văn bản đến")
    base_filters = GridFilter.base(  # `more`: the dashboard's links and the signature filter
        visible_incoming, ranked=IncomingDocument, more=_more_conditions,
        box=services.inbox_condition)  # the grid has the visibility already
    base_order = ("arrival_at", "desc")
    page_size = 25
    list_columns = ["select", "arrival_number", "arrival_at", "link", "agency", "document_type",
                    "excerpt", "urgency", "deadline", "state_label"]
    order_columns = ["arrival_number", "arrival_at", "agency", "deadline", "document_date"]
    # Related-record filters fill their dropdowns on demand (app.core.views.ChoicesOnDemand):
    # the agency filter no longer loads the whole agency table on every page.
    search_columns = ["register", "agency", "document_type", "field", "urgency", "secrecy",
                      "state", "channel", "arrival_at", "document_date", "deadline"]
    label_columns = {
        "arrival_number": _l("Số đến"), "arrival_at": _l("Ngày đến"), "link": _l("Số, ký hiệu"),
        "agency": _l("Cơ quan ban hành"), "document_type": _l("Loại văn bản"),
        "excerpt": _l("Trích yếu"), "urgency": _l("Độ khẩn"), "deadline": _l("Hạn xử lý"),
        "state_label": _l("Trạng thái"), "register": _l("Sổ văn bản"), "field": _l("Lĩnh vực"),
        "secrecy": _l("Độ mật"), "state": _l("Trạng thái"), "channel": _l("Hình thức nhận"),
        "document_date": _l("Ngày văn bản"), "select": _l("Chọn"),
    }
    formatters_columns = {"urgency": urgency_badge, "arrival_at": format_datetime}

    @staticmethod
    def page_version(session):
        """Its pages are remembered per version of the data; a box of the reader's own lines
        (services.lines_only) steps over the registrations, which give no document a line."""
        box = request.args.get("box")
        if box and g.user is not None and services.lines_only(g.user, box):
            return data_version(session, services.REGISTRATION)
        return data_version(session)

    @staticmethod
    def growing_version(session):
        """A registration adds a document (with its files) and changes no other: a count past
        the cap stays past it. Not a file with the "Chữ ký số" filter, where a file added to a
        document already registered may take it out ("chưa ký")."""
        if request.args.get("signature"):
            return data_version(session, services.REGISTRATION)
        return data_version(session, services.REGISTERED_WITH_FILES)

    def prepare_rows(self, rows):
        # the files ("Chưa có tệp") and the deadline marks of the page's rows: one statement
        g.incoming_with_files, g.incoming_deadlines = deadline_marks(
            db.session, [r.id for r in rows])

    def grid_context(self):
        return {"inboxes": services.inbox_counts(db.session, g.user),
                "can_register": workflow.registers(g.user, None),
                "bulk": _bulk_choices(g.user)}


# The grid's "Số, ký hiệu" column links to the document page.


# ---------------------------------------------------------------- work pages

WRITE = {"register", "edit"}


class IncomingWorkView(BaseView):
    route_base = "/incoming"
    class_permission_name = "IncomingDocument"
    method_permission_name = {
        **{m: "read" for m in ("show", "act", "bulk", "bulk_panel", "download", "stamped",
                               "ocr_copy", "overdue", "book")},
        # the next number of a register is the clerk's, who registers (not the readers'); so
        # is reading a scan being registered for its fields (`propose`)
        **{m: "write" for m in WRITE | {"preview", "propose"}},
    }
    default_view = "overdue"

    # -- helpers
    def _document_or_404(self, document_id):
        return or_404(get_visible(db.session, g.user, document_id))

    def _render_form(self, form, document=None, errors=None, duplicates=None, kept=None):
        errors = kept.keep(errors) if kept is not None else errors  # files chosen: kept
        return self.render_template(
            "incoming/form.html", form=form, document=document, errors=errors or {}, kept=kept,
            duplicates=duplicates or [],
            title=_("Sửa văn bản đến") if document and document.state != PENDING
            else _("Vào sổ văn bản đến"),  # a document waiting in the queue is registered here
            preview=services.next_number_preview(db.session, form.register_id.data)
            if not document else None)

    def _form_errors(self, form, document=None, register_now=False):
        """Typing errors (a wrong date) and the rules' messages together, in one round."""
        errors = {name: list(messages) for name, messages in form.errors.items()}
        duplicates = []
        try:
            data = form.data_for_service()
            if document is not None and not register_now:
                data["register_id"] = document.register_id
            services.validate(db.session, data, document=document,
                              confirm_duplicate=form.confirm_duplicate.data,
                              require_register=document is None or register_now or
                              document.state != services.PENDING)
        except services.FormErrors as error:
            duplicates = error.duplicates
            for name, messages in error.errors.items():
                errors.setdefault(name, list(messages))
        return errors, duplicates

    # -- registration
    @expose("/register", methods=["GET", "POST"])
    @has_access
    def register(self):
        form = IncomingForm().load_choices(db.session)
        if request.method == "GET":
            form.arrival_at.data = local_now().replace(second=0, microsecond=0)
            first_register = next((v for v, _label in form.register_id.choices if v), None)
            form.register_id.data = request.args.get("register_id") or first_register
            form.urgency_id.data = form.urgency_id.choices[0][0]
            form.secrecy_id.data = form.secrecy_id.choices[0][0]
            return self._render_form(form)
        kept = KeptUploads.from_request(g.user, "incoming")
        if not form.validate() or kept.errors:
            errors, duplicates = self._form_errors(form)
            return self._render_form(form, errors=errors, duplicates=duplicates, kept=kept), 422
        try:
            document = services.register_incoming(
                db.session, g.user, form.data_for_service(), kept.uploads,
                confirm_duplicate=form.confirm_duplicate.data, submit=form.submit_now.data)
        except services.FormErrors as error:
            return self._render_form(form, errors=error.errors,
                                     duplicates=error.duplicates, kept=kept), 422
        except DomainError as error:
            flash(str(error), "danger")
            return self._render_form(form, kept=kept), 422
        kept.done()
        flash(_("Đã vào sổ văn bản đến số %(number)s.", number=document.arrival_number),
              "success")
        return redirect(url_for(".show", document_id=document.id))

    @expose("/<int:document_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, document_id):
        document = self._document_or_404(document_id)
        form = IncomingForm(obj=None if request.method == "POST" else document)
        form.load_choices(db.session)
        pending = document.state == services.PENDING
        if request.method == "GET":
            form.arrival_at.data = to_local(document.arrival_at).replace(tzinfo=None)
            for name in ("register_id", "agency_id", "document_type_id", "field_id",
                         "urgency_id", "secrecy_id"):
                value = getattr(document, name)
                form[name].data = str(value) if value else ""
            if pending:  # registered from this form: this year's ordinary register first
                form.register_id.data = next((str(v) for v, _label in
                                              form.register_id.choices if v), "")
            return self._render_form(form, document)
        kept = KeptUploads.from_request(g.user, f"incoming:{document.id}")
        register_now = pending and request.form.get("register_now") == "1"
        if not form.validate() or kept.errors:
            errors, duplicates = self._form_errors(form, document, register_now)
            return self._render_form(form, document, errors=errors, duplicates=duplicates,
                                     kept=kept), 422
        try:
            if register_now:  # the clerk's corrections and the number, in one transaction
                document = services.register_pending(
                    db.session, g.user, document, int_or_none(form.register_id.data),
                    form.data_for_service(), kept.uploads,
                    confirm_duplicate=form.confirm_duplicate.data)
            else:
                services.update_incoming(db.session, g.user, document,
                                         form.data_for_service(), kept.uploads,
                                         confirm_duplicate=form.confirm_duplicate.data)
        except services.FormErrors as error:
            return self._render_form(form, document, errors=error.errors,
                                     duplicates=error.duplicates, kept=kept), 422
        except DomainError as error:
            flash(str(error), "danger")
            return self._render_form(form, document, kept=kept), 422
        kept.done()
        if register_now:
            flash(_("Đã vào sổ văn bản đến số %(number)s.", number=document.arrival_number),
                  "success")
        else:
            flash(_("Đã cập nhật văn bản đến."), "success")
        return redirect(url_for(".show", document_id=document.id))

    @expose("/preview")
    @has_access
    def preview(self):
        """Number the next document would get and its default deadline (before saving)."""
        from flask import jsonify

        register_id = request.args.get("register_id", type=int)
        if not may_read_registers(g.user) or not register_id or not 0 < register_id < 2**31:
            register_id = None  # the count of a register is only for those who keep it
        arrival_date = to_date(request.args.get("arrival", "")[:10], local_now().date())
        return jsonify(
            number=services.next_number_preview(db.session, register_id),
            deadline=format_date(services.default_deadline(
                db.session, arrival_date, request.args.get("document_type_id", type=int),
                request.args.get("urgency_id", type=int))))

    @expose("/propose", methods=["POST"])
    @has_access
    def propose(self):
        """The fields of a scan being registered, read from it (app.documents.prefill): JSON
        {fields, source, pages, seconds, message}, or {message} with a 4xx. Saves nothing:
        the form fills its empty fields, marked as proposed, for the clerk to check."""
        from app.documents import prefill

        body, status = prefill.answer(db.session, g.user, request.files)
        return jsonify(body), status

    # -- the document page
    @expose("/<int:document_id>")
    @has_access
    def show(self, document_id):
        # its catalog entries joined (register, agency, type, field, urgency, secrecy): one
        # statement, not one each
        document = or_404(get_visible(db.session, g.user, document_id, options=[
            joinedload(relation) for relation in (
                IncomingDocument.register, IncomingDocument.agency, IncomingDocument.document_type,
                IncomingDocument.field, IncomingDocument.urgency, IncomingDocument.secrecy)]))
        people = _people()
        actions = workflow.document_actions(g.user, document)
        leaders = services.leaders(db.session) if any(a == "submit" for a, _label in actions) \
            else []
        return self.render_template(
            "incoming/show.html", document=document, title=_("Văn bản đến"),
            actions=actions,
            line_actions={line.id: workflow.line_actions(g.user, document, line)
                          for line in document.assignments},
            departments=services.departments(db.session), people=people,
            roles=ASSIGNMENT_ROLES, channels=dict(CHANNELS), states=STATES,
            overdue=services.is_overdue(document), note_form=NoteForm(),
            registers=registers.incoming_registers(db.session) if document.state == PENDING
            else [], FYI=FYI, LEAD=LEAD, event_labels=workflow.EVENT_LABELS,
            leaders=leaders, default_leader=services.default_leader(
                db.session, document, leaders) if leaders else None,
            replies=replies.replies_of(db.session, g.user, document),
            unread_fyi=any(workflow.holds_fyi(g.user, document, line)
                           for line in document.assignments),
            audit=audit_of(db.session, "incoming_document", document.id))

    @expose("/<int:document_id>/do/<action>", methods=["POST"])
    @has_access
    def act(self, document_id, action):
        """One routing action. Asked by the page's script (the FYI holder's "Đã xem" on
        opening: header X-Requested-With: fetch), it answers JSON instead of a page."""
        document = self._document_or_404(document_id)
        by_script = request.headers.get("X-Requested-With") == "fetch"
        form = NoteForm()
        if not form.validate():
            abort(400)
        if action not in services.ACTIONS:
            abort(404)
        try:
            data = services.routing_data(request.form, _assignment_lines(request.form),
                                         _officer_rows(request.form), form=True)
            data.update(note=form.note.data, reply_reference=form.reply_reference.data)
            services.act(db.session, g.user, document, action, data)
        except DomainError as error:
            db.session.rollback()
            messages = [str(m) for ms in error.errors.values() for m in ms] \
                if isinstance(error, services.FormErrors) else [str(error)]
            if by_script:
                return jsonify(ok=False, messages=messages), 422
            for message in messages:
                flash(message, "danger")
            return redirect(url_for(".show", document_id=document_id))
        if by_script:
            return jsonify(ok=True)
        flash(_("Đã ghi nhận."), "success")
        return redirect(url_for(".show", document_id=document_id))

    @expose("/bulk-panel")
    @has_access
    def bulk_panel(self):
        """The bulk form's choices, fetched when the clerk or a leader first ticks a row."""
        return self.render_template("incoming/_bulk_panel.html", bulk=_bulk_choices(g.user, True))

    @expose("/bulk", methods=["POST"])
    @has_access
    def bulk(self):
        """The grid's daily batches: present, assign to the same people, mark read — the
        selected documents, each in its own unit of work (services.bulk_act)."""
        if not NoteForm().validate():
            abort(400)
        # the button's value, or the hidden copy the grid's script keeps (incoming-bulk.js)
        action = next((v for v in request.form.getlist("bulk_action") if v), "")
        back = request.form.get("next") or ""
        back = back if back.startswith("/incoming/list/") else url_for("IncomingView.list")
        if action not in services.BULK_ACTIONS:
            abort(404)
        try:
            data = services.routing_data(request.form, _assignment_lines(request.form),
                                         form=True)
            result = services.bulk_act(db.session, g.user, request.form.getlist("ids"),
                                       action, data)
        except DomainError as error:
            db.session.rollback()
            messages = [str(m) for ms in error.errors.values() for m in ms] \
                if isinstance(error, services.FormErrors) else [str(error)]
            for message in messages:
                flash(message, "danger")
            return redirect(back)
        flash(result.summary(action), "warning" if result.failed else "success")
        return redirect(back)

    # -- files
    def _file_or_404(self, document, file_id):
        record = db.session.get(DocumentFile, file_id)
        if record is None or record.incoming_id != document.id:
            abort(404)
        return record

    @expose("/<int:document_id>/files/<int:file_id>")
    @has_access
    def download(self, document_id, file_id):
        document = self._document_or_404(document_id)
        record = self._file_or_404(document, file_id)
        return storage.send_stored(record, "incoming_document", document.id)

    @expose("/<int:document_id>/files/<int:file_id>/stamped")
    @has_access
    def stamped(self, document_id, file_id):
        """The first page with the "ĐẾN" box; the received file is never modified."""
        document = self._document_or_404(document_id)
        record = self._file_or_404(document, file_id)
        if not record.is_pdf or document.arrival_number is None:
            abort(404)
        if not storage.stored_path(record).is_file():
            return file_missing()
        data = registers.stamped_copy(document, record)
        name = f"DEN-{document.arrival_number}-{record.original_name}"
        return send_download(data=data, filename=name, mimetype="application/pdf",
                             object_type="incoming_document", object_id=document.id)

    @expose("/<int:document_id>/files/<int:file_id>/ocr")
    @has_access
    def ocr_copy(self, document_id, file_id):
        """The OCR'd copy of a scan, with its text layer ("Bản có lớp chữ"); the received file
        is never modified. `?view=1`: for the viewer in the page."""
        from app.core.downloads import view_requested
        from app.documents import ocr_jobs

        document = self._document_or_404(document_id)
        record = self._file_or_404(document, file_id)
        path = ocr_jobs.copy_path(record)
        if path is None:
            abort(404)
        return send_download(path=path, filename=ocr_jobs.copy_filename(record),
                             mimetype="application/pdf", object_type="incoming_document",
                             object_id=document.id, view=view_requested())

    # -- lists and registers
    @expose("/overdue")
    @has_access
    def overdue(self):
        """Văn bản đến quá hạn: everything late that the person may see (of one unit with
        `?unit=`, as the dashboard's unit), counted per group first, then a page of the work
        itself; beside it how much of it is theirs (the home tile, the inbox badge)."""
        from app.core.numbers import row_id
        from app.org.models import Department

        unit_id = row_id(request.args.get("unit"))
        unit = db.session.get(Department, unit_id) if unit_id else None
        if unit_id and unit is None:
            flash(_("Không có đơn vị này: hiển thị toàn bộ phạm vi xem."), "warning")
        unit_id = unit.id if unit else None
        total, groups = services.overdue_summary(db.session, g.user, unit_id=unit_id)
        pieces = sum(count for *_rest, count in groups)
        size = services.OVERDUE_PAGE
        pages = max((pieces + size - 1) // size, 1)
        page = min(max(row_id(request.args.get("page")) or 1, 1), pages)
        items = services.overdue_lines(db.session, g.user, unit_id=unit_id,
                                       offset=(page - 1) * size)
        sections = []  # [(kind, unit, [(person, [item])])] in the page's order
        for item in items:
            if not sections or sections[-1][:2] != (item.kind, item.department):
                sections.append((item.kind, item.department, []))
            people = sections[-1][2]
            if not people or people[-1][0] != item.person:
                people.append((item.person, []))
            people[-1][1].append(item)
        return self.render_template(
            "incoming/overdue.html", title=_("Văn bản đến quá hạn"), total=total,
            groups=groups, sections=sections, unit=unit, page=page, pages=pages,
            pieces=pieces, mine=services.inbox_count(db.session, g.user, "overdue"),
            group_labels=services.OVERDUE_GROUPS, LINE=services.deadlines.LINE)

    @expose("/book")
    @has_access
    def book(self):
        return registers.book_response(self, request.args)


def _people():
    return sorted(db.session.scalars(select(EofficeUser).where(EofficeUser.active.is_(True))),
                  key=lambda p: vietnamese_sort_key(p.full_name))


def _bulk_choices(user, full=False):
    """What the grid's bulk form offers this person (the service checks each document); with
    `full`, the choices the panel lists (leaders, units, people), fetched on demand."""
    submits, directs = workflow.submits(user, None), workflow.directs(user, None)
    choices = {"acknowledge": True, "submit": submits, "assign": directs}
    if full:
        choices.update(
            leaders=services.leaders(db.session) if submits else [],
            departments=services.departments(db.session) if directs else [],
            people=_people() if directs else [], roles=ASSIGNMENT_ROLES)
    return choices


def _at(values, index):
    return values[index] if index < len(values) else ""


def _assignment_lines(form):
    """Rows of the direction form: role[], target[] ('d:<unit id>' or 'u:<user id>'),
    line_deadline[], instruction[] (ý kiến chỉ đạo of the row)."""
    lines = []
    deadlines, instructions = form.getlist("line_deadline"), form.getlist("instruction")
    for index, (role, target) in enumerate(zip(form.getlist("role"), form.getlist("target"),
                                               strict=False)):
        if not role or not target:
            continue
        kind, _sep, ident = target.partition(":")
        if kind not in ("d", "u") or not ident.isdecimal() or int(ident) >= 2**31:
            raise services.FormErrors({"lines": [_l("Đơn vị hoặc người không hợp lệ.")]})
        lines.append({"role": role, "department_id": int(ident) if kind == "d" else None,
                      "user_id": int(ident) if kind == "u" else None,
                      "deadline": parse_date(_at(deadlines, index), "lines", BAD_DATE),
                      "instruction": _at(instructions, index)})
    return lines


def _officer_rows(form):
    """Rows of a unit leader's hand-out: officer_id[], officer_deadline[],
    officer_instruction[], and officer_lead (the index of the row that leads)."""
    rows = []
    deadlines = form.getlist("officer_deadline")
    instructions = form.getlist("officer_instruction")
    lead = form.get("officer_lead", "")
    for index, ident in enumerate(form.getlist("officer_id")):
        if not ident:
            continue
        if not ident.isdecimal() or int(ident) >= 2**31:
            raise services.FormErrors({"officer_id": [_l("Chọn một người của đơn vị.")]})
        rows.append({"user_id": int(ident), "lead": lead == str(index),
                     "deadline": parse_date(_at(deadlines, index), "deadline", BAD_DATE),
                     "instruction": _at(instructions, index)})
    return rows


def register_views(appbuilder):
    from app.documents.api import IncomingApi
    from app.documents.ocr_jobs import init_ocr
    from app.documents.stamping import IncomingStampView

    from flask import current_app

    init_ocr(current_app._get_current_object())  # OCR of scans: storage hook, worker

    register_file_owner(  # Chữ ký số: a file's stored check, for those who see its document
        "incoming", owns=lambda record: record.incoming_id is not None,
        find=lambda session, user, record: get_visible(session, user, record.incoming_id),
        resource="IncomingDocument",
        page=lambda document: url_for("IncomingWorkView.show", document_id=document.id))
    appbuilder.add_api(IncomingApi)
    appbuilder.add_view_no_menu(IncomingStampView)  # the arrival stamp's place (preview)
    appbuilder.add_view(IncomingView, "IncomingDocuments", label=_l("Văn bản đến"),
                        icon="fa-inbox", category="Documents",
                        category_label=_l("Văn bản"), category_icon="fa-folder-open")
    appbuilder.add_view(IncomingWorkView, "IncomingRegister", label=_l("Vào sổ văn bản đến"),
                        icon="fa-pen-to-square", category="Documents",
                        href="/incoming/register")
    appbuilder.add_link("IncomingOverdue", label=_l("Văn bản đến quá hạn"),
                        href="/incoming/overdue", icon="fa-clock", category="Documents")
    appbuilder.add_link("IncomingBook", label=_l("Sổ đăng ký văn bản đến"),
                        href="/incoming/book", icon="fa-book-open", category="Documents")
