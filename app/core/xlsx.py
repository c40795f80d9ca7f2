"""Spreadsheets we write: every text stays text. A value typed by someone (an excerpt, a
name, an audit summary) that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
never written as a formula (CSV/formula injection: `=HYPERLINK(...)` in an excerpt must not
become a live link or a command in the clerk's Excel). Every export appends its rows through
`append_row`."""
import datetime
import decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NATIVE = (str, int, float, decimal.Decimal, datetime.date, datetime.time, datetime.timedelta)


def text_cell(sheet, value) -> Cell:
    """A cell of `sheet` (ordinary or write-only) holding `value`; a text is a string cell
    whatever it starts with, shown exactly as written (minus the control characters a
    spreadsheet cannot hold)."""
    cell = value if isinstance(value, Cell) else None
    if cell is None:
        if value is not None and not isinstance(value, _NATIVE):
            value = str(value)  # a translated label (lazy string)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = Cell(sheet, row=1, column=1, value=value)  # placed by append
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl makes "=…" a formula ("f"); never for our data
    return cell


def append_row(sheet, values) -> None:
    """sheet.append(values), each value through text_cell."""
    sheet.append([text_cell(sheet, value) for value in values])


def csv_text(value):
    """A CSV field: a text that a spreadsheet would read as a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
