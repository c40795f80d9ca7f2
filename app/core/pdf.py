"""PDF helpers: open an uploaded PDF safely, draw the arrival stamp (dấu ĐẾN), make demo PDFs.

The stamp is drawn with reportlab on a transparent overlay and merged with pypdf, so the
received file itself is never changed: the stamped copy is a separate, derived file.
"""
import functools
import io
import logging
import threading
from pathlib import Path

from flask_babel import lazy_gettext as _l
from pypdf import PageObject, PasswordType, PdfReader, PdfWriter, Transformation
from pypdf._encryption import AlgV4, AlgV5
from pypdf.errors import DependencyError, FileNotDecryptedError
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from app.core import stamp_place
from app.core.errors import DomainError
from app.core.text import nfc

PDF_NOT_PDF = _l("Tệp không phải là tệp PDF.")
PDF_ENCRYPTED = _l("Tệp PDF được bảo vệ bằng mật khẩu hoặc mã hóa nên hệ thống không đọc được. "
                   "Vui lòng tải lên bản không đặt mật khẩu.")
PDF_DAMAGED = _l("Tệp PDF bị hỏng hoặc không đọc được. Vui lòng kiểm tra lại tệp và tải lên lại.")
PDF_REPAIRED = _l("Tệp PDF «%(name)s» có lỗi nhẹ về cấu trúc; hệ thống đã tự sửa khi đọc và lưu "
                  "nguyên tệp gốc. Nếu tệp hiển thị không đúng, đề nghị nơi gửi cung cấp lại bản "
                  "khác.")
_log = logging.getLogger(__name__)

# The stamp's wording and size (Decree 30, Appendix; marked "verify" in DOMAIN.md): the stamp is
# a legal form, always in Vietnamese whatever the interface language, so these are not _l().
STAMP_WIDTH, STAMP_HEIGHT = 50 * mm, 35 * mm
STAMP_MARGIN_LEFT, STAMP_MARGIN_TOP = 15 * mm, 12 * mm
STAMP_TITLE = "ĐẾN"
STAMP_LABELS = ("Số:", "Ngày:", "Chuyển:", "Số và ký hiệu hồ sơ:")
STAMP_INK = (0.08, 0.12, 0.40)  # dark blue, like stamp ink, readable on scans and prints

DEMO_HEADER = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def open_pdf(data: bytes) -> PdfReader:
    """Parse a PDF fully enough to trust it, or raise DomainError with a Vietnamese message.
    A slightly damaged file that pypdf reads only leniently is accepted (see read_pdf)."""
    return read_pdf(data)[0]


def read_pdf(data: bytes) -> tuple[PdfReader, bool]:
    """(reader, repaired): the PDF parsed strictly, or — when only pypdf's lenient mode reads
    it (a broken cross-reference table or trailer, unreadable metadata…), as viewers do —
    leniently, with repaired=True; the bytes themselves are not changed. DomainError with
    the encrypted or damaged message otherwise."""
    if not data.startswith(b"%PDF-"):
        raise DomainError(PDF_NOT_PDF)
    # An upload cut off in transit loses its end-of-file marker; pypdf would silently guess.
    if b"%%EOF" not in data.rstrip(b"\r\n\t \x00")[-1024:]:
        raise DomainError(PDF_DAMAGED)
    try:
        return _read_pdf(data, strict=True), False
    except DomainError as error:
        if error.message is PDF_ENCRYPTED:
            raise
        strict_error = error  # no pages found: the lenient reading may find them
    except Exception as error:  # pypdf raises many kinds of errors on malformed input
        strict_error = error
    try:
        reader = _read_pdf(data, strict=False)
    except DomainError:
        raise
    except Exception as error:
        raise DomainError(PDF_DAMAGED) from error
    _log.info("PDF read leniently only (%s)", strict_error)
    return reader, True


def _read_pdf(data: bytes, *, strict: bool) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=strict)
        if reader.is_encrypted and not _decrypt_without_password(reader):
            raise DomainError(PDF_ENCRYPTED)
        if not reader.pages:
            raise DomainError(PDF_DAMAGED)
        for page in reader.pages:  # touch every page so a broken page tree fails here
            _ = page.mediabox
        if strict:
            _ = reader.metadata  # the document information dictionary, when it is broken
    except DependencyError as error:
        # AES (all PDFs encrypted since Acrobat 7) needs the `cryptography` package: without
        # it pypdf cannot even check for an empty password. Say "encrypted", not "damaged",
        # and tell the administrator.
        _log.error("cannot read an AES-encrypted PDF: %s (install `cryptography`)", error)
        raise DomainError(PDF_ENCRYPTED) from error
    except FileNotDecryptedError as error:
        raise DomainError(PDF_ENCRYPTED) from error
    return reader


def _decrypt_without_password(reader: PdfReader) -> bool:
    """PDFs whose user password is empty — an owner password only restricts printing,
    copying… (RC4, AES-128 or AES-256) — open in any viewer without a password: accept.
    decrypt("") is not enough: it also succeeds with an empty *owner* password, on a file
    whose user password is set (qpdf --encrypt secret "" 256), which viewers open only with
    that password. DependencyError (no AES library) is left to the caller."""
    try:
        if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            return False
        return _empty_user_password(reader)
    except DependencyError:
        raise
    except Exception:  # a broken encryption dictionary: we cannot read it either way
        return False


def _empty_user_password(reader: PdfReader) -> bool:
    """Whether "" is the user password (pypdf's Encryption object; if its shape ever
    changes, decrypt("") is trusted)."""
    try:
        encryption = reader._encryption
        values = encryption.values
        if encryption.V <= 4:
            return bool(AlgV4.verify_user_password(
                b"", encryption.R, encryption.Length, values.O, values.U, encryption.P,
                encryption.id1_entry, encryption.EncryptMetadata))
        return bool(AlgV5.verify_user_password(encryption.R, b"", values.U, values.UE))
    except AttributeError:
        return True


# reportlab's TrueType fonts are shared objects that are not safe across threads (a subset is
# cut from the font file through one shared read position): two clerks stamping or printing at
# the same moment could otherwise get a KeyError from deep inside the font. Every reportlab
# drawing in the application is made under this lock (it is short: one page or a contents list).
REPORTLAB_LOCK = threading.RLock()


def one_drawing_at_a_time(function):
    """Run `function` (which draws with reportlab) under REPORTLAB_LOCK."""
    @functools.wraps(function)
    def locked(*args, **kwargs):
        with REPORTLAB_LOCK:
            return function(*args, **kwargs)
    return locked


@one_drawing_at_a_time
def image_to_pdf(data: bytes) -> bytes:
    """A scan as a PDF (dossiers, electronic copies): each frame of a JPEG/PNG/TIFF as one A4
    page (landscape for wide images), fitted inside 10 mm margins."""
    from PIL import ImageSequence
    from reportlab.lib.pagesizes import landscape
    from reportlab.lib.utils import ImageReader

    from app.core.files import open_image  # app.core.files imports this module

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    with open_image(data) as image:  # a bomb is refused before it is decoded
        for frame in ImageSequence.Iterator(image):
            picture = frame.convert("RGB")
            width, height = picture.size
            page = landscape(A4) if width > height else A4
            c.setPageSize(page)
            room_w, room_h = page[0] - 20 * mm, page[1] - 20 * mm
            scale = min(room_w / width, room_h / height)
            w, h = width * scale, height * scale
            c.drawImage(ImageReader(picture), (page[0] - w) / 2, (page[1] - h) / 2, w, h)
            c.showPage()
    c.save()
    return buffer.getvalue()


@one_drawing_at_a_time
def register_fonts(font_path: str) -> tuple[str, str]:
    """Register the TTF (and its -Bold sibling if present) once; return (regular, bold) names."""
    path = Path(font_path)
    regular = "VN-" + path.stem
    bold_path = path.with_name(f"{path.stem}-Bold{path.suffix}")
    bold = regular + "-Bold" if bold_path.is_file() else regular
    registered = pdfmetrics.getRegisteredFontNames()
    if regular not in registered:
        pdfmetrics.registerFont(TTFont(regular, str(path)))
    if bold not in registered and bold != regular:
        pdfmetrics.registerFont(TTFont(bold, str(bold_path)))
    return regular, bold


def stamp_arrival(pdf_bytes: bytes, *, agency_name: str, number: str | int, arrival_date: str,
                  routed_to: str = "", dossier: str = "", font_path: str,
                  position_mm: tuple[float, float] | None = None,
                  fallback_mm: tuple[float, float] | None = None,
                  find_blank: bool = True) -> bytes:
    """A new PDF whose first page carries the arrival stamp; the other pages are unchanged.

    Where: `position_mm` (from the left, from the top, in millimetres), the place the clerk
    chose; else a blank space of the top of the page, as the decree wants (stamp_placement),
    else `fallback_mm` (the setting ARRIVAL_STAMP_POSITION)."""
    reader = open_pdf(pdf_bytes)
    placement = stamp_placement(pdf_bytes, reader, position_mm=position_mm,
                                fallback_mm=fallback_mm, find_blank=find_blank)
    try:
        writer = PdfWriter(clone_from=reader)
    except Exception as error:
        raise DomainError(PDF_DAMAGED) from error
    page = writer.pages[0]
    box = page.cropbox  # the visible area; equals the mediabox unless the PDF crops it
    rotation = stamp_place.page_rotation(page)
    width, height = stamp_place.displayed_size(page)  # in the page's displayed orientation

    overlay = _draw_stamp(width, height, font_path,
                          (placement.left_mm * mm, placement.top_mm * mm), [
                              nfc(str(agency_name or "")).upper(),
                              nfc(str(number if number is not None else "")),
                              nfc(arrival_date or ""),
                              nfc(routed_to or ""),
                              nfc(dossier or ""),
                          ], over_print=not placement.found)
    page.merge_transformed_page(overlay, _displayed_to_user_space(box, rotation))
    page.compress_content_streams()

    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


STAMP_MM = (STAMP_WIDTH / mm, STAMP_HEIGHT / mm)


def stamp_placement(pdf_bytes: bytes, reader: PdfReader | None = None, *,
                    position_mm: tuple[float, float] | None = None,
                    fallback_mm: tuple[float, float] | None = None,
                    find_blank: bool = True) -> stamp_place.Placement:
    """Where the stamp goes on the first page (mm from its top-left corner as displayed): the
    chosen position, else a blank space (app.core.stamp_place), else the fallback."""
    reader = reader or open_pdf(pdf_bytes)
    page = reader.pages[0]
    fallback = fallback_mm or (STAMP_MARGIN_LEFT / mm, STAMP_MARGIN_TOP / mm)
    if position_mm is not None:
        left, top = _clamped(position_mm, stamp_place.size_mm(page))
        return stamp_place.Placement(left, top, True, "chosen")
    if find_blank:
        return stamp_place.find_place(pdf_bytes, page, stamp_mm=STAMP_MM, fallback_mm=fallback)
    left, top = _clamped(fallback, stamp_place.size_mm(page))
    return stamp_place.Placement(left, top, False, "fallback")


def _clamped(position_mm, page_mm) -> tuple[float, float]:
    """The whole stamp on the page (a position saved for a page since replaced, a setting)."""
    left = min(max(float(position_mm[0]), 0.0), max(0.0, page_mm[0] - STAMP_MM[0]))
    top = min(max(float(position_mm[1]), 0.0), max(0.0, page_mm[1] - STAMP_MM[1]))
    return left, top


def _displayed_to_user_space(box, rotation: int) -> Transformation:
    """Map coordinates on the page as displayed (origin bottom-left) to the page's user space
    (app.core.stamp_place.display_matrix)."""
    return Transformation(stamp_place.display_matrix(box, rotation))


@one_drawing_at_a_time
def _draw_stamp(page_width: float, page_height: float, font_path: str, margins,
                values, over_print: bool = False) -> PageObject:
    """The stamp on a transparent page of the displayed size, its top-left corner `margins`
    (points) from the top-left corner of the page. White underneath, so that it reads on a
    grey scan; `over_print` (no blank space was found: it lies on the letter) lets what is
    underneath show through, so that the stamp never hides a line of the letter."""
    agency, number, date, routed_to, dossier = values
    regular, bold = register_fonts(font_path)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(page_width, page_height), invariant=True)

    left = max(0.0, min(margins[0], page_width - STAMP_WIDTH))
    top = min(page_height, max(STAMP_HEIGHT, page_height - margins[1]))
    bottom = top - STAMP_HEIGHT
    c.setFillColorRGB(1, 1, 1)
    if over_print:
        c.setFillAlpha(STAMP_SEE_THROUGH)
    c.setStrokeColorRGB(*STAMP_INK)
    c.setLineWidth(1)
    c.rect(left, bottom, STAMP_WIDTH, STAMP_HEIGHT, fill=1, stroke=1)
    c.setFillAlpha(1)
    c.setFillColorRGB(*STAMP_INK)

    pad = 2 * mm
    inner = STAMP_WIDTH - 2 * pad
    centre = left + STAMP_WIDTH / 2

    # Agency name: one line if it fits at a readable size, else two lines, else cut.
    size, lines = (_fit(agency, bold, inner, (7, 6.5, 6), 1)
                   or _fit(agency, bold, inner, (7, 6.5, 6, 5.5, 5, 4.5), 2)
                   or (4.5, _cut(agency, bold, 4.5, inner, 2)))
    y = top - pad - size
    for line in lines:
        c.setFont(bold, size)
        c.drawCentredString(centre, y, line)
        y -= size * 1.2
    agency_bottom = y + size * 0.9

    # The four fields sit at the bottom, 11 pt apart; "ĐẾN" is centred in the space between.
    step = 11
    first_field = bottom + pad + 1 + 3 * step
    for i, (label, value) in enumerate(zip(STAMP_LABELS, (number, date, routed_to, dossier),
                                           strict=True)):
        _draw_field(c, left + pad, first_field - i * step, inner, label, value, regular, bold)
    title_size = 13
    fields_top = first_field + 6
    c.setFont(bold, title_size)
    c.drawCentredString(centre, (agency_bottom + fields_top) / 2 - title_size * 0.4, STAMP_TITLE)

    c.showPage()
    c.save()
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]


# Opacity of the stamp's white ground when it lies on the letter: the letter's lines show
# through, fainter than the stamp's ink.
STAMP_SEE_THROUGH = 0.45


def _draw_field(c, x, y, width, label, value, regular, bold, size=7.5):
    """'Label: value', shrunk or cut to fit; dotted leaders where the value is still empty."""
    label_text = label + " "
    c.setFont(regular, size)
    c.drawString(x, y, label_text)
    left = x + pdfmetrics.stringWidth(label_text, regular, size)
    room = x + width - left
    if not value:
        c.drawString(left, y, "." * int(room / pdfmetrics.stringWidth(".", regular, size)))
        return
    value = " ".join(value.split())
    value_size, lines = (_fit(value, bold, room, (7.5, 7, 6.5, 6, 5.5, 5), 1)
                         or (5, _cut(value, bold, 5, room, 1)))
    c.setFont(bold, value_size)
    c.drawString(left, y, lines[0])


def _fit(text, font, width, sizes, max_lines):
    """(size, lines) for the first size at which text wraps into max_lines lines, else None."""
    for size in sizes:
        lines = simpleSplit(text, font, size, width) or [""]
        if len(lines) <= max_lines and all(_fits(line, font, size, width) for line in lines):
            return size, lines
    return None


def _cut(text, font, size, width, max_lines):
    """Too long even at the smallest size: keep what fits and end with an ellipsis."""
    lines = simpleSplit(text, font, size, width) or [""]
    kept = lines[:max_lines - 1] + [" ".join(lines[max_lines - 1:])]
    return [_truncate(line, font, size, width) for line in kept]


def _fits(text, font, size, width):
    return pdfmetrics.stringWidth(text, font, size) <= width


def _truncate(text, font, size, width):
    if _fits(text, font, size, width):
        return text
    while text and not _fits(text + "…", font, size, width):
        text = text[:-1]
    return text.rstrip() + "…"


@one_drawing_at_a_time
def make_demo_pdf(title: str, lines: list[str], *, font_path: str, pages: int = 1) -> bytes:
    """A small real A4 PDF in Vietnamese, for demo data and tests."""
    regular, bold = register_fonts(font_path)
    buffer = io.BytesIO()
    # invariant: no timestamps, so the same input gives the same bytes (stable sha256 in tests)
    c = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    c.setTitle(nfc(title))
    page_width, page_height = A4
    left, right = 25 * mm, page_width - 20 * mm
    centre = page_width / 2

    for number in range(1, pages + 1):
        y = page_height - 20 * mm
        if number == 1:
            c.setFont(bold, 12)
            c.drawCentredString(centre, y, DEMO_HEADER[0])
            y -= 16
            c.setFont(bold, 13)
            c.drawCentredString(centre, y, DEMO_HEADER[1])
            half = pdfmetrics.stringWidth(DEMO_HEADER[1], bold, 13) / 2
            c.line(centre - half, y - 3, centre + half, y - 3)
            y -= 40
            c.setFont(bold, 14)
            for line in simpleSplit(nfc(title), bold, 14, right - left):
                c.drawCentredString(centre, y, line)
                y -= 18
            y -= 10
        c.setFont(regular, 12)
        for text in lines:
            for line in simpleSplit(nfc(text), regular, 12, right - left):
                if y < 25 * mm:
                    break
                c.drawString(left, y, line)
                y -= 16
        c.setFont(regular, 9)
        c.drawCentredString(centre, 12 * mm, f"Trang {number}/{pages}")
        c.showPage()
    c.save()
    return buffer.getvalue()
