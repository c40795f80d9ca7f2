"""Demo data for `make run`: a Sở-style agency, its units, about twenty people across the six
roles, and one well-known account per role. Idempotent: what exists is left alone.

The demo is made in steps (STEP_CHECKS), each of which commits as it goes. Every step that
finishes is recorded in INSTANCE_DIR/demo-steps.json, under a key of the database: a later run
skips the recorded steps, runs the ones that have no data yet, and refuses clearly when a step
has data but no record, i.e. a previous run stopped in the middle of it (a full disk, say)."""
import errno
import hashlib
import importlib
import json
import os
import secrets
import tempfile
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import NamedTuple

import click
import sqlalchemy as sa
from sqlalchemy import func, select

from app.catalogs.models import Field, Signer
from app.catalogs.seed import seed_catalogs
from app.extensions import db
from app.org.models import Department, EofficeUser, Position
from app.security import roles as r

AGENCY = ("Sở Nội vụ tỉnh Hà Nam", "SNV")
UNITS = [
    ("Văn phòng Sở", "VP"),
    ("Phòng Tổ chức, biên chế và tổ chức phi chính phủ", "TCBC"),
    ("Phòng Cải cách hành chính", "CCHC"),
    ("Phòng Xây dựng chính quyền và công tác thanh niên", "XDCQ"),
    ("Thanh tra Sở", "TTr"),
    ("Chi cục Văn thư – Lưu trữ", "VTLT"),
    ("Ban Thi đua – Khen thưởng", "TĐKT"),
]
# (name, is leader, can sign)
POSITIONS = [
    ("Giám đốc", True, True),
    ("Phó Giám đốc", True, True),
    ("Chánh Văn phòng", True, True),
    ("Phó Chánh Văn phòng", True, False),
    ("Trưởng phòng", True, False),
    ("Phó Trưởng phòng", True, False),
    ("Chuyên viên", False, False),
    ("Văn thư", False, False),
]
# (username, last name, first name, role, unit code, position, field codes)
# The first six are the documented demo accounts, one per role, in the order of the roles.
PEOPLE = [
    ("quantri", "Nguyễn Văn", "Hùng", r.ADMIN, "VP", "Chuyên viên", []),
    ("lanhdao", "Trần Quốc", "Đạt", r.AGENCY_LEADER, "SNV", "Giám đốc", []),
    ("lanhdaovp", "Lê Thị", "Hòa", r.OFFICE_LEADER, "VP", "Chánh Văn phòng", ["VTLT", "TDKT"]),
    ("truongphong", "Phạm Minh", "Đức", r.UNIT_LEADER, "CCHC", "Trưởng phòng", ["CCHC"]),
    ("chuyenvien", "Hoàng Thị", "Thủy", r.OFFICER, "CCHC", "Chuyên viên", ["CCHC", "TCCB"]),
    ("vanthu", "Đỗ Thị", "Lan", r.CLERK, "VP", "Văn thư", []),
    ("pgd.thanh", "Vũ Đình", "Thành", r.AGENCY_LEADER, "SNV", "Phó Giám đốc", []),
    ("pgd.nga", "Bùi Thị", "Nga", r.AGENCY_LEADER, "SNV", "Phó Giám đốc", []),
    ("tp.tcbc", "Đặng Văn", "Long", r.UNIT_LEADER, "TCBC", "Trưởng phòng", ["TCCB"]),
    ("cv.tcbc1", "Ngô Thị", "Hạnh", r.OFFICER, "TCBC", "Chuyên viên", ["TCCB"]),
    ("cv.tcbc2", "Dương Văn", "Khải", r.OFFICER, "TCBC", "Chuyên viên", ["TCCB"]),
    ("tp.xdcq", "Lý Thị", "Mai", r.UNIT_LEADER, "XDCQ", "Trưởng phòng", ["TCCB"]),
    ("cv.xdcq", "Trịnh Văn", "Nam", r.OFFICER, "XDCQ", "Chuyên viên", ["TCCB"]),
    ("cv.cchc", "Phan Thị", "Oanh", r.OFFICER, "CCHC", "Chuyên viên", ["CCHC"]),
    ("chanh.thanhtra", "Hồ Văn", "Phúc", r.UNIT_LEADER, "TTr", "Trưởng phòng", ["TTKN"]),
    ("cv.thanhtra", "Mai Thị", "Quyên", r.OFFICER, "TTr", "Chuyên viên", ["TTKN"]),
    ("ccvtlt", "Tô Văn", "Sơn", r.UNIT_LEADER, "VTLT", "Trưởng phòng", ["VTLT"]),
    ("cv.vtlt", "Lương Thị", "Tâm", r.OFFICER, "VTLT", "Chuyên viên", ["VTLT"]),
    ("tdkt", "Kiều Văn", "Ước", r.UNIT_LEADER, "TĐKT", "Trưởng phòng", ["TDKT"]),
    ("vanthu2", "Chu Thị", "Vân", r.CLERK, "VP", "Văn thư", []),
    ("pcvp", "Quách Văn", "Xuân", r.OFFICE_LEADER, "VP", "Phó Chánh Văn phòng", ["TCNS"]),
]
DEMO_ACCOUNTS = [p[0] for p in PEOPLE[:6]]
# (username, signing authority, position as printed above the signature)
SIGNERS = [
    ("lanhdao", "", "Giám đốc"),
    ("pgd.thanh", "KT.", "Phó Giám đốc"),
    ("pgd.nga", "KT.", "Phó Giám đốc"),
    ("lanhdaovp", "TL.", "Chánh Văn phòng"),
]


def _departments(session):
    agency = session.query(Department).filter_by(code=AGENCY[1]).first()
    if agency is None:
        agency = Department(name=AGENCY[0], code=AGENCY[1], sort_order=0)
        session.add(agency)
    for order, (name, code) in enumerate(UNITS, start=1):
        if session.query(Department).filter_by(code=code).first() is None:
            session.add(Department(name=name, code=code, parent=agency, sort_order=order))
    for order, (name, leader, sign) in enumerate(POSITIONS, start=1):
        if session.query(Position).filter_by(name=name).first() is None:
            session.add(Position(name=name, is_leader=leader, can_sign=sign, sort_order=order))
    session.flush()


def _password_for(app, username):
    return app.config.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)


def _write_passwords(app, created):
    path = Path(app.config["INSTANCE_DIR"]) / "demo-passwords.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        for username, password in created:
            f.write(f"{username}\t{password}\n")
    os.chmod(path, 0o600)
    return path


def create_accounts_demo(app):
    """The agency, its units and positions, the demo people and the signers."""
    session = db.session
    seed_catalogs(session)
    _departments(session)
    sm = app.appbuilder.sm
    created = []
    for username, last, first, role_name, unit, position, fields in PEOPLE:
        if sm.find_user(username=username):
            continue
        password = _password_for(app, username)
        user = sm.add_user(username=username, first_name=first, last_name=last,
                           email=f"{username}@snv.hanam.gov.vn",
                           role=sm.find_role(role_name), password=password)
        if not user:
            raise click.ClickException(f"Không tạo được tài khoản {username}")
        user = session.get(EofficeUser, user.id)
        user.department = session.query(Department).filter_by(code=unit).one()
        user.position = session.query(Position).filter_by(name=position).one()
        user.fields = session.query(Field).filter(Field.code.in_(fields)).all()
        created.append((username, password))
    for username, authority, title in SIGNERS:
        user = sm.find_user(username=username)
        if session.query(Signer).filter_by(user_id=user.id, authority=authority).first():
            continue
        session.add(Signer(full_name=user.full_name, position_title=title,
                           authority=authority, user_id=user.id))
    session.commit()
    if created and not app.config.get("DEMO_PASSWORD"):
        path = _write_passwords(app, created)
        click.echo("Mật khẩu các tài khoản mẫu (chỉ in một lần, đã lưu vào "
                   f"{path}, chỉ chủ sở hữu đọc được):")
        for username, password in created:
            if username in DEMO_ACCOUNTS:
                click.echo(f"  {username:12} {password}")
    elif created:
        click.echo(f"Đã tạo {len(created)} tài khoản mẫu với mật khẩu DEMO_PASSWORD.")



# --- The steps, and the record of the finished ones -----------------------------------------

def _any(session, model, *where) -> bool:
    return bool(session.scalar(select(func.count()).select_from(model).where(*where)))


def _accounts_exist(session):
    return _any(session, EofficeUser, EofficeUser.username.in_([p[0] for p in PEOPLE]))


def create_signing_demo(app):
    """The demo CA and keys (app.security.demo_signing), one electronic copy made with the
    agency's key (app.copies.demo) and one draft in PDF waiting for the director's digital
    signature (app.outgoing.demo): the electronic path, tried in the browser."""
    from app.copies.demo import create_copies_demo
    from app.outgoing.demo import create_electronic_draft_demo
    from app.security.demo_signing import create_signing_demo as keys

    made = keys(app)
    create_copies_demo(app)
    create_electronic_draft_demo(app)
    return made


def _signing_exist(session):
    from app.security.demo_signing import demo_signing_exists

    return demo_signing_exists(session)


def _incoming_exist(session):
    from app.documents.models import IncomingDocument

    return _any(session, IncomingDocument)


def _outgoing_exist(session):
    from app.outgoing.models import Draft

    return _any(session, Draft)


def _requests_exist(session):
    from app.request_forms.models import RequestForm

    return _any(session, RequestForm)


def _dossiers_exist(session):  # the step's own test, of any year (the demo may be older)
    from app.dossiers.models import Dossier, DossierPlanItem

    return _any(session, DossierPlanItem) or _any(session, Dossier)


def _usage_exist(session):  # logins before today: only the demo writes them on a new database
    from app.audit.models import AuditEvent
    from app.core.timefmt import local_to_utc, today_local

    start = local_to_utc(datetime.combine(today_local(), time.min))
    return _any(session, AuditEvent, AuditEvent.action == "login", AuditEvent.at < start)


def _schedules_exist(session):
    from app.schedules.models import ScheduleWeek

    return _any(session, ScheduleWeek)


def _news_exist(session):
    from app.news.models import NewsItem

    return _any(session, NewsItem)


def _exchange_exist(session):
    from app.exchange.models import ExchangePartner

    return _any(session, ExchangePartner)


class Step(NamedTuple):
    name: str  # the key in the record
    label: str  # as the step prints it ("Văn bản đến mẫu: đã có dữ liệu, bỏ qua.")
    function: str  # "module:function", looked up when the step runs (tests replace it)
    exists: Callable  # (session) -> bool: the step's data is there (cheap)
    # Run again even when recorded: the step adds only what the date calls for and skips what
    # exists (the schedule of this week and the next, on a demo made weeks ago).
    refresh: bool = False
    # May finish without data (the exchange demo without EXCHANGE_ORGAN_ID): a database made
    # before the record is complete without it.
    optional: bool = False


# In order: each step needs the ones before it (the exchange demo, the incoming documents).
STEP_CHECKS = [
    Step("accounts", "Cơ quan, đơn vị và tài khoản mẫu", "app.demo:create_accounts_demo",
         _accounts_exist),
    Step("incoming", "Văn bản đến mẫu", "app.documents.demo:create_incoming_demo",
         _incoming_exist),
    Step("outgoing", "Văn bản đi mẫu", "app.outgoing.demo:create_outgoing_demo",
         _outgoing_exist),
    # Optional: a demo made before it is complete without it (the step then runs once).
    Step("signing", "Khóa ký số mẫu", "app.demo:create_signing_demo",
         _signing_exist, optional=True),
    Step("requests", "Phiếu yêu cầu mẫu", "app.request_forms.demo:create_request_demo",
         _requests_exist),
    Step("dossiers", "Hồ sơ công việc mẫu", "app.dossiers.demo:create_dossier_demo",
         _dossiers_exist),
    Step("usage", "Lượt đăng nhập mẫu", "app.stats.demo:create_usage_demo", _usage_exist),
    Step("schedules", "Lịch công tác mẫu", "app.schedules.demo:create_schedule_demo",
         _schedules_exist, refresh=True),
    Step("news", "Tin tức mẫu", "app.news.demo:create_news_demo", _news_exist),
    Step("exchange", "Liên thông mẫu", "app.exchange.demo:create_exchange_demo",
         _exchange_exist, optional=True),
]
STEPS_FILE = "demo-steps.json"


def _resolve(function: str) -> Callable:
    module, name = function.split(":")
    return getattr(importlib.import_module(module), name)


def _database_key(app) -> str:
    return hashlib.sha256(str(app.config["SQLALCHEMY_DATABASE_URI"]).encode()).hexdigest()[:16]


def database_label(app) -> str:
    """The demo database as an operator finds it: the SQLite file, or the URL without the
    password."""
    url = sa.engine.make_url(str(app.config["SQLALCHEMY_DATABASE_URI"]))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return str(Path(url.database))
    return url.render_as_string(hide_password=True)


class StepRecord:
    """INSTANCE_DIR/demo-steps.json: {database key: {"database": …, "done": [step names]}},
    rewritten whole through a temporary file and os.replace (never half written)."""

    def __init__(self, app):
        self.path = Path(app.config["INSTANCE_DIR"]) / STEPS_FILE
        self.key = _database_key(app)
        self.label = database_label(app)

    def _read_all(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise click.ClickException(
                f"Không đọc được {self.path} (ghi nhận các bước dữ liệu mẫu đã xong): {error}. "
                "Xóa tệp này cùng cơ sở dữ liệu mẫu rồi chạy lại `make run`.") from error
        return data if isinstance(data, dict) else {}

    def read(self) -> list[str] | None:
        """The steps recorded as done for this database; None: no record at all."""
        entry = self._read_all().get(self.key)
        return list(entry.get("done", [])) if isinstance(entry, dict) else None

    def write(self, done: list[str]) -> None:
        data = self._read_all()
        data[self.key] = {"database": self.label, "done": done}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{STEPS_FILE}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _disk_full(error: BaseException) -> bool:
    while error is not None:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if "no space left" in str(error).lower() or "database or disk is full" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _start_over(app, first=False) -> str:
    return (f"{'X' if first else 'x'}óa cơ sở dữ liệu mẫu ({database_label(app)}) rồi chạy "
            "lại `make run` (hoặc `flask eoffice setup --demo`).")


def _stopped_midway(app, step: Step) -> click.ClickException:
    return click.ClickException(
        f"Dữ liệu mẫu «{step.label}» dừng giữa chừng ở lần chạy trước (có thể do hết dung lượng "
        f"đĩa), dữ liệu mẫu chưa đầy đủ. {_start_over(app, first=True)}")


def _write_record(app, record: StepRecord, done: list[str], step: Step | None) -> None:
    try:
        record.write(done)
    except OSError as error:
        reason = "hết dung lượng đĩa" if _disk_full(error) else str(error)
        where = f" sau bước «{step.label}»" if step else ""
        raise click.ClickException(
            f"Không ghi được {record.path}{where} ({reason}). Giải phóng dung lượng đĩa, "
            f"{_start_over(app)}") from error


def create_demo(app):
    """Run the steps of STEP_CHECKS that are not recorded as done (see the module's doc)."""
    session = db.session
    record = StepRecord(app)
    done = record.read()
    present = {step.name: step.exists(session) for step in STEP_CHECKS}
    session.rollback()  # end the read transaction: the steps open their own
    if done is not None and not any(present.values()):
        done = None  # the database was made anew (deleted, as the refusal says): start over
    if done is None:
        have = [step for step in STEP_CHECKS if present[step.name]]
        needed = [step for step in STEP_CHECKS if not step.optional]
        if have and all(present[step.name] for step in needed):
            # Made before the steps were recorded, and complete: adopt it as it is.
            done = [step.name for step in have]
        elif have:  # a partial demo of before the record: the last step it reached stopped
            raise _stopped_midway(app, have[-1])
        else:
            done = []
        _write_record(app, record, done, None)  # before any data: a crash leaves a record
    for step in STEP_CHECKS:
        if step.name in done and not step.refresh:
            continue
        if step.name not in done and step.exists(session):
            session.rollback()
            raise _stopped_midway(app, step)
        session.rollback()
        try:
            _resolve(step.function)(app)
        except Exception as error:
            try:
                db.session.rollback()
            except Exception:  # noqa: BLE001 - the database may be gone with the disk
                pass
            reason = ("hết dung lượng đĩa" if _disk_full(error)
                      else f"{type(error).__name__}: {error}")
            raise click.ClickException(
                f"Tạo dữ liệu mẫu «{step.label}» không thành công ({reason}); dữ liệu mẫu còn "
                f"dở dang. Giải phóng dung lượng đĩa nếu cần, {_start_over(app)}") from error
        session = db.session
        if step.name not in done and step.exists(session):
            # Recorded only with its data: a step that made nothing (the exchange demo
            # without EXCHANGE_ORGAN_ID) is tried again next time.
            done.append(step.name)
            _write_record(app, record, done, step)
        session.rollback()
