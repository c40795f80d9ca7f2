"""Disk full on DATA_DIR (a tiny tmpfs, full): every channel answers 507 with the Vietnamese
message, nothing is saved, the administrators get one notice an hour; the database's own
"disk full" (SQLite, PostgreSQL) is the same answer."""
import io
import shutil
import sqlite3

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app import create_app
from app.core import faults
from app.core.models import DocumentFile
from app.documents import services
from app.documents.models import IncomingDocument
from app.notifications.models import Notification
from app.org.models import EofficeUser
from tests.conftest import DEMO_PASSWORD, form_of, pdf, user
from tests.faults.conftest import fill, mount_tmpfs
from tests.test_incoming import web_form
from tests.test_incoming_api import body

MESSAGE = "Không còn dung lượng lưu trữ — đã báo quản trị mạng; chưa có gì được lưu."
OLD_MESSAGE = "vui lòng thử lại"


@pytest.fixture
def full_data_dir(app, tiny_disk, monkeypatch):
    """The session app with DATA_DIR on a full tmpfs; the notice interval starts afresh."""
    path = tiny_disk("data")
    monkeypatch.setitem(app.config, "DATA_DIR", str(path))
    faults.forget_marks(app)
    yield path
    faults.forget_marks(app)


def counts(session):
    session.expire_all()
    return (session.scalar(select(func.count(IncomingDocument.id))),
            session.scalar(select(func.count(DocumentFile.id))))


def admin_notices(session):
    session.expire_all()
    admin = user(session, "quantri")
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == admin.id, Notification.kind == "ops.disk_full"))


def stored(path):
    return sorted(p.name for p in path.rglob("*") if p.is_file()
                  and not p.name.startswith(".filler-"))


def test_web_registration_with_a_file_is_507_and_saves_nothing(full_data_dir, login_as,
                                                               db_session):
    client = login_as("vanthu")
    before, notices = counts(db_session), admin_notices(db_session)
    page = client.get("/incoming/register").get_data(as_text=True)
    data = form_of(page, submit_now="y", **web_form(db_session))
    data["files"] = [(io.BytesIO(pdf("Đầy ổ đĩa")), "Công văn.pdf")]
    response = client.post("/incoming/register", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 507, html[-2000:]
    assert MESSAGE in html and OLD_MESSAGE not in html
    assert "Đăng xuất" in html  # the application's own error page, in its layout
    assert counts(db_session) == before
    assert stored(full_data_dir) == []  # no half-written upload left
    # The administrators are told once; a second failure within the hour adds no notice.
    assert admin_notices(db_session) == notices + 1
    data["files"] = [(io.BytesIO(pdf("Đầy ổ đĩa")), "Công văn.pdf")]
    again = client.post("/incoming/register", data=data, content_type="multipart/form-data")
    assert again.status_code == 507
    assert admin_notices(db_session) == notices + 1


def test_rest_upload_is_507_json_and_saves_nothing(app, client, api_as, db_session,
                                                   tiny_disk, monkeypatch):
    headers = api_as("vanthu")
    created = client.post("/api/v1/incoming/", headers=headers, json=body(db_session))
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    path = tiny_disk("data")
    monkeypatch.setitem(app.config, "DATA_DIR", str(path))
    before = counts(db_session)
    response = client.post(f"/api/v1/incoming/{pk}/files", headers=headers,
                           data={"files": (io.BytesIO(pdf("Qua API")), "Tệp qua API.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 507, response.get_data(as_text=True)
    assert response.get_json() == {"message": MESSAGE}
    assert counts(db_session) == before
    assert stored(path) == []
    document = db_session.get(IncomingDocument, pk)
    assert document.files == []


@pytest.mark.parametrize("driver_error", [
    sqlite3.OperationalError("database or disk is full"),
    psycopg.errors.DiskFull("could not extend file \"base/16384/16385\": No space left on "
                            "device"),
], ids=["sqlite", "postgresql"])
def test_the_database_disk_full_is_the_same_507(app, client, api_as, login_as, db_session,
                                                monkeypatch, driver_error):
    """SQLITE_FULL and SQLSTATE 53100 from the database, on the web and the REST API."""
    def full(*_args, **_kwargs):
        raise sa.exc.OperationalError("INSERT INTO incoming_document …", {}, driver_error)

    headers = api_as("vanthu")
    web = login_as("vanthu")
    faults.forget_marks(app)
    monkeypatch.setattr(services, "register_incoming", full)
    before = counts(db_session)
    response = client.post("/api/v1/incoming/", headers=headers, json=body(db_session))
    assert response.status_code == 507 and response.get_json() == {"message": MESSAGE}
    page = web.get("/incoming/register").get_data(as_text=True)
    response = web.post("/incoming/register", data=form_of(page, submit_now="y",
                                                           **web_form(db_session)))
    assert response.status_code == 507 and MESSAGE in response.get_data(as_text=True)
    assert counts(db_session) == before
    faults.forget_marks(app)


def test_login_with_the_sqlite_database_on_a_full_disk_is_507(app, database_url, tiny_disk,
                                                              tmp_path):
    """The database itself on the full disk (a copy of the test database on a tmpfs): the API
    login and the web login say so instead of "Fatal error" or an empty 500."""
    if not database_url.startswith("sqlite"):
        pytest.skip("a SQLite database of its own on a tmpfs; PostgreSQL's 53100 is covered "
                    "by test_the_database_disk_full_is_the_same_507")
    source = sa.engine.make_url(database_url).database
    with app.app_context():
        from app.extensions import db

        with db.engine.connect() as conn:  # everything in the main file, WAL emptied
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(p.stat().st_size for p in [__import__("pathlib").Path(source)])
    disk = tmp_path / "dbdisk"
    mount_tmpfs(disk, f"{size // 1024 + 512}k")
    try:
        shutil.copy(source, disk / "eoffice.db")
        fill(disk)
        instance = tmp_path / "instance"
        full_app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{disk / 'eoffice.db'}",
            "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
            "INSTANCE_DIR": str(instance), "DATA_DIR": str(instance / "data"),
            "TESTING": True, "RATELIMIT_ENABLED": False, "REDIS_URL": ""})
        client = full_app.test_client()
        response = client.post("/api/v1/security/login", json={
            "username": "vanthu", "password": DEMO_PASSWORD, "provider": "db"})
        assert response.status_code == 507, response.get_data(as_text=True)
        assert response.get_json() == {"message": MESSAGE}
        # In WAL mode not even a read gets through (the -shm file cannot grow): the login
        # page and the login form say so too, without the layout (which reads the database).
        for response in (client.get("/login/"), client.post("/login/", data={
                "username": "vanthu", "password": DEMO_PASSWORD})):
            html = response.get_data(as_text=True)
            assert response.status_code == 507, html[:300]
            assert MESSAGE in html and OLD_MESSAGE not in html
        with full_app.app_context():
            from app.extensions import db

            db.engine.dispose()
    finally:
        import subprocess

        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_faults_are_told_apart_from_bugs():
    assert faults.kind_of(OSError(28, "No space left on device")) == faults.DISK_FULL
    assert faults.kind_of(OSError(122, "Disk quota exceeded")) == faults.DISK_FULL
    assert faults.kind_of(OSError(13, "Permission denied")) is None
    assert faults.kind_of(ValueError("x")) is None
    wrapped = RuntimeError("while saving")
    wrapped.__cause__ = OSError(28, "No space left on device")
    assert faults.disk_full(wrapped)
    locked = sa.exc.OperationalError("UPDATE x", {}, sqlite3.OperationalError(
        "database is locked"))
    assert faults.kind_of(locked) is None
    assert EofficeUser  # the notice goes to accounts of this table (app.ops.alerts)
