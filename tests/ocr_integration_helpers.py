"""Scanned letters for the OCR tests (tests/test_ocr_integration.py, the browser journey): a
letter drawn in the layout of Decree 30 (Appendix I) with reportlab, rendered to a picture by
poppler's pdftoppm as a scanner would, and wrapped back into a PDF without any text layer
(app.core.pdf.image_to_pdf) — or kept as the PNG itself."""
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian's fonts-dejavu-core


def ocr_or_skip():
    """Skip the test, with the reason, when this machine cannot OCR (no Tesseract or its
    Vietnamese model, or no pdftoppm to make the scan)."""
    from app.core import ocr

    if not ocr.available():
        pytest.skip(f"OCR not available here: {ocr.why_unavailable()} (Debian tesseract-ocr "
                    "and tesseract-ocr-vie)")
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (Debian poppler-utils) is needed to make a scanned letter")


def letter_pdf(*, agency_parent="UBND TỈNH HÀ NAM", agency="SỞ TÀI CHÍNH",
               number_symbol="123/STC-NS", place_date="Hà Nam, ngày 05 tháng 3 năm 2026",
               type_name=None, excerpt="V/v hướng dẫn quyết toán ngân sách năm 2025",
               body=("Kính gửi: Sở Nội vụ tỉnh Hà Nam.",
                     "Sở Tài chính hướng dẫn việc quyết toán ngân sách như sau."),
               position="GIÁM ĐỐC", signer="Nguyễn Văn An", mark=None) -> bytes:
    """An electronic letter in Decree 30's layout (Appendix I): the agency and the number on
    the left, the national motto and the place and date on the right, the type and excerpt,
    the body, the signature block. `type_name` None: a công văn (its excerpt under the
    number, "V/v …"). `mark`: an urgency or secrecy mark ("KHẨN", "MẬT") left, under it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    from app.core.pdf import register_fonts

    regular, bold = register_fonts(FONT)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    width, height = A4
    left_centre, right_centre = 30 * mm + 35 * mm, width - 20 * mm - 55 * mm
    y = height - 20 * mm
    c.setFont(regular, 12)
    c.drawCentredString(left_centre, y, agency_parent)
    c.setFont(bold, 12)
    c.drawCentredString(left_centre, y - 15, agency)
    c.setFont(bold, 12)
    c.drawCentredString(right_centre, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.setFont(bold, 13)
    motto = "Độc lập - Tự do - Hạnh phúc"
    c.drawCentredString(right_centre, y - 15, motto)
    half = pdfmetrics.stringWidth(motto, bold, 13) / 2
    c.line(right_centre - half, y - 18, right_centre + half, y - 18)
    c.setFont(regular, 13)
    c.drawCentredString(left_centre, y - 40, f"Số: {number_symbol}")
    c.drawCentredString(right_centre, y - 40, place_date)
    y -= 75
    if mark:
        c.setFont(bold, 13)
        c.drawString(30 * mm, y - 40, mark)
        y -= 30
    if type_name is None:
        c.setFont(regular, 12)
        c.drawCentredString(left_centre, y + 18, excerpt)
    else:
        c.setFont(bold, 14)
        c.drawCentredString(width / 2, y, type_name)
        c.setFont(bold, 13)
        c.drawCentredString(width / 2, y - 18, excerpt)
        y -= 40
    c.setFont(regular, 13)
    y -= 20
    for line in body:
        c.drawString(30 * mm, y, line)
        y -= 20
    y -= 20
    c.setFont(bold, 13)
    c.drawCentredString(right_centre, y, position)
    c.setFont(bold, 13)
    c.drawCentredString(right_centre, y - 70, signer)
    c.showPage()
    c.save()
    return buffer.getvalue()


def scan_png(pdf: bytes, dpi=200) -> bytes:
    """The first page of `pdf` as a scanner would give it: a greyscale PNG at `dpi`."""
    with tempfile.TemporaryDirectory(prefix="scan-") as folder:
        source = Path(folder) / "letter.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile",
                        str(source), str(Path(folder) / "page")], check=True, timeout=60)
        return (Path(folder) / "page.png").read_bytes()


def scanned_pdf(pdf: bytes, dpi=200) -> bytes:
    """A scanned letter: the picture of its page wrapped as a PDF with no text layer."""
    from app.core.pdf import image_to_pdf

    return image_to_pdf(scan_png(pdf, dpi))
