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

from app.core.dates import year_error
from app.core.errors import DomainError
from app.core.files import OLE_MAGIC, ZIP_MAGIC, check_upload
from app.core.legacy_text import (
    Detection, decode_bytes, detect, has_legacy_words, reading_score, to_unicode,
)
from app.core.text import nfc

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SCAN = 30  # the header row is looked for among the first rows (titles above it)
DETECT_ROWS = 2000  # rows read to decide the file's encoding
LEGACY_SAMPLES = 50  # cells kept to show in each reading when the encoding is in doubt
CSV_SAMPLE = 200_000  # characters compared to tell Windows-1258 from TCVN3/VNI
MEMO_CELLS = 50_000  # converted cell texts remembered while the file is read


class Table:
    """The rows of the first sheet (or of the CSV file), each a list of cells (str, int,
    float, datetime or None), text converted to Unicode NFC. `converted` counts the text
    cells that were in TCVN3/VNI.

    With `encoding="auto"` the file is read as one document (legacy_text.detect over the text
    of its first rows): `detection` says how, `samples` are a few of its legacy-looking cells,
    to show in every plausible reading when the detection is in doubt."""

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
        self.detection, self.samples, self._memo = None, [], {}
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
            self.detection = self._detect()

    def _detect(self) -> Detection:
        """The whole file's reading, from the text of its first rows (Unicode cells among them
        count for themselves only: see legacy_text.detect)."""
        texts = []
        try:
            for line, row in enumerate(self._rows()):
                for cell in row:
                    if isinstance(cell, str) and not cell.isascii():
                        cell = cell.strip()
                        texts.append(cell)
                        if len(self.samples) < LEGACY_SAMPLES and has_legacy_words(cell) \
                                and cell not in self.samples:
                            self.samples.append(cell)
                if line >= DETECT_ROWS:
                    break
        except DomainError:
            raise
        except Exception as error:  # a workbook that opens but breaks while streamed
            raise DomainError(_l("Không đọc được bảng tính: tệp hỏng hoặc không đúng định "
                                 "dạng.")) from error
        return detect(texts)

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
            converted = self._memo.get(value)
            if converted is None:
                converted = to_unicode(value, self.encoding, document=self.detection)
                if len(self._memo) < MEMO_CELLS:  # registers repeat their agencies, types…
                    self._memo[value] = converted
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


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding read): UTF-8 (with or without BOM) when valid; otherwise the reading
    that looks most Vietnamese (legacy_text.reading_score): Windows-1258 (tones as combining
    marks) or the 8-bit font encodings (bytes as Windows-1252, converted cell by cell later)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return nfc(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    windows_1258 = nfc(data.decode("cp1258", errors="replace"))
    legacy = decode_bytes(data)
    sample = slice(0, CSV_SAMPLE)
    legacy_encoding = detect(legacy[sample].splitlines()).encoding
    if reading_score(windows_1258[sample]) >= reading_score(legacy[sample], legacy_encoding):
        return windows_1258, "cp1258"
    return legacy, "tcvn3/vni"


# ---------------------------------------------------------------- cell values

_DATE = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
                   r"(?:\s+(\d{1,2})\s*[:hg]\s*(\d{2})(?:\s*:\s*\d{2})?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?$")


def parse_datetime(value) -> datetime:
    """A date cell (a real Excel date, an Excel day number, or text dd/mm/yyyy [HH:mm],
    yyyy-mm-dd) → datetime; ValueError with a Vietnamese message, also for a year out of the
    range every channel takes (app.core.dates)."""
    parsed = _cell_datetime(value)
    if year_error(parsed):
        raise ValueError(year_error(parsed))
    return parsed


def _cell_datetime(value) -> datetime:
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
