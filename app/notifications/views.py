"""The bell: the notices page, opening a notice (marks it read), marking all as read."""
from flask import abort, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification

PAGE_SIZE = 50


class NotificationView(BaseView):
    route_base = "/notifications"
    class_permission_name = "Notification"
    method_permission_name = {"index": "read", "open": "read", "read_all": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        page = max(request.args.get("page", 0, type=int), 0)
        notices = services.notices_of(db.session, g.user.id, PAGE_SIZE + 1, page * PAGE_SIZE)
        return self.render_template(
            "notifications/list.html", title=_l("Thông báo"), form=FlaskForm(),
            notices=notices[:PAGE_SIZE], page=page, has_next=len(notices) > PAGE_SIZE)

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


def register_views(appbuilder):
    appbuilder.add_view_no_menu(NotificationView)
