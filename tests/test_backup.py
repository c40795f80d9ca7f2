"""Backups that restore (Regulation Art. 10.2): the restore drill on a fresh instance (SQLite,
and PostgreSQL when TEST_DATABASE_URL is set), tampered archives, the refusal to overwrite,
the weekly due time, the lock, and the administrator's page."""
import hashlib
import io
import json
import os
import tarfile
import threading
import time as _time
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
import sqlalchemy as sa

from app import create_app
from app.core.files import file_path
from app.core.timefmt import VIETNAM, format_datetime
from app.ops import backup as ops
from tests.conftest import DEMO_PASSWORD, form_of, pdf
from tests.incoming_helpers import entry

PG_URL = os.environ.get("TEST_DATABASE_URL")
KINDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


# ---------------------------------------------------------------- fresh databases, apps

@pytest.fixture
def new_database(tmp_path):
    """new_database(kind) → the URL of a brand-new empty database; PostgreSQL ones get unique
    names (another run of the suite may share the server) and are dropped afterwards."""
    created, admin = [], None

    def make(kind):
        nonlocal admin
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = admin or sa.create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"eoffice_backup_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url, root: Path, **settings):
    root.mkdir(parents=True, exist_ok=True)
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "backup-test-secret-key-0123456789",
        "INSTANCE_DIR": str(root), "DATA_DIR": str(root / "data"),
        "BACKUP_DIR": str(root / "backups"), "DEMO_PASSWORD": DEMO_PASSWORD, "TESTING": True,
        "RATELIMIT_ENABLED": False,  # the limiter's memory store is shared by every test app
        **settings,
    })


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def register_documents(app, count, label):
    """Register `count` incoming documents with a PDF each, as a clerk of this instance."""
    from app.documents import services
    from app.extensions import db
    from app.org.models import EofficeUser
    from app.security.roles import CLERK

    with app.app_context():
        sm = app.appbuilder.sm
        clerk = sm.find_user(username="vanthu") or sm.add_user(
            username="vanthu", first_name="Lan", last_name="Đỗ Thị", email="vanthu@example.vn",
            role=sm.find_role(CLERK), password=DEMO_PASSWORD)
        clerk = db.session.get(EofficeUser, clerk.id)
        for index in range(count):
            services.register_incoming(
                db.session, clerk,
                entry(db.session, excerpt=f"V/v sao lưu dữ liệu — {label} {index}"),
                [(pdf(f"Công văn {label} số {index}"), f"Công văn {label} {index}.pdf")])
        db.session.remove()


def engine_of(url):
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def fingerprint(url) -> dict:
    """{table: (row count, sha256 of the sorted reprs of its rows)} for every table."""
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            tables = sorted(sa.inspect(conn).get_table_names())
            result = {}
            for table in tables:
                rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()
                digest = hashlib.sha256(repr(sorted(repr(tuple(r)) for r in rows)).encode())
                result[table] = (len(rows), digest.hexdigest())
            return result
    finally:
        engine.dispose()


def execute(url, *statements):
    engine = engine_of(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def data_tree(data_dir: Path) -> dict:
    return {p.relative_to(data_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data_dir.rglob("*")) if p.is_file()}


def stored_files_match(url, data_dir: Path) -> int:
    """Every document_file row has its file, with the recorded sha256. Returns how many."""
    engine = engine_of(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT storage_name, sha256 FROM document_file")).all()
    finally:
        engine.dispose()
    for storage_name, sha256 in rows:
        path = file_path(data_dir, storage_name)
        assert path.is_file(), f"missing {storage_name}"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256, storage_name
    return len(rows)


@pytest.fixture(params=KINDS)
def drill(request, new_database, tmp_path):
    """A fresh instance with three registered documents and their PDFs, backed up once."""
    kind = request.param
    url = new_database(kind)
    app = make_app(url, tmp_path / "source", BACKUP_KEEP=3)
    result = cli(app, "eoffice", "setup")
    assert result.exit_code == 0, result.output
    register_documents(app, 3, "trước sao lưu")
    started = _time.perf_counter()
    result = cli(app, "backup", "create")
    seconds = _time.perf_counter() - started
    assert result.exit_code == 0, result.output
    archive = Path(result.stdout.strip().splitlines()[0])
    return {"kind": kind, "url": url, "app": app, "archive": archive, "seconds": seconds,
            "tables": fingerprint(url), "files": data_tree(tmp_path / "source" / "data"),
            "data_dir": tmp_path / "source" / "data", "new_database": new_database,
            "tmp": tmp_path}


# ---------------------------------------------------------------- the restore drill

def test_restore_drill(drill):
    app, url, archive = drill["app"], drill["url"], drill["archive"]
    print(f"\n{drill['kind']}: {archive.name} {archive.stat().st_size} bytes, "
          f"backup {drill['seconds']:.2f} s")
    assert archive.parent == Path(app.config["BACKUP_DIR"])
    assert ops.ARCHIVE_NAME.match(archive.name)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert len(drill["files"]) == 3
    assert drill["tables"]["incoming_document"][0] == 3
    assert drill["tables"]["document_file"][0] == 3

    # The manifest: when, what schema, what kind, and a sum for every member.
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"] == {"kind": drill["kind"], "member": ops.DB_MEMBERS[drill["kind"]]}
    assert manifest["alembic_revision"] and manifest["created_at"].endswith("+00:00")
    assert sorted(m["name"] for m in manifest["members"]) == sorted(
        n for n in names if n != "manifest.json")
    assert {f"data/{name}" for name in drill["files"]} <= set(names)

    # After the backup: a row changed, rows deleted, a document added, a file lost.
    execute(url, "UPDATE incoming_document SET excerpt = 'Đã bị sửa sau sao lưu' "
                 "WHERE id = (SELECT min(id) FROM incoming_document)",
            "DELETE FROM meeting_room WHERE id = (SELECT min(id) FROM meeting_room)",
            "DELETE FROM incoming_event WHERE id = (SELECT max(id) FROM incoming_event)")
    register_documents(app, 1, "sau sao lưu")
    lost = drill["data_dir"] / next(iter(drill["files"]))
    lost.unlink()
    changed = fingerprint(url)
    assert changed != drill["tables"]
    assert changed["incoming_document"][0] == 4

    # Restore into a new empty database and an empty data folder.
    target_url = drill["new_database"](drill["kind"])
    target = make_app(target_url, drill["tmp"] / "target")
    started = _time.perf_counter()
    result = cli(target, "backup", "restore", str(archive))
    print(f"restore {_time.perf_counter() - started:.2f} s")
    assert result.exit_code == 0, result.output
    assert "Đã khôi phục" in result.output and "3 tệp" in result.output

    restored = fingerprint(target_url)
    assert {t: c for t, (c, _) in restored.items()} == {
        t: c for t, (c, _) in drill["tables"].items()}
    assert restored == drill["tables"]
    target_data = drill["tmp"] / "target" / "data"
    assert data_tree(target_data) == drill["files"]
    assert stored_files_match(target_url, target_data) == 3

    # The restored instance works: its clerk logs in and sees the three documents.
    from tests.conftest import login

    client = target.test_client()
    assert "Đăng xuất" in login(client, "vanthu").get_data(as_text=True)
    page = client.get("/incoming/list/list/").get_data(as_text=True)
    assert "trước sao lưu" in page and "sau sao lưu" not in page
    # …and goes on: ids (sequences) and arrival numbers (counters) continue where they were.
    register_documents(target, 1, "sau khôi phục")
    engine = engine_of(target_url)
    with engine.connect() as conn:
        numbers = conn.execute(sa.text(
            "SELECT arrival_number FROM incoming_document ORDER BY id")).scalars().all()
    engine.dispose()
    assert numbers == [1, 2, 3, 4]
    assert stored_files_match(target_url, target_data) == 4


def test_a_restore_forgets_what_the_shared_cache_kept(drill):
    """The workers share a Redis cache that outlives them: a grid's count and ids kept there
    per version of the data (the audit trail's newest line). The restored trail is numbered
    again from the archive, so the restore empties the cache rather than let a version of the
    other data come back (its own keys only: the prefix keeps other users of Redis)."""
    import redis

    prefix = f"restore-test-{uuid.uuid4().hex[:8]}:"
    settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": "redis://127.0.0.1:6379/13",
                "CACHE_KEY_PREFIX": prefix}
    server = redis.Redis.from_url(settings["CACHE_REDIS_URL"])
    server.set("another-user-of-redis", "kept")
    target = make_app(drill["new_database"](drill["kind"]), drill["tmp"] / "target", **settings)
    from app.extensions import cache

    with target.app_context():
        cache.set("grid:kept-before-the-restore", [1, 2, 3])
    result = cli(target, "backup", "restore", str(drill["archive"]))
    assert result.exit_code == 0, result.output
    with target.app_context():
        assert cache.get("grid:kept-before-the-restore") is None
    assert server.keys(prefix + "*") == []
    assert server.get("another-user-of-redis") == b"kept"
    server.delete("another-user-of-redis")


def test_restore_refuses_a_target_that_is_not_empty(drill):
    app, url, archive = drill["app"], drill["url"], drill["archive"]
    register_documents(app, 1, "sau sao lưu")
    (drill["data_dir"] / next(iter(drill["files"]))).unlink()
    before = fingerprint(url)

    result = cli(app, "backup", "restore", str(archive))
    assert result.exit_code != 0
    assert "không trống" in result.output and "--force" in result.output
    assert fingerprint(url) == before  # nothing touched

    # Only the files folder not empty is refused too.
    empty_url = drill["new_database"](drill["kind"])
    other = make_app(empty_url, drill["tmp"] / "other")
    Path(other.config["DATA_DIR"], "files", "ab").mkdir(parents=True)
    Path(other.config["DATA_DIR"], "files", "ab", "abcdef.pdf").write_bytes(b"%PDF-1.4")
    result = cli(other, "backup", "restore", str(archive))
    assert result.exit_code != 0 and "thư mục dữ liệu" in result.output

    # --force brings the instance back to the moment of the backup.
    result = cli(app, "backup", "restore", "--force", str(archive))
    assert result.exit_code == 0, result.output
    assert fingerprint(url) == drill["tables"]
    assert stored_files_match(url, drill["data_dir"]) == 3
    assert "Giữ nguyên 1 tệp" in result.output  # the later document's file is left alone


# ---------------------------------------------------------------- verification

def rewrite(source: Path, target: Path, change):
    """Copy an archive member by member; change(name, data) → new data, or None to drop."""
    with tarfile.open(source) as tin, tarfile.open(target, "w:gz") as tout:
        for member in tin.getmembers():
            data = change(member.name, tin.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            tout.addfile(member, io.BytesIO(data))
    return target


def flip(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory):
    """A SQLite instance with two documents, backed up (for the checks that need no drill)."""
    root = tmp_path_factory.mktemp("small")
    app = make_app(f"sqlite:///{root / 'small.db'}", root)
    assert cli(app, "eoffice", "setup").exit_code == 0
    register_documents(app, 2, "kiểm tra")
    result = cli(app, "backup", "create")
    assert result.exit_code == 0, result.output
    return app, Path(result.stdout.strip().splitlines()[0])


def test_verify_accepts_the_archive_and_lists_it(small_archive):
    app, archive = small_archive
    result = cli(app, "backup", "verify", str(archive))
    assert result.exit_code == 0, result.output
    assert "hợp lệ" in result.output and "2 tệp" in result.output
    listing = cli(app, "backup", "list")
    assert listing.exit_code == 0
    created = ops.archive_time(archive)
    assert archive.name in listing.output and format_datetime(created) in listing.output
    assert "✔" in listing.output and ("KB" in listing.output or "MB" in listing.output)


@pytest.mark.parametrize("case", ["file", "database", "manifest"])
def test_verify_detects_a_flipped_byte_and_names_the_member(small_archive, tmp_path, case):
    app, archive = small_archive
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    victim = {"file": next(n for n in names if n.startswith("data/files/")),
              "database": "database/eoffice.sqlite3", "manifest": "manifest.json"}[case]

    def change(name, data):
        if name != victim:
            return data
        if case == "manifest":  # a sum in the manifest no longer matches its member
            manifest = json.loads(data)
            manifest["members"][-1]["sha256"] = "0" * 64
            return json.dumps(manifest).encode()
        return flip(data, 200 if case == "database" else None)

    tampered = rewrite(archive, tmp_path / "tampered.tar.gz", change)
    result = cli(app, "backup", "verify", str(tampered))
    assert result.exit_code != 0
    assert "KHÔNG hợp lệ" in result.output
    named = victim if case != "manifest" else json.loads(
        tarfile.open(archive).extractfile("manifest.json").read())["members"][-1]["name"]
    assert f"«{named}»" in result.output and "sha256" in result.output, result.output


def test_verify_detects_missing_extra_and_damaged(small_archive, tmp_path):
    app, archive = small_archive
    with tarfile.open(archive) as tar:
        victim = next(n for n in tar.getnames() if n.startswith("data/"))
    missing = rewrite(archive, tmp_path / "missing.tar.gz",
                      lambda name, data: None if name == victim else data)
    result = cli(app, "backup", "verify", str(missing))
    assert result.exit_code != 0 and f"Thiếu thành phần «{victim}»" in result.output

    no_manifest = rewrite(archive, tmp_path / "nomanifest.tar.gz",
                          lambda name, data: None if name == "manifest.json" else data)
    result = cli(app, "backup", "verify", str(no_manifest))
    assert result.exit_code != 0 and "Thiếu manifest.json" in result.output

    extra = tmp_path / "extra.tar.gz"
    with tarfile.open(archive) as tin, tarfile.open(extra, "w:gz") as tout:
        for member in tin.getmembers():
            tout.addfile(member, tin.extractfile(member))
        info = tarfile.TarInfo("data/files/zz/zz-injected.pdf")
        info.size = 3
        tout.addfile(info, io.BytesIO(b"bad"))
    result = cli(app, "backup", "verify", str(extra))
    assert result.exit_code != 0
    assert "«data/files/zz/zz-injected.pdf» không có trong manifest" in result.output

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = cli(app, "backup", "verify", str(truncated))
    assert result.exit_code != 0 and "bị hỏng" in result.output

    result = cli(app, "backup", "verify", str(tmp_path / "khong-co.tar.gz"))
    assert result.exit_code != 0 and "Không thấy tệp" in result.output


def test_restore_refuses_a_tampered_archive(small_archive, tmp_path):
    app, archive = small_archive
    with tarfile.open(archive) as tar:
        victim = next(n for n in tar.getnames() if n.startswith("data/"))
    tampered = rewrite(archive, tmp_path / "t.tar.gz",
                       lambda name, data: flip(data) if name == victim else data)
    target = make_app(f"sqlite:///{tmp_path / 'target.db'}", tmp_path / "target")
    result = cli(target, "backup", "restore", str(tampered))
    assert result.exit_code != 0 and victim in result.output
    assert not any((tmp_path / "target" / "data").rglob("*"))  # nothing written
    assert not ops.existing_tables(f"sqlite:///{tmp_path / 'target.db'}")


# ---------------------------------------------------------------- schedule, lock, pruning

def vn(*args):
    return datetime(*args, tzinfo=VIETNAM)


SUNDAY_2AM = (6, time(2, 0))


@pytest.mark.parametrize("now,last_success,last_failure,due", [
    (vn(2026, 3, 8, 3, 0), None, None, True),  # never backed up
    (vn(2026, 3, 8, 3, 0), vn(2026, 3, 8, 2, 30), None, False),  # done after the slot
    (vn(2026, 3, 8, 1, 59), vn(2026, 3, 7, 10, 0), None, False),  # slot not yet reached
    (vn(2026, 3, 8, 2, 0), vn(2026, 3, 7, 10, 0), None, True),  # slot reached
    (vn(2026, 3, 9, 9, 0), vn(2026, 3, 1, 2, 5), None, True),  # server was down on Sunday
    (vn(2026, 3, 14, 23, 0), vn(2026, 3, 8, 2, 5), None, False),  # the whole week after
    (vn(2026, 3, 8, 2, 0), vn(2026, 3, 8, 2, 0), None, False),  # exactly at the slot
    (vn(2026, 3, 8, 3, 0), vn(2026, 3, 1, 2, 5), vn(2026, 3, 8, 2, 50), False),  # retry later
    (vn(2026, 3, 8, 4, 0), vn(2026, 3, 1, 2, 5), vn(2026, 3, 8, 2, 50), True),  # retry now
    (vn(2026, 3, 8, 3, 0), vn(2026, 3, 8, 2, 30), vn(2026, 3, 8, 2, 10), False),
])
def test_is_due(now, last_success, last_failure, due):
    assert ops.is_due(now, *SUNDAY_2AM, last_success, last_failure) is due


def test_due_time_is_vietnam_time():
    saturday_19_utc = datetime(2026, 3, 7, 19, 0, tzinfo=UTC)  # Sunday 02:00 in Vietnam
    assert ops.is_due(saturday_19_utc, *SUNDAY_2AM, vn(2026, 3, 7, 12, 0))
    assert not ops.is_due(saturday_19_utc - timedelta(minutes=1), *SUNDAY_2AM,
                          vn(2026, 3, 7, 12, 0))
    assert ops.last_slot(vn(2026, 3, 11, 12, 0), 0, time(23, 30)) == vn(2026, 3, 9, 23, 30)
    assert ops.last_slot(vn(2026, 3, 9, 23, 29), 0, time(23, 30)) == vn(2026, 3, 2, 23, 30)
    assert ops.parse_time("7:05") == time(7, 5)
    for wrong in ("25:00", "2h", ""):
        with pytest.raises(ops.BackupError):
            ops.parse_time(wrong)


def test_schedule_runs_when_due_once_and_prunes(tmp_path):
    root = tmp_path / "sched"
    app = make_app(f"sqlite:///{tmp_path / 's.db'}", root, BACKUP_KEEP=2)
    assert cli(app, "eoffice", "setup").exit_code == 0
    directory = Path(app.config["BACKUP_DIR"])
    with app.app_context():
        first = ops.run_if_due(app)  # never backed up: due
        assert first and first["result"] == "ok" and first["verified"]
        assert ops.run_if_due(app) is None  # done since the last slot
        # A week later it is due again; the lock lets only one process in.
        later = ops.utc_now() + timedelta(days=8)
        with ops.exclusive_lock(directory):
            assert ops.is_running(directory)
            assert ops.run_if_due(app, later) is None
            with pytest.raises(ops.BackupBusy):
                ops.run_backup(app)
            result = cli(app, "backup", "create")
            assert result.exit_code != 0 and "đang chạy" in result.output
        assert not ops.is_running(directory)
        for _ in range(3):
            record = ops.run_if_due(app, later) or ops.run_backup(app)
            assert record["result"] == "ok"
            later += timedelta(days=8)
    archives = ops.list_backups(directory)
    assert len(archives) == 2  # BACKUP_KEEP
    assert all(a.verified for a in archives)
    status = ops.read_status(directory)
    assert status["last_run"]["result"] == "ok"
    assert set(status["archives"]) == {a.name for a in archives}
    assert status["last_run"]["pruned"]
    assert not [p for p in directory.iterdir() if p.name.startswith((".part", ".work"))]


def test_a_failed_run_is_recorded(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'nothing-here.db'}", tmp_path / "f")
    (tmp_path / "nothing-here.db").unlink()  # made (empty, 0600) by create_app: gone again
    with app.app_context():
        record = ops.run_backup(app, "schedule")
    assert record["result"] == "error" and "nothing-here.db" in record["error"]
    status = ops.read_status(Path(app.config["BACKUP_DIR"]))
    assert status["last_run"]["result"] == "error" and "last_success" not in status
    assert ops.last_times(Path(app.config["BACKUP_DIR"]))[1] is not None


def test_scheduler_starts_only_in_a_serving_process(app, monkeypatch):
    started = []

    class FakeThread:
        def __init__(self, target, args, name, daemon):
            self.name = name

        def start(self):
            started.append(self.name)

    monkeypatch.setattr(ops, "threading", SimpleNamespace(Thread=FakeThread))
    monkeypatch.setattr(ops, "_scheduler_started", threading.Event())
    assert ops.start_scheduler(app) is None and not started  # TESTING
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "BACKUP_SCHEDULE_ENABLED", False)
    assert ops.start_scheduler(app) is None and not started  # switched off
    monkeypatch.setitem(app.config, "BACKUP_SCHEDULE_ENABLED", True)
    with click.Context(click.Command("backup")):
        assert ops.start_scheduler(app) is None and not started  # a `flask …` command
    assert ops.start_scheduler(app) is not None and started == ["eoffice-backup"]
    assert ops.start_scheduler(app) is None and len(started) == 1  # once per process


# ---------------------------------------------------------------- the administrator's page

@pytest.fixture
def backups_of(app, tmp_path, monkeypatch):
    """The session app, with a BACKUP_DIR of this test's own."""
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    return tmp_path / "backups"


def test_admin_backs_up_now_and_sees_the_last_backup(backups_of, login_as):
    client = login_as("quantri")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/backups/"' in home and "Sao lưu dữ liệu" in home  # menu Security → Backups
    page = client.get("/backups/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sao lưu dữ liệu" in html and "Chưa có bản sao lưu nào" in html
    assert "backup-warning" in html  # nothing usable yet: warned

    # Without the form's token: refused.
    assert client.post("/backups/run").status_code == 400
    assert not backups_of.exists() or not ops.list_backups(backups_of)

    response = client.post("/backups/run", data=form_of(html), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã sao lưu và kiểm tra" in html, html[-3000:]
    [archive] = ops.list_backups(backups_of)
    assert archive.verified is True
    assert format_datetime(archive.created_at) in html
    assert ops.human_size(archive.size) in html and archive.name in html
    assert "✔" in html and "backup-warning" not in html
    assert ops.read_status(backups_of)["last_run"]["trigger"] == "web"


def test_admin_page_warns_when_the_backup_is_old_or_failed(backups_of, login_as):
    backups_of.mkdir(parents=True)
    old = (ops.utc_now() - timedelta(days=9)).astimezone(VIETNAM)
    name = f"eoffice-{old:%Y%m%d-%H%M%S}.tar.gz"
    (backups_of / name).write_bytes(b"\x1f\x8b" + b"0" * 2048)
    ops.update_status(backups_of, lambda s: s.update(archives={name: {"ok": True}}))
    client = login_as("quantri")
    html = client.get("/backups/").get_data(as_text=True)
    assert "cũ hơn 7 ngày" in html and format_datetime(old) in html
    assert "2,0 KB" in html

    ops.update_status(backups_of, lambda s: s.update(last_run={
        "started_at": ops.utc_now().isoformat(), "result": "error",
        "error": "Ổ đĩa đầy"}))
    html = client.get("/backups/").get_data(as_text=True)
    assert "thất bại: Ổ đĩa đầy" in html


@pytest.mark.parametrize("username", ["vanthu", "chuyenvien", "lanhdao", "lanhdaovp"])
def test_only_the_network_administrator_reaches_the_page(backups_of, login_as, username):
    client = login_as(username)
    response = client.get("/backups/")
    assert response.status_code == 403
    assert "Không có quyền truy cập" in client.get(
        "/backups/", follow_redirects=True).get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/backups/"' not in home
    response = client.post("/backups/run", data=form_of(
        client.get("/users/userinfo/").get_data(as_text=True)))
    assert response.status_code == 403
    assert not backups_of.exists() or not ops.list_backups(backups_of)


# ---------------------------------------------------------------- encrypted archives

KEY = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8M="  # 32 bytes, base64
OTHER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(scope="module")
def encrypted_archive(tmp_path_factory):
    """A SQLite instance with a document, a password hash and a TOTP secret, backed up with
    BACKUP_ENCRYPTION_KEY set."""
    root = tmp_path_factory.mktemp("encrypted")
    url = f"sqlite:///{root / 'enc.db'}"
    app = make_app(url, root, BACKUP_ENCRYPTION_KEY=KEY)
    assert cli(app, "eoffice", "setup").exit_code == 0
    register_documents(app, 1, "mã hóa")
    execute(url, f"UPDATE ab_user SET otp_secret = '{TOTP_SECRET}' WHERE username = 'vanthu'")
    engine = engine_of(url)
    with engine.connect() as conn:
        password_hash = conn.execute(sa.text(
            "SELECT password FROM ab_user WHERE username = 'vanthu'")).scalar_one()
    engine.dispose()
    result = cli(app, "backup", "create")
    assert result.exit_code == 0, result.output
    return app, url, Path(result.stdout.strip().splitlines()[0]), password_hash, result.output


def test_an_encrypted_archive_keeps_hashes_and_secrets_out_of_sight(encrypted_archive):
    app, _url, archive, password_hash, output = encrypted_archive
    assert archive.name.endswith(".tar.gz.enc") and ops.ARCHIVE_NAME.match(archive.name)
    assert "KHÔNG được mã hóa" not in output
    data = archive.read_bytes()
    assert data.startswith(ops.MAGIC)
    assert password_hash.encode() not in data and TOTP_SECRET.encode() not in data
    with pytest.raises(tarfile.TarError):
        tarfile.open(archive).close()
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    result = cli(app, "backup", "verify", str(archive))
    assert result.exit_code == 0, result.output
    assert "mã hóa AES-256-GCM" in result.output
    [listed] = ops.list_backups(archive.parent)
    assert listed.name == archive.name and listed.verified is True


def test_an_encrypted_archive_restores_with_its_key(encrypted_archive, tmp_path):
    _app, url, archive, password_hash, _output = encrypted_archive
    target_url = f"sqlite:///{tmp_path / 'target.db'}"
    target = make_app(target_url, tmp_path / "target", BACKUP_ENCRYPTION_KEY=KEY)
    result = cli(target, "backup", "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert fingerprint(target_url) == fingerprint(url)
    assert stored_files_match(target_url, tmp_path / "target" / "data") == 1


@pytest.mark.parametrize("key,message", [
    (None, "đã được mã hóa: đặt BACKUP_ENCRYPTION_KEY"),
    (OTHER_KEY, "không phải khóa đã dùng để mã hóa"),
    ("ngắn-quá", "BACKUP_ENCRYPTION_KEY không hợp lệ"),
])
def test_a_missing_or_wrong_key_is_said_in_vietnamese(encrypted_archive, tmp_path, key,
                                                      message):
    _app, _url, archive, _hash, _output = encrypted_archive
    settings = {"BACKUP_ENCRYPTION_KEY": key} if key else {}
    target = make_app(f"sqlite:///{tmp_path / 'target.db'}", tmp_path / "target", **settings)
    for command in ("verify", "restore"):
        result = cli(target, "backup", command, str(archive))
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
    assert not any((tmp_path / "target" / "data").rglob("*"))  # nothing restored


def test_a_damaged_or_cut_encrypted_archive_is_refused(encrypted_archive, tmp_path):
    app, _url, archive, _hash, _output = encrypted_archive
    data = archive.read_bytes()
    flipped = tmp_path / "flipped.tar.gz.enc"
    flipped.write_bytes(flip(data, len(data) // 2))
    result = cli(app, "backup", "verify", str(flipped))
    assert result.exit_code == 1 and "bị hỏng" in result.output, result.output
    cut = tmp_path / "cut.tar.gz.enc"
    cut.write_bytes(data[:ops.HEADER_SIZE + ops.CHUNK + ops.TAG] if len(data) > ops.HEADER_SIZE
                    + ops.CHUNK + ops.TAG + 100 else data[:-100])
    result = cli(app, "backup", "verify", str(cut))
    assert result.exit_code == 1 and ("cắt cụt" in result.output or "bị hỏng" in
                                      result.output), result.output


def test_plain_archives_still_verify_with_a_key_and_say_they_are_plain(small_archive,
                                                                        tmp_path):
    _app, archive = small_archive
    keyed = make_app(f"sqlite:///{tmp_path / 'k.db'}", tmp_path / "k",
                     BACKUP_ENCRYPTION_KEY=KEY)
    result = cli(keyed, "backup", "verify", str(archive))
    assert result.exit_code == 0 and "không mã hóa" in result.output, result.output


def test_backup_create_warns_when_no_key_is_set(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'w.db'}", tmp_path / "w")
    assert cli(app, "eoffice", "setup").exit_code == 0
    result = cli(app, "backup", "create")
    assert result.exit_code == 0, result.output
    assert "KHÔNG được mã hóa (chưa đặt BACKUP_ENCRYPTION_KEY)" in result.output
    assert Path(result.stdout.strip().splitlines()[0]).name.endswith(".tar.gz")


def test_the_page_warns_when_archives_are_not_encrypted(backups_of, login_as, monkeypatch,
                                                        app):
    client = login_as("quantri")
    assert "backup-unencrypted" in client.get("/backups/").get_data(as_text=True)
    monkeypatch.setitem(app.config, "BACKUP_ENCRYPTION_KEY", KEY)
    assert "backup-unencrypted" not in client.get("/backups/").get_data(as_text=True)


def test_the_backup_runs_the_file_check_and_the_page_shows_it(backups_of, login_as, app,
                                                              monkeypatch, tmp_path):
    """After a backup the file check runs (app.ops.files_check): here DATA_DIR holds one file
    no row references, and the page says so."""
    data_dir = tmp_path / "data"
    (data_dir / "files" / "ab").mkdir(parents=True)
    (data_dir / "files" / "ab" / "abandoned.pdf").write_bytes(b"%PDF-1.4 left behind")
    monkeypatch.setitem(app.config, "DATA_DIR", str(data_dir))
    client = login_as("quantri")
    html = client.get("/backups/").get_data(as_text=True)
    html = client.post("/backups/run", data=form_of(html), follow_redirects=True).get_data(
        as_text=True)
    check = ops.read_status(backups_of)["last_run"]["files_check"]
    assert check["ok"] is False and check["orphans"] == 1
    assert "Kiểm tra tệp dữ liệu" in html and "1 tệp không thuộc bản ghi nào" in html
