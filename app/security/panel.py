"""The permission matrix (Phân quyền theo chức năng): roles as columns, the functions of
app.security.functions as rows grouped by module; the built-in roles read-only (their source is
app.security.roles), the others ticked here, previewed, then saved; a new role, empty or copied
from another; what one person may do (the union of their roles)."""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.numbers import int_or_none, row_id
from app.core.views import method_permissions
from app.security import permissions as service
from app.security.functions import FUNCTIONS, MODULES


def _session():
    from app.extensions import db

    return db.session


def _wanted(form) -> dict[int, set[str]]:
    """{role id: ticked function keys} of the custom roles the form carries (`role` lists
    them, so that a role with nothing ticked is not mistaken for one not shown)."""
    wanted = {}
    for value in form.getlist("role"):
        role_id = int_or_none(value)
        if role_id is None:
            raise DomainError(_l("Dữ liệu gửi lên không hợp lệ; hãy tải lại trang."))
        wanted[role_id] = set(form.getlist(f"f{role_id}"))
    return wanted


class PermissionMatrixView(BaseView):
    route_base = "/rights"
    class_permission_name = "PermissionMatrix"
    method_permission_name = method_permissions(read=("matrix", "person"),
                                                write=("preview", "save", "new_role"))
    default_view = "matrix"

    def _render_matrix(self, changes=None, wanted=None, error=None, status=200):
        session = _session()
        columns = service.columns(session)
        if wanted is not None:  # back from a preview or an error: what was ticked
            for column in columns:
                if column.role.id in wanted and not column.builtin:
                    column.keys = wanted[column.role.id]
        from app.org.models import EofficeUser

        people = session.scalars(select(EofficeUser).where(EofficeUser.active.is_(True))
                                 .order_by(EofficeUser.username)).all()
        return self.render_template(
            "security/matrix.html", title=_("Phân quyền theo chức năng"), columns=columns,
            modules=[(module, [f for f in FUNCTIONS if f.module is module])
                     for module in MODULES],
            changes=changes, error=error, form=FlaskForm(), people=people,
            digest=request.form.get("digest") if changes is not None
            else service.digest(columns)), status

    @expose("/")
    @has_access
    def matrix(self):
        return self._render_matrix()

    @expose("/preview", methods=["POST"])
    @has_access
    def preview(self):
        """What the ticks change, role by role, before anything is saved."""
        if not FlaskForm().validate_on_submit():
            return self._render_matrix(error=_("Phiên làm việc đã hết hạn; hãy thử lại."),
                                       status=400)
        try:
            wanted = _wanted(request.form)
            changes = service.preview(_session(), wanted)
        except DomainError as error:
            return self._render_matrix(error=str(error), status=422)
        if not changes:
            flash(_("Không có thay đổi nào."), "info")
            return redirect(url_for(".matrix"))
        return self._render_matrix(changes=changes, wanted=wanted)

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        if not FlaskForm().validate_on_submit():
            return self._render_matrix(error=_("Phiên làm việc đã hết hạn; hãy thử lại."),
                                       status=400)
        try:
            wanted = _wanted(request.form)
            changes = service.save(_session(), current_app.appbuilder, wanted,
                                   request.form.get("digest", ""))
        except DomainError as error:
            return self._render_matrix(error=str(error), status=422)
        flash(_("Đã lưu phân quyền của %(roles)s.",
                roles=", ".join(change.role.name for change in changes)), "success")
        return redirect(url_for(".matrix"))

    @expose("/roles", methods=["POST"])
    @has_access
    def new_role(self):
        if not FlaskForm().validate_on_submit():
            return self._render_matrix(error=_("Phiên làm việc đã hết hạn; hãy thử lại."),
                                       status=400)
        try:
            role = service.create_role(_session(), current_app.appbuilder,
                                       request.form.get("name", ""),
                                       int_or_none(request.form.get("copy_from")))
        except DomainError as error:
            return self._render_matrix(error=str(error), status=422)
        flash(_("Đã tạo vai trò %(name)s. Đánh dấu các chức năng của vai trò trong cột của "
                "nó rồi bấm “Xem trước thay đổi”.", name=role.name), "success")
        return redirect(url_for(".matrix"))

    @expose("/person")
    @expose("/person/<int:user_id>")
    @has_access
    def person(self, user_id=None):
        """Người này được làm gì: the union of the person's roles, function by function."""
        from app.org.models import EofficeUser

        if user_id is None:
            user_id = int_or_none(request.args.get("user"))
            if user_id is None:
                return redirect(url_for(".matrix"))
            return redirect(url_for(".person", user_id=user_id))
        session = _session()
        person = session.get(EofficeUser, user_id) if row_id(user_id) else None
        if person is None:
            abort(404)
        given = service.person_functions(session, person)
        return self.render_template(
            "security/person.html", title=_("Quyền của %(name)s", name=person.username),
            person=person, sources=service.role_sources(person),
            modules=[(module, [g for g in given if g.function.module is module])
                                    for module in MODULES])


def register_views(appbuilder):
    from app.security.certificate_views import register_views as certificates
    from app.security.delegation_views import register_views as delegations
    from app.security.signature_api import register_views as signature_views

    delegations(appbuilder)  # Ủy quyền (a menu entry under Documents)
    certificates(appbuilder)  # Chứng thư số: trust anchors, people's certificates
    signature_views(appbuilder)  # Chữ ký số: verify, stored results, check again (REST)
    appbuilder.add_view(PermissionMatrixView, "PermissionMatrix",
                        label=_l("Phân quyền theo chức năng"), icon="fa-table-cells",
                        category="Security")
