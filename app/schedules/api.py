"""REST API /api/v1/schedule/: a week's items as the caller may see them (published weeks;
the week being built for its builders; private items of others as busy), adding, changing and
cancelling items, copying last week into a unit's or one's own week, and the workflow — the
same services and rules as the pages. An item's session follows its start time (Sáng before
12:00, Chiều from 12:00, Tối from 18:00): `session` may be left out; one that contradicts the
time is corrected and said so in `warnings`."""
from flask import request
from flask_appbuilder.api import expose
from flask_babel import gettext as _

from app.core.api import Answered, DomainApi, guarded, json_fields, text_field
from app.core.errors import FormErrors
from app.core.timefmt import format_datetime, today_local
from app.extensions import db
from app.schedules import access, services, workflow
from app.schedules.forms import item_data
from app.schedules.models import STATES, ScheduleItem, ScheduleWeek


def serialize_row(row) -> dict:
    item = row.item
    result = {"id": item.id, "level": row.level, "date": item.day.isoformat(),
              "session": item.session, "start_time": item.start_time.strftime("%H:%M"),
              "end_time": item.end_time.strftime("%H:%M") if item.end_time else None,
              "status": row.status or None, "conflicts": [str(c) for c in row.conflicts],
              "private": item.private}
    if not row.details:
        return {**result, "content": _("Bận (việc riêng)")}
    return {**result, "content": item.content,
            "chair": ({"id": item.chair.id, "name": item.chair.full_name} if item.chair
                      else item.chair_text),
            "people": [{"id": p.id, "name": p.full_name} for p in item.people],
            "units": [{"id": u.id, "name": u.name} for u in item.units],
            "participants_text": item.participants_text,
            "place": item.place_text, "room_id": item.room_id,
            "preparing_unit": item.preparing_unit.name if item.preparing_unit else None,
            "notes": item.notes, "backfill_reason": item.backfill_reason,
            "entered_at": format_datetime(item.created_at)}


def serialize_week(week, user) -> dict | None:
    if week is None:
        return None
    return {"id": week.id, "level": week.level, "year": week.year, "week": week.week,
            "state": week.state, "state_label": str(STATES[week.state]),
            "version": week.version, "published_at": format_datetime(week.published_at),
            "return_reason": week.return_reason,
            "actions": [{"action": a, "label": str(t.label), "note_required": t.note_required}
                        for a, t in workflow.allowed_actions(user, week)]}


class ScheduleApi(DomainApi):
    resource_name = "schedule"
    class_permission_name = "Schedule"
    method_permission_name = {"get_week": "read", "post": "write", "put": "write",
                              "delete": "write", "action": "write", "copy_previous": "write"}
    openapi_spec_tag = "Lịch công tác"

    @expose("/", methods=["GET"])
    @guarded("get")
    def get_week(self):
        """A week's schedule.
        ---
        get:
          parameters:
          - {in: query, name: scope, schema: {type: string},
             description: "all (combined), agency, unit-<id>, person-<id>, mine"}
          - {in: query, name: year, schema: {type: integer}, description: ISO year}
          - {in: query, name: week, schema: {type: integer}, description: ISO week}
          responses:
            200: {description: the week's items}
        """
        user, args = self.caller(), request.args
        scope_text = args.get("scope", "all")
        scope = None if scope_text == "all" else services.Scope.parse(scope_text, user)
        if scope_text != "all" and (scope is None or not scope.exists(db.session)):
            return self.response_400(message=_("Phạm vi lịch không hợp lệ."))
        today_year, today_week = services.week_of(today_local())
        year = args.get("year", today_year, type=int)
        week = args.get("week", today_week, type=int)
        if not services.valid_week(year, week):
            return self.response_400(message=_("Tuần không hợp lệ."))
        current, rows = services.week_view(db.session, user, scope, year, week)
        return self.response(200, year=year, week=week, week_record=serialize_week(current, user),
                             result=[serialize_row(row) for row in rows])

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Add an item: JSON {scope, year, week, day (yyyy-mm-dd), session, start_time,
        end_time, content, chair_id, people: [ids], units: [ids], room_id, place, …}."""
        user, body = self.caller(), self.body()
        scope = self._scope(body.get("scope") or "agency", user)
        with self.refusals():
            week = services.open_week(db.session, user, scope, _int(body.get("year")),
                                      _int(body.get("week")))
            data = self._data(body)
            items = services.add_items(db.session, user, week, data)
        return self.response(201, ids=[i.id for i in items],
                             warnings=_warnings(user, items, data))

    @staticmethod
    def _data(body):
        data, errors = item_data(body, {"people": body.get("people"),
                                        "units": body.get("units")})
        if errors:
            raise FormErrors(errors)
        return data

    def _scope(self, value, user):
        """The calendar `value` names (services.Scope.parse), else the request is answered
        400."""
        scope = services.Scope.parse(str(value), user) if value else None
        if scope is None or not scope.exists(db.session):
            raise Answered(self.response_400(message=_("Phạm vi lịch không hợp lệ.")))
        return scope

    def _item(self, pk, user):
        """The item `pk` of a week `user` may see, else the request is answered 404."""
        item = db.session.get(ScheduleItem, pk)
        if item is None or not access.can_see_week(user, item.week_record):
            raise Answered(self.response_404())
        return item

    @expose("/<int:pk>", methods=["PUT"])
    @guarded("put")
    def put(self, pk):
        user = self.caller()
        item, body = self._item(pk, user), self.body()
        with self.refusals():
            data = self._data(body)
            saved = services.update_item(db.session, user, item, data)
        return self.response(200, id=saved.id, pending=saved.pending,
                             warnings=_warnings(user, [saved], data))

    @expose("/<int:pk>", methods=["DELETE"])
    @guarded("delete")
    def delete(self, pk):
        """Cancel an item (removed if never published; marked for cancellation if it was)."""
        user = self.caller()
        item = self._item(pk, user)
        with self.refusals():
            services.cancel_item(db.session, user, item)
        return self.response(200, message=_("Đã hủy mục lịch."))

    @expose("/copy-previous", methods=["POST"])
    @guarded("copy_previous")
    def copy_previous(self):
        """Copy last week's items into a unit's or one's own week ("Sao chép tuần trước"):
        JSON {scope: unit-<id> | mine | person-<own id>, year, week}. Items already in the
        week (same day, start time and content) and days gone by are left out.
        ---
        post:
          responses:
            201: {description: "the new items' ids and how many were left out"}
            400: {description: not a JSON object, or an unknown scope}
            422: {description: "refused, with the reason in Vietnamese"}
        """
        user, body = self.caller(), self.body()
        scope = self._scope(body.get("scope"), user)
        with self.refusals():
            copied = services.copy_previous_week(db.session, user, scope, _int(body.get("year")),
                                                 _int(body.get("week")))
        return self.response(201, ids=[i.id for i in copied.items],
                             already_there=copied.already_there, past=copied.past)

    @expose("/week/<int:pk>/actions/<action>", methods=["POST"])
    @guarded("action")
    def action(self, pk, action):
        """submit, approve, return {note: reason}, withdraw, publish (unit weeks)."""
        user = self.caller()
        week = db.session.get(ScheduleWeek, pk)
        if week is None or not access.can_see_week(user, week):
            return self.response_404()
        with self.refusals():
            services.act(db.session, user, week, action, text_field(json_fields()))
        return self.response(200, result=serialize_week(week, user))


def _warnings(user, items, data):
    """Conflicts of people and rooms, and the session corrected from the start time."""
    conflicts = services.find_conflicts(db.session, user, [], items)
    warnings = sorted({str(m) for ms in conflicts.values() for m in ms})
    notice = services.session_notice(data)
    return warnings + [notice] if notice else warnings


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
