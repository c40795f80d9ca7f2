"""Sổ đăng ký văn bản đi (Decree 30, Appendix IV), 10 columns, printable and .xlsx (dates
and numbers kept as such: app.documents.registers)."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.documents.registers import local_day, render_book
from app.outgoing.access import visible_outgoing
from app.outgoing.models import RECALLED, OutgoingDocument


def signer(d):
    prefix = f"{d.signer_authority} " if d.signer_authority else ""
    return f"{prefix}{d.signer_position} {d.signer_name}"


def places(d):
    return "; ".join(r.name for r in d.recipients)


def notes(d):
    parts = [d.notes or ""]
    if d.state == RECALLED:
        parts.append(f"Đã thu hồi: {d.recall_reason}")
    if d.replaces is not None:
        parts.append(f"Thay thế {d.replaces.number_symbol}")
    return "; ".join(p for p in parts if p)


OUTGOING_COLUMNS = [
    ("Số, ký hiệu văn bản", lambda d: d.number_symbol),
    ("Ngày tháng văn bản", lambda d: d.issued_date),
    ("Tên loại và trích yếu nội dung văn bản",
     lambda d: f"{d.document_type.name}: {d.excerpt}"),
    ("Người ký", signer),
    ("Nơi nhận văn bản", places),
    ("Đơn vị, người nhận bản lưu", lambda d: d.archive_holder or str(d.drafting_department or "")),
    ("Số lượng bản", lambda d: d.copies),
    ("Ngày chuyển", lambda d: local_day(d.issued_at)),
    ("Ký nhận", lambda d: ""),
    ("Ghi chú", notes),
]
# kind → (title, columns, the spreadsheet's sheet name)
BOOKS = {"outgoing": ("SỔ ĐĂNG KÝ VĂN BẢN ĐI", OUTGOING_COLUMNS, "Sổ đăng ký văn bản đi")}
# The spreadsheet's column widths (characters) by header; 16 for the others.
WIDTHS = {"Số, ký hiệu văn bản": 16, "Ngày tháng văn bản": 11,
          "Tên loại và trích yếu nội dung văn bản": 44, "Người ký": 22,
          "Nơi nhận văn bản": 28, "Đơn vị, người nhận bản lưu": 20, "Số lượng bản": 8,
          "Ngày chuyển": 11, "Ký nhận": 10, "Ghi chú": 16}


def book_rows(user, register, date_from, date_to):
    """The register's entries of a period that `user` may see, in number order, with what the
    columns read loaded along (a chunk at a time: no query per row)."""
    return (select(OutgoingDocument).where(
        visible_outgoing(user), OutgoingDocument.register_id == register.id,
        OutgoingDocument.issued_date >= date_from, OutgoingDocument.issued_date <= date_to)
        .order_by(OutgoingDocument.number)
        .options(selectinload(OutgoingDocument.document_type),
                 selectinload(OutgoingDocument.urgency),
                 selectinload(OutgoingDocument.recipients),
                 selectinload(OutgoingDocument.drafting_department),
                 selectinload(OutgoingDocument.replaces)))


def book_response(view, args):
    return render_book(view, args, direction="out", books=BOOKS, default_kind="outgoing",
                       rows_for=book_rows, number=OutgoingDocument.number,
                       widths=WIDTHS)


