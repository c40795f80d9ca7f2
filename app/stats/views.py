"""Web pages of statistics: the leaders' dashboard (charts drawn by Chart.js from our own
static files; every bar opens the documents behind it) and the reports of a period, printable
and as .xlsx. Figures: app.stats.figures; reports: app.stats.reports."""
from flask import g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.numbers import row_id
from app.extensions import db
from app.stats import cache, figures, reports


def _scope_or_error(view, template, title, **extra):
    """The reader's scope from the query, or the page again with the message (400)."""
    try:
        return figures.Scope.for_user(db.session, g.user, request.args), None
    except figures.StatsError as error:
        page = view.render_template(template, error=str(error), units=figures.units(db.session),
                                    args=request.args, title=title,
                                    whole_agency=_whole_agency(), **extra)
        return None, (page, 400)


def _whole_agency():
    return figures.whole_agency(g.user)


class StatsView(BaseView):
    """Bảng điều khiển của lãnh đạo (agency and office leaders: the whole agency, or one unit;
    a unit leader: their unit)."""
    route_base = "/stats"
    class_permission_name = "Stats"
    method_permission_name = {"dashboard": "read"}
    default_view = "dashboard"

    @expose("/dashboard")
    @has_access
    def dashboard(self):
        title = _("Bảng điều khiển")
        scope, failed = _scope_or_error(self, "stats/dashboard.html", title=title,
                                        charts=[], totals={}, idle=[], scope=None)
        if failed:
            return failed
        session = db.session
        idle_days = min(max(request.args.get("idle_days", figures.IDLE_DAYS, type=int) or 1,
                            1), 365)
        shown = cache.dashboard(session, scope, idle_days)
        charts = shown["charts"]
        return self.render_template(
            "stats/dashboard.html", title=title, charts=charts, scope=scope,
            totals=shown["totals"], units=figures.units(session),
            idle=shown["idle"], idle_days=idle_days,
            args=request.args, whole_agency=_whole_agency(), error=None,
            unit_name=reports.unit_name(session, scope),
            chart_data=[chart.as_dict() for chart in charts if not chart.empty])


class StatsReportView(BaseView):
    """Báo cáo thống kê (Art. 9.1d: the clerk produces them on the leaders' request)."""
    route_base = "/stats/reports"
    class_permission_name = "StatsReport"
    method_permission_name = {"report": "read"}
    default_view = "report"

    @expose("/")
    @has_access
    def report(self):
        kind = request.args.get("kind") if request.args.get("kind") in reports.REPORTS \
            else "incoming"
        label, build = reports.REPORTS[kind]
        title = _("Báo cáo thống kê")
        scope, failed = _scope_or_error(self, "stats/report.html", title=title, report=None,
                                        kind=kind, kinds=reports.REPORTS)
        if failed:
            return failed
        spreadsheet = request.args.get("format") == "xlsx"
        report = build(db.session, scope,
                       page=None if spreadsheet else row_id(request.args.get("page")) or 1)
        unit = reports.unit_name(db.session, scope)
        if spreadsheet:
            return reports.xlsx_response(report, unit)
        return self.render_template("stats/report.html", title=title,
                                    report=reports.shown(report), kind=kind,
                                    kinds=reports.REPORTS, units=figures.units(db.session),
                                    args=request.args, whole_agency=_whole_agency(),
                                    unit_name=unit, scope=scope, error=None)


def register_views(appbuilder):
    """Add this module's pages and menu entries."""
    from flask import current_app

    from app.stats import warmer
    from app.stats.api import StatsApi

    appbuilder.add_api(StatsApi)
    appbuilder.add_view(StatsView, "StatsDashboard", label=_l("Bảng điều khiển"),
                        icon="fa-chart-column", category="Statistics",
                        category_label=_l("Thống kê"), category_icon="fa-chart-pie")
    appbuilder.add_view(StatsReportView, "StatsReports", label=_l("Báo cáo thống kê"),
                        icon="fa-file-excel", category="Statistics")
    warmer.start(current_app._get_current_object())  # dashboards counted before they are read
