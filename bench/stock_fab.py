"""Stock Flask-AppBuilder over the same table, for comparison in the same run: a ModelView
with default settings (its "contains" filter, its sort, its count), its REST API and a
GroupByChartView (documents per issuing agency). Registered only in the benchmark's app,
under /stockincoming/, /stockchart/ and /api/v1/stockincoming/."""
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.charts.views import GroupByChartView
from flask_appbuilder.models.group import aggregate_count
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.documents.models import IncomingDocument

COLUMNS = ["arrival_number", "arrival_at", "number_symbol", "agency.name",
           "document_type.name", "excerpt", "deadline", "state"]


class StockIncomingView(ModelView):
    route_base = "/stockincoming"
    datamodel = SQLAInterface(IncomingDocument)
    list_columns = COLUMNS
    search_columns = ["number_symbol", "excerpt", "agency", "state"]


class StockIncomingApi(ModelRestApi):
    resource_name = "stockincoming"
    datamodel = SQLAInterface(IncomingDocument)
    list_columns = COLUMNS


class StockIncomingChart(GroupByChartView):
    route_base = "/stockchart"
    datamodel = SQLAInterface(IncomingDocument)
    chart_title = "Văn bản đến theo cơ quan ban hành"
    # by the column: grouping by the relation sorts Agency objects, which FAB cannot
    definitions = [{"group": "agency_id", "series": [(aggregate_count, "id")]}]


VIEWS = (StockIncomingView, StockIncomingApi, StockIncomingChart)


def register(app, role_names):
    """Add the stock views to a built app and grant their permissions to `role_names`."""
    appbuilder = app.appbuilder
    sm = appbuilder.sm
    with app.app_context():
        for view in VIEWS:
            if isinstance(view(), ModelRestApi):
                appbuilder.add_api(view)
            else:
                appbuilder.add_view_no_menu(view)
        roles = [sm.find_role(name) for name in role_names]
        for view in appbuilder.baseviews:
            if type(view) in VIEWS:
                for permission in view.base_permissions:
                    pv = sm.add_permission_view_menu(permission, view.class_permission_name)
                    for role in roles:
                        sm.add_permission_role(role, pv)
        sm.session.commit()
