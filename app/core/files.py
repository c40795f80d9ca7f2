"""Uploaded files: checked by parsing (pypdf, Pillow, zip/OLE structure), never by extension
alone; stored outside static/ under a generated name; served with an RFC 6266 header."""
import contextlib
import hashlib
import io
import os
import re
import tempfile
import threading
import unicodedata
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask_babel import lazy_gettext as _l
from PIL import Image

from app.core.errors import DomainError
from app.core.pdf import PDF_REPAIRED, read_pdf
from app.core.text import nfc

TEXT_LIMIT = 200_000  # characters of extracted text kept for search
UNPACKED_SLACK, UNPACKED_MAX = 10 * 1024 * 1024, 500 * 1024 * 1024  # zip packages (office)
NAME_LIMIT = 255

KIND_LABELS = {
    "pdf": _l("PDF"),
    "image": _l("ảnh JPEG, PNG, TIFF"),
    "office": _l("Word, Excel, OpenDocument (.doc, .docx, .xls, .xlsx, .odt)"),
    "archive": _l("tệp nén .zip"),
}

# Parsed kind -> (content type, extension of the stored file).
TYPES = {
    "pdf": ("application/pdf", ".pdf"),
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "TIFF": ("image/tiff", ".tif"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "odt": ("application/vnd.oasis.opendocument.text", ".odt"),
    "doc": ("application/msword", ".doc"),
    "xls": ("application/vnd.ms-excel", ".xls"),
    "zip": ("application/zip", ".zip"),  # kept as received (liên thông), never unpacked
    "other": ("application/octet-stream", ".bin"),  # likewise: for download only
}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")


@dataclass
class StoredFile:
    storage_name: str
    original_name: str
    size: int
    sha256: str
    content_type: str
    page_count: int | None = None
    text: str | None = None
    note: str | None = None  # for the person who uploaded it (a PDF repaired while read)


def check_upload(data: bytes, filename: str, *, max_bytes: int,
                 allowed=("pdf", "image")) -> StoredFile:
    """Validate an upload and describe it (nothing is written); DomainError if refused."""
    if not data:
        raise DomainError(_l("Tệp rỗng."))
    if len(data) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",")
        raise DomainError(_l("Tệp quá lớn: dung lượng tối đa là %(limit)s MB.", limit=limit))

    kind, page_count, text, repaired = None, None, None, False
    if data.startswith(b"%PDF-") and "pdf" in allowed:
        kind = "pdf"
        page_count, text, repaired = _check_pdf(data)
    elif data.startswith(IMAGE_MAGIC) and "image" in allowed:
        kind, page_count = _check_image(data)
    elif data.startswith((ZIP_MAGIC, OLE_MAGIC)) and "office" in allowed:
        kind = _office_kind(data)
        if kind is None and data.startswith(ZIP_MAGIC) and "archive" in allowed:
            kind = "zip"
    if kind is None:
        kinds = ", ".join(str(KIND_LABELS[k]) for k in allowed if k in KIND_LABELS)
        raise DomainError(_l("Định dạng tệp không được chấp nhận. Chỉ nhận tệp: %(kinds)s.",
                             kinds=kinds))

    content_type, extension = TYPES[kind]
    original_name = clean_filename(filename, extension)
    return StoredFile(
        storage_name=uuid.uuid4().hex + extension,
        original_name=original_name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        page_count=page_count,
        text=text,
        note=str(PDF_REPAIRED) % {"name": original_name} if repaired else None,
    )


def check_received(data: bytes, filename: str, *, max_bytes: int) -> tuple[StoredFile, str]:
    """A file another agency's system sent (liên thông) is kept whatever it is: its kind is
    read from its content (the declared type is only a hint); one the upload checks refuse —
    a damaged or password-protected PDF, an image too large to open, an unknown format — is
    kept as it came, for download only (never opened, unpacked or indexed), with the reason
    for the clerk (second value, "" when none). Empty or over `max_bytes`: DomainError."""
    try:
        return check_upload(data, filename, max_bytes=max_bytes,
                            allowed=("pdf", "image", "office", "archive")), ""
    except DomainError as error:
        if not data or len(data) > max_bytes:
            raise
        content_type, extension = TYPES["other"]
        return StoredFile(storage_name=uuid.uuid4().hex + extension,
                          original_name=clean_filename(filename, extension), size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(),
                          content_type=content_type), str(error)


def _check_pdf(data: bytes) -> tuple[int, str, bool]:
    """(pages, text for search, repaired). A password-protected file is refused with its own
    message, not as damaged; one with an owner password only (it opens without a password) is
    accepted as it is; one that pypdf reads only leniently (broken cross-reference table…) is
    accepted and stored unchanged — its bytes, signature and checksum are the sender's — with
    a note for the clerk (StoredFile.note); an unreadable one is refused as damaged."""
    reader, repaired = read_pdf(data)  # raises the encrypted / damaged messages
    parts, length = [], 0
    for page in reader.pages:
        try:
            part = page.extract_text() or ""
        except Exception:  # text is only for search: a page we cannot read is not an error
            continue
        parts.append(part)
        length += len(part)
        if length > TEXT_LIMIT:
            break
    text = " ".join(nfc(" ".join(parts)).split())[:TEXT_LIMIT]
    return len(reader.pages), text, repaired


DEFAULT_IMAGE_PIXELS = 40_000_000


def image_pixel_limit() -> int:
    """MAX_IMAGE_PIXELS of the configuration (40 megapixels: an A3 scan at 600 dpi)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get("MAX_IMAGE_PIXELS") or DEFAULT_IMAGE_PIXELS)
    return DEFAULT_IMAGE_PIXELS


def check_image_size(image) -> None:
    """Every frame's width × height, read from the headers before any pixel is decoded, within
    MAX_IMAGE_PIXELS: a decompression bomb (a small PNG of 20000 × 20000 points) is refused
    before it costs gigabytes of memory and minutes of CPU. DomainError otherwise."""
    limit = image_pixel_limit()
    frames = getattr(image, "n_frames", 1)
    for index in range(frames):
        if frames > 1:
            image.seek(index)
        width, height = image.size
        if width * height > limit:
            raise _too_large(limit)
    if frames > 1:
        image.seek(0)


def _too_large(limit=None) -> DomainError:
    limit = limit or image_pixel_limit()
    return DomainError(_l("Ảnh quá lớn: tối đa %(limit)s triệu điểm ảnh. Hãy quét hoặc lưu ảnh "
                          "với độ phân giải thấp hơn.",
                          limit=f"{limit / 1_000_000:g}".replace(".", ",")))


def open_image(data: bytes, formats=None):
    """Image.open with the size checked (check_image_size) before anything is decoded;
    DomainError for a bomb or a file that is not an image."""
    try:
        with warnings.catch_warnings():  # Pillow warns beyond its limit: we refuse below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=formats)
    except Image.DecompressionBombError as error:  # beyond twice Image.MAX_IMAGE_PIXELS
        raise _too_large() from error
    except Exception as error:
        raise DomainError(_l("Tệp ảnh bị hỏng hoặc không đọc được.")) from error
    try:
        check_image_size(image)
    except DomainError:
        image.close()
        raise
    except Exception as error:
        image.close()
        raise DomainError(_l("Tệp ảnh bị hỏng hoặc không đọc được.")) from error
    return image


def _check_image(data: bytes) -> tuple[str, int]:
    formats = ["JPEG", "PNG", "TIFF"]
    open_image(data, formats).close()  # the size from the headers, before any decoding
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.verify()  # checks structure and checksums
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.load()  # verify() does not decode the pixels; a truncated image fails here
            return image.format, getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as error:
        raise _too_large() from error
    except Exception as error:
        raise DomainError(_l("Tệp ảnh bị hỏng hoặc không đọc được.")) from error


def _office_kind(data: bytes) -> str | None:
    """docx/xlsx/odt are zip packages with a known member; doc/xls are OLE files with a
    known stream. Anything else in such a container (e.g. an .msi installer) is refused."""
    if data.startswith(OLE_MAGIC):
        if _ole_stream("WordDocument", data):
            return "doc"
        if _ole_stream("Workbook", data) or _ole_stream("Book", data):
            return "xls"
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # A zip bomb dressed as .docx: whatever unpacks it later (search, previews,
            # openpyxl) would fill the memory or the disk. Real documents pack 2-20 times.
            unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > 100 * len(data) + UNPACKED_SLACK or unpacked > UNPACKED_MAX:
                raise DomainError(_l("Tệp nén bất thường (dung lượng khi giải nén quá lớn)."))
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                if archive.read("mimetype") == TYPES["odt"][0].encode():
                    return "odt"
    except DomainError:
        raise
    except Exception as error:  # BadZipFile and friends
        raise DomainError(_l("Tệp văn bản bị hỏng hoặc không đọc được.")) from error
    return None


def _ole_stream(name: str, data: bytes) -> bool:
    # OLE directory entries hold the stream name in UTF-16LE, NUL-terminated.
    return (name + "\0").encode("utf-16-le") in data


def clean_filename(filename: str, extension: str = "") -> str:
    """The uploaded name as the user knows it: NFC, no folders, no control characters."""
    name = nfc(filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Category C: control and format characters (incl. right-to-left overrides that disguise
    # extensions), surrogates, private use.
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C")).strip()
    if name.strip(".") == "":
        name = "tep-tai-len" + extension
    if len(name) > NAME_LIMIT:
        stem, dot, suffix = name.rpartition(".")
        if dot and len(suffix) <= 10:
            name = stem[:NAME_LIMIT - len(suffix) - 1].rstrip() + "." + suffix
        else:
            name = name[:NAME_LIMIT]
    return name


# Data at rest is the server user's alone: files 0600, folders 0700, set explicitly (a umask of
# 022 would otherwise leave stored documents readable by every local account).
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


def private_dir(path: str | Path) -> Path:
    """Make the folder and every missing parent, each 0700 whatever the umask."""
    path = Path(path)
    missing, current = [], path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another worker made it meanwhile
            pass
        os.chmod(folder, PRIVATE_DIR)
    return path


def make_private(path: str | Path, mode: int = PRIVATE_FILE) -> None:
    """Tighten an existing file or folder of ours to owner-only (others' are left alone)."""
    with contextlib.suppress(OSError):
        if os.stat(path).st_uid == os.geteuid():
            os.chmod(path, mode)


def private_empty_file(path: str | Path) -> None:
    """Create the file 0600 if it does not exist (before a library creates it with the
    umask's mode, e.g. SQLite's database file), else tighten it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        make_private(path)
        return
    os.close(fd)
    os.chmod(path, PRIVATE_FILE)


def secure_instance(config) -> None:
    """At start: the instance folder, DATA_DIR and the SQLite database (with its -wal/-shm,
    which SQLite creates with the database file's mode) are owner-only."""
    from sqlalchemy.engine import make_url

    for folder in (config.get("INSTANCE_DIR"), config.get("DATA_DIR")):
        if folder:
            private_dir(folder)
            make_private(folder, PRIVATE_DIR)
    url = config.get("SQLALCHEMY_DATABASE_URI") or ""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_dir(Path(database).parent)
            private_empty_file(database)
            for suffix in ("-wal", "-shm", "-journal"):
                make_private(database + suffix)


UPLOAD_PREFIX = ".upload-"  # a file being stored: no row references it (app.ops.files_check)



@contextlib.contextmanager
def process_lock(path: str | Path):
    """One process at a time on this machine (a background worker's round): yields True
    when this process took the flock on `path`, False when another process holds it."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def may_start_worker(app, enabled_key: str, started) -> bool:
    """Whether a background worker's thread starts in this process, once (`started`: the
    worker's threading.Event, set here): only in a serving process — not when its setting
    `enabled_key` is off, not in tests, not in a CLI command."""
    import click

    if not app.config.get(enabled_key, True) or app.config.get("TESTING"):
        return False
    if click.get_current_context(silent=True) is not None or started.is_set():
        return False
    started.set()
    return True


def start_worker(app, enabled_key: str, started, loop, name: str):
    """A background worker's daemon thread running `loop(app)`, started when may_start_worker
    allows it (else None)."""
    if not may_start_worker(app, enabled_key, started):
        return None
    thread = threading.Thread(target=loop, args=(app,), name=name, daemon=True)
    thread.start()
    return thread


def write_private(path: str | Path, data: bytes, prefix: str) -> None:
    """Write `data` to `path` atomically (readers never see half a file), mode 0600; the
    temporary name starts with `prefix`."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, PRIVATE_FILE)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def sync_folder(folder: str | Path) -> None:
    """Make a rename or a new file in `folder` durable (POSIX); a failure here is not worth an
    error."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_temporary(data_dir: str | Path, data: bytes, info: StoredFile) -> tuple[Path, Path]:
    """Write the bytes of a checked upload to a temporary name (".upload-…", mode 0600) in the
    folder of its final name, synced to disk; (temporary path, final path). Nothing has the
    final name yet: a process killed now leaves only a recognisable temporary file."""
    if hashlib.sha256(data).hexdigest() != info.sha256:
        raise ValueError("data does not match the checked upload")
    final = file_path(data_dir, info.storage_name)
    private_dir(final.parent)
    fd, temp = tempfile.mkstemp(dir=final.parent, prefix=UPLOAD_PREFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, PRIVATE_FILE)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp), final


def save_file(data_dir: str | Path, data: bytes, info: StoredFile) -> StoredFile:
    """Write the bytes under data_dir/files/<ab>/<storage_name> at once (mode 0600, the
    folders 0700): a temporary name, then a rename, so readers never see half a file."""
    temp, final = write_temporary(data_dir, data, info)
    try:
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return info


_STORAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,}")


def file_path(data_dir: str | Path, storage_name: str) -> Path:
    """Where a stored file lives; refuses anything that could leave data_dir/files."""
    if not _STORAGE_NAME.fullmatch(storage_name or "") or ".." in storage_name:
        raise ValueError(f"invalid storage name: {storage_name!r}")
    return Path(data_dir) / "files" / storage_name[:2] / storage_name


def ascii_filename(name: str) -> str:
    """'Sở Nội vụ.pdf' -> 'So Noi vu.pdf': for clients that ignore filename*."""
    name = nfc(name).replace("đ", "d").replace("Đ", "D")
    name = "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    name = re.sub(r"[^A-Za-z0-9 ._()-]", "_", name).strip()
    return name if name.strip("._ ") else "file"


def content_disposition(original_name: str, inline: bool = False) -> str:
    """RFC 6266 header value with an ASCII fallback and the exact UTF-8 name (RFC 5987)."""
    name = nfc(original_name or "") or "file"
    disposition = "inline" if inline else "attachment"
    return (f'{disposition}; filename="{ascii_filename(name)}"; '
            f"filename*=UTF-8''{quote(name, safe='')}")
