"""Spreadsheets we write, all through `spreadsheet` (one layout for every export: registers,
reports, the weekly schedule, the audit trail).

Values keep their kind: a date is a date cell shown dd/mm/yyyy, a moment (datetime, stored in
UTC) a date-time cell in Vietnam time shown dd/mm/yyyy hh:mm, a number a number; anything else
is text — a translated label (lazy string) included, made a `str` here and only here.

Every text stays text. A value typed by someone (an excerpt, a name, an audit summary) that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return is never written as a formula
(CSV/formula injection: `=HYPERLINK(...)` in an excerpt must not become a live link or a
command in the clerk's Excel).

The layout (`spreadsheet`): the cover lines (agency, title, period) centred over the table,
bold headers, for the registers of Decree 30 the row of column numbers "(1) (2) … (n)", thin
borders; A4 landscape, fitted to the page's width, page numbers in the footer; the header rows
frozen on screen and repeated on every printed page, the print area set. Rows are streamed
(openpyxl's write-only workbook): a generator of rows is written as it comes, in constant
memory. Write-only mode has all of the above, on two conditions: what precedes the rows in the
file (frozen panes, column widths, fit-to-page) is set before the first row, and merged ranges
are added to `merged_cells` (there is no merge_cells()). Row heights are left to the
spreadsheet program, which fits the wrapped rows when it opens the file."""
import datetime
import decimal
import io
import re
import tempfile
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from app.core.timefmt import format_date, format_datetime, to_local

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
TIME_FORMAT = "hh:mm"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_MAX = 31  # Excel's limit
SPOOL_BYTES = 4 * 1024 * 1024  # a larger spreadsheet is spooled to a temporary file
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_NATIVE = (int, float, decimal.Decimal, datetime.date, datetime.time)

_THIN = Side(style="thin")
_BORDER = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
_BOLD = Font(bold=True)
_ITALIC = Font(italic=True)
_HEADER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_CENTRE = Alignment(horizontal="center", vertical="center")
_BODY = Alignment(vertical="top", wrap_text=True)


def cell_value(value):
    """What a cell holds for `value`: a number or a date as it is (a datetime — naive UTC as
    stored, or aware — in Vietnam time without its zone, as spreadsheets want), None as
    nothing, any other thing as its text without the control characters a spreadsheet cannot
    hold."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, datetime.datetime):  # whole seconds: 22:52:59.9996 is no "22:53"
        return to_local(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, _NATIVE):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))  # str(): a lazily translated label


def number_format(value) -> str | None:
    """The display of a date, moment or time cell."""
    if isinstance(value, datetime.datetime):
        return DATETIME_FORMAT
    if isinstance(value, datetime.date):
        return DATE_FORMAT
    if isinstance(value, datetime.time):
        return TIME_FORMAT
    return None


@dataclass(frozen=True)
class Shown:
    """A value with a display of its own: Shown(day, '"Thứ Hai" dd/mm/yyyy') is a date cell
    that reads "Thứ Hai 05/01/2026" in any spreadsheet program, whatever its language."""
    value: object
    number_format: str


def text_cell(sheet, value) -> Cell:
    """A cell of `sheet` (ordinary or write-only) holding `value` (see cell_value); a text is
    a string cell whatever it starts with, shown exactly as written. A Cell is kept as it is,
    its text still never a formula."""
    if isinstance(value, Cell):
        cell = value
    else:
        display = value.number_format if isinstance(value, Shown) else None
        value = cell_value(value.value if isinstance(value, Shown) else value)
        cell = Cell(sheet, row=1, column=1, value=value)  # placed by append
        display = display or number_format(value)
        if display:
            cell.number_format = display
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl makes "=…" a formula ("f"); never for our data
    return cell


def append_row(sheet, values) -> None:
    """sheet.append(values), each value through text_cell."""
    sheet.append([text_cell(sheet, value) for value in values])


def cell_text(value) -> str:
    """The same value as a web page shows it (the printable registers and reports): dates
    dd/mm/yyyy, moments dd/mm/yyyy HH:MM in Vietnam time."""
    if isinstance(value, Shown):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return format_datetime(value)
    if isinstance(value, datetime.date):
        return format_date(value)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return str(value)


def csv_text(value):
    """A CSV field: a text that a spreadsheet would read as a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def sheet_name(text, taken=()) -> str:
    """A sheet name from a Vietnamese title, diacritics kept: without the characters a sheet
    name cannot hold ([ ] : * ? / \\), at most 31 characters (cut at a word), not empty, not
    one of `taken` (compared as Excel does, ignoring case)."""
    name = " ".join(_SHEET_NAME_FORBIDDEN.sub(" ", str(text)).split()).strip("'") or "Sheet"
    if len(name) > SHEET_NAME_MAX:
        cut = name[:SHEET_NAME_MAX + 1]
        name = cut.rsplit(" ", 1)[0] if " " in cut else cut
        name = name[:SHEET_NAME_MAX].rstrip(" ,;–-'")
    used = {t.lower() for t in taken}
    base, number = name, 2
    while name.lower() in used:
        suffix = f" ({number})"
        name = base[:SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
        number += 1
    return name


@dataclass
class Table:
    """One table of a sheet: its headers and rows (a list or a generator), with a bold
    `heading` line above it (a report's section), the row of column numbers under the headers
    (`numbered`: the registers of Decree 30, Appendix IV), and the line written when there is
    no row (`empty`)."""
    headers: list
    rows: Iterable = field(default_factory=list)
    heading: str = ""
    numbered: bool = False
    empty: str = ""


def spreadsheet(name, cover, tables, widths=None) -> bytes:
    """The .xlsx of `write_spreadsheet` as bytes."""
    buffer = io.BytesIO()
    write_spreadsheet(buffer, name, cover, tables, widths)
    return buffer.getvalue()


def write_spreadsheet(target, name, cover, tables, widths=None) -> None:
    """Write into the file object `target` the .xlsx of one sheet called `name` (see sheet_name):
    the `cover` lines (the first two bold: agency and title), a blank line, then the
    `tables` (Table, or (headers, rows)), a blank line between two. With one table its
    header rows stay on screen and are printed on every page; several tables (a report's
    sections) have no common header to repeat. `widths`: the columns' widths in characters."""
    tables = [t if isinstance(t, Table) else Table(*t) for t in tables]
    columns = max([len(t.headers) for t in tables] + [1])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name(name))
    _page_setup(sheet, columns, widths)
    line = 0
    # A cell's style is a row of indexes into the workbook's fonts, borders…: setting a font
    # looks it up by hashing it (most of the time of a 100,000-row register). Each combination
    # is set once; its cells get a copy of its indexes.
    styles = {}

    def write(values, font=None, alignment=None, framed=False):
        nonlocal line
        cells = []
        for value in values:
            cell = text_cell(sheet, value)
            if isinstance(value, Cell):  # a caller's own cell keeps its other styles
                _style(cell, font, alignment, framed)
            elif font or alignment or framed:
                key = (id(font), id(alignment), framed,
                       cell._style.numFmtId if cell._style else 0)
                style = styles.get(key)
                if style is None:
                    _style(cell, font, alignment, framed)
                    styles[key] = copy(cell._style)
                else:
                    cell._style = copy(style)
            cells.append(cell)
        sheet.append(cells)
        line += 1

    cover = [str(text) for text in cover]
    single = tables[0] if len(tables) == 1 else None
    if single is not None:  # frozen rows are written before the first row (write-only)
        header_row = len(cover) + (1 if cover else 0) + (1 if single.heading else 0) + 1
        last_header = header_row + (1 if single.numbered else 0)
        sheet.freeze_panes = f"A{last_header + 1}"
        sheet.print_title_rows = f"{header_row}:{last_header}"
    for number, text in enumerate(cover):
        write([text], _BOLD if number < 2 else None, _CENTRE)
        if columns > 1:
            sheet.merged_cells.add(f"A{line}:{get_column_letter(columns)}{line}")
    for table in tables:
        if line:
            write([])
        if table.heading:
            write([table.heading], _BOLD)
        write(table.headers, _BOLD, _HEADER, framed=True)
        if table.numbered:
            write([f"({n})" for n in range(1, len(table.headers) + 1)], _ITALIC, _CENTRE,
                  framed=True)
        empty = True
        for row in table.rows:
            write(row, alignment=_BODY, framed=True)
            empty = False
        if empty and table.empty:
            write([table.empty], _ITALIC)
    sheet.print_area = f"A1:{get_column_letter(columns)}{max(line, 1)}"
    workbook.save(target)


def _style(cell, font, alignment, framed):
    if font:
        cell.font = font
    if alignment:
        cell.alignment = alignment
    if framed:
        cell.border = _BORDER


def _page_setup(sheet, columns, widths):
    """A4 landscape, as wide as one page, page numbers at the foot; the columns' widths."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages high as the rows need
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = _("Trang %(page)s / %(pages)s", page="&P", pages="&N")
    for index in range(columns):
        width = widths[index] if widths and index < len(widths) else 16
        sheet.column_dimensions[get_column_letter(index + 1)].width = width


def send_spreadsheet(*, filename, object_type, object_id=None, **layout):
    """The download of the spreadsheet (`write_spreadsheet(**layout)`) as `filename`, written
    in the audit trail (app.core.downloads). The rows go to a temporary file as they come (a
    year's register is 100,000 rows) and the file is sent in chunks: the memory stays flat."""
    from app.core.downloads import send_download

    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        write_spreadsheet(target, **layout)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return send_download(data=_chunks(target), filename=filename, object_type=object_type,
                         object_id=object_id, mimetype=MIMETYPE)


def _chunks(target, size=64 * 1024):
    with target:
        while chunk := target.read(size):
            yield chunk
