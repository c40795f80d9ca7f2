"""The audit trail for leaders and the administrator: filter by person, object and period,
export as .xlsx. Reading only: no add, edit or delete route exists."""
import json

from flask import current_app, request
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.audit.secrecy import redact_rows
from app.audit.services import ACTION_LABELS
from app.core.timefmt import format_datetime, utcnow
from app.core.views import EofficeModelView, VietnameseInterface
from app.core.xlsx import send_spreadsheet

EXPORT_LIMIT = 50_000


def audit_of(session, object_type, object_id):
    """The record's own lines of the audit trail (changes with before/after, downloads), for
    those who may read the trail (leaders, the administrator): a document's page shows them."""
    if not current_app.appbuilder.sm.has_access("can_read", "AuditTrail"):
        return []
    return redact_rows(session, session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id)))


def action_label(action):
    return str(ACTION_LABELS.get(action, action))


def changes_text(changes):
    if not changes:
        return ""
    try:
        data = json.loads(changes)
    except ValueError:
        return changes
    return "; ".join(f"{field}: {before} → {after}" for field, (before, after) in data.items())


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
    list_columns = ["at", "actor_name", "ip", "action", "object_type", "object_id", "summary"]
    show_columns = list_columns + ["changes"]
    search_columns = ["at", "actor_name", "action", "object_type", "object_id", "ip"]
    order_columns = ["at"]
    label_columns = {"at": _l("Thời gian"), "actor_name": _l("Người thực hiện"),
                     "ip": _l("Địa chỉ"), "action": _l("Thao tác"),
                     "object_type": _l("Loại đối tượng"), "object_id": _l("Mã đối tượng"),
                     "summary": _l("Nội dung"), "changes": _l("Thay đổi (trước → sau)")}
    formatters_columns = {"at": format_datetime, "action": action_label,
                          "changes": changes_text}

    @expose("/export")
    @has_access
    def export(self):
        """The filtered trail as .xlsx (the grid's filters apply)."""
        from flask_appbuilder.urltools import get_filter_args

        get_filter_args(self._filters)
        _count, rows = self.datamodel.query(self._filters, order_column="id",
                                            order_direction="desc", page=0,
                                            page_size=EXPORT_LIMIT)
        title = _("Nhật ký hệ thống")
        lines = ([row.at, row.actor_name, row.ip, action_label(row.action), row.object_type,
                  row.object_id, row.summary, changes_text(row.changes)] for row in rows)
        return send_spreadsheet(  # the export itself is in the trail (app.core.downloads)
            filename=f"{title}.xlsx", object_type="audit_event", name=title,
            cover=[current_app.config["AGENCY_NAME"].upper(), title.upper(),
                   _("Xuất lúc %(at)s", at=format_datetime(utcnow()))],
            tables=[([self.label_columns[c] for c in self.show_columns], lines)],
            widths=[16, 22, 14, 18, 16, 12, 48, 48])

    def render_template(self, template, **kwargs):
        kwargs["export_query"] = request.query_string.decode()
        return super().render_template(template, **kwargs)


def register_views(appbuilder):
    appbuilder.add_view(AuditView, "AuditTrail", label=_l("Nhật ký hệ thống"),
                        icon="fa-clipboard-list", category="Security",
                        category_label=_l("Quản trị hệ thống"))
