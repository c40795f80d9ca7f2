"""The figures of the leaders' dashboard, the reports and the REST API (Art. 6.1b, 9.1d, 4.1,
5.2). Each one is a grouped query computed by the database under the reader's visibility rules
(app.*.access) and, for a unit leader, restricted to their unit; Python only lays the counted
groups out as labels and series. The processing status of incoming work is the documents
module's rule (app.documents.services.line_status), the same as the overdue page's; what is
overdue is app.documents.deadlines (the headline is the overdue page's total)."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from flask import g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    String, and_, bindparam, case, distinct, func, literal, null, or_, select, true, union_all,
)
from sqlalchemy.orm import aliased

from app.audit.models import AuditEvent
from app.catalogs.models import Agency, DocumentType, Field
from app.core.dates import to_date
from app.core.errors import DomainError
from app.core.sqltime import date_month, local_date, local_month
from app.core.timefmt import format_date, local_to_utc, to_local, today_local, utcnow
from app.documents import deadlines
from app.documents import services as incoming
from app.documents.access import visible_incoming
from app.security.access import held_roles, may
from app.documents.models import (
    DONE, FYI, IN_PROGRESS, OPEN, PENDING, IncomingAssignment, IncomingDocument,
)
from app.dossiers.access import visible_dossier
from app.dossiers.models import STATUSES as DOSSIER_STATUSES
from app.dossiers.models import Dossier
from app.dossiers.services import overdue_condition as dossier_overdue
from app.org.models import Department, EofficeUser
from app.outgoing.access import visible_draft, visible_outgoing
from app.outgoing.models import Draft, OutgoingDocument
from app.request_forms.access import visible_requests
from app.request_forms.models import OPEN_STATES
from app.request_forms.models import STATES as REQUEST_STATES
from app.request_forms.models import RequestForm
from app.security import roles as r
from app.stats import partials, stamps



def whole_agency(user) -> bool:
    """Reads the figures of the whole agency and of any unit (leaders, the clerk)."""
    return may(user, "can_read_all", "StatsReport")
DEFAULT_MONTHS = 12
MAX_DAYS = 366 * 10
TOP_AGENCIES = 10
LOGIN_DAYS = 31  # the daily login chart shows the last month of the period
IDLE_DAYS = 7
OVERDUE = "overdue"


class StatsError(DomainError):
    """A parameter a person typed is wrong (answered 400 with this message)."""


# ---------------------------------------------------------------- period and scope

def _day(value, name):
    day = to_date(value)
    if day is not None:
        return day
    value = (value or "").strip()
    raise StatsError(_l("Ngày «%(value)s» (%(name)s) không hợp lệ: nhập dd/mm/yyyy, ví dụ "
                        "05/03/2026.", value=value, name=name))


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def from_args(cls, args, today=None):
        """from/to (dd/mm/yyyy or yyyy-mm-dd); by default the last twelve months."""
        today = today or today_local()
        first = today.replace(day=1)
        for _i in range(DEFAULT_MONTHS - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        start = _day(args.get("from"), _("từ ngày")) if args.get("from") else first
        end = _day(args.get("to"), _("đến ngày")) if args.get("to") else today
        if start > end:
            raise StatsError(_l("«Từ ngày» phải trước hoặc bằng «đến ngày»."))
        if (end - start).days > MAX_DAYS:
            raise StatsError(_l("Khoảng thời gian tối đa là 10 năm."))
        return cls(start, end)

    @property
    def utc_start(self):
        return local_to_utc(datetime.combine(self.start, time.min))

    @property
    def utc_end(self):  # exclusive
        return local_to_utc(datetime.combine(self.end + timedelta(days=1), time.min))

    def holds(self, column):
        """A UTC DateTime column falls in the period (Vietnam days)."""
        return and_(column >= self.utc_start, column < self.utc_end)

    def holds_date(self, column):
        return and_(column >= self.start, column <= self.end)

    def months(self):
        """[(yyyy-mm, first day, last day)] of the period, the ends clipped to it."""
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            following = (day + timedelta(days=32)).replace(day=1)
            months.append((day.strftime("%Y-%m"), max(day, self.start),
                           min(following - timedelta(days=1), self.end)))
            day = following
        return months

    def as_args(self):
        return {"from": format_date(self.start), "to": format_date(self.end)}


@dataclass(frozen=True)
class Scope:
    """Who reads (their visibility rules apply) and which unit (None: the whole agency)."""
    user: object
    unit_id: int | None
    period: Period
    today: date = field(default_factory=today_local)

    @classmethod
    def for_user(cls, session, user, args):
        """Agency and office leaders and clerks choose a unit or the whole agency; a unit
        leader always sees their own unit; anyone else only their own unit too."""
        period = Period.from_args(args)
        if whole_agency(user):
            raw = (args.get("unit") or "").strip()
            if not raw:
                return cls(user, None, period)
            unit = session.get(Department, int(raw)) if raw.isdecimal() and \
                int(raw) < 2**31 else None
            if unit is None:
                raise StatsError(_l("Không có đơn vị này."))
            return cls(user, unit.id, period)
        return cls(user, getattr(user, "department_id", None) or -1, period)

    def args(self, **extra):
        """Query parameters of a drill-down link: the period, the unit, and `extra`."""
        values = {**self.period.as_args(), **extra}
        if self.unit_id is not None and "unit" not in extra and "person" not in extra:
            values["unit"] = self.unit_id
        return values


# ---------------------------------------------------------------- figures

@dataclass
class Figure:
    key: str
    title: str
    kind: str  # bar, stacked, hbar, doughnut, line
    labels: list = field(default_factory=list)
    series: list = field(default_factory=list)  # [{key, label, data, links}]
    dimension: str = ""  # what a label is (heading of the first column in a report)

    @property
    def total(self):
        return sum(sum(s["data"]) for s in self.series)

    @property
    def empty(self):
        return self.total == 0

    def add(self, key, label, data, links=None):
        self.series.append({"key": key, "label": str(label), "data": list(data),
                            "links": list(links) if links else [None] * len(data)})

    def as_dict(self):
        return {"key": self.key, "title": str(self.title), "kind": self.kind,
                "dimension": str(self.dimension), "labels": [str(x) for x in self.labels],
                "series": self.series, "total": self.total}

    def table(self):
        """(headers, rows) with a total column when there is more than one series."""
        headers = [str(self.dimension)] + [s["label"] for s in self.series]
        many = len(self.series) > 1
        if many:
            headers.append(_("Tổng"))
        rows = []
        for index, label in enumerate(self.labels):
            values = [s["data"][index] for s in self.series]
            rows.append([str(label)] + values + ([sum(values)] if many else []))
        return headers, rows


def _incoming_link(scope, **extra):
    return url_for("IncomingView.list") + "?" + urlencode(scope.args(**extra))


def _outgoing_link(scope, start, end, **extra):
    """FAB's own grid filters: issued after the day before and before the day after."""
    values = {"_flt_1_issued_date": (start - timedelta(days=1)).isoformat(),
              "_flt_2_issued_date": (end + timedelta(days=1)).isoformat(), **extra}
    if scope.unit_id is not None:
        values["_flt_0_drafting_department"] = scope.unit_id
    return url_for("OutgoingView.list") + "?" + urlencode(values)


# ---------------------------------------------------------------- counted month by month
# A figure over a period is the sum of its months; each month's counts are kept until that
# month's data change (app.stats.partials, app.stats.stamps).

def _in_months(column, months, dated=False):
    """The column (UTC DateTime, or a calendar date) falls in one of the months."""
    spans = [Period(start, end) for start, end in partials.runs(months)]
    return or_(*[span.holds_date(column) if dated else span.holds(column) for span in spans])


def _reader(session, scope, kind):
    """The digest of the reader's rules for the incoming or the outgoing figures."""
    rules = {"incoming": lambda: [visible_incoming(scope.user)],
             "outgoing": lambda: [visible_outgoing(scope.user)],
             "activity": lambda: [visible_incoming(scope.user), visible_draft(scope.user),
                                  visible_dossier(scope.user)]}[kind]
    return partials.reader_key(session, (scope.user.id, kind), rules)


def _incoming_where(session, scope, months):
    """Registered incoming documents of the months that the reader may see (of the unit)."""
    conditions = [visible_incoming(scope.user), IncomingDocument.state != PENDING,
                  _in_months(IncomingDocument.arrival_at, months)]
    if scope.unit_id is not None:
        conditions.append(incoming.documents_of_unit(
            scope.unit_id, incoming.unit_people(session, scope.unit_id)))
    return conditions


def _outgoing_where(_session, scope, months):
    conditions = [visible_outgoing(scope.user),
                  _in_months(OutgoingDocument.issued_date, months, dated=True)]
    if scope.unit_id is not None:
        conditions.append(OutgoingDocument.drafting_department_id == scope.unit_id)
    return conditions


def _counts(session, query):
    """{key or (keys): count} of a query selecting key column(s) then a count."""
    result = {}
    for row in session.execute(query):
        *keys, count = row
        result[keys[0] if len(keys) == 1 else tuple(keys)] = count
    return result


def _grouped(session, query):
    """{month: count} of rows (month, count); {month: {key or (keys): count}} of rows
    (month, *keys, count)."""
    result = {}
    for month, *keys, count in session.execute(query):
        if not keys:
            result[month] = count
        else:
            result.setdefault(month, {})[keys[0] if len(keys) == 1 else tuple(keys)] = count
    return result


def _summed(per_month) -> dict:
    total = {}
    for counts in per_month.values():
        for key, count in counts.items():
            total[key] = total.get(key, 0) + count
    return total


INCOMING_KEYS = {"month": None, "type": IncomingDocument.document_type_id,
                 "field": IncomingDocument.field_id, "agency": IncomingDocument.agency_id}
OUTGOING_KEYS = {"month": None, "type": OutgoingDocument.document_type_id,
                 "field": OutgoingDocument.field_id}


def _document_rows(session, scope, direction, months):
    """{key: rows} of every key of INCOMING_KEYS / OUTGOING_KEYS over the months, read in one
    statement once per request: the reader's documents of the months are selected once
    (a materialized CTE: the visibility test is most of the cost, 440 ms a year for a unit
    leader on PostgreSQL) and grouped four ways. rows: [(month, count)] for "month", else
    [(month, id, count)]."""
    incoming_side = direction == "incoming"
    memo = g.setdefault("stats_document_rows", {})
    token = (direction, scope.user.id, scope.unit_id, tuple(months))
    if token in memo:
        return memo[token]
    columns = INCOMING_KEYS if incoming_side else OUTGOING_KEYS
    month = local_month(IncomingDocument.arrival_at) if incoming_side else \
        date_month(OutgoingDocument.issued_date)
    where = _incoming_where if incoming_side else _outgoing_where
    documents = select(month.label("month"), *[column.label(key) for key, column in
                                               columns.items() if column is not None]) \
        .where(*where(session, scope, months)).cte("period_documents") \
        .prefix_with("MATERIALIZED")
    memo[token] = _ways(session, documents, columns, func.count())
    return memo[token]


def _ways(session, documents, columns, measure):
    """{key: rows} of the documents (a CTE with month and the columns' keys) grouped by month
    and by each key of `columns`, in one statement; `measure`: what a group counts."""
    rows = {key: [] for key in columns}
    for name, month_key, ident, count in session.execute(
            union_all(*_way_parts(documents, columns, measure))):
        rows[name].append((month_key, count) if name == "month" else (month_key, ident, count))
    return rows


def _way_parts(documents, columns, measure, *extra):
    """The SELECTs of _ways: (name, month, key, *extra, measure) of each key of `columns`."""
    return [select(literal(key, String).label("name"), documents.c.month,
                   (documents.c[key] if column is not None else null()).label("key"),
                   *extra, measure.label("n"))
            .group_by(documents.c.month, *([documents.c[key]] if column is not None else []))
            for key, column in columns.items()]


def _their_documents(session, months, people, open_only=False):
    """The ids of the documents that a change of a unit's people can move: those of the
    months (None: of any month) with a tracked line (`open_only`: an open one) of `people`,
    who came to the unit or left it; read once per request (off the lines' inbox index, then
    the documents' arrival), for every unit and figure the move changed. A bound parameter
    written into the statement: a person's year is thousands of documents."""
    memo = g.setdefault("stats_their_documents", {})
    token = (months and tuple(months), tuple(sorted(people)), open_only)
    if token not in memo:
        line = aliased(IncomingAssignment)
        theirs = select(line.document_id).where(
            line.user_id.in_(sorted(people)), line.role.in_(deadlines.WORK_ROLES),
            line.state == OPEN if open_only else line.state.in_((DONE, OPEN)))
        if months is not None:
            theirs = select(IncomingDocument.id).where(
                _in_months(IncomingDocument.arrival_at, months),
                IncomingDocument.id.in_(theirs))
        memo[token] = sorted(set(session.scalars(theirs)))
    return bindparam("their_documents", memo[token], expanding=True, literal_execute=True) \
        if memo[token] else None


def _held(line_of_unit):
    return case((line_of_unit, 1), else_=0)


def _moved(session, scope, months, before, now, unit=None):
    """What of one unit's counts of the months changes when its people go from `before` to
    `now` (`unit`: the scope's unless given), in one statement: {"documents": rows as
    _document_rows's ("incoming"), "unit": [(month, unit, status, documents)], "person":
    [(month, person, status, documents)]}.

    A document is the unit's when it has a tracked line given to the unit or to one of its
    people (documents_of_unit); it counts +1 when it is now and was not, -1 the reverse. It
    counts for a status of the unit's lines (_line_rows) when one of the unit's own lines
    (given to the unit, or to one of its people with no unit named) has that status: +1 / -1
    the same way. Only the documents of those who came or left can move: the statement reads
    their lines (_their_documents), not the unit's year. "person": the rows of those who came
    (those who left are taken out of the kept counts by the caller)."""
    unit = scope.unit_id if unit is None else unit
    memo = g.setdefault("stats_moved", {})
    token = (scope.user.id, unit, scope.today, tuple(months), before, now)
    if token in memo:
        return memo[token]
    rows = {"documents": {key: [] for key in INCOMING_KEYS}, "unit": [], "person": []}
    theirs = _their_documents(session, months, set(before) ^ set(now))
    if theirs is None:
        memo[token] = rows
        return rows
    line = IncomingAssignment
    top = line.parent_id.is_(None)

    def units_line(people):
        return and_(top, deadlines.units_own_line(unit, sorted(people)))

    def of_unit(people):
        return incoming.line_of_unit(unit, sorted(people))

    where = [visible_incoming(scope.user), IncomingDocument.state != PENDING,
             incoming.tracked_line(), _in_months(IncomingDocument.arrival_at, months)]
    status = incoming.line_status(scope.today).label("status")
    month = local_month(IncomingDocument.arrival_at).label("month")
    keys = [column.label(key) for key, column in INCOMING_KEYS.items() if column is not None]
    # `parent_id IS NULL` only in the flags: in WHERE, SQLite took it for an index to read the
    # decade's lines by
    lines = (select(month, *keys, status, line.document_id.label("document"),
                    line.user_id.label("person"),
                    _held(of_unit(now)).label("now"), _held(of_unit(before)).label("then"),
                    _held(units_line(now)).label("line_now"),
                    _held(units_line(before)).label("line_then"))
             .select_from(IncomingDocument).join(line, line.document_id == IncomingDocument.id)
             .where(*where, of_unit(set(before) | set(now)), IncomingDocument.id.in_(theirs))
             .cte("moved_lines").prefix_with("MATERIALIZED"))
    documents = (select(lines.c.month, *[lines.c[key.name] for key in keys],
                        (func.max(lines.c.now) - func.max(lines.c.then)).label("sign"))
                 .group_by(lines.c.document, lines.c.month, *[lines.c[key.name] for key in keys])
                 .subquery("moved_documents"))
    signs = (select(lines.c.month, lines.c.status,
                    (func.max(lines.c.line_now) - func.max(lines.c.line_then)).label("sign"))
             .group_by(lines.c.month, lines.c.status, lines.c.document).subquery("signs"))
    parts = [part.where(documents.c.sign != 0) for part in _way_parts(
        documents, INCOMING_KEYS, func.sum(documents.c.sign), null().label("status"))]
    parts.append(select(literal("unit", String), signs.c.month, literal(unit), signs.c.status,
                        func.sum(signs.c.sign))
                 .where(signs.c.sign != 0).group_by(signs.c.month, signs.c.status))
    came = sorted(set(now) - set(before))
    if came:  # their lines are all in moved_lines: they are the unit's people now
        parts.append(select(literal("person", String), lines.c.month, lines.c.person,
                            lines.c.status, func.count(distinct(lines.c.document)))
                     .where(lines.c.person.in_(came))
                     .group_by(lines.c.month, lines.c.person, lines.c.status))
    for name, month_key, ident, line_status, count in session.execute(union_all(*parts)):
        if name in ("unit", "person"):
            rows[name].append((month_key, ident, line_status, count))
        else:
            rows["documents"][name].append(
                (month_key, count) if name == "month" else (month_key, ident, count))
    memo[token] = rows
    return rows


def _plus(value, change):
    """A kept count (a number, or {key: number}) with a signed change added (none left 0)."""
    if not isinstance(value, dict):
        return value + change
    total = dict(value)
    for key, count in change.items():
        total[key] = total.get(key, 0) + count
        if not total[key]:
            del total[key]
    return total


def _by_month(rows, column):
    """{month: count} (rows (month, count): column None) or {month: {id: count}}."""
    result = {}
    for row in rows:
        if column is None:
            result[row[0]] = row[1]
        else:
            result.setdefault(row[0], {})[row[1]] = row[2]
    return result


def _document_counts(session, scope, direction, key):
    """{month: count} (key "month") or {month: {id: count}} of the period's incoming or
    outgoing documents, by INCOMING_KEYS / OUTGOING_KEYS[key]."""
    incoming_side = direction == "incoming"
    column = (INCOMING_KEYS if incoming_side else OUTGOING_KEYS)[key]
    empty = 0 if column is None else {}

    def compute(months):
        return _by_month(_document_rows(session, scope, direction, months)[key], column)

    def moved(months, kept, before, now):
        change = _by_month(_moved(session, scope, months, before, now)["documents"][key],
                           column)
        return {month: _plus(value, change.get(month, empty)) for month, value in kept.items()}

    return partials.monthly(session, scope, f"{direction}-{key}",
                            reader=_reader(session, scope, direction),
                            kinds=(stamps.INCOMING if incoming_side else stamps.OUTGOING,),
                            months=scope.period.months(), compute=compute, empty=empty,
                            # of one unit: its documents (its people's) / drafted by it
                            people="unit" if incoming_side else None,
                            moved=moved if incoming_side else None)


def _incoming_counts(session, scope, key):
    return _document_counts(session, scope, "incoming", key)


def _outgoing_counts(session, scope, key):
    return _document_counts(session, scope, "outgoing", key)


def _next_deadlines(session, today, every=None):
    """valid_through of counts that depend on the day: {month: the earliest deadline, today
    or later, of the open work on that month's documents} (every reader's: an earlier day only
    means counting again sooner). The day after it, something turns overdue. `every`: the
    months of the whole history — asked for all of them, no condition on the arrival (the
    documents being processed are found by their state)."""
    def through(months):
        # the same months asked by several figures in one request are read once
        memo = g.setdefault("stats_next_deadlines", {})
        token = (today, every is not None, tuple(months))
        if token not in memo:
            memo[token] = read(months)
        return memo[token]

    def read(months):
        arrival = true() if every is not None and len(months) == len(every) else \
            _in_months(IncomingDocument.arrival_at, months)
        month = local_month(IncomingDocument.arrival_at).label("month")
        deadline = deadlines.effective_deadline()
        lines = (select(month, deadline.label("deadline")).select_from(IncomingAssignment)
                 .join(IncomingDocument, IncomingDocument.id == IncomingAssignment.document_id)
                 .where(IncomingAssignment.state == OPEN,
                        IncomingDocument.state == IN_PROGRESS, deadline >= today, arrival))
        waiting = select(month, IncomingDocument.deadline).where(
            IncomingDocument.state.in_(deadlines.WAITING_STATES),
            IncomingDocument.deadline >= today, arrival)
        items = union_all(lines, waiting).subquery()
        return {key: _as_date(day) for key, day in session.execute(
            select(items.c.month, func.min(items.c.deadline)).group_by(items.c.month))}
    return through


def documents_by_month(session, scope):
    received = _incoming_counts(session, scope, "month")
    issued = _outgoing_counts(session, scope, "month")
    months = scope.period.months()
    figure = Figure("documents_by_month", _l("Văn bản đến và văn bản đi theo tháng"), "bar",
                    labels=[f"{key[5:]}/{key[:4]}" for key, _a, _b in months],
                    dimension=_l("Tháng"))
    figure.add("incoming", _l("Văn bản đến"), [received.get(k, 0) for k, _a, _b in months],
               [_incoming_link(scope, **{"from": format_date(a), "to": format_date(b)})
                for _k, a, b in months])
    figure.add("outgoing", _l("Văn bản đi"), [issued.get(k, 0) for k, _a, _b in months],
               [_outgoing_link(scope, a, b) for _k, a, b in months])
    return figure


def _named(session, model, counts, limit=None):
    """[(id, name, count)] of {id: count}, biggest first (then by name), `limit` of them."""
    ids = [ident for ident in counts if ident is not None]
    names = dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()) \
        if ids else {}
    rows = sorted(((ident, names.get(ident), count) for ident, count in counts.items()),
                  key=lambda row: (-row[2], str(row[1])))
    return rows[:limit] if limit else rows


def incoming_by(session, scope, dimension, limit=None):
    """Incoming documents by type, field or issuing agency."""
    model, title, heading, param = {
        "type": (DocumentType, _l("Văn bản đến theo loại"), _l("Loại văn bản"), "type"),
        "field": (Field, _l("Văn bản đến theo lĩnh vực"), _l("Lĩnh vực"), "field"),
        "agency": (Agency, _l("Văn bản đến theo cơ quan ban hành (nhiều nhất)"),
                   _l("Cơ quan ban hành"), "agency"),
    }[dimension]
    rows = _named(session, model, _summed(_incoming_counts(session, scope, dimension)), limit)
    kind = "doughnut" if dimension == "field" else "hbar"
    figure = Figure(f"incoming_by_{dimension}", title, kind, dimension=heading,
                    labels=[name or _("Chưa xác định lĩnh vực") for _i, name, _c in rows])
    figure.add("incoming", _l("Văn bản đến"), [count for _i, _n, count in rows],
               [_incoming_link(scope, **{param: ident if ident else "none"})
                for ident, _n, _c in rows])
    return figure


def outgoing_by(session, scope, dimension):
    model, title, heading, flt = {
        "type": (DocumentType, _l("Văn bản đi theo loại"), _l("Loại văn bản"),
                 "_flt_0_document_type"),
        "field": (Field, _l("Văn bản đi theo lĩnh vực"), _l("Lĩnh vực"), "_flt_0_field"),
    }[dimension]
    rows = _named(session, model, _summed(_outgoing_counts(session, scope, dimension)))
    period = scope.period
    figure = Figure(f"outgoing_by_{dimension}", title,
                    "doughnut" if dimension == "field" else "hbar", dimension=heading,
                    labels=[name or _("Chưa xác định lĩnh vực") for _i, name, _c in rows])
    figure.add("outgoing", _l("Văn bản đi"), [count for _i, _n, count in rows],
               [_outgoing_link(scope, period.start, period.end, **{flt: ident})
                if ident else None for ident, _n, _c in rows])
    return figure


def _line_rows(session, scope, months, units=None):
    """{"unit": rows, "person": rows} of the tracked lines of the months' documents that the
    reader may see, read in one statement once per request (the lines are selected once, a
    materialized CTE, and grouped both ways); rows: [(month, unit or person id, status,
    distinct documents)]. A unit counts its own lines (no parent; its own or its person's
    unit), a person the lines given to them; of one unit (scope.unit_id): its lines and its
    people's. `units`: only the lines of these units (theirs or their people's: the agency's
    counts of the units a move changed), grouped by unit only."""
    memo = g.setdefault("stats_line_rows", {})
    token = (scope.user.id, scope.unit_id, scope.today, tuple(months), units and tuple(units))
    if token in memo:
        return memo[token]
    holder = aliased(EofficeUser)
    line = IncomingAssignment
    unit = func.coalesce(line.department_id, holder.department_id)
    where = [visible_incoming(scope.user), incoming.tracked_line(),
             _in_months(IncomingDocument.arrival_at, months)]
    if scope.unit_id is not None:  # the unit's line, or its people's (holder's unit)
        where.append(incoming.line_of_unit(
            scope.unit_id, incoming.unit_people(session, scope.unit_id)))
    if units:
        where.append(or_(*[incoming.line_of_unit(unit_id, incoming.unit_people(session, unit_id))
                           for unit_id in units]))
    lines = (select(local_month(IncomingDocument.arrival_at).label("month"),
                    unit.label("unit"), line.user_id.label("person"),
                    holder.department_id.label("person_unit"), line.parent_id.label("parent"),
                    incoming.line_status(scope.today).label("status"),
                    IncomingDocument.id.label("document"))
             .select_from(IncomingDocument)
             .join(line, line.document_id == IncomingDocument.id)
             .outerjoin(holder, holder.id == line.user_id)
             .where(*where).cte("period_lines").prefix_with("MATERIALIZED"))
    by_unit = [lines.c.parent.is_(None), lines.c.unit.is_not(None)]
    by_person = [lines.c.person.is_not(None)]
    if scope.unit_id is not None:
        by_unit.append(lines.c.unit == scope.unit_id)
        by_person.append(lines.c.person_unit == scope.unit_id)
    if units:
        by_unit.append(lines.c.unit.in_(units))
    ways = (("unit", lines.c.unit, by_unit), ("person", lines.c.person, by_person))
    parts = [select(literal(name, String).label("name"), lines.c.month, key.label("key"),
                    lines.c.status, func.count(distinct(lines.c.document)).label("n"))
             .where(*conditions).group_by(lines.c.month, key, lines.c.status)
             for name, key, conditions in ways[:1 if units else 2]]
    rows = {"unit": [], "person": []}
    for name, *row in session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
        rows[name].append(tuple(row))
    memo[token] = rows
    return rows


def _processing_counts(session, scope, by_person):
    """{month: {(unit or person id, status): distinct documents}} (_line_rows). The agency's
    counts by unit are kept unit by unit (partials.monthly_by_unit): a move between two units
    counts those two again."""
    name = "person" if by_person else "unit"
    reader = _reader(session, scope, "incoming")
    through = _next_deadlines(session, scope.today)
    if not by_person and scope.unit_id is None:
        def by_units(months, units):
            result = {}
            for month, key, status, count in _line_rows(session, scope, months, units)["unit"]:
                result.setdefault(month, {}).setdefault(key, {})[status] = count
            return result

        def moved_units(unit, months, kept, before, now):
            change = {}
            for month, _unit, status, count in _moved(session, scope, months, before, now,
                                                       unit)["unit"]:
                change.setdefault(month, {})[status] = count
            return {month: _plus(value, change.get(month, {})) for month, value in kept.items()}

        per_unit = partials.monthly_by_unit(
            session, scope, "processing-units", reader=reader, kinds=(stamps.INCOMING,),
            months=scope.period.months(), units=list(session.scalars(select(Department.id))),
            compute=by_units, valid_through=through, moved=moved_units)
        return {month: {(unit, status): count for unit, statuses in counts.items()
                        for status, count in statuses.items()}
                for month, counts in per_unit.items()}

    def compute(months):
        result = {}
        for month, key, status, count in _line_rows(session, scope, months)[name]:
            result.setdefault(month, {})[(key, status)] = count
        return result

    def moved(months, kept, before, now):
        change = {}
        for month, key, status, count in _moved(session, scope, months, before, now)[name]:
            change.setdefault(month, {})[(key, status)] = count
        gone = set(before) ^ set(now) if by_person else set()
        return {month: _plus({key: count for key, count in value.items()
                              if key[0] not in gone}, change.get(month, {}))
                for month, value in kept.items()}

    return partials.monthly(
        session, scope, "processing-" + name, reader=reader, kinds=(stamps.INCOMING,),
        months=scope.period.months(), compute=compute, empty={}, valid_through=through,
        moved=moved)


def _processing(session, scope, by_person):
    """Distinct documents per (unit or person, status) over the tracked lines of the period's
    documents."""
    counts = _summed(_processing_counts(session, scope, by_person))
    if by_person:
        names = {ident: f"{last} {first}" for ident, last, first in session.execute(
            select(EofficeUser.id, EofficeUser.last_name, EofficeUser.first_name)
            .where(EofficeUser.id.in_({ident for ident, _status in counts})))}
    else:
        names = dict(session.execute(select(Department.id, Department.name).where(
            Department.id.in_({ident for ident, _status in counts}))).all())
    totals = {}
    for (ident, _status), count in counts.items():
        totals[ident] = totals.get(ident, 0) + count
    order = sorted(totals, key=lambda ident: (-totals[ident], str(names.get(ident))))
    if by_person:
        figure = Figure("processing_by_person", _l("Tình hình xử lý văn bản đến theo cá nhân"),
                        "stacked", dimension=_l("Cá nhân"))
    else:
        figure = Figure("processing_by_unit", _l("Tình hình xử lý văn bản đến theo đơn vị"),
                        "stacked", dimension=_l("Đơn vị"))
    figure.labels = [names.get(ident) for ident in order]
    param = "person" if by_person else "unit"
    for status_key, status_label in incoming.PROCESSING_STATUSES.items():
        figure.add(status_key, status_label,
                   [counts.get((ident, status_key), 0) for ident in order],
                   [_incoming_link(scope, **{param: ident, "status": status_key})
                    for ident in order])
    return figure


def processing_by_unit(session, scope):
    return _processing(session, scope, by_person=False)


def processing_by_person(session, scope):
    return _processing(session, scope, by_person=True)


def _people(session, scope):
    """[(id, full name)] of the active people in scope (unit), administrators aside."""
    from flask_appbuilder.security.sqla.models import Role

    held = held_roles()  # of their own or a group's
    query = select(EofficeUser.id, EofficeUser.last_name, EofficeUser.first_name).where(
        EofficeUser.active.is_(True), EofficeUser.id.in_(
            select(held.c.user_id).join(Role, Role.id == held.c.role_id)
            .where(Role.name != r.ADMIN)))
    if scope.unit_id is not None:
        query = query.where(EofficeUser.department_id == scope.unit_id)
    return [(i, f"{last} {first}".strip()) for i, last, first in session.execute(query)]


def _activity_counts(session, scope):
    """[processed, drafts, opened, closed]: {person id: count} of the period (see
    officers_activity), each counted in its month (a document's work in the month it was
    completed, a draft in the month it was written, a dossier in the months it was opened
    and closed)."""
    user = scope.user
    line = IncomingAssignment

    def compute(months):
        result = {}

        def add(index, query):
            for month, person, count in session.execute(query):
                result.setdefault(month, [{}, {}, {}, {}])[index][person] = count

        completed = local_month(line.completed_at).label("month")
        add(0, select(completed, line.user_id, func.count(distinct(line.document_id)))
            .join(IncomingDocument, IncomingDocument.id == line.document_id)
            .where(visible_incoming(user), line.role != FYI, line.state == DONE,
                   _in_months(line.completed_at, months), line.user_id.is_not(None))
            .group_by(completed, line.user_id))
        written = local_month(Draft.created_at).label("month")
        add(1, select(written, Draft.drafter_id, func.count(Draft.id))
            .where(visible_draft(user), _in_months(Draft.created_at, months))
            .group_by(written, Draft.drafter_id))
        started = date_month(Dossier.start_date).label("month")
        add(2, select(started, Dossier.owner_id, func.count(Dossier.id))
            .where(visible_dossier(user), _in_months(Dossier.start_date, months, dated=True))
            .group_by(started, Dossier.owner_id))
        closed = local_month(Dossier.closed_at).label("month")
        add(3, select(closed, Dossier.owner_id, func.count(Dossier.id))
            .where(visible_dossier(user), _in_months(Dossier.closed_at, months))
            .group_by(closed, Dossier.owner_id))
        return result

    per_month = partials.monthly(session, scope, "activity",
                                 reader=_reader(session, scope, "activity"),
                                 kinds=(stamps.ACTIVITY,), months=scope.period.months(),
                                 compute=compute, empty=[{}, {}, {}, {}],
                                 people=None)  # per person, of any unit
    return [_summed({month: parts[index] for month, parts in per_month.items()})
            for index in range(4)]


def officers_activity(session, scope):
    """Art. 9.1d, per person in the period: incoming documents they completed work on, drafts
    they wrote, dossiers they opened and closed."""
    processed, drafts, opened, closed = _activity_counts(session, scope)
    people = _people(session, scope)
    columns = (("processed", _l("Văn bản đến đã xử lý"), processed),
               ("drafts", _l("Dự thảo đã soạn"), drafts),
               ("opened", _l("Hồ sơ đã mở"), opened), ("closed", _l("Hồ sơ đã đóng"), closed))
    people.sort(key=lambda p: (-sum(c.get(p[0], 0) for _k, _t, c in columns), p[1]))
    figure = Figure("officers_activity", _l("Hoạt động của cán bộ, công chức"), "bar",
                    labels=[name for _i, name in people], dimension=_l("Cá nhân"))
    for key, label, counts in columns:
        figure.add(key, label, [counts.get(i, 0) for i, _n in people])
    return figure


def dossiers_by_state(session, scope):
    """Dossiers that were open at some time in the period, by their state today (an open
    dossier past its deadline counts as overdue)."""
    period = scope.period
    state = case((dossier_overdue(scope.today), OVERDUE), else_=Dossier.status).label("state")
    where = [visible_dossier(scope.user), Dossier.start_date <= period.end,
             or_(Dossier.closed_at.is_(None), Dossier.closed_at >= period.utc_start)]
    if scope.unit_id is not None:
        where.append(Dossier.department_id == scope.unit_id)
    inner = select(state).where(*where).subquery()
    counts = _counts(session, select(inner.c.state, func.count()).group_by(inner.c.state))
    labels = {"open": _l("Đang mở, trong hạn"), OVERDUE: _l("Quá hạn"),
              "closed": DOSSIER_STATUSES["closed"], "handed_over": DOSSIER_STATUSES["handed_over"]}
    figure = Figure("dossiers_by_state", _l("Hồ sơ công việc theo trạng thái"), "doughnut",
                    labels=list(labels.values()), dimension=_l("Trạng thái"))
    links = []
    for key in labels:
        values = {"box": key, "_flt_2_start_date": (period.end + timedelta(days=1)).isoformat()}
        if scope.unit_id is not None:
            values["_flt_0_department"] = scope.unit_id
        links.append(url_for("DossierView.list") + "?" + urlencode(values))
    figure.add("dossiers", _l("Hồ sơ"), [counts.get(k, 0) for k in labels], links)
    return figure


def requests_by_state(session, scope):
    """Request forms sent in the period, by state (an open one past its deadline: overdue)."""
    overdue = and_(RequestForm.state.in_(OPEN_STATES), RequestForm.deadline < scope.today)
    state = case((overdue, OVERDUE), else_=RequestForm.state).label("state")
    where = [visible_requests(scope.user), scope.period.holds(RequestForm.sent_at)]
    if scope.unit_id is not None:
        where.append(or_(RequestForm.target_department_id == scope.unit_id,
                         RequestForm.sender_department_id == scope.unit_id))
    inner = select(state).where(*where).subquery()
    counts = _counts(session, select(inner.c.state, func.count()).group_by(inner.c.state))
    labels = {**REQUEST_STATES, OVERDUE: _l("Quá hạn")}
    figure = Figure("requests_by_state", _l("Phiếu yêu cầu theo trạng thái"), "doughnut",
                    labels=list(labels.values()), dimension=_l("Trạng thái"))
    figure.add("requests", _l("Phiếu yêu cầu"), [counts.get(k, 0) for k in labels])
    return figure


def logins_by_day(session, scope):
    """Logins per day and unit (Art. 5.2: everybody logs in every day) over the last
    LOGIN_DAYS days of the period."""
    period = scope.period
    first = max(period.start, period.end - timedelta(days=LOGIN_DAYS - 1))
    window = Period(first, period.end)
    actor = aliased(EofficeUser)
    day = local_date(AuditEvent.at).label("day")
    where = [AuditEvent.action == "login", window.holds(AuditEvent.at)]
    if scope.unit_id is not None:
        where.append(actor.department_id == scope.unit_id)
    inner = (select(day, func.coalesce(actor.department_id, 0).label("unit"))
             .select_from(AuditEvent).outerjoin(actor, actor.id == AuditEvent.actor_id)
             .where(*where).subquery())
    counts = {(_as_date(d), unit): count for d, unit, count in session.execute(
        select(inner.c.day, inner.c.unit, func.count()).group_by(inner.c.day, inner.c.unit))}
    days = [first + timedelta(days=i) for i in range((period.end - first).days + 1)]
    names = dict(session.execute(select(Department.id, Department.name)).all())
    units = sorted({unit for _d, unit in counts}, key=lambda u: str(names.get(u, "")))
    figure = Figure("logins_by_day", _l("Lượt đăng nhập theo ngày và đơn vị"), "stacked",
                    labels=[d.strftime("%d/%m") for d in days], dimension=_l("Ngày"))
    for unit in units:
        figure.add(f"unit-{unit}", names.get(unit) or _("Chưa rõ đơn vị"),
                   [counts.get((d, unit), 0) for d in days])
    return figure


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def idle_people(session, scope, days=IDLE_DAYS):
    """Active people in scope who have not logged in for `days` days (or ever)."""
    since = utcnow() - timedelta(days=days)
    query = (select(EofficeUser.last_name, EofficeUser.first_name, Department.name,
                    EofficeUser.last_login)
             .outerjoin(Department, Department.id == EofficeUser.department_id)
             .where(EofficeUser.active.is_(True),
                    or_(EofficeUser.last_login.is_(None), EofficeUser.last_login < since))
             .order_by(EofficeUser.last_login.is_not(None), EofficeUser.last_login,
                       EofficeUser.username))
    if scope.unit_id is not None:
        query = query.where(EofficeUser.department_id == scope.unit_id)
    return [{"name": f"{last} {first}".strip(), "unit": unit or "",
             "last_login": last_login} for last, first, unit, last_login in
            session.execute(query)]


def _overdue_counts(session, scope):
    """{month of arrival: documents overdue now} over every month that has documents: the
    overdue page's total (app.documents.deadlines.overdue_count) counted month by month, so
    that a change recounts its month, not a decade."""
    # two statements: SQLite reads min() or max() off the index, not both at once
    first = session.scalar(select(func.min(IncomingDocument.arrival_at)))
    last = session.scalar(select(func.max(IncomingDocument.arrival_at)))
    if first is None:
        return {}
    months = Period(to_local(first).date(), max(to_local(last).date(), scope.today)).months()

    def compute(chosen):
        # all of history at once (nothing counted yet): the documents are found by their
        # state, as the overdue page finds them, not month by month
        arrival = true() if len(chosen) == len(months) else \
            _in_months(IncomingDocument.arrival_at, chosen)
        items = deadlines.overdue_items(scope.today, and_(visible_incoming(scope.user), arrival),
                                        scope.unit_id, arrival=True)
        month = local_month(items.c.arrival_at).label("month")
        return _grouped(session, select(month, func.count(distinct(items.c.document_id)))
                        .group_by(month))

    def moved(chosen, kept, before, now):
        # the unit's overdue documents among those with open work of the people who came or
        # left, as its people are now less as they were: in one statement, from those
        # documents' ids (read first; behind a subquery PostgreSQL went through every open
        # line of the unit, 57 ms instead of 15)
        theirs = _their_documents(session, None, set(before) ^ set(now), open_only=True)
        if theirs is None:
            return kept
        visible = and_(visible_incoming(scope.user),
                       _in_months(IncomingDocument.arrival_at, chosen))
        parts = []
        for sign, people in ((1, now), (-1, before)):
            items = deadlines.overdue_items(scope.today, visible, scope.unit_id, arrival=True,
                                            documents=theirs, people=sorted(people))
            month = local_month(items.c.arrival_at).label("month")
            parts.append(select(month, (sign * func.count(distinct(items.c.document_id)))
                                .label("n")).group_by(month))
        change = {}
        for key, count in session.execute(union_all(*parts)):
            change[key] = change.get(key, 0) + count
        return {month: value + change.get(month, 0) for month, value in kept.items()}

    return partials.monthly(session, scope, "overdue",
                            reader=_reader(session, scope, "incoming"),
                            kinds=(stamps.INCOMING,), months=months, compute=compute, empty=0,
                            valid_through=_next_deadlines(session, scope.today, months),
                            moved=moved)


def summary(session, scope):
    """The headline numbers: received, issued, overdue work now (the overdue page's total for
    the same reader and unit)."""
    return {"incoming": sum(_incoming_counts(session, scope, "month").values()),
            "outgoing": sum(_outgoing_counts(session, scope, "month").values()),
            "overdue_documents": sum(_overdue_counts(session, scope).values())}


# key → function(session, scope): the figures of the dashboard and of the API, in order
FIGURES = {
    "documents_by_month": documents_by_month,
    "incoming_by_type": lambda s, sc: incoming_by(s, sc, "type"),
    "incoming_by_field": lambda s, sc: incoming_by(s, sc, "field"),
    "incoming_by_agency": lambda s, sc: incoming_by(s, sc, "agency", TOP_AGENCIES),
    "outgoing_by_type": lambda s, sc: outgoing_by(s, sc, "type"),
    "outgoing_by_field": lambda s, sc: outgoing_by(s, sc, "field"),
    "processing_by_unit": processing_by_unit,
    "processing_by_person": processing_by_person,
    "officers_activity": officers_activity,
    "dossiers_by_state": dossiers_by_state,
    "requests_by_state": requests_by_state,
    "logins_by_day": logins_by_day,
}


def units(session):
    return list(session.execute(select(Department.id, Department.name).where(
        Department.active.is_(True)).order_by(Department.sort_order, Department.name)))
