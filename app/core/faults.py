"""Faults of the machine, told apart from bugs: a full disk and an unreachable database.

- `disk_full(error)`: the disk (or the user's quota) is full — an OSError ENOSPC/EDQUOT
  anywhere in the chain of causes (an upload written into DATA_DIR, a generated file), SQLite's
  "database or disk is full" (SQLITE_FULL) or PostgreSQL's DiskFull (SQLSTATE 53100).
- `database_down(error)`: the database cannot be reached — a connection that could not be
  opened or was lost (SQLAlchemy's OperationalError/InterfaceError at connect time or with the
  connection invalidated, SQLSTATE class 08, 57P01–57P03 "shutting down / starting up", SQLite
  "unable to open database file"), or no pooled connection free in time.

`app.core.errors` answers them (507 and 503, in Vietnamese, without the database for the
latter); listeners registered with `on_disk_full` are told (the ops package notifies the
administrators), at most once per NOTICE_INTERVAL for the whole installation: the moment is
kept in Redis (REDIS_URL) when it answers, else in the process's memory.
"""
import errno
import hashlib
import logging
import sqlite3
import threading
import time

import sqlalchemy as sa

log = logging.getLogger(__name__)

DISK_FULL = "disk_full"
DATABASE_DOWN = "database_down"
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
PG_DISK_FULL = "53100"
# SQLITE_FULL, and SQLITE_IOERR_SHMSIZE: in WAL mode the -shm file cannot grow on a full disk
SQLITE_DISK_FULL = frozenset({sqlite3.SQLITE_FULL, getattr(sqlite3, "SQLITE_IOERR_SHMSIZE",
                                                           4874)})
PG_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03"})  # admin/crash shutdown, starting up
NOTICE_INTERVAL = 3600  # seconds: the administrators are told at most once an hour

_memory_marks: dict[str, float] = {}
_memory_lock = threading.Lock()


def _chain(error, depth=12):
    """The error, its causes and contexts, and the driver errors SQLAlchemy wraps."""
    seen = set()
    pending = [error]
    while pending and len(seen) < depth:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend([getattr(current, "orig", None), current.__cause__,
                        current.__context__])


def _sqlstate(error) -> str | None:
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)


def disk_full(error) -> bool:
    for current in _chain(error):
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.Error) and (
                getattr(current, "sqlite_errorcode", None) in SQLITE_DISK_FULL
                or "database or disk is full" in str(current)):
            return True
        if _sqlstate(current) == PG_DISK_FULL:
            return True
    return False


def database_down(error) -> bool:
    if error is None or disk_full(error):
        return False
    for current in _chain(error):
        if isinstance(current, sa.exc.TimeoutError):  # the pool had no connection in time
            return True
        if isinstance(current, (sa.exc.OperationalError, sa.exc.InterfaceError)):
            if current.connection_invalidated:
                return True  # the connection was lost
            orig = current.orig
            if current.statement is None and not isinstance(orig, sqlite3.Error) and \
                    _sqlstate(orig) is None:
                return True  # opening it failed (the server has no SQLSTATE to give)
        state = _sqlstate(current)
        if state and (state.startswith("08") or state in PG_UNAVAILABLE):
            return True
        if isinstance(current, sqlite3.Error) and getattr(
                current, "sqlite_errorcode", None) == sqlite3.SQLITE_CANTOPEN:
            return True
    return False


def kind_of(error) -> str | None:
    """DISK_FULL, DATABASE_DOWN or None (not a fault of the machine)."""
    if error is None:
        return None
    if disk_full(error):
        return DISK_FULL
    if database_down(error):
        return DATABASE_DOWN
    return None


# ---------------------------------------------------------------- telling the administrators

def on_disk_full(app, listener) -> None:
    """listener(app, error) is called when a disk-full fault is answered, at most once per
    NOTICE_INTERVAL (it should not raise; if it does, the error is logged and ignored)."""
    app.extensions.setdefault("eoffice_disk_full_listeners", []).append(listener)


def _mark_key(app, what: str) -> str:
    installation = f"{app.config.get('SECRET_KEY')}|{app.config.get('SQLALCHEMY_DATABASE_URI')}"
    return "eoffice-fault-" + hashlib.sha256(installation.encode()).hexdigest()[:12] + "-" + what


def _redis(app):
    url = app.config.get("REDIS_URL") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    try:
        import redis

        return redis.Redis.from_url(url, socket_timeout=0.3, socket_connect_timeout=0.3)
    except Exception:  # no client library, a malformed URL
        return None


def first_in_interval(app, what: str, seconds: int = NOTICE_INTERVAL) -> bool:
    """True for the first call of this installation within `seconds` (every worker and server
    sharing Redis counts together; without Redis, each process alone)."""
    key = _mark_key(app, what)
    client = _redis(app)
    if client is not None:
        try:
            return bool(client.set(key, str(int(time.time())), nx=True, ex=seconds))
        except Exception:  # Redis does not answer: this process decides alone
            pass
    now = time.monotonic()
    with _memory_lock:
        last = _memory_marks.get(key)
        if last is not None and now - last < seconds:
            return False
        _memory_marks[key] = now
    return True


def forget_marks(app, what: str = DISK_FULL) -> None:
    """Start the interval afresh (tests; an operator who fixed the disk)."""
    key = _mark_key(app, what)
    client = _redis(app)
    if client is not None:
        try:
            client.delete(key)
        except Exception:
            pass
    with _memory_lock:
        _memory_marks.pop(key, None)


def report_disk_full(app, error) -> None:
    """Log the fault every time (an error line an operator's monitoring catches), and tell the
    listeners at most once per NOTICE_INTERVAL. Never raises."""
    try:
        log.error("Disk full (%s): %s", type(error).__name__, error)
        if not first_in_interval(app, DISK_FULL):
            return
        for listener in app.extensions.get("eoffice_disk_full_listeners", []):
            try:
                listener(app, error)
            except Exception:  # the database may be on the full disk too
                log.warning("Could not notify the administrators of the full disk",
                            exc_info=True)
    except Exception:
        log.warning("Disk-full report failed", exc_info=True)
