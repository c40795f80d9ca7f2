"""Web pages for work dossiers: the grid (with status lists, overdue and search), the dossier
page (details, table of contents, filing documents, close / hand over / reopen), the forms to
open and edit a dossier, the merged PDF, and the office's grid of the dossier plan."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.routing import BuildError
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.audit.version import data_version
from app.catalogs.models import Field, RetentionPeriod
from app.core.db import vi_order
from app.core.errors import DomainError
from app.core.downloads import send_download, view_requested
from app.core.forms import VietnameseDateField
from app.core.timefmt import today_local
from app.core.validation import BoundedIntegerField, form_validator
from app.core.views import (
    EofficeModelView, GridFilter, RecordGrid, VietnameseInterface, link_to, or_404,
)
from app.dossiers import services, workflow
from app.dossiers.access import get_visible, row_id, visible_dossier
from app.dossiers.models import ITEM_KINDS, STATUSES, Dossier, DossierPlanItem
from app.dossiers.pdf import dossier_pdf, pdf_filename
from app.extensions import db

# ---------------------------------------------------------------- grid

LABELS = {
    "code": _l("Số, ký hiệu hồ sơ"), "link": _l("Số, ký hiệu hồ sơ"),
    "title": _l("Tiêu đề hồ sơ"), "field": _l("Lĩnh vực"), "owner": _l("Người lập hồ sơ"),
    "department": _l("Đơn vị"), "retention": _l("Thời hạn bảo quản"),
    "start_date": _l("Ngày bắt đầu"), "end_date": _l("Ngày kết thúc"),
    "deadline": _l("Hạn hoàn thành"), "status": _l("Trạng thái"),
    "status_badge": _l("Trạng thái"), "item_count": _l("Số văn bản"), "year": _l("Năm"),
    "notes": _l("Ghi chú"), "plan_item": _l("Mục trong danh mục hồ sơ"),
}


def _status_badge(dossier):
    badge = Markup('<span class="label label-{} dossier-status">{}</span>').format(
        {"open": "info", "closed": "default", "handed_over": "success"}.get(dossier.status,
                                                                          "default"),
        dossier.status_label)
    if services.is_overdue(dossier):
        badge += Markup(' <span class="label label-danger overdue">{}</span>').format(
            _("Quá hạn"))
    return badge


# Computed columns of the grid.


def _item_count(dossier) -> int:
    """From the page's counts (DossierView.prepare_rows), else from the dossier itself."""
    counts = g.get("dossier_item_counts")
    return counts[dossier.id] if counts and dossier.id in counts else len(dossier.items)


class DossierView(RecordGrid):
    """Danh sách hồ sơ công việc (grid). Dossiers are opened and changed on their own pages."""
    page = ("DossierWorkView.show", "dossier_id")
    computed_columns = {"link": link_to(*page, "code"), "status_badge": _status_badge,
                        "item_count": _item_count}
    route_base = "/dossiers/list"
    datamodel = VietnameseInterface(Dossier)
    class_permission_name = "Dossier"
    list_template = "dossiers/list.html"
    list_title = _l("Hồ sơ công việc")
    base_filters = GridFilter.base(visible_dossier, box=services.box_condition,
                                   search=services.search_condition)
    base_order = ("start_date", "desc")
    # Its pages kept per version of the data (count, ids, the rows as drawn): every record a
    # row shows (the dossier, its owner, unit, retention, items) is audited; the overdue
    # mark follows the day, which the drawn rows' key holds.
    page_version = staticmethod(data_version)
    list_columns = ["link", "title", "owner", "department", "retention", "start_date",
                    "deadline", "item_count", "status_badge"]
    order_columns = ["start_date", "deadline", "year"]
    search_columns = ["year", "code", "title", "field", "owner", "department", "retention",
                      "start_date", "end_date", "deadline"]
    label_columns = LABELS

    def prepare_rows(self, rows):
        # the page's item counts in one statement (not every item of every dossier loaded)
        g.dossier_item_counts = services.item_counts(db.session, [r.id for r in rows])

    def grid_context(self):
        return {"boxes": services.box_counts(db.session, g.user),
                "can_open": workflow.can_create(g.user)}


# ---------------------------------------------------------------- forms

def _choices(session, model, label=str, where=None, order=None):
    query = select(model)
    if where is not None:
        query = query.where(where)
    query = query.order_by(order if order is not None else model.id)
    return [("", "")] + [(str(x.id), label(x)) for x in session.scalars(query)]


class DossierForm(FlaskForm):
    plan_item_id = SelectField(_l("Theo danh mục hồ sơ"), validators=[Optional()],
                               validate_choice=False)
    code = StringField(_l("Số, ký hiệu hồ sơ"), validators=[Optional()])
    abbreviation = StringField(_l("Ký hiệu đề mục"), validators=[Optional()])
    title = TextAreaField(_l("Tiêu đề hồ sơ"), validators=[Optional()])
    field_id = SelectField(_l("Lĩnh vực"), validators=[Optional()], validate_choice=False)
    retention_id = SelectField(_l("Thời hạn bảo quản"), validators=[Optional()],
                               validate_choice=False)
    owner_id = SelectField(_l("Người lập hồ sơ"), validators=[Optional()],
                           validate_choice=False)
    start_date = VietnameseDateField(_l("Ngày bắt đầu"), validators=[Optional()])
    end_date = VietnameseDateField(_l("Ngày kết thúc"), validators=[Optional()])
    deadline = VietnameseDateField(_l("Hạn hoàn thành"), validators=[Optional()])
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional()])

    def load_choices(self, session, user, dossier=None):
        plan = services.open_plan_items(session)
        if dossier is not None and dossier.plan_item is not None:
            plan = [dossier.plan_item]
        self.plan_item_id.choices = [("", _("Ngoài danh mục"))] + [
            (str(p.id), f"{p.code} – {p.title}") for p in plan]
        self.field_id.choices = _choices(session, Field, where=Field.active,
                                         order=vi_order(Field.name))
        self.retention_id.choices = _choices(session, RetentionPeriod)  # Vĩnh viễn first
        self.owner_id.choices = [(str(p.id), p.full_name + (
            f" – {p.department.code}" if p.department else ""))
            for p in services.assignable_owners(session, user)]
        return self

    def data_for_service(self) -> dict:
        data = {name: self[name].data for name in ("code", "abbreviation", "title",
                                                   "start_date", "end_date", "deadline",
                                                   "notes")}
        for name in ("plan_item_id", "field_id", "retention_id", "owner_id"):
            value = self[name].data
            data[name] = int(value) if value and str(value).isdecimal() else (value or None)
        return data


# ---------------------------------------------------------------- work pages

DOCUMENT_PAGES = {"incoming": ("IncomingWorkView.show", "document_id"),
                  "outgoing": ("OutgoingWorkView.show", "document_id"),
                  "draft": ("DraftWorkView.show", "draft_id")}


def _document_url(row):
    """The filed document's own page (which checks its own visibility), if there is one."""
    endpoint, argument = DOCUMENT_PAGES[row.kind]
    try:
        return url_for(endpoint, **{argument: row.item.document_id})
    except BuildError:
        return None


READ = ("show", "pdf")
WRITE = ("new", "edit", "act", "link", "unlink", "item", "move")


class DossierWorkView(BaseView):
    route_base = "/dossiers"
    class_permission_name = "Dossier"
    method_permission_name = {**{m: "read" for m in READ}, **{m: "write" for m in WRITE}}
    default_view = "new"

    def _dossier_or_404(self, dossier_id):
        return or_404(get_visible(db.session, g.user, dossier_id))

    def _render_form(self, form, dossier=None, errors=None):
        title = _("Sửa hồ sơ %(code)s", code=dossier.code) if dossier else _("Mở hồ sơ công việc")
        return self.render_template("dossiers/form.html", form=form, dossier=dossier,
                                    errors=errors or {}, title=title)

    def _save(self, form, dossier=None):
        """Typing errors (a wrong date) and the rules' messages together, in one round;
        (dossier, None) when saved, else (None, errors)."""
        form.validate()  # only typing errors: every other rule is the service's
        errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        data = form.data_for_service()
        for name in errors:
            data.pop(name, None)
        try:
            if errors:  # collect the other messages too, then show them all
                services.validate(db.session, g.user, data, dossier=dossier)
                raise services.FormErrors({})
            if dossier is None:
                return services.open_dossier(db.session, g.user, data), None
            return services.update_dossier(db.session, g.user, dossier, data), None
        except services.FormErrors as error:
            db.session.rollback()
            for name, messages in error.errors.items():
                errors.setdefault(name, [str(m) for m in messages])
            return None, errors
        except DomainError as error:
            db.session.rollback()
            return None, {**errors, "_": [str(error)]}

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = DossierForm().load_choices(db.session, g.user)
        if request.method == "GET":
            form.owner_id.data = str(g.user.id)
            form.start_date.data = today_local()
            plan_id = row_id(request.args.get("plan_item_id"))
            plan = db.session.get(DossierPlanItem, plan_id) if plan_id else None
            if plan is not None:
                form.plan_item_id.data = str(plan.id)
                form.code.data, form.title.data = plan.code, plan.title
                form.retention_id.data = str(plan.retention_id)
            return self._render_form(form)
        dossier, errors = self._save(form)
        if dossier is None:
            return self._render_form(form, errors=errors), 422
        flash(_("Đã mở hồ sơ %(code)s.", code=dossier.code), "success")
        return redirect(url_for(".show", dossier_id=dossier.id))

    @expose("/<int:dossier_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, dossier_id):
        dossier = self._dossier_or_404(dossier_id)
        if not workflow.can_edit(g.user, dossier):
            flash(str(services.CLOSED_MESSAGE if not dossier.is_open else
                      _("Chỉ người lập hồ sơ, lãnh đạo đơn vị của hồ sơ hoặc lãnh đạo văn "
                        "phòng được thay đổi hồ sơ này.")), "danger")
            return redirect(url_for(".show", dossier_id=dossier.id))
        form = DossierForm(obj=None if request.method == "POST" else dossier)
        form.load_choices(db.session, g.user, dossier)
        if request.method == "GET":
            for name in ("plan_item_id", "field_id", "retention_id", "owner_id"):
                value = getattr(dossier, name)
                form[name].data = str(value) if value else ""
            if dossier.owner_id not in [int(v) for v, _label in form.owner_id.choices]:
                form.owner_id.choices.insert(0, (str(dossier.owner_id),
                                                 dossier.owner.full_name))
            return self._render_form(form, dossier)
        saved, errors = self._save(form, dossier)
        if saved is None:
            return self._render_form(form, dossier, errors=errors), 422
        flash(_("Đã cập nhật hồ sơ."), "success")
        return redirect(url_for(".show", dossier_id=dossier.id))

    @expose("/<int:dossier_id>")
    @has_access
    def show(self, dossier_id):
        dossier = self._dossier_or_404(dossier_id)
        editable = workflow.can_edit(g.user, dossier)
        q = request.args.get("q", "")
        kind = request.args.get("kind", "")
        candidates = services.find_documents(
            db.session, g.user, dossier, q, limit=15 if q else 5,
            kinds=[kind] if kind in ITEM_KINDS else None) if editable else []
        rows = services.toc_rows(db.session, g.user, dossier)
        links = {row.item.id: _document_url(row) for row in rows if row.visible}
        return self.render_template(
            "dossiers/show.html", dossier=dossier, title=_("Hồ sơ công việc"), rows=rows,
            actions=workflow.dossier_actions(g.user, dossier), editable=editable,
            candidates=candidates, q=q, kind=kind, kinds=ITEM_KINDS, links=links, statuses=STATUSES,
            overdue=services.is_overdue(dossier), event_labels=workflow.EVENT_LABELS,
            events=services.history(db.session, dossier),
            page_total=sum(r.page_count or 0 for r in rows if r.visible))

    def _back(self, dossier_id, anchor=""):
        return redirect(url_for(".show", dossier_id=dossier_id) + anchor)

    def _run(self, dossier_id, work, done=None, anchor=""):
        """Run a service on a visible dossier; its message goes to the page either way."""
        dossier = self._dossier_or_404(dossier_id)
        try:
            work(dossier)
        except services.FormErrors as error:
            db.session.rollback()
            for messages in error.errors.values():
                for message in messages:
                    flash(str(message), "danger")
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            flash(done or _("Đã ghi nhận."), "success")
        return self._back(dossier_id, anchor)

    @expose("/<int:dossier_id>/do/<action>", methods=["POST"])
    @has_access
    def act(self, dossier_id, action):
        if action not in {a for _s, a in workflow.TRANSITIONS}:
            abort(404)
        messages = {"close": _("Đã đóng hồ sơ."),
                    "handover": _("Đã ghi nhận hồ sơ nộp lưu vào lưu trữ cơ quan."),
                    "reopen": _("Đã mở lại hồ sơ.")}
        return self._run(dossier_id, lambda d: services.apply_action(
            db.session, g.user, d, action, request.form.get("note")), messages[action])

    @expose("/<int:dossier_id>/items", methods=["POST"])
    @has_access
    def link(self, dossier_id):
        return self._run(dossier_id, lambda d: services.link_document(
            db.session, g.user, d, request.form.get("kind"), request.form.get("document_id"),
            request.form.get("sheets"), request.form.get("notes")),
            _("Đã thêm văn bản vào hồ sơ."), "#toc")

    @expose("/<int:dossier_id>/items/<int:item_id>/remove", methods=["POST"])
    @has_access
    def unlink(self, dossier_id, item_id):
        return self._run(dossier_id, lambda d: services.unlink_document(
            db.session, g.user, d, item_id), _("Đã bỏ văn bản khỏi hồ sơ."), "#toc")

    @expose("/<int:dossier_id>/items/<int:item_id>", methods=["POST"])
    @has_access
    def item(self, dossier_id, item_id):
        return self._run(dossier_id, lambda d: services.update_item(
            db.session, g.user, d, item_id, sheets=request.form.get("sheets"),
            notes=request.form.get("notes"), position=request.form.get("position")),
            _("Đã cập nhật."), "#toc")

    @expose("/<int:dossier_id>/items/<int:item_id>/move/<direction>", methods=["POST"])
    @has_access
    def move(self, dossier_id, item_id, direction):
        if direction not in ("up", "down"):
            abort(404)
        return self._run(dossier_id, lambda d: services.move_item(
            db.session, g.user, d, item_id, direction), _("Đã đổi thứ tự."), "#toc")

    @expose("/<int:dossier_id>/pdf")
    @has_access
    def pdf(self, dossier_id):
        dossier = self._dossier_or_404(dossier_id)
        data, _contents_pages = dossier_pdf(db.session, g.user, dossier)
        return send_download(data=data, filename=pdf_filename(dossier),
                             mimetype="application/pdf", object_type="dossier",
                             object_id=dossier.id, view=view_requested())  # ?view=1: the viewer


# ---------------------------------------------------------------- the dossier plan

def _check_year(value):
    if value is not None and not 2000 <= value <= 2100:
        return _l("Năm không hợp lệ.")
    return None


def _plan_action(item):
    """The dossier opened from this line (a link when the reader may see it), else a button
    to open it. The page's dossiers are read at once (DossierPlanView.prepare_rows)."""
    opened = g.get("plan_dossiers")
    opened = opened.get(item.id, []) if opened is not None else services.plan_dossiers(
        db.session, g.user, [item.id]).get(item.id, [])
    if opened:
        parts = []
        for dossier_id, code, visible in opened:
            if visible:
                parts.append(Markup('<a href="{}">{}</a>').format(
                    url_for("DossierWorkView.show", dossier_id=dossier_id), code))
            else:
                parts.append(Markup("{}").format(code))
        return Markup(", ").join(parts)
    return Markup('<a class="btn btn-xs btn-primary" href="{}">{}</a>').format(
        url_for("DossierWorkView.new", plan_item_id=item.id), _("Mở hồ sơ"))


class DossierPlanView(EofficeModelView):
    """Danh mục hồ sơ: the year's planned dossiers, kept by the office."""
    computed_columns = {"opened": _plan_action}
    route_base = "/dossierplan"
    datamodel = VietnameseInterface(DossierPlanItem)
    class_permission_name = "DossierPlan"
    include_route_methods = {"list", "show", "add", "edit", "delete"}
    list_title = show_title = _l("Danh mục hồ sơ")
    add_title = _l("Thêm mục vào danh mục hồ sơ")
    edit_title = _l("Sửa mục trong danh mục hồ sơ")
    list_columns = ["year", "code", "heading", "title", "retention", "creator_department",
                    "opened"]
    add_columns = edit_columns = show_columns = ["year", "code", "heading", "title",
                                                 "retention", "creator_department", "notes"]
    search_columns = ["year", "code", "heading", "title", "retention", "creator_department"]
    order_columns = ["year", "code", "title"]
    base_order = ("heading", "asc")
    add_form_extra_fields = {"year": BoundedIntegerField(
        _l("Năm"), default=lambda: today_local().year, validators=[Optional()])}
    label_columns = {"year": _l("Năm"), "code": _l("Số, ký hiệu hồ sơ"),
                     "heading": _l("Đề mục"), "title": _l("Tiêu đề hồ sơ"),
                     "retention": _l("Thời hạn bảo quản"),
                     "creator_department": _l("Đơn vị lập hồ sơ"), "notes": _l("Ghi chú"),
                     "opened": _l("Hồ sơ")}
    description_columns = {"code": _l("Số thứ tự và ký hiệu đề mục, ví dụ 01.TCCB."),
                           "heading": _l("Ví dụ: I. Tổ chức, cán bộ")}
    validators_columns = {"code": [form_validator(services.check_code)],
                          "year": [form_validator(_check_year)],
                          "title": [form_validator(services.check_plan_title)]}

    def prepare_rows(self, rows):
        # the dossiers opened from the page's lines, and which the reader may see: one statement
        g.plan_dossiers = services.plan_dossiers(db.session, g.user, [r.id for r in rows])

    def _prepare(self, item):
        services.prepare_plan_item(item)

    def pre_add(self, item):
        self._prepare(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._prepare(item)
        super().pre_update(item)


def register_views(appbuilder):
    """Add this domain's views and APIs to the app."""
    from app.dossiers.api import DossierApi, DossierPlanApi

    appbuilder.add_api(DossierApi)
    appbuilder.add_api(DossierPlanApi)
    appbuilder.add_view(DossierView, "Dossiers", label=_l("Hồ sơ công việc"),
                        icon="fa-folder", category="Work",
                        category_label=_l("Hồ sơ công việc"), category_icon="fa-briefcase")
    appbuilder.add_view(DossierPlanView, "DossierPlans", label=_l("Danh mục hồ sơ"),
                        icon="fa-list-ol", category="Work")
    appbuilder.add_view_no_menu(DossierWorkView)
