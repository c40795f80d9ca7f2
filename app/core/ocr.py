"""Optical character recognition of scans: Tesseract's Vietnamese model (Debian `tesseract-ocr`
and `tesseract-ocr-vie`), run as a program, never through a shell.

ocr_file() gives the text of every page and a searchable copy of the file: the pages look the
same, with an invisible text layer (for search, copy and paste) — for a PDF the layer is laid
over the original pages (Tesseract's text-only PDF, merged with pypdf), for an image each page
is Tesseract's PDF of the picture with its text. The original file is never changed.

Pages turned by a quarter or upside down are set right by Tesseract's orientation detection
(--psm 1, run only when a first reading is poor: PSM "auto"); small skews (1–3°) are handled by
its line finding; speckles of dusty scans by its heavy noise removal. Work is bounded: a page limit,
the image size limit of uploads (MAX_IMAGE_PIXELS, against image bombs), a timeout per page,
one thread per program (OMP_THREAD_LIMIT=1: the server's cores serve the users).

Pure: imports no domain. Without Tesseract, available() is False and why_unavailable() says so.
"""
import functools
import io
import math
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from pypdf import PdfReader, PdfWriter, Transformation

from app.core import stamp_place
from app.core.errors import DomainError
from app.core.text import nfc

DEFAULT_MAX_PAGES = 50
DEFAULT_DPI = 300
MIN_DPI = 100  # below this a page is too big to read: refused rather than read badly
# A scanned page is drawn at its scan's resolution (no finer than `dpi`, no coarser than this):
# drawing a 200 dpi scan at 300 dpi only magnifies its noise, and costs time.
SCAN_DPI_FLOOR = 200
PAGE_TIMEOUT = 60  # seconds of one program on one page
# Page segmentation: "auto" reads a page as it lies (--psm 3) and, when what it read is poor
# (Tesseract's mean word confidence below OSD_BELOW: a page turned a quarter or upside down),
# again with orientation detection (--psm 1), which costs a fifth more on every page.
PSM = "auto"
OSD_BELOW = 70
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/jpg": "JPEG",
               "image/tiff": "TIFF"}
# A PDF page with fewer letters or digits than this in its text layer is taken for a scan.
TEXT_LAYER_MIN_CHARS = 25

NO_TESSERACT = _l("Chưa cài Tesseract (tesseract-ocr): không nhận dạng chữ được.")
NO_VIETNAMESE = _l("Chưa cài tiếng Việt cho Tesseract (tesseract-ocr-vie): không nhận dạng chữ "
                   "được.")
NOT_SCAN = _l("Chỉ nhận dạng chữ được tệp PDF hoặc ảnh JPEG, PNG, TIFF.")


class OcrError(DomainError):
    """OCR refused or failed; the message is Vietnamese, for the clerk or the administrator."""


@dataclass
class OcrResult:
    text: str            # NFC, pages joined by "\f"
    pdf: bytes | None    # the input with an invisible text layer; None when it could not be made
    pages: int
    seconds: float


# ---------------------------------------------------------------- is Tesseract here?

@functools.lru_cache(maxsize=1)
def _languages() -> frozenset | None:
    """Tesseract's installed languages, or None without the program."""
    program = shutil.which("tesseract")
    if not program:
        return None
    try:
        result = subprocess.run([program, "--list-langs"], capture_output=True, timeout=20,
                                check=False, env=_env())
    except (OSError, subprocess.SubprocessError):
        return None
    lines = (result.stdout + result.stderr).decode("utf-8", "replace").splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def forget() -> None:
    """Ask Tesseract again next time (after installing it, in tests)."""
    _languages.cache_clear()


def available(language: str = "vie") -> bool:
    """Tesseract and its Vietnamese model are installed (asked once per process)."""
    languages = _languages()
    return bool(languages) and language in languages


def why_unavailable(language: str = "vie") -> str | None:
    """None when OCR works; else why not, in Vietnamese."""
    languages = _languages()
    if languages is None:
        return str(NO_TESSERACT)
    if language not in languages:
        return str(NO_VIETNAMESE)
    return None


def _env() -> dict:
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "HOME", "LANG", "LC_ALL", "TESSDATA_PREFIX", "TMPDIR")}
    env["OMP_THREAD_LIMIT"] = "1"
    return env


# ---------------------------------------------------------------- does a file need OCR?

def _kind(data: bytes, content_type: str) -> str | None:
    """'pdf', 'image' or None, from the bytes first (content types lie)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")):
        return "image"
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type == "application/pdf":
        return "pdf"
    if content_type in IMAGE_TYPES:
        return "image"
    return None


def needs_ocr(data: bytes, content_type: str) -> bool:
    """Whether the file is a scan: an image (PNG, JPEG, TIFF), or a PDF whose pages carry
    (almost) no text layer. A PDF with real text, a damaged or protected PDF, any other file:
    False."""
    kind = _kind(data, content_type)
    if kind == "image":
        return True
    if kind != "pdf":
        return False
    from app.core.pdf import open_pdf

    try:
        reader = open_pdf(data)
    except DomainError:
        return False
    pages = reader.pages[:10]  # the first pages tell
    letters = 0
    for page in pages:
        try:
            text = page.extract_text() or ""
        except Exception:  # a page pypdf cannot read has no text for us either
            text = ""
        letters += sum(1 for c in text if c.isalnum())
    return letters < TEXT_LAYER_MIN_CHARS * len(pages)


# ---------------------------------------------------------------- OCR

def ocr_file(data: bytes, content_type: str, *, language: str = "vie", dpi: int = DEFAULT_DPI,
             timeout: float = PAGE_TIMEOUT, max_pages: int = DEFAULT_MAX_PAGES,
             psm: str = PSM) -> OcrResult:
    """The text and a searchable copy of a scanned PDF or an image. `timeout` is per page.
    OcrError (Vietnamese) when OCR is not installed, the file is not a PDF or an image, has
    more than `max_pages` pages, is an image bomb, or Tesseract fails."""
    reason = why_unavailable(language)
    if reason:
        raise OcrError(reason)
    started = time.monotonic()
    kind = _kind(data, content_type)
    if kind is None:
        raise OcrError(NOT_SCAN)
    with tempfile.TemporaryDirectory(prefix="ocr-") as folder:
        folder = Path(folder)
        if kind == "pdf":
            reader, pictures = _render_pdf(data, folder, dpi, max_pages, timeout)
        else:
            reader, pictures = None, _split_image(data, folder, max_pages)
        texts, layers = [], []
        for number, (picture, picture_dpi) in enumerate(pictures, start=1):
            text, layer = _tesseract(picture, picture_dpi, language, psm, timeout, number,
                                     text_only=reader is not None)
            texts.append(text)
            layers.append(layer)
        pdf = _searchable_pdf(reader, layers)
    return OcrResult(text=nfc("\f".join(texts)), pdf=pdf, pages=len(texts),
                     seconds=time.monotonic() - started)


def _too_many(pages: int, limit: int) -> OcrError:
    return OcrError(_l("Tệp có %(pages)s trang, quá giới hạn %(limit)s trang nhận dạng chữ.",
                       pages=pages, limit=limit))


def _render_pdf(data: bytes, folder: Path, dpi: int, max_pages: int, timeout: float):
    """(reader, [(png path, dpi)]): every page drawn by poppler's pdftoppm in grey, at `dpi`
    or less for a page so large that it would pass the image size limit."""
    from app.core.files import image_pixel_limit
    from app.core.pdf import open_pdf

    try:
        reader = open_pdf(data)
    except OcrError:
        raise
    except DomainError as error:
        raise OcrError(error.message) from error
    count = len(reader.pages)
    if count > max_pages:
        raise _too_many(count, max_pages)
    program = shutil.which("pdftoppm")
    if not program:
        raise OcrError(_l("Chưa cài poppler-utils (pdftoppm): không đọc được trang PDF để nhận "
                          "dạng chữ."))
    limit = image_pixel_limit()
    source = folder / "in.pdf"
    source.write_bytes(data)
    scans = _scan_resolutions(source, timeout * max(1, count) / 4)
    pictures = []
    for number, page in enumerate(reader.pages, start=1):
        width, height = stamp_place.displayed_size(page)  # points
        inches = max(width, 1) / 72 * max(height, 1) / 72
        page_dpi = dpi
        if number in scans:
            page_dpi = min(dpi, max(SCAN_DPI_FLOOR, scans[number]))
        page_dpi = min(page_dpi, int(math.sqrt(limit / inches)))
        if page_dpi < MIN_DPI:
            raise OcrError(_l("Trang %(page)s quá lớn để nhận dạng chữ.", page=number))
        stem = folder / f"page-{number:04d}"
        _run([program, "-f", str(number), "-l", str(number), "-r", str(page_dpi), "-cropbox",
              "-gray", "-png", "-singlefile", str(source), str(stem)], timeout, number)
        picture = stem.with_suffix(".png")
        if not picture.is_file():
            raise OcrError(_l("Không nhận dạng được chữ trên trang %(page)s của tệp.",
                              page=number))
        pictures.append((picture, page_dpi))
    return reader, pictures


def _scan_resolutions(source: Path, timeout: float) -> dict[int, int]:
    """{page: the resolution of its finest picture} from poppler's `pdfimages -list` (read
    from the file's structure, nothing decoded); {} without pdfimages."""
    program = shutil.which("pdfimages")
    if not program:
        return {}
    try:
        result = subprocess.run([program, "-list", str(source)], capture_output=True,
                                timeout=timeout, check=False, env=_env(),
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return {}
    found: dict[int, int] = {}
    for line in result.stdout.decode("ascii", "replace").splitlines()[2:]:
        columns = line.split()
        try:
            page, ppi = int(columns[0]), int(columns[12])
        except (IndexError, ValueError):
            continue
        found[page] = max(found.get(page, 0), ppi)
    return found


def _split_image(data: bytes, folder: Path, max_pages: int):
    """[(png path, dpi)]: every frame of the image (a TIFF may hold several pages), turned
    upright by its EXIF orientation (cameras, phones). Bombs are refused before decoding."""
    from PIL import ImageOps, ImageSequence

    from app.core.files import open_image

    try:
        image = open_image(data, list(set(IMAGE_TYPES.values())))
    except DomainError as error:
        raise OcrError(error.message) from error
    with image:
        frames = getattr(image, "n_frames", 1)
        if frames > max_pages:
            raise _too_many(frames, max_pages)
        pictures = []
        if frames == 1 and image.format in ("JPEG", "PNG") and image.mode in ("1", "L", "RGB") \
                and image.getexif().get(0x0112, 1) == 1:  # upright: Tesseract reads it as it is
            path = folder / ("page-0001.jpg" if image.format == "JPEG" else "page-0001.png")
            path.write_bytes(data)  # a JPEG goes into the searchable copy unchanged
            return [(path, _image_dpi(image, image.size))]
        try:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                picture = ImageOps.exif_transpose(frame.copy())
                if picture.mode not in ("1", "L", "RGB"):
                    picture = picture.convert("RGB")
                picture_dpi = _image_dpi(frame, picture.size)
                path = folder / f"page-{number:04d}.png"
                picture.save(path, format="PNG", dpi=(picture_dpi, picture_dpi))
                pictures.append((path, picture_dpi))
        except OcrError:
            raise
        except Exception as error:
            raise OcrError(_l("Tệp ảnh bị hỏng hoặc không đọc được.")) from error
    return pictures


def _image_dpi(frame, size) -> int:
    """The resolution the scanner wrote, or the one that makes the picture an A4 page."""
    try:
        value = int(round(float((frame.info.get("dpi") or (0,))[0])))
    except (TypeError, ValueError):
        value = 0
    if 70 <= value <= 1200:
        return value
    shorter = min(size)
    return max(70, min(1200, round(shorter / 8.27)))  # A4 is 8.27 inches wide


def _run(command: list[str], timeout: float, page: int) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                                env=_env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise OcrError(_l("Nhận dạng chữ trang %(page)s quá thời gian cho phép (%(seconds)s "
                          "giây).", page=page, seconds=f"{timeout:g}")) from error
    except OSError as error:
        raise OcrError(_l("Không nhận dạng được chữ trên trang %(page)s của tệp.",
                          page=page)) from error
    if result.returncode != 0:
        raise OcrError(_l("Không nhận dạng được chữ trên trang %(page)s của tệp.", page=page))
    return result


def _tesseract(picture: Path, dpi: int, language: str, psm: str, timeout: float, page: int,
               *, text_only: bool) -> tuple[str, bytes | None]:
    """(text, one-page PDF) of one picture, from one run of Tesseract. `text_only`: the PDF
    carries the invisible text only (laid over the original page later)."""
    program = shutil.which("tesseract")
    base = picture.with_suffix("")
    command = [program, str(picture), str(base), "--dpi", str(dpi), "-l", language,
               "-c", "preserve_interword_spaces=1", "-c", "textord_heavy_nr=1"]
    if text_only:
        command += ["-c", "textonly_pdf=1"]
    if psm == "auto":
        _run(command + ["--psm", "3", "txt", "pdf", "tsv"], timeout, page)
        if _confidence(base.with_suffix(".tsv")) < OSD_BELOW:
            _run(command + ["--psm", "1", "txt", "pdf"], timeout, page)
    else:
        _run(command + ["--psm", psm, "txt", "pdf"], timeout, page)
    text_path, pdf_path = base.with_suffix(".txt"), base.with_suffix(".pdf")
    text = text_path.read_text("utf-8", "replace") if text_path.is_file() else ""
    text = "\n".join(line.rstrip() for line in text.replace("\f", "").splitlines()).strip("\n")
    layer = pdf_path.read_bytes() if pdf_path.is_file() else None
    return text, layer


def _confidence(tsv: Path) -> float:
    """Tesseract's mean word confidence (0-100) from its TSV output; 100 for a page without
    words (nothing to turn)."""
    confidences = []
    try:
        lines = tsv.read_text("utf-8", "replace").splitlines()
    except OSError:
        return 0.0
    for line in lines[1:]:
        columns = line.split("\t")
        if len(columns) >= 12 and columns[0] == "5" and columns[11].strip():
            try:
                confidences.append(float(columns[10]))
            except ValueError:
                continue
    return sum(confidences) / len(confidences) if confidences else 100.0


def _searchable_pdf(reader: PdfReader | None, layers: list[bytes | None]) -> bytes | None:
    """The searchable copy: the original pages with the text layer laid over each (a PDF), or
    Tesseract's pages of the pictures (an image). None when any page's layer is missing."""
    if not layers or any(layer is None for layer in layers):
        return None
    try:
        if reader is None:
            writer = PdfWriter()
            for layer in layers:
                writer.add_page(PdfReader(io.BytesIO(layer)).pages[0])
        else:
            writer = PdfWriter(clone_from=reader)
            for page, layer in zip(writer.pages, layers, strict=True):
                text_page = PdfReader(io.BytesIO(layer)).pages[0]
                width, height = stamp_place.displayed_size(page)
                scale = Transformation().scale(width / float(text_page.mediabox.width),
                                               height / float(text_page.mediabox.height))
                matrix = stamp_place.display_matrix(page.cropbox, stamp_place.page_rotation(page))
                page.merge_transformed_page(text_page, scale.transform(Transformation(matrix)))
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except Exception:  # the text is still good; the copy is only a convenience
        return None
