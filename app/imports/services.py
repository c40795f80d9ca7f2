"""Import from spreadsheets (issue 9, part 8): a paper register (incoming or outgoing) or a
catalog (agencies, signers) typed in Excel or saved as CSV.

upload → map the columns (guessed from the Vietnamese headers) → preview with the errors of
each row → confirm: every row is read and checked again inside one transaction and the valid
rows are written together; if anything fails while writing, nothing is saved.

Register rows are historical entries: they keep the numbers and dates of the paper book, go
into the year's main register (created when missing, named as app.catalogs.seed_data names
them), must not collide with numbers already in it, and raise its counter so that later
registrations continue after them."""
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import record
from app.catalogs.models import (
    Agency, DocumentType, Register, SecrecyLevel, Signer, UrgencyLevel, check_authority,
    check_electronic_id,
)
from app.catalogs.seed_data import registers_for
from app.core.db import unit_of_work
from app.core.errors import DomainError
from app.core.text import fold, nfc, number_symbol_key
from app.core.timefmt import local_now, local_to_utc
from app.documents.models import COMPLETED, IncomingDocument, IncomingEvent
from app.documents.numbering import raise_counter
from app.core.sheets import HEADER_SCAN, Table, parse_datetime, parse_int, text_of
from app.org.models import Department

MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 200  # the first rows shown in the preview (the error rows are shown as well)
ERROR_ROWS = 2000  # error rows listed at most
BATCH = 500  # rows per database check and per flush
OLDEST_YEAR = 1945


@dataclass(frozen=True)
class Column:
    key: str
    label: object
    aliases: tuple = ()  # folded headers ("so den"), see header_key()
    required: bool = False
    limit: int | None = None  # characters


@dataclass
class Row:
    line: int
    shown: dict  # key → the cell as text, for the preview
    clean: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    action: str = "add"

    def error(self, message):
        self.errors.append(str(message))


ACTIONS = {"add": _l("Thêm mới"), "update": _l("Cập nhật"), "same": _l("Đã có, bỏ qua")}


@dataclass
class Analysis:
    total: int = 0
    rows: list = field(default_factory=list)  # the first PREVIEW_ROWS
    error_rows: list = field(default_factory=list)
    error_count: int = 0
    valid: list = field(default_factory=list)
    actions: Counter = field(default_factory=Counter)
    notes: list = field(default_factory=list)
    converted: int = 0


def number(value: int) -> str:
    """1234 → '1.234' (thousands separated by a dot)."""
    return f"{value:,}".replace(",", ".")


def header_key(text) -> str:
    """'Số, ký hiệu' → 'so ky hieu': headers compared without case, marks or punctuation."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text_of(text))))


class Lookup:
    """Catalog rows by folded name, short name or code; a key two rows share finds none."""
    _AMBIGUOUS = object()

    def __init__(self):
        self._rows = {}

    def add(self, key, row):
        key = fold(key or "")
        if key:
            known = self._rows.get(key, row)
            self._rows[key] = row if known is row else self._AMBIGUOUS

    def get(self, key):
        row = self._rows.get(fold(text_of(key)))
        return None if row is self._AMBIGUOUS else row


def _agencies(session) -> Lookup:
    lookup = Lookup()
    for agency in session.scalars(select(Agency)):
        for key in (agency.name, agency.short_name, agency.electronic_id, agency.legacy_code):
            lookup.add(key, agency)
    return lookup


# ---------------------------------------------------------------- importers

class Importer:
    """One kind of file: its columns, the checks of a row (parse), the checks against the
    database of a batch of rows (check) and the writing (save)."""
    key = label = object_type = ""
    columns: list[Column] = []

    def __init__(self, session, user, options: dict):
        self.session, self.user, self.options = session, user, options
        self.seen = {}  # in-file uniqueness: key → line

    def parse(self, row: Row, values: dict) -> None:
        for column in self.columns:
            value = values.get(column.key)
            text = text_of(value)
            if column.required and not text:
                row.error(_l("Thiếu «%(column)s».", column=column.label))
            elif column.limit and len(text) > column.limit:
                row.error(_l("«%(column)s» dài quá %(limit)s ký tự.", column=column.label,
                             limit=column.limit))
            row.clean[column.key] = text or None
        if not row.errors:
            self.parse_row(row, values)

    def parse_row(self, row: Row, values: dict) -> None:
        raise NotImplementedError

    def unique(self, row: Row, key, message) -> None:
        """The key was already used by an earlier row of the file."""
        if key in self.seen:
            row.error(_l("%(what)s trùng với dòng %(line)s của tệp.", what=message,
                         line=self.seen[key]))
        else:
            self.seen[key] = row.line

    def check(self, rows: list[Row]) -> None:
        """Checks against the database, for a batch of rows without errors."""

    def notes(self, valid: list[Row]) -> list[str]:
        return []

    def save(self, rows: list[Row], progress) -> None:
        raise NotImplementedError

    def summary(self, count: int) -> str:
        return str(_l("%(count)s dòng", count=count))


class TypeResolver:
    """Loại văn bản from its own column, or from the start of the excerpt as paper registers
    write it ("Quyết định: về việc …", "Kế hoạch tổ chức …"), else Công văn."""

    def __init__(self, session):
        self.types = Lookup()
        self.by_length = sorted(session.scalars(select(DocumentType)),
                                key=lambda t: -len(t.name))
        for document_type in self.by_length:
            self.types.add(document_type.name, document_type)
            self.types.add(document_type.abbreviation, document_type)
        self.default = self.types.get("Công văn") or (self.by_length[-1] if self.by_length
                                                      else None)

    def resolve(self, row: Row, type_text, excerpt: str):
        if type_text:
            found = self.types.get(type_text)
            if found is None:
                row.error(_l("Loại văn bản «%(value)s» không có trong danh mục.",
                             value=type_text))
            return found, excerpt
        head, colon, tail = excerpt.partition(":")
        if colon and self.types.get(head) and tail.strip():
            return self.types.get(head), tail.strip()
        folded = fold(excerpt)
        for document_type in self.by_length:
            if folded.startswith(fold(document_type.name) + " "):
                return document_type, excerpt
        return self.default, excerpt


class RegisterImporter(Importer):
    """Shared by the incoming and outgoing registers: dates, numbers in the year's register,
    urgency, type; the register is created and its counter raised when saving."""
    direction = ""
    document_model = None

    def __init__(self, session, user, options):
        super().__init__(session, user, options)
        self.type_resolver = TypeResolver(session)
        self.urgencies = Lookup()
        levels = list(session.scalars(select(UrgencyLevel).order_by(UrgencyLevel.priority)))
        for urgency in levels:
            self.urgencies.add(urgency.name, urgency)
        self.default_urgency = levels[0] if levels else None
        self.secrecy = session.scalar(select(SecrecyLevel).order_by(SecrecyLevel.level))
        self.registers = {}

    def register_name(self, year):
        return next(name for direction, name, secret in registers_for(year)
                    if direction == self.direction and not secret)

    def register(self, year, create=False):
        if year not in self.registers or (create and self.registers[year] is None):
            register = self.session.scalar(select(Register).where(
                Register.direction == self.direction, Register.year == year,
                Register.name == self.register_name(year)))
            if register is None and create:
                register = Register(direction=self.direction, year=year, is_secret=False,
                                    name=self.register_name(year))
                self.session.add(register)
                self.session.flush()
            self.registers[year] = register
        return self.registers[year]

    @staticmethod
    def parse_date(row: Row, value, label):
        try:
            moment = parse_datetime(value)
        except ValueError as error:
            row.error(_l("%(column)s: %(problem)s.", column=label, problem=str(error)))
            return None
        if moment > local_now():
            row.error(_l("%(column)s %(date)s ở tương lai.", column=label,
                         date=moment.strftime("%d/%m/%Y")))
        elif moment.year < OLDEST_YEAR:
            row.error(_l("%(column)s %(date)s quá cũ.", column=label,
                         date=moment.strftime("%d/%m/%Y")))
        return moment

    def common(self, row: Row):
        """Type, excerpt and urgency of a register row."""
        clean = row.clean
        clean["document_type"], clean["excerpt"] = self.type_resolver.resolve(
            row, clean.get("document_type"), clean["excerpt"])
        urgency = clean.get("urgency")
        clean["urgency"] = self.urgencies.get(urgency) if urgency else self.default_urgency
        if clean["urgency"] is None:
            row.error(_l("Độ khẩn «%(value)s» không có trong danh mục.", value=urgency))

    @staticmethod
    def number(row: Row, value, label):
        try:
            number = parse_int(value)
        except ValueError:
            number = 0
        if not 0 < number < 10_000_000:
            row.error(_l("%(column)s «%(value)s» phải là số nguyên dương.", column=label,
                         value=text_of(value)))
        return number

    def existing_numbers(self, rows, number_attr):
        """{(year, number)} already in the year's register, for the numbers of the rows."""
        taken = set()
        for year in {row.clean["year"] for row in rows}:
            register = self.register(year)
            if register is None:
                continue
            numbers = [row.clean["number"] for row in rows if row.clean["year"] == year]
            model = self.document_model
            year_column = model.arrival_year if model is IncomingDocument else model.year
            taken |= {(year, n) for n in self.session.scalars(select(number_attr).where(
                model.register_id == register.id, year_column == year,
                number_attr.in_(numbers)))}
        return taken

    def notes(self, valid):
        notes = []
        for year in sorted({row.clean["year"] for row in valid}):
            count = sum(1 for row in valid if row.clean["year"] == year)
            register = self.register(year)
            if register is None:
                notes.append(_l("%(count)s văn bản vào «%(name)s» năm %(year)s (sổ sẽ được tạo).",
                                count=count, name=self.register_name(year), year=year))
            else:
                notes.append(_l("%(count)s văn bản vào «%(name)s» năm %(year)s.",
                                count=count, name=register.name, year=year))
        return [str(n) for n in notes]

    def save(self, rows, progress):
        for year in sorted({row.clean["year"] for row in rows}):
            register = self.register(year, create=True)
            raise_counter(self.session, register.id, year,
                          max(row.clean["number"] for row in rows if row.clean["year"] == year))
        for index, row in enumerate(rows, start=1):
            self.save_row(row, self.register(row.clean["year"]))
            if index % BATCH == 0:
                self.session.flush()
                progress(index, len(rows))
        self.session.flush()

    def save_row(self, row, register):
        raise NotImplementedError


class IncomingImporter(RegisterImporter):
    key, label, object_type = "incoming", _l("Sổ đăng ký văn bản đến"), "incoming_document"
    direction, document_model = "in", IncomingDocument
    columns = [
        Column("arrival_number", _l("Số đến"), ("so den",), required=True),
        Column("arrival_date", _l("Ngày đến"), ("ngay den", "ngay gio den"), required=True),
        Column("agency", _l("Cơ quan ban hành"), ("co quan ban hanh", "tac gia", "noi gui",
                                                   "co quan gui", "noi ban hanh"),
               required=True, limit=200),
        Column("number_symbol", _l("Số, ký hiệu"), ("so ky hieu", "so va ky hieu",
                                                     "so ky hieu van ban"),
               required=True, limit=60),
        Column("document_date", _l("Ngày văn bản"), ("ngay van ban", "ngay thang",
                                                      "ngay thang van ban", "ngay ban hanh"),
               required=True),
        Column("document_type", _l("Loại văn bản"), ("loai van ban", "ten loai")),
        Column("excerpt", _l("Trích yếu"), ("trich yeu", "trich yeu noi dung",
                                             "ten loai va trich yeu noi dung"),
               required=True, limit=1000),
        Column("signer_name", _l("Người ký"), ("nguoi ky",), limit=100),
        Column("urgency", _l("Độ khẩn"), ("do khan",)),
        Column("recipients", _l("Đơn vị nhận"), ("don vi nhan", "don vi hoac nguoi nhan",
                                                  "nguoi nhan", "don vi nguoi nhan"),
               limit=500),
        Column("notes", _l("Ghi chú"), ("ghi chu",), limit=2000),
    ]

    def __init__(self, session, user, options):
        super().__init__(session, user, options)
        self.agencies = _agencies(session)
        self.new_agencies = {}  # folded name → (name, first line)

    def parse_row(self, row, values):
        clean = row.clean
        clean["number"] = self.number(row, values["arrival_number"], _l("Số đến"))
        arrival = self.parse_date(row, values["arrival_date"], _l("Ngày đến"))
        document_date = self.parse_date(row, values["document_date"], _l("Ngày văn bản"))
        if arrival and document_date and arrival.date() < document_date.date():
            row.error(_l("Ngày đến trước ngày văn bản."))
        clean["arrival_at"] = arrival
        clean["document_date"] = document_date.date() if document_date else None
        clean["year"] = arrival.year if arrival else None
        name = clean["agency"]
        clean["agency_row"] = self.agencies.get(name)
        if clean["agency_row"] is None:
            if self.options.get("create_agencies"):
                self.new_agencies.setdefault(fold(name), nfc(name))
            else:
                row.error(_l("Cơ quan ban hành «%(name)s» chưa có trong danh mục (tìm theo "
                             "tên, tên viết tắt, mã định danh): thêm vào danh mục Cơ quan "
                             "hoặc chọn «Tạo cơ quan mới» ở bước chọn cột.", name=name))
        clean["key"] = number_symbol_key(clean["number_symbol"])
        self.common(row)
        if row.errors:
            return
        self.unique(row, ("number", clean["year"], clean["number"]),
                    _l("Số đến %(n)s năm %(y)s", n=clean["number"], y=clean["year"]))
        self.unique(row, ("document", fold(name), clean["key"], clean["document_date"]),
                    _l("Văn bản (cùng cơ quan, số, ký hiệu và ngày)"))

    def check(self, rows):
        taken = self.existing_numbers(rows, IncomingDocument.arrival_number)
        keys = {row.clean["key"] for row in rows if row.clean["agency_row"] is not None}
        registered = {(d.agency_id, d.number_symbol_key, d.document_date): d
                      for d in self.session.scalars(select(IncomingDocument).where(
                          IncomingDocument.number_symbol_key.in_(keys)))} if keys else {}
        for row in rows:
            clean = row.clean
            if (clean["year"], clean["number"]) in taken:
                row.error(_l("Số đến %(n)s đã có trong «%(name)s» năm %(y)s.", n=clean["number"],
                             name=self.register(clean["year"]).name, y=clean["year"]))
            agency = clean["agency_row"]
            twin = agency and registered.get((agency.id, clean["key"], clean["document_date"]))
            if twin:
                row.error(_l("Văn bản này đã vào sổ (số đến %(n)s/%(y)s: cùng cơ quan ban hành, "
                             "số, ký hiệu và ngày văn bản).", n=twin.arrival_number or "—",
                             y=twin.arrival_year or ""))

    def notes(self, valid):
        notes = super().notes(valid)
        names = sorted({self.new_agencies[fold(row.clean["agency"])] for row in valid
                        if row.clean["agency_row"] is None})
        if names:
            notes.append(str(_l("Sẽ thêm %(count)s cơ quan mới vào danh mục: %(names)s.",
                                count=len(names), names="; ".join(names))))
        return notes

    def save(self, rows, progress):
        for row in rows:
            if row.clean["agency_row"] is None:
                folded = fold(row.clean["agency"])
                agency = self.agencies.get(folded)
                if agency is None:
                    agency = Agency(name=self.new_agencies[folded])
                    self.session.add(agency)
                    self.agencies.add(folded, agency)
                row.clean["agency_row"] = agency
        self.session.flush()
        super().save(rows, progress)

    def save_row(self, row, register):
        from app.documents.services import refresh_search_text

        clean = row.clean
        arrival = local_to_utc(clean["arrival_at"])
        document = IncomingDocument(
            state=COMPLETED, register_id=register.id, arrival_year=clean["year"],
            arrival_number=clean["number"], arrival_at=arrival, channel="paper",
            agency=clean["agency_row"], number_symbol=clean["number_symbol"],
            number_symbol_key=clean["key"], document_date=clean["document_date"],
            document_type=clean["document_type"], excerpt=clean["excerpt"],
            signer_name=clean["signer_name"], urgency=clean["urgency"], secrecy=self.secrecy,
            recipients=clean["recipients"], notes=clean["notes"], completed_at=arrival,
            created_by_id=self.user.id)
        document.events.append(IncomingEvent(
            actor_id=self.user.id, action="register", to_state=COMPLETED,
            note=str(_l("Nhập từ sổ giấy (tệp %(name)s)", name=self.options["filename"]))))
        refresh_search_text(document)
        self.session.add(document)


_NUMBER_SYMBOL = re.compile(r"^(?:s[oố]\s*[:.]?\s*)?(\d+)\s*/\s*(\S.*)$", re.IGNORECASE)


class OutgoingImporter(RegisterImporter):
    key, label, object_type = "outgoing", _l("Sổ đăng ký văn bản đi"), "outgoing_document"
    direction, document_model = "out", None
    columns = [
        Column("number_symbol", _l("Số, ký hiệu"), ("so ky hieu van ban", "so ky hieu",
                                                     "so va ky hieu", "so van ban"),
               required=True, limit=80),
        Column("issued_date", _l("Ngày văn bản"), ("ngay thang van ban", "ngay van ban",
                                                    "ngay ban hanh", "ngay thang"),
               required=True),
        Column("document_type", _l("Loại văn bản"), ("loai van ban", "ten loai")),
        Column("excerpt", _l("Trích yếu"), ("trich yeu", "trich yeu noi dung",
                                             "ten loai va trich yeu noi dung van ban",
                                             "ten loai va trich yeu noi dung"),
               required=True, limit=1000),
        Column("signer_name", _l("Người ký"), ("nguoi ky",), required=True, limit=100),
        Column("signer_position", _l("Chức vụ người ký"), ("chuc vu", "chuc vu nguoi ky"),
               limit=100),
        Column("recipients", _l("Nơi nhận"), ("noi nhan", "noi nhan van ban"), limit=2000),
        Column("archive_holder", _l("Đơn vị, người nhận bản lưu"),
               ("don vi nguoi nhan ban luu", "ban luu", "noi luu"), limit=200),
        Column("copies", _l("Số lượng bản"), ("so luong ban", "so ban")),
        Column("urgency", _l("Độ khẩn"), ("do khan",)),
        Column("notes", _l("Ghi chú"), ("ghi chu",), limit=2000),
    ]

    def __init__(self, session, user, options):
        from app.outgoing.models import OutgoingDocument

        super().__init__(session, user, options)
        self.document_model = OutgoingDocument
        self.signers = Lookup()
        for signer in session.scalars(select(Signer).where(Signer.active)):
            self.signers.add(signer.full_name, signer)
        self.recipients = _agencies(session)
        for department in session.scalars(select(Department)):
            self.recipients.add(department.name, department)
            self.recipients.add(department.code, department)

    def parse_row(self, row, values):
        clean = row.clean
        match = _NUMBER_SYMBOL.match(clean["number_symbol"])
        if match is None:
            row.error(_l("Số, ký hiệu «%(value)s» phải có dạng số/ký hiệu, ví dụ 15/QĐ-SNV.",
                         value=clean["number_symbol"]))
            return
        clean["number"] = int(match[1])
        if not 0 < clean["number"] < 10_000_000:
            row.error(_l("Số văn bản phải là số nguyên dương."))
        clean["symbol"] = match[2].strip()[:60]
        clean["number_symbol"] = f"{match[1]}/{clean['symbol']}"
        clean["key"] = number_symbol_key(clean["number_symbol"])
        issued = self.parse_date(row, values["issued_date"], _l("Ngày văn bản"))
        clean["issued_date"] = issued.date() if issued else None
        clean["year"] = issued.year if issued else None
        copies = clean.get("copies")
        try:
            clean["copies"] = parse_int(values["copies"]) if copies else None
        except ValueError:
            row.error(_l("Số lượng bản «%(value)s» phải là số nguyên.", value=copies))
        signer = self.signers.get(clean["signer_name"])
        clean["signer_authority"] = signer.authority if signer else ""
        if signer is not None:
            clean["signer_name"] = signer.full_name
            clean["signer_position"] = clean["signer_position"] or signer.position_title
        self.common(row)
        if row.errors:
            return
        self.unique(row, ("number", clean["year"], clean["number"]),
                    _l("Số %(n)s năm %(y)s", n=clean["number"], y=clean["year"]))
        self.unique(row, ("key", clean["year"], clean["key"]),
                    _l("Số, ký hiệu %(s)s năm %(y)s", s=clean["number_symbol"], y=clean["year"]))

    def check(self, rows):
        model = self.document_model
        taken = self.existing_numbers(rows, model.number)
        keys = set(self.session.execute(select(model.year, model.number_symbol_key).where(
            model.number_symbol_key.in_({row.clean["key"] for row in rows}))).all())
        for row in rows:
            clean = row.clean
            if (clean["year"], clean["number"]) in taken:
                row.error(_l("Số %(n)s đã có trong «%(name)s» năm %(y)s.", n=clean["number"],
                             name=self.register(clean["year"]).name, y=clean["year"]))
            elif (clean["year"], clean["key"]) in keys:
                row.error(_l("Số, ký hiệu %(s)s đã có trong năm %(y)s.",
                             s=clean["number_symbol"], y=clean["year"]))

    def save_row(self, row, register):
        from app.outgoing.models import (
            DISPATCHED, EXTERNAL, INTERNAL_UNIT, OutgoingDocument, OutgoingRecipient,
        )
        from app.outgoing.services import refresh_search_text

        clean = row.clean
        issued_at = local_to_utc(datetime.combine(clean["issued_date"], time.min))
        document = OutgoingDocument(
            register_id=register.id, year=clean["year"], number=clean["number"],
            symbol=clean["symbol"], number_symbol=clean["number_symbol"],
            number_symbol_key=clean["key"], issued_date=clean["issued_date"],
            place=current_app.config.get("ISSUE_PLACE", ""),
            document_type=clean["document_type"], excerpt=clean["excerpt"],
            urgency=clean["urgency"], secrecy=self.secrecy, signer_name=clean["signer_name"],
            signer_position=clean["signer_position"] or "",
            signer_authority=clean["signer_authority"], copies=clean["copies"],
            archive_holder=clean["archive_holder"], issued_by_id=self.user.id,
            issued_at=issued_at)
        unmatched = []
        for part in re.split(r"[;\n]+", clean["recipients"] or ""):
            part = part.strip(" -+•.")
            target = self.recipients.get(part) if part else None
            if isinstance(target, Agency):
                document.recipients.append(OutgoingRecipient(
                    kind=EXTERNAL, agency=target, status=DISPATCHED, dispatched_at=issued_at))
            elif isinstance(target, Department):
                document.recipients.append(OutgoingRecipient(
                    kind=INTERNAL_UNIT, department=target, status=DISPATCHED,
                    dispatched_at=issued_at, read_at=issued_at))
            elif part:
                unmatched.append(part)
        notes = [clean["notes"] or ""]
        if unmatched:  # "Như trên; Lưu: VT": kept as written
            notes.append(str(_l("Nơi nhận: %(places)s", places="; ".join(unmatched))))
        document.notes = "\n".join(n for n in notes if n) or None
        refresh_search_text(document)
        self.session.add(document)


class AgencyImporter(Importer):
    """Agencies: a row whose name (without case and marks) is already in the catalog updates
    that agency with the cells that are filled; others are added. An electronic ID that
    belongs to another agency is an error (renaming is done in the catalog itself)."""
    key, label, object_type = "agencies", _l("Danh mục cơ quan"), "agency"
    columns = [
        Column("name", _l("Tên cơ quan"), ("ten co quan", "co quan", "ten", "ten don vi"),
               required=True, limit=200),
        Column("short_name", _l("Tên viết tắt"), ("ten viet tat", "viet tat"), limit=50),
        Column("electronic_id", _l("Mã định danh điện tử"),
               ("ma dinh danh", "ma dinh danh dien tu", "ma dinh danh dien tu cua co quan"),
               limit=13),
        Column("legacy_code", _l("Mã cũ (QCVN 102)"), ("ma cu", "ma qcvn 102", "ma qcvn",
                                                      "ma lien thong cu"), limit=30),
        Column("address", _l("Địa chỉ"), ("dia chi",), limit=300),
        Column("email", _l("Thư điện tử"), ("email", "thu dien tu", "e mail"), limit=320),
        Column("phone", _l("Điện thoại"), ("dien thoai", "so dien thoai"), limit=30),
    ]
    FIELDS = ("name", "short_name", "electronic_id", "legacy_code", "address", "email",
              "phone")

    def __init__(self, session, user, options):
        super().__init__(session, user, options)
        self.by_name, self.by_id = {}, {}
        for agency in session.scalars(select(Agency)):
            self.by_name[fold(agency.name)] = agency
            if agency.electronic_id:
                self.by_id[agency.electronic_id] = agency

    def parse_row(self, row, values):
        clean = row.clean
        eid = (clean["electronic_id"] or "").upper() or None
        if eid and check_electronic_id(eid):
            row.error(_l("Mã định danh «%(value)s» không đúng dạng 000.00.00.H30 (13 ký tự).",
                         value=eid))
        clean["electronic_id"] = eid
        if clean["email"] and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", clean["email"]):
            row.error(_l("Thư điện tử «%(value)s» không hợp lệ.", value=clean["email"]))
        if clean["phone"] and not re.fullmatch(r"[0-9 +().-]+", clean["phone"]):
            row.error(_l("Điện thoại «%(value)s» chỉ gồm chữ số, dấu cách, + ( ) . -",
                         value=clean["phone"]))
        by_name, by_id = self.by_name.get(fold(clean["name"])), self.by_id.get(eid)
        if by_id is not None and by_id is not by_name:  # renaming is done in the catalog
            row.error(_l("Mã định danh %(id)s đã thuộc cơ quan «%(other)s».", id=eid,
                         other=by_id.name))
        clean["agency_row"] = existing = by_name
        if existing is not None:
            changed = any(clean[f] and clean[f] != (getattr(existing, f) or "")
                          for f in self.FIELDS)
            row.action = "update" if changed else "same"
        self.unique(row, ("name", fold(clean["name"])), _l("Tên cơ quan"))
        if eid:
            self.unique(row, ("id", eid), _l("Mã định danh %(id)s", id=eid))

    def save(self, rows, progress):
        for row in rows:
            agency = row.clean["agency_row"]
            if row.action == "same":
                continue
            if agency is None:
                agency = Agency()
                self.session.add(agency)
            for name in self.FIELDS:
                if row.clean[name]:
                    setattr(agency, name, row.clean[name])
        self.session.flush()


class SignerImporter(Importer):
    key, label, object_type = "signers", _l("Danh mục người ký"), "signer"
    columns = [
        Column("full_name", _l("Họ và tên"), ("ho va ten", "ho ten", "nguoi ky", "ten"),
               required=True, limit=100),
        Column("position_title", _l("Chức vụ"), ("chuc vu", "chuc danh"), required=True,
               limit=100),
        Column("authority", _l("Thẩm quyền ký"), ("tham quyen ky", "tham quyen")),
    ]

    def __init__(self, session, user, options):
        super().__init__(session, user, options)
        self.known = {self._key(s.full_name, s.position_title, s.authority)
                      for s in session.scalars(select(Signer))}

    @staticmethod
    def _key(name, position, authority):
        return fold(name), fold(position), authority or ""

    def parse_row(self, row, values):
        clean = row.clean
        authority = (clean["authority"] or "").upper().replace(" ", "")
        authority = authority + "." if authority and not authority.endswith(".") else authority
        if check_authority(authority):
            row.error(check_authority(authority))
        clean["authority"] = authority
        key = self._key(clean["full_name"], clean["position_title"], authority)
        if key in self.known:
            row.action = "same"
        self.unique(row, key, _l("Người ký"))

    def save(self, rows, progress):
        for row in rows:
            if row.action == "add":
                self.session.add(Signer(full_name=row.clean["full_name"], active=True,
                                        position_title=row.clean["position_title"],
                                        authority=row.clean["authority"]))
        self.session.flush()


KINDS = {kind.key: kind for kind in (IncomingImporter, OutgoingImporter, AgencyImporter,
                                     SignerImporter)}


# ---------------------------------------------------------------- mapping

def find_header(table: Table, kind) -> tuple[int, list[str]]:
    """(line, headers) of the header row: among the first rows, the one whose cells name the
    most columns of the kind (titles above it are skipped); else the first row."""
    best, first = None, None
    for line, cells in table.rows():
        headers = [text_of(c) for c in cells]
        first = first or (line, headers)
        score = len(guess_mapping(kind, headers))
        if score and (best is None or score > best[0]):
            best = (score, line, headers)
        if line >= HEADER_SCAN:
            break
    if best:
        return best[1], best[2]
    if first is None:
        raise DomainError(_l("Tệp không có dữ liệu."))
    return first


def guess_mapping(kind, headers) -> dict:
    """{column key: header index} from the headers' wording: same words first, then a header
    containing a known wording (the longest known wordings first)."""
    keys = [header_key(h) for h in headers]
    mapping, used = {}, set()
    for column in kind.columns:
        for index, key in enumerate(keys):
            if index not in used and key in column.aliases:
                mapping[column.key] = index
                used.add(index)
                break
    aliases = sorted(((alias, column) for column in kind.columns for alias in column.aliases),
                     key=lambda pair: -len(pair[0]))
    for alias, column in aliases:
        if column.key in mapping:
            continue
        for index, key in enumerate(keys):
            if index not in used and re.search(rf"\b{re.escape(alias)}\b", key):
                mapping[column.key] = index
                used.add(index)
                break
    return mapping


def check_mapping(kind, mapping: dict, headers) -> list[str]:
    """Problems of a chosen mapping (required columns, a column used twice)."""
    problems = []
    for column in kind.columns:
        if column.required and mapping.get(column.key) is None:
            problems.append(str(_l("Chọn cột cho «%(column)s» (bắt buộc).",
                                   column=column.label)))
    indexes = [i for i in mapping.values() if i is not None]
    if any(not 0 <= i < len(headers) for i in indexes):
        problems.append(str(_l("Cột đã chọn không có trong tệp.")))
    elif len(set(indexes)) != len(indexes):
        problems.append(str(_l("Mỗi cột của tệp chỉ dùng cho một trường.")))
    return problems


# ---------------------------------------------------------------- preview and import

def _nothing(_done, _total):
    pass


def analyse(session, user, kind_key, table: Table, header_line: int, mapping: dict,
            options: dict, progress=_nothing, max_rows=MAX_ROWS) -> tuple[Analysis, Importer]:
    """Read every row after the header and check it: against the rules, the other rows of
    the file and the database. Nothing is written."""
    importer = KINDS[kind_key](session, user, options)
    analysis, batch = Analysis(), []

    def check(batch):
        importer.check([row for row in batch if not row.errors])
        for row in batch:
            if row.errors:
                analysis.error_count += 1
                if len(analysis.error_rows) < ERROR_ROWS:
                    analysis.error_rows.append(row)
            else:
                analysis.valid.append(row)
                analysis.actions[row.action] += 1

    for line, cells in table.rows():
        if line <= header_line:
            continue
        values = {key: cells[index] if index < len(cells) else None
                  for key, index in mapping.items()}
        if all(value is None for value in values.values()):
            continue
        analysis.total += 1
        if analysis.total > max_rows:
            raise DomainError(_l("Tệp có hơn %(max)s dòng: chia thành nhiều tệp nhỏ hơn.",
                                 max=number(max_rows)))
        row = Row(line=line, shown={key: text_of(value) for key, value in values.items()})
        importer.parse(row, values)
        batch.append(row)
        if len(analysis.rows) < PREVIEW_ROWS:
            analysis.rows.append(row)
        if len(batch) == BATCH:
            check(batch)
            batch = []
            progress(analysis.total, None)
    check(batch)
    analysis.notes = importer.notes(analysis.valid)
    analysis.converted = table.converted
    return analysis, importer


class ImportChanged(DomainError):
    """The rows checked now differ from the preview the clerk confirmed."""


def run_import(session, user, kind_key, table, header_line, mapping, options, *,
               expected: int, progress=_nothing) -> dict:
    """Check everything again and write the valid rows in one transaction; on any failure
    nothing is saved. Returns the summary (counts, the rows left out with their errors)."""
    session.rollback()  # a fresh transaction: the checks and the writes see the same data
    with unit_of_work(session, _l(
            "Nhập không thành công (dữ liệu vừa bị thay đổi bởi người khác hoặc không hợp lệ). "
            "Chưa lưu dòng nào; vui lòng thử lại."), log="import failed"):
        analysis, importer = analyse(session, user, kind_key, table, header_line, mapping,
                                     options, progress)
        if len(analysis.valid) != expected:
            raise ImportChanged(_l(
                "Dữ liệu đã thay đổi từ lúc xem trước (nay có %(valid)s dòng hợp lệ thay vì "
                "%(expected)s). Chưa nhập dòng nào; xem lại bản xem trước.",
                valid=len(analysis.valid), expected=expected))
        if not analysis.valid:
            raise DomainError(_l("Không có dòng hợp lệ để nhập."))
        importer.save(analysis.valid, progress)
        counts = {action: analysis.actions[action] for action in ACTIONS}
        summary = _l("Nhập %(what)s từ tệp «%(file)s»: %(total)s dòng, thêm mới %(add)s, "
                     "cập nhật %(update)s, đã có %(same)s, bỏ qua %(errors)s dòng lỗi.",
                     what=importer.label, file=options["filename"], total=number(analysis.total),
                     add=number(counts["add"]), update=number(counts["update"]),
                     same=number(counts["same"]), errors=number(analysis.error_count))
        record(session, "import", object_type=importer.object_type, summary=summary)
    return {"summary": str(summary), "total": analysis.total, "counts": counts,
            "errors": analysis.error_count, "notes": analysis.notes,
            "error_rows": [{"line": row.line, "errors": row.errors}
                           for row in analysis.error_rows]}
