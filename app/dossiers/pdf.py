"""The dossier as one PDF: a table-of-contents page (mục lục văn bản trong hồ sơ) drawn with
reportlab, then each filed document's PDF in the dossier's order, merged with pypdf.

Which file stands for a document: an incoming document's PDF files (images are turned into
PDF pages); an outgoing document's signed scan, else the drafter's file; a draft's latest
version. A document with no PDF (an office file only) is listed with a note; a document the
reader may not see is listed without its content.

The contents page is a record of the dossier in the form of Decree 30 (Appendix V), always in
Vietnamese whatever the interface language — like the arrival stamp, its wording is not _l()."""
import io
from dataclasses import dataclass, field

from flask import current_app
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from app.core.errors import DomainError
from app.core.pdf import image_to_pdf, one_drawing_at_a_time, open_pdf, register_fonts
from app.core.storage import read_file
from app.core.text import nfc
from app.core.timefmt import format_date, today_local
from app.dossiers.models import INCOMING, OUTGOING
from app.dossiers.services import toc_rows

TITLE = "MỤC LỤC VĂN BẢN"
HEADERS = ("STT", "Số, ký hiệu văn bản", "Ngày tháng văn bản",
           "Tên loại và trích yếu nội dung văn bản", "Tác giả văn bản", "Tờ số", "Ghi chú")
COLUMN_WIDTHS_MM = (10, 28, 21, 56, 30, 14, 21)  # 180 mm: A4 less 15 mm margins
NO_PDF = "Không có bản PDF"
UNREADABLE = "Không đọc được tệp"
NOT_ALLOWED = "Không có quyền xem nội dung văn bản này"
HIDDEN_EXCERPT = "(Không có quyền xem nội dung)"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/tiff")
PDF_TYPE = "application/pdf"


@dataclass
class Part:
    """The pages of one filed document in the merged PDF, and the note on its TOC line."""
    readers: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def pages(self):
        return sum(len(reader.pages) for reader in self.readers)


def _usable(record):
    return record is not None and (record.content_type == PDF_TYPE
                                   or record.content_type in IMAGE_TYPES)


def _files_of(row):
    """The stored files that stand for the document on this line, in order."""
    document = row.item.document
    if row.kind == INCOMING:
        return [f for f in document.files if _usable(f)]
    if row.kind == OUTGOING:
        from app.outgoing.models import DRAFTER_FILE, SIGNED_PDF, SIGNED_SCAN

        for role in (SIGNED_PDF, SIGNED_SCAN, DRAFTER_FILE):  # the electronic original first
            record = document.file_of(role)
            if _usable(record):
                return [record]
        return []
    version = document.latest_version
    record = version.file if version else None
    return [record] if _usable(record) else []


def _part(row) -> Part:
    part = Part()
    if not row.visible:
        part.notes.append(NOT_ALLOWED)
        return part
    records = _files_of(row)
    for record in records:
        try:
            data = read_file(record)
            if record.content_type in IMAGE_TYPES:
                data = image_to_pdf(data)
            part.readers.append(open_pdf(data))
        except (OSError, ValueError, DomainError, Image.UnidentifiedImageError,
                Image.DecompressionBombError):
            current_app.logger.warning("Dossier PDF: cannot read stored file %s",
                                       record.storage_name)
            part.notes.append(f"{UNREADABLE} {record.original_name}")
    if not records:
        part.notes.append(NO_PDF)
    return part


def _styles(regular, bold):
    return {
        "agency": ParagraphStyle("agency", fontName=bold, fontSize=10, leading=13),
        "title": ParagraphStyle("title", fontName=bold, fontSize=14, leading=18,
                                alignment=TA_CENTER, spaceBefore=6, spaceAfter=8),
        "info": ParagraphStyle("info", fontName=regular, fontSize=10, leading=13.5),
        "head": ParagraphStyle("head", fontName=bold, fontSize=8, leading=10,
                               alignment=TA_CENTER),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10),
        "centre": ParagraphStyle("centre", fontName=regular, fontSize=8, leading=10,
                                 alignment=TA_CENTER),
    }


def _p(text, style):
    return Paragraph(escape(nfc(str(text or ""))).replace("\n", "<br/>"), style)


@one_drawing_at_a_time
def _contents_pdf(dossier, rows, parts, first_page, font_path) -> bytes:
    """The contents page(s); documents start at page `first_page` of the merged file."""
    regular, bold = register_fonts(font_path)
    s = _styles(regular, bold)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, invariant=True,
                            title=nfc(f"{TITLE} – {dossier.code} {dossier.title}"))
    retention = dossier.retention.name if dossier.retention else ""
    period = format_date(dossier.start_date)
    if dossier.end_date:
        period += f" – {format_date(dossier.end_date)}"
    total_pages = sum(p.pages for p in parts)
    owner = dossier.owner.full_name if dossier.owner else ""
    unit = dossier.department.name if dossier.department else ""
    story = [
        _p(current_app.config.get("AGENCY_NAME", "").upper(), s["agency"]),
        _p(TITLE, s["title"]),
        _p(f"Hồ sơ số: {dossier.code}", s["info"]),
        _p(f"Tiêu đề hồ sơ: {dossier.title}", s["info"]),
        _p(f"Thời hạn bảo quản: {retention}", s["info"]),
        _p(f"Thời gian: {period}", s["info"]),
        _p(f"Người lập hồ sơ: {owner}" + (f" – {unit}" if unit else ""), s["info"]),
        _p(f"Số lượng văn bản: {len(rows)}; số trang văn bản: {total_pages}", s["info"]),
        Spacer(1, 5 * mm),
    ]
    table = [[_p(h, s["head"]) for h in HEADERS]]
    page = first_page
    for row, part in zip(rows, parts, strict=True):
        sheets = row.sheets
        if not sheets and part.pages:
            last = page + part.pages - 1
            sheets = f"tr. {page}" if last == page else f"tr. {page}–{last}"
        page += part.pages
        notes = "; ".join([n for n in [row.notes] + part.notes if n])
        excerpt = row.type_excerpt if row.visible else HIDDEN_EXCERPT
        table.append([_p(row.number, s["centre"]), _p(row.number_symbol, s["cell"]),
                      _p(format_date(row.date), s["centre"]), _p(excerpt, s["cell"]),
                      _p(row.author, s["cell"]), _p(sheets, s["centre"]),
                      _p(notes, s["cell"])])
    if not rows:
        table.append([_p("", s["cell"]), _p("", s["cell"]), _p("", s["cell"]),
                      _p("Hồ sơ chưa có văn bản.", s["cell"]), _p("", s["cell"]),
                      _p("", s["cell"]), _p("", s["cell"])])
    grid = Table(table, colWidths=[w * mm for w in COLUMN_WIDTHS_MM], repeatRows=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
    ]))
    story.append(grid)
    story.append(Spacer(1, 4 * mm))
    story.append(_p(f"Lập ngày {format_date(today_local())}", s["info"]))

    def footer(c, _doc):
        c.setFont(regular, 8)
        c.drawCentredString(A4[0] / 2, 8 * mm,
                            f"{dossier.code} – Mục lục – trang {c.getPageNumber()}")

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def dossier_pdf(session, user, dossier) -> tuple[bytes, int]:
    """(the merged PDF, the number of contents pages)."""
    font_path = current_app.config["PDF_FONT_PATH"]
    rows = toc_rows(session, user, dossier)
    parts = [_part(row) for row in rows]
    contents_pages, contents = 1, None
    for _attempt in range(4):  # page numbers in the contents depend on its own length
        contents = _contents_pdf(dossier, rows, parts, contents_pages + 1, font_path)
        pages = len(PdfReader(io.BytesIO(contents)).pages)
        if pages == contents_pages:
            break
        contents_pages = pages
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(contents)))
    for part in parts:
        for reader in part.readers:
            writer.append(reader)
    writer.add_metadata({"/Title": nfc(f"{dossier.code} {dossier.title}")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), contents_pages


def pdf_filename(dossier) -> str:
    title = " ".join(dossier.title.replace("/", "-").replace("\\", "-").split())[:80].strip()
    return nfc(f"Hồ sơ {dossier.code} - {title}.pdf")
