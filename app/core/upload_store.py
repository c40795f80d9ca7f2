"""The uploaded file, kept on the server between the steps (mapping, preview, confirm):
DATA_DIR/imports/<random>.data with <random>.json (its owner, kind, name, the chosen mapping,
the preview's count, then the import's summary). Only the owner reaches it; the file is
deleted after the import, everything after a day."""
import json
import re
import secrets
import time
from pathlib import Path

from flask import current_app

from app.core.files import private_dir, write_private

MAX_AGE = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


def _folder() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "imports"


def _write(path: Path, data: bytes) -> None:
    write_private(path, data, ".import-")


def purge(now=None) -> int:
    """Delete what is older than a day; returns how many files went."""
    folder, now, count = _folder(), now or time.time(), 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        try:
            if now - path.stat().st_mtime > MAX_AGE:
                path.unlink()
                count += 1
        except FileNotFoundError:
            pass
    return count


def save(user, kind: str, filename: str, data: bytes) -> str:
    purge()
    folder = private_dir(_folder())
    token = secrets.token_urlsafe(24)
    _write(folder / f"{token}.data", data)
    update(token, {"user_id": user.id, "kind": kind, "filename": filename,
                   "created": time.time()})
    return token


def load(user, token: str) -> dict | None:
    """The upload's description, if it is the user's and not expired."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    try:
        meta = json.loads((_folder() / f"{token}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user.id or time.time() - meta.get("created", 0) > MAX_AGE:
        return None
    return meta


def data_of(token: str) -> bytes | None:
    try:
        return (_folder() / f"{token}.data").read_bytes()
    except OSError:
        return None


def update(token: str, values: dict) -> dict:
    path = _folder() / f"{token}.json"
    try:
        meta = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        meta = {}
    meta.update(values)
    _write(path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    return meta


def finish(token: str, result: dict) -> None:
    """The import is done: the file goes, its summary stays (for the result page)."""
    (_folder() / f"{token}.data").unlink(missing_ok=True)
    (_folder() / f"{token}.progress").unlink(missing_ok=True)
    update(token, {"result": result})


def set_progress(token: str, done: int, total: int | None, phase: str) -> None:
    _write(_folder() / f"{token}.progress",
           json.dumps({"done": done, "total": total, "phase": phase}).encode())


def progress_of(token: str) -> dict:
    try:
        return json.loads((_folder() / f"{token}.progress").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
