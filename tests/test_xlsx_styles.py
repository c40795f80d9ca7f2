"""The spreadsheets' cell styles, set once per kind and copied to each cell of that kind
(app.core.xlsx): every cell of a kind looks the same, whatever its place."""
import datetime
import io

from openpyxl import load_workbook

from app.core.xlsx import DATE_FORMAT, spreadsheet


def test_each_kind_of_cell_is_styled_alike(app):
    with app.test_request_context():
        data = spreadsheet(name="Thử", cover=["CƠ QUAN", "TIÊU ĐỀ", "dòng thường"], tables=[
            (["Cột A", "Cột B"], [["một", datetime.date(2026, 12, 7)], ["hai", 2],
                                  ["ba", datetime.date(2026, 1, 5)]])])
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [row for row in sheet.iter_rows() if row[0].value in ("một", "hai", "ba")]
    assert [row[0].value for row in rows] == ["một", "hai", "ba"]
    for row in rows:
        for cell in row:
            assert cell.border.left.style == "thin" and cell.alignment.wrap_text
            assert not cell.font.b
    assert rows[0][1].number_format == rows[2][1].number_format == DATE_FORMAT
    assert rows[1][1].number_format == "General"
    header = next(row for row in sheet.iter_rows() if row[0].value == "Cột A")
    assert all(cell.font.b and cell.border.left.style == "thin" for cell in header)
    cover = [row[0] for row in sheet.iter_rows() if row[0].value in ("CƠ QUAN", "dòng thường")]
    assert cover[0].font.b and not cover[1].font.b and not cover[1].border.left.style
