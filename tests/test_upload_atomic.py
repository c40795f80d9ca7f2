"""Nothing half done on uploads (issue 23): a file gets its final name only once the database
commit that records it has succeeded; a failed commit leaves neither the file nor its
temporary copy; a killed process leaves only a recognisable ".upload-…" file."""
import os
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.core import storage
from app.core.files import UPLOAD_PREFIX
from app.core.models import DocumentFile
from app.documents import services
from app.documents.models import IncomingDocument
from app.extensions import db
from tests.conftest import pdf, user
from tests.incoming_helpers import entry


def temporaries(data_dir) -> set[Path]:
    return set(Path(data_dir).rglob(UPLOAD_PREFIX + "*"))


def checked(text="Tệp lưu nguyên vẹn"):
    [(data, info)] = storage.check_files([(pdf(text), "Công văn.pdf")])
    return data, info


def remove(record_id, path):
    row = db.session.get(DocumentFile, record_id)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
    path.unlink(missing_ok=True)


def test_a_committed_upload_leaves_exactly_its_final_file(app):
    with app.app_context():
        data_dir = app.config["DATA_DIR"]
        before = temporaries(data_dir)
        data, info = checked()
        with storage.saving_files(db.session) as store:
            record = store(None, data, info)
            final = storage.stored_path(record)
            assert not final.exists()  # not before the commit
            assert len(temporaries(data_dir) - before) == 1
        assert final.read_bytes() == data
        assert oct(final.stat().st_mode & 0o777) == "0o600"
        assert temporaries(data_dir) == before
        assert db.session.get(DocumentFile, record.id).storage_name == final.name
        remove(record.id, final)


def test_a_failing_commit_leaves_no_file(app, monkeypatch):
    with app.app_context():
        data_dir = app.config["DATA_DIR"]
        before = temporaries(data_dir)
        data, info = checked()
        final = storage.file_path(data_dir, info.storage_name)

        def commit():
            raise OperationalError("COMMIT", {}, Exception("the database went away"))

        monkeypatch.setattr(db.session, "commit", commit)
        with pytest.raises(OperationalError), storage.saving_files(db.session) as store:
            store(None, data, info)
        monkeypatch.undo()
        assert not final.exists()
        assert temporaries(data_dir) == before
        assert db.session.scalar(select(DocumentFile).where(
            DocumentFile.storage_name == info.storage_name)) is None


def test_a_constraint_error_keeps_the_file_already_stored_under_that_name(app):
    """A row refused by the database (here the unique storage name) removes its temporary
    file only: the file already stored under that name, and its row, are untouched (the
    previous code wrote over it, then deleted it)."""
    with app.app_context():
        data_dir = app.config["DATA_DIR"]
        data, info = checked("Tệp đã lưu")
        with storage.saving_files(db.session) as store:
            first = store(None, data, info)
        final = storage.stored_path(first)
        before = temporaries(data_dir)
        other_data, other = checked("Tệp khác trùng tên lưu")
        other.storage_name = info.storage_name
        with pytest.raises(IntegrityError), storage.saving_files(db.session) as store:
            store(None, other_data, other)
        assert final.read_bytes() == data
        assert temporaries(data_dir) == before
        remove(first.id, final)


def test_an_error_before_the_commit_leaves_no_file(app):
    with app.app_context():
        data_dir = app.config["DATA_DIR"]
        before = temporaries(data_dir)
        data, info = checked()
        with pytest.raises(RuntimeError), storage.saving_files(db.session) as store:
            store(None, data, info)
            raise RuntimeError("a rule refused the entry after the file was written")
        assert not storage.file_path(data_dir, info.storage_name).exists()
        assert temporaries(data_dir) == before


def test_a_registration_whose_commit_fails_leaves_no_document_and_no_file(app, monkeypatch):
    with app.app_context():
        data_dir = app.config["DATA_DIR"]
        before = temporaries(data_dir)
        files_before = {p for p in Path(data_dir, "files").rglob("*") if p.is_file()}
        data = entry(db.session, excerpt="V/v thử lỗi khi ghi cơ sở dữ liệu")
        clerk = user(db.session, "vanthu")

        def commit():
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

        monkeypatch.setattr(db.session, "commit", commit)
        with pytest.raises(OperationalError):
            services.register_incoming(db.session, clerk, data, [(pdf(), "Công văn.pdf")])
        monkeypatch.undo()
        db.session.rollback()
        assert {p for p in Path(data_dir, "files").rglob("*") if p.is_file()} == files_before
        assert temporaries(data_dir) == before
        assert db.session.scalar(select(IncomingDocument).where(
            IncomingDocument.number_symbol == data["number_symbol"])) is None


def test_a_rename_failing_after_the_commit_is_logged_and_left_to_the_file_check(
        app, monkeypatch, tmp_path):
    from app.ops import files_check

    with app.app_context():
        data_dir = app.config["DATA_DIR"]
        data, info = checked()

        def replace(_source, _target):
            raise OSError(5, "Input/output error")

        logged = []
        monkeypatch.setattr(storage.os, "replace", replace)
        monkeypatch.setattr(app.logger, "exception", lambda *args: logged.append(args))
        with storage.saving_files(db.session) as store:  # committed: no error for the user
            record = store(None, data, info)
        monkeypatch.undo()
        assert "flask files check" in logged[0][0]
        final = storage.stored_path(record)
        assert not final.exists()
        [temp] = [p for p in temporaries(data_dir) if p.parent == final.parent]
        report = files_check.run_check(db.session, {
            "DATA_DIR": data_dir, "FILES_QUARANTINE_DIR": str(tmp_path)})
        kinds = {(f.kind, f.path) for f in report.findings}
        assert (files_check.MISSING, final) in kinds
        assert (files_check.TEMPORARY, temp) in kinds
        os.replace(temp, final)  # what an operator would do, having compared the checksum
        remove(record.id, final)
