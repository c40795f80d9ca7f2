"""REST API /api/v1/stats/: the dashboard's figures as JSON for other systems (the province's
reports, Art. 4.1), with the same rules: the caller's visibility, a unit leader's unit."""
from flask import request
from flask_appbuilder.api import expose

from app.core.api import DomainApi, guarded
from app.core.timefmt import format_datetime
from app.extensions import db
from app.stats import cache, figures


class StatsApi(DomainApi):
    resource_name = "stats"
    class_permission_name = "Stats"
    method_permission_name = {"index": "read", "figure": "read"}
    openapi_spec_tag = "Thống kê"

    def _scope(self):
        return figures.Scope.for_user(db.session, self.caller(), request.args)

    @staticmethod
    def _period(scope):
        return {"from": scope.period.start.isoformat(), "to": scope.period.end.isoformat(),
                "unit_id": scope.unit_id}

    @expose("/", methods=["GET"])
    @guarded("get")
    def index(self):
        """The headline numbers and the keys of the figures.
        ---
        get:
          parameters:
          - {in: query, name: from, schema: {type: string}, description: yyyy-mm-dd or dd/mm/yyyy}
          - {in: query, name: to, schema: {type: string}, description: yyyy-mm-dd or dd/mm/yyyy}
          - {in: query, name: unit, schema: {type: integer}, description: unit id (leaders)}
          responses:
            200: {description: summary and figure keys}
            400: {description: a wrong parameter, message in Vietnamese}
        """
        try:
            scope = self._scope()
        except figures.StatsError as error:
            return self.response_400(message=str(error))
        return self.response(200, **self._period(scope),
                             summary=figures.summary(db.session, scope),
                             figures=list(figures.FIGURES) + ["idle_people"])

    @expose("/<name>", methods=["GET"])
    @guarded("get")
    def figure(self, name):
        """One figure: labels and series of counts (with the drill-down links).
        ---
        get:
          parameters:
          - {in: path, name: name, required: true, schema: {type: string}}
          - {in: query, name: from, schema: {type: string}}
          - {in: query, name: to, schema: {type: string}}
          - {in: query, name: unit, schema: {type: integer}}
          - {in: query, name: days, schema: {type: integer}, description: idle_people only}
          responses:
            200: {description: the figure}
            400: {description: a wrong parameter, message in Vietnamese}
            404: {description: no such figure}
        """
        if name not in figures.FIGURES and name != "idle_people":
            return self.response_404()
        try:
            scope = self._scope()
        except figures.StatsError as error:
            return self.response_400(message=str(error))
        if name == "idle_people":
            days = min(max(request.args.get("days", figures.IDLE_DAYS, type=int) or 1, 1), 365)
            people = figures.idle_people(db.session, scope, days)
            return self.response(200, **self._period(scope), days=days, result=[
                {**p, "last_login": format_datetime(p["last_login"]) or None} for p in people])
        figure = cache.figure(db.session, scope, name)
        return self.response(200, **self._period(scope), result=figure.as_dict())
