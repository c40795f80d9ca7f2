"""People in the agency as the network administrator keeps them (Art. 10.1a, 10.3, 5.2):

- "Nhập người dùng từ Excel": a blank template (.xlsx, with a second sheet listing the units,
  positions and roles the file may name) → upload → preview, row by row, of what will be
  created or why not → confirm: every row is checked again and the valid ones are created in
  one transaction (`import_people`), each with a temporary password shown once on the answer
  to that POST (never stored in clear, never in a GET, not in the cookie session: only its
  hash is kept, and the person must change it at the first login).
- "Tài khoản không hoạt động": the active accounts whose last login is older than N days (or
  who never logged in), paged in SQL, and its export (.xlsx, in the audit trail).

The uploaded file waits between the preview and the confirmation where the other imports keep
theirs (app.core.upload_store: the data folder, only its owner reaches it, deleted after the
import, everything after a day); it is read by the same reader (app.core.sheets: .xlsx
streamed in read-only mode with cached values only, never formulas; damaged or renamed files
refused in Vietnamese; TCVN3/VNI text converted to Unicode)."""
import difflib
import io
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.sqla.models import Group, Role
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.security import generate_password_hash

from app.audit.services import record
from app.core.db import unit_of_work
from app.core.downloads import send_download
from app.core.errors import DomainError
from app.core.files import OLE_MAGIC
from app.core.text import fold, nfc
from app.core.timefmt import format_datetime, utcnow
from app.core.xlsx import MIMETYPE, append_row, send_spreadsheet
from app.core.views import method_permissions
from app.extensions import db
from app.core import upload_store as store
from app.core.sheets import HEADER_SCAN, Table, text_of
from app.security.access import role_names
from app.security.permissions import account_duties_problem
from app.org.models import Department, EofficeUser, Position
from app.security import accounts

KIND = "users"  # the uploads' kind in app.core.upload_store
MAX_ROWS = 200  # people per file: each temporary password is hashed (scrypt, ~0.1 s each)
MAX_BYTES = 5 * 1024 * 1024
SUGGESTIONS = 3  # close matches offered for an unknown unit, position or role
PAGE_SIZE = 50
DEFAULT_DAYS, MAX_DAYS = 30, 3650
EXPORT_LIMIT = 50_000
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
ROLE_SEPARATORS = re.compile(r"[;,\n]")
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no i, l, o, 0, 1: read aloud, typed


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    aliases: tuple  # headers as app.core.text.fold makes them
    required: bool = False
    limit: int | None = None


COLUMNS = [
    Column("last_name", _l("Họ và tên đệm"), ("ho va ten dem", "ho dem", "ho va dem", "ho"),
           required=True, limit=64),
    Column("first_name", _l("Tên"), ("ten",), required=True, limit=64),
    Column("username", _l("Tên đăng nhập"), ("ten dang nhap", "tai khoan", "username"),
           required=True, limit=64),
    Column("department", _l("Đơn vị"), ("don vi", "ma don vi", "phong ban", "don vi (ma hoac ten)"),
           limit=200),
    Column("position", _l("Chức vụ"), ("chuc vu",), limit=100),
    Column("roles", _l("Vai trò"), ("vai tro", "nhom quyen"), required=True),
    Column("email", _l("Thư điện tử"), ("thu dien tu", "email", "e-mail", "dia chi thu dien tu"),
           required=True, limit=320),
    Column("phone", _l("Điện thoại"), ("dien thoai", "so dien thoai"), limit=30),
]
TEMPLATE_HEADERS = [str(c.label) for c in COLUMNS]


# ---------------------------------------------------------------- reading and checking

@dataclass
class Row:
    line: int
    shown: dict
    errors: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    department: object = None
    position: object = None
    roles: list = field(default_factory=list)
    action: str = "add"

    def error(self, message):
        self.errors.append(str(message))

    @property
    def username(self):
        return self.values.get("username")


@dataclass
class Analysis:
    rows: list = field(default_factory=list)
    converted: int = 0

    @property
    def valid(self):
        return [row for row in self.rows if not row.errors]

    @property
    def error_count(self):
        return sum(1 for row in self.rows if row.errors)


class PreviewChanged(DomainError):
    """The rows valid now are not those of the preview the administrator confirmed."""

    def __init__(self, message, analysis):
        super().__init__(message)
        self.analysis = analysis


class Catalog:
    """Units, positions or roles by folded name (and code): the row, or None and the names
    close to what was typed (accent- and case-insensitive)."""

    def __init__(self, items, names, keys=None):
        self.by_key, self.names = {}, {}
        for item in items:
            for key in [names(item)] + list(keys(item) if keys else []):
                if key:
                    self.by_key.setdefault(fold(key), item)
            self.names[fold(names(item))] = names(item)

    def get(self, text):
        return self.by_key.get(fold(text))

    def close(self, text):
        folded = fold(text)
        found = [self.names[k] for k in self.names if folded and (folded in k or k in folded)]
        found += [self.names[k] for k in difflib.get_close_matches(folded, self.names,
                                                                   n=SUGGESTIONS, cutoff=0.6)]
        return list(dict.fromkeys(found))[:SUGGESTIONS]


def _unknown(row, what, value, catalog):
    close = catalog.close(value)
    if close:
        row.error(_l("Không có %(what)s «%(value)s». Có phải: %(close)s?", what=what,
                     value=value, close=", ".join(f"«{name}»" for name in close)))
    else:
        row.error(_l("Không có %(what)s «%(value)s».", what=what, value=value))


def find_columns(table: Table) -> tuple[int, dict]:
    """(line, {column key: index}) of the header row: among the first rows, the one naming
    the most columns; DomainError when a required column is missing."""
    best = None
    for line, cells in table.rows():
        mapping = {}
        for index, cell in enumerate(cells):
            header = fold(text_of(cell)).rstrip(" *:")
            for column in COLUMNS:
                if column.key not in mapping and header in column.aliases:
                    mapping[column.key] = index
                    break
        if mapping and (best is None or len(mapping) > len(best[1])):
            best = (line, mapping)
        if line >= HEADER_SCAN:
            break
    if best is None:
        raise DomainError(_l("Không tìm thấy dòng tiêu đề (%(headers)s): hãy dùng tệp mẫu.",
                             headers=", ".join(TEMPLATE_HEADERS)))
    missing = [str(c.label) for c in COLUMNS if c.required and c.key not in best[1]]
    if missing:
        raise DomainError(_l("Tệp thiếu cột: %(columns)s. Hãy dùng tệp mẫu.",
                             columns=", ".join(f"«{m}»" for m in missing)))
    return best


def analyse(session, table: Table) -> Analysis:
    """Every row after the header, checked against the rules, the other rows of the file and
    the database. Nothing is written."""
    header_line, mapping = find_columns(table)
    analysis = Analysis()
    for line, cells in table.rows():
        if line <= header_line:
            continue
        values = {key: nfc(text_of(cells[index])) if index < len(cells) else ""
                  for key, index in mapping.items()}
        if not any(values.values()):
            continue
        if len(analysis.rows) >= MAX_ROWS:
            raise DomainError(_l("Tệp có hơn %(max)s người: chia thành nhiều tệp nhỏ hơn.",
                                 max=MAX_ROWS))
        analysis.rows.append(Row(line=line, shown=dict(values), values=values))
    if not analysis.rows:
        raise DomainError(_l("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề."))
    _check(session, analysis.rows)
    analysis.converted = table.converted
    return analysis


def _check(session, rows):
    departments = Catalog(session.scalars(select(Department)), lambda d: d.name,
                          lambda d: [d.code])
    positions = Catalog(session.scalars(select(Position)), lambda p: p.name)
    public = current_app.appbuilder.sm.auth_role_public
    roles = Catalog([r for r in session.scalars(select(Role)) if r.name != public],
                    lambda r: r.name)
    for row in rows:  # the address as it is stored (the domain in lower case)
        email = row.values.get("email", "")
        if email:
            try:
                row.values["email"] = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                row.error(_l("Thư điện tử «%(email)s» không hợp lệ.", email=email))
                row.values["email"] = ""
    usernames = {row.username.lower() for row in rows if row.username}
    emails = {row.values["email"].lower() for row in rows if row.values.get("email")}
    taken_names = set(session.scalars(select(func.lower(EofficeUser.username)).where(
        func.lower(EofficeUser.username).in_(usernames)))) if usernames else set()
    taken_emails = set(session.scalars(select(func.lower(EofficeUser.email)).where(
        func.lower(EofficeUser.email).in_(emails)))) if emails else set()
    seen_names, seen_emails = {}, {}
    for row in rows:
        values = row.values
        for column in COLUMNS:
            text = row.shown.get(column.key, "")
            if column.required and not text:
                row.error(_l("Thiếu «%(column)s».", column=column.label))
            elif column.limit and len(text) > column.limit:
                row.error(_l("«%(column)s» dài quá %(limit)s ký tự.", column=column.label,
                             limit=column.limit))
        username = values.get("username", "")
        if username:
            if not USERNAME.fullmatch(username):
                row.error(_l("Tên đăng nhập «%(name)s» không hợp lệ: từ 2 đến 64 ký tự, chỉ gồm "
                             "chữ không dấu, chữ số và . _ -", name=username))
            elif username.lower() in seen_names:
                row.error(_l("Tên đăng nhập «%(name)s» trùng với dòng %(line)s của tệp.",
                             name=username, line=seen_names[username.lower()]))
            elif username.lower() in taken_names:
                row.error(_l("Tên đăng nhập «%(name)s» đã có người dùng.", name=username))
            seen_names.setdefault(username.lower(), row.line)
        email = values.get("email", "")
        if email:
            if email.lower() in seen_emails:
                row.error(_l("Thư điện tử «%(email)s» trùng với dòng %(line)s của tệp.",
                             email=email, line=seen_emails[email.lower()]))
            elif email.lower() in taken_emails:
                row.error(_l("Thư điện tử «%(email)s» đã dùng cho một tài khoản khác.",
                             email=email))
            seen_emails.setdefault(email.lower(), row.line)
        unit = values.get("department", "")
        if unit:
            row.department = departments.get(unit)
            if row.department is None:
                _unknown(row, _l("đơn vị"), unit, departments)
            elif not row.department.active:
                row.error(_l("Đơn vị «%(unit)s» đã ngừng hoạt động.", unit=row.department.name))
        position = values.get("position", "")
        if position:
            row.position = positions.get(position)
            if row.position is None:
                _unknown(row, _l("chức vụ"), position, positions)
        names = [nfc(n).strip() for n in ROLE_SEPARATORS.split(values.get("roles", ""))]
        for name in dict.fromkeys(n for n in names if n):
            role = roles.get(name)
            if role is not None:
                if role not in row.roles:
                    row.roles.append(role)
            elif fold(name) == fold(public):
                row.error(_l("Vai trò «%(role)s» dành cho khách chưa đăng nhập, không gán cho "
                             "người dùng.", role=public))
            else:
                _unknown(row, _l("vai trò"), name, roles)
        problem = account_duties_problem(row.roles)
        if problem:
            row.error(problem)


# ---------------------------------------------------------------- creating the accounts

def temporary_password(inputs=()) -> str:
    """Four groups of four letters and digits (about 79 bits), easy to read out and type,
    acceptable to the password policy; changed at the first login."""
    for _attempt in range(20):
        password = "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4))
                            for _group in range(4))
        if accounts.check_password(password, inputs) is None:
            return password
    raise RuntimeError("no acceptable temporary password")  # pragma: no cover


def _hashes(passwords):
    """The passwords hashed as Flask-AppBuilder hashes them (its settings), several at once:
    scrypt leaves the interpreter's lock while it works."""
    config = current_app.config
    method = config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")
    salt = config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16)
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda p: generate_password_hash(p, method=method,
                                                              salt_length=salt), passwords))


def import_people(session, table: Table, filename: str, expected: list) -> tuple:
    """Check the file again and create its valid rows in one transaction (all or none), each
    with a temporary password (must_change_password). `expected`: the usernames the preview
    showed as valid; if they differ now, PreviewChanged (nothing created). Returns (analysis,
    [(user, temporary password)])."""
    session.rollback()  # a fresh transaction: the checks and the writes see the same data
    with unit_of_work(session, _l(
            "Nhập không thành công (dữ liệu vừa bị thay đổi bởi người khác). Chưa tạo tài "
            "khoản nào; vui lòng thử lại."), log="people import failed"):
        analysis = analyse(session, table)
        valid = analysis.valid
        if [row.username for row in valid] != list(expected):
            raise PreviewChanged(_l(
                "Dữ liệu đã thay đổi từ lúc xem trước (tệp khác, hoặc có người vừa tạo tài "
                "khoản trùng). Chưa tạo tài khoản nào: xem lại bản xem trước dưới đây rồi xác "
                "nhận lại."), analysis)
        if not valid:
            raise DomainError(_l("Không có dòng hợp lệ để tạo tài khoản."))
        session.rollback()  # no transaction held open while the passwords are hashed
        passwords = [temporary_password([row.username, row.values["first_name"],
                                         row.values["last_name"], row.values["email"]])
                     for row in valid]
        hashes = _hashes(passwords)
        sm = current_app.appbuilder.sm
        created = []
        for row, password, hashed in zip(valid, passwords, hashes, strict=True):
            user = sm.add_user(row.username, row.values["first_name"], row.values["last_name"],
                               row.values["email"], role=list(row.roles),
                               hashed_password=hashed, commit=False)
            if not user:  # FAB logged the error and rolled back
                raise DomainError(_l("Không tạo được tài khoản «%(name)s». Chưa tạo tài khoản "
                                     "nào; vui lòng thử lại.", name=row.username))
            user.department, user.position = row.department, row.position
            user.phone = row.values.get("phone") or None
            user.must_change_password = True  # Art. 3: the first password is temporary
            created.append((user, password))
        summary = _l("Nhập người dùng từ tệp «%(file)s»: tạo %(created)s tài khoản, bỏ qua "
                     "%(errors)s dòng lỗi.", file=filename, created=len(created),
                     errors=analysis.error_count)
        record(session, "import", object_type="ab_user", summary=summary)
    return analysis, created


# ---------------------------------------------------------------- inactive accounts

def inactive_query(days: int):
    """Active accounts whose last login is older than `days` days, or who never logged in;
    those who never did first, then the longest idle."""
    since = utcnow() - timedelta(days=days)
    return (select(EofficeUser)
            .where(EofficeUser.active.is_(True),
                   or_(EofficeUser.last_login.is_(None), EofficeUser.last_login < since)))


def inactive_people(session, days: int, limit: int, offset: int = 0) -> tuple[int, list]:
    query = inactive_query(days)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    people = list(session.scalars(
        query.options(joinedload(EofficeUser.department), joinedload(EofficeUser.position),
                      selectinload(EofficeUser.roles),
                      selectinload(EofficeUser.groups).selectinload(Group.roles))
        .order_by(EofficeUser.last_login.is_not(None), EofficeUser.last_login,
                  EofficeUser.username)
        .limit(limit).offset(offset)).unique())
    return total, people


def never_logged_in():
    return _("Chưa đăng nhập lần nào")


def full_name(user):
    return " ".join(p for p in (user.last_name, user.first_name) if p)


def roles_text(user):
    """The person's roles, their groups' included, for a list."""
    return ", ".join(sorted(role_names(user)))


# ---------------------------------------------------------------- pages

def _days(value) -> tuple[int, str | None]:
    """N from the query string: (days, problem)."""
    if value in (None, ""):
        return DEFAULT_DAYS, None
    text = str(value).strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_DAYS:
        return DEFAULT_DAYS, _("Số ngày phải là số nguyên từ 1 đến %(max)s; đang dùng %(n)s "
                               "ngày.", max=MAX_DAYS, n=DEFAULT_DAYS)
    return int(text), None


def _max_bytes():
    return min(current_app.config.get("IMPORT_MAX_BYTES", MAX_BYTES), MAX_BYTES)


def read_table(data: bytes, filename: str) -> Table:
    """The uploaded workbook (app.core.sheets); a workbook with a password to open is
    an encrypted OLE container, said as such rather than as an old .xls."""
    if data.startswith(OLE_MAGIC) and "EncryptionInfo".encode("utf-16-le") in data:
        raise DomainError(_l("Tệp đang được đặt mật khẩu: mở bằng Excel, gỡ mật khẩu rồi lưu "
                             "lại và tải lên."))
    return Table(data, filename, max_bytes=_max_bytes())


class PeopleView(BaseView):
    route_base = "/people"
    class_permission_name = "People"
    method_permission_name = method_permissions(read=("inactive", "export"),
                                                write=("upload", "confirm", "template"))
    default_view = "inactive"

    def _render_upload(self, problems=(), status=200):
        return self.render_template(
            "security/people_upload.html", title=_("Nhập người dùng từ Excel"),
            form=FlaskForm(), problems=problems, max_rows=MAX_ROWS,
            max_mb=_max_bytes() // (1024 * 1024)), status

    def _render_preview(self, token, filename, analysis, warning=None, status=200):
        return self.render_template(
            "security/people_preview.html", title=_("Xem trước người dùng sẽ tạo"),
            form=FlaskForm(), token=token, filename=filename, analysis=analysis,
            columns=COLUMNS, actions={"add": _("Sẽ tạo")}, warning=warning), status

    @expose("/import/", methods=["GET", "POST"])
    @has_access
    def upload(self):
        """GET: the form. POST: the file is read and checked, and kept for the confirmation;
        the answer is the preview (nothing is created)."""
        if request.method == "GET":
            return self._render_upload()
        if not FlaskForm().validate():
            abort(400)
        upload = request.files.get("file")
        data = upload.read(_max_bytes() + 1) if upload and upload.filename else b""
        if not data:
            return self._render_upload([_("Chọn tệp Excel (.xlsx) cần nhập.")], 422)
        filename = upload.filename
        if not filename.lower().endswith(".xlsx"):
            return self._render_upload([_("Chỉ nhận tệp Excel (.xlsx): hãy dùng tệp mẫu.")], 422)
        try:
            analysis = analyse(db.session, read_table(data, filename))
        except DomainError as error:
            return self._render_upload([str(error)], 422)
        finally:
            db.session.rollback()  # the checks wrote nothing; end the read transaction
        token = store.save(g.user, KIND, filename, data)
        store.update(token, {"expected": [row.username for row in analysis.valid]})
        return self._render_preview(token, filename, analysis)

    @expose("/import/confirm", methods=["POST"])
    @has_access
    def confirm(self):
        """Create the valid rows; the answer shows the temporary passwords, once."""
        form = FlaskForm()
        if not form.validate():
            abort(400)
        token = request.form.get("token", "")
        meta = store.load(g.user, token)
        if meta is None or meta.get("kind") != KIND:
            flash(_("Tệp đã hết hạn hoặc không tìm thấy; tải tệp lên lại."), "warning")
            return redirect(url_for(".upload"))
        if meta.get("result"):
            flash(_("Tệp này đã được nhập (mật khẩu tạm chỉ hiện một lần, ngay sau khi tạo). "
                    "Nếu cần, đặt lại mật khẩu từng người trong danh sách người dùng."),
                  "warning")
            return redirect(url_for(".upload"))
        data = store.data_of(token)
        if data is None:
            flash(_("Tệp đã hết hạn hoặc không tìm thấy; tải tệp lên lại."), "warning")
            return redirect(url_for(".upload"))
        try:
            analysis, created = import_people(
                db.session, read_table(data, meta["filename"]),
                meta["filename"], meta.get("expected", []))
        except PreviewChanged as changed:
            store.update(token, {"expected": [row.username for row in changed.analysis.valid]})
            return self._render_preview(token, meta["filename"], changed.analysis,
                                        warning=str(changed), status=409)
        except DomainError as error:
            return self._render_upload([str(error)], 422)
        store.finish(token, {"created": [user.username for user, _p in created],
                             "errors": analysis.error_count})
        response = current_app.make_response(self.render_template(
            "security/people_result.html", title=_("Kết quả nhập người dùng"),
            filename=meta["filename"], created=created, analysis=analysis, columns=COLUMNS,
            full_name=full_name, roles_text=roles_text))
        response.headers["Cache-Control"] = "no-store"  # the passwords: not kept by browsers
        return response

    @expose("/import/template.xlsx")
    @has_access
    def template(self):
        """The blank sheet with its headers, and a second sheet naming what the file may
        use: the units (code and name), the positions and the roles."""
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Người dùng"
        append_row(sheet, TEMPLATE_HEADERS)
        for index, width in enumerate([22, 12, 18, 28, 22, 30, 30, 16], start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        catalog = workbook.create_sheet("Danh mục")
        session = db.session
        units = list(session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.sort_order, Department.name)))
        positions = list(session.scalars(select(Position).order_by(Position.sort_order,
                                                                   Position.name)))
        public = self.appbuilder.sm.auth_role_public
        roles = [r.name for r in session.scalars(select(Role).order_by(Role.name))
                 if r.name != public]
        append_row(catalog, [_("Mã đơn vị"), _("Tên đơn vị"), _("Chức vụ"), _("Vai trò")])
        for index in range(max(len(units), len(positions), len(roles))):
            unit = units[index] if index < len(units) else None
            append_row(catalog, [unit.code if unit else None, unit.name if unit else None,
                                 positions[index].name if index < len(positions) else None,
                                 roles[index] if index < len(roles) else None])
        for index, width in enumerate([14, 40, 28, 24], start=1):
            catalog.column_dimensions[get_column_letter(index)].width = width
        buffer = io.BytesIO()
        workbook.save(buffer)
        return send_download(data=buffer.getvalue(), mimetype=MIMETYPE,
                             filename="Mẫu nhập người dùng.xlsx",
                             object_type="import_template", object_id=KIND)

    @expose("/inactive/")
    @has_access
    def inactive(self):
        """Art. 5.2: who has not logged in for N days, the longest idle first."""
        days, problem = _days(request.args.get("days"))
        page = max(request.args.get("page", 0, type=int), 0)
        total, people = inactive_people(db.session, days, PAGE_SIZE, page * PAGE_SIZE)
        return self.render_template(
            "security/people_inactive.html", title=_("Tài khoản không hoạt động"),
            days=days, problem=problem, people=people, total=total, page=page,
            has_next=(page + 1) * PAGE_SIZE < total, full_name=full_name,
            roles_text=roles_text, never=never_logged_in())

    @expose("/inactive/export")
    @has_access
    def export(self):
        """The same list as .xlsx (in the audit trail, app.core.downloads)."""
        days, _problem = _days(request.args.get("days"))
        _total, people = inactive_people(db.session, days, EXPORT_LIMIT)
        title = _("Tài khoản không đăng nhập trong %(n)s ngày", n=days)
        never = never_logged_in()
        rows = ([full_name(p), p.username, p.department.name if p.department else "",
                 p.position.name if p.position else "", roles_text(p),
                 p.last_login or never] for p in people)
        return send_spreadsheet(
            filename=f"{title}.xlsx", object_type="ab_user", name=title,
            cover=[current_app.config["AGENCY_NAME"].upper(), title.upper(),
                   _("Xuất lúc %(at)s", at=format_datetime(utcnow()))],
            tables=[([_("Họ và tên"), _("Tên đăng nhập"), _("Đơn vị"), _("Chức vụ"),
                      _("Vai trò"), _("Đăng nhập lần cuối")], rows)],
            widths=[26, 18, 30, 20, 30, 20])


def register_views(appbuilder):
    appbuilder.add_view(PeopleView, "ImportUsers", label=_l("Nhập người dùng từ Excel"),
                        icon="fa-file-import", category="Security",
                        category_label=_l("Quản trị hệ thống"), href="/people/import/")
    appbuilder.add_link("InactiveUsers", label=_l("Tài khoản không hoạt động"),
                        href="/people/inactive/", icon="fa-user-clock", category="Security")
