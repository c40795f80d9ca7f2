"""The registers kept in the system (Decree 30, Appendix IV): Sổ đăng ký văn bản đến and
Sổ theo dõi giải quyết văn bản đến, as a printable page (A4 landscape) and as .xlsx, plus the
stamped copy of an incoming PDF. The columns are data: a correction is one edit here. A column
gives a value of its kind (a date, a number, a text): the spreadsheet keeps it (a date cell, a
number cell), the page shows it as text (app.core.xlsx)."""
from datetime import date, datetime, time, timedelta

from flask import abort, current_app, g
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.catalogs.models import Register, UrgencyLevel
from app.core.dates import to_date
from app.core.numbers import row_id
from app.core.files import file_path
from app.core.pdf import stamp_arrival
from app.core.timefmt import format_date, format_datetime, local_to_utc, to_local, today_local
from app.core.xlsx import Table, cell_text, send_spreadsheet
from app.documents.access import may_read_registers, visible_incoming
from app.documents.models import (COOPERATE, LEAD, DocumentFile, IncomingAssignment,
                                  IncomingDocument)
from app.extensions import db
from app.security.signature_checks import signature_summaries


BOOK_PAGE_SIZE = 100  # entries on a page of the printable register
BOOK_CHUNK = 500  # entries read at a time for the spreadsheet


def incoming_registers(session):
    return registers_of(session, "in")


def receivers(document) -> str:
    """Đơn vị hoặc người nhận: the lead and co-operating lines, else what the clerk typed."""
    names = [f"{line.assignee} ({line.role_label})" for line in document.assignments
             if line.role in (LEAD, COOPERATE) and line.parent_id is None]
    return "; ".join(names) or (document.recipients or "")


def local_day(moment):
    """The day (Vietnam time) of a moment stored in UTC; None for none."""
    return to_local(moment).date() if moment else None


def passed_on_day(document):
    """Ngày chuyển: the day the document was presented or assigned."""
    moments = [e.at for e in document.events if e.action in ("submit", "assign")]
    return local_day(min(moments)) if moments else None


def passed_on(document) -> str:
    return format_date(passed_on_day(document))


def type_and_excerpt(document) -> str:
    return f"{document.document_type.name}: {document.excerpt}"


def progress(document) -> str:
    if document.completed_at:
        return _("Hoàn thành ngày %(date)s", date=format_date(document.completed_at))
    notes = [line.progress_note for line in document.assignments if line.progress_note]
    return notes[-1] if notes else document.state_label


# (header, value) — Sổ đăng ký văn bản đến, 10 columns
INCOMING_COLUMNS = [
    ("Ngày đến", lambda d: local_day(d.arrival_at)),
    ("Số đến", lambda d: d.arrival_number),
    ("Tác giả", lambda d: d.agency.name),
    ("Số, ký hiệu", lambda d: d.number_symbol),
    ("Ngày tháng", lambda d: d.document_date),
    ("Tên loại và trích yếu nội dung", type_and_excerpt),
    ("Đơn vị hoặc người nhận", receivers),
    ("Ngày chuyển", passed_on_day),
    ("Ký nhận", lambda d: ""),
    ("Ghi chú", lambda d: notes_with_signatures(d)),
]
# Sổ theo dõi giải quyết văn bản đến, 7 columns
TRACKING_COLUMNS = [
    ("Số đến", lambda d: d.arrival_number),
    ("Tên loại, số, ký hiệu, ngày tháng, cơ quan ban hành",
     lambda d: f"{d.document_type.name} số {d.number_symbol} ngày "
               f"{format_date(d.document_date)} của {d.agency.name}"),
    ("Đơn vị/người nhận", receivers),
    ("Thời hạn giải quyết", lambda d: d.deadline),
    ("Tiến độ giải quyết", progress),
    ("Số, ký hiệu văn bản trả lời", lambda d: d.reply_reference or ""),
    ("Ghi chú", lambda d: d.notes or ""),
]
# kind → (title, columns, the spreadsheet's sheet name: 31 characters at most)
BOOKS = {
    "incoming": ("SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", INCOMING_COLUMNS, "Sổ đăng ký văn bản đến"),
    "tracking": ("SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN", TRACKING_COLUMNS,
                 "Theo dõi giải quyết VB đến"),
}
# The spreadsheet's column widths (characters) by header; 16 for the others.
WIDTHS = {"Ngày đến": 11, "Số đến": 8, "Tác giả": 26, "Số, ký hiệu": 16, "Ngày tháng": 11,
          "Tên loại và trích yếu nội dung": 44, "Đơn vị hoặc người nhận": 26,
          "Ngày chuyển": 11, "Ký nhận": 10, "Ghi chú": 16,
          "Tên loại, số, ký hiệu, ngày tháng, cơ quan ban hành": 44,
          "Đơn vị/người nhận": 26, "Thời hạn giải quyết": 12, "Tiến độ giải quyết": 30,
          "Số, ký hiệu văn bản trả lời": 16}


def notes_with_signatures(document) -> str:
    """Ghi chú: the clerk's notes, then the digital signatures of the signed files (Decree 30
    Art. 21.2), read with the rows (book_rows)."""
    signed = getattr(document, "signature_summaries", None) or []
    return "\n".join(part for part in [document.notes or "", *signed] if part)


def book_rows(user, register, date_from, date_to):
    """The register's entries of a period that `user` may see, in number order, with what the
    columns read loaded along (a chunk at a time: no query per row)."""
    start = local_to_utc(datetime.combine(date_from, time.min))
    end = local_to_utc(datetime.combine(date_to + timedelta(days=1), time.min))
    return (select(IncomingDocument).where(
        visible_incoming(user), IncomingDocument.register_id == register.id,
        IncomingDocument.arrival_number.is_not(None),
        IncomingDocument.arrival_at >= start, IncomingDocument.arrival_at < end)
        .order_by(IncomingDocument.arrival_number)
        .options(selectinload(IncomingDocument.agency),
                 selectinload(IncomingDocument.document_type),
                 selectinload(IncomingDocument.urgency),
                 selectinload(IncomingDocument.events),
                 selectinload(IncomingDocument.assignments).selectinload(
                     IncomingAssignment.user),
                 selectinload(IncomingDocument.assignments).selectinload(
                     IncomingAssignment.department)))


def with_signatures(session, rows):
    """The signed files' summaries of a chunk of rows (the notes column): one statement."""
    summaries = signature_summaries(session, DocumentFile.incoming_id, [d.id for d in rows])
    for document in rows:
        document.signature_summaries = summaries.get(document.id, [])


def book_response(view, args):
    """GET /incoming/book?register_id=&from=dd/mm/yyyy&to=dd/mm/yyyy&kind=incoming|tracking
    &page=&format=html|xlsx"""
    return render_book(view, args, direction="in", books=BOOKS, default_kind="incoming",
                       rows_for=book_rows, number=IncomingDocument.arrival_number,
                       prepare=with_signatures,
                       widths=WIDTHS)


def registers_of(session, direction):
    return list(session.scalars(select(Register).where(
        Register.direction == direction, Register.active.is_(True)).order_by(
        Register.year.desc(), Register.is_secret, Register.name)))


def book_period(args, register, today):
    """The period a register opens on: what was asked, else this month (the register's
    December for an earlier year's register) — never a whole decade on one page."""
    year = register.year if register is not None else today.year
    if year == today.year:
        default_from, default_to = today.replace(day=1), today
    elif year < today.year:
        default_from, default_to = date(year, 12, 1), date(year, 12, 31)
    else:
        default_from, default_to = date(year, 1, 1), date(year, 1, 31)
    date_from = to_date(args.get("from"), default_from)
    date_to = to_date(args.get("to"), default_to)
    return date_from, date_to


def render_book(view, args, *, direction, books, default_kind, rows_for, number, prepare=None,
                widths=None):
    """A register printout for a register and a period (cover data, numbered columns), as a
    printable page of BOOK_PAGE_SIZE entries a page (`?page=`, the last by default) or, with
    format=xlsx, a spreadsheet of the whole period with the same columns, streamed
    (`widths`: the columns' widths by header). `rows_for(user, register, from, to)` is the
    SELECT of the entries in number order (`number`: its number column); `prepare(session,
    rows)` completes a chunk of rows. For those who keep or read the registers only
    (app.documents.access.may_read_registers)."""
    if not may_read_registers(g.user):
        abort(403)
    session = db.session
    registers = registers_of(session, direction)
    register_id = row_id(args.get("register_id"))
    register = session.get(Register, register_id) if register_id else \
        (registers[0] if registers else None)
    if register is not None and register.direction != direction:
        register = None
    kind = args.get("kind") if args.get("kind") in books else default_kind
    today = today_local()
    date_from, date_to = book_period(args, register, today)
    query = rows_for(g.user, register, date_from, date_to) if register is not None else None
    count, first, last = 0, None, None
    if query is not None:
        entries = query.order_by(None).subquery()
        count, first, last = session.execute(select(
            func.count(), func.min(entries.c[number.key]), func.max(entries.c[number.key]))).one()
    title, columns, sheet = books[kind]
    cover = {
        "agency": current_app.config["AGENCY_NAME"], "title": title,
        "register": register, "year": register.year if register else today.year,
        "date_from": format_date(date_from), "date_to": format_date(date_to),
        "number_from": first if first is not None else "",
        "number_to": last if last is not None else "",
    }
    headers = [h for h, _v in columns]

    def table(rows):
        for chunk in rows:
            if prepare is not None:
                prepare(session, chunk)
            for document in chunk:
                yield [value(document) for _h, value in columns]

    if args.get("format") == "xlsx":
        chunks = session.scalars(query.execution_options(yield_per=BOOK_CHUNK)).partitions() \
            if query is not None else []
        return _xlsx_response(cover, headers, table(chunks), sheet, widths or {})
    pages = max((count + BOOK_PAGE_SIZE - 1) // BOOK_PAGE_SIZE, 1)
    # Like a paper register, it opens where the latest entries are: the last page.
    page = min(row_id(args.get("page")) or pages, pages)
    rows = list(session.scalars(query.limit(BOOK_PAGE_SIZE).offset(
        (page - 1) * BOOK_PAGE_SIZE))) if query is not None else []
    urgent = [bool(d.urgency and d.urgency.is_urgent) for d in rows]
    return view.render_template(
        "registers/book.html", cover=cover, headers=headers,
        table=[[cell_text(v) for v in row] for row in table([rows])],
        registers=registers, kind=kind, books=books, title=title, urgent=urgent,
        urgent_levels=urgent_levels(session) if any(urgent) else [],
        count=count, page=page, pages=pages, first_row=(page - 1) * BOOK_PAGE_SIZE + 1,
        year_from=format_date(date(cover["year"], 1, 1)),
        year_to=format_date(date(cover["year"], 12, 31)),
        args={"register_id": register.id if register else "", "from": cover["date_from"],
              "to": cover["date_to"], "kind": kind})


def urgent_levels(session) -> list[str]:
    """The names of the urgency levels flagged as urgent (the page's pink rows)."""
    return list(session.scalars(select(UrgencyLevel.name).where(
        UrgencyLevel.is_urgent.is_(True)).order_by(UrgencyLevel.priority)))


def _xlsx_response(cover, headers, table, sheet, widths):
    """The register as .xlsx: the cover, the headers and their numbers (1)…(n), one row per
    document (app.core.xlsx.spreadsheet)."""
    register = cover["register"]
    lines = [cover["agency"].upper(), cover["title"],
             f"{_('Năm')} {cover['year']} – {register.name if register else ''}",
             _("Từ ngày %(a)s đến ngày %(b)s", a=cover["date_from"], b=cover["date_to"]) + "; "
             + _("từ số %(a)s đến số %(b)s", a=cover["number_from"], b=cover["number_to"])]
    return send_spreadsheet(
        filename=f"{cover['title'].capitalize()} {cover['year']}.xlsx",
        object_type="register", object_id=register.id if register else None,
        name=sheet, cover=lines, tables=[Table(headers, table, numbered=True)],
        widths=[widths.get(h, 16) for h in headers])


def stamped_copy(document, record) -> bytes:
    config = current_app.config
    data = file_path(config["DATA_DIR"], record.storage_name).read_bytes()
    lead = next((line for line in document.assignments
                 if line.role == LEAD and line.parent_id is None), None)
    return stamp_arrival(data, agency_name=config["AGENCY_NAME"], number=document.arrival_number,
                         arrival_date=format_datetime(document.arrival_at),
                         routed_to=str(lead.assignee) if lead else "", dossier="",
                         font_path=config["PDF_FONT_PATH"], **stamp_where(record))


def stamp_where(record) -> dict:
    """Where the stamp goes on this file (app.core.pdf.stamp_placement): where the clerk put
    it, else a blank space of the first page, else ARRIVAL_STAMP_POSITION."""
    config = current_app.config
    chosen = (record.stamp_left_mm, record.stamp_top_mm) \
        if record.stamp_left_mm is not None and record.stamp_top_mm is not None else None
    return {"position_mm": chosen, "fallback_mm": config["ARRIVAL_STAMP_POSITION"],
            "find_blank": config.get("ARRIVAL_STAMP_AUTO", True)}


