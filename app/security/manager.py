"""The security manager: FAB's, with our user model and the profile in the security panel."""
from flask import (abort, current_app, flash, g, has_app_context, has_request_context, redirect,
                   request, url_for)
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission, PermissionView, ViewMenu, assoc_permissionview_role,
)
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.audit.services import record
from app.core.timefmt import utcnow
from app.core.validation import form_validator
from app.core.views import Formatters
from app.org.models import EofficeUser
from app.security import accounts, sessions, twofactor
from app.security.api import EofficeSecurityApi
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
ACCOUNT_COLUMNS = ["last_name", "first_name", "username", "active", "email", "roles"]


class EofficeUserView(UserDBModelView):
    """Users in the security panel, with department, position, fields and phone."""
    label_columns = {**UserDBModelView.label_columns, **PROFILE_LABELS}
    list_columns = ["full_name", "username", "department", "position", "roles", "active",
                    "account_status"]
    order_columns = ["username", "active"]
    search_columns = ["first_name", "last_name", "username", "email", "active", "roles",
                      "department", "position", "fields", "last_login"]
    add_columns = ACCOUNT_COLUMNS + PROFILE_COLUMNS + ["password", "conf_password"]
    edit_columns = ACCOUNT_COLUMNS + PROFILE_COLUMNS
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count",
                                      "two_factor_status"]}),
        (_l("Personal Info"), {"fields": ["last_name", "first_name", "email", "phone"],
                               "expanded": True}),
        (_l("Công tác"), {"fields": PROFILE_COLUMNS[:3], "expanded": True}),
        (_l("Audit Info"), {"fields": ["last_login", "fail_login_count", "created_on",
                                       "created_by", "changed_on", "changed_by"],
                            "expanded": False}),
    ]
    user_show_fieldsets = show_fieldsets[:3]
    show_template = "account/user_show.html"
    base_order = ("username", "asc")
    exclude_route_methods = {"download"}  # FAB's file route; users have no files
    # FAB's roles_or_groups_required reads a "groups" field this form has not: a 500 when no
    # role is chosen (found by tests/test_overflow_sweep.py).
    validators_columns = {"roles": [form_validator(
        lambda roles: None if roles else _l("Chọn ít nhất một vai trò."))]}
    # Public is the role of anonymous visitors, never of a person.
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "roles": [["name", FilterNotEqual, "Public"]],
    }

    def __init__(self, **kwargs):
        self.formatters_columns = Formatters()
        super().__init__(**kwargs)

    def _get_show_widget(self, pk, item, **kwargs):
        # The page offers "Mở khóa" while the account is locked after failed logins.
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
                g.roles_before = {role.name for role in user.roles}
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


def check_separation_of_duties(db_session, user):
    """Art. 10.1a: the network administrator assigns rights, he does not read documents.
    He cannot change his own roles (no one grants himself a clerk's or a leader's reading),
    and an account cannot be both administrator and clerk or leader. Refused before anything
    is saved (FAB shows the message and keeps the record as it was)."""
    from sqlalchemy import inspect

    from app.security import roles as r

    history = inspect(user).attrs.roles.history
    before = g.get("roles_before")  # read before the form filled the record (process_form)
    if before is None:
        before = {role.name for role in list(history.unchanged) + list(history.deleted)}
    after = {role.name for role in user.roles}
    me = getattr(g, "user", None)
    message = None
    if user.id is not None and me is not None and user.id == getattr(me, "id", None) and \
            before != after:
        message = _("Bạn không thể tự thay đổi vai trò của chính mình: nhờ một quản trị "
                    "mạng khác.")
    elif r.ADMIN in after and after & set(r.DOCUMENT_ROLES):
        message = _("Tách bạch nhiệm vụ: tài khoản Quản trị mạng không được đồng thời giữ "
                    "vai trò %(roles)s. Hãy dùng một tài khoản riêng cho công việc văn bản.",
                    roles=", ".join(sorted(after & set(r.DOCUMENT_ROLES))))
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

    def register_views(self):
        super().register_views()
        if not current_app.config.get("FAB_ADD_SECURITY_VIEWS", True):
            return
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
            return user is not None and data.get("sv") == user.session_version and \
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
    def _permission_pairs(self, user):
        if not has_request_context() or getattr(user, "id", None) is None:
            return None
        roles = self.get_user_roles(user)
        if any(role.name in self.builtin_roles for role in roles):
            return None
        cache = request.environ.setdefault("eoffice.permissions", {})
        key = (user.id, tuple(sorted(role.id for role in roles)))
        if key not in cache:
            cache[key] = set(self.session.execute(
                select(Permission.name, ViewMenu.name)
                .select_from(PermissionView).join(Permission).join(ViewMenu)
                .join(assoc_permissionview_role)
                .where(assoc_permissionview_role.c.role_id.in_(key[1]))).all())
        return cache[key]

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
