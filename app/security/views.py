"""Account pages: change one's password (giving the current one), report a compromised
password, log out by POST."""
from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.views import AuthDBView, ResetMyPasswordView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired

from app.security import accounts


class ChangeOwnPasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"),
                                     validators=[DataRequired(_l("Nhập mật khẩu hiện tại."))])


class EofficeResetMyPasswordView(ResetMyPasswordView):
    """Art. 3.1: a person changes their password only by giving the current one; every other
    session of theirs ends (app.security.manager.reset_password)."""
    form = ChangeOwnPasswordForm
    form_title = _l("Đổi mật khẩu")
    class_permission_name = "ResetMyPasswordView"  # FAB's permission, kept

    def form_post(self, form):
        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        if not check_password_hash(user.password or "", form.current_password.data or ""):
            flash(_("Mật khẩu hiện tại không đúng."), "danger")
            return
        self.appbuilder.sm.reset_password(user.id, form.password.data)
        session["sv"] = user.session_version  # this session goes on, the others end
        flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "info")


class EofficeAuthDBView(AuthDBView):
    @expose("/logout/", methods=["POST"])
    def logout(self):
        """Logout by POST only (a link or an image cannot log someone out)."""
        return super().logout()


class AccountView(BaseView):
    route_base = "/account"
    class_permission_name = "Account"
    method_permission_name = {"compromised": "report"}
    default_view = "compromised"

    @expose("/compromised", methods=["GET", "POST"])
    @has_access
    def compromised(self):
        """Art. 3.2: "Báo lộ mật khẩu"."""
        if request.method == "GET":
            return self.render_template("account/compromised.html",
                                        title=_("Báo lộ mật khẩu"))
        from app.extensions import db

        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        accounts.report_compromised(db.session, user)
        logout_user()
        session.clear()
        flash(_("Đã ghi nhận báo lộ mật khẩu: tài khoản đã bị khóa và mọi phiên đăng nhập đã "
                "kết thúc. Liên hệ quản trị mạng để được đặt lại mật khẩu."), "warning")
        return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))
