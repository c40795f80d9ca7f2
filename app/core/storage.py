"""Uploaded files of every domain: checked by parsing before anything is written, written
under a temporary name, given their final name only once the transaction of the rows that use
them has committed, removed again if that transaction fails."""
import contextlib
import os
from contextlib import contextmanager

from flask import current_app, flash, has_request_context
from sqlalchemy.orm import scoped_session

from app.core.downloads import send_download, view_requested
from app.core.errors import DomainError
from app.core.files import check_upload, file_path, sync_folder, write_temporary
from app.core.models import DocumentFile

PDF_OR_IMAGE = ("pdf", "image")
ANY_DOCUMENT = ("pdf", "image", "office")

# Called with (session, record, data) for every file stored by `saving_files`, before the
# transaction commits: a domain above the kernel adds what it keeps about a file (the digital
# signatures of a PDF: app.security.signature_checks) without the kernel naming it. A callback
# that fails is logged and skipped: it never makes an upload fail.
_stored_callbacks = []


def on_stored(callback) -> None:
    """Register `callback(session, record, data)` (once: registering it again changes
    nothing)."""
    if callback not in _stored_callbacks:
        _stored_callbacks.append(callback)


def _after_store(session, record, data) -> None:
    for callback in _stored_callbacks:
        try:
            callback(session, record, data)
        except Exception:  # noqa: BLE001 (a check never refuses the file)
            current_app.logger.exception("storage: callback %r failed on %s", callback,
                                         record.original_name)


class FileErrors(DomainError):
    """One message per refused file, for the `files` field."""

    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = messages


def check_files(uploads, allowed=PDF_OR_IMAGE):
    """[(data, filename)] → [(data, info)], or FileErrors naming each refused file."""
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    checked, errors = [], []
    for data, filename in uploads:
        try:
            checked.append((data, check_upload(data, filename, max_bytes=max_bytes,
                                               allowed=allowed)))
        except DomainError as error:
            errors.append(f"{filename}: {error}")
    if errors:
        raise FileErrors(errors)
    return checked


@contextmanager
def saving_files(session, *, expire=True):
    """One transaction with the files written for it, nothing half done: each file is
    written under a temporary name, the transaction is committed, and only then is each file
    renamed to its final name (the row's storage_name). If anything fails before or during the
    commit, the transaction is rolled back and the temporary files are removed. A rename that
    fails after the commit is logged and left to `flask files check` (the row's file is then
    missing and the temporary file an orphan, both reported). Yields
    `store(user, data, info) -> DocumentFile`. Once committed, the notes of the stored files
    (StoredFile.note: a PDF repaired while read) are flashed to the person who uploaded them.

    `expire=False`: what the unit of work wrote and read stays loaded after the commit, as
    written — the caller answers with it without reading it back (the session's records are
    otherwise read again at their next use)."""
    data_dir = current_app.config["DATA_DIR"]
    written = []  # (temporary path, final path, StoredFile)

    def store(user, data, info) -> DocumentFile:
        temp, final = write_temporary(data_dir, data, info)
        written.append((temp, final, info))
        record = DocumentFile(
            storage_name=info.storage_name, original_name=info.original_name,
            size=info.size, sha256=info.sha256, content_type=info.content_type,
            page_count=info.page_count, text=info.text,
            uploaded_by_id=user.id if user else None)
        session.add(record)
        _after_store(session, record, data)
        return record

    try:
        yield store
        _commit(session, expire)
    except BaseException:  # an error, or the worker stopped (SystemExit): nothing is kept
        try:
            session.rollback()
        finally:
            for temp, _final, _info in written:
                with contextlib.suppress(OSError):
                    temp.unlink(missing_ok=True)
        raise
    for folder in {final.parent for _temp, final, _info in written}:
        sync_folder(folder)  # the temporary files' entries, before they are renamed
    for temp, final, info in written:
        try:
            os.replace(temp, final)
        except OSError:
            current_app.logger.exception("Stored file %s committed but not renamed from %s; "
                                         "`flask files check` reports it",
                                         info.storage_name, temp)
    for folder in {final.parent for _temp, final, _info in written}:
        sync_folder(folder)
    if has_request_context():
        for _temp, _final, info in written:
            if info.note:
                flash(info.note, "warning")


def _commit(session, expire):
    if expire:
        session.commit()
        return
    real = session() if isinstance(session, scoped_session) else session
    before, real.expire_on_commit = real.expire_on_commit, False
    try:
        session.commit()
    finally:
        real.expire_on_commit = before


def stored_path(record: DocumentFile):
    """Where a stored file lies under DATA_DIR."""
    return file_path(current_app.config["DATA_DIR"], record.storage_name)


def read_file(record: DocumentFile) -> bytes:
    return stored_path(record).read_bytes()


def send_stored(record: DocumentFile, object_type, object_id, **options):
    """A stored file under its original name and content type, audited as a download of
    (object_type, object_id); `options` as for send_download (inline, view, max_age). A PDF
    asked with `?view=1` goes to the viewer in the page (inline, audited as "Xem tệp"); any
    other file is always an attachment."""
    options.setdefault("view", record.is_pdf and view_requested())
    return send_download(path=stored_path(record), filename=record.original_name,
                         mimetype=record.content_type, object_type=object_type,
                         object_id=object_id, **options)
