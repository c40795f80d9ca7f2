"""Backups that restore (Regulation Art. 10.2): one archive holds a consistent snapshot of the
database and every stored file, with a manifest of checksums.

Archive `BACKUP_DIR/eoffice-YYYYmmdd-HHMMSS.tar.gz` (Vietnam time in the name), members:

- `database/eoffice.sqlite3` (SQLite online backup API) or `database/eoffice.pgdump`
  (`pg_dump --format=custom`, one transaction, hence consistent);
- `data/<path under DATA_DIR>` for every stored file;
- `manifest.json`, last: created_at (UTC), alembic revision, database kind, and the sha256 and
  size of every other member.

The database is snapshotted first, the files are read after: a file referenced by the snapshot
was written before its row was committed and stored files are never changed, so every file the
snapshot needs is in the archive (files added meanwhile are harmless extras).

The archive is written under a temporary name in BACKUP_DIR and renamed when complete; archives
and the folder are private to the server's user (they hold every document and password hash).

With BACKUP_ENCRYPTION_KEY set (32 bytes, base64) the .tar.gz stream is encrypted on the way to
the disk, chunk by chunk (AES-256-GCM, `cryptography`): `eoffice-….tar.gz.enc`, recognised by
its magic header, not by its name (see `_EncryptingWriter`). Verify and restore read both kinds.

Runs are recorded in BACKUP_DIR/status.json (no table: no migration, and a restore never brings
back a stale history). A run never crashes: every step (lock, snapshot, archive, verify, prune,
status file) turns a full disk or another OS error into a BackupError with a Vietnamese
sentence (`os_error_message`), recorded as the run's error; when even status.json cannot be
written (the disk is full), the failure is kept in the process's memory for the page
(`last_run`) and logged. Only one process creates a backup at a time: `fcntl.flock` on
BACKUP_DIR/.lock, non-blocking, so with several gunicorn workers one runs and the others skip.
"""
import contextlib
import errno
import fcntl
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import threading
import time as _time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from importlib import metadata
from pathlib import Path, PurePosixPath

import click
import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.faults import disk_full
from app.core.files import PRIVATE_FILE, private_dir, private_empty_file, sync_folder
from app.core.timefmt import VIETNAM

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
DB_MEMBERS = {"sqlite": "database/eoffice.sqlite3", "postgresql": "database/eoffice.pgdump"}
DATA_PREFIX = "data/"
ARCHIVE_NAME = re.compile(r"^eoffice-(\d{8})-(\d{6})(?:-(\d+))?\.tar\.gz(?:\.enc)?$")
STATUS_FILE = "status.json"
LOCK_FILE = ".lock"
PART_PREFIX = ".part-"  # an archive being written
WORK_PREFIX = ".work-"  # a temporary folder of a backup, a verification or a restore
MANIFEST_LIMIT = 64 * 1024 * 1024
CHUNK = 1024 * 1024

STALE_AFTER = timedelta(days=7)  # the page warns when the newest backup is older
LOW_SPACE = 10 * 1024 * 1024  # the page warns when BACKUP_DIR's disk has less free (or less
#                               than the newest archive)
RETRY_AFTER = timedelta(hours=1)  # the schedule retries a failed run after this
CHECK_INTERVAL = 300  # seconds between two looks of the scheduler
STARTUP_DELAY = 60  # seconds before the first look (let the server start)


class BackupError(Exception):
    """A backup, verification or restore that cannot be done; the message is for people."""


class BackupBusy(BackupError):
    """Another process holds the backup lock."""


# ---------------------------------------------------------------- OS errors, in words

def os_error_message(error, step: str, path=None) -> str:
    """A Vietnamese sentence for an OSError (or a database error) met while doing `step`
    (never the raw "[Errno 28] No space left on device")."""
    where = str(path or getattr(error, "filename", None) or "")
    if disk_full(error):
        return _("Không còn dung lượng trống trên ổ đĩa khi %(step)s (%(path)s). Hãy giải phóng "
                 "dung lượng (xóa bớt bản sao lưu cũ, chép chúng ra nơi khác) hoặc đặt "
                 "BACKUP_DIR sang ổ đĩa khác.", step=step, path=where)
    code = getattr(error, "errno", None)
    if code in (errno.EACCES, errno.EPERM):
        return _("Không có quyền truy cập khi %(step)s (%(path)s): kiểm tra chủ sở hữu và quyền "
                 "của thư mục.", step=step, path=where)
    if code == errno.EROFS:
        return _("Ổ đĩa chỉ cho phép đọc khi %(step)s (%(path)s).", step=step, path=where)
    if code == errno.ENOENT:
        return _("Không tìm thấy %(path)s khi %(step)s.", step=step, path=where)
    if code == errno.EIO:
        return _("Lỗi đọc/ghi ổ đĩa khi %(step)s (%(path)s): kiểm tra ổ đĩa.", step=step,
                 path=where)
    if isinstance(error, OSError):
        return _("Lỗi hệ thống tệp khi %(step)s (%(path)s), mã lỗi %(code)s.", step=step,
                 path=where, code=errno.errorcode.get(code, code))
    return _("Lỗi cơ sở dữ liệu khi %(step)s: %(error)s", step=step, error=error)


@contextlib.contextmanager
def _step(step: str, path=None):
    """OS and SQLite errors of a step become a BackupError with a sentence for people."""
    try:
        yield
    except BackupError:
        raise
    except (OSError, sqlite3.Error) as error:
        raise BackupError(os_error_message(error, step, path)) from error


# ---------------------------------------------------------------- settings

def backup_dir(config) -> Path:
    """BACKUP_DIR, or INSTANCE_DIR/backups when it is not set."""
    value = config.get("BACKUP_DIR") or Path(config["INSTANCE_DIR"]) / "backups"
    return Path(value)


def parse_time(value) -> time:
    """"02:00" → time(2, 0); BackupError on anything else."""
    if isinstance(value, time):
        return value
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value or ""))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise BackupError(_("BACKUP_TIME phải có dạng HH:MM (ví dụ 02:00), không phải «%(value)s».",
                            value=value))
    return time(int(match[1]), int(match[2]))


def schedule_settings(config) -> tuple[int, time]:
    weekday = int(config.get("BACKUP_WEEKDAY", 6))
    if not 0 <= weekday <= 6:
        raise BackupError(_("BACKUP_WEEKDAY phải từ 0 (thứ Hai) đến 6 (Chủ nhật)."))
    return weekday, parse_time(config.get("BACKUP_TIME", "02:00"))


def database_kind(url) -> str:
    backend = sa.engine.make_url(url).get_backend_name()
    if backend not in DB_MEMBERS:
        raise BackupError(_("Chưa hỗ trợ sao lưu cơ sở dữ liệu loại «%(kind)s».", kind=backend))
    return backend


def _sqlite_path(url) -> Path:
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(_("Chỉ sao lưu được cơ sở dữ liệu SQLite nằm trong một tệp."))
    return Path(database)


# ---------------------------------------------------------------- small helpers

def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def parse_iso(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def human_size(size: int | None) -> str:
    """1234567 → "1,2 MB" (Vietnamese decimal comma)."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            text = f"{value:.0f}" if unit == "B" else f"{value:.1f}"
            return f"{text.replace('.', ',')} {unit}"
        value /= 1024
    return str(size)


def _ensure_dir(path: Path) -> Path:
    return private_dir(path)  # 0700, each missing parent too


@contextlib.contextmanager
def _work_dir(*preferred):
    """A private temporary folder, in the first writable preferred place (big snapshots should
    not land in a small /tmp), else in the system's temporary folder."""
    for place in preferred:
        try:
            path = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=place))
            break
        except OSError:
            continue
    else:
        path = Path(tempfile.mkdtemp(prefix=WORK_PREFIX))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class _HashingReader(io.RawIOBase):
    """Reads a file and keeps the sha256 and the size of what was read."""

    def __init__(self, raw):
        self.raw, self.hash, self.size = raw, hashlib.sha256(), 0

    def readable(self):
        return True

    def read(self, n=-1):
        data = self.raw.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and "\\" not in name and all(
        part not in ("", ".", "..") for part in name.split("/"))


# ---------------------------------------------------------------- encryption (AES-256-GCM)
#
# File: MAGIC (8 bytes) | version (1) | nonce prefix (7, random) | key check (8) | chunks.
# Each chunk is at most CHUNK bytes of the .tar.gz stream, sealed with AES-GCM under the nonce
# prefix + a 4-byte counter + a "last chunk" byte, the header as associated data (the STREAM
# construction of age and Tink): chunks cannot be reordered, dropped or cut off unnoticed.
# Every chunk but the last holds exactly CHUNK bytes; the last fewer (possibly none).
# The key check (HMAC of a constant) tells a wrong key from a damaged file.

MAGIC = b"EOFCENC\x00"
ENC_VERSION = 1
TAG = 16
HEADER_SIZE = len(MAGIC) + 1 + 7 + 8
ENCRYPTED_SUFFIX = ".enc"


def encryption_key(config) -> bytes | None:
    """The 32-byte key of BACKUP_ENCRYPTION_KEY (base64), None when not set."""
    import base64
    import binascii

    value = (config.get("BACKUP_ENCRYPTION_KEY") or "").strip()
    if not value:
        return None
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise BackupError(_("BACKUP_ENCRYPTION_KEY không hợp lệ: cần đúng 32 byte ngẫu nhiên "
                            "viết dạng base64 (44 ký tự)."))
    return key


def _key_check(key: bytes) -> bytes:
    import hmac

    return hmac.new(key, b"eoffice backup key check", hashlib.sha256).digest()[:8]


def _chunk_nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= 2**32:
        raise BackupError(_("Tệp sao lưu quá lớn để mã hóa."))
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class _EncryptingWriter(io.RawIOBase):
    """A write-only stream that seals what it receives into `raw`; close() writes the last
    chunk (and does not close `raw`)."""

    def __init__(self, raw, key: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.raw, self.aead, self.counter = raw, AESGCM(key), 0
        self.header = MAGIC + bytes([ENC_VERSION]) + os.urandom(7) + _key_check(key)
        self.prefix = self.header[len(MAGIC) + 1:len(MAGIC) + 8]
        self.buffer = bytearray()
        raw.write(self.header)

    def writable(self):
        return True

    def _seal(self, data: bytes, last: bool):
        nonce = _chunk_nonce(self.prefix, self.counter, last)
        self.raw.write(self.aead.encrypt(nonce, bytes(data), self.header))
        self.counter += 1

    def write(self, data):
        self.buffer += data
        while len(self.buffer) >= CHUNK:  # the last chunk must stay shorter than CHUNK
            self._seal(self.buffer[:CHUNK], last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def close(self):
        if not self.closed:
            self._seal(self.buffer, last=True)
            self.buffer = bytearray()
        super().close()


class _DecryptingReader(io.RawIOBase):
    """The plain .tar.gz stream of an encrypted archive; BackupError with a message for people
    on a wrong key, a damaged chunk or a cut-off file."""

    def __init__(self, raw, key: bytes | None, header: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(header) < HEADER_SIZE or header[len(MAGIC)] != ENC_VERSION:
            raise BackupError(_("Tệp sao lưu mã hóa có phần đầu không đúng định dạng."))
        if key is None:
            raise BackupError(_("Tệp sao lưu này đã được mã hóa: đặt BACKUP_ENCRYPTION_KEY "
                                "(khóa đã dùng khi sao lưu) để kiểm tra hoặc khôi phục."))
        if not hmac_equal(_key_check(key), header[-8:]):
            raise BackupError(_("BACKUP_ENCRYPTION_KEY không phải khóa đã dùng để mã hóa bản "
                                "sao lưu này."))
        self.raw, self.aead, self.header = raw, AESGCM(key), header
        self.prefix = header[len(MAGIC) + 1:len(MAGIC) + 8]
        self.counter, self.pending, self.done = 0, b"", False

    def readable(self):
        return True

    def _next_chunk(self) -> bytes:
        from cryptography.exceptions import InvalidTag

        block = self.raw.read(CHUNK + TAG)
        last = len(block) < CHUNK + TAG
        if len(block) < TAG:
            raise BackupError(_("Tệp sao lưu mã hóa bị cắt cụt (thiếu phần cuối)."))
        try:
            data = self.aead.decrypt(_chunk_nonce(self.prefix, self.counter, last), block,
                                     self.header)
        except InvalidTag:
            if not last:  # a full block: maybe the real last one, cut at a chunk boundary
                raise BackupError(_("Tệp sao lưu mã hóa bị hỏng hoặc đã bị sửa (đoạn thứ "
                                    "%(number)s không đúng).", number=self.counter + 1)) from None
            raise BackupError(_("Tệp sao lưu mã hóa bị hỏng, bị sửa hoặc bị cắt cụt (đoạn "
                                "thứ %(number)s không đúng).", number=self.counter + 1)) from None
        self.counter += 1
        if last:
            self.done = True
            if self.raw.read(1):
                raise BackupError(_("Tệp sao lưu mã hóa có dữ liệu thừa sau đoạn cuối."))
        return data

    def read(self, n=-1):
        parts, wanted = [], (n if n is not None and n >= 0 else None)
        size = 0
        while wanted is None or size < wanted:
            if not self.pending:
                if self.done:
                    break
                self.pending = self._next_chunk()
                continue
            take = self.pending if wanted is None else self.pending[:wanted - size]
            self.pending = self.pending[len(take):]
            parts.append(take)
            size += len(take)
        return b"".join(parts)

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def hmac_equal(a: bytes, b: bytes) -> bool:
    import hmac

    return hmac.compare_digest(a, b)


def is_encrypted(path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


@contextlib.contextmanager
def open_archive(path, key: bytes | None):
    """The archive's .tar.gz stream, decrypted when it carries the magic header."""
    with open(path, "rb") as handle:
        header = handle.read(HEADER_SIZE)
        if not header.startswith(MAGIC):
            handle.seek(0)
            yield handle
            return
        yield _DecryptingReader(handle, key, header)


# ---------------------------------------------------------------- PostgreSQL tools

def pg_tool(name: str) -> str:
    """pg_dump / pg_restore / psql: on PATH, else Debian's folders (newest version first)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True) + [
            Path("/usr/bin"), Path("/usr/local/bin")]:
        if (folder / name).is_file():
            return str(folder / name)
    raise BackupError(_("Không tìm thấy chương trình %(tool)s (cài gói postgresql-client).",
                        tool=name))


# libpq reads these from the environment: no password on a command line, no shell.
_PG_QUERY_ENV = {"host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE",
                 "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
                 "application_name": "PGAPPNAME", "connect_timeout": "PGCONNECT_TIMEOUT"}


def pg_env(url) -> dict:
    url = sa.engine.make_url(url)
    env = dict(os.environ)  # PGSSLMODE, PGPASSFILE… of the deployment apply, as for psycopg
    parts = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
             "PGPASSWORD": url.password, "PGDATABASE": url.database}
    for key, variable in _PG_QUERY_ENV.items():
        value = url.query.get(key)
        if value:
            parts[variable] = value[0] if isinstance(value, tuple) else value
    env.update({k: str(v) for k, v in parts.items() if v not in (None, "")})
    return env


def _run_pg(args: list[str], url, what: str) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(args, env=pg_env(url), capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
    except OSError as error:
        raise BackupError(f"{what}: {error}") from error
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines()[-5:]
        if "No space left on device" in " ".join(detail) or "Disk quota exceeded" in " ".join(
                detail):
            raise BackupError(os_error_message(OSError(errno.ENOSPC, "disk full"), what))
        raise BackupError(f"{what}: " + " | ".join(detail))
    return result


# ---------------------------------------------------------------- snapshots

def _connect_sqlite(path: Path, readonly=False) -> sqlite3.Connection:
    from app.core.db import VI_COLLATION
    from app.core.text import vietnamese_collate

    target = f"file:{path}?mode=ro" if readonly else str(path)
    conn = sqlite3.connect(target, uri=readonly, timeout=30)
    conn.create_collation(VI_COLLATION, vietnamese_collate)
    return conn


def _sqlite_revision(conn) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def snapshot_sqlite(url, dest: Path) -> str | None:
    """A consistent copy through SQLite's online backup API (readers and writers go on);
    the copy is one self-contained file (journal mode DELETE). Returns the alembic revision."""
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(_("Không thấy tệp cơ sở dữ liệu %(path)s.", path=source_path))
    source = _connect_sqlite(source_path)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # all pages in one step: one read transaction, one state
        target.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_revision(target)
    finally:
        target.close()
        source.close()


def snapshot_postgres(url, dest: Path) -> str | None:
    """`pg_dump --format=custom` (one repeatable-read transaction). Returns the alembic
    revision, read back from the dump itself so that it is the snapshot's."""
    _run_pg([pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={dest}"],
            url, _("pg_dump thất bại"))
    return _pg_dump_revision(dest)


def _pg_dump_revision(dump: Path) -> str | None:
    try:
        result = subprocess.run([pg_tool("pg_restore"), "--data-only", "--table=alembic_version",
                                 "--file=-", str(dump)], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL)
    except (OSError, BackupError):
        return None
    lines = result.stdout.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and index + 1 < len(lines):
            value = lines[index + 1].strip()
            return None if value == "\\." else value
    return None


# ---------------------------------------------------------------- create

def data_files(data_dir: Path, exclude: list[Path] = ()) -> list[tuple[Path, str]]:
    """(path, member name) of every stored file under DATA_DIR, sorted; temporary files of
    uploads in progress (".upload-…") and anything under an excluded folder are left out."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    excluded = [Path(p).resolve() for p in exclude]
    found = []
    for root, dirs, files in os.walk(data_dir):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if (root_path / d).resolve() not in excluded)
        for name in sorted(files):
            path = root_path / name
            if name.startswith((".upload-", PART_PREFIX)) or not path.is_file() \
                    or path.is_symlink():
                continue
            found.append((path, DATA_PREFIX + path.relative_to(data_dir).as_posix()))
    return found


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict | None:
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return None  # removed since the listing (an upload rolled back): not needed
    with handle:
        info = tarfile.TarInfo(name)
        stat = os.fstat(handle.fileno())
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"name": name, "size": reader.size, "sha256": reader.hash.hexdigest()}


def _archive_name(directory: Path, now: datetime, suffix: str = "") -> Path:
    stem = "eoffice-" + now.astimezone(VIETNAM).strftime("%Y%m%d-%H%M%S")
    taken = {p.name for p in directory.iterdir()}
    name, counter = f"{stem}.tar.gz", 2
    while name in taken or name + ENCRYPTED_SUFFIX in taken:
        name, counter = f"{stem}-{counter}.tar.gz", counter + 1
    return directory / (name + suffix)


def _versions() -> dict:
    versions = {}
    for package in ("flask-appbuilder", "flask", "sqlalchemy"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return versions


def create_backup(app, trigger: str | None = None, user: str | None = None) -> Path:
    """Write one archive in BACKUP_DIR and return its path (see the module's docstring).
    BackupError, in words, when a step fails (a full disk, no permission…). `trigger`
    ("web", "cli", "schedule") and `user` (who pressed "Sao lưu ngay") go in the manifest."""
    config = app.config
    url = config["SQLALCHEMY_DATABASE_URI"]
    kind = database_kind(url)
    key = encryption_key(config)
    with _step(_("tạo thư mục sao lưu"), backup_dir(config)):
        directory = _ensure_dir(backup_dir(config))
    data_dir = Path(config["DATA_DIR"])
    started = utc_now()
    with _work_dir(directory) as work:
        snapshot = work / "database"
        with _step(_("chụp cơ sở dữ liệu"), work):
            revision = (snapshot_sqlite if kind == "sqlite" else snapshot_postgres)(url,
                                                                                 snapshot)
        with _step(_("ghi tệp sao lưu"), directory):
            return _write_archive(config, kind, key, directory, data_dir, started, snapshot,
                                  revision, {"trigger": trigger, "created_by": user})


def _write_archive(config, kind, key, directory, data_dir, started, snapshot, revision,
                   origin=None) -> Path:
    fd, part = tempfile.mkstemp(prefix=PART_PREFIX, suffix=".tar.gz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as raw, contextlib.ExitStack() as sealing:
            target = raw
            if key is not None:  # password hashes, TOTP secrets: never in clear text
                target = sealing.enter_context(_EncryptingWriter(raw, key))
            with tarfile.open(fileobj=target, mode="w:gz", compresslevel=6,
                              format=tarfile.PAX_FORMAT) as tar:
                members = [_add_file(tar, snapshot, DB_MEMBERS[kind])]
                for path, name in data_files(data_dir, exclude=[directory]):
                    member = _add_file(tar, path, name)
                    if member:
                        members.append(member)
                manifest = {
                    "format": FORMAT,
                    "application": config.get("APP_NAME"),
                    "created_at": _iso(started),
                    **{k: v for k, v in (origin or {}).items() if v},  # trigger, created_by
                    "alembic_revision": revision,
                    "versions": _versions(),
                    "database": {"kind": kind, "member": DB_MEMBERS[kind]},
                    "files": len(members) - 1,
                    "members": members,
                }
                body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(started.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(body))
            sealing.close()  # the last encrypted chunk
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(part, PRIVATE_FILE)
        final = _archive_name(directory, started, ENCRYPTED_SUFFIX if key else "")
        os.replace(part, final)
        sync_folder(directory)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    return final


# ---------------------------------------------------------------- verify

@dataclass
class Verification:
    path: Path
    problems: list[str] = field(default_factory=list)
    manifest: dict | None = None
    revision: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def message(self) -> str:
        return "; ".join(self.problems)


def _read_members(path: Path, work: Path, problems: list[str],
                  key: bytes | None = None) -> tuple[dict, dict | None]:
    """One pass over the archive: {name: (size, sha256)}, the manifest; database members are
    copied into `work` to be opened afterwards."""
    seen, manifest, current = {}, None, None
    try:
        with open_archive(path, key) as stream, \
                tarfile.open(fileobj=stream, mode="r|gz") as tar:
            for member in tar:
                current = member.name
                if not member.isfile():
                    problems.append(_("Thành phần «%(name)s» không phải là tệp thường.",
                                      name=member.name))
                    continue
                if not _safe_member_name(member.name):
                    problems.append(_("Tên thành phần không an toàn: «%(name)s».",
                                      name=member.name))
                    continue
                if member.name in seen:
                    problems.append(_("Thành phần «%(name)s» xuất hiện hai lần.",
                                      name=member.name))
                handle = tar.extractfile(member)
                digest, size = hashlib.sha256(), 0
                keep = None
                if member.name == MANIFEST:
                    keep = io.BytesIO()
                elif member.name.startswith("database/"):
                    keep = open(work / PurePosixPath(member.name).name, "wb")
                try:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        if keep is not None:
                            if member.name == MANIFEST and size > MANIFEST_LIMIT:
                                raise BackupError(_("manifest.json quá lớn."))
                            keep.write(chunk)
                finally:
                    if keep is not None and member.name != MANIFEST:
                        keep.close()
                seen[member.name] = (size, digest.hexdigest())
                if member.name == MANIFEST:
                    try:
                        manifest = json.loads(keep.getvalue().decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        problems.append(_("manifest.json không đọc được (JSON hỏng)."))
                current = None
    except _READ_ERRORS as error:
        problems.append(_read_error(error, path, current))
    return seen, manifest


_READ_ERRORS = (BackupError, tarfile.TarError, EOFError, zlib.error, OSError)


def _read_error(error, path, current: str | None) -> str:
    """What went wrong reading an archive, in words (`current`: the member being read)."""
    if isinstance(error, FileNotFoundError):
        return _("Không thấy tệp %(path)s.", path=path)
    if isinstance(error, BackupError):  # encryption: wrong or missing key, damaged chunk
        return str(error)
    if isinstance(error, OSError) and error.errno is not None:  # not the archive's fault
        return os_error_message(error, _("kiểm tra bản sao lưu"), error.filename or path)
    if current:
        return _("Tệp sao lưu bị hỏng khi đọc thành phần «%(name)s»: %(error)s",
                 name=current, error=error)
    return _("Tệp sao lưu bị hỏng hoặc không phải tệp .tar.gz: %(error)s", error=error)


def _manifest_shape_ok(manifest) -> bool:
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT and isinstance(
        manifest.get("members"), list) and isinstance(manifest.get("database"), dict)


def _check_manifest(manifest, seen: dict, problems: list[str]) -> dict | None:
    if manifest is None:
        if not any("manifest" in p for p in problems):
            problems.append(_("Thiếu manifest.json trong tệp sao lưu."))
        return None
    if not _manifest_shape_ok(manifest):
        problems.append(_("manifest.json không đúng định dạng."))
        return None
    listed = {}
    for entry in manifest["members"]:
        if not isinstance(entry, dict) or not {"name", "size", "sha256"} <= entry.keys():
            problems.append(_("manifest.json có một mục không đầy đủ."))
            continue
        listed[entry["name"]] = entry
    for name, entry in listed.items():
        if name not in seen:
            problems.append(_("Thiếu thành phần «%(name)s» (có trong manifest).", name=name))
            continue
        size, digest = seen[name]
        if size != entry["size"]:
            problems.append(_("Thành phần «%(name)s» có kích thước %(size)s byte, manifest "
                              "ghi %(expected)s byte.", name=name, size=size,
                              expected=entry["size"]))
        elif digest != entry["sha256"]:
            problems.append(_("Thành phần «%(name)s» sai mã kiểm tra sha256 (đã bị thay đổi "
                              "hoặc hỏng).", name=name))
    for name in seen:
        if name != MANIFEST and name not in listed:
            problems.append(_("Thành phần «%(name)s» không có trong manifest.", name=name))
    kind, member = manifest["database"].get("kind"), manifest["database"].get("member")
    if kind not in DB_MEMBERS or member != DB_MEMBERS[kind]:
        problems.append(_("manifest.json không ghi rõ bản sao cơ sở dữ liệu."))
        return None
    if member not in listed:
        problems.append(_("Thiếu bản sao cơ sở dữ liệu «%(name)s».", name=member))
        return None
    return manifest


def _check_database(manifest: dict, work: Path, problems: list[str]) -> None:
    kind, member = manifest["database"]["kind"], manifest["database"]["member"]
    snapshot = work / PurePosixPath(member).name
    if not snapshot.is_file():
        return  # already reported as missing or damaged
    if kind == "sqlite":
        try:
            conn = _connect_sqlite(snapshot, readonly=True)
            try:
                result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
                tables = {row[0] for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                conn.close()
        except sqlite3.DatabaseError as error:
            problems.append(_("Bản sao cơ sở dữ liệu «%(name)s» không mở được: %(error)s",
                              name=member, error=error))
            return
        if result != ["ok"]:
            problems.append(_("Bản sao cơ sở dữ liệu «%(name)s» lỗi khi kiểm tra toàn vẹn: "
                              "%(error)s", name=member, error="; ".join(result[:5])))
        elif "alembic_version" not in tables:
            problems.append(_("Bản sao cơ sở dữ liệu «%(name)s» không có bảng alembic_version.",
                              name=member))
    else:
        try:
            result = subprocess.run([pg_tool("pg_restore"), "--list", str(snapshot)],
                                    capture_output=True, text=True, stdin=subprocess.DEVNULL)
        except (OSError, BackupError) as error:
            problems.append(_("Không kiểm tra được «%(name)s»: %(error)s", name=member,
                              error=error))
            return
        if result.returncode != 0:
            problems.append(_("Bản sao cơ sở dữ liệu «%(name)s» không đọc được bằng pg_restore: "
                              "%(error)s", name=member, error=result.stderr.strip()[-300:]))
        elif "alembic_version" not in result.stdout:
            problems.append(_("Bản sao cơ sở dữ liệu «%(name)s» không có bảng alembic_version.",
                              name=member))


def verify_backup(path, work: Path | None = None, key: bytes | None = None) -> Verification:
    """Every member's sum and size match the manifest, the manifest lists every member, and
    the database snapshot opens (SQLite: PRAGMA integrity_check; PostgreSQL: pg_restore
    --list). `work`: keep the extracted database snapshot there (restore uses it)."""
    path = Path(path)
    verification = Verification(path)
    problems = verification.problems
    with contextlib.ExitStack() as stack:
        if work is None:
            work = stack.enter_context(_work_dir(path.parent))
        seen, manifest = _read_members(path, work, problems, key)
        if problems and not seen:
            return verification
        manifest = _check_manifest(manifest, seen, problems)
        if manifest is not None:
            verification.manifest = manifest
            verification.revision = manifest.get("alembic_revision")
            _check_database(manifest, work, problems)
    return verification


# ---------------------------------------------------------------- the manifest, for the page

@dataclass
class ManifestSummary:
    """What the archive's manifest says, without its whole member list in memory: the other
    keys (`head`), the first `limit` members, the counts and sizes of all of them."""
    path: Path
    encrypted: bool = False
    problems: list[str] = field(default_factory=list)
    head: dict | None = None  # the manifest without "members"
    members: list[dict] = field(default_factory=list)  # the first `limit` ones
    count: int = 0  # every member listed (database snapshot included)
    data_files: int = 0
    data_size: int = 0
    database_size: int | None = None

    @property
    def ok(self) -> bool:
        return self.head is not None and not self.problems


_BLANK = re.compile(r"[ \t\n\r]*")


def _walk_manifest(text: str, on_member) -> dict:
    """The manifest's top-level keys but "members", whose entries go one by one to
    `on_member` (100,000 files make a list one should not build for a page). ValueError on
    anything that is not one JSON object."""
    decoder = json.JSONDecoder()

    def skip(i):
        return _BLANK.match(text, i).end()

    def expect(i, char):
        i = skip(i)
        if text[i:i + 1] != char:
            raise ValueError(f"«{char}» expected at {i}")
        return skip(i + 1)

    def items(i, close, read_one):
        if text[i:i + 1] == close:
            return skip(i + 1)
        while True:
            i = skip(read_one(i))
            if text[i:i + 1] != ",":
                return expect(i, close)
            i = skip(i + 1)

    head = {}

    def member(i):
        entry, i = decoder.raw_decode(text, i)
        on_member(entry)
        return i

    def pair(i):
        key, i = decoder.raw_decode(text, i)
        if not isinstance(key, str):
            raise ValueError("a key that is not a string")
        i = expect(i, ":")
        if key == "members" and text[i:i + 1] == "[":
            head["members"] = []  # present (and a list); its entries went to on_member
            return items(skip(i + 1), "]", member)
        head[key], i = decoder.raw_decode(text, i)
        return i

    end = items(expect(0, "{"), "}", pair)
    if end != len(text):
        raise ValueError("extra data")
    return head


def read_manifest(path, key: bytes | None = None, limit: int = 200) -> ManifestSummary:
    """The manifest of an archive, for people to read (the page "Sao lưu dữ liệu"): one
    streamed pass over the archive (the manifest is its last member), nothing checked against
    it (that is `verify_backup`'s job), problems in words (a missing key, a cut-off file)."""
    path = Path(path)
    summary = ManifestSummary(path=path, encrypted=is_encrypted(path))
    problems, body, current = summary.problems, None, None
    try:
        with open_archive(path, key) as stream, \
                tarfile.open(fileobj=stream, mode="r|gz") as tar:
            for member in tar:  # the data are skipped, never kept
                current = member.name
                if member.name == MANIFEST and member.isfile():
                    if member.size > MANIFEST_LIMIT:
                        raise BackupError(_("manifest.json quá lớn."))
                    body = tar.extractfile(member).read()
                current = None
    except _READ_ERRORS as error:
        problems.append(_read_error(error, path, current))
    if body is None:
        if not problems:
            problems.append(_("Thiếu manifest.json trong tệp sao lưu."))
        return summary
    database = {}

    def on_member(entry):
        summary.count += 1
        if not isinstance(entry, dict) or not {"name", "size", "sha256"} <= entry.keys() \
                or not isinstance(entry["size"], int):
            if not any("mục không đầy đủ" in p for p in problems):
                problems.append(_("manifest.json có một mục không đầy đủ."))
            return
        if str(entry["name"]).startswith(DATA_PREFIX):
            summary.data_files += 1
            summary.data_size += entry["size"]
        else:
            database[entry["name"]] = entry["size"]
        if len(summary.members) < limit:
            summary.members.append({k: entry[k] for k in ("name", "size", "sha256")})

    try:
        head = _walk_manifest(body.decode("utf-8"), on_member)
    except (ValueError, UnicodeDecodeError):
        problems.append(_("manifest.json không đọc được (JSON hỏng)."))
        return summary
    if not _manifest_shape_ok(head):
        problems.append(_("manifest.json không đúng định dạng."))
        return summary
    del head["members"]
    summary.head = head
    summary.database_size = database.get(head["database"].get("member"))
    return summary


def encryption_problem(path, key: bytes | None) -> str | None:
    """Why an archive cannot be read with this key (an encrypted one and no key, or another
    key), in words; None when it can (or is not encrypted, or cannot be opened at all)."""
    try:
        with open_archive(path, key):
            return None
    except BackupError as error:
        return str(error)
    except OSError:
        return None  # said by whoever reads it


def verify_and_record(app, path, *, actor_id=None, actor_name=None) -> Verification:
    """"Kiểm tra bản sao lưu" of the page: verify an archive of BACKUP_DIR, remember the
    result for the list (status.json), and write one "backup_verified" line in the audit
    trail (committed here). BackupError (nothing recorded) when the archive cannot be read
    with the configured key: that says nothing about the archive."""
    from app.audit.services import record
    from app.extensions import db

    key = encryption_key(app.config)
    problem = encryption_problem(path, key)
    if problem:
        raise BackupError(problem)
    verification = verify_backup(path, key=key)
    record_verification(backup_dir(app.config), verification)
    summary = _("Bản sao lưu %(name)s hợp lệ.", name=verification.path.name) \
        if verification.ok else _("Bản sao lưu %(name)s KHÔNG hợp lệ: %(problems)s",
                                   name=verification.path.name,
                                   problems=verification.message)
    record(db.session, "backup_verified", object_type="backup",
           object_id=verification.path.name, summary=summary, actor_id=actor_id,
           actor_name=actor_name, secret=False)
    db.session.commit()
    return verification


# ---------------------------------------------------------------- restore

@dataclass
class Restored:
    kind: str
    files: int
    revision: str | None
    created_at: str | None
    kept_files: int = 0  # files already in DATA_DIR that the archive does not have (--force)


def existing_tables(url) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _extract_files(path: Path, data_dir: Path, manifest: dict, key: bytes | None = None) -> int:
    """Write the data/ members into DATA_DIR (each through a temporary file, checked against
    the manifest, then renamed; files 0600, folders 0700)."""
    expected = {m["name"]: m for m in manifest["members"] if m["name"].startswith(DATA_PREFIX)}
    root = private_dir(data_dir).resolve()
    count = 0
    with open_archive(path, key) as stream, tarfile.open(fileobj=stream, mode="r|gz") as tar:
        for member in tar:
            if member.name not in expected:
                continue
            target = (data_dir / member.name[len(DATA_PREFIX):]).resolve()
            if root not in target.parents:
                raise BackupError(_("Tên thành phần không an toàn: «%(name)s».",
                                    name=member.name))
            private_dir(target.parent)
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            try:
                digest = hashlib.sha256()
                with os.fdopen(fd, "wb") as out:
                    source = tar.extractfile(member)
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                if digest.hexdigest() != expected[member.name]["sha256"]:
                    raise BackupError(_("Thành phần «%(name)s» sai mã kiểm tra sha256.",
                                        name=member.name))
                os.chmod(temp, PRIVATE_FILE)
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            count += 1
    if count != len(expected):
        raise BackupError(_("Chỉ khôi phục được %(count)s/%(total)s tệp.", count=count,
                            total=len(expected)))
    return count


def _restore_sqlite(url, snapshot: Path) -> None:
    """Copy the snapshot into place through the backup API (in the reverse direction): it goes
    through SQLite's locking and WAL, so no stale -wal/-shm file can mix with it."""
    target_path = _sqlite_path(url)
    private_dir(target_path.parent)
    private_empty_file(target_path)  # not the umask's mode: the file holds everything
    source = _connect_sqlite(snapshot, readonly=True)
    target = _connect_sqlite(target_path)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        check = target.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if check != "ok":
        raise BackupError(_("Cơ sở dữ liệu sau khi khôi phục bị lỗi: %(error)s", error=check))


def _restore_postgres(url, snapshot: Path, clear: bool) -> None:
    if clear:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    database = sa.engine.make_url(url).database
    conninfo = "dbname='{}'".format(database.replace("\\", "\\\\").replace("'", "\\'"))
    # --single-transaction + --exit-on-error: all of it or nothing. Owner and grants are the
    # restoring user's (the source server's roles need not exist here).
    _run_pg([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", "--no-password", f"--dbname={conninfo}",
             str(snapshot)],
            url, _("pg_restore thất bại"))


def restore_backup(app, path, *, force=False) -> Restored:
    """Verify the archive, then restore the files into DATA_DIR and the database into the
    configured one. Refuses a target that already has tables or files unless `force`."""
    path = Path(path)
    config = app.config
    url = config["SQLALCHEMY_DATABASE_URI"]
    kind = database_kind(url)
    key = encryption_key(config)
    data_dir = Path(config["DATA_DIR"])
    with _work_dir(backup_dir(config) if backup_dir(config).is_dir() else None,
                   path.parent) as work:
        verification = verify_backup(path, work=work, key=key)
        if not verification.ok:
            raise BackupError(_("Tệp sao lưu không hợp lệ, không khôi phục: %(problems)s",
                                problems=verification.message))
        manifest = verification.manifest
        if manifest["database"]["kind"] != kind:
            raise BackupError(_("Bản sao lưu là của cơ sở dữ liệu %(source)s, nơi khôi phục là "
                                "%(target)s.", source=manifest["database"]["kind"], target=kind))
        tables = existing_tables(url) if kind == "postgresql" or _sqlite_path(url).exists() \
            else []
        present = data_files(data_dir, exclude=[backup_dir(config)])
        if (tables or present) and not force:
            what = []
            if tables:
                what.append(_("cơ sở dữ liệu đã có %(count)s bảng", count=len(tables)))
            if present:
                what.append(_("thư mục dữ liệu %(dir)s đã có %(count)s tệp", dir=data_dir,
                              count=len(present)))
            raise BackupError(_("Nơi khôi phục không trống (%(what)s). Chỉ khôi phục vào một "
                                "hệ thống trống; dùng --force để ghi đè.",
                                what=", ".join(what)))
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()  # no pooled connection may outlive the old database
        files = _extract_files(path, data_dir, manifest, key)
        snapshot = work / PurePosixPath(manifest["database"]["member"]).name
        if kind == "sqlite":
            _restore_sqlite(url, snapshot)
        else:
            _restore_postgres(url, snapshot, clear=bool(tables))
        _empty_the_cache(app)
        archived = {m["name"] for m in manifest["members"]}
        kept = sum(1 for _path, name in present if name not in archived)
    return Restored(kind=kind, files=files, revision=manifest.get("alembic_revision"),
                    created_at=manifest.get("created_at"), kept_files=kept)


def _empty_the_cache(app) -> None:
    """Empty the app cache (a shared Redis outlives the stopped workers). What it keeps — a
    grid's counts and page ids, the badges, the dashboards' figures — is keyed by the version
    of the data, the newest line of the audit trail. A restored database numbers its trail
    again from the archive's last line, so the versions of the other data would come back:
    a page kept before the restore would be served for rows that are not those."""
    from app.extensions import cache

    with app.app_context():
        cache.clear()


def head_revision(app) -> str | None:
    """The newest migration the code knows (to tell whether `flask eoffice setup` is due)."""
    try:
        from alembic.script import ScriptDirectory

        with app.app_context():
            config = app.extensions["migrate"].migrate.get_config()
            return ScriptDirectory.from_config(config).get_current_head()
    except Exception:  # informative only
        return None


# ---------------------------------------------------------------- listing, status, pruning

@dataclass
class Archive:
    path: Path
    size: int
    created_at: datetime  # aware
    verified: bool | None  # None: never verified
    error: str | None = None

    @property
    def name(self) -> str:
        return self.path.name


def archive_time(path: Path) -> datetime:
    match = ARCHIVE_NAME.match(path.name)
    if match:
        with contextlib.suppress(ValueError):
            return datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S").replace(
                tzinfo=VIETNAM)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _sort_key(path: Path):
    match = ARCHIVE_NAME.match(path.name)
    return (archive_time(path), int(match[3] or 1) if match else 0)


def list_backups(directory: Path) -> list[Archive]:
    """The archives of BACKUP_DIR, newest first, with what status.json knows of them."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    checks = read_status(directory).get("archives", {})
    paths = [p for p in directory.iterdir() if ARCHIVE_NAME.match(p.name) and p.is_file()]
    archives = []
    for path in sorted(paths, key=_sort_key, reverse=True):
        check = checks.get(path.name) or {}
        archives.append(Archive(path=path, size=path.stat().st_size,
                                created_at=archive_time(path), verified=check.get("ok"),
                                error=check.get("error")))
    return archives


def free_space(directory: Path) -> int | None:
    """Bytes free for us on the disk of BACKUP_DIR (of its nearest existing parent)."""
    path = Path(directory).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def read_status(directory: Path) -> dict:
    try:
        status = json.loads((Path(directory) / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


@contextlib.contextmanager
def _status_lock(directory: Path):
    fd = os.open(directory / ".status.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # short: one read-modify-write
        yield
    finally:
        os.close(fd)


def update_status(directory: Path, change) -> dict:
    """Read status.json, apply change(status), write it back atomically. BackupError, in
    words, when it cannot be written (a full disk: status.json stays as it was)."""
    with _step(_("ghi tệp trạng thái %(name)s", name=STATUS_FILE),
               Path(directory) / STATUS_FILE):
        directory = _ensure_dir(Path(directory))
        with _status_lock(directory):
            status = read_status(directory)
            change(status)
            fd, temp = tempfile.mkstemp(prefix=".status-", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(status, f, ensure_ascii=False, indent=1)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(temp, directory / STATUS_FILE)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
    _UNRECORDED.pop(_key(directory), None)  # status.json is current again
    return status


def record_verification(directory: Path, verification: Verification) -> None:
    """Remember the result for an archive of BACKUP_DIR (the list shows it); when status.json
    cannot be written, the result is only logged (the caller has it)."""
    directory = Path(directory)
    if verification.path.parent.resolve() != directory.resolve():
        return

    def change(status):
        status.setdefault("archives", {})[verification.path.name] = {
            "ok": verification.ok, "at": _iso(utc_now()),
            "error": verification.message or None, "problems": verification.problems}

    try:
        update_status(directory, change)
    except BackupError as error:
        log.error("Verification of %s not recorded: %s", verification.path, error)


def prune(directory: Path, keep: int) -> list[str]:
    """Keep the `keep` newest archives that did not fail verification; delete older ones
    (failed archives newer than those stay, to be looked at). Also removes the leftovers of
    an interrupted run. Call with the backup lock held."""
    directory = Path(directory)
    with _step(_("xóa các bản sao lưu cũ"), directory):
        removed = _prune(directory, keep)

    existing = {p.name for p in directory.iterdir()} if directory.is_dir() else set()

    def change(status):
        archives_known = status.get("archives", {})
        status["archives"] = {k: v for k, v in archives_known.items() if k in existing}

    update_status(directory, change)
    return removed


def _prune(directory: Path, keep: int) -> list[str]:
    archives = list_backups(directory)
    good = [a for a in archives if a.verified is not False]
    removed = []
    if keep >= 1 and len(good) > keep:
        oldest_kept = _sort_key(good[keep - 1].path)
        for archive in archives:
            if _sort_key(archive.path) < oldest_kept:
                archive.path.unlink(missing_ok=True)
                removed.append(archive.name)
    for leftover in directory.iterdir():
        if leftover.name.startswith(PART_PREFIX):
            leftover.unlink(missing_ok=True)
        elif leftover.name.startswith(WORK_PREFIX) and leftover.is_dir() and \
                _time.time() - leftover.stat().st_mtime > 86400:
            shutil.rmtree(leftover, ignore_errors=True)
    return removed


# ---------------------------------------------------------------- one run, under the lock

@contextlib.contextmanager
def exclusive_lock(directory: Path):
    """flock(LOCK_EX | LOCK_NB) on BACKUP_DIR/.lock: BackupBusy if another process has it.
    The lock goes with the process: a crashed run never leaves it behind."""
    directory = Path(directory)
    with _step(_("lấy khóa sao lưu"), directory / LOCK_FILE):
        fd = os.open(_ensure_dir(directory) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BackupBusy(_("Một lần sao lưu khác đang chạy.")) from error
        except OSError as error:
            raise BackupError(os_error_message(error, _("lấy khóa sao lưu"),
                                               directory / LOCK_FILE)) from error
        try:  # the process id is for people; the lock is flock's, not the content's
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as error:
            log.warning("Backup lock: process id not written: %s", error)
        yield
    finally:
        os.close(fd)


def is_running(directory: Path) -> bool:
    """Is a backup being made right now (by any process on this machine)?"""
    path = Path(directory) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:  # none yet, or not ours to open
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases the lock we may have taken
    return False


def _run_locked(app, trigger: str, user: str | None = None) -> dict:
    directory = backup_dir(app.config)
    started = utc_now()
    record = {"started_at": _iso(started), "trigger": trigger, "result": "error",
              "path": None, "size": None, "verified": False, "error": None, "pruned": []}
    try:
        path = create_backup(app, trigger, user)
        record.update(path=str(path), size=path.stat().st_size)
        verification = verify_backup(path, key=encryption_key(app.config))
        record_verification(directory, verification)
        record["verified"] = verification.ok
        if not verification.ok:
            raise BackupError(_("Bản sao lưu vừa tạo không vượt qua kiểm tra: %(problems)s",
                                problems=verification.message))
        record["pruned"] = prune(directory, int(app.config.get("BACKUP_KEEP", 8)))
        record["files_check"] = check_files(app)
        record["result"] = "ok"
    except BackupError as error:  # a known failure, in words: recorded, shown, logged
        record["error"] = str(error)
        log.error("Backup failed: %s", error)
    except Exception as error:  # recorded, shown on the page, logged with its traceback
        if isinstance(error, OSError) or disk_full(error):
            record["error"] = os_error_message(error, _("sao lưu"))
        else:
            record["error"] = _("Lỗi không lường trước khi sao lưu (%(kind)s: %(error)s); xem "
                                "nhật ký máy chủ.", kind=error.__class__.__name__, error=error)
        log.exception("Backup failed: %s", error)
    return _save_run(directory, record)


def check_files(app) -> dict:
    """The file check (app.ops.files_check) after a backup: what it found, for status.json and
    the page; a failure of the check is recorded, never a failure of the backup."""
    from app.extensions import db
    from app.ops import files_check

    try:
        with app.app_context():
            return files_check.run_check(db.session, app.config).as_dict()
    except Exception as error:  # the backup itself is sound: say why the check did not run
        log.exception("File check after the backup failed: %s", error)
        return {"ok": False, "error": _("Không kiểm tra được tệp dữ liệu (%(error)s); chạy "
                                        "«flask files check».", error=error)}


def _new_record(trigger: str) -> dict:
    return {"started_at": _iso(utc_now()), "trigger": trigger, "result": "error",
            "path": None, "size": None, "verified": False, "error": None, "pruned": []}


# Runs that status.json could not take (its disk is full), by folder: the page shows them.
_UNRECORDED: dict[str, dict] = {}


def _key(directory) -> str:
    return os.path.abspath(directory)


def _save_run(directory: Path, record: dict) -> dict:
    """status.json's last_run (and last_success); when it cannot be written, the run counts
    as failed (an archive nobody knows about is not a backup one can trust), is kept in
    memory for the page and logged. Never raises."""
    record["finished_at"] = _iso(utc_now())

    def change(status):
        status["last_run"] = record
        if record["result"] == "ok":
            status["last_success"] = record

    try:
        update_status(directory, change)
    except BackupError as error:
        if record["result"] == "ok":
            record["result"] = "error"
            record["error"] = _("Đã tạo và kiểm tra %(name)s nhưng không ghi được trạng thái: "
                                "%(error)s", name=Path(record["path"]).name, error=error)
        elif str(error) not in (record["error"] or ""):
            record["error"] = f"{record['error']} {error}"
        _UNRECORDED[_key(directory)] = dict(record)
        log.error("Backup run not recorded in %s: %s", STATUS_FILE, record["error"])
    return record


def last_run(directory: Path) -> dict | None:
    """The latest run: status.json's, or a newer one it could not take (kept in memory)."""
    recorded = read_status(directory).get("last_run") or None
    pending = _UNRECORDED.get(_key(directory))
    if pending and (not recorded or (parse_iso(pending.get("started_at")) or utc_now())
                    >= (parse_iso(recorded.get("started_at")) or utc_now())):
        return pending
    return recorded


def _run_with_lock(app, trigger: str, still_due=None,
                   user: str | None = None) -> dict | None:
    """Take the lock and run; a lock that cannot be taken (a full disk, no permission) is a
    failed run, recorded. BackupBusy when another process has it."""
    directory = backup_dir(app.config)
    try:
        with exclusive_lock(directory):
            if still_due is not None and not still_due():
                return None
            return _run_locked(app, trigger, user)
    except BackupBusy:
        raise
    except BackupError as error:
        log.error("Backup failed: %s", error)
        record = _new_record(trigger)
        record["error"] = str(error)
        return _save_run(directory, record)


def run_backup(app, trigger: str = "cli", user: str | None = None) -> dict:
    """Create, verify, prune, record: the run of the schedule, the CLI and the page (`user`:
    who pressed the button). BackupBusy when another process is doing it; any other failure
    is in the record."""
    return _run_with_lock(app, trigger, user=user)


# ---------------------------------------------------------------- the weekly schedule

def last_slot(now: datetime, weekday: int, at: time) -> datetime:
    """The latest moment ≤ now that is `weekday` (0 = Monday … 6 = Sunday) at `at`, in
    Vietnam time."""
    local = now.astimezone(VIETNAM)
    slot = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    slot -= timedelta(days=(slot.weekday() - weekday) % 7)
    if slot > local:
        slot -= timedelta(days=7)
    return slot


def is_due(now: datetime, weekday: int, at: time, last_success: datetime | None = None,
           last_failure: datetime | None = None, retry_after: timedelta = RETRY_AFTER) -> bool:
    """Pure: is a scheduled backup due at `now`? Yes when the latest weekly slot has passed
    since the last successful backup (or there never was one), unless a run failed less than
    `retry_after` ago (no hammering of a broken disk every few minutes)."""
    if last_success is not None and last_success >= last_slot(now, weekday, at):
        return False
    if last_failure is not None and (last_success is None or last_failure > last_success) \
            and now - last_failure < retry_after:
        return False
    return True


def last_times(directory: Path) -> tuple[datetime | None, datetime | None]:
    """(last success, last failure) from status.json, and from the archives themselves if the
    status file was lost."""
    status = read_status(directory)
    success = parse_iso((status.get("last_success") or {}).get("started_at"))
    latest = last_run(directory) or {}  # a failure status.json could not take counts too
    failure = parse_iso(latest.get("started_at")) if latest.get("result") == "error" \
        else None
    good = [a for a in list_backups(directory) if a.verified is not False]
    if good and (success is None or good[0].created_at > success):
        success = good[0].created_at
    return success, failure


def run_if_due(app, now: datetime | None = None) -> dict | None:
    """The scheduler's look: if due and nobody else is at it, run. Returns the run record."""
    now = now or utc_now()
    directory = backup_dir(app.config)
    weekday, at = schedule_settings(app.config)
    if not is_due(now, weekday, at, *last_times(directory)):
        return None
    try:
        # Another worker may have finished a run between our look and the lock.
        return _run_with_lock(app, "schedule",
                              lambda: is_due(now, weekday, at, *last_times(directory)))
    except BackupBusy:
        return None


_scheduler_started = threading.Event()


def start_scheduler(app) -> threading.Thread | None:
    """Start the weekly backup thread of a serving process: not when disabled, not in tests
    (TESTING), not in a CLI command (`flask …`: a click context is active). Every gunicorn
    worker starts one; the lock makes one of them do the work."""
    if not app.config.get("BACKUP_SCHEDULE_ENABLED") or app.config.get("TESTING"):
        return None
    if click.get_current_context(silent=True) is not None or _scheduler_started.is_set():
        return None
    schedule_settings(app.config)  # a wrong setting fails at start, not on Sunday night
    _scheduler_started.set()
    thread = threading.Thread(target=_scheduler_loop, args=(app,), name="eoffice-backup",
                              daemon=True)
    thread.start()
    return thread


def _scheduler_loop(app, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    stop.wait(STARTUP_DELAY)
    while not stop.is_set():
        try:
            with app.app_context():
                record = run_if_due(app)
            if record:
                log.info("Scheduled backup: %s %s", record["result"],
                         record["path"] or record["error"])
        except Exception:
            log.exception("Backup scheduler")
        stop.wait(CHECK_INTERVAL)
