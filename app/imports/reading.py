"""Reading a spreadsheet a clerk uploads: .xlsx (streamed with openpyxl's read-only mode) or
.csv (UTF-8, UTF-8 with BOM, Windows-1258, or the legacy TCVN3/VNI 8-bit font encodings);
every text cell converted to Unicode NFC (app.core.legacy_text), dates typed dd/mm/yyyy."""
import csv
import io
import re
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from app.core.errors import DomainError
from app.core.files import OLE_MAGIC, ZIP_MAGIC, check_upload
from app.core.legacy_text import (
    VIETNAMESE_LETTERS, decode_bytes, detect_encoding, to_unicode, without_windows_punctuation,
)
from app.core.text import nfc

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SCAN = 30  # the header row is looked for among the first rows (titles above it)
# Characters that are neither Vietnamese letters nor ASCII but are normal in official text.
_PUNCTUATION = set("–—‘’“”…•°№«»§\u00a0")


def _eight_bit(text: str) -> bool:
    """Letters beyond ASCII, all within Latin-1: how TCVN3/VNI text looks."""
    probe = without_windows_punctuation(text)
    return not probe.isascii() and max(probe) <= "\u00ff"


class Table:
    """The rows of the first sheet (or of the CSV file), each a list of cells (str, int,
    float, datetime or None), text converted to Unicode NFC. `converted` counts the text
    cells that were in TCVN3/VNI."""

    def __init__(self, data: bytes, filename: str, *, max_bytes: int, encoding: str = "auto"):
        if not data:
            raise DomainError(_l("Tệp rỗng."))
        if len(data) > max_bytes:
            raise DomainError(_l("Tệp quá lớn: dung lượng tối đa là %(mb)s MB.",
                                 mb=max_bytes // (1024 * 1024)))
        self.data, self.encoding, self.converted = data, encoding, 0
        self.is_xlsx = data.startswith(ZIP_MAGIC)
        if data.startswith(OLE_MAGIC):
            raise DomainError(_l("Tệp Excel 97-2003 (.xls) chưa được hỗ trợ: mở bằng Excel và "
                                 "lưu lại thành .xlsx hoặc .csv."))
        self.dominant = None
        if self.is_xlsx:
            if check_upload(data, filename, max_bytes=max_bytes,
                            allowed=("office",)).content_type != XLSX:
                raise DomainError(_l("Tệp không phải bảng tính Excel (.xlsx)."))
            self._rows()  # opens the workbook: a damaged one is refused now
        else:
            if (filename or "").lower().endswith((".xlsx", ".xlsm", ".xls")):
                raise DomainError(_l("Tệp có đuôi .xlsx nhưng không phải bảng tính Excel "
                                     "(tệp hỏng hoặc bị đổi tên)."))
            if b"\0" in data[:4096]:
                raise DomainError(_l("Chỉ nhận tệp Excel (.xlsx) hoặc tệp văn bản .csv."))
            self.text, self.file_encoding = decode_csv(data)
        if encoding == "auto":
            self.dominant = self._dominant()

    def _dominant(self):
        """'tcvn3' or 'vni' when the whole file is typed so (no cell has a letter beyond
        Latin-1, and its text taken together reads as that encoding): short cells ("Ghi chó")
        are then read the same way. A Unicode file with some legacy cells has none."""
        cells = []
        for line, row in enumerate(self._rows()):
            for cell in row:
                if isinstance(cell, str) and not cell.isascii():
                    if not _eight_bit(cell):
                        return None
                    cells.append(cell)
            if line >= HEADER_SCAN * 10:
                break
        encoding = detect_encoding(" ".join(cells)) if cells else "unicode"
        return encoding if encoding in ("tcvn3", "vni") else None

    def _rows(self):
        if not self.is_xlsx:
            return csv.reader(io.StringIO(self.text, newline=""), _dialect(self.text))
        try:
            workbook = load_workbook(io.BytesIO(self.data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
        except Exception as error:  # zip and XML errors of a damaged workbook
            raise DomainError(_l("Không đọc được bảng tính: tệp hỏng hoặc không đúng định "
                                 "dạng .xlsx.")) from error
        return sheet.iter_rows(values_only=True)

    def rows(self):
        """(line number as the spreadsheet shows it, cells), empty rows left out."""
        try:
            for line, cells in enumerate(self._rows(), start=1):
                cells = [self._cell(c) for c in cells]
                while cells and cells[-1] is None:
                    cells.pop()
                if cells:
                    yield line, cells
        except DomainError:
            raise
        except Exception as error:  # a workbook that opens but breaks while streamed
            raise DomainError(_l("Không đọc được bảng tính: tệp hỏng hoặc không đúng định "
                                 "dạng.")) from error

    def _cell(self, value):
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            encoding = self.encoding
            if encoding == "auto":  # a legacy file's cells are read alike (short ones too)
                encoding = self.dominant if self.dominant and _eight_bit(value) else \
                    detect_encoding(value)
            converted = to_unicode(value, encoding)
            if converted != nfc(value):
                self.converted += 1
            return converted
        return value


def _dialect(text: str):
    sample = text[:20_000]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def oddness(text: str) -> int:
    """How many characters are neither ASCII, Vietnamese letters nor usual punctuation:
    what a wrong reading of the bytes produces (Céng hßa, Côòng hoÌa)."""
    return sum(1 for c in nfc(text) if not c.isascii() and c not in VIETNAMESE_LETTERS
               and c not in _PUNCTUATION)


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding read): UTF-8 (with or without BOM) when valid; otherwise the reading
    that looks most Vietnamese: Windows-1258 (tones as combining marks) or the 8-bit font
    encodings (bytes as Windows-1252, converted cell by cell later)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return nfc(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    windows_1258 = nfc(data.decode("cp1258", errors="replace"))
    legacy = decode_bytes(data)
    if oddness(windows_1258) <= oddness(to_unicode(legacy)):
        return windows_1258, "cp1258"
    return legacy, "tcvn3/vni"


# ---------------------------------------------------------------- cell values

_DATE = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
                   r"(?:\s+(\d{1,2})\s*[:hg]\s*(\d{2})(?:\s*:\s*\d{2})?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?$")


def parse_datetime(value) -> datetime:
    """A date cell (a real Excel date, an Excel day number, or text dd/mm/yyyy [HH:mm],
    yyyy-mm-dd) → datetime; ValueError with a Vietnamese message."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 100_000:
        return from_excel(value).replace(microsecond=0)  # a date cell without a date format
    text = str(value or "").strip()
    match = _DATE.match(text)
    if match:
        day, month, year, hour, minute = match.groups()
    elif match := _ISO.match(text):
        year, month, day, hour, minute = match.groups()
    else:
        raise ValueError(str(_l("ngày «%(value)s» không đúng dạng dd/mm/yyyy", value=text)))
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError as error:
        raise ValueError(str(_l("ngày «%(value)s» không có thật", value=text))) from error


def text_of(value) -> str:
    """A cell as text: whole numbers without '.0', dates dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != time.min else \
            value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return nfc(str(value)).strip()


def parse_int(value) -> int:
    """'12', 12, 12.0 → 12; anything else ValueError."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = text_of(value).replace(".", "").replace(" ", "")
    if not text.isdecimal():
        raise ValueError(value)
    return int(text)
