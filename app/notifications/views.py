"""The bell: the notices page (open ones or all), opening a notice (marks it read), marking
all as read, and each person's email settings."""
from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField

from app.core import request_facts
from app.core.downloads import is_api_request
from app.core.views import method_permissions
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification

PAGE_SIZE = 50
SHOW = {"open": _l("Chưa xử lý"), "all": _l("Tất cả")}


class MailSettingsForm(FlaskForm):
    digest = BooleanField(_l("Nhận thư tổng hợp hằng ngày các việc đang chờ tôi"))
    urgent = BooleanField(_l("Nhận email ngay khi có việc khẩn hoặc quá hạn"))


class NotificationView(BaseView):
    route_base = "/notifications"
    class_permission_name = "Notification"
    method_permission_name = method_permissions(
        read=("index", "open", "read_all", "settings", "count"))
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        page = min(max(request.args.get("page", 0, type=int), 0), 10**6)
        show = request.args.get("show") if request.args.get("show") in SHOW else "all"
        notices = services.notices_of(db.session, g.user.id, PAGE_SIZE + 1, page * PAGE_SIZE,
                                      open_only=show == "open")
        return self.render_template(
            "notifications/list.html", title=_l("Thông báo"), form=FlaskForm(),
            notices=notices[:PAGE_SIZE], page=page, has_next=len(notices) > PAGE_SIZE,
            show=show, shows=SHOW)

    @expose("/count")
    @has_access
    def count(self):
        """The bell's number, asked by the page every BELL_POLL_SECONDS (static/js/bell.js):
        no push service on an intranet. Not the person's activity: it does not keep an idle
        session alive (app.security.sessions.PASSIVE_ENDPOINTS)."""
        response = jsonify(unread=services.unread_count(db.session, g.user.id))
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/settings", methods=["GET", "POST"])
    @has_access
    def settings(self):
        """Email settings of the person: the daily digest, the urgent mails (opt-out)."""
        form = MailSettingsForm()
        if request.method == "POST":
            if not form.validate_on_submit():
                abort(400)
            services.save_mail_settings(db.session, g.user.id, form.digest.data,
                                        form.urgent.data)
            flash(_("Đã lưu cài đặt nhận email."), "success")
            return redirect(url_for("NotificationView.settings"))
        form.digest.data, form.urgent.data = services.mail_settings(db.session, g.user.id)
        return self.render_template(
            "notifications/settings.html", title=_l("Cài đặt nhận email"), form=form,
            email=g.user.email, mail_enabled=bool(current_app.config.get("MAIL_SERVER")),
            digest_hour=current_app.config.get("MAIL_DIGEST_HOUR"))

    @expose("/<int:notification_id>", methods=["POST"])
    @has_access
    def open(self, notification_id):
        """Open a notice: marked read (a POST: a GET never writes), then to what it is about."""
        notice = db.session.get(Notification, notification_id)
        if notice is None or notice.user_id != g.user.id:
            abort(404)
        if not FlaskForm().validate_on_submit():
            abort(400)
        services.mark_read(db.session, g.user.id, notice.id)
        return redirect(notice.url or url_for("NotificationView.index"))

    @expose("/read-all", methods=["POST"])
    @has_access
    def read_all(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        services.mark_read(db.session, g.user.id)
        return redirect(url_for("NotificationView.index"))


def unread_notifications() -> int:
    """For the bell in the navigation bar (0 when nobody is logged in)."""
    user = getattr(g, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return services.unread_count(db.session, user.id)


def _on_a_page():
    """The bell is on the web's pages, not in the REST API's answers."""
    return None if is_api_request() else {}


# The bell's number, read with the person at each page (app.core.request_facts).
request_facts.fact("unread_notices", applies=_on_a_page)(
    lambda: services.unread_statement(request_facts.person_id()))


def register_views(appbuilder):
    appbuilder.add_view_no_menu(NotificationView)
