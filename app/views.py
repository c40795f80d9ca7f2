"""The home page (Trang chủ): the portal — this week's published agency schedule, the news,
and the person's counters from every module they work in."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.extensions import db


class HomeView(IndexView):
    route_base = ""
    default_view = "index"
    index_template = "home.html"

    @expose("/")
    def index(self):
        if not g.user or not g.user.is_authenticated:
            return redirect(url_for(self.appbuilder.sm.auth_view.__class__.__name__ + ".login"))
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, inboxes=self._inboxes(),
            urgent_overdue=self._urgent_overdue(),
            alerts=self._account_alerts(), work=self._work_counters(),
            news_items=self._news(), schedule=self._schedule())

    def _can(self, permission, resource):
        return self.appbuilder.sm.has_access(permission, resource)

    def _account_alerts(self):
        """Accounts reported compromised (Art. 3.2) and accounts locked after failed logins,
        for the administrators (the login form tells no one that an account is locked)."""
        from app.security.accounts import compromised_accounts, locked_accounts

        if not self._can("can_list", "EofficeUserView"):
            return {}
        return {"compromised": compromised_accounts(db.session),
                "locked": locked_accounts(db.session)}

    def _inboxes(self):
        """Counters of the incoming-document inboxes, for the roles that read documents."""
        from app.documents import services

        if not self._can("can_read", "IncomingDocument"):
            return []
        return services.inbox_counts(db.session, g.user)

    def _urgent_overdue(self):
        """Urgent documents past their deadline still waiting for this person's direction (or,
        for the clerk, to be presented): a warning above the tiles."""
        from flask_babel import gettext as _

        from app.documents import deadlines, workflow

        if not self._can("can_read", "IncomingDocument"):
            return None
        count = deadlines.urgent_overdue_waiting(db.session, g.user)
        if not count:
            return None
        if workflow.directs(g.user, None):
            return _("%(n)s văn bản khẩn đã quá hạn xử lý vẫn đang chờ đồng chí cho ý kiến "
                     "chỉ đạo.", n=count)
        return _("%(n)s văn bản khẩn đã quá hạn xử lý vẫn đang chờ trình lãnh đạo.", n=count)

    def _work_counters(self):
        """[(module label, [(label, count, url)])]: the other modules' lists that hold work,
        for the modules the person uses."""
        from flask_babel import gettext as _

        from app.dossiers.services import box_counts as dossier_boxes
        from app.news.services import box_counts as news_boxes
        from app.outgoing.services import draft_box_counts
        from app.request_forms.services import inbox_counts as request_boxes

        from flask_babel import get_locale

        from app.audit.version import remembered
        from app.core.timefmt import today_local
        from app.documents.services import REGISTERED_WITH_FILES

        session, user = db.session, g.user
        modules = [
            ("Draft", _("Văn bản dự thảo"), draft_box_counts, "DraftView.list"),
            ("RequestForm", _("Phiếu yêu cầu"), request_boxes, "RequestFormView.list"),
            ("Dossier", _("Hồ sơ công việc"), dossier_boxes, "DossierView.list"),
            ("News", _("Tin tức"), news_boxes, "NewsView.list"),
        ]
        modules = [module for module in modules if self._can("can_read", module[0])]
        # Sixteen small counts: remembered per version of the data, as the inbox badges are
        # (the person, the language of the labels, the day of "overdue" in the key). None of
        # them counts incoming documents: a registration (with its files) leaves them be.
        boxes = remembered(
            session, "home-work", (user.id, get_locale(), today_local(),
                                   ",".join(module[0] for module in modules)),
            lambda: [[(key, str(label), count) for key, label, count in counts(session, user)]
                     for _resource, _title, counts, _endpoint in modules],
            skipping=REGISTERED_WITH_FILES)
        return [(title, [(label, count, url_for(endpoint, box=key))
                         for key, label, count in rows])
                for (_resource, title, _counts, endpoint), rows in zip(modules, boxes, strict=True)]

    def _news(self):
        from app.news.services import portal_news

        if not self._can("can_read", "News"):
            return None
        return portal_news(db.session, g.user, limit=6)

    def _schedule(self):
        """This week's published agency schedule (Art. 6.2b), and next week's once it is
        published (the office compiles it on Friday, the head approves it on Saturday): drawn
        once per version of the data, reader, language and day, and kept — every change of a
        week, an item, a person or a unit is audited; a registration is none of them."""
        from flask import render_template
        from flask_babel import get_locale
        from markupsafe import Markup

        from app.audit.version import remembered
        from app.core.timefmt import today_local
        from app.documents.services import REGISTERED_WITH_FILES

        if not self._can("can_read", "Schedule"):
            return None
        today = today_local()
        return Markup(remembered(
            db.session, "home-schedule", (g.user.id, get_locale(), today),
            lambda: render_template("_home_schedule.html", **self._schedule_panels(today)),
            skipping=REGISTERED_WITH_FILES))

    @staticmethod
    def _schedule_panels(today):
        from datetime import timedelta

        from flask_babel import gettext as _

        from app.core.timefmt import iso_week_days
        from app.schedules import services
        from app.schedules.models import AGENCY, CHANGES

        agency = services.Scope(AGENCY)
        weeks = [(title, *services.week_of(today + timedelta(days=offset))) for offset, title in (
            (0, _("Lịch công tác tuần %(week)s của cơ quan")),
            (7, _("Lịch công tác tuần sau (tuần %(week)s) của cơ quan")))]
        # Both weeks read at once, and the items of those published in one pass.
        records = services.find_weeks(db.session, [(agency, year, week)
                                                   for _title, year, week in weeks])
        published = [record for record in records.values() if record.is_published]
        rows = services.rows_of(db.session, g.user, published)
        panels = []
        for this_week, (title, year, week) in zip((True, False), weeks, strict=True):
            record = records.get((agency, year, week))
            shown = record if record is not None and record.is_published else None
            if shown is None and not this_week:
                continue
            panels.append({
                "title": title % {"week": f"{week:02d}"}, "year": year, "week": week,
                "days": iso_week_days(year, week), "version": shown.version if shown else 0,
                "rows": [row for row in rows if shown and row.item.week_id == shown.id]})
        return {"schedule_panels": panels, "today": today, "schedule_changes": CHANGES}
