"""Files chosen in a web form that comes back (a mistyped date, a duplicate to confirm, any
error) are not lost: they are checked as usual and kept provisionally on the server,
DATA_DIR/kept/<token>.data with <token>.json (owner, form, field, name, size, time). The form
lists them ("Đã chọn: tên tệp (kích thước) — Bỏ", templates/_kept_files.html) with a hidden
input carrying each token; the next POST of the same person on the same form gets them back,
with the files chosen anew, in the `uploads` shape the services take ([(bytes, filename)]),
so web and REST stay one path and every file still passes the service's checks. A token of
someone else, of another form, expired or unknown is ignored with a message (the form is not
saved without the file the person believes attached). After a successful save the kept files
are deleted (`done()`): they are used exactly once. Everything older than KEPT_UPLOAD_HOURS is
deleted whenever a file is kept.

In a view:

    kept = KeptUploads.from_request(g.user, "incoming", "files")
    if not form.validate() or kept.errors: …re-render with errors=kept.keep(errors), kept=kept
    service(…, kept.uploads) …; kept.done()
"""
import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from app.core.errors import DomainError
from app.core.files import (
    UPLOAD_PREFIX, check_upload, clean_filename, private_dir, write_private,
)

DEFAULT_HOURS = 24
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
LOST = _l("Một tệp đã chọn trước đó không còn được giữ trên máy chủ (đã quá hạn hoặc không "
          "thuộc về bạn). Chưa lưu: vui lòng chọn lại tệp.")


def _folder() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "kept"


def max_age() -> int:
    """Seconds a kept file lives (KEPT_UPLOAD_HOURS)."""
    return int(current_app.config.get("KEPT_UPLOAD_HOURS") or DEFAULT_HOURS) * 3600


def _write(path: Path, data: bytes) -> None:
    write_private(path, data, UPLOAD_PREFIX)


def purge(now=None) -> int:
    """Delete the kept files older than KEPT_UPLOAD_HOURS; how many files went."""
    folder, now, count = _folder(), now or time.time(), 0
    if not folder.is_dir():
        return 0
    limit = max_age()
    for path in folder.iterdir():
        try:
            if path.is_file() and now - path.stat().st_mtime > limit:
                path.unlink()
                count += 1
        except FileNotFoundError:
            pass
    return count


def _delete(token: str) -> None:
    for suffix in (".data", ".json"):
        (_folder() / f"{token}{suffix}").unlink(missing_ok=True)


def size_text(size: int) -> str:
    """12 KB, 1,5 MB (Vietnamese decimal comma)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",") + " MB"


@dataclass
class KeptFile:
    token: str
    name: str
    size: int
    data: bytes

    @property
    def size_text(self) -> str:
        return size_text(self.size)


def _default_check(allowed):
    def check(data, filename):
        return check_upload(data, filename, max_bytes=current_app.config["MAX_UPLOAD_BYTES"],
                            allowed=allowed)
    return check


class KeptUploads:
    """The files of one file field of one form, for one person: those kept from the previous
    round (`kept`) and those that came with this request (`new`)."""

    def __init__(self, user, purpose: str, field: str = "files", *,
                 allowed=("pdf", "image"), check=None, single=False):
        self.user, self.purpose, self.field, self.single = user, purpose, field, single
        self.check = check or _default_check(allowed)
        self.kept: list[KeptFile] = []
        self.new: list[tuple[bytes, str]] = []
        self.errors: list = []  # messages for the field: lost tokens, refused files

    # the names of the form's inputs
    @property
    def token_name(self) -> str:
        return f"kept_{self.field}"

    @property
    def drop_name(self) -> str:
        return f"drop_{self.field}"

    @classmethod
    def from_request(cls, user, purpose: str, field: str = "files", **options):
        """The kept files named by the form (minus those ticked "Bỏ", deleted now) and the
        files of this request."""
        self = cls(user, purpose, field, **options)
        if request.method != "POST":
            return self
        drops = set(request.form.getlist(self.drop_name))
        seen, lost = set(), False
        for token in request.form.getlist(self.token_name):
            if token in seen:
                continue  # the same file twice in the form is still one file
            seen.add(token)
            item = self._load(token)
            if token in drops:  # "Bỏ": gone, whether or not it was still there
                if item is not None:
                    _delete(token)
            elif item is None:
                lost = True
            else:
                self.kept.append(item)
        if lost:
            self.errors.append(LOST)
        self.new = [(upload.read(), upload.filename)
                    for upload in request.files.getlist(self.field)
                    if upload and upload.filename]
        # the same file chosen again (a person used to re-choosing it): once, the kept copy
        kept_data = {item.data for item in self.kept}
        self.new = [(data, name) for data, name in self.new if data not in kept_data]
        if self.single and self.new:  # one file (a cover): the one chosen now replaces
            self.new = self.new[:1]
            for item in self.kept:
                _delete(item.token)
            self.kept = []
        return self

    def _load(self, token: str) -> KeptFile | None:
        if not _TOKEN.fullmatch(token or ""):
            return None
        try:
            meta = json.loads((_folder() / f"{token}.json").read_text("utf-8"))
            data = (_folder() / f"{token}.data").read_bytes()
        except (OSError, ValueError):
            return None
        if (meta.get("user_id") != getattr(self.user, "id", None)
                or meta.get("purpose") != self.purpose or meta.get("field") != self.field):
            return None
        if time.time() - meta.get("created", 0) > max_age():
            _delete(token)
            return None
        return KeptFile(token, meta.get("filename") or "", len(data), data)

    @property
    def uploads(self) -> list[tuple[bytes, str]]:
        """What the service takes: the kept files, then the new ones."""
        return [(item.data, item.name) for item in self.kept] + list(self.new)

    @property
    def upload(self) -> tuple[bytes, str] | None:
        """The one file of a single-file field, or None."""
        return self.uploads[0] if self.uploads else None

    def __bool__(self):
        return bool(self.kept or self.new)

    def keep(self, errors: dict | None = None) -> dict:
        """The form is shown again: check the files of this request and keep those that pass
        (a refused one is named with its reason); returns `errors` with this field's messages
        added (the service's own messages about the files are not repeated)."""
        already = bool((errors or {}).get(self.field))
        new, self.new = self.new, []
        if new:
            purge()
            private_dir(_folder())
        for data, filename in new:
            try:
                info = self.check(data, filename)
            except DomainError as error:
                if not already:
                    self.errors.append(f"{filename}: {error}")
                continue
            self.kept.append(self._save(data, info.original_name or clean_filename(filename)))
        merged = {name: list(messages) for name, messages in (errors or {}).items()}
        for message in self.errors:
            if str(message) not in {str(m) for m in merged.get(self.field, [])}:
                merged.setdefault(self.field, []).append(message)
        return merged

    def _save(self, data: bytes, name: str) -> KeptFile:
        token = secrets.token_urlsafe(24)
        _write(_folder() / f"{token}.data", data)
        meta = {"user_id": getattr(self.user, "id", None), "purpose": self.purpose,
                "field": self.field, "filename": name, "size": len(data),
                "created": time.time()}
        _write(_folder() / f"{token}.json", json.dumps(meta, ensure_ascii=False).encode())
        return KeptFile(token, name, len(data), data)

    def done(self) -> None:
        """Saved: the kept files have been stored with the record; they go."""
        for item in self.kept:
            _delete(item.token)
        self.kept = []
