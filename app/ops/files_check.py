"""`flask files check`: do the stored files and their rows agree?

Every stored file is a DocumentFile row (incoming and outgoing documents, drafts, request
forms, news images) and a file DATA_DIR/files/<ab>/<storage_name> (app.core.files.file_path).
The check reports, one finding a line:

- orphans: files under DATA_DIR/files that no row references, among them the temporary files
  (".upload-…") of an upload cut off before its commit (app.core.storage.saving_files);
- missing files: rows whose file is not there;
- checksum mismatches: rows whose file's sha256 (or size) is not the one recorded.

`fix=True` moves the orphans older than an hour (by mtime: an upload in progress is younger)
to the quarantine folder, keeping their path under DATA_DIR; nothing is ever deleted. Other
folders of DATA_DIR (imports/: the import module keeps and clears its own files) are not
looked at.

Memory-light: rows are read in batches (yield_per), files hashed in chunks, each folder of
DATA_DIR/files listed with os.scandir and compared with the rows of its prefix only.
"""
import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.core.files import file_path, private_dir
from app.core.models import DocumentFile
from app.core.files import UPLOAD_PREFIX

MIN_AGE_SECONDS = 3600  # an orphan younger than this may be an upload in progress
CHUNK = 1024 * 1024
BATCH = 500

ORPHAN, TEMPORARY, MISSING, MISMATCH = "orphan", "temporary", "missing", "mismatch"


@dataclass
class Finding:
    kind: str  # ORPHAN, TEMPORARY, MISSING or MISMATCH
    path: Path
    file_id: int | None = None  # the row, for MISSING and MISMATCH
    detail: str = ""
    moved_to: Path | None = None  # where --fix put an orphan
    too_recent: bool = False  # an orphan --fix left where it is (younger than an hour)


@dataclass
class Report:
    rows: int = 0
    files: int = 0
    findings: list[Finding] = field(default_factory=list)

    def count(self, *kinds) -> int:
        return sum(1 for f in self.findings if f.kind in kinds)

    @property
    def moved(self) -> int:
        return sum(1 for f in self.findings if f.moved_to is not None)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict:
        """The result in a form fit for a status file (e.g. the backups' status.json)."""
        return {"ok": self.ok, "rows": self.rows, "files": self.files,
                "orphans": self.count(ORPHAN, TEMPORARY), "missing": self.count(MISSING),
                "mismatched": self.count(MISMATCH), "quarantined": self.moved}


def quarantine_dir(config) -> Path:
    """FILES_QUARANTINE_DIR, else a folder "quarantine" beside DATA_DIR (not inside it: what
    is quarantined is neither served, nor backed up as data, nor checked again)."""
    configured = config.get("FILES_QUARANTINE_DIR")
    if configured:
        return Path(configured)
    return Path(config["DATA_DIR"]).resolve().parent / "quarantine"


def sha256_of(path: Path) -> tuple[str, int]:
    """(hex digest, size) of a file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_rows(session, data_dir: Path, report: Report) -> None:
    """Every row: its file is there, with the recorded size and sha256."""
    query = select(DocumentFile.id, DocumentFile.storage_name, DocumentFile.sha256,
                   DocumentFile.size).order_by(DocumentFile.id)
    for file_id, name, expected, size in session.execute(
            query.execution_options(yield_per=BATCH)):
        report.rows += 1
        try:
            path = file_path(data_dir, name)
        except ValueError:
            report.findings.append(Finding(MISSING, Path(name), file_id,
                                           "tên lưu không hợp lệ"))
            continue
        try:
            actual, actual_size = sha256_of(path)
        except FileNotFoundError:
            report.findings.append(Finding(MISSING, path, file_id))
            continue
        except OSError as error:
            report.findings.append(Finding(MISSING, path, file_id,
                                           f"không đọc được: {error.strerror or error}"))
            continue
        if actual != expected or actual_size != size:
            report.findings.append(Finding(
                MISMATCH, path, file_id,
                f"ghi nhận {size} byte, sha256 {expected[:12]}…; trên đĩa {actual_size} byte, "
                f"sha256 {actual[:12]}…"))


def _referenced(session, prefix: str) -> set[str]:
    """The storage names of the rows whose files go in the folder `prefix` (and of their OCR'd
    copies, stored beside them: app.documents.ocr_jobs)."""
    return set(session.scalars(select(DocumentFile.storage_name).where(
        DocumentFile.storage_name.startswith(prefix, autoescape=True)))) | set(session.scalars(
            select(DocumentFile.ocr_storage_name).where(
                DocumentFile.ocr_storage_name.startswith(prefix, autoescape=True))))


def check_folders(session, data_dir: Path, report: Report, skip: Path | None = None) -> None:
    """Files under DATA_DIR/files that no row references, one folder at a time (the folder is
    listed before its rows are read: a file renamed just after its commit is not an orphan).
    Temporary files of uploads left at the top of DATA_DIR count too."""
    with os.scandir(data_dir) as top:
        for entry in top:
            if entry.name.startswith(UPLOAD_PREFIX) and entry.is_file(follow_symlinks=False):
                report.files += 1
                report.findings.append(Finding(TEMPORARY, Path(entry.path)))
    root = data_dir / "files"
    if not root.is_dir():
        return
    with os.scandir(root) as folders:
        for folder in sorted(folders, key=lambda e: e.name):
            if folder.is_file(follow_symlinks=False):  # nothing is stored at this level
                report.files += 1
                report.findings.append(Finding(
                    TEMPORARY if folder.name.startswith(UPLOAD_PREFIX) else ORPHAN,
                    Path(folder.path)))
                continue
            if not folder.is_dir(follow_symlinks=False) or (
                    skip is not None and Path(folder.path).resolve() == skip):
                continue
            with os.scandir(folder.path) as listing:
                names = sorted(e.name for e in listing if e.is_file(follow_symlinks=False))
            referenced = _referenced(session, folder.name)
            for name in names:
                report.files += 1
                if name.startswith(UPLOAD_PREFIX):
                    report.findings.append(Finding(TEMPORARY, Path(folder.path) / name))
                elif name not in referenced:
                    report.findings.append(Finding(ORPHAN, Path(folder.path) / name))


def _free_name(target: Path) -> Path:
    candidate, counter = target, 1
    while candidate.exists():
        candidate = target.with_name(f"{target.name}.{counter}")
        counter += 1
    return candidate


def quarantine(finding: Finding, data_dir: Path, destination: Path, now: float,
               min_age: int) -> None:
    """Move an orphan older than `min_age` seconds to `destination` (same path under it as
    under DATA_DIR); a younger one is left where it is (finding.too_recent)."""
    try:
        mtime = finding.path.stat().st_mtime
    except FileNotFoundError:  # gone meanwhile (an upload finished or rolled back)
        return
    if now - mtime < min_age:
        finding.too_recent = True
        return
    target = _free_name(destination / finding.path.relative_to(data_dir))
    private_dir(target.parent)
    shutil.move(str(finding.path), str(target))  # a rename, or a copy then removal across disks
    finding.moved_to = target


def run_check(session, config, *, fix=False, min_age=MIN_AGE_SECONDS, now=None) -> Report:
    """The whole check (see the module's docstring); with `fix`, old orphans are moved to
    the quarantine folder. Reads only: the session is left as it was."""
    data_dir = Path(config["DATA_DIR"]).resolve()
    report = Report()
    destination = quarantine_dir(config).resolve()
    if data_dir.is_dir():
        check_folders(session, data_dir, report, skip=destination)
    check_rows(session, data_dir, report)
    session.rollback()  # end the read transaction
    if fix:
        now = time.time() if now is None else now
        for finding in report.findings:
            if finding.kind in (ORPHAN, TEMPORARY):
                quarantine(finding, data_dir, destination, now, min_age)
    return report


def _size(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return "?"
    return f"{size / 1024:.1f} KB".replace(".", ",")


def describe(finding: Finding, data_dir: Path) -> str:
    """One line, in Vietnamese, for a finding."""
    try:
        shown = finding.path.relative_to(data_dir)
    except ValueError:
        shown = finding.path
    if finding.kind == ORPHAN:
        line = f"Tệp không thuộc bản ghi nào: {shown} ({_size(finding.path)})"
    elif finding.kind == TEMPORARY:
        line = f"Tệp tạm của lần tải lên dở dang: {shown} ({_size(finding.path)})"
    elif finding.kind == MISSING:
        line = f"Thiếu tệp của bản ghi tệp #{finding.file_id}: {shown}"
    else:
        line = f"Tệp sai mã kiểm tra (sha256) so với bản ghi tệp #{finding.file_id}: {shown}"
    if finding.detail:
        line += f" — {finding.detail}"
    if finding.moved_to is not None:
        line += f" → đã chuyển vào khu cách ly: {finding.moved_to}"
    elif finding.too_recent:
        line += " → chưa chuyển: tệp mới hơn 1 giờ (có thể đang tải lên)"
    return line


def summary(report: Report) -> str:
    """The last line of the command."""
    checked = f"Đã kiểm tra {report.rows} bản ghi tệp và {report.files} tệp"
    if report.ok:
        return checked + ": không phát hiện vấn đề."
    line = (f"{checked}: {report.count(ORPHAN, TEMPORARY)} tệp thừa, "
            f"{report.count(MISSING)} tệp bị thiếu, {report.count(MISMATCH)} tệp sai mã kiểm "
            "tra.")
    if report.moved:
        line += f" Đã chuyển {report.moved} tệp thừa vào khu cách ly."
    return line
