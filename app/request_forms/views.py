"""Web pages for request forms (phiếu yêu cầu): the grid with inboxes and search, the
"Tạo phiếu yêu cầu" form, the request page with its actions, files and history."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.audit.version import data_version
from app.core import storage
from app.core.errors import DomainError
from app.core.forms import VietnameseDateField
from app.core.kept_uploads import KeptUploads
from app.core.views import (
    GridFilter, RecordGrid, VietnameseInterface, link_to, method_permissions, or_404,
    posted_action,
)
from app.extensions import db
from app.request_forms import services, workflow
from app.request_forms.access import get_visible, visible_requests
from app.request_forms.models import STATES, RequestForm

ACCEPT_FILES = ".pdf,.jpg,.jpeg,.png,.tif,.tiff,.doc,.docx,.xls,.xlsx,.odt"


# ---------------------------------------------------------------- forms

class RequestFormForm(FlaskForm):
    """Tạo phiếu yêu cầu. The addressee is one value of the chooser: 'd:<unit>' or 'u:<person>'."""
    target = StringField(_l("Gửi tới (đơn vị, lãnh đạo hoặc cá nhân)"), validators=[Optional()])
    subject = StringField(_l("Tiêu đề"), validators=[Optional()])
    content = TextAreaField(_l("Nội dung yêu cầu"), validators=[Optional()])
    deadline = VietnameseDateField(_l("Hạn xử lý"), validators=[Optional()])
    dossier_id = SelectField(_l("Thuộc hồ sơ công việc"), validators=[Optional()],
                             validate_choice=False)
    files = MultipleFileField(_l("Tệp đính kèm"))

    def load_choices(self, session, user):
        self.dossier_id.choices = [("", "")] + [
            (str(d.id), f"{d.code} – {d.title}") for d in services.linkable_dossiers(session, user)]
        return self

    def data_for_service(self) -> dict:
        """The service's data; FormErrors if the chooser's value is not a unit or a person."""
        department_id, user_id = services.parse_target(self.target.data)
        return {"subject": self.subject.data, "content": self.content.data,
                "deadline": self.deadline.data, "target_department_id": department_id,
                "target_user_id": user_id, "dossier_id": self.dossier_id.data or None}


class ActionForm(FlaskForm):
    """Accept, refuse (reason), complete (result), withdraw, pass on (person), attach files."""
    note = TextAreaField(_l("Nội dung"), validators=[Optional()])
    assignee_id = StringField(validators=[Optional()])
    files = MultipleFileField(_l("Tệp đính kèm"))


# ---------------------------------------------------------------- grid

def _status(item):
    label = Markup("{}").format(item.state_label)
    if services.is_overdue(item):
        label += Markup(' <span class="label label-danger overdue">{}</span>').format(
            _("Quá hạn"))
    return label


def _addressee(item):
    if item.assignee_id and item.target_department_id:
        return f"{item.target_department} ({item.assignee})"
    return str(item.target or "")


# The grid's columns that need a URL or today's date.


class RequestFormView(RecordGrid):
    """Danh sách phiếu yêu cầu (grid). Forms are created and handled on their own pages."""
    page = ("RequestFormWorkView.show", "request_id")
    computed_columns = {"link": link_to(*page, "subject"), "status": _status,
                        "addressee": _addressee}
    route_base = "/request/list"
    datamodel = VietnameseInterface(RequestForm)
    class_permission_name = "RequestForm"
    list_template = "request_forms/list.html"
    list_title = _l("Phiếu yêu cầu")
    base_filters = GridFilter.base(
        visible_requests, search=services.search_condition,
        box=lambda user, box: RequestForm.id.in_(
            services.inbox_query(user, box).with_only_columns(RequestForm.id)))
    base_order = ("sent_at", "desc")
    # Its pages kept per version of the data (count, ids, the rows as drawn): every record a
    # row shows (the request form, its sender, their unit, the unit or person addressed) is
    # audited; the overdue mark follows the day, which the drawn rows' key holds.
    page_version = staticmethod(data_version)
    page_size = 25
    list_columns = ["sent_at", "link", "sender", "sender_department", "addressee", "deadline",
                    "status"]
    order_columns = ["sent_at", "deadline"]
    search_columns = ["sender", "sender_department", "target_department", "target_user",
                      "deadline", "sent_at"]
    label_columns = {
        "sent_at": _l("Ngày gửi"), "link": _l("Tiêu đề"), "subject": _l("Tiêu đề"),
        "sender": _l("Người gửi"), "sender_department": _l("Đơn vị gửi"),
        "addressee": _l("Gửi tới"), "target_department": _l("Đơn vị nhận"),
        "target_user": _l("Người nhận"), "deadline": _l("Hạn xử lý"),
        "status": _l("Trạng thái"), "state": _l("Trạng thái"),
    }

    def grid_context(self):
        return {"inboxes": services.inbox_counts(db.session, g.user),
                "can_create": self.appbuilder.sm.has_access("can_write", "RequestForm")}


# ---------------------------------------------------------------- pages

class RequestFormWorkView(BaseView):
    route_base = "/request"
    class_permission_name = "RequestForm"
    method_permission_name = method_permissions(read=("show", "download"), write=("new", "act"))
    default_view = "new"

    def _request_or_404(self, request_id):
        return or_404(get_visible(db.session, g.user, request_id))

    # -- the form
    def _render_form(self, form, errors=None, status=200, kept=None):
        errors = kept.keep(errors) if kept is not None else errors  # files chosen: kept
        leaders, others = services.target_people(db.session, g.user)
        return self.render_template(
            "request_forms/form.html", form=form, errors=errors or {}, kept=kept,
            title=_("Tạo phiếu yêu cầu"), units=services.target_units(db.session),
            leaders=leaders, people=others, accept_files=ACCEPT_FILES,
            selected_target=form.target.data or ""), status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = RequestFormForm().load_choices(db.session, g.user)
        if request.method == "GET":
            form.target.data = request.args.get("target", "")
            form.dossier_id.data = request.args.get("dossier_id", "")
            return self._render_form(form)
        kept = KeptUploads.from_request(g.user, "request", allowed=storage.ANY_DOCUMENT)
        valid = form.validate() and not kept.errors
        errors = {name: list(messages) for name, messages in form.errors.items()}
        try:
            data = form.data_for_service()
        except services.FormErrors as error:
            errors.update(error.errors)
            data = None
        if not valid or data is None:  # typing errors: report the rules' messages too
            try:
                if data is not None:
                    services.validate(db.session, g.user, data)
            except services.FormErrors as error:
                for name, messages in error.errors.items():
                    errors.setdefault(name, list(messages))
            return self._render_form(form, errors, 422, kept)
        try:
            item = services.create_request(db.session, g.user, data, kept.uploads)
        except services.FormErrors as error:
            db.session.rollback()
            return self._render_form(form, error.errors, 422, kept)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return self._render_form(form, status=422, kept=kept)
        kept.done()
        flash(_("Đã gửi phiếu yêu cầu."), "success")
        return redirect(url_for(".show", request_id=item.id))

    # -- the request page
    @staticmethod
    def _dossier_url(item):
        """A link to the request's dossier for those who may see the dossier itself."""
        from werkzeug.routing import BuildError

        from app.dossiers.access import get_visible as visible_dossier

        if item.dossier_id is None or visible_dossier(db.session, g.user, item.dossier_id) \
                is None:
            return None
        try:
            return url_for("DossierWorkView.show", dossier_id=item.dossier_id)
        except BuildError:
            return None

    def _render_show(self, item, errors=None, failed_action=None, status=200, kept=None):
        errors = kept.keep(errors) if kept is not None else errors  # files chosen: kept
        actions = workflow.available_actions(g.user, item)
        return self.render_template(
            "request_forms/show.html", item=item, title=_("Phiếu yêu cầu"), kept=kept,
            actions=actions, action_form=ActionForm(), errors=errors or {},
            failed_action=failed_action, typed_note=request.form.get("note", ""),
            unit_people=services.forward_choices(db.session, item)
            if any(action == "forward" for action, _t in actions) else [],
            events=services.history(db.session, item),
            overdue=services.is_overdue(item), states=STATES,
            event_labels=workflow.EVENT_LABELS, accept_files=ACCEPT_FILES,
            dossier_url=self._dossier_url(item)), status

    @expose("/<int:request_id>")
    @has_access
    def show(self, request_id):
        return self._render_show(self._request_or_404(request_id))

    @expose("/<int:request_id>/do/<action>", methods=["POST"])
    @has_access
    def act(self, request_id, action):
        item = self._request_or_404(request_id)
        form = posted_action(action, workflow.ACTIONS, ActionForm())
        kept = KeptUploads.from_request(g.user, f"request:{item.id}",
                                        allowed=storage.ANY_DOCUMENT)  # the files of `attach`
        try:
            if kept.errors:
                raise services.FormErrors({})
            services.act(db.session, g.user, item, action, note=form.note.data,
                         assignee_id=form.assignee_id.data, uploads=kept.uploads)
        except services.FormErrors as error:
            db.session.rollback()
            item = self._request_or_404(request_id)
            return self._render_show(item, error.errors, action, 422, kept)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".show", request_id=request_id))
        kept.done()
        flash(_("Đã ghi nhận."), "success")
        return redirect(url_for(".show", request_id=request_id))

    # -- files
    @expose("/<int:request_id>/files/<int:file_id>")
    @has_access
    def download(self, request_id, file_id):
        item = self._request_or_404(request_id)
        record = or_404(next((f for f in item.files if f.id == file_id), None))
        return storage.send_stored(record, "request_form", item.id)


def register_views(appbuilder):
    """Add this domain's views and APIs to the app."""
    from app.request_forms.api import RequestFormApi

    appbuilder.add_api(RequestFormApi)
    appbuilder.add_view(RequestFormView, "RequestForms", label=_l("Phiếu yêu cầu"),
                        icon="fa-clipboard-list", category="Work",
                        category_label=_l("Hồ sơ công việc"), category_icon="fa-briefcase")
    appbuilder.add_view_no_menu(RequestFormWorkView)

