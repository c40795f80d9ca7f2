"""Uploaded files of every domain: checked by parsing before anything is written, stored in
the same transaction as the rows that use them, deleted again if that transaction fails."""
from contextlib import contextmanager

from flask import current_app, flash, has_request_context

from app.core.downloads import send_download
from app.core.errors import DomainError
from app.core.files import check_upload, file_path, save_file
from app.core.models import DocumentFile

PDF_OR_IMAGE = ("pdf", "image")
ANY_DOCUMENT = ("pdf", "image", "office")


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
def saving_files(session):
    """One transaction with the files written for it: commit, or roll back and delete them,
    so that nothing is half saved. Yields `store(user, data, info) -> DocumentFile`.
    Once committed, the notes of the stored files (StoredFile.note: a PDF repaired while
    read) are flashed to the person who uploaded them."""
    written = []

    def store(user, data, info) -> DocumentFile:
        saved = save_file(current_app.config["DATA_DIR"], data, info)
        written.append(saved)
        record = DocumentFile(
            storage_name=saved.storage_name, original_name=saved.original_name,
            size=saved.size, sha256=saved.sha256, content_type=saved.content_type,
            page_count=saved.page_count, text=saved.text,
            uploaded_by_id=user.id if user else None)
        session.add(record)
        return record

    try:
        yield store
        session.commit()
    except Exception:
        session.rollback()
        for saved in written:
            file_path(current_app.config["DATA_DIR"], saved.storage_name).unlink(
                missing_ok=True)
        raise
    if has_request_context():
        for saved in written:
            if saved.note:
                flash(saved.note, "warning")


def stored_path(record: DocumentFile):
    """Where a stored file lies under DATA_DIR."""
    return file_path(current_app.config["DATA_DIR"], record.storage_name)


def read_file(record: DocumentFile) -> bytes:
    return stored_path(record).read_bytes()


def send_stored(record: DocumentFile, object_type, object_id, **options):
    """A stored file under its original name and content type, audited as a download of
    (object_type, object_id); `options` as for send_download (inline, max_age)."""
    return send_download(path=stored_path(record), filename=record.original_name,
                         mimetype=record.content_type, object_type=object_type,
                         object_id=object_id, **options)
