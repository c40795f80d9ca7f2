"""The reports of a period (Decree 30, Appendix VI outputs; Art. 9.1d): each one is a title and
sections of (heading, columns, rows), shown as a printable page (A4 landscape, like the
registers in app.documents.registers) or written as .xlsx. The figures are those of
app.stats.figures, so the report and the dashboard never disagree. Rows hold values of their
kind (numbers, dates): the spreadsheet keeps them, the page shows them as text (`shown`)."""
from dataclasses import dataclass, field, replace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core.timefmt import format_date
from app.core.xlsx import Table, cell_text, send_spreadsheet
from app.documents import services as incoming
from app.dossiers.access import visible_dossier
from app.dossiers.models import STATUSES as DOSSIER_STATUSES
from app.dossiers.models import Dossier, DossierItem
from app.org.models import Department, EofficeUser
from app.stats import cache


@dataclass
class Section:
    heading: str
    headers: list
    rows: list = field(default_factory=list)

    @classmethod
    def of(cls, figure, heading=None):
        """A figure as a table; none of its rows when it counts nothing (the "no data" state)."""
        headers, rows = figure.table()
        return cls(str(heading or figure.title), headers, [] if figure.empty else rows)


@dataclass
class Report:
    key: str
    title: str
    scope: object
    sections: list = field(default_factory=list)
    note: str = ""
    page: int = 1  # a long report shows a page of its rows; its spreadsheet has them all
    pages: int = 1

    @property
    def empty(self):
        return not any(section.rows for section in self.sections)

    @property
    def subtitle(self):
        period = self.scope.period
        return _("Từ ngày %(a)s đến ngày %(b)s", a=format_date(period.start),
                 b=format_date(period.end))


def incoming_report(session, scope, page=None):
    """Báo cáo tình hình giải quyết văn bản đến: totals, then by unit and by person."""
    by_unit = cache.figure(session, scope, "processing_by_unit")
    by_person = cache.figure(session, scope, "processing_by_person")
    totals = cache.summary(session, scope)
    overall = [_("Tổng số văn bản đến trong kỳ"), totals["incoming"]]
    rows = [overall] + [[s["label"], sum(s["data"])] for s in by_unit.series]
    return Report("incoming", _("BÁO CÁO TÌNH HÌNH GIẢI QUYẾT VĂN BẢN ĐẾN"), scope, [
        Section(_("Tổng hợp (số văn bản, theo phần việc của các đơn vị)"),
                [_("Nội dung"), _("Số lượng")], rows),
        Section.of(by_unit), Section.of(by_person)],
        note=_("Trạng thái tính đến ngày %(d)s.", d=format_date(scope.today)))


def outgoing_report(session, scope, page=None):
    """Báo cáo văn bản đi: by month, type and field."""
    months = cache.figure(session, scope, "documents_by_month")
    months = replace(months, series=[s for s in months.series if s["key"] == "outgoing"])
    return Report("outgoing", _("BÁO CÁO VĂN BẢN ĐI"), scope, [
        Section.of(months, _("Văn bản đi theo tháng")),
        Section.of(cache.figure(session, scope, "outgoing_by_type")),
        Section.of(cache.figure(session, scope, "outgoing_by_field"))])


def activity_report(session, scope, page=None):
    return Report("activity", _("BÁO CÁO HOẠT ĐỘNG CỦA CÁN BỘ, CÔNG CHỨC"), scope,
                  [Section.of(cache.figure(session, scope, "officers_activity"))])


def overdue_report(session, scope, page=None):
    """Danh sách văn bản đến quá hạn theo đơn vị và cá nhân (today, whatever the period): the
    overdue page's work, by the one rule (app.documents.deadlines) — the documents waiting for
    a direction or to be presented first, then the lines by unit and person. `page`: that page
    of it (the screen); None: all of it, streamed (the spreadsheet)."""
    total, groups = incoming.overdue_summary(session, scope.user, unit_id=scope.unit_id)
    pieces = sum(count for *_rest, count in groups)
    pages = max((pieces + incoming.OVERDUE_PAGE - 1) // incoming.OVERDUE_PAGE, 1)
    if page is None:
        items = incoming.all_overdue_lines(session, scope.user, unit_id=scope.unit_id)
    else:
        page = min(max(page, 1), pages)
        items = incoming.overdue_lines(session, scope.user, unit_id=scope.unit_id,
                                       offset=(page - 1) * incoming.OVERDUE_PAGE)

    def rows():
        for item in items:
            if item.line is None:
                unit = str(incoming.OVERDUE_GROUPS[item.kind])
                person = item.person.full_name if item.person else ""
            else:
                unit = item.department.name if item.department else _("Chưa rõ đơn vị")
                person = item.person.full_name if item.person else \
                    _("Đơn vị chưa giao cho người cụ thể")
            yield [unit, person, item.document.arrival_number, item.document.number_symbol,
                   item.document.excerpt, str(item.task), item.deadline, item.days]

    return Report("overdue", _("DANH SÁCH VĂN BẢN ĐẾN QUÁ HẠN THEO ĐƠN VỊ, CÁ NHÂN"), scope, [
        Section(_("Văn bản đến quá hạn: %(n)s văn bản", n=total),
                [_("Đơn vị"), _("Cá nhân"), _("Số đến"), _("Số, ký hiệu"), _("Trích yếu"),
                 _("Việc"), _("Hạn xử lý"), _("Số ngày quá hạn")],
                rows() if page is None else list(rows()))],
        note=_("Tính đến ngày %(d)s, không phụ thuộc khoảng thời gian.",
               d=format_date(scope.today)), page=page or 1, pages=pages if page else 1)


def dossiers_report(session, scope, page=None):
    """Mục lục hồ sơ: the dossiers open at some time in the period (Appendix V columns)."""
    period = scope.period
    documents = (select(func.count(DossierItem.id)).where(DossierItem.dossier_id == Dossier.id)
                 .correlate(Dossier).scalar_subquery())
    query = (select(Dossier, documents, Department.name, EofficeUser)
             .outerjoin(Department, Department.id == Dossier.department_id)
             .join(EofficeUser, EofficeUser.id == Dossier.owner_id)
             .where(visible_dossier(scope.user), Dossier.start_date <= period.end,
                    (Dossier.closed_at.is_(None)) | (Dossier.closed_at >= period.utc_start))
             .order_by(Dossier.year, Dossier.code))
    if scope.unit_id is not None:
        query = query.where(Dossier.department_id == scope.unit_id)
    rows = []
    for index, (dossier, count, unit, owner) in enumerate(session.execute(query), start=1):
        rows.append([index, dossier.code, dossier.title,
                     dossier.retention.name if dossier.retention else "",
                     f"{owner.full_name}" + (f" ({unit})" if unit else ""),
                     dossier.start_date, dossier.end_date, count,
                     str(DOSSIER_STATUSES.get(dossier.status, dossier.status))])
    return Report("dossiers", _("MỤC LỤC HỒ SƠ"), scope, [
        Section(_("Hồ sơ công việc"),
                [_("STT"), _("Số và ký hiệu hồ sơ"), _("Tiêu đề hồ sơ"),
                 _("Thời hạn bảo quản"), _("Người lập (đơn vị)"), _("Ngày bắt đầu"),
                 _("Ngày kết thúc"), _("Số văn bản"), _("Ghi chú")], rows)])


# key → (label, build(session, scope, page=None)): `page` is the page shown of a long report
# (the overdue list pages; the others are a few dozen rows and ignore it), None for the
# spreadsheet, which has every row.
REPORTS = {
    "incoming": (_l("Tình hình giải quyết văn bản đến"), incoming_report),
    "outgoing": (_l("Văn bản đi"), outgoing_report),
    "activity": (_l("Hoạt động của cán bộ, công chức"), activity_report),
    "overdue": (_l("Văn bản đến quá hạn theo đơn vị, cá nhân"), overdue_report),
    "dossiers": (_l("Mục lục hồ sơ"), dossiers_report),
}


def unit_name(session, scope):
    if scope.unit_id is None:
        return ""
    return session.scalar(select(Department.name).where(Department.id == scope.unit_id)) or ""


# The spreadsheet of each report: its sheet's name (31 characters at most) and its columns'
# widths in characters (the sections share the columns; 16 after the last given).
SHEETS = {
    "incoming": (_l("Giải quyết văn bản đến"), [44, 14, 14, 14, 14, 14, 14]),
    "outgoing": (_l("Văn bản đi"), [36, 14, 14, 14, 14, 14, 14]),
    "activity": (_l("Hoạt động cán bộ, công chức"), [36, 14, 14, 14, 14, 14, 14]),
    "overdue": (_l("Văn bản đến quá hạn"), [24, 22, 8, 16, 44, 12, 11, 10]),
    "dossiers": (_l("Mục lục hồ sơ"), [6, 14, 44, 12, 28, 11, 11, 9, 14]),
}


def shown(report):
    """The report with its cells as the page shows them (dates dd/mm/yyyy)."""
    return replace(report, sections=[
        replace(section, rows=[[cell_text(value) for value in row] for row in section.rows])
        for section in report.sections])


def xlsx_response(report, unit=""):
    """The report as a spreadsheet (app.core.xlsx.spreadsheet): the cover, then each section
    with its heading; streamed rows (write-only workbook, constant memory)."""
    name, widths = SHEETS.get(report.key, (report.title, None))
    cover = [current_app.config["AGENCY_NAME"].upper(), report.title,
             report.subtitle + (f" – {unit}" if unit else "")]
    if report.note:
        cover.append(report.note)
    empty = _("Không có dữ liệu trong khoảng thời gian này.")
    period = report.scope.period
    return send_spreadsheet(
        filename=f"{report.title.capitalize()} {period.start:%d-%m-%Y} – "
                 f"{period.end:%d-%m-%Y}.xlsx",
        object_type="report", object_id=report.key, name=name, cover=cover,
        tables=[Table(section.headers, section.rows, heading=section.heading, empty=empty)
                for section in report.sections], widths=widths)
