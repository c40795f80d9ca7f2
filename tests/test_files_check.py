"""`flask files check` (issue 23): files no row references, rows whose file is missing or
whose checksum differs; `--fix` quarantines old orphans, never deletes; exit codes."""
import hashlib
import os
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every table, for the foreign keys of document_file)
from app.core.files import file_path
from app.core.models import DocumentFile
from app.ops import files_check
from app.ops.files_check import MISMATCH, MISSING, ORPHAN, TEMPORARY

HOUR = 3600


@pytest.fixture
def store(tmp_path):
    """An empty DATA_DIR and a database holding only document_file rows."""
    engine = sa.create_engine("sqlite://")
    # Only document_file exists here: its foreign keys (users, documents) are not checked.
    sa.event.listen(engine, "connect",
                    lambda connection, _record: connection.execute("PRAGMA foreign_keys=OFF"))
    DocumentFile.__table__.create(engine)
    session = Session(engine)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    config = {"DATA_DIR": str(data_dir), "FILES_QUARANTINE_DIR": str(tmp_path / "quarantine")}
    yield session, data_dir, config
    session.close()
    engine.dispose()


def stored(session, data_dir, content=b"%PDF-1.4 noi dung", *, row=True, write=True,
           sha256=None) -> Path:
    name = uuid.uuid4().hex + ".pdf"
    path = file_path(data_dir, name)
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    if row:
        session.execute(DocumentFile.__table__.insert().values(  # (the audit hook needs its
            storage_name=name, original_name="Công văn.pdf", size=len(content),  # tables)
            content_type="application/pdf", uploaded_at=sa.func.current_timestamp(),
            sha256=sha256 or hashlib.sha256(content).hexdigest()))
        session.commit()
    return path


def age(path: Path, seconds: int):
    then = time.time() - seconds
    os.utime(path, (then, then))


def kinds(report):
    return {(f.kind, f.path) for f in report.findings}


def test_a_consistent_store_has_no_finding(store):
    session, data_dir, config = store
    stored(session, data_dir)
    stored(session, data_dir, b"%PDF-1.4 tep thu hai")
    report = files_check.run_check(session, config)
    assert report.ok and report.rows == 2 and report.files == 2
    assert files_check.summary(report) == (
        "Đã kiểm tra 2 bản ghi tệp và 2 tệp: không phát hiện vấn đề.")


def test_orphans_missing_files_and_checksum_mismatches_are_reported(store):
    session, data_dir, config = store
    stored(session, data_dir)  # sound
    orphan = stored(session, data_dir, row=False)
    temporary = orphan.parent / ".upload-k1lled"
    temporary.write_bytes(b"%PDF-1.4 dang ghi")
    missing = stored(session, data_dir, write=False)
    changed = stored(session, data_dir, sha256="0" * 64)
    report = files_check.run_check(session, config)
    assert kinds(report) == {(ORPHAN, orphan), (TEMPORARY, temporary), (MISSING, missing),
                             (MISMATCH, changed)}
    lines = [files_check.describe(f, data_dir.resolve()) for f in report.findings]
    shown = orphan.relative_to(data_dir)
    assert f"Tệp không thuộc bản ghi nào: {shown} (0,0 KB)" in lines
    assert any(line.startswith("Tệp tạm của lần tải lên dở dang: ") for line in lines)
    assert any(line.startswith("Thiếu tệp của bản ghi tệp #") for line in lines)
    assert any(line.startswith("Tệp sai mã kiểm tra (sha256)") for line in lines)
    assert files_check.summary(report) == (
        "Đã kiểm tra 3 bản ghi tệp và 4 tệp: 2 tệp thừa, 1 tệp bị thiếu, 1 tệp sai mã kiểm "
        "tra.")
    assert orphan.exists() and temporary.exists()  # without --fix nothing moves


def test_fix_quarantines_old_orphans_only_and_never_deletes(store):
    session, data_dir, config = store
    kept = stored(session, data_dir)
    age(kept, 3 * HOUR)  # old, but referenced
    old = stored(session, data_dir, b"%PDF-1.4 mo coi", row=False)
    age(old, 2 * HOUR)
    old_temporary = old.parent / ".upload-old"
    old_temporary.write_bytes(b"%PDF-1.4 bi ngat")
    age(old_temporary, HOUR + 60)
    fresh = stored(session, data_dir, row=False)  # maybe an upload in progress
    report = files_check.run_check(session, config, fix=True)
    quarantine = Path(config["FILES_QUARANTINE_DIR"]).resolve()
    moved = {f.path: f.moved_to for f in report.findings if f.moved_to}
    assert moved == {old: quarantine / old.relative_to(data_dir),
                     old_temporary: quarantine / old_temporary.relative_to(data_dir)}
    assert moved[old].read_bytes() == b"%PDF-1.4 mo coi"
    assert not old.exists() and not old_temporary.exists()
    assert fresh.exists() and kept.exists()
    [recent] = [f for f in report.findings if f.path == fresh]
    assert recent.too_recent and "mới hơn 1 giờ" in files_check.describe(recent, data_dir)
    assert "Đã chuyển 2 tệp thừa vào khu cách ly." in files_check.summary(report)
    again = files_check.run_check(session, config, fix=True)  # what was moved is not seen
    assert kinds(again) == {(ORPHAN, fresh)}


def test_quarantine_defaults_beside_data_dir(tmp_path):
    config = {"DATA_DIR": str(tmp_path / "instance" / "data"), "FILES_QUARANTINE_DIR": ""}
    assert files_check.quarantine_dir(config) == (tmp_path / "instance" / "quarantine").resolve()


# ---------------------------------------------------------------- the command


def test_the_command_lists_findings_and_exits_non_zero(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_QUARANTINE_DIR", str(tmp_path / "quarantine"))
    data_dir = Path(app.config["DATA_DIR"])
    orphan = file_path(data_dir, uuid.uuid4().hex + ".pdf")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"%PDF-1.4 khong ai dung")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["files", "check"])
    assert result.exit_code == 1
    assert f"Tệp không thuộc bản ghi nào: {orphan.relative_to(data_dir)}" in result.output
    assert result.output.splitlines()[-1].startswith("Đã kiểm tra ")
    assert orphan.exists()
    age(orphan, 2 * HOUR)
    fixed = runner.invoke(args=["files", "check", "--fix"])
    assert fixed.exit_code == 1  # something was found, even if now quarantined
    assert "đã chuyển vào khu cách ly" in fixed.output
    assert not orphan.exists()
    assert (tmp_path / "quarantine" / orphan.relative_to(data_dir)).exists()


def test_the_command_exits_zero_when_all_is_well(app, monkeypatch):
    monkeypatch.setattr(files_check, "run_check",
                        lambda *args, **kwargs: files_check.Report(rows=3, files=3))
    result = app.test_cli_runner().invoke(args=["files", "check"])
    assert result.exit_code == 0, result.output
    assert result.output == "Đã kiểm tra 3 bản ghi tệp và 3 tệp: không phát hiện vấn đề.\n"
