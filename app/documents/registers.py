"""The registers kept in the system (Decree 30, Appendix IV): Sổ đăng ký văn bản đến and
Sổ theo dõi giải quyết văn bản đến, as a printable page (A4 landscape) and as .xlsx, plus the
stamped copy of an incoming PDF. The columns are data: a correction is one edit here."""
import io
from datetime import datetime, time, timedelta

from flask import abort, current_app, g
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import select

from app.catalogs.models import Register
from app.core.downloads import send_download
from app.core.files import file_path
from app.core.pdf import stamp_arrival
from app.core.timefmt import format_date, format_datetime, local_to_utc, today_local
from app.core.xlsx import append_row
from app.documents.access import may_read_registers, visible_incoming
from app.documents.models import COOPERATE, LEAD, IncomingDocument
from app.extensions import db


def incoming_registers(session):
    return registers_of(session, "in")


def receivers(document) -> str:
    """Đơn vị hoặc người nhận: the lead and co-operating lines, else what the clerk typed."""
    names = [f"{line.assignee} ({line.role_label})" for line in document.assignments
             if line.role in (LEAD, COOPERATE) and line.parent_id is None]
    return "; ".join(names) or (document.recipients or "")


def passed_on(document) -> str:
    """Ngày chuyển: when the document was presented or assigned."""
    moments = [e.at for e in document.events if e.action in ("submit", "assign")]
    return format_date(min(moments)) if moments else ""


def type_and_excerpt(document) -> str:
    return f"{document.document_type.name}: {document.excerpt}"


def progress(document) -> str:
    if document.completed_at:
        return _("Hoàn thành ngày %(date)s", date=format_date(document.completed_at))
    notes = [line.progress_note for line in document.assignments if line.progress_note]
    return notes[-1] if notes else document.state_label


# (header, value) — Sổ đăng ký văn bản đến, 10 columns
INCOMING_COLUMNS = [
    ("Ngày đến", lambda d: format_date(d.arrival_at)),
    ("Số đến", lambda d: d.arrival_number),
    ("Tác giả", lambda d: d.agency.name),
    ("Số, ký hiệu", lambda d: d.number_symbol),
    ("Ngày tháng", lambda d: format_date(d.document_date)),
    ("Tên loại và trích yếu nội dung", type_and_excerpt),
    ("Đơn vị hoặc người nhận", receivers),
    ("Ngày chuyển", passed_on),
    ("Ký nhận", lambda d: ""),
    ("Ghi chú", lambda d: d.notes or ""),
]
# Sổ theo dõi giải quyết văn bản đến, 7 columns
TRACKING_COLUMNS = [
    ("Số đến", lambda d: d.arrival_number),
    ("Tên loại, số, ký hiệu, ngày tháng, cơ quan ban hành",
     lambda d: f"{d.document_type.name} số {d.number_symbol} ngày "
               f"{format_date(d.document_date)} của {d.agency.name}"),
    ("Đơn vị/người nhận", receivers),
    ("Thời hạn giải quyết", lambda d: format_date(d.deadline)),
    ("Tiến độ giải quyết", progress),
    ("Số, ký hiệu văn bản trả lời", lambda d: d.reply_reference or ""),
    ("Ghi chú", lambda d: d.notes or ""),
]
BOOKS = {
    "incoming": ("SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", INCOMING_COLUMNS),
    "tracking": ("SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN", TRACKING_COLUMNS),
}


def _parse(value, default):
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except (TypeError, ValueError):
        return default


def book_rows(session, user, register, date_from, date_to):
    start = local_to_utc(datetime.combine(date_from, time.min))
    end = local_to_utc(datetime.combine(date_to + timedelta(days=1), time.min))
    return list(session.scalars(
        select(IncomingDocument).where(
            visible_incoming(user), IncomingDocument.register_id == register.id,
            IncomingDocument.arrival_number.is_not(None),
            IncomingDocument.arrival_at >= start, IncomingDocument.arrival_at < end)
        .order_by(IncomingDocument.arrival_number)))


def book_response(view, args):
    """GET /incoming/book?register_id=&from=dd/mm/yyyy&to=dd/mm/yyyy&kind=incoming|tracking
    &format=html|xlsx"""
    return render_book(view, args, direction="in", books=BOOKS, default_kind="incoming",
                       rows_for=book_rows, number_of=lambda d: d.arrival_number)


def registers_of(session, direction):
    return list(session.scalars(select(Register).where(
        Register.direction == direction, Register.active.is_(True)).order_by(
        Register.year.desc(), Register.is_secret, Register.name)))


def render_book(view, args, *, direction, books, default_kind, rows_for, number_of):
    """A register printout for a register and a period (cover data, numbered columns), as a
    printable page or, with format=xlsx, a spreadsheet with the same columns. For those who
    keep or read the registers only (app.documents.access.may_read_registers)."""
    if not may_read_registers(g.user):
        abort(403)
    session = db.session
    registers = registers_of(session, direction)
    register = session.get(Register, args.get("register_id", type=int)) if args.get(
        "register_id", type=int) else (registers[0] if registers else None)
    if register is not None and register.direction != direction:
        register = None
    kind = args.get("kind") if args.get("kind") in books else default_kind
    today = today_local()
    year_start = today.replace(month=1, day=1) if register is None else \
        today.replace(year=register.year, month=1, day=1)
    date_from = _parse(args.get("from"), year_start)
    date_to = _parse(args.get("to"), min(today, year_start.replace(month=12, day=31)))
    rows = rows_for(session, g.user, register, date_from, date_to) if register else []
    title, columns = books[kind]
    cover = {
        "agency": current_app.config["AGENCY_NAME"], "title": title,
        "register": register, "year": register.year if register else today.year,
        "date_from": format_date(date_from), "date_to": format_date(date_to),
        "number_from": number_of(rows[0]) if rows else "",
        "number_to": number_of(rows[-1]) if rows else "",
    }
    table = [[value(d) for _h, value in columns] for d in rows]
    if args.get("format") == "xlsx":
        return _xlsx_response(cover, [h for h, _v in columns], table, kind)
    return view.render_template(
        "registers/book.html", cover=cover, headers=[h for h, _v in columns], table=table,
        registers=registers, kind=kind, books=books, title=title,
        urgent=[bool(d.urgency and d.urgency.is_urgent) for d in rows],
        args={"register_id": register.id if register else "", "from": cover["date_from"],
              "to": cover["date_to"], "kind": kind})


def _xlsx_response(cover, headers, table, kind):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = {"incoming": "So van ban den", "tracking": "Theo doi giai quyet",
                   "outgoing": "So van ban di"}.get(kind, "So")
    bold = Font(bold=True)
    sheet.append([cover["agency"].upper()])
    sheet.append([cover["title"]])
    append_row(sheet, [f"Năm {cover['year']} – "
                       f"{cover['register'].name if cover['register'] else ''}"])
    sheet.append([f"Từ ngày {cover['date_from']} đến ngày {cover['date_to']}; "
                  f"từ số {cover['number_from']} đến số {cover['number_to']}"])
    sheet.append([])
    append_row(sheet, headers)
    for cell in sheet[6]:
        cell.font = bold
    for row in table:
        append_row(sheet, row)
    thin = Side(style="thin")
    for row in sheet.iter_rows(min_row=6, max_row=sheet.max_row, max_col=len(headers)):
        for cell in row:
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate([12, 8, 28, 16, 12, 48, 28, 12, 10, 16][:len(headers)]):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    for line in range(1, 3):
        sheet.cell(row=line, column=1).font = bold
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    buffer = io.BytesIO()
    workbook.save(buffer)
    name = f"{cover['title'].title()} {cover['year']}.xlsx"
    return send_download(
        data=buffer.getvalue(), filename=name, object_type="register",
        object_id=cover["register"].id if cover["register"] else None,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def stamped_copy(document, record) -> bytes:
    config = current_app.config
    data = file_path(config["DATA_DIR"], record.storage_name).read_bytes()
    lead = next((line for line in document.assignments
                 if line.role == LEAD and line.parent_id is None), None)
    return stamp_arrival(data, agency_name=config["AGENCY_NAME"], number=document.arrival_number,
                         arrival_date=format_datetime(document.arrival_at),
                         routed_to=str(lead.assignee) if lead else "", dossier="",
                         font_path=config["PDF_FONT_PATH"],
                         position_mm=config["ARRIVAL_STAMP_POSITION"])


