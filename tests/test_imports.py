"""Import from spreadsheets (issue 9, part 8) and the "chuyển mã" endpoint (part 9): files built
here with openpyxl and as CSV in several encodings (UTF-8, UTF-8 with BOM, Windows-1258, TCVN3
and VNI bytes, NFD text); the preview's errors row by row; the confirmation imports the valid
rows together, or nothing; numbers, counters, the audit trail, permissions."""
import csv
import io
import json
import re
import time
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.audit.models import AuditEvent
from app.catalogs.models import Agency, Register, Signer
from app.core.legacy_text import unicode_to_tcvn3, unicode_to_vni
from app.documents.models import COMPLETED, IncomingDocument, RegisterCounter
from app.documents.numbering import peek_next_number
from app.core import sheets as reading
from app.core import upload_store as store
from app.imports import services
from app.outgoing.models import OutgoingDocument
from tests.conftest import csrf_token, form_of

INCOMING_HEADERS = ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng",
                    "Tên loại và trích yếu nội dung", "Đơn vị hoặc người nhận", "Ghi chú"]
TONES = "\u0300\u0301\u0303\u0309\u0323"


def xlsx(rows, titles=()):
    workbook = Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(rows, delimiter=","):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


def windows_1258(text):
    """Windows-1258 writes a letter's tone as a combining mark after its base letter."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tone = "".join(c for c in parts if c in TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        out += (base + tone).encode("cp1258")
    return out


def token_of(response):
    match = re.search(r"/imports/([A-Za-z0-9_-]+)/mapping", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def upload(client, kind, name, data, encoding="auto"):
    page = client.get("/imports/")
    return client.post("/imports/", data=form_of(
        page.get_data(as_text=True), kind=kind, encoding=encoding,
        file=(io.BytesIO(data), name)), content_type="multipart/form-data")


def preview(client, kind, name, data, mapping=None, **options):
    """Upload, accept the guessed mapping (or the given one), return (token, preview page)."""
    response = upload(client, kind, name, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    token = token_of(response)
    page = client.get(f"/imports/{token}/mapping")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    fields = {}
    for key, block in re.findall(r'name="col_(\w+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="(\d+)" selected', block)
        fields[f"col_{key}"] = chosen.group(1) if chosen else ""
    if mapping is not None:
        fields = {f"col_{k}": str(v) for k, v in mapping.items()}
    fields.update({k: "1" for k, v in options.items() if v})
    response = client.post(f"/imports/{token}/mapping", data=form_of(html, **fields))
    return token, response


def row_errors(html):
    """{spreadsheet line: its error messages} of the preview."""
    found = {}
    for line, body in re.findall(r'<tr class="[^"]*" data-line="(\d+)">(.*?)</tr>', html, re.S):
        found.setdefault(line, " ".join(re.findall(r"<li>(.*?)</li>", body)))
    return found


def confirm(client, token, page, skip_errors=True):
    data = {"skip_errors": "1"} if skip_errors else {}
    return client.post(f"/imports/{token}/confirm", data=form_of(page, **data))


def incoming_row(number, arrival, agency, symbol, date, excerpt, recipients="", notes=""):
    return [arrival, number, agency, symbol, date, excerpt, recipients, notes]


# ---------------------------------------------------------------- reading

def test_csv_encodings_are_read_as_unicode_nfc():
    text = "Cộng hòa xã hội chủ nghĩa Việt Nam; Sở Nội vụ – Đề án “Bảo tồn”"
    rows = [["Trích yếu", "Ghi chú"], [text, "ghi chú"]]
    for data in (csv_text(rows).encode("utf-8"),
                 b"\xef\xbb\xbf" + csv_text(rows).encode("utf-8"),
                 csv_text(rows, ";").encode("utf-8"),
                 windows_1258(csv_text(rows)),
                 unicode_to_tcvn3(csv_text(rows)).encode("cp1252"),
                 unicode_to_vni(csv_text(rows)).encode("cp1252"),
                 unicodedata.normalize("NFD", csv_text(rows)).encode("utf-8")):
        table = reading.Table(data, "so.csv", max_bytes=10**6)
        lines = list(table.rows())
        assert lines[1][1][0] == text, data[:60]
        assert lines[0][1] == ["Trích yếu", "Ghi chú"]


def test_legacy_cells_of_a_workbook_are_converted():
    excerpt = "Về việc kiểm tra công tác văn thư, lưu trữ năm 2015"
    data = xlsx([["Trích yếu"], [unicode_to_tcvn3(excerpt)], [unicode_to_vni(excerpt)],
                 [unicodedata.normalize("NFD", excerpt)]])
    table = reading.Table(data, "so.xlsx", max_bytes=10**6)
    cells = [cells[0] for _line, cells in table.rows()]
    assert cells == ["Trích yếu", excerpt, excerpt, excerpt]
    assert table.converted == 2


@pytest.mark.parametrize("data,name,message", [
    (b"", "so.xlsx", "Tệp rỗng"),
    (b"Ngay den,So den\n01/02/2015,1\n", "so.xlsx", "không phải bảng tính"),
    (b"PK\x03\x04 not really a zip", "so.xlsx", "hỏng"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "so.xls", ".xls"),
    (b"\x00\x01\x02binary", "so.csv", ".csv"),
])
def test_bad_files_are_refused_in_vietnamese(app, data, name, message):
    with app.app_context(), pytest.raises(Exception) as error:
        reading.Table(data, name, max_bytes=10**6)
    assert message in str(error.value)


def test_dates_and_numbers():
    assert reading.parse_datetime("05/3/2015").date().isoformat() == "2015-03-05"
    assert reading.parse_datetime("05-03-2015 08:30").hour == 8
    assert reading.parse_datetime("2015-03-05").day == 5
    for bad in ("31/02/2015", "5/3/15", "hôm qua"):
        with pytest.raises(ValueError):
            reading.parse_datetime(bad)
    for out_of_range in ("01/01/0001", "9999-12-31", datetime(1, 1, 1, 8, 0)):
        with pytest.raises(ValueError, match="chỉ nhận năm từ 1900 đến 2100"):
            reading.parse_datetime(out_of_range)
    assert reading.parse_int(12.0) == 12 and reading.parse_int(" 012 ") == 12
    with pytest.raises(ValueError):
        reading.parse_int("12a")


def test_headers_are_guessed_from_vietnamese_wording():
    mapping = services.guess_mapping(services.IncomingImporter, INCOMING_HEADERS)
    assert mapping == {"arrival_date": 0, "arrival_number": 1, "agency": 2,
                       "number_symbol": 3, "document_date": 4, "excerpt": 5,
                       "recipients": 6, "notes": 7}
    outgoing = ["Số, ký hiệu văn bản", "Ngày tháng văn bản",
                "Tên loại và trích yếu nội dung văn bản", "Người ký", "Nơi nhận văn bản",
                "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận",
                "Ghi chú"]
    assert services.guess_mapping(services.OutgoingImporter, outgoing) == {
        "number_symbol": 0, "issued_date": 1, "excerpt": 2, "signer_name": 3,
        "recipients": 4, "archive_holder": 5, "copies": 6, "notes": 9}


# ---------------------------------------------------------------- incoming register

def _incoming_count(db_session, year):
    return db_session.scalar(select(func.count()).select_from(IncomingDocument).where(
        IncomingDocument.arrival_year == year))


def test_incoming_register_preview_errors_then_import(login_as, db_session, app):
    client = login_as("vanthu")
    tcvn3_excerpt = unicode_to_tcvn3("Về việc tổ chức hội nghị tổng kết năm 2014")
    rows = [
        incoming_row(1, "05/01/2015", "Sở Tài chính tỉnh Hà Nam", "12/STC-NS", "02/01/2015",
                     "Công văn: về việc quyết toán ngân sách năm 2014", "Phòng Kế hoạch"),
        incoming_row(2, "06/01/2015", "STP", "5/QĐ-STP", "05/01/2015",
                     "Quyết định về việc kiện toàn tổ công tác"),  # short name
        incoming_row(3, "07/01/2015", "000.00.06.H30", "7/KH-SKHĐT", "06/01/2015",
                     tcvn3_excerpt),  # electronic ID; TCVN3 text
        incoming_row(2, "08/01/2015", "STP", "6/STP", "07/01/2015", "Số đến trùng"),
        incoming_row(4, "31/02/2015", "STP", "8/STP", "07/01/2015", "Ngày sai"),
        incoming_row(5, "09/01/2015", "Cơ quan không có thật", "9/X", "07/01/2015",
                     "Cơ quan lạ"),
        incoming_row(6, "09/01/2015", "STP", "10/STP", "07/01/2015", None),
        incoming_row(20, "12/01/2015", "Sở Y tế tỉnh Hà Nam", "11/SYT", "08/01/2015",
                     unicodedata.normalize("NFD", "Kế hoạch tiêm chủng mở rộng")),
    ]
    data = xlsx([INCOMING_HEADERS] + rows, titles=["SỞ NỘI VỤ TỈNH HÀ NAM",
                                                   "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"])
    token, page = preview(client, "incoming", "so-den-2015.xlsx", data)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert "8 dòng dữ liệu: 4 dòng hợp lệ, 4 dòng lỗi" in html
    errors = row_errors(html)
    # Two title lines and the header: the data starts on line 4.
    assert "Số đến 2 năm 2015 trùng với dòng 5 của tệp" in errors["7"]
    assert "31/02/2015" in errors["8"] and "không có thật" in errors["8"]
    assert "Cơ quan không có thật" in errors["9"] and "chưa có trong danh mục" in errors["9"]
    assert "Thiếu «Trích yếu»" in errors["10"]
    assert errors["4"] == errors["11"] == ""
    assert "Sổ văn bản đến" in html and "sổ sẽ được tạo" in html
    assert "Đã chuyển 1 ô từ bảng mã TCVN3/VNI" in html
    assert _incoming_count(db_session, 2015) == 0  # the preview writes nothing

    # Errors present: the clerk must tick "skip the error rows".
    refused = confirm(client, token, html, skip_errors=False)
    assert refused.status_code == 302 and _incoming_count(db_session, 2015) == 0
    done = confirm(client, token, html)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/{token}/result")
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "thêm mới 4" in result and "bỏ qua 4 dòng lỗi" in result

    db_session.expire_all()
    documents = {d.arrival_number: d for d in db_session.scalars(select(IncomingDocument).where(
        IncomingDocument.arrival_year == 2015))}
    assert sorted(documents) == [1, 2, 3, 20]
    assert documents[1].document_type.name == "Công văn"
    assert documents[1].excerpt == "về việc quyết toán ngân sách năm 2014"
    assert documents[2].document_type.name == "Quyết định"
    assert documents[2].agency.name == "Sở Tư pháp tỉnh Hà Nam"
    assert documents[3].excerpt == "Về việc tổ chức hội nghị tổng kết năm 2014"
    assert documents[20].excerpt == unicodedata.normalize("NFC", "Kế hoạch tiêm chủng mở rộng")
    assert all(d.state == COMPLETED and d.channel == "paper" for d in documents.values())
    register = documents[1].register
    assert (register.name, register.year, register.direction) == ("Sổ văn bản đến", 2015, "in")
    assert peek_next_number(db_session, register.id, 2015) == 21  # counter raised to 20
    audit = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "import")
                              .order_by(AuditEvent.id.desc()))
    assert audit.object_type == "incoming_document" and "so-den-2015.xlsx" in audit.summary
    assert "bỏ qua 4 dòng lỗi" in audit.summary
    # The file is gone; its summary stays for the result page.
    with app.app_context():
        assert store.data_of(token) is None

    # The same register again: every number and document now collides.
    token2, page2 = preview(client, "incoming", "so-den-2015-lan-2.xlsx", data)
    html2 = page2.get_data(as_text=True)
    assert "Số đến 1 đã có trong «Sổ văn bản đến» năm 2015" in html2
    assert "0 dòng hợp lệ" in html2 and "Không có dòng hợp lệ để nhập" in html2


def test_unknown_agencies_can_be_created_on_request(login_as, db_session):
    client = login_as("vanthu")
    rows = [INCOMING_HEADERS,
            incoming_row(1, "05/01/2013", "Trường Chính trị tỉnh Hà Nam", "1/TCT",
                         "02/01/2013", "Báo cáo kết quả đào tạo"),
            incoming_row(2, "06/01/2013", "trường chính trị tỉnh hà nam", "2/TCT",
                         "03/01/2013", "Kế hoạch bồi dưỡng")]
    token, page = preview(client, "incoming", "2013.xlsx", xlsx(rows), create_agencies=True)
    html = page.get_data(as_text=True)
    assert "Sẽ thêm 1 cơ quan mới vào danh mục: Trường Chính trị tỉnh Hà Nam" in html
    assert confirm(client, token, html).status_code == 302
    agencies = db_session.scalars(select(Agency).where(
        func.lower(Agency.name) == "trường chính trị tỉnh hà nam")).all()
    assert len(agencies) == 1
    assert _incoming_count(db_session, 2013) == 2


def test_a_failure_while_writing_saves_nothing(login_as, db_session, monkeypatch):
    client = login_as("vanthu")
    rows = [INCOMING_HEADERS] + [
        incoming_row(n, "05/01/2012", "STP", f"{n}/STP", "02/01/2012", f"Văn bản {n}")
        for n in range(1, 6)]
    token, page = preview(client, "incoming", "2012.xlsx", xlsx(rows))
    html = page.get_data(as_text=True)
    assert "5 dòng hợp lệ" in html
    original, calls = services.IncomingImporter.save_row, []

    def failing(self, row, register):
        calls.append(row.line)
        if len(calls) == 4:
            raise SQLAlchemyError("disk full")
        original(self, row, register)

    monkeypatch.setattr(services.IncomingImporter, "save_row", failing)
    response = confirm(client, token, html)
    assert response.status_code == 302 and "/mapping" in response.headers["Location"]
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chưa lưu dòng nào" in followed
    db_session.expire_all()
    assert _incoming_count(db_session, 2012) == 0
    assert db_session.scalar(select(Register).where(Register.year == 2012,
                                                    Register.direction == "in")) is None
    assert db_session.scalar(select(RegisterCounter).join(Register).where(
        Register.year == 2012)) is None
    # Fixed: the kept file is imported on a second try.
    monkeypatch.setattr(services.IncomingImporter, "save_row", original)
    assert confirm(client, token, html).status_code == 302
    assert _incoming_count(db_session, 2012) == 5


def test_data_changed_since_the_preview_is_not_imported(login_as, db_session):
    client = login_as("vanthu")
    rows = [INCOMING_HEADERS,
            incoming_row(1, "05/01/2011", "STP", "1/STP", "02/01/2011", "Một"),
            incoming_row(2, "05/01/2011", "STP", "2/STP", "02/01/2011", "Hai")]
    data = xlsx(rows)
    token, page = preview(client, "incoming", "2011.xlsx", data)
    other, other_page = preview(client, "incoming", "2011-b.xlsx", xlsx(rows[:2]))
    assert confirm(client, other, other_page.get_data(as_text=True)).status_code == 302
    response = confirm(client, token, page.get_data(as_text=True))
    followed = client.get(response.headers["Location"], follow_redirects=True)
    assert "Dữ liệu đã thay đổi từ lúc xem trước" in followed.get_data(as_text=True)
    assert _incoming_count(db_session, 2011) == 1


def test_csv_register_in_windows_1258_with_nfd_and_semicolons(login_as, db_session):
    client = login_as("vanthu")
    rows = [INCOMING_HEADERS,
            incoming_row(7, "05/03/2010", "Sở Nội vụ tỉnh Hà Nam", "7/SNV", "01/03/2010",
                         "Thông báo lịch tiếp công dân", "Văn phòng")]
    token, page = preview(client, "incoming", "2010.csv", windows_1258(csv_text(rows, ";")))
    html = page.get_data(as_text=True)
    assert "1 dòng hợp lệ" in html, html
    assert confirm(client, token, html).status_code == 302
    document = db_session.scalar(select(IncomingDocument).where(
        IncomingDocument.arrival_year == 2010, IncomingDocument.arrival_number == 7))
    assert document.excerpt == "Thông báo lịch tiếp công dân"
    assert document.document_type.name == "Thông báo"


def test_mapping_problems_and_stale_or_foreign_tokens(login_as, client, app):
    clerk = login_as("vanthu")
    token, page = preview(clerk, "incoming", "x.xlsx", xlsx([INCOMING_HEADERS]),
                          mapping={"arrival_number": 1, "arrival_date": 1})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Chọn cột cho «Cơ quan ban hành» (bắt buộc)" in html
    assert "Mỗi cột của tệp chỉ dùng cho một trường" in html
    assert clerk.get("/imports/not-a-token/mapping").status_code == 404
    assert clerk.get(f"/imports/{token}/progress").status_code == 200
    # Stale form: no CSRF token.
    assert clerk.post(f"/imports/{token}/confirm", data={}).status_code == 400
    # Another clerk's… here: another person cannot reach the upload at all.
    officer = login_as("chuyenvien")
    assert officer.get(f"/imports/{token}/mapping").status_code == 403
    # Expired after a day: purged.
    with app.app_context():
        folder = Path(app.config["DATA_DIR"]) / "imports"
        old = time.time() - 2 * 24 * 3600
        for path in folder.glob(f"{token}.*"):
            import os
            os.utime(path, (old, old))
        assert store.purge() >= 1
        assert not list(folder.glob(f"{token}.*"))


def test_row_limit(app, db_session):
    data = xlsx([["Họ và tên", "Chức vụ"]] + [[f"Người {n}", "Chuyên viên"] for n in range(3)])
    with app.test_request_context():
        table = reading.Table(data, "x.xlsx", max_bytes=10**6)
        with pytest.raises(services.DomainError) as error:
            services.analyse(db_session, None, "signers", table, 1,
                             {"full_name": 0, "position_title": 1}, {"filename": "x"},
                             max_rows=2)
    assert "Tệp có hơn 2 dòng" in str(error.value)


def test_upload_errors(login_as):
    client = login_as("vanthu")
    for kind, name, data, message in [
            ("incoming", "so.xlsx", b"", "Chọn tệp .xlsx hoặc .csv"),
            ("incoming", "so.xlsx", b"not a workbook", "không phải bảng tính"),
            ("nothing", "so.csv", b"a,b\n", "Chọn loại dữ liệu"),
            ("incoming", "so.csv", b"\n\n", "không có dữ liệu")]:
        response = upload(client, kind, name, data)
        assert response.status_code == 422, (name, response.status_code)
        assert message in response.get_data(as_text=True), message


# ---------------------------------------------------------------- outgoing register

def test_outgoing_register_import(login_as, db_session):
    client = login_as("vanthu")
    signer = db_session.scalar(select(Signer).where(Signer.active).order_by(Signer.id))
    headers = ["Số, ký hiệu văn bản", "Ngày tháng văn bản",
               "Tên loại và trích yếu nội dung văn bản", "Người ký", "Nơi nhận văn bản",
               "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ghi chú"]
    rows = [headers,
            ["01/QĐ-SNV", "03/01/2014", "Quyết định: về việc nâng bậc lương", signer.full_name,
             "Sở Tài chính tỉnh Hà Nam; Như trên; Lưu: VT", "Phòng TCCB", 3, ""],
            ["Số: 2/SNV-VP", "04/01/2014", "V/v báo cáo biên chế", "Nguyễn Văn Cũ",
             "STC", "VT", "2", ""],
            ["2/TB-SNV", "05/01/2014", "Thông báo kết luận", "Nguyễn Văn Cũ", "", "", "", ""],
            ["1/QĐ-SNV", "06/01/2014", "Trùng số, ký hiệu", "Nguyễn Văn Cũ", "", "", "", ""],
            ["QĐ-SNV", "06/01/2014", "Thiếu số", "Nguyễn Văn Cũ", "", "", "", ""],
            ["9/TB-SNV", "06/01/2014", "Bản sao", "Nguyễn Văn Cũ", "", "", "nhiều", ""]]
    token, page = preview(client, "outgoing", "so-di-2014.xlsx", xlsx(rows))
    html = page.get_data(as_text=True)
    assert "2 dòng hợp lệ" in html, html
    assert "Số 2 năm 2014 trùng với dòng 3" in html
    assert "Số 1 năm 2014 trùng với dòng 2" in html
    assert "phải có dạng số/ký hiệu" in html
    assert "Số lượng bản «nhiều» phải là số nguyên" in html
    assert confirm(client, token, html).status_code == 302
    documents = {d.number: d for d in db_session.scalars(select(OutgoingDocument).where(
        OutgoingDocument.year == 2014))}
    assert sorted(documents) == [1, 2]
    first = documents[1]
    assert first.number_symbol == "01/QĐ-SNV" and first.symbol == "QĐ-SNV"
    assert first.document_type.name == "Quyết định" and first.copies == 3
    assert first.signer_position == signer.position_title
    assert [r.agency.name for r in first.recipients] == ["Sở Tài chính tỉnh Hà Nam"]
    assert "Như trên; Lưu: VT" in first.notes
    assert documents[2].number_symbol == "2/SNV-VP"
    register = first.register
    assert (register.name, register.direction) == ("Sổ văn bản đi", "out")
    assert peek_next_number(db_session, register.id, 2014) == 3


# ---------------------------------------------------------------- catalogs

def test_agency_catalog_import(login_as, db_session):
    client = login_as("vanthu")
    rows = [["Tên cơ quan", "Tên viết tắt", "Mã định danh", "Mã cũ", "Địa chỉ", "Email",
             "Điện thoại"],
            ["Ban Quản lý các khu công nghiệp tỉnh Hà Nam", "BQLKCN", "000.00.40.H30",
             "28.40.H30", "Phủ Lý", "bql@hanam.gov.vn", "0226 3852 000"],
            ["Sở Y tế tỉnh Hà Nam", "", "", "", "Số 1 Lê Hoàn", "", ""],  # update
            ["Sở Tư pháp tỉnh Hà Nam", "STP", "000.00.05.H30", "", "", "", ""],  # same
            ["Cơ quan mã sai", "", "28.22.H17", "", "", "", ""],
            ["Cơ quan trùng mã", "", "000.00.04.H30", "", "", "", ""],
            ["Cơ quan thư sai", "", "", "", "", "không-phải-thư", ""],
            ["ban quản lý các khu công nghiệp tỉnh hà nam", "", "", "", "", "", ""]]
    token, page = preview(client, "agencies", "co-quan.xlsx", xlsx(rows))
    html = page.get_data(as_text=True)
    assert "3 dòng hợp lệ" in html, html
    assert "Mã định danh «28.22.H17» không đúng dạng 000.00.00.H30" in html
    assert "Mã định danh 000.00.04.H30 đã thuộc cơ quan «Sở Nội vụ tỉnh Hà Nam»" in html
    assert "Thư điện tử «không-phải-thư» không hợp lệ" in html
    assert "Tên cơ quan trùng với dòng 2" in html
    assert confirm(client, token, html).status_code == 302
    agency = db_session.scalar(select(Agency).where(Agency.electronic_id == "000.00.40.H30"))
    assert agency.name == "Ban Quản lý các khu công nghiệp tỉnh Hà Nam"
    assert agency.legacy_code == "28.40.H30"
    health = db_session.scalar(select(Agency).where(Agency.name == "Sở Y tế tỉnh Hà Nam"))
    assert health.address == "Số 1 Lê Hoàn" and health.electronic_id == "000.00.18.H30"
    assert db_session.scalar(select(Agency).where(Agency.name == "Cơ quan mã sai")) is None


def test_signer_catalog_import_in_vni_csv(login_as, db_session):
    client = login_as("vanthu")
    rows = [["Họ và tên", "Chức vụ", "Thẩm quyền ký"],
            ["Trần Thị Hồng Nhung", "Phó Giám đốc", "KT"],
            ["Lê Văn Thử", "Chánh Văn phòng", "XYZ"]]
    token, page = preview(client, "signers", "nguoi-ky.csv",
                          unicode_to_vni(csv_text(rows)).encode("cp1252"))
    html = page.get_data(as_text=True)
    assert "1 dòng hợp lệ" in html and "Thẩm quyền ký phải là một trong" in html
    assert confirm(client, token, html).status_code == 302
    signer = db_session.scalar(select(Signer).where(Signer.full_name == "Trần Thị Hồng Nhung"))
    assert (signer.position_title, signer.authority) == ("Phó Giám đốc", "KT.")


# ---------------------------------------------------------------- permissions

@pytest.mark.parametrize("username", ["chuyenvien", "lanhdao", "truongphong", "quantri"])
def test_only_the_clerk_imports(login_as, username):
    client = login_as(username)
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/template/incoming.xlsx").status_code == 403
    assert "Nhập từ Excel" not in client.get("/").get_data(as_text=True)


def test_clerk_menu_and_template(login_as):
    client = login_as("vanthu")
    assert "Nhập từ Excel" in client.get("/imports/").get_data(as_text=True)
    response = client.get("/imports/template/outgoing.xlsx")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    assert client.get("/imports/template/nothing.xlsx").status_code == 404


# ---------------------------------------------------------------- "chuyển mã"

def _convert(client, text, token, **extra):
    return client.post("/text/convert", json={"text": text, **extra},
                       headers={"X-CSRFToken": token})


@pytest.mark.parametrize("username", ["vanthu", "chuyenvien", "lanhdao"])
def test_convert_endpoint(login_as, username):
    client = login_as(username)
    page = client.get("/drafts/new" if username == "chuyenvien" else "/incoming/register"
                      if username == "vanthu" else "/")
    html = page.get_data(as_text=True)
    token = csrf_token(html)
    sample = "Cộng hòa xã hội chủ nghĩa Việt Nam – Độc lập, Tự do, Hạnh phúc"
    tcvn3 = _convert(client, unicode_to_tcvn3(sample), token).get_json()
    assert tcvn3 == {"text": sample, "encoding": "tcvn3", "changed": True,
                     "label": "TCVN3 (ABC, .VnTime)"}
    assert _convert(client, unicode_to_vni(sample), token).get_json()["text"] == sample
    assert _convert(client, "CéNG HOµ", token, encoding="tcvn3h").get_json()["text"] == \
        "CỘNG HOÀ"
    unchanged = _convert(client, sample, token).get_json()
    assert unchanged["changed"] is False and unchanged["text"] == sample
    nfd = _convert(client, unicodedata.normalize("NFD", sample), token).get_json()
    assert nfd["text"] == sample
    assert _convert(client, 12, token).status_code == 400
    assert _convert(client, "x", token, encoding="ebcdic").status_code == 400
    # No CSRF token: refused.
    assert client.post("/text/convert", json={"text": "x"}).status_code == 400
    if username != "lanhdao":
        assert 'data-legacy-convert="Chuyển mã"' in html
        assert "js/legacy-convert.js" in html


def test_convert_needs_a_login(client):
    page = client.get("/login/")
    response = client.post("/text/convert", json={"text": "x"},
                           headers={"X-CSRFToken": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 401
    assert json.loads(response.data).get("message")
