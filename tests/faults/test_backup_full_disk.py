"""Backups on a full disk (BACKUP_DIR on a tiny tmpfs): no step crashes; the failure is
recorded in Vietnamese (never "[Errno 28] No space left on device"), `backup create` exits 1
with it, "Sao lưu ngay" shows it, and the backups page warns."""
from pathlib import Path

import pytest

from app.ops import backup as ops
from tests.conftest import form_of

RAW = ("Errno", "No space left", "Traceback")


def assert_vietnamese(text):
    assert "Không còn dung lượng trống trên ổ đĩa" in text, text
    assert not any(raw in text for raw in RAW), text


@pytest.fixture
def full_backup_dir(app, tiny_disk, monkeypatch):
    """The session app with BACKUP_DIR on a full tmpfs; the lock and status files made before
    the disk filled up (an earlier run), or not (leave="none")."""
    def make(with_earlier_files=True, leave=0):
        path = tiny_disk("backups", full=False)
        if with_earlier_files:
            (path / ops.LOCK_FILE).write_text("1\n")
            ops.update_status(path, lambda s: s.update(archives={}))
        from tests.faults.conftest import fill

        fill(path, leave)
        monkeypatch.setitem(app.config, "BACKUP_DIR", str(path))
        return path
    return make


@pytest.mark.parametrize("earlier, leave", [(True, 0), (False, 0), (True, 4096)],
                         ids=["0B-with-status", "0B-fresh", "4KB-free"])
def test_backup_create_fails_in_words_and_exits_1(app, full_backup_dir, earlier, leave):
    directory = full_backup_dir(earlier, leave)
    result = app.test_cli_runner().invoke(args=["backup", "create"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    assert "Sao lưu thất bại" in result.output
    assert_vietnamese(result.output)
    assert not ops.list_backups(directory)
    assert not [p for p in directory.iterdir() if p.name.startswith((".part", ".work"))]
    last = ops.last_run(directory)  # status.json, or this process's memory when it is full
    assert last and last["result"] == "error"
    assert_vietnamese(last["error"])


def test_a_failure_is_recorded_in_the_status_file_when_it_fits(app, tiny_disk, monkeypatch):
    """16 KB free: the snapshot of the database does not fit, the status file does: the
    failure is in status.json itself."""
    from tests.faults.conftest import fill

    path = tiny_disk("backups", size="64k", full=False)
    fill(path, leave=16384)
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(path))
    with app.app_context():
        record = ops.run_backup(app, "cli")
    assert record["result"] == "error"
    assert_vietnamese(record["error"])
    status = ops.read_status(path)
    assert status["last_run"]["result"] == "error"
    assert_vietnamese(status["last_run"]["error"])


def test_backup_now_and_the_page_warn_in_words(app, login_as, full_backup_dir):
    directory = full_backup_dir(True, 0)
    client = login_as("quantri")
    page = client.get("/backups/")
    assert page.status_code == 200
    response = client.post("/backups/run", data=form_of(page.get_data(as_text=True)),
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sao lưu thất bại" in html
    assert_vietnamese(html.split("Sao lưu thất bại", 1)[1][:600])
    assert "[Errno" not in html
    html = client.get("/backups/").get_data(as_text=True)
    assert "backup-warning" in html and "thất bại" in html
    assert "Không còn dung lượng trống trên ổ đĩa" in html
    assert "chỉ còn trống" in html  # the free-space warning
    assert not ops.list_backups(Path(directory))


def test_os_errors_are_said_in_vietnamese():
    import errno

    for code in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS, errno.EIO,
                 errno.EMFILE):
        message = ops.os_error_message(OSError(code, "english"), "ghi tệp sao lưu", "/x")
        assert "english" not in message and "ghi tệp sao lưu" in message
