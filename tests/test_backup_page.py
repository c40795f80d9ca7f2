"""The page of one backup archive (/backups/<name>, network administrator): its manifest (who
made it and how, database kind and schema revision, versions, files, encryption, the first
files and how many in all), "Kiểm tra bản sao lưu" (POST only, recorded for the list and in the
audit trail), the audited download, and how to restore on the command line. A damaged or
encrypted archive is said in Vietnamese, never a 500; names not in the list are 404."""
import io
from collections import OrderedDict
import json
import tarfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.timefmt import VIETNAM
from app.ops import backup as ops
from tests.conftest import form_of

KEY = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8M="  # 32 bytes, base64


@pytest.fixture
def backups_of(app, tmp_path, monkeypatch):
    """The session app with a BACKUP_DIR of this test's own and a small DATA_DIR (one stored
    file): a backup of it takes a moment."""
    data_dir = tmp_path / "data"
    (data_dir / "files" / "ab").mkdir(parents=True)
    (data_dir / "files" / "ab" / "cong-van.pdf").write_bytes(b"%PDF-1.4 backup page test")
    monkeypatch.setitem(app.config, "DATA_DIR", str(data_dir))
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    return tmp_path / "backups"


def back_up_now(client):
    html = client.get("/backups/").get_data(as_text=True)
    html = client.post("/backups/run", data=form_of(html), follow_redirects=True).get_data(
        as_text=True)
    assert "Đã sao lưu và kiểm tra" in html, html[-3000:]


def audit_lines(app, action, object_id):
    from app.extensions import db

    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.object_type == "backup",
            AuditEvent.object_id == object_id).order_by(AuditEvent.id)).all()


def revision_of(app):
    from app.extensions import db

    with app.app_context():
        return db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def test_the_archive_page_shows_the_manifest_verifies_and_downloads(app, backups_of, login_as):
    client = login_as("quantri")
    back_up_now(client)
    [archive] = ops.list_backups(backups_of)
    name = archive.name
    listing = client.get("/backups/").get_data(as_text=True)
    assert f'href="/backups/{name}"' in listing

    response = client.get(f"/backups/{name}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    kind = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    assert ops.DB_MEMBERS[kind] in html and "data/files/ab/cong-van.pdf" in html
    assert revision_of(app) in html and "Phiên bản lược đồ" in html
    assert {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[kind] in html
    assert "Sao lưu ngay" in html and "<strong>quantri</strong>" in html  # trigger, who
    assert "1 tệp, tổng" in html and "flask " in html  # data files; versions
    assert "backup-file-list" in html and "backup-files-capped" not in html
    assert "flask --app run.py backup restore" in html and "--force" in html
    assert "Dừng dịch vụ ứng dụng" in html
    assert f'href="/backups/download/{name}"' in html

    # The download: the archive as it is on the disk, one "download" line naming it.
    download = client.get(f"/backups/download/{name}")
    assert download.status_code == 200 and download.data == archive.path.read_bytes()
    from app.extensions import db

    with app.app_context():
        lines = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "download", AuditEvent.summary == name)).all()
    assert len(lines) == 1 and lines[0].object_type == "backup"
    assert lines[0].actor_name == "quantri"

    # "Kiểm tra bản sao lưu": forget the check of the run, verify from the page.
    ops.update_status(backups_of, lambda status: status.update(archives={}))
    assert "Chưa kiểm tra bản sao lưu này" in client.get(f"/backups/{name}").get_data(
        as_text=True)
    assert client.post(f"/backups/verify/{name}").status_code == 400  # no CSRF token
    assert ops.list_backups(backups_of)[0].verified is None
    response = client.post(f"/backups/verify/{name}", data=form_of(html),
                           follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Bản sao lưu {name} hợp lệ" in html and "backup-check-ok" in html
    check = ops.read_status(backups_of)["archives"][name]
    assert check["ok"] is True and check["problems"] == []
    [line] = audit_lines(app, "backup_verified", name)
    assert line.actor_name == "quantri" and "hợp lệ" in line.summary and line.ip
    assert ops.list_backups(backups_of)[0].verified is True
    assert "✔" in client.get("/backups/").get_data(as_text=True)


def test_a_damaged_archive_is_said_in_vietnamese(app, backups_of, login_as):
    client = login_as("quantri")
    back_up_now(client)
    [archive] = ops.list_backups(backups_of)
    later = (archive.created_at + timedelta(minutes=1)).astimezone(VIETNAM)
    name = f"eoffice-{later:%Y%m%d-%H%M%S}.tar.gz"
    data = archive.path.read_bytes()
    (backups_of / name).write_bytes(data[:len(data) // 2])  # cut off: no manifest

    response = client.get(f"/backups/{name}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Không đọc được đầy đủ nội dung bản sao lưu" in html and "bị hỏng" in html
    assert "backup-file-list" not in html and "flask --app run.py backup restore" in html

    response = client.post(f"/backups/verify/{name}", data=form_of(html),
                           follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Bản sao lưu {name} KHÔNG hợp lệ" in html and "backup-check-failed" in html
    assert "bị hỏng" in html and "Traceback" not in html
    check = ops.read_status(backups_of)["archives"][name]
    assert check["ok"] is False and check["problems"]
    [line] = audit_lines(app, "backup_verified", name)
    assert "KHÔNG hợp lệ" in line.summary
    listing = client.get("/backups/").get_data(as_text=True)
    assert "✘" in listing and f'href="/backups/{name}"' in listing

    # A member changed inside a well-formed archive: named, in Vietnamese.
    tampered = f"eoffice-{later + timedelta(minutes=1):%Y%m%d-%H%M%S}.tar.gz"
    with tarfile.open(archive.path, "r:gz") as tin, \
            tarfile.open(backups_of / tampered, "w:gz") as tout:
        for member in tin:
            body = tin.extractfile(member).read()
            if member.name.startswith(ops.DATA_PREFIX):
                body = body.replace(b"backup", b"BACKUP")
            tout.addfile(member, io.BytesIO(body))
    html = client.post(f"/backups/verify/{tampered}", data=form_of(html),
                       follow_redirects=True).get_data(as_text=True)
    assert "sai mã kiểm tra sha256" in html and "data/files/ab/cong-van.pdf" in html


def test_an_encrypted_archive_without_its_key_is_said_not_failed(app, backups_of, login_as,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "BACKUP_ENCRYPTION_KEY", KEY)
    client = login_as("quantri")
    back_up_now(client)
    [archive] = ops.list_backups(backups_of)
    html = client.get(f"/backups/{archive.name}").get_data(as_text=True)
    assert "data/files/ab/cong-van.pdf" in html and "AES-256-GCM" in html

    monkeypatch.setitem(app.config, "BACKUP_ENCRYPTION_KEY", "")
    response = client.get(f"/backups/{archive.name}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "đã được mã hóa: đặt BACKUP_ENCRYPTION_KEY" in html
    assert "data/files/ab/cong-van.pdf" not in html
    html = client.post(f"/backups/verify/{archive.name}", data=form_of(html),
                       follow_redirects=True).get_data(as_text=True)
    assert "đã được mã hóa: đặt BACKUP_ENCRYPTION_KEY" in html
    assert ops.list_backups(backups_of)[0].verified is True  # not marked as failed
    assert not audit_lines(app, "backup_verified", archive.name)


def test_only_archives_of_the_list_and_only_by_post(app, backups_of, login_as):
    client = login_as("quantri")
    back_up_now(client)
    [archive] = ops.list_backups(backups_of)
    html = client.get("/backups/").get_data(as_text=True)
    (backups_of / "notes.txt").write_text("not an archive")
    for name in ("eoffice-20000101-000000.tar.gz", "notes.txt", "..%2Fx", "..%2F..%2Fetc",
                 "status.json"):
        assert client.get(f"/backups/{name}").status_code == 404, name
        assert client.post(f"/backups/verify/{name}", data=form_of(html)).status_code == 404
        assert client.get(f"/backups/download/{name}").status_code == 404
    assert client.get("/backups/../x").status_code == 404
    assert client.get(f"/backups/verify/{archive.name}").status_code == 405
    assert not audit_lines(app, "backup_verified", archive.name)


@pytest.mark.parametrize("username", ["vanthu", "chuyenvien"])
def test_other_roles_cannot_see_nor_verify_an_archive(app, backups_of, login_as, username):
    client = login_as("quantri")
    back_up_now(client)
    [archive] = ops.list_backups(backups_of)
    client = login_as(username)
    assert client.get(f"/backups/{archive.name}").status_code == 403
    html = client.get("/users/userinfo/").get_data(as_text=True)
    response = client.post(f"/backups/verify/{archive.name}", data=form_of(html))
    assert response.status_code == 403
    assert not audit_lines(app, "backup_verified", archive.name)


def test_a_long_manifest_is_read_one_member_at_a_time(tmp_path):
    """100,000 files: the page gets the first ones and the counts, not the whole list."""
    members = [{"name": "database/eoffice.sqlite3", "size": 10, "sha256": "0" * 64}] + [
        {"name": f"data/files/{i:06}.pdf", "size": 3, "sha256": "1" * 64}
        for i in range(100_000)]
    manifest = {"format": ops.FORMAT, "created_at": "2025-01-05T19:00:00+00:00",
                "trigger": "schedule", "alembic_revision": "abc123", "versions": {},
                "database": {"kind": "sqlite", "member": "database/eoffice.sqlite3"},
                "files": 100_000, "members": members}
    path = tmp_path / "eoffice-20250106-020000.tar.gz"
    body = json.dumps(manifest, indent=1).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(ops.MANIFEST)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    summary = ops.read_manifest(path, limit=200)
    assert summary.ok, summary.problems
    assert summary.count == 100_001 and summary.data_files == 100_000
    assert summary.data_size == 300_000 and summary.database_size == 10
    assert len(summary.members) == 200 and summary.members[1]["name"] == "data/files/000000.pdf"
    assert summary.head["alembic_revision"] == "abc123" and "members" not in summary.head

    broken = tmp_path / "eoffice-20250106-020001.tar.gz"
    with tarfile.open(broken, "w:gz") as tar:
        info = tarfile.TarInfo(ops.MANIFEST)
        info.size = len(body) - 10
        tar.addfile(info, io.BytesIO(body[:-10]))
    summary = ops.read_manifest(broken)
    assert not summary.ok and summary.problems == ["manifest.json không đọc được (JSON hỏng)."]


def test_the_page_lists_a_long_archive_capped(app, backups_of, login_as, monkeypatch):
    client = login_as("quantri")
    back_up_now(client)
    [archive] = ops.list_backups(backups_of)
    monkeypatch.setattr("app.ops.views.FILES_SHOWN", 1)
    monkeypatch.setattr("app.ops.views._SUMMARIES", OrderedDict())  # not the cached one
    html = client.get(f"/backups/{archive.name}").get_data(as_text=True)
    assert "Hiển thị 1 thành phần đầu tiên trên tổng số 2." in html
    assert "data/files/ab/cong-van.pdf" not in html
