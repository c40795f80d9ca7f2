"""FAB's security pages (roles, groups and the raw permission lists) in plain Vietnamese: the
permissions and the views read through app.security.labels, never as FAB's names. Each class
keeps the class_permission_name of the FAB view it extends (app.security.roles grants on those
names)."""
from flask import current_app, g, redirect, request
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security.views import (
    PermissionModelView, PermissionViewModelView, RoleModelView, UserGroupModelView,
    ViewMenuModelView,
)
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.core.views import Formatters
from app.security import roles as r
from app.security.access import role_names
from app.security.permissions import group_duties_problem, role_page_problem
from app.security.labels import (
    permission_label, permission_view_label, permission_view_sort_key, resource_label,
)


def person_label(user):
    """A person in a dropdown, family name first (FAB's own User reads 'Hùng Nguyễn Văn')."""
    return f"{user.last_name or ''} {user.first_name or ''}".strip() or user.username


def not_public():
    """FAB's role of anonymous visitors: never a person's nor a group's (app.security.roles
    keeps it without permissions)."""
    return [["name", FilterNotEqual, current_app.appbuilder.sm.auth_role_public]]


def relabel(form_classes, column, get_label=None, sort_key=None, blank_text=None):
    """Give a generated form's related field its Vietnamese option labels (FAB builds the
    QuerySelect fields with the row's repr as label and '__None' as the blank choice)."""
    for form in form_classes:
        field = getattr(form, column, None) if form is not None else None
        if field is None or not hasattr(field, "kwargs"):
            continue
        if get_label is not None:
            field.kwargs["get_label"] = get_label
        if sort_key is not None and "query_func" in field.kwargs:
            query = field.kwargs["query_func"]
            field.kwargs["query_func"] = lambda query=query: sorted(query(), key=sort_key)
        if blank_text is not None:
            field.kwargs["blank_text"] = blank_text


def permissions_cell(permissions):
    """A role's permissions in a list: how many, the labels folded under it."""
    labels = [permission_view_label(pv) for pv in sorted(permissions, key=permission_view_sort_key)]
    if not labels:
        return _("(chưa có quyền nào)")
    return Markup("<details><summary>{}</summary>{}</details>").format(
        _("%(count)s quyền", count=len(labels)),
        Markup("<br>").join(labels))


def permissions_lines(permissions):
    """A role's permissions on its page: one a line, grouped by function."""
    labels = [permission_view_label(pv) for pv in sorted(permissions, key=permission_view_sort_key)]
    return "\n".join(labels) if labels else _("(chưa có quyền nào)")


class PlainListWidget(ListWidget):
    """FAB's list (with our formatters) instead of FAB's role list, which prints the raw
    values."""
    template = "appbuilder/general/widgets/list.html"


class PlainShowWidget(ShowWidget):
    template = "appbuilder/general/widgets/show.html"


class EofficeRoleView(RoleModelView):
    class_permission_name = "RoleModelView"
    list_title = _l("Danh sách vai trò")
    show_title = _l("Xem vai trò")
    add_title = _l("Thêm vai trò")
    edit_title = _l("Sửa vai trò")
    list_widget = PlainListWidget
    show_widget = PlainShowWidget
    label_columns = {"name": _l("Tên vai trò"), "permissions": _l("Quyền"),
                     "user": _l("Người dùng"), "groups": _l("Nhóm")}
    description_columns = {"permissions": _l(
        "Chọn các quyền của vai trò. Vai trò theo quy chế không sửa được ở đây; để phân quyền "
        "theo chức năng, dùng trang Phân quyền theo chức năng.")}
    search_columns = ["name", "permissions", "user"]
    base_filters = None  # set in __init__: the Public role is not listed
    exclude_route_methods = {"download"}  # FAB's file route; roles have no files

    def __init__(self, **kwargs):
        self.base_filters = not_public()
        self.formatters_columns = Formatters({"permissions": permissions_cell})
        super().__init__(**kwargs)
        self.show_formatters = Formatters({"permissions": permissions_lines})
        relabel([self.add_form, self.edit_form, self.search_form], "permissions",
                get_label=permission_view_label, sort_key=permission_view_sort_key)
        relabel([self.search_form], "user", get_label=person_label)

    def _get_show_widget(self, pk, item, **kwargs):
        widgets = super()._get_show_widget(pk, item, **kwargs)
        widgets["show"].template_args["formatters_columns"] = self.show_formatters
        return widgets

    @action("copyrole", _l("Sao chép vai trò"), _l("Sao chép các vai trò đã chọn?"),
            icon="fa-copy", single=False)
    def copy_role(self, items):
        self.update_redirect()
        for item in items:
            copy = item.__class__()
            copy.name = _("%(name)s (bản sao)", name=item.name)[:64]
            copy.permissions = list(item.permissions)
            self.datamodel.add(copy)
        return redirect(self.get_redirect())

    def process_form(self, form, is_created):
        """Before the form fills the role: its name and permissions as they are."""
        g.role_before = None
        pk = request.view_args.get("pk") if request.view_args and not is_created else None
        role = self.datamodel.get(pk) if pk is not None else None
        if role is not None:
            g.role_before = (role.name, {pv.id for pv in role.permissions})
        super().process_form(form, is_created)

    def pre_add(self, item):
        self._check(item, None)

    def pre_update(self, item):
        self._check(item, g.get("role_before"))

    def _check(self, role, before):
        """The regulation's roles are kept as it says; no one changes the permissions of a
        role he holds; no role, nor any account holding it, gets both the security panel's
        functions and a document function (Art. 10.1a) — refused, nothing saved."""
        session = self.datamodel.session
        with session.no_autoflush:
            message = role_page_problem(session, role, before, getattr(g, "user", None))
        if message:
            session.rollback()
            raise ValueError(message)

    def pre_delete(self, item):
        if item.name in r.ROLES:
            self.update_redirect()
            raise ValueError(_("Vai trò %(name)s do quy chế quy định, không xóa được.",
                               name=item.name))
        if item.user:
            self.update_redirect()
            raise ValueError(_("Vai trò đang có người dùng, không thể xóa."))


class EofficeGroupView(UserGroupModelView):
    class_permission_name = "UserGroupModelView"
    list_title = _l("Danh sách nhóm người dùng")
    show_title = _l("Xem nhóm người dùng")
    add_title = _l("Thêm nhóm người dùng")
    edit_title = _l("Sửa nhóm người dùng")
    label_columns = {"name": _l("Tên nhóm"), "label": _l("Tên hiển thị"),
                     "description": _l("Mô tả"), "users": _l("Thành viên"),
                     "roles": _l("Vai trò")}
    description_columns = {
        "name": _l("Tên ngắn gọn, không trùng với nhóm khác."),
        "users": _l("Mỗi thành viên có thêm các vai trò của nhóm."),
    }
    search_columns = ["name", "label", "description", "users", "roles"]
    exclude_route_methods = {"download"}  # FAB's file route; groups have no files

    def __init__(self, **kwargs):
        self.add_form_query_rel_fields = self.edit_form_query_rel_fields = \
            self.search_form_query_rel_fields = {"roles": not_public()}
        self.formatters_columns = Formatters({
            "users": lambda users: ", ".join(person_label(u) for u in users or []),
        })
        super().__init__(**kwargs)
        relabel([self.add_form, self.edit_form, self.search_form], "users",
                get_label=person_label)

    def process_form(self, form, is_created):
        """Before the form fills the group: the administrator's own roles as they are, for
        the check that no one changes their own roles (through a group either)."""
        me = getattr(g, "user", None)
        g.my_roles_before = role_names(me) if me is not None else set()
        super().process_form(form, is_created)

    def pre_add(self, item):
        self._check_duties(item)

    def pre_update(self, item):
        self._check_duties(item)

    def _check_duties(self, group):
        """Art. 10.1a: a group's roles are its members', so the rules on a person's roles
        hold here too — an administrator does not change his own roles, and no account
        becomes both administrator and clerk or leader (refused, nothing saved)."""
        me = getattr(g, "user", None)
        with self.datamodel.session.no_autoflush:  # nothing is saved before the checks
            if me is not None and g.get("my_roles_before") is not None and \
                    self._my_roles_after(me, group) != g.my_roles_before:
                message = _("Bạn không thể tự thay đổi vai trò của chính mình: nhờ một quản "
                            "trị mạng khác.")
            else:
                message = group_duties_problem(group)
        if message:
            self.datamodel.session.rollback()
            raise ValueError(message)

    @staticmethod
    def _my_roles_after(me, group):
        """The names of my roles if the group were saved as the form has it (the form's
        members are other records than the logged-in person's own)."""
        member = me.id in {user.id for user in group.users}
        others = [other for other in me.groups if other.id is None or other.id != group.id]
        return {role.name for role in me.roles} | \
            {role.name for other in others for role in other.roles} | \
            ({role.name for role in group.roles} if member else set())

    def pre_delete(self, item):
        if item.users:
            self.update_redirect()
            raise ValueError(_("Nhóm đang có thành viên, không thể xóa."))


class _RawList:
    """One of FAB's raw permission lists: its list title on all its pages, the columns of
    `formatters` read through app.security.labels."""
    formatters = {}

    def __init__(self, **kwargs):
        self.show_title = self.add_title = self.edit_title = self.list_title
        self.formatters_columns = Formatters(self.formatters)
        super().__init__(**kwargs)


class EofficePermissionView(_RawList, PermissionModelView):
    class_permission_name = "PermissionModelView"
    list_title = _l("Các loại quyền")
    label_columns = {"name": _l("Quyền")}
    formatters = {"name": permission_label}


class EofficeViewMenuView(_RawList, ViewMenuModelView):
    class_permission_name = "ViewMenuModelView"
    list_title = _l("Chức năng và menu")
    label_columns = {"name": _l("Chức năng / menu")}
    formatters = {"name": resource_label}


class EofficePermissionViewView(_RawList, PermissionViewModelView):
    class_permission_name = "PermissionViewModelView"
    list_title = _l("Quyền trên từng chức năng")
    label_columns = {"permission": _l("Quyền"), "view_menu": _l("Chức năng / menu"),
                     "role": _l("Vai trò")}
    search_columns = ["permission", "view_menu", "role"]
    formatters = {"permission": permission_label, "view_menu": resource_label}

    def __init__(self, **kwargs):
        self.search_form_query_rel_fields = {"role": not_public()}
        super().__init__(**kwargs)
        relabel([self.search_form], "permission", get_label=permission_label)
        relabel([self.search_form], "view_menu", get_label=resource_label)
