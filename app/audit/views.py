"""The audit trail for leaders and the administrator: filter by person, object type, action and
period, search without accents, export as .xlsx. Reading only: no add, edit or delete route
exists. What is stored stays raw; every page renders it in words (app.audit.labels)."""
from datetime import datetime, time, timedelta

from flask import current_app, request
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select, true

from app.audit import labels
from app.audit.models import AuditEvent
from app.audit.secrecy import redact_rows
from app.audit.services import ACTION_LABELS
from app.core.dates import to_date
from app.core.text import fold
from app.core.timefmt import format_datetime, local_to_utc, utcnow
from app.core.views import EofficeModelView, GridFilter, VietnameseInterface
from app.core.xlsx import send_spreadsheet

EXPORT_LIMIT = 50_000
EXPORT_CHUNK = 1_000  # lines read, redacted and named at a time by the export
FILTER_ARGS = ("actor", "type", "action", "from", "to")


def audit_of(session, object_type, object_id):
    """The record's own lines of the audit trail (changes with before/after, downloads), for
    those who may read the trail (leaders, the administrator): a document's page shows them.

    Only the lines after the last "delete" line of the same type and id: an id is free for
    another record only once its record is deleted (SQLite gives the largest id again after a
    delete), and every delete is recorded in the deleting transaction; so the lines of a
    deleted record never show on the page of the record that got its id."""
    if not current_app.appbuilder.sm.has_access("can_read", "AuditTrail"):
        return []
    same = and_(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
    deleted = select(func.coalesce(func.max(AuditEvent.id), 0)).where(
        same, AuditEvent.action == "delete").scalar_subquery()
    rows = redact_rows(session, session.scalars(select(AuditEvent).where(
        same, AuditEvent.id > deleted).order_by(AuditEvent.id)))
    prepare(session, rows)
    return rows


def prepare(session, rows):
    """Name, in one query per related table for all the rows, the records their changes point
    at (foreign-key ids); kept on each row for changes_text."""
    names = labels.related_names(session, rows)
    for row in rows:
        row.audit_names = names
        row.audit_summary = labels.summary_text(row)
    return rows


def action_label(action):
    return str(ACTION_LABELS.get(action, action))


def changes_text(row_or_changes):
    """A line's changes in words ("Trạng thái: Đã vào sổ → Đã trình; Vai trò: thêm: Văn
    thư"); given the row (preferably, prepared) or, for old callers, the stored JSON alone."""
    if isinstance(row_or_changes, AuditEvent):
        row = row_or_changes
        if not row.changes:
            return ""
        return labels.changes_text(row.object_type, row.changes,
                                   getattr(row, "audit_names", None))
    return labels.changes_text(None, row_or_changes) if row_or_changes else ""


def summary_text(row):
    return labels.summary_text(row)


# ---------------------------------------------------------------- filters and search

def _matching_codes(mapping, word):
    return [code for code, label in mapping.items() if word in fold(str(label))]


def folded_search(text):
    """Every typed word (without accents or case) in the line's summary or person, or in the
    words of its action or object type ('tao moi van ban' finds "Tạo mới" of "Văn bản đến")."""
    words = fold(text or "").split()
    types = dict(labels.type_choices())
    conditions = []
    for word in words:
        actions = _matching_codes(ACTION_LABELS, word)
        kinds = _matching_codes(types, word)
        conditions.append(or_(AuditEvent.search_text.contains(word, autoescape=True),
                              AuditEvent.action.in_(actions) if actions else false(),
                              AuditEvent.object_type.in_(kinds) if kinds else false()))
    return and_(*conditions) if conditions else true()


def period(args):
    """(from, to) as typed (dd/mm/yyyy or yyyy-mm-dd, app.core.dates), a wrong value ignored."""
    return to_date(args.get("from")), to_date(args.get("to"))


def filter_conditions(args):
    conditions = []
    actor = (args.get("actor") or "").strip()
    if actor:
        conditions.append(AuditEvent.actor_name.icontains(actor, autoescape=True))
    if args.get("type"):
        conditions.append(AuditEvent.object_type == args["type"])
    if args.get("action"):
        conditions.append(AuditEvent.action == args["action"])
    start, end = period(args)
    if start:  # Vietnam days, stored in UTC
        conditions.append(AuditEvent.at >= local_to_utc(datetime.combine(start, time.min)))
    if end:
        conditions.append(AuditEvent.at < local_to_utc(
            datetime.combine(end + timedelta(days=1), time.min)))
    return conditions


AuditFilter = GridFilter.of(visible=lambda _user: true(), search=folded_search,
                            more=filter_conditions)


class AuditInterface(VietnameseInterface):
    """Every line the trail's pages read (grid, line page, export) passes the secrecy rule:
    nothing of a secret document's content is shown (app.audit.secrecy)."""

    def query(self, *args, **kwargs):
        count, rows = super().query(*args, **kwargs)
        return count, redact_rows(self.session, rows)

    def get(self, *args, **kwargs):
        row = super().get(*args, **kwargs)
        if row is not None:
            redact_rows(self.session, [row])
            prepare(self.session, [row])
        return row


class AuditView(EofficeModelView):
    route_base = "/audit"
    datamodel = AuditInterface(AuditEvent)
    class_permission_name = "AuditTrail"
    include_route_methods = {"list", "show", "export"}
    method_permission_name = {"list": "read", "show": "read", "export": "read"}
    list_title = show_title = _l("Nhật ký hệ thống")
    list_template = "audit/list.html"
    base_order = ("id", "desc")
    base_filters = [["id", AuditFilter, lambda: None]]
    list_columns = ["at", "actor_name", "ip", "action", "object_type", "object_id", "summary"]
    show_columns = list_columns + ["changes"]
    search_columns = ["at", "actor_name", "action", "object_type", "object_id", "ip"]
    order_columns = ["at"]
    label_columns = {"at": _l("Thời gian"), "actor_name": _l("Người thực hiện"),
                     "ip": _l("Địa chỉ"), "action": _l("Thao tác"),
                     "object_type": _l("Loại đối tượng"), "object_id": _l("Mã đối tượng"),
                     "summary": _l("Nội dung"), "changes": _l("Thay đổi (trước → sau)")}
    formatters_columns = {"at": format_datetime, "action": action_label}
    computed_columns = {"object_type": lambda row: labels.type_label(row.object_type),
                        "summary": summary_text, "changes": changes_text}

    def prepare_rows(self, rows):
        prepare(self.datamodel.session, rows)

    @expose("/export")
    @has_access
    def export(self):
        """The filtered trail as .xlsx (the grid's filters and search apply), in the same words
        as the grid."""
        from flask_appbuilder.urltools import get_filter_args

        get_filter_args(self._filters)
        session = self.datamodel.session
        query = self.datamodel.apply_all(
            session.query(AuditEvent), self._filters.get_joined_filters(self._base_filters),
            order_column="id", order_direction="desc", page=0, page_size=EXPORT_LIMIT)
        # read, redacted and named a chunk at a time: a decade's trail is never held whole
        chunks = session.scalars(query.statement.execution_options(
            yield_per=EXPORT_CHUNK)).partitions()
        type_labels = {}

        def lines():
            for chunk in chunks:
                for row in prepare(session, redact_rows(session, chunk)):
                    if row.object_type not in type_labels:
                        type_labels[row.object_type] = labels.type_label(row.object_type)
                    yield [row.at, row.actor_name, row.ip, action_label(row.action),
                           type_labels[row.object_type], row.object_id, summary_text(row),
                           changes_text(row)]

        title = _("Nhật ký hệ thống")
        return send_spreadsheet(  # the export itself is in the trail (app.core.downloads)
            filename=f"{title}.xlsx", object_type="audit_event", name=title,
            cover=[current_app.config["AGENCY_NAME"].upper(), title.upper(),
                   _("Xuất lúc %(at)s", at=format_datetime(utcnow()))],
            tables=[([self.label_columns[c] for c in self.show_columns], lines())],
            widths=[16, 22, 14, 18, 16, 12, 48, 48])

    def render_template(self, template, **kwargs):
        kwargs["export_query"] = request.query_string.decode()
        kwargs["audit_filters"] = {name: request.args.get(name, "") for name in FILTER_ARGS}
        kwargs["q"] = request.args.get("q", "")
        kwargs["type_choices"] = labels.type_choices()
        kwargs["action_choices"] = [(code, str(label)) for code, label in ACTION_LABELS.items()]
        return super().render_template(template, **kwargs)


def register_views(appbuilder):
    appbuilder.add_view(AuditView, "AuditTrail", label=_l("Nhật ký hệ thống"),
                        icon="fa-clipboard-list", category="Security",
                        category_label=_l("Quản trị hệ thống"))
