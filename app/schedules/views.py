"""Web pages of the weekly schedules: the week view (one scope, the combined view or "Lịch của
tôi"), the item form, "Thêm mục lịch" wherever the person may add, copying last week, the
workflow buttons, the printable page and .xlsx, and the calendar-feed addresses."""
from datetime import timedelta

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.catalogs.models import MeetingRoom
from app.core.dates import parse_date
from app.core.errors import DomainError, FormErrors
from app.core.timefmt import WEEKDAYS, format_date, format_datetime, iso_week_days, today_local
from app.core.xlsx import Shown, send_spreadsheet
from app.core.views import method_permissions
from app.extensions import db
from app.org.models import Department, EofficeUser
from app.schedules import access, feeds, services, workflow
from app.schedules.forms import item_data
from app.schedules.models import (
    AGENCY, CHANGES, LEVELS, PERSON, SESSIONS, STATES, SUBMITTED, UNIT, ScheduleItem,
    ScheduleWeek,
)

COLUMNS = [_l("Thứ/ngày"), _l("Buổi"), _l("Giờ"), _l("Nội dung"), _l("Chủ trì"),
           _l("Thành phần"), _l("Địa điểm"), _l("Đơn vị chuẩn bị"), _l("Ghi chú")]
STATUS_LABELS = {**CHANGES, "pending_added": _l("Sẽ bổ sung"),
                 "pending_changed": _l("Sẽ điều chỉnh"), "pending_cancelled": _l("Sẽ hủy")}


# ---------------------------------------------------------------- what a page shows

def week_args():
    """(scope or None for the combined view, year, week) from the query string; 404 if bad."""
    scope_text = request.args.get("scope", "all")
    scope = None if scope_text == "all" else services.Scope.parse(scope_text, g.user)
    if scope_text != "all" and (scope is None or not scope.exists(db.session)):
        abort(404)
    today_year, today_week = services.week_of(today_local())
    year = request.args.get("year", today_year, type=int)
    week = request.args.get("week", today_week, type=int)
    if request.args.get("date"):
        try:
            year, week = services.week_of(parse_date(request.args["date"].strip(), "date"))
        except FormErrors:
            flash(_("Ngày không hợp lệ; nhập theo dạng dd/mm/yyyy."), "warning")
    if not services.valid_week(year, week):
        abort(404)
    return scope, year, week


def cell_values(row):
    """The nine columns of DOMAIN.md §3 for one row, as text."""
    item = row.item
    day = f"{WEEKDAYS[item.day.weekday()]} {format_date(item.day)}"
    hours = item.start_time.strftime("%H:%M") + (
        "–" + item.end_time.strftime("%H:%M") if item.end_time else "")
    if not row.details:
        return [day, str(SESSIONS[item.session]), hours, _("Bận (việc riêng)"), "", "", "", "",
                ""]
    participants = [p.full_name for p in item.people] + [u.name for u in item.units]
    if item.participants_text:
        participants.append(item.participants_text)
    chair = item.chair.full_name if item.chair else (item.chair_text or "")
    notes = item.notes or ""
    if row.status in STATUS_LABELS:
        notes = f"[{STATUS_LABELS[row.status]}] {notes}".strip()
    if item.backfill_reason:  # Art. 5.4: the real day above, the time of entry here
        notes = (notes + " " + _("[Nhập bù lúc %(at)s: %(reason)s]", at=format_datetime(
            item.created_at), reason=item.backfill_reason)).strip()
    return [day, str(SESSIONS[item.session]), hours, item.content, chair,
            "; ".join(participants), item.place_text,
            item.preparing_unit.name if item.preparing_unit else "", notes]


def week_title(session, scope, year, week):
    days = iso_week_days(year, week)
    whose = (_("CỦA %(name)s", name=scope.title(session).upper()) if scope
             else _("CỦA CƠ QUAN VÀ CÁC ĐƠN VỊ"))
    return _("LỊCH CÔNG TÁC TUẦN %(whose)s (Tuần thứ %(week)s, từ ngày %(start)s đến ngày "
             "%(end)s)", whose=whose, week=f"{week:02d}", start=format_date(days[0]),
             end=format_date(days[-1]))


def printed_week():
    """The week of the query string as printed and exported: (its record, its rows as
    published, its title, year, week)."""
    session = db.session
    scope, year, week = week_args()
    current, rows = services.view_rows(session, g.user, scope, year, week, editing=False)
    return current, rows, week_title(session, scope, year, week), year, week


class ScheduleView(BaseView):
    route_base = "/schedule"
    class_permission_name = "Schedule"
    method_permission_name = method_permissions(
        read=("index", "week", "print_week", "export", "feeds"),
        write=("new_item", "edit_item", "cancel_item", "restore_item", "act", "new_feed",
               "copy_previous"))
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return redirect(url_for("ScheduleView.week", scope="all"))

    @expose("/week")
    @has_access
    def week(self):
        session = db.session
        scope, year, week = week_args()
        # The lists of the scope menu first: the rows' chairs, owners and preparing units are
        # among them, and are not read again.
        units, people = _units(session), _people(session)
        candidates = _add_candidates(g.user, scope)
        agency = services.Scope(AGENCY)
        # The weeks shown, the agency's and those an item may be added to: read once.
        weeks, known = services.page_weeks(session, g.user, scope, year, week,
                                           also=[agency] + [c for c, _label in candidates])
        current, rows = services.week_view(session, g.user, scope, year, week, weeks=weeks)
        if current is not None:
            services.read_history(session, current)
        can_build = scope is not None and access.can_build_scope(
            g.user, scope.level, scope.department_id, scope.owner_id)
        agency_published = known.get(agency) is not None and known[agency].is_published
        days = iso_week_days(year, week)
        previous_week = services.week_of(days[0] - timedelta(days=7))
        next_week = services.week_of(days[0] + timedelta(days=7))
        return self.render_template(
            "schedules/week.html", title=_("Lịch công tác tuần"), scope=scope,
            scope_key=scope.key if scope else "all", year=year, week_number=week, days=days,
            rows=rows, week=current, can_build=can_build,
            builder=current is not None and access.can_build(g.user, current),
            actions=workflow.allowed_actions(g.user, current) if current else [],
            columns=COLUMNS, cell_values=cell_values, heading=week_title(session, scope, year,
                                                                       week),
            previous_week=previous_week, next_week=next_week, today=today_local(),
            this_week=services.week_of(today_local()), states=STATES, levels=LEVELS,
            status_labels=STATUS_LABELS, form=FlaskForm(),
            units=units, people=people,
            weekday_label=lambda day: f"{WEEKDAYS[day.weekday()]} {format_date(day)}",
            event_labels=services.EVENT_LABELS, agency_published=agency_published,
            add_targets=_add_targets(candidates, known, agency_published),
            can_copy=_can_copy(g.user, scope, current, can_build, agency_published),
            show_level=scope is None or services.own_scope(scope, g.user))

    @expose("/print")
    @has_access
    def print_week(self):
        current, rows, title, _year, _week = printed_week()
        return self.render_template(
            "schedules/print.html", title=title,
            agency=current_app.config["AGENCY_NAME"], columns=COLUMNS,
            table=[cell_values(row) for row in rows],
            statuses=[row.status for row in rows], week=current)

    @expose("/export")
    @has_access
    def export(self):
        _current, rows, title, year, week = printed_week()
        return _xlsx(current_app.config["AGENCY_NAME"], title, rows, year, week)

    # -- items
    def _week_for_new(self):
        scope, year, week = week_args()
        if scope is None:
            abort(404)
        try:
            return services.open_week(db.session, g.user, scope, year, week,
                                      create=request.method == "POST")
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return None

    def _render_form(self, week, item=None, values=None, errors=None, status=200):
        session = db.session
        values = values or {}
        return self.render_template(
            "schedules/item_form.html", title=_("Sửa mục lịch") if item else _("Thêm mục lịch"),
            week=week, item=item, values=values, errors=errors or {}, form=FlaskForm(),
            sessions=SESSIONS, session_hours=services.SESSION_HOURS,
            person_options=[(str(p.id), p.full_name + (f" – {p.department.code}"
                                                       if p.department else ""))
                            for p in _people(session)],
            unit_options=[(str(u.id), u.name) for u in _units(session)],
            room_options=[(str(r.id), r.name + (f" ({r.location})" if r.location else ""))
                          for r in session.scalars(select(MeetingRoom).where(
                              MeetingRoom.active.is_(True)).order_by(MeetingRoom.name))],
            days=iso_week_days(week.year, week.week), weekdays=WEEKDAYS,
            back=_week_url(week)), status

    @expose("/item/new", methods=["GET", "POST"])
    @has_access
    def new_item(self):
        week = self._week_for_new()
        if week is None:
            return redirect(url_for("ScheduleView.week", **request.args))
        if request.method == "GET":
            day = request.args.get("day", "")
            # The session follows the start time unless the person chooses one.
            return self._render_form(week, values={"day": day, "session": ""})
        return self._save(week, None)

    @expose("/item/<int:item_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit_item(self, item_id):
        item = self._item_or_404(item_id)
        week = item.week_record
        if not access.can_build(g.user, week):
            abort(403)
        if request.method == "GET":
            shown = services.pending_copy(db.session, item) or item
            return self._render_form(week, item, _values_of(shown))
        return self._save(week, item)

    def _save(self, week, item):
        form = FlaskForm()
        if not form.validate_on_submit():
            flash(_("Biểu mẫu đã hết hạn; vui lòng gửi lại."), "danger")
            return self._render_form(week, item, request.form.to_dict(), {}, 400)
        data, errors = item_data(request.form.to_dict(), {
            "people": request.form.getlist("people"), "units": request.form.getlist("units")})
        values = {**request.form.to_dict(), "people": request.form.getlist("people"),
                  "units": request.form.getlist("units")}
        try:
            if errors:
                services.validate_item(db.session, week, data)  # gather the rules' messages
                raise FormErrors(errors)
            saved = (services.update_item(db.session, g.user, item, data) if item
                     else services.add_items(db.session, g.user, week, data))
        except FormErrors as error:
            db.session.rollback()
            merged = {**error.errors, **errors}
            return self._render_form(week, item, values, merged, 422)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return self._render_form(week, item, values, {}, 422)
        saved = saved if isinstance(saved, list) else [saved]
        conflicts = services.find_conflicts(db.session, g.user, [], saved)
        flash(_("Đã lưu mục lịch.") if len(saved) == 1
              else _("Đã lưu %(n)s mục lịch (lặp lại hằng ngày).", n=len(saved)), "success")
        notice = services.session_notice(data)
        if notice:
            flash(notice, "warning")
        for message in sorted({m for messages in conflicts.values() for m in messages}):
            flash(_("Cảnh báo trùng lịch: %(message)s", message=message), "warning")
        return redirect(_week_url(week))

    def _item_or_404(self, item_id):
        item = db.session.get(ScheduleItem, item_id)
        if item is None or not access.can_see_week(g.user, item.week_record):
            abort(404)
        return item

    @expose("/item/<int:item_id>/cancel", methods=["POST"])
    @has_access
    def cancel_item(self, item_id):
        return self._item_change(item_id, services.cancel_item, _("Đã hủy mục lịch."))

    @expose("/item/<int:item_id>/restore", methods=["POST"])
    @has_access
    def restore_item(self, item_id):
        return self._item_change(item_id, services.restore_item, _("Đã hoàn tác thay đổi."))

    def _item_change(self, item_id, change, message):
        item = self._item_or_404(item_id)
        week = item.week_record
        if not FlaskForm().validate_on_submit():
            flash(_("Biểu mẫu đã hết hạn; vui lòng thử lại."), "danger")
            return redirect(_week_url(week))
        try:
            change(db.session, g.user, item)
            flash(message, "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        return redirect(_week_url(week))

    @expose("/week/copy-previous", methods=["POST"])
    @has_access
    def copy_previous(self):
        """"Sao chép tuần trước": last week's items into the week shown (scope, year, week in
        the address), for a unit's week and one's own."""
        scope, year, week = week_args()
        if scope is None:
            abort(404)
        back = url_for("ScheduleView.week", scope=scope.key, year=year, week=week)
        if not FlaskForm().validate_on_submit():
            flash(_("Biểu mẫu đã hết hạn; vui lòng thử lại."), "danger")
            return redirect(back)
        try:
            copied = services.copy_previous_week(db.session, g.user, scope, year, week)
        except FormErrors as error:
            db.session.rollback()
            flash(" ".join(str(m) for messages in error.errors.values() for m in messages),
                  "danger")
            return redirect(back)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "warning")
            return redirect(back)
        flash(_copied_message(copied), "success")
        return redirect(back)

    # -- workflow
    @expose("/week/<int:week_id>/act", methods=["POST"])
    @has_access
    def act(self, week_id):
        week = db.session.get(ScheduleWeek, week_id)
        if week is None or not access.can_see_week(g.user, week):
            abort(404)
        if not FlaskForm().validate_on_submit():
            flash(_("Biểu mẫu đã hết hạn; vui lòng thử lại."), "danger")
            return redirect(_week_url(week))
        action = request.form.get("action", "")
        try:
            services.act(db.session, g.user, week, action, request.form.get("note"))
            flash(_("Đã thực hiện: %(action)s.", action=services.EVENT_LABELS[action]),
                  "success")
        except FormErrors as error:
            db.session.rollback()
            flash(" ".join(str(m) for messages in error.errors.values() for m in messages),
                  "danger")
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        return redirect(_week_url(week))

    # -- calendar feeds
    @expose("/feeds")
    @has_access
    def feeds(self):
        session = db.session
        mine = feeds.active_feed(session, user_id=g.user.id)
        unit = (feeds.active_feed(session, department_id=g.user.department_id)
                if g.user.department_id else None)
        return self.render_template(
            "schedules/feeds.html", title=_("Đồng bộ lịch (iCalendar)"), form=FlaskForm(),
            mine=mine, unit=unit, department=g.user.department,
            feed_url=lambda feed: url_for("ScheduleFeedView.feed", token=feed.token,
                                          _external=True))

    @expose("/feeds/new", methods=["POST"])
    @has_access
    def new_feed(self):
        if not FlaskForm().validate_on_submit():
            flash(_("Biểu mẫu đã hết hạn; vui lòng thử lại."), "danger")
            return redirect(url_for("ScheduleView.feeds"))
        if request.form.get("kind") == "unit" and g.user.department_id:
            feeds.new_feed(db.session, g.user, department_id=g.user.department_id)
        else:
            feeds.new_feed(db.session, g.user, user_id=g.user.id)
        flash(_("Đã tạo địa chỉ mới; địa chỉ cũ (nếu có) không còn dùng được."), "success")
        return redirect(url_for("ScheduleView.feeds"))


class ScheduleFeedView(BaseView):
    """The .ics feed itself: no login (calendar programs cannot log in) — the secret address
    is the key, and a new one revokes it."""
    route_base = "/schedule/feed"

    @expose("/<token>.ics")
    def feed(self, token):
        feed = feeds.feed_by_token(db.session, token)
        if feed is None:
            abort(404)
        return Response(feeds.calendar_for(db.session, feed),
                        content_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "private, max-age=300"})


class AgencyScheduleView(BaseView):
    """Menu entries of the agency week's builders and approvers; they carry the two
    permissions ("compile", "approve") the administrator can also give to a delegate."""
    route_base = "/schedule/agency"
    class_permission_name = access.AGENCY_PERMISSION_VIEW
    method_permission_name = {"compile": "compile", "approve": "approve"}
    default_view = "compile"

    @expose("/compile")
    @has_access
    def compile(self):
        """Straight to next week's agency schedule (the office prepares it on Friday)."""
        year, week = services.week_of(today_local() + timedelta(days=7))
        return redirect(url_for("ScheduleView.week", scope=AGENCY, year=year, week=week))

    @expose("/approve")
    @has_access
    def approve(self):
        """The weeks waiting for approval."""
        waiting = db.session.scalars(select(ScheduleWeek).where(
            ScheduleWeek.level == AGENCY, ScheduleWeek.state == "submitted")
            .order_by(ScheduleWeek.year, ScheduleWeek.week)).all()
        if len(waiting) == 1:
            return redirect(_week_url(waiting[0]))
        return self.render_template("schedules/waiting.html", title=_("Lịch chờ duyệt"),
                                    weeks=waiting, week_url=_week_url)


def _add_candidates(user, scope):
    """[(scope, label)] of the weeks the user builds among those this page may add an item to:
    the scope shown, or in the combined view the agency's, their unit's and their own."""
    if scope is not None:
        candidates = [(scope, None)]
    else:
        candidates = [(services.Scope(AGENCY), _("lịch cơ quan"))]
        if user.department_id is not None:
            candidates.append((services.Scope(UNIT, department_id=user.department_id),
                               _("lịch đơn vị %(unit)s", unit=user.department.name)))
        candidates.append((services.Scope(PERSON, owner_id=user.id), _("lịch của tôi")))
    return [(candidate, label) for candidate, label in candidates
            if access.can_build_scope(user, candidate.level, candidate.department_id,
                                      candidate.owner_id)]


def _add_targets(candidates, known, agency_published):
    """[(scope key, label)] of the weeks the user may add an item to from this page, among the
    candidates (_add_candidates; `known`: {scope: its week record} of those created). Not a week
    waiting for approval, nor a unit's or one's own before the agency's week is published
    (Art. 7.2a, 8.2a)."""
    targets = []
    for candidate, label in candidates:
        if candidate.level != AGENCY and not agency_published:
            continue
        existing = known.get(candidate)
        if existing is not None and existing.state == SUBMITTED:
            continue
        targets.append((candidate.key, label))
    return targets


def _can_copy(user, scope, current, can_build, agency_published):
    """"Sao chép tuần trước" on a unit's week or one's own, while it may take the copies."""
    if scope is None or not can_build or not agency_published:
        return False
    if scope.level == UNIT:
        return current is None or not current.is_published
    return services.own_scope(scope, user)


def _copied_message(copied):
    message = _("Đã sao chép %(n)s mục lịch từ tuần trước.", n=len(copied.items))
    if copied.already_there:
        message += " " + _("Bỏ qua %(n)s mục đã có trong tuần này.", n=copied.already_there)
    if copied.past:
        message += " " + _("Bỏ qua %(n)s mục rơi vào ngày đã qua.", n=copied.past)
    return message


def _week_url(week):
    return url_for("ScheduleView.week", scope=services.scope_of(week).key, year=week.year,
                   week=week.week)


def _people(session):
    return session.scalars(select(EofficeUser).where(EofficeUser.active.is_(True))
                           .order_by(EofficeUser.first_name, EofficeUser.last_name)).all()


def _units(session):
    return session.scalars(select(Department).where(Department.active.is_(True))
                           .order_by(Department.sort_order, Department.name)).all()


def _values_of(item):
    # The session follows the start time (the form's "Theo giờ bắt đầu"); an older item whose
    # session contradicts its time shows it, and saving says how it is corrected.
    session = "" if item.session == services.session_of(item.start_time) else item.session
    return {"day": format_date(item.day), "session": session,
            "start_time": item.start_time.strftime("%H:%M"),
            "end_time": item.end_time.strftime("%H:%M") if item.end_time else "",
            "content": item.content, "chair_id": str(item.chair_id or ""),
            "chair_text": item.chair_text or "", "people": [str(p.id) for p in item.people],
            "units": [str(u.id) for u in item.units],
            "participants_text": item.participants_text or "",
            "room_id": str(item.room_id or ""), "place": item.place or "",
            "preparing_unit_id": str(item.preparing_unit_id or ""), "notes": item.notes or "",
            "backfill_reason": item.backfill_reason or "",
            "private": "y" if item.private else ""}


def _xlsx(agency, title, rows, year, week):
    """The week as .xlsx (app.core.xlsx.spreadsheet): the day is a date cell that reads
    "Thứ Hai 05/01/2026"."""
    name = _("Lịch công tác tuần %(week)s-%(year)s", week=f"{week:02d}", year=year)

    def values(row):
        day = row.item.day
        return [Shown(day, f'"{WEEKDAYS[day.weekday()]}" dd/mm/yyyy')] + cell_values(row)[1:]

    return send_spreadsheet(
        filename=f"{name}.xlsx", object_type="schedule_week", name=name,
        cover=[agency.upper(), title], tables=[(COLUMNS, (values(row) for row in rows))],
        widths=[16, 8, 12, 48, 20, 32, 20, 20, 20])


def register_views(appbuilder):
    from app.schedules.api import ScheduleApi

    appbuilder.add_api(ScheduleApi)
    appbuilder.add_view(ScheduleView, "Schedules", label=_l("Lịch công tác tuần"),
                        icon="fa-calendar-week", category="Portal",
                        category_label=_l("Lịch và tin tức"), category_icon="fa-calendar")
    appbuilder.add_link("AgencyScheduleCompile", label=_l("Soạn lịch cơ quan"),
                        href="/schedule/agency/compile", icon="fa-pen-to-square",
                        category="Portal")
    appbuilder.add_link("AgencyScheduleApprove", label=_l("Duyệt lịch cơ quan"),
                        href="/schedule/agency/approve", icon="fa-check-double",
                        category="Portal")
    appbuilder.add_link("ScheduleFeeds", label=_l("Đồng bộ lịch (iCalendar)"),
                        href="/schedule/feeds", icon="fa-rss", category="Portal")
    appbuilder.add_view_no_menu(AgencyScheduleView)
    appbuilder.add_view_no_menu(ScheduleFeedView)
