"""Web pages for incoming documents: the grid (with inboxes and search), registration, the
document page with its routing actions, files, the overdue list and the registers."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.audit.views import audit_of
from app.core import storage
from app.core.downloads import file_missing, send_download
from app.core.errors import DomainError
from app.core.dates import parse_date, to_date
from app.core.forms import BAD_DATE
from app.core.text import vietnamese_sort_key
from app.core.timefmt import format_date, format_datetime, local_now, to_local
from app.core.views import EofficeModelView, GridFilter, link_to, VietnameseInterface, urgency_badge
from app.documents import registers, services, workflow
from app.documents.access import get_visible, may_read_registers, visible_incoming
from app.documents.forms import IncomingForm, NoteForm
from app.documents.models import (
    ASSIGNMENT_ROLES, CHANNELS, FYI, PENDING, STATES, DocumentFile, IncomingDocument,
)
from app.extensions import db
from app.org.models import EofficeUser


# ---------------------------------------------------------------- grid

VisibleFilter = GridFilter.of(  # `more`: the dashboard's links (drill-down parameters)
    visible_incoming, ranked=IncomingDocument, more=services.drill_down_conditions,
    box=lambda user, box: IncomingDocument.id.in_(
        services.inbox_query(user, box).with_only_columns(IncomingDocument.id)))


_show_link = link_to("IncomingWorkView.show", "document_id", "number_symbol")


def _link_and_files(row):
    """The number and symbol, linked; "Chưa có tệp" when the entry has no file yet (the page's
    rows with files are read at once by IncomingView.prepare_rows)."""
    with_files = g.get("incoming_with_files")
    if (row.id in with_files) if with_files is not None else services.has_files(row):
        return _show_link(row)
    return _show_link(row) + Markup(' <span class="label label-warning no-files">{}</span>'
                                    ).format(_("Chưa có tệp"))


class IncomingView(EofficeModelView):
    """Danh sách văn bản đến (grid). Reading only: entries are made through the register form."""
    computed_columns = {"link": _link_and_files}
    route_base = "/incoming/list"
    datamodel = VietnameseInterface(IncomingDocument)
    class_permission_name = "IncomingDocument"
    include_route_methods = {"list", "show"}
    list_template = "incoming/list.html"
    list_title = _l("Văn bản đến")
    base_filters = [["id", VisibleFilter, lambda: None]]
    base_order = ("arrival_at", "desc")
    page_size = 25
    list_columns = ["arrival_number", "arrival_at", "link", "agency", "document_type",
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
        "document_date": _l("Ngày văn bản"),
    }
    formatters_columns = {"urgency": urgency_badge, "arrival_at": format_datetime}

    def prepare_rows(self, rows):
        g.incoming_with_files = services.ids_with_files(db.session, [r.id for r in rows])

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        """The grid's magnifier opens the document page (which checks visibility)."""
        return redirect(url_for("IncomingWorkView.show", document_id=pk))

    def render_template(self, template, **kwargs):
        kwargs.update(
            inboxes=services.inbox_counts(db.session, g.user),
            box=request.args.get("box", ""), q=request.args.get("q", ""),
            can_register=workflow.registers(g.user, None),
        )
        return super().render_template(template, **kwargs)


# The grid's "Số, ký hiệu" column links to the document page.


# ---------------------------------------------------------------- work pages

WRITE = {"register", "edit"}


class IncomingWorkView(BaseView):
    route_base = "/incoming"
    class_permission_name = "IncomingDocument"
    method_permission_name = {
        **{m: "read" for m in ("show", "act", "download", "stamped", "overdue", "book")},
        # the next number of a register is the clerk's, who registers (not the readers')
        **{m: "write" for m in WRITE | {"preview"}},
    }
    default_view = "overdue"

    # -- helpers
    def _document_or_404(self, document_id):
        document = get_visible(db.session, g.user, document_id)
        if document is None:
            abort(404)
        return document

    def _render_form(self, form, document=None, errors=None, duplicates=None):
        return self.render_template(
            "incoming/form.html", form=form, document=document, errors=errors or {},
            duplicates=duplicates or [], title=_("Sửa văn bản đến") if document
            else _("Vào sổ văn bản đến"),
            preview=services.next_number_preview(db.session, form.register_id.data)
            if not document else None)

    def _form_errors(self, form, document=None):
        """Typing errors (a wrong date) and the rules' messages together, in one round."""
        errors = {name: list(messages) for name, messages in form.errors.items()}
        duplicates = []
        try:
            data = form.data_for_service()
            if document is not None:
                data["register_id"] = document.register_id
            services.validate(db.session, data, document=document,
                              confirm_duplicate=form.confirm_duplicate.data,
                              require_register=document is None or
                              document.state != services.PENDING)
        except services.FormErrors as error:
            duplicates = error.duplicates
            for name, messages in error.errors.items():
                errors.setdefault(name, list(messages))
        return errors, duplicates

    def _uploads(self, form):
        return [(f.read(), f.filename) for f in (form.files.data or []) if f and f.filename]

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
        if not form.validate():
            errors, duplicates = self._form_errors(form)
            return self._render_form(form, errors=errors, duplicates=duplicates), 422
        try:
            document = services.register_incoming(
                db.session, g.user, form.data_for_service(), self._uploads(form),
                confirm_duplicate=form.confirm_duplicate.data, submit=form.submit_now.data)
        except services.FormErrors as error:
            return self._render_form(form, errors=error.errors,
                                     duplicates=error.duplicates), 422
        except DomainError as error:
            flash(str(error), "danger")
            return self._render_form(form), 422
        flash(_("Đã vào sổ văn bản đến số %(number)s.", number=document.arrival_number),
              "success")
        return redirect(url_for(".show", document_id=document.id))

    @expose("/<int:document_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, document_id):
        document = self._document_or_404(document_id)
        form = IncomingForm(obj=None if request.method == "POST" else document)
        form.load_choices(db.session)
        if request.method == "GET":
            form.arrival_at.data = to_local(document.arrival_at).replace(tzinfo=None)
            for name in ("register_id", "agency_id", "document_type_id", "field_id",
                         "urgency_id", "secrecy_id"):
                value = getattr(document, name)
                form[name].data = str(value) if value else ""
            return self._render_form(form, document)
        if not form.validate():
            errors, duplicates = self._form_errors(form, document)
            return self._render_form(form, document, errors=errors, duplicates=duplicates), 422
        try:
            services.update_incoming(db.session, g.user, document, form.data_for_service(),
                                     self._uploads(form),
                                     confirm_duplicate=form.confirm_duplicate.data)
        except services.FormErrors as error:
            return self._render_form(form, document, errors=error.errors,
                                     duplicates=error.duplicates), 422
        except DomainError as error:
            flash(str(error), "danger")
            return self._render_form(form, document), 422
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

    # -- the document page
    @expose("/<int:document_id>")
    @has_access
    def show(self, document_id):
        document = self._document_or_404(document_id)
        people = sorted(db.session.scalars(select(EofficeUser).where(
            EofficeUser.active.is_(True))), key=lambda p: vietnamese_sort_key(p.full_name))
        return self.render_template(
            "incoming/show.html", document=document, title=_("Văn bản đến"),
            actions=workflow.document_actions(g.user, document),
            line_actions={line.id: workflow.line_actions(g.user, document, line)
                          for line in document.assignments},
            departments=services.departments(db.session), people=people,
            roles=ASSIGNMENT_ROLES, channels=dict(CHANNELS), states=STATES,
            overdue=services.is_overdue(document), note_form=NoteForm(),
            registers=registers.incoming_registers(db.session) if document.state == PENDING
            else [], FYI=FYI, event_labels=workflow.EVENT_LABELS,
            audit=audit_of(db.session, "incoming_document", document.id))

    @expose("/<int:document_id>/do/<action>", methods=["POST"])
    @has_access
    def act(self, document_id, action):
        document = self._document_or_404(document_id)
        form = NoteForm()
        if not form.validate():
            abort(400)
        if action not in services.ACTIONS:
            abort(404)
        try:
            data = services.routing_data(request.form, _assignment_lines(request.form),
                                         form=True)
            data.update(note=form.note.data, reply_reference=form.reply_reference.data)
            services.act(db.session, g.user, document, action, data)
        except services.FormErrors as error:
            db.session.rollback()
            for messages in error.errors.values():
                for message in messages:
                    flash(str(message), "danger")
            return redirect(url_for(".show", document_id=document_id))
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".show", document_id=document_id))
        flash(_("Đã ghi nhận."), "success")
        return redirect(url_for(".show", document_id=document_id))

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

    # -- lists and registers
    @expose("/overdue")
    @has_access
    def overdue(self):
        rows = services.overdue_lines(db.session, g.user)
        groups = {}
        for department, person, line, document, days in rows:
            groups.setdefault(department, {}).setdefault(person, []).append(
                (line, document, days))
        return self.render_template("incoming/overdue.html", groups=groups, total=len(rows),
                                    title=_("Văn bản đến quá hạn"))

    @expose("/book")
    @has_access
    def book(self):
        return registers.book_response(self, request.args)


def _assignment_lines(form):
    """Rows of the direction form: role[], target[] ('d:<unit id>' or 'u:<user id>'),
    line_deadline[]."""
    lines = []
    for role, target, deadline in zip(form.getlist("role"), form.getlist("target"),
                                      form.getlist("line_deadline"), strict=False):
        if not role or not target:
            continue
        kind, _sep, ident = target.partition(":")
        if kind not in ("d", "u") or not ident.isdecimal():
            raise services.FormErrors({"lines": [_l("Đơn vị hoặc người không hợp lệ.")]})
        lines.append({"role": role, "department_id": int(ident) if kind == "d" else None,
                      "user_id": int(ident) if kind == "u" else None,
                      "deadline": parse_date(deadline, "lines", BAD_DATE)})
    return lines


def register_views(appbuilder):
    from app.documents.api import IncomingApi
    from app.documents.stamping import IncomingStampView

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
