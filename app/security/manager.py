"""The security manager: FAB's, with our user model and the profile in the security panel."""
from flask import (abort, current_app, flash, g, has_app_context, has_request_context, redirect,
                   request, url_for)
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import Group
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash
from wtforms import StringField

from app.audit.services import record
from app.core import request_facts, search
from app.core.search import folded_contains
from app.core.timefmt import utcnow
from app.core.validation import form_validator
from app.core.views import Formatters
from app.org.models import EofficeUser
from app.security import accounts, sessions, twofactor
from app.security.access import (
    named_role_pairs, permission_version_column, permission_version_known, permissions_of,
    remember_permission_version, role_names, roles_of,
)
from app.security.permissions import account_duties_problem
from app.security.api import EofficeSecurityApi
from app.security.fab_views import (
    EofficeGroupView, EofficePermissionView, EofficePermissionViewView, EofficeRoleView,
    EofficeViewMenuView, relabel,
)
from app.security.views import AccountView, EofficeAuthDBView, EofficeResetMyPasswordView

PROFILE_COLUMNS = ["department", "position", "fields", "phone"]
PROFILE_LABELS = {
    "first_name": _l("Tên"),
    "last_name": _l("Họ và tên đệm"),
    "full_name": _l("Họ và tên"),
    "department": _l("Đơn vị"),
    "position": _l("Chức vụ"),
    "fields": _l("Lĩnh vực phụ trách"),
    "phone": _l("Điện thoại"),
    "account_status": _l("Tình trạng tài khoản"),
    "two_factor_status": _l("Xác thực hai bước"),
}
# Every column FAB labels in English (UserModelView.label_columns, and what it would make up
# from the model's other columns for a search filter).
ACCOUNT_LABELS = {
    "get_full_name": _l("Họ và tên"),
    "username": _l("Tên đăng nhập"),
    "password": _l("Mật khẩu"),
    "conf_password": _l("Nhập lại mật khẩu"),
    "active": _l("Đang hoạt động"),
    "email": _l("Thư điện tử"),
    "roles": _l("Vai trò"),
    "groups": _l("Nhóm"),
    "last_login": _l("Lần đăng nhập cuối"),
    "login_count": _l("Số lần đăng nhập"),
    "fail_login_count": _l("Số lần đăng nhập sai"),
    "created_on": _l("Ngày tạo"),
    "created_by": _l("Người tạo"),
    "changed_on": _l("Ngày sửa"),
    "changed_by": _l("Người sửa"),
    "locked_until": _l("Khóa đến"),
    "compromised_at": _l("Báo lộ mật khẩu lúc"),
    "must_change_password": _l("Phải đổi mật khẩu"),
    "session_version": _l("Phiên bản phiên đăng nhập"),
    "otp_secret": _l("Khóa xác thực hai bước"),
    "otp_last_step": _l("Mã xác thực dùng lần cuối"),
}
# FAB's descriptions speak of LDAP and OID logins this application does not have.
ACCOUNT_DESCRIPTIONS = {
    "first_name": _l("Tên gọi, ví dụ: Lan."),
    "last_name": _l("Họ và tên đệm, ví dụ: Đỗ Thị."),
    "username": _l("Tên dùng để đăng nhập; không trùng với người khác."),
    "password": _l("Mật khẩu tạm thời: người dùng phải đổi ở lần đăng nhập đầu tiên."),
    "conf_password": _l("Nhập lại mật khẩu để xác nhận."),
    "active": _l("Bỏ chọn để vô hiệu hóa tài khoản: người đó không đăng nhập được nữa, "
                 "nhưng hồ sơ, văn bản và nhật ký vẫn giữ tên của họ."),
    "email": _l("Địa chỉ thư điện tử công vụ của người dùng."),
    "roles": _l("Vai trò quyết định những việc người dùng được làm."),
    "groups": _l("Người dùng có thêm các vai trò của nhóm."),
}
ACCOUNT_COLUMNS = ["last_name", "first_name", "username", "active", "email", "roles"]


class UserListWidget(ListWidget):
    """FAB's list with "Vô hiệu hóa" / "Kích hoạt lại" on each row."""
    template = "security/user_list.html"


class FilterFoldedName(BaseFilter):
    """The user list's search on a person's name, without accents or case: 'do thi lan' and
    'Lan' find Đỗ Thị Lan (app.core.search.folded_contains, the catalogs' search)."""
    name = _l("Chứa (không phân biệt dấu)")
    arg_name = "name_folded"

    def apply(self, query, value):
        if not (value or "").strip():
            return query
        return query.filter(folded_contains(query.session, EofficeUser,
                                            ["last_name", "first_name"], value))


class UserFilterConverter(search.EscapedFilterConverter):
    def convert(self, col_name):
        if col_name == "full_name":
            return [FilterFoldedName(col_name, self.datamodel)]
        return super().convert(col_name)


class UserInterface(SQLAInterface):
    """The users' datamodel: FAB's, with "full_name" searchable (FilterFoldedName)."""
    filter_converter_class = UserFilterConverter

    def get_filters(self, search_columns=None, search_filters=None):
        filters = super().get_filters(search_columns, search_filters)
        # FAB finds a filter from the address among the model's columns (_all_filters)
        filters._all_filters = {**filters._all_filters,
                                "full_name": self.filter_converter_class(self).convert(
                                    "full_name")}
        return filters

    def query(self, *args, **kwargs):
        """FAB's page of users, and their roles (a column of the list) read for the whole page
        in one statement, not one per person. (FAB makes the related fields' datamodels of the
        same class: roles' own has no roles.)"""
        from sqlalchemy.orm import selectinload

        count, items = super().query(*args, **kwargs)
        ids = [item.id for item in items]
        if ids and self.obj is EofficeUser:
            self.session.query(self.obj).filter(self.obj.id.in_(ids)).options(
                selectinload(self.obj.roles)).all()
        return count, items


class EofficeUserView(UserDBModelView):
    """Users in the security panel, with department, position, fields and phone. An account
    is disabled, never deleted: the audit trail and the documents name the people."""
    list_title = _l("Danh sách người dùng")
    show_title = _l("Xem người dùng")
    add_title = _l("Thêm người dùng")
    edit_title = _l("Sửa người dùng")
    user_info_title = _l("Thông tin tài khoản của bạn")
    label_columns = {**UserDBModelView.label_columns, **ACCOUNT_LABELS, **PROFILE_LABELS}
    description_columns = ACCOUNT_DESCRIPTIONS
    list_columns = ["full_name", "username", "department", "position", "roles", "active",
                    "account_status"]
    order_columns = ["username", "active"]
    search_columns = ["full_name", "first_name", "last_name", "username", "email", "active",
                      "roles", "department", "position", "fields", "last_login"]
    search_form_extra_fields = {"full_name": StringField(_l("Họ và tên"))}
    add_columns = ACCOUNT_COLUMNS + PROFILE_COLUMNS + ["password", "conf_password"]
    edit_columns = ACCOUNT_COLUMNS + PROFILE_COLUMNS
    show_fieldsets = [
        (_l("Tài khoản"), {"fields": ["username", "active", "roles", "login_count",
                                      "two_factor_status"]}),
        (_l("Thông tin cá nhân"), {"fields": ["last_name", "first_name", "email", "phone"],
                                   "expanded": True}),
        (_l("Công tác"), {"fields": PROFILE_COLUMNS[:3], "expanded": True}),
        (_l("Theo dõi"), {"fields": ["last_login", "fail_login_count", "created_on",
                                     "created_by", "changed_on", "changed_by"],
                          "expanded": False}),
    ]
    user_show_fieldsets = show_fieldsets[:3]
    show_template = "security/user_show.html"
    list_widget = UserListWidget
    base_order = ("username", "asc")
    # FAB's file route (users have no files) and delete: an account is disabled instead
    # (deactivate, activate below), the people stay in the audit trail and the documents.
    exclude_route_methods = {"download", "delete"}
    # Disabling and enabling an account is editing it (can_edit).
    method_permission_name = {"deactivate": "edit", "activate": "edit"}
    # FAB's roles_or_groups_required reads a "groups" field this form has not: a 500 when no
    # role is chosen (found by tests/test_overflow_sweep.py).
    validators_columns = {"roles": [form_validator(
        lambda roles: None if roles else _l("Chọn ít nhất một vai trò."))]}
    # Public is the role of anonymous visitors, never of a person.
    add_form_query_rel_fields = edit_form_query_rel_fields = search_form_query_rel_fields = {
        "roles": [["name", FilterNotEqual, "Public"]],
    }

    def __init__(self, **kwargs):
        self.formatters_columns = Formatters()
        super().__init__(**kwargs)
        relabel([self.add_form, self.edit_form], "department",
                blank_text=_l("— Chọn đơn vị —"))
        relabel([self.add_form, self.edit_form], "position",
                blank_text=_l("— Chọn chức vụ —"))
        relabel([self.search_form], "department", blank_text=_l("— Chọn đơn vị —"))
        relabel([self.search_form], "position", blank_text=_l("— Chọn chức vụ —"))

    def _get_show_widget(self, pk, item, **kwargs):
        # The page offers "Mở khóa" while the account is locked after failed logins.
        g.shown_user = item  # "Vô hiệu hóa" or "Kích hoạt lại" (security/user_show.html)
        g.shown_locked_until = item.locked_until if item is not None and item.locked_until \
            and item.locked_until > utcnow() else None
        return super()._get_show_widget(pk, item, **kwargs)

    def process_form(self, form, is_created):
        """Before FAB fills the record from the form (its lazy loads flush the new roles
        early): the person's roles as they are, for the separation-of-duties check."""
        if not is_created:
            pk = request.view_args.get("pk") if request.view_args else None
            user = self.datamodel.get(pk) if pk is not None else None
            if user is not None:
                g.roles_before = role_names(user)
        super().process_form(form, is_created)

    def pre_add(self, item):
        check_separation_of_duties(self.datamodel.session, item)
        super().pre_add(item)  # FAB hashes the password here

    def pre_update(self, item):
        check_separation_of_duties(self.datamodel.session, item)
        super().pre_update(item)

    def post_add(self, item):
        """A new account's first password is temporary (Art. 3)."""
        item.must_change_password = True
        self.datamodel.session.commit()

    @expose("/reset2fa/<int:pk>", methods=["POST"])
    @has_access
    def reset_two_factor(self, pk):
        """Recovery when a phone is lost: the person logs in with the password alone and
        enables two-factor login again (recorded in the audit trail)."""
        user = self.datamodel.get(pk, self._base_filters)
        if user is None:
            abort(404)
        if twofactor.is_enabled(user):
            twofactor.disable(self.datamodel.session, user, action="2fa_reset")
            flash(_("Đã đặt lại xác thực hai bước của %(name)s.", name=user.username), "info")
        else:
            flash(_("%(name)s chưa bật xác thực hai bước.", name=user.username), "info")
        return redirect(url_for(".show", pk=pk))

    @expose("/deactivate/<int:pk>", methods=["POST"])
    @has_access
    def deactivate(self, pk):
        """Disable an account instead of deleting it: the person cannot log in (web and API)
        and their open sessions end; the change of `active` is in the audit trail."""
        return self._set_active(pk, False)

    @expose("/activate/<int:pk>", methods=["POST"])
    @has_access
    def activate(self, pk):
        """Enable a disabled account again."""
        return self._set_active(pk, True)

    def _set_active(self, pk, active):
        user = self.datamodel.get(pk, self._base_filters)
        if user is None:
            abort(404)
        if not active and user.id == getattr(g.user, "id", None):
            flash(_("Bạn không thể vô hiệu hóa tài khoản của chính mình."), "danger")
        elif bool(user.active) == active:
            flash(_("Tài khoản %(name)s đang hoạt động.", name=user.username) if active else
                  _("Tài khoản %(name)s đã bị vô hiệu hóa từ trước.", name=user.username), "info")
        else:
            user.active = active
            user.changed_on = utcnow()
            user.changed_by_fk = getattr(g.user, "id", None)
            if not active:
                accounts.end_sessions(user)  # a session opened before ends now
            self.datamodel.session.commit()
            flash(_("Đã kích hoạt lại tài khoản %(name)s.", name=user.username) if active else
                  _("Đã vô hiệu hóa tài khoản %(name)s: người này không đăng nhập được nữa.",
                    name=user.username), "info")
        return redirect(request.referrer if _same_site(request.referrer)
                        else url_for(".show", pk=pk))

    @expose("/unlock/<int:pk>", methods=["POST"])
    @has_access
    def unlock(self, pk):
        """Unlock an account locked after failed logins, before the lock runs out (audited)."""
        user = self.datamodel.get(pk, self._base_filters)
        if user is None:
            abort(404)
        if user.locked_until and user.locked_until > utcnow():
            accounts.unlock(self.datamodel.session, user)
            flash(_("Đã mở khóa tài khoản %(name)s.", name=user.username), "info")
        else:
            flash(_("Tài khoản %(name)s không bị khóa.", name=user.username), "info")
        return redirect(url_for(".show", pk=pk))


def _same_site(url):
    """The page the button was on (list or show page), when it is one of ours."""
    from urllib.parse import urlsplit

    if not url:
        return False
    parts = urlsplit(url)
    return parts.netloc == request.host and parts.path.startswith(request.script_root + "/users/")


def check_separation_of_duties(db_session, user):
    """Art. 10.1a: the network administrator assigns rights, he does not read documents.
    He cannot change his own roles (no one grants himself a clerk's or a leader's reading),
    and an account cannot be both administrator and clerk or leader. Refused before anything
    is saved (FAB shows the message and keeps the record as it was)."""
    from sqlalchemy import inspect

    history = inspect(user).attrs.roles.history
    before = g.get("roles_before")  # read before the form filled the record (process_form)
    if before is None:
        before = {role.name for role in list(history.unchanged) + list(history.deleted)} | \
            {role.name for group in getattr(user, "groups", None) or [] for role in group.roles}
    after = role_names(user)  # a group's roles are the person's too
    me = getattr(g, "user", None)
    message = None
    if user.id is not None and me is not None and user.id == getattr(me, "id", None) and \
            before != after:
        message = _("Bạn không thể tự thay đổi vai trò của chính mình: nhờ một quản trị "
                    "mạng khác.")
    else:
        message = account_duties_problem(roles_of(user))
    if message:
        db_session.rollback()
        raise ValueError(message)


class EofficeSecurityManager(SecurityManager):
    user_model = EofficeUser
    userdbmodelview = EofficeUserView
    userstatschartview = None  # FAB's chart loads Google's loader from the internet
    resetmypasswordview = EofficeResetMyPasswordView
    authdbview = EofficeAuthDBView
    security_api = EofficeSecurityApi
    rolemodelview = EofficeRoleView
    groupmodelview = EofficeGroupView
    permissionmodelview = EofficePermissionView
    viewmenumodelview = EofficeViewMenuView
    permissionviewmodelview = EofficePermissionViewView

    # The menu entries of FAB's security pages: the names stay (app.security.roles grants
    # menu_access on them), the labels are ours; FAB's raw permission lists come last, under
    # "Nâng cao" (app/templates/appbuilder/navbar_menu.html).
    MENU_LABELS = {"List Users": _l("Người dùng"), "List Roles": _l("Vai trò"),
                   "List Groups": _l("Nhóm người dùng"),
                   "Base Permissions": _l("Các loại quyền"),
                   "Views/Menus": _l("Chức năng và menu"),
                   "Permission on Views/Menus": _l("Quyền trên từng chức năng")}
    ADVANCED_MENUS = ("Base Permissions", "Views/Menus", "Permission on Views/Menus")

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        self.userdbmodelview.datamodel = UserInterface(self.user_model)

    def get_user_by_id(self, pk):
        """The person of each request (Flask-Login's loader, the API's token) with what every
        page asks of them — roles, groups, fields —, the version of the permissions
        (access.permission_version) and the questions every page asks about them
        (app.core.request_facts: their login session, unread notices, the data's version) in
        one statement, not eight."""
        user = self.user_model
        options = [joinedload(user.roles), joinedload(user.groups).selectinload(Group.roles),
                   joinedload(user.fields)]  # a group's roles: only for members of a group
        if isinstance(pk, str) and pk.isdecimal() and len(pk) < 10:
            pk = int(pk)  # a token's subject
        if not isinstance(pk, int) or not has_request_context() or request_facts.read_for(pk):
            return self.session.get(user, pk, options=options)  # read at this request already
        # the permissions' version, unless read already (a REST call's public permissions)
        known = permission_version_known()
        statement, parameters = request_facts.person_statement(
            "person" if known else "person-and-permissions",
            lambda facts: select(user, *([] if known else [
                permission_version_column().label("permission_version")]), *facts)
            .where(user.id == request_facts.person_id()).options(*options))
        row = self.session.execute(statement, {**parameters, request_facts.PERSON: pk}) \
            .unique().first()
        if row is None:
            return None
        if not known:
            remember_permission_version(row.permission_version)
        request_facts.remember(pk, row)
        return row[0]

    def register_views(self):
        super().register_views()
        if not current_app.config.get("FAB_ADD_SECURITY_VIEWS", True):
            return
        security = self.appbuilder.menu.find("Security")
        if security is not None:
            security.label = _l("Quản trị hệ thống")
            security.childs = [item for item in security.childs if item.name != "-"]
            for item in security.childs:
                item.label = self.MENU_LABELS.get(item.name, item.label)
                if item.name in self.ADVANCED_MENUS:
                    item.section = _l("Nâng cao")
        self.appbuilder.add_view_no_menu(AccountView)
        if self.is_auth_limited:  # FAB limits only the login form: the API login too
            for view in self.appbuilder.baseviews:
                if isinstance(view, EofficeSecurityApi):
                    self.limiter.limit(self.auth_rate_limit, methods=["POST"])(view.blueprint)

    # -- logins: lockout after repeated failures, web form and API alike (both call this).
    # Unknown name, wrong password and locked account look the same to whoever typed them
    # (same message, one password hash each); the lock is told by other means (the audit
    # trail, the administrators' home page), and an attempt during a lock does not extend it.
    def auth_user_db(self, username, password):
        user = self.find_user(username=username) if username else None
        if user is not None and user.is_active and accounts.is_locked(user):
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                "password")  # as long as a real check
            accounts.login_refused_locked(self.session, user)
            return None
        return super().auth_user_db(username, password)

    def update_user_auth_stat(self, user, success=True):
        if success and twofactor.is_enabled(user) and not (
                has_app_context() and g.get("second_factor_ok")):
            return  # the password was right; the login completes with the code
        super().update_user_auth_stat(user, success)
        session_db = self.session
        if not success:
            accounts.login_failed(session_db, user)
            return
        user.locked_until = None
        user.last_login = utcnow()  # FAB writes the server's local time; every time here is UTC
        record(session_db, "login", object_type="ab_user", object_id=user.id,
               summary=user.username, actor_id=user.id, actor_name=user.username)
        session_db.commit()  # the web session itself starts at login_user (sessions.start)

    def on_user_logout(self, user):
        sessions.end_current()  # a cookie copied before the logout is dead too
        record(self.session, "logout", object_type="ab_user", object_id=user.id,
               summary=user.username, actor_id=user.id, actor_name=user.username)
        self.session.commit()

    # -- passwords: every change ends the other sessions; a reset by someone else is temporary
    def reset_password(self, userid, password):
        super().reset_password(userid, password)
        user = self.get_user_by_id(userid)
        own = has_request_context() and getattr(g, "user", None) is not None and \
            getattr(g.user, "id", None) == user.id
        accounts.end_sessions(user, keep_current=own)
        user.must_change_password = not own
        if not own:
            user.compromised_at = user.locked_until = None
        record(self.session, "password_changed" if own else "password_reset",
               object_type="ab_user", object_id=user.id, summary=user.username)
        self.session.commit()

    def create_jwt_manager(self, app):
        manager = super().create_jwt_manager(app)

        @manager.additional_claims_loader
        def session_version_claim(identity):
            user = self.get_user_by_id(int(identity)) if str(identity).isdecimal() else None
            return {"sv": user.session_version} if user else {}

        @manager.token_verification_loader
        def token_still_valid(_header, data):
            user = self.get_user_by_id(int(data["sub"])) if str(data.get("sub")).isdecimal() \
                else None
            # held for the request: the session's identity map holds records weakly, and FAB's
            # load_user_jwt, right after this, would read the same person again
            g.token_user = user
            return user is not None and user.is_active and \
                data.get("sv") == user.session_version and \
                not accounts.is_locked(user) and not user.must_change_password

        @manager.token_verification_failed_loader
        def token_ended(_header, _data):
            from flask import jsonify
            from flask_babel import gettext

            return jsonify(message=gettext(
                "Phiên làm việc đã kết thúc vì mật khẩu đã thay đổi hoặc tài khoản bị khóa. "
                "Vui lòng đăng nhập lại.")), 401

        return manager

    # -- permissions: FAB asks the database once per menu entry and button (17 queries a page);
    # read the user's (permission, view) pairs once per request instead.
    def is_item_public(self, permission_name, view_name):
        """FAB asks at each protected call (twice per REST request) whether the public role
        has the permission: its pairs are kept per process like every role's
        (access.named_role_pairs), not read each time."""
        if not has_request_context():
            return super().is_item_public(permission_name, view_name)
        return (permission_name, view_name) in named_role_pairs(self.session,
                                                                self.auth_role_public)

    def _permission_pairs(self, user):
        if not has_request_context():
            return None
        # asked for each menu entry and button (some forty times a page): the answer is kept
        # for the request, per person (permissions_of keeps the pairs themselves)
        user_id = getattr(user, "id", None)
        if user_id is None:
            return None
        known = request.environ.setdefault("eoffice.permission-pairs", {})
        if user_id not in known:
            builtin = any(role.name in self.builtin_roles for role in self.get_user_roles(user))
            known[user_id] = None if builtin else permissions_of(user)
        return known[user_id]

    def _has_view_access(self, user, permission_name, view_name):
        pairs = self._permission_pairs(user)
        if pairs is None:
            return super()._has_view_access(user, permission_name, view_name)
        return (permission_name, view_name) in pairs

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        pairs = self._permission_pairs(user) if user is not None else None
        if pairs is None:
            return super()._get_user_permission_view_menus(user, permission_name,
                                                           view_menus_name)
        return {view for name, view in pairs if name == permission_name and
                (view_menus_name is None or view in view_menus_name)}
