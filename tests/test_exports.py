"""The clerk's outputs (issue 20): every .xlsx export downloaded through HTTP as the role that
uses it, with a document in progress in the registers, then read twice — by openpyxl (date
cells are dates shown dd/mm/yyyy, numbers are numbers, the column-number row of the registers,
header rows frozen and printed on every page, print area, A4 landscape fitted to the width, a
Vietnamese sheet name) and by LibreOffice Calc (each cell as Calc shows it, in a CSV; the print
settings as Calc keeps them). Also: the legend of the register page's pink rows, the author
and the unbroken number in a dossier's table of contents, the REST `_info` descriptions and
the calendar feed's content type.

LibreOffice is Debian's libreoffice-calc-nogui (`make test` installs it as root); without it
the LibreOffice checks are skipped."""
import csv
import io
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from app.catalogs.models import UrgencyLevel
from app.core.timefmt import WEEKDAYS, local_now, to_local, today_local
from app.core.xlsx import DATE_FORMAT, DATETIME_FORMAT, SHEET_NAME_MAX, sheet_name
from app.documents import services as incoming_services
from app.documents.models import IN_PROGRESS
from tests.conftest import csrf_token, login
from tests.dossier_helpers import link, make_outgoing, new_dossier, register_incoming, user
from tests.incoming_helpers import ids

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
NO_OFFICE = ("LibreOffice (soffice) is not installed: `make test` installs Debian's "
             "libreoffice-calc-nogui when run as root (apt-get install -y "
             "libreoffice-calc-nogui); the LibreOffice checks of the .xlsx exports are skipped")
FORBIDDEN = set("[]:*?/\\")
DAY = re.compile(r"^\d{2}/\d{2}/\d{4}$")


# ---------------------------------------------------------------- the exports

def _year():
    return today_local().year


# name → (account, address, sheet name, the header row's first cells, registers' numbers row,
#         {header: number format} of the date columns, headers of number columns)
EXPORTS = {
    "incoming": ("vanthu", "/incoming/book?register_id={register}&kind=incoming&format=xlsx",
                 "Sổ đăng ký văn bản đến", ["Ngày đến", "Số đến", "Tác giả"], True,
                 {"Ngày đến": DATE_FORMAT, "Ngày tháng": DATE_FORMAT,
                  "Ngày chuyển": DATE_FORMAT}, ["Số đến"]),
    "tracking": ("vanthu", "/incoming/book?register_id={register}&kind=tracking&format=xlsx",
                 "Theo dõi giải quyết VB đến", ["Số đến"], True,
                 {"Thời hạn giải quyết": DATE_FORMAT}, ["Số đến"]),
    "outgoing": ("vanthu", "/outgoing/book?register_id={register_out}&format=xlsx",
                 "Sổ đăng ký văn bản đi", ["Số, ký hiệu văn bản"], True,
                 {"Ngày tháng văn bản": DATE_FORMAT, "Ngày chuyển": DATE_FORMAT},
                 ["Số lượng bản"]),
    "report-incoming": ("vanthu", "/stats/reports/?kind=incoming&from=01/01/{year}&format=xlsx",
                        "Giải quyết văn bản đến", None, False, {}, []),
    "report-outgoing": ("vanthu", "/stats/reports/?kind=outgoing&from=01/01/{year}&format=xlsx",
                        "Văn bản đi", None, False, {}, []),
    "report-activity": ("lanhdao", "/stats/reports/?kind=activity&from=01/01/{year}"
                        "&format=xlsx", "Hoạt động cán bộ, công chức", ["Cá nhân"], False, {},
                        []),
    "report-overdue": ("lanhdao", "/stats/reports/?kind=overdue&format=xlsx",
                       "Văn bản đến quá hạn", ["Đơn vị", "Cá nhân", "Số đến"], False,
                       {"Hạn xử lý": DATE_FORMAT}, ["Số đến", "Số ngày quá hạn"]),
    "report-dossiers": ("lanhdao", "/stats/reports/?kind=dossiers&from=01/01/{year}"
                        "&format=xlsx", "Mục lục hồ sơ", ["STT", "Số và ký hiệu hồ sơ"], False,
                        {"Ngày bắt đầu": DATE_FORMAT}, ["STT", "Số văn bản"]),
    "schedule": ("chuyenvien", "/schedule/export?scope=agency", "Lịch công tác tuần {week}",
                 ["Thứ/ngày", "Buổi", "Giờ", "Nội dung"], False, {"Thứ/ngày": None}, []),
    "audit": ("quantri", "/audit/export", "Nhật ký hệ thống",
              ["Thời gian", "Người thực hiện"], False, {"Thời gian": DATETIME_FORMAT}, []),
}


@pytest.fixture(scope="module")
def work(app):
    """The data the exports show, made once: an urgent incoming document in progress (the
    leader's direction given, no progress written: its progress is its state's label), an
    issued outgoing document with its number of copies."""
    from sqlalchemy.orm import Session

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    session = Session(engine)
    marker = "V/v kiểm tra sổ xuất Excel – Đắk Lắk, Hòa Bình"
    urgent = session.scalar(select(UrgencyLevel.id).where(UrgencyLevel.is_urgent.is_(True))
                            .order_by(UrgencyLevel.priority))
    document = register_incoming(app, session, excerpt=marker, urgency_id=urgent)
    deadline = today_local() + timedelta(days=10)
    with app.test_request_context():
        incoming_services.submit(session, user(session, "vanthu"), document)
        incoming_services.assign(session, user(session, "lanhdao"), document, "", [
            {"role": "lead", "user_id": user(session, "chuyenvien").id}], deadline=deadline)
    assert document.state == IN_PROGRESS
    outgoing = make_outgoing(app, session, "chuyenvien")
    outgoing.copies = 7
    session.commit()
    facts = {"document": document.id, "arrival_number": document.arrival_number,
             "arrival": to_local(document.arrival_at).date(),
             "document_date": document.document_date, "deadline": deadline,
             "marker": marker, "outgoing": outgoing.number_symbol,
             "outgoing_date": outgoing.issued_date, "register": ids(session)["register"],
             "register_out": outgoing.register_id}
    session.close()
    return facts


@pytest.fixture(scope="module")
def downloads(app, work, tmp_path_factory):
    """name → path of the downloaded .xlsx, each fetched by its account."""
    folder = tmp_path_factory.mktemp("exports")
    client = app.test_client()
    year, week, _day = today_local().isocalendar()
    files = {}
    for name, (account, address, *_rest) in EXPORTS.items():
        login(client, account)
        response = client.get(address.format(year=year, week=week, **work))
        assert response.status_code == 200, (name, response.status_code,
                                             response.get_data(as_text=True)[:500])
        assert response.mimetype.endswith("spreadsheetml.sheet"), name
        assert ".xlsx" in response.headers["Content-Disposition"], name
        path = folder / f"{name}.xlsx"
        path.write_bytes(response.data)
        files[name] = path
    return files


def expected_sheet(name):
    year, week, _day = today_local().isocalendar()
    return EXPORTS[name][2].format(week=f"{week:02d}-{year}")


def header_row(sheet, first):
    """The row number of the table's headers (the row starting with `first`)."""
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if list(row[:len(first)]) == first:
            return number
    raise AssertionError(f"no header row {first} in {sheet.title}")


def columns_of(sheet, number):
    return {value: index for index, value in enumerate(
        next(sheet.iter_rows(min_row=number, max_row=number, values_only=True))) if value}


# ---------------------------------------------------------------- read by openpyxl

@pytest.mark.parametrize("name", list(EXPORTS))
def test_export_layout(app, downloads, name):
    _account, _address, _sheet, first, numbered, dates, numbers = EXPORTS[name]
    workbook = load_workbook(downloads[name])
    assert len(workbook.worksheets) == 1
    sheet = workbook.active
    assert sheet.title == expected_sheet(name)
    assert len(sheet.title) <= SHEET_NAME_MAX and not FORBIDDEN & set(sheet.title)
    # printed: A4 landscape, one page wide, page numbers; everything in the print area
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert "&P" in sheet.oddFooter.center.text
    last_column = get_column_letter(sheet.max_column)
    assert sheet.print_area.endswith(f"!$A$1:${last_column}${sheet.max_row}")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == app.config["AGENCY_NAME"].upper()
    assert ("A1:" + last_column + "1") in {str(r) for r in sheet.merged_cells.ranges}
    if first is None:  # a report of several sections: no one header to repeat
        assert sheet.freeze_panes is None and sheet.print_title_rows is None
        assert sum(1 for row in rows if row[0] and str(row[0]).isupper()) >= 2
        return
    top = header_row(sheet, first)
    last = top + 1 if numbered else top
    assert sheet.freeze_panes == f"A{last + 1}"
    assert sheet.print_title_rows == f"${top}:${last}"
    headers = columns_of(sheet, top)
    if numbered:  # Decree 30 registers: (1) (2) … (n) under the headers
        assert list(rows[top]) == [f"({n})" for n in range(1, len(headers) + 1)]
    data = [row for row in sheet.iter_rows(min_row=last + 1) if row[0].value is not None]
    assert data, f"{name}: no row"
    for header, display in dates.items():
        cells = [row[headers[header]] for row in data if row[headers[header]].value is not None]
        assert cells, f"{name}: no value in {header}"
        for cell in cells:
            assert cell.is_date and isinstance(cell.value, datetime), (name, header, cell.value)
            if display:
                assert cell.number_format == display, (name, header, cell.number_format)
    for header in numbers:
        values = [row[headers[header]].value for row in data]
        assert all(isinstance(v, int) for v in values if v is not None), (name, header, values)
        assert any(isinstance(v, int) for v in values), (name, header)


def test_registers_show_the_document_in_progress(downloads, work):
    incoming = load_workbook(downloads["incoming"]).active
    headers = columns_of(incoming, 6)
    row = next(row for row in incoming.iter_rows(min_row=8, values_only=True)
               if work["marker"] in (row[headers["Tên loại và trích yếu nội dung"]] or ""))
    assert row[headers["Số đến"]] == work["arrival_number"]
    assert row[headers["Ngày đến"]].date() == work["arrival"]
    assert row[headers["Ngày tháng"]].date() == work["document_date"]
    assert row[headers["Ngày chuyển"]].date() == today_local()
    assert "(Chủ trì)" in row[headers["Đơn vị hoặc người nhận"]]

    tracking = load_workbook(downloads["tracking"]).active
    headers = columns_of(tracking, 6)
    row = next(row for row in tracking.iter_rows(min_row=8, values_only=True)
               if row[0] == work["arrival_number"])
    assert row[headers["Tiến độ giải quyết"]] == "Đang xử lý"  # the state's (lazy) label
    assert row[headers["Thời hạn giải quyết"]].date() == work["deadline"]

    outgoing = load_workbook(downloads["outgoing"]).active
    headers = columns_of(outgoing, 6)
    row = next(row for row in outgoing.iter_rows(min_row=8, values_only=True)
               if row[0] == work["outgoing"])
    assert row[headers["Số lượng bản"]] == 7
    assert row[headers["Ngày tháng văn bản"]].date() == work["outgoing_date"]


def test_schedule_days_read_as_vietnamese_weekdays(downloads):
    sheet = load_workbook(downloads["schedule"]).active
    days = [row[0] for row in sheet.iter_rows(min_row=5) if row[0].value is not None]
    assert days
    for cell in days:
        weekday = str(WEEKDAYS[cell.value.weekday()])
        assert cell.number_format == f'"{weekday}" dd/mm/yyyy'


def test_audit_times_are_vietnam_time(downloads):
    sheet = load_workbook(downloads["audit"]).active
    assert sheet.cell(row=5, column=1).value == "Thời gian"
    newest = sheet.cell(row=6, column=1).value  # the newest line first
    assert abs(newest - local_now()) < timedelta(hours=1)


# ---------------------------------------------------------------- read by LibreOffice Calc

def soffice(folder, target, files):
    """Convert `files` with LibreOffice (one run, a profile of its own); the output folder."""
    out = folder / target.split(":")[0]
    out.mkdir(exist_ok=True)
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder / 'profile'}",
                    "--headless", "--norestore", "--convert-to", target, "--outdir", str(out),
                    *map(str, files)], check=True, capture_output=True, timeout=300)
    return out


@pytest.fixture(scope="module")
def calc(downloads, tmp_path_factory):
    """name → (rows of the CSV Calc writes — UTF-8, cells as shown —, the workbook Calc saves
    back as .xlsx)."""
    if not SOFFICE:
        pytest.skip(NO_OFFICE)
    folder = tmp_path_factory.mktemp("calc")
    # CSV filter: comma, double quote, UTF-8 (76), from line 1, …, cells as shown (token 9)
    csv_out = soffice(folder, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
                      downloads.values())
    xlsx_out = soffice(folder, "xlsx", downloads.values())
    result = {}
    for name in downloads:
        text = (csv_out / f"{name}.csv").read_text(encoding="utf-8")
        result[name] = (list(csv.reader(io.StringIO(text))),
                        load_workbook(xlsx_out / f"{name}.xlsx"))
    return result


def shown(cell):
    """What Calc should show for an openpyxl cell of our export."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        if cell.number_format == DATETIME_FORMAT:
            return value.strftime("%d/%m/%Y %H:%M")
        if cell.number_format == DATE_FORMAT:
            return value.strftime("%d/%m/%Y")
        weekday = re.fullmatch(r'"([^"]+)" dd/mm/yyyy', cell.number_format).group(1)
        return f"{weekday} {value:%d/%m/%Y}"
    return str(value)


@pytest.mark.parametrize("name", list(EXPORTS))
def test_libreoffice_shows_every_cell(downloads, calc, name):
    rows, _saved = calc[name]
    sheet = load_workbook(downloads[name]).active
    dates = 0
    for number, row in enumerate(sheet.iter_rows(), start=1):
        line = rows[number - 1] if number <= len(rows) else []
        for cell in row:
            got = line[cell.column - 1] if cell.column <= len(line) else ""
            assert got == shown(cell), (name, cell.coordinate, got, shown(cell))
            dates += getattr(cell, "is_date", False)
    if EXPORTS[name][5]:
        assert dates, f"{name}: no date cell"
    assert any("Ệ" in c or "ố" in c or "ả" in c for line in rows for c in line)


@pytest.mark.parametrize("name", list(EXPORTS))
def test_libreoffice_keeps_the_print_settings(downloads, calc, name):
    _rows, saved = calc[name]
    mine, theirs = load_workbook(downloads[name]).active, saved.active
    assert theirs.title == mine.title
    assert theirs.print_title_rows == mine.print_title_rows
    assert theirs.print_area == mine.print_area
    assert theirs.page_setup.orientation == "landscape"
    assert int(theirs.page_setup.paperSize) == 9  # A4
    assert theirs.sheet_properties.pageSetUpPr.fitToPage
    assert (theirs.page_setup.fitToWidth, theirs.page_setup.fitToHeight) == (1, 0)


def test_libreoffice_reads_the_registers_dates_as_dd_mm_yyyy(calc, work):
    rows, _saved = calc["incoming"]
    header = rows[5]
    line = next(r for r in rows if any(work["marker"] in c for c in r))
    cell = dict(zip(header, line, strict=True))
    assert cell["Số đến"] == str(work["arrival_number"])
    assert cell["Ngày đến"] == f"{work['arrival']:%d/%m/%Y}"
    assert cell["Ngày tháng"] == f"{work['document_date']:%d/%m/%Y}"
    assert work["marker"] in cell["Tên loại và trích yếu nội dung"]
    rows, _saved = calc["tracking"]
    line = next(r for r in rows if r[0] == str(work["arrival_number"]))
    cell = dict(zip(rows[5], line, strict=True))
    assert cell["Tiến độ giải quyết"] == "Đang xử lý"
    assert cell["Thời hạn giải quyết"] == f"{work['deadline']:%d/%m/%Y}"
    for name in ("report-overdue", "report-dossiers"):
        rows, _saved = calc[name]
        column = 6 if name == "report-overdue" else 5
        top = next(i for i, r in enumerate(rows) if r[0] in ("Đơn vị", "STT"))
        days = [r[column] for r in rows[top + 1:] if r[0] and r[column]]
        assert days and all(DAY.match(d) for d in days), (name, days[:5])


# ---------------------------------------------------------------- helpers and pages

def test_sheet_names_are_vietnamese_and_valid():
    assert sheet_name("Sổ theo dõi: văn bản [đến]/đi?") == "Sổ theo dõi văn bản đến đi"
    long = sheet_name("Báo cáo tình hình giải quyết văn bản đến của các đơn vị")
    assert len(long) <= SHEET_NAME_MAX and long == "Báo cáo tình hình giải quyết"
    assert sheet_name("Mục lục", taken=["mục lục"]) == "Mục lục (2)"
    assert sheet_name("") == "Sheet"


def test_spreadsheet_writes_lazy_labels_dates_and_numbers(app):
    from flask_babel import lazy_gettext

    from app.core.xlsx import Table, spreadsheet

    moment = datetime(2026, 1, 5, 17, 30)  # UTC: 00:30 on the 6th in Vietnam
    with app.test_request_context():
        data = spreadsheet(name="Thử", cover=["CƠ QUAN", "TIÊU ĐỀ"], tables=[Table(
            ["Ngày", "Lúc", "Số", "Nhãn"], iter([[date(2026, 1, 5), moment, 3,
                                                   lazy_gettext("Đang xử lý")]]),
            numbered=True)])
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [c for c in next(sheet.iter_rows(min_row=6))]
    assert [c.value for c in cells] == [datetime(2026, 1, 5), datetime(2026, 1, 6, 0, 30), 3,
                                        "Đang xử lý"]
    assert [c.number_format for c in cells[:2]] == [DATE_FORMAT, DATETIME_FORMAT]
    assert (sheet.freeze_panes, sheet.print_title_rows) == ("A6", "$4:$5")


def test_register_page_explains_its_pink_rows(app, login_as, work, scratch_register):
    client = login_as("vanthu")
    html = client.get(f"/incoming/book?register_id={work['register']}").get_data(as_text=True)
    assert '<tr class="danger">' in html
    legend = re.search(r'<p class="book-legend">(.*?)</p>', html, re.S)
    assert legend, "pink rows without a legend"
    assert "Dòng tô hồng: văn bản khẩn" in legend.group(1) and "Hỏa tốc" in legend.group(1)
    empty = scratch_register("Sổ đến thử chú thích", "in", _year())
    html = client.get(f"/incoming/book?register_id={empty}").get_data(as_text=True)
    assert '<tr class="danger">' not in html and '<p class="book-legend">' not in html
    # the page shows the dates as dd/mm/yyyy (the spreadsheet keeps them as dates)
    html = client.get(f"/incoming/book?register_id={work['register']}&kind=tracking").get_data(
        as_text=True)
    assert f"<td>{work['deadline']:%d/%m/%Y}</td>" in html


def test_reports_page_shows_dates_as_text(login_as):
    html = login_as("lanhdao").get(f"/stats/reports/?kind=dossiers&from=01/01/{_year()}"
                                   ).get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert any(DAY.match(c) for c in cells) and not any(
        re.match(r"^\d{4}-\d{2}-\d{2}$", c) for c in cells)


def test_dossier_contents_name_the_agency_as_author_of_outgoing(app, login_as, db_session):
    dossier = new_dossier(app, db_session, "chuyenvien")
    outgoing = make_outgoing(app, db_session, "chuyenvien")
    link(app, db_session, dossier, "chuyenvien", "outgoing", outgoing.id)
    unit = user(db_session, "chuyenvien").department.name
    client = login_as("chuyenvien")
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    row = re.search(r'<tr class="toc-row kind-outgoing">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[4].strip() == app.config["AGENCY_NAME"] != unit
    assert re.search(r'<td class="toc-number">.*?' + re.escape(outgoing.number_symbol), row,
                     re.S)
    assert re.search(r"\.toc-number\s*\{\s*white-space:\s*nowrap", html)
    api = client.get(f"/api/v1/dossier/{dossier.id}").get_json()
    authors = {str(item.get("number_symbol")): item.get("author")
               for item in api["result"]["items"]}
    assert authors[outgoing.number_symbol] == app.config["AGENCY_NAME"]


def test_catalog_info_has_no_catalog_header_as_description(client, api_as):
    from app.catalogs.views import CATALOGS

    headers = api_as("vanthu")
    for _menu, _label, _icon, _view, api in CATALOGS:
        response = client.get(f"/api/v1/{api.resource_name}/_info", headers=headers)
        assert response.status_code == 200, (api.resource_name, response.status_code)
        assert "Project-Id-Version" not in response.get_data(as_text=True), api.resource_name
        body = response.get_json()
        fields = body["add_columns"] + body["edit_columns"]
        assert fields, api.resource_name
        declared = api.description_columns or {}
        for info in fields:
            assert info["label"] and "Content-Type" not in info["label"]
            # the grid's Vietnamese label, not FAB's name made from the column ("Name")
            assert info["label"] == str(_view.label_columns[info["name"]]), (api, info)
            if info["name"] in declared:
                assert info["description"] == str(declared[info["name"]])
            else:
                assert "description" not in info, (api.resource_name, info)


def test_calendar_feed_says_its_charset_once(client):
    login(client, "chuyenvien")
    html = client.get("/schedule/feeds").get_data(as_text=True)
    client.post("/schedule/feeds/new", data={"csrf_token": csrf_token(html), "kind": "person"})
    html = client.get("/schedule/feeds").get_data(as_text=True)
    path = re.search(r'value="(http[^"]+\.ics)"', html).group(1).split("localhost", 1)[1]
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.data.startswith(b"BEGIN:VCALENDAR")
