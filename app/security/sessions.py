"""Sessions end when they should: after a password change elsewhere (session version), after
30 minutes idle or 12 hours in all (configurable); a temporary password must be changed first,
and two-factor login enabled first by those whose role requires it (TOTP_REQUIRED_ROLES)."""
from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.core.timefmt import utcnow
from app.security import twofactor

# What a person with a temporary password may still open.
ALLOWED_WITH_TEMPORARY_PASSWORD = {"EofficeResetMyPasswordView.this_form_get",
                                   "EofficeResetMyPasswordView.this_form_post",
                                   "EofficeAuthDBView.logout", "AuthDBView.logout", "static",
                                   "appbuilder.static", "LocaleView.index"}
# What a person who must enable two-factor login may still open.
ALLOWED_BEFORE_ENROLMENT = ALLOWED_WITH_TEMPORARY_PASSWORD | {
    "AccountView.two_factor", "AccountView.enable_two_factor"}


def init_session_rules(app):
    @app.before_request
    def enforce_session_rules():
        if not current_user.is_authenticated:
            return None
        if request.path.startswith("/api/"):
            return refuse_api_before_enrolment(current_user)
        user = current_user
        now = utcnow().timestamp()
        config = current_app.config
        ended = None
        if session.get("sv") != user.session_version:
            ended = _("Phiên làm việc đã kết thúc vì mật khẩu đã thay đổi hoặc tài khoản bị "
                      "khóa. Vui lòng đăng nhập lại.")
        elif now - session.get("last_seen", now) > config["SESSION_IDLE_MINUTES"] * 60:
            ended = _("Phiên làm việc đã hết hạn sau thời gian không sử dụng. Vui lòng đăng "
                      "nhập lại.")
        elif now - session.get("login_at", now) > config["SESSION_ABSOLUTE_HOURS"] * 3600:
            ended = _("Phiên làm việc đã quá thời gian cho phép. Vui lòng đăng nhập lại.")
        if ended:
            logout_user()
            session.clear()
            g.user = current_user
            flash(ended, "warning")
            return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))
        session["last_seen"] = now
        if user.must_change_password and request.endpoint not in \
                ALLOWED_WITH_TEMPORARY_PASSWORD:
            flash(_("Bạn đang dùng mật khẩu tạm thời: hãy đổi mật khẩu trước khi tiếp tục."),
                  "warning")
            return redirect(url_for("EofficeResetMyPasswordView.this_form_get"))
        if request.endpoint not in ALLOWED_BEFORE_ENROLMENT and twofactor.must_enrol(user):
            flash(_("Vai trò của bạn bắt buộc dùng xác thực hai bước: hãy bật trước khi tiếp "
                    "tục."), "warning")
            return redirect(url_for("AccountView.two_factor"))
        return None


def refuse_api_before_enrolment(user):
    """The REST API with the browser's session cookie is no way around the enrolment (with a
    token it is refused at the API login)."""
    if request.headers.get("Authorization") or str(request.endpoint).startswith(
            "EofficeSecurityApi.") or not twofactor.must_enrol(user):
        return None
    return jsonify(message=_("Vai trò của bạn bắt buộc dùng xác thực hai bước: hãy bật trước "
                             "khi tiếp tục.")), 403
