"""Account pages: change one's password (giving the current one), report a compromised
password, two-factor login (enable, disable, the code step of the login), log out by POST."""
import time

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db, ResetPasswordForm
from flask_appbuilder.security.views import AuthDBView, ResetMyPasswordView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from app.security import accounts, twofactor

# Between the password and the code: who, since when, where to go next (in the session).
PENDING_LOGIN = "otp_pending"
PENDING_SECONDS = 300
ENROLMENT_SECRET = "otp_enrolment"  # the secret shown as a QR code, until confirmed


class CodeForm(FlaskForm):
    code = StringField(_l("Mã xác thực"), validators=[DataRequired(_l("Nhập mã xác thực."))])


class DisableTwoFactorForm(CodeForm):
    password = PasswordField(_l("Mật khẩu hiện tại"),
                             validators=[DataRequired(_l("Nhập mật khẩu hiện tại."))])


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
        sm = self.appbuilder.sm
        user = sm.get_user_by_id(g.user.id)
        if not check_password_hash(user.password or "", form.current_password.data or ""):
            # A wrong current password counts as a failed login: an open session is no way
            # to guess the password without limit. At the lock, this session ends too.
            accounts.login_failed(sm.session, user)
            if accounts.is_locked(user):
                accounts.end_sessions(user, commit=True)
                logout_user()
                session.clear()
                flash(str(accounts.lock_message(user)), "danger")
                return
            flash(_("Mật khẩu hiện tại không đúng."), "danger")
            return
        sm.reset_password(user.id, form.password.data)
        session["sv"] = user.session_version  # this session goes on, the others end
        flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "info")


class EofficeAuthDBView(AuthDBView):
    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        """FAB's login, with a second step for people who use two-factor login: a right
        password alone does not log them in (app.security.manager.update_user_auth_stat)."""
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(str(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            if twofactor.is_enabled(user):
                session[PENDING_LOGIN] = {"id": user.id, "at": time.time(), "next": next_url}
                return redirect(url_for(".login_code"))
            login_user(user, remember=False)
            return redirect(next_url)
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder)

    @expose("/login/code", methods=["GET", "POST"])
    @no_cache
    def login_code(self):
        """The second step: the 6-digit code of the authenticator app."""
        from app.extensions import db

        pending = session.get(PENDING_LOGIN) or {}
        sm = self.appbuilder.sm
        fresh = time.time() - pending.get("at", 0) < PENDING_SECONDS
        user = sm.get_user_by_id(pending["id"]) if fresh and pending.get("id") else None
        if user is None or not user.is_active or not twofactor.is_enabled(user):
            return self._restart_login(_("Phiên đăng nhập đã hết hạn: vui lòng nhập lại tên "
                                         "đăng nhập và mật khẩu."))
        if accounts.is_locked(user):
            return self._restart_login(accounts.lock_message(user))
        form = CodeForm()
        if form.validate_on_submit():
            if twofactor.use_code(db.session, user, form.code.data):
                session.pop(PENDING_LOGIN, None)
                g.second_factor_ok = True
                sm.update_user_auth_stat(user, True)
                login_user(user, remember=False)
                return redirect(get_safe_redirect(pending.get("next", "")))
            twofactor.login_code_failed(db.session, user)
            if accounts.is_locked(user):
                return self._restart_login(accounts.lock_message(user))
            flash(_("Mã xác thực không đúng hoặc đã được dùng. Hãy nhập mã đang hiện trên "
                    "ứng dụng xác thực."), "danger")
        return self.render_template("account/login_code.html", form=form,
                                    title=_("Xác thực hai bước"), appbuilder=self.appbuilder)

    def _restart_login(self, message):
        session.pop(PENDING_LOGIN, None)
        flash(str(message), "warning")
        return redirect(url_for(".login"))

    @expose("/logout/", methods=["POST"])
    def logout(self):
        """Logout by POST only (a link or an image cannot log someone out); the session ends
        on the server (manager.on_user_logout) and the browser drops what it cached."""
        response = super().logout()
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response


class AccountView(BaseView):
    route_base = "/account"
    class_permission_name = "Account"
    method_permission_name = {"compromised": "report", "two_factor": "twofactor",
                              "enable_two_factor": "twofactor",
                              "disable_two_factor": "twofactor",
                              "sessions": "sessions", "end_session": "sessions"}
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

    @expose("/sessions")
    @has_access
    def sessions(self):
        """The person's open sessions (browser, address, since when): any of them can be
        ended from here, e.g. a session left open on another computer (ASVS 3.3.4)."""
        from app.extensions import db
        from app.security import sessions as server_sessions

        rows = server_sessions.open_sessions(db.session, g.user)
        current = server_sessions.current_sid()
        return self.render_template("account/sessions.html", title=_("Phiên đăng nhập"),
                                    rows=[(row, server_sessions.handle(row), row.id == current)
                                          for row in rows])

    @expose("/sessions/end", methods=["POST"])
    @has_access
    def end_session(self):
        """End one other session (`sid`), or every other one (`all`)."""
        from app.extensions import db
        from app.security import sessions as server_sessions

        form = FlaskForm()
        if form.validate_on_submit():
            ended = server_sessions.end_own(db.session, g.user, request.form.get("session"),
                                            everyone=bool(request.form.get("all")))
            flash(_("Đã kết thúc %(n)s phiên đăng nhập.", n=ended), "info")
        return redirect(url_for(".sessions"))

    @expose("/twofactor")
    @has_access
    def two_factor(self):
        """Two-factor login: the QR code to enable it, or the form to disable it."""
        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        enabled = twofactor.is_enabled(user)
        secret = qr = None
        if not enabled:
            secret = session.get(ENROLMENT_SECRET) or twofactor.new_secret()
            session[ENROLMENT_SECRET] = secret
            qr = twofactor.qr_code(user, secret)
        return self.render_template(
            "account/two_factor.html", title=_("Xác thực hai bước"), enabled=enabled,
            required=twofactor.required_for(user), qr=qr,
            secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) if secret
            else None,
            form=DisableTwoFactorForm() if enabled else CodeForm())

    @expose("/twofactor/enable", methods=["POST"])
    @has_access
    def enable_two_factor(self):
        from app.extensions import db

        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        secret = session.get(ENROLMENT_SECRET)
        form = CodeForm()
        if twofactor.is_enabled(user):
            flash(_("Xác thực hai bước đã được bật."), "info")
        elif not secret or not form.validate_on_submit() or \
                not twofactor.enable(db.session, user, secret, form.code.data):
            flash(_("Mã xác thực không đúng. Hãy quét lại mã QR và nhập mã 6 chữ số đang "
                    "hiện trên ứng dụng."), "danger")
        else:
            session.pop(ENROLMENT_SECRET, None)
            session["sv"] = user.session_version  # this session goes on, the others end
            flash(_("Đã bật xác thực hai bước: từ lần đăng nhập sau, bạn cần nhập mã trên "
                    "ứng dụng xác thực sau mật khẩu."), "info")
            return redirect(url_for("HomeView.index"))
        return redirect(url_for(".two_factor"))

    @expose("/twofactor/disable", methods=["POST"])
    @has_access
    def disable_two_factor(self):
        """Turning it off needs the password and a current code (a session left open on
        someone else's computer is not enough)."""
        from app.extensions import db

        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        form = DisableTwoFactorForm()
        if not twofactor.is_enabled(user):
            return redirect(url_for(".two_factor"))
        if not form.validate_on_submit() or \
                not check_password_hash(user.password or "", form.password.data or "") or \
                not twofactor.use_code(db.session, user, form.code.data):
            accounts.login_failed(db.session, user)
            flash(_("Mật khẩu hoặc mã xác thực không đúng."), "danger")
            return redirect(url_for(".two_factor"))
        twofactor.disable(db.session, user)
        session["sv"] = user.session_version
        flash(_("Đã tắt xác thực hai bước."), "info")
        return redirect(url_for(".two_factor"))
