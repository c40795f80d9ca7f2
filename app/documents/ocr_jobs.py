"""Nhận dạng chữ (OCR) of the scans of incoming documents, in the background.

A file stored (app.core.storage.saving_files: an upload, an electronic arrival, an import) that
needs OCR (app.core.ocr.needs_ocr: an image, a PDF without a text layer) is marked "waiting" by
the storage hook `mark_for_ocr`; nothing is read inside the request. A worker round
(`run_ocr_once`, every OCR_INTERVAL seconds in a thread of the serving process, one process at
a time through a lock file, or `flask eoffice ocr` by hand) reads the waiting files of incoming
documents, each in its own unit of work:

- the OCR'd copy with a text layer is stored beside the original (DocumentFile.ocr_storage_name,
  the original stays untouched) for viewing and copy-paste ("Bản có lớp chữ");
- the text goes into the file's text (when it had none) and the document's folded search text
  (services.refresh_search_text), so that a word only the scan's image holds is found;
- a failure is recorded on the file ("failed" and the reason in Vietnamese), never a crash.

While OCR is off (OCR_ENABLED=0, or Tesseract or its Vietnamese model missing: app.core.ocr
.available()) a file that needs it is "off": the pages say why, and the worker reads it once
OCR is on. Files of other objects (outgoing documents, drafts, news…) are not read: the hook
cannot know whose a file is when it is stored, the round clears their mark.

States (DocumentFile.ocr_state): None (not needed or not checked), "waiting", "done",
"failed", "off"."""
import logging
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.core import ocr
from app.core.files import (
    TEXT_LIMIT, file_path, may_start_worker, process_lock, sync_folder, write_private,
)
from app.core.models import DocumentFile
from app.core.text import nfc
from app.core.timefmt import utcnow

log = logging.getLogger(__name__)

WAITING, DONE, FAILED, OFF = "waiting", "done", "failed", "off"
TO_READ = (WAITING, OFF)  # read by the next round once OCR is on
ROUND_LIMIT = 10  # files read by one round of the worker (the lock is held meanwhile)
COPY_SUFFIX = ".ocr.pdf"  # the OCR'd copy: <original's storage name without extension>.ocr.pdf
AVAILABILITY_SECONDS = 60  # how long this process trusts its last look at the OCR engine

NOT_READ = _l("Không đọc được tệp đã lưu trên máy chủ.")
UNEXPECTED = _l("Lỗi không mong đợi khi nhận dạng chữ (đã ghi vào nhật ký máy chủ).")
TURNED_OFF = _l("quản trị đã tắt chức năng này (OCR_ENABLED=0).")
NO_ENGINE = _l("máy chủ chưa có bộ nhận dạng chữ.")

_started = threading.Event()
_availability = {}  # {"at": monotonic time, "ok": bool, "why": str}


# ---------------------------------------------------------------- the engine

def _look(language="vie"):
    """(available, why not) of the engine for `language` (OCR_LANGUAGE: "vie", "vie+eng"),
    looked at once a minute at most: the pages ask for every file they show."""
    now = time.monotonic()
    known = _availability.get(language)
    if known and now - known["at"] < AVAILABILITY_SECONDS:
        return known["ok"], known["why"]
    try:
        missing = [part for part in language.split("+") if not ocr.available(part)]
        ok = not missing
        why = "" if ok else str(ocr.why_unavailable(missing[0]) or NO_ENGINE)
    except Exception:  # noqa: BLE001 (an engine that cannot say is not available)
        log.exception("OCR: checking the engine failed")
        ok, why = False, str(NO_ENGINE)
    _availability[language] = {"at": now, "ok": ok, "why": why}
    return ok, why


def forget_availability() -> None:
    """Look at the engine again next time (tests, after installing Tesseract)."""
    _availability.clear()


def _language(config) -> str:
    return config.get("OCR_LANGUAGE") or "vie"


def enabled(config=None) -> bool:
    """OCR is on: OCR_ENABLED and the engine available."""
    config = config if config is not None else current_app.config
    return bool(config.get("OCR_ENABLED", True)) and _look(_language(config))[0]


def why_off(config=None) -> str:
    """Why OCR is off ("" when it is on), in Vietnamese."""
    config = config if config is not None else current_app.config
    if not config.get("OCR_ENABLED", True):
        return str(TURNED_OFF)
    return _look(_language(config))[1]


def off_message(config=None) -> str:
    return _("Nhận dạng chữ (OCR) chưa bật: %(why)s", why=why_off(config))


def clean_text(text) -> str:
    """OCR text as kept for search: NFC, whitespace collapsed, at most TEXT_LIMIT characters
    (as the text layer of an uploaded PDF, app.core.files)."""
    return " ".join(nfc(text or "").split())[:TEXT_LIMIT]


# ---------------------------------------------------------------- when a file is stored

def mark_for_ocr(session, record, data) -> None:
    """app.core.storage's callback: a file that needs OCR waits for the worker ("off" while
    OCR is off). Never reads anything inside the request."""
    if not ocr.needs_ocr(data, record.content_type):
        return
    if enabled():
        record.ocr_state, record.ocr_message = WAITING, None
    else:
        record.ocr_state, record.ocr_message = OFF, why_off()


# ---------------------------------------------------------------- the worker's round

def pass_lock(app):
    return process_lock(Path(app.config["INSTANCE_DIR"]) / "ocr.lock")


def run_ocr_once(app, *, limit=ROUND_LIMIT, file_ids=None) -> dict | None:
    """One round; None when another process holds the lock. Returns the counts (done, failed,
    off, left: files still waiting) and `off_reason` when OCR is off. `file_ids`: only these
    files (when they wait)."""
    from app.extensions import db

    with pass_lock(app) as mine:
        if not mine:
            return None
        with app.app_context():
            try:
                return ocr_round(db.session, app.config, limit=limit, file_ids=file_ids)
            finally:
                db.session.remove()


def _waiting_of_incoming():
    return (DocumentFile.ocr_state.in_(TO_READ), DocumentFile.incoming_id.is_not(None))


def ocr_round(session, config, *, limit=ROUND_LIMIT, file_ids=None) -> dict:
    """Read up to `limit` waiting files of incoming documents (of `file_ids` only, when
    given), oldest first, each in its own unit of work (see the module's docstring)."""
    counts = {DONE: 0, FAILED: 0, OFF: 0, "left": 0, "off_reason": None}
    # Files of other objects: not read here (their mark came from the storage hook).
    session.execute(update(DocumentFile).where(
        DocumentFile.ocr_state.in_(TO_READ), DocumentFile.incoming_id.is_(None))
        .values(ocr_state=None, ocr_message=None).execution_options(synchronize_session=False))
    session.commit()
    forget_availability()
    if not enabled(config):
        reason = why_off(config)
        counts[OFF] = session.execute(update(DocumentFile).where(
            DocumentFile.ocr_state == WAITING, DocumentFile.incoming_id.is_not(None))
            .values(ocr_state=OFF, ocr_message=reason)
            .execution_options(synchronize_session=False)).rowcount
        session.commit()
        counts["off_reason"] = reason
        return counts
    query = select(DocumentFile.id).where(*_waiting_of_incoming())
    if file_ids is not None:
        query = query.where(DocumentFile.id.in_(list(file_ids)))
    ids = list(session.scalars(query.order_by(DocumentFile.id).limit(limit)))
    session.rollback()
    for file_id in ids:
        state = read_file(session, config, file_id)
        if state in counts:
            counts[state] += 1
    counts["left"] = session.scalar(select(DocumentFile.id).where(
        *_waiting_of_incoming()).limit(1)) is not None
    session.rollback()
    return counts


class _Refused(Exception):
    """A file the worker does not read, with the reason for the pages."""


def read_file(session, config, file_id) -> str | None:
    """OCR one stored file of an incoming document and record the result: DONE or FAILED (or
    None when the file is gone or no longer waiting). Nothing is held in the database while the
    engine reads; the copy is written before the commit and removed if the commit fails."""
    record = session.get(DocumentFile, file_id)
    if record is None or record.ocr_state not in TO_READ or record.incoming_id is None:
        session.rollback()
        return None
    storage_name, content_type = record.storage_name, record.content_type
    page_count, previous_copy = record.page_count, record.ocr_storage_name
    session.rollback()  # the read transaction ends: the OCR may take a while
    data_dir = config["DATA_DIR"]
    copy_name = None
    try:
        max_pages = int(config.get("OCR_MAX_PAGES", 50))
        if page_count and page_count > max_pages:
            raise _Refused(_("Tệp có %(pages)s trang, quá giới hạn nhận dạng %(max)s trang "
                             "(OCR_MAX_PAGES).", pages=page_count, max=max_pages))
        try:
            data = file_path(data_dir, storage_name).read_bytes()
        except (OSError, ValueError) as error:
            raise _Refused(str(NOT_READ)) from error
        result = ocr.ocr_file(data, content_type, language=config.get("OCR_LANGUAGE") or "vie",
                              dpi=int(config.get("OCR_DPI") or 300), max_pages=max_pages)
        if result.pages and result.pages > max_pages:
            raise _Refused(_("Tệp có %(pages)s trang, quá giới hạn nhận dạng %(max)s trang "
                             "(OCR_MAX_PAGES).", pages=result.pages, max=max_pages))
        if result.pdf:
            copy_name = Path(storage_name).stem + COPY_SUFFIX
            path = file_path(data_dir, copy_name)
            write_private(path, result.pdf, ".upload-")
            sync_folder(path.parent)
    except _Refused as error:
        return _record_failure(session, file_id, str(error))
    except Exception as error:  # noqa: BLE001 (one file never stops the round)
        if ocr is not None and isinstance(error, ocr.OcrError):
            return _record_failure(session, file_id, str(error) or str(UNEXPECTED))
        log.exception("OCR: reading file %s failed", file_id)
        return _record_failure(session, file_id, str(UNEXPECTED))
    try:
        record = session.get(DocumentFile, file_id)
        if record is None or record.ocr_state not in TO_READ:  # removed or read meanwhile
            session.rollback()
            _remove_copy(data_dir, copy_name, previous_copy)
            return None
        text = clean_text(result.text)
        if text:
            old = (record.text or "").strip()
            record.text = text if not old else clean_text(f"{old} {text}")
        record.ocr_state, record.ocr_message, record.ocr_at = DONE, None, utcnow()
        record.ocr_storage_name = copy_name
        document = record.incoming
        if document is not None:
            from app.documents.services import refresh_search_text

            refresh_search_text(document)
        session.commit()
    except Exception:  # noqa: BLE001
        session.rollback()
        _remove_copy(data_dir, copy_name, previous_copy)
        log.exception("OCR: recording the text of file %s failed", file_id)
        return _record_failure(session, file_id, str(UNEXPECTED))
    return DONE


def _remove_copy(data_dir, copy_name, previous_copy) -> None:
    if copy_name and copy_name != previous_copy:
        try:
            file_path(data_dir, copy_name).unlink(missing_ok=True)
        except (OSError, ValueError):
            log.warning("OCR: could not remove the copy %s", copy_name)


def _record_failure(session, file_id, message) -> str | None:
    try:
        record = session.get(DocumentFile, file_id)
        if record is None:
            session.rollback()
            return None
        record.ocr_state, record.ocr_message, record.ocr_at = FAILED, message[:2000], utcnow()
        session.commit()
    except Exception:  # noqa: BLE001 (the next round tries again)
        session.rollback()
        log.exception("OCR: recording the failure of file %s failed", file_id)
        return None
    return FAILED


# ---------------------------------------------------------------- the thread

def start(app) -> threading.Thread | None:
    """Start the worker thread of a serving process: not when OCR_ENABLED is off, not in
    tests, not in a CLI command (as the notice worker)."""
    if not may_start_worker(app, "OCR_ENABLED", _started):
        return None
    thread = threading.Thread(target=_loop, args=(app,), name="eoffice-ocr", daemon=True)
    thread.start()
    return thread


def _loop(app, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    interval = max(int(app.config.get("OCR_INTERVAL", 30)), 1)
    stop.wait(min(interval, 30))
    while not stop.is_set():
        try:
            counts = run_ocr_once(app)
        except Exception:  # noqa: BLE001
            log.exception("OCR worker")
            counts = None
        # more waiting: the next round at once, else after the interval
        stop.wait(1 if counts and counts.get("left") else interval)


# ---------------------------------------------------------------- what the pages show

def ocr_view(record):
    """What the file list shows of a file's OCR (templates/incoming/_macros.html): None when
    there is nothing to say; else state, label, css (Bootstrap 3 label class), icon, and
    `copy` when the OCR'd copy can be viewed."""
    state = getattr(record, "ocr_state", None)
    if state is None:
        return None
    if state in TO_READ:
        if enabled():
            return SimpleNamespace(state=WAITING, label=_("Đang nhận dạng chữ…"), css="info",
                                   icon="hourglass-half", copy=False)
        return SimpleNamespace(state=OFF, label=off_message(), css="default", icon="eye-slash",
                               copy=False)
    if state == DONE:
        return SimpleNamespace(state=DONE, label=_("Đã nhận dạng"), css="success",
                               icon="font", copy=bool(record.ocr_storage_name))
    return SimpleNamespace(state=FAILED, label=_("Không nhận dạng được: %(why)s",
                                                 why=record.ocr_message or str(UNEXPECTED)),
                           css="warning", icon="triangle-exclamation", copy=False)


def copy_filename(record) -> str:
    """The OCR'd copy's name for the person who downloads it."""
    return f"{Path(record.original_name).stem}-OCR.pdf"


def copy_path(record):
    """Where the OCR'd copy lies, None when there is none."""
    if not record.ocr_storage_name:
        return None
    return file_path(current_app.config["DATA_DIR"], record.ocr_storage_name)


# ---------------------------------------------------------------- wiring

def init_ocr(app) -> None:
    """At app creation (app.documents.views.register_views): the storage hook, the pages'
    helper, the worker thread."""
    from app.core import storage

    storage.on_stored(mark_for_ocr)
    app.jinja_env.globals["ocr_view"] = ocr_view
    start(app)
