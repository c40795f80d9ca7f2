"""The network administrator's people pages (issue 19): import of accounts from .xlsx with a
preview and the errors of each row, then one confirmation that creates the valid rows with
temporary passwords shown once; and the accounts that have not logged in for N days (Art. 5.2)
with their export. Files built here with openpyxl; usernames unique to each run."""
import io
import random
import re
import uuid
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.timefmt import utcnow
from app.org.models import EofficeUser
from app.security import people
from tests.conftest import csrf_token, form_of, login

HEADERS = ["Họ và tên đệm", "Tên", "Tên đăng nhập", "Đơn vị", "Chức vụ", "Vai trò",
           "Thư điện tử", "Điện thoại"]


def xlsx(rows, headers=HEADERS, titles=()):
    workbook = Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def suffix():
    return uuid.uuid4().hex[:6]


def upload(client, data, name="nguoi-dung.xlsx"):
    page = client.get("/people/import/")
    assert page.status_code == 200
    return client.post("/people/import/", data=form_of(
        page.get_data(as_text=True), file=(io.BytesIO(data), name)),
        content_type="multipart/form-data")


def confirm(client, preview_html):
    token = re.search(r'name="token" value="([^"]+)"', preview_html).group(1)
    return client.post("/people/import/confirm", data=form_of(preview_html, token=token))


def row_results(html):
    """{spreadsheet line: the row's check result (errors, or "Sẽ tạo")} of the preview."""
    found = {}
    for line, body in re.findall(r'<tr class="[^"]*" data-line="(\d+)">(.*?)</tr>', html, re.S):
        errors = re.findall(r"<li>(.*?)</li>", body)
        found[int(line)] = " ".join(errors) if errors else re.sub(r"<[^>]+>", " ", body)
    return found


def passwords(html):
    """{username: temporary password} of the result page."""
    return dict(re.findall(r'<tr data-username="([^"]+)">.*?<code class="temporary-password">'
                           r'([^<]+)</code>', html, re.S))


def count_users(session):
    session.rollback()
    return session.scalar(select(func.count(EofficeUser.id)))


def audit_lines(session, action=None):
    session.rollback()
    query = select(func.count(AuditEvent.id))
    if action:
        query = query.where(AuditEvent.action == action)
    return session.scalar(query)


def person(session, username):
    session.rollback()
    return session.scalar(select(EofficeUser).where(EofficeUser.username == username))


def test_preview_errors_then_confirm_creates_the_valid_rows(login_as, db_session, app):
    s = suffix()
    good, second, dup = f"nv.a{s}", f"nv.b{s}", f"nv.c{s}"
    rows = [
        # 3: valid — unit by code, two roles with ";"
        ["Trần Văn", "An", good, "CCHC", "Chuyên viên", "Chuyên viên", f"{good}@example.vn",
         "0912345678"],
        # 4: valid — unit by name without accents, role in other case, "," separator
        ["Lê Thị", "Bình", second, "van phong so", "Văn thư", "văn thư,", f"{second}@example.vn",
         ""],
        # 5: unknown unit (close match offered), unknown position, unknown role
        ["Phạm", "Chi", f"nv.x{s}", "Phòng Cải cách", "Trưởng phòg", "Lãnh đạo phòg",
         f"x{s}@example.vn", ""],
        # 6: the same username as line 3, invalid email
        ["Hoàng", "Dũng", good.upper(), "VP", "", "Chuyên viên", "khong-phai-email", ""],
        # 7: an existing username (demo account), Public role
        ["Đỗ", "Em", "vanthu", "", "", "Public", f"e{s}@example.vn", ""],
        # 8: separation of duties: administrator and clerk
        ["Vũ", "Giang", dup, "VP", "", "Quản trị mạng; Văn thư", f"{dup}@example.vn", ""],
        # 9: missing required values
        ["", "", f"nv.y{s}", "VP", "", "", "", ""],
    ]
    client = login_as("quantri")
    before = count_users(db_session)
    response = upload(client, xlsx(rows, titles=["DANH SÁCH NGƯỜI DÙNG"]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    results = row_results(html)
    assert "Sẽ tạo" in results[3] and "Sẽ tạo" in results[4]
    assert "Không có đơn vị «Phòng Cải cách»" in results[5]
    assert "Phòng Cải cách hành chính" in results[5]  # the close match
    assert "Không có chức vụ «Trưởng phòg»" in results[5] and "«Trưởng phòng»" in results[5]
    assert "Không có vai trò «Lãnh đạo phòg»" in results[5]
    assert "trùng với dòng 3" in results[6] and "không hợp lệ" in results[6]
    assert "đã có người dùng" in results[7] and "khách chưa đăng nhập" in results[7]
    assert "Tách bạch nhiệm vụ" in results[8]
    assert "Thiếu «Họ và tên đệm»" in results[9] and "Thiếu «Vai trò»" in results[9]
    assert count_users(db_session) == before  # the preview creates nothing

    done = confirm(client, html)
    result = done.get_data(as_text=True)
    assert done.status_code == 200, result
    assert done.headers["Cache-Control"] == "no-store"
    assert count_users(db_session) == before + 2
    shown = passwords(result)
    assert set(shown) == {good, second}
    assert "Các dòng không được nhập" in result and "Tách bạch nhiệm vụ" in result

    first = person(db_session, good)
    assert (first.last_name, first.first_name, first.email, first.phone) == (
        "Trần Văn", "An", f"{good}@example.vn", "0912345678")
    assert first.department.code == "CCHC" and first.position.name == "Chuyên viên"
    assert [r.name for r in first.roles] == ["Chuyên viên"]
    assert first.must_change_password
    other = person(db_session, second)
    assert other.department.code == "VP" and [r.name for r in other.roles] == ["Văn thư"]
    # no password in clear anywhere: only its hash, and nothing of it in the trail
    assert shown[good] not in (first.password or "")
    assert db_session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.summary.contains(shown[good]) | AuditEvent.changes.contains(shown[good]))) == 0
    assert db_session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "import", AuditEvent.object_type == "ab_user")) >= 1

    # the new person logs in with the temporary password, and must change it first
    newcomer = app.test_client()
    answer = login(newcomer, good, shown[good]).get_data(as_text=True)
    assert "mật khẩu tạm thời" in answer

    # confirming the same preview again creates nothing more (and shows no password)
    again = confirm(client, html)
    assert again.status_code == 302 and count_users(db_session) == before + 2


def test_a_stale_preview_is_checked_again(login_as, db_session):
    s = suffix()
    name = f"nv.s{s}"
    client = login_as("quantri")
    html = upload(client, xlsx([["Trần", "Sơn", name, "VP", "", "Chuyên viên",
                                 f"{name}@example.vn", ""]])).get_data(as_text=True)
    assert "Sẽ tạo" in row_results(html)[2]
    # someone creates the same username in between (another file, same person)
    other = upload(client, xlsx([["Trần", "Sơn", name, "VP", "", "Chuyên viên",
                                  f"khac.{name}@example.vn", ""]])).get_data(as_text=True)
    assert confirm(client, other).status_code == 200
    before = count_users(db_session)
    stale = confirm(client, html)
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Dữ liệu đã thay đổi" in text and "đã có người dùng" in text
    assert count_users(db_session) == before


NOISE = random.Random(19).randbytes  # the same bytes in every test process (pytest-xdist)


@pytest.mark.parametrize("name, data, message", [
    ("hong.xlsx", NOISE(2048), "không phải bảng tính Excel"),
    ("hong.xlsx", b"PK\x03\x04" + NOISE(2048), "bị hỏng"),
    ("anh.png", b"\x89PNG\r\n\x1a\n" + NOISE(64), "Chỉ nhận tệp Excel (.xlsx)"),
    ("mat-khau.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le")
     + NOISE(512), "đặt mật khẩu"),
    ("thieu-cot.xlsx", xlsx([["A", "B"]], headers=["Họ và tên đệm", "Tên"]), "Tệp thiếu cột"),
    ("rong.xlsx", xlsx([]), "không có dòng dữ liệu"),
], ids=["random", "broken-zip", "png", "encrypted", "missing-columns", "empty"])
def test_bad_files_get_a_vietnamese_message_never_a_500(login_as, db_session, name, data,
                                                        message):
    client = login_as("quantri")
    before = count_users(db_session)
    response = upload(client, data, name)
    assert response.status_code == 422, response.status_code
    assert message in response.get_data(as_text=True), message
    assert count_users(db_session) == before


def test_too_many_rows_and_formulas(login_as, db_session, monkeypatch):
    client = login_as("quantri")
    monkeypatch.setattr(people, "MAX_ROWS", 3)
    rows = [["Trần", "An", f"r{n}.{suffix()}", "VP", "", "Chuyên viên",
             f"r{n}.{suffix()}@example.vn", ""] for n in range(4)]
    response = upload(client, xlsx(rows))
    assert response.status_code == 422
    assert "Tệp có hơn 3 người" in response.get_data(as_text=True)
    # a formula is read as its cached value (none here: openpyxl wrote no result), never run
    s = suffix()
    response = upload(client, xlsx([["Trần", "=HYPERLINK(\"http://x\")", f"f.{s}", "VP", "",
                                     "Chuyên viên", f"f.{s}@example.vn", ""]]))
    assert response.status_code == 200
    assert "Thiếu «Tên»" in row_results(response.get_data(as_text=True))[2]


def test_template_lists_the_catalogs(login_as):
    client = login_as("quantri")
    response = client.get("/people/import/template.xlsx")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    workbook = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in workbook.worksheets[0][1]] == HEADERS
    catalog = [[c.value for c in row] for row in workbook["Danh mục"].iter_rows()]
    assert ["VP", "Văn phòng Sở"] == catalog[1][:2] or any(r[0] == "VP" for r in catalog)
    roles = {r[3] for r in catalog}
    assert "Văn thư" in roles and "Public" not in roles


def test_gets_change_nothing(login_as, db_session):
    client = login_as("quantri")
    users, lines = count_users(db_session), audit_lines(db_session)
    downloads = audit_lines(db_session, "download")
    for url in ("/people/import/", "/people/inactive/", "/people/inactive/?days=7&page=1",
                "/people/import/confirm", "/people/inactive/?days=abc"):
        assert client.get(url).status_code in (200, 405), url
    assert count_users(db_session) == users and audit_lines(db_session) == lines
    # the downloads write their one audit line, and nothing else
    for url in ("/people/import/template.xlsx", "/people/inactive/export?days=30"):
        assert client.get(url).status_code == 200
    assert count_users(db_session) == users
    assert audit_lines(db_session) == lines + 2
    assert audit_lines(db_session, "download") == downloads + 2


@pytest.mark.parametrize("username", ["vanthu", "lanhdao", "chuyenvien"])
def test_only_the_administrator(login_as, username):
    client = login_as(username)
    for url in ("/people/import/", "/people/import/template.xlsx", "/people/inactive/",
                "/people/inactive/export"):
        assert client.get(url).status_code == 403, url
    page = client.get("/").get_data(as_text=True)
    assert client.post("/people/import/", data={"csrf_token": csrf_token(page)}
                       ).status_code == 403
    assert client.post("/people/import/confirm", data={"csrf_token": csrf_token(page)}
                       ).status_code == 403


def test_menu_entries(login_as):
    html = login_as("quantri").get("/people/inactive/").get_data(as_text=True)
    assert "Nhập người dùng từ Excel" in html and "Tài khoản không hoạt động" in html


def test_inactive_accounts_and_their_export(login_as, db_session):
    s = suffix()
    never, today, idle = f"chua.{s}", f"homnay.{s}", f"lau.{s}"
    client = login_as("quantri")
    rows = [["Nguyễn", name.split(".")[0].title(), name, "VTLT", "Chuyên viên", "Chuyên viên",
             f"{name}@example.vn", ""] for name in (never, today, idle)]
    html = upload(client, xlsx(rows)).get_data(as_text=True)
    created = passwords(confirm(client, html).get_data(as_text=True))
    assert set(created) == {never, today, idle}
    moments = {person(db_session, today).id: utcnow(),
               person(db_session, idle).id: utcnow() - timedelta(days=45)}
    for user_id, moment in moments.items():
        db_session.get(EofficeUser, user_id).last_login = moment
    db_session.commit()

    page = client.get("/people/inactive/?days=30").get_data(as_text=True)
    listed = set(re.findall(r'data-username="([^"]+)"', page))
    if never not in listed:  # many never-logged-in accounts come first: filter by page
        pages, number = [page], 1
        while 'class="next"' in pages[-1]:
            pages.append(client.get(f"/people/inactive/?days=30&page={number}")
                         .get_data(as_text=True))
            number += 1
        listed = {u for p in pages for u in re.findall(r'data-username="([^"]+)"', p)}
        page = "".join(pages)
    assert never in listed and idle in listed and today not in listed
    assert "Chưa đăng nhập lần nào" in page
    assert "Chi cục Văn thư – Lưu trữ" in page
    short = client.get("/people/inactive/?days=60").get_data(as_text=True)
    assert idle not in short  # 45 days idle is within 60

    downloads = audit_lines(db_session, "download")
    export = client.get("/people/inactive/export?days=30")
    assert export.status_code == 200 and export.data.startswith(b"PK")
    assert export.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(export.data)).active
    lines = {row[1]: row for row in sheet.iter_rows(values_only=True) if row and row[1]}
    assert never in lines and idle in lines and today not in lines
    assert lines[never][5] == "Chưa đăng nhập lần nào"
    assert lines[idle][2] == "Chi cục Văn thư – Lưu trữ" and lines[idle][4] == "Chuyên viên"
    assert audit_lines(db_session, "download") == downloads + 1
    line = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "download")
                             .order_by(AuditEvent.id.desc()))
    assert line.actor_name == "quantri" and line.object_type == "ab_user"


def test_the_last_login_is_kept_in_utc_whatever_the_servers_zone(login_as, db_session,
                                                                  monkeypatch):
    """FAB writes the server's local time; every time in the database is UTC (the inactive
    list and the dashboard compare it with UTC). A server set to Vietnam time must not make
    someone who logged in now look seven hours away."""
    import time

    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    try:
        login_as("lanhdaovp")
    finally:
        monkeypatch.undo()
        time.tzset()
    db_session.expire_all()
    last = db_session.scalar(select(EofficeUser.last_login).where(
        EofficeUser.username == "lanhdaovp"))
    assert abs(utcnow().replace(tzinfo=None) - last) < timedelta(minutes=2)
