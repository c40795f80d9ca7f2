"""The network administrator's day in the browser (issue 19): a role "Văn thư phòng" made in the
permission matrix with part of the clerk's functions, given to a person who then has exactly
those menus; the change read back in the audit trail; people imported from .xlsx. The
screenshots of README come from here (test-output/screenshots/admin-*.png)."""
import io
import uuid

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.e2e.helpers import exactly, expect_flash, navbar, open_menu, switch_user

pytestmark = pytest.mark.browser

ADMIN_MENU = "Quản trị hệ thống"
FUNCTIONS = ["Tài khoản của mình: xem, đổi mật khẩu, xác thực hai bước, phiên đăng nhập, "
             "thông báo",
             "Xem văn bản đến thuộc lĩnh vực phụ trách và được giao",
             "Xem mọi văn bản đến của cơ quan",
             "Tiếp nhận, vào sổ, sửa thông tin và đóng dấu đến"]


def test_administrator_gives_a_custom_role_part_of_the_clerks_functions(
        page, live_server, login_as, app, shot):
    login_as("quantri")
    open_menu(page, ADMIN_MENU, "Phân quyền theo chức năng")
    expect(page.locator("h2")).to_have_text(exactly("Phân quyền theo chức năng"))
    expect(page.locator("th.matrix-role.builtin")).to_have_count(6)

    role = f"Văn thư phòng {uuid.uuid4().hex[:4]}"
    page.locator("#new-role-name").fill(role)
    with page.expect_navigation():
        page.locator("form.matrix-new-role button").click()
    expect_flash(page, f"Đã tạo vai trò {role}")
    for label in FUNCTIONS:
        page.get_by_label(f"{role}: {label}", exact=True).check()
    with page.expect_navigation():
        page.locator("button.matrix-preview-button").click()
    preview = page.locator(".matrix-preview")
    expect(preview).to_contain_text(role)
    for label in FUNCTIONS:
        expect(preview.locator("li.added", has_text=label)).to_have_count(1)
    expect(preview.locator("li.removed")).to_have_count(0)
    shot(page, "admin-01-permission-matrix-preview")
    with page.expect_navigation():
        preview.locator("button.matrix-save").click()
    expect_flash(page, f"Đã lưu phân quyền của {role}")

    # the role goes to a person through the user form
    username = f"vtp{uuid.uuid4().hex[:5]}"
    with app.app_context():
        sm = app.appbuilder.sm
        person = sm.add_user(username=username, first_name="Thu", last_name="Phạm Thị",
                             email=f"{username}@example.vn", role=sm.find_role("Chuyên viên"),
                             password=app.config["DEMO_PASSWORD"])
        person.must_change_password = False
        sm.session.commit()
        person_id = person.id
    page.goto(f"{live_server}/users/edit/{person_id}")
    roles = page.locator("select#roles")
    roles.evaluate("""(select, name) => {
        for (const option of select.options) option.selected = option.text === name;
        select.dispatchEvent(new Event('change', {bubbles: true}));
    }""", role)
    with page.expect_navigation():
        page.locator("form#model_form [type=submit]").first.click()
    expect_flash(page, "Đã cập nhật")

    # what this person may do, as the administrator reads it
    page.goto(f"{live_server}/rights/person/{person_id}")
    for label in FUNCTIONS:
        expect(page.locator(".person-functions li", has_text=label)).to_have_count(1)
    expect(page.locator(".person-functions")).not_to_contain_text("Trình lãnh đạo")
    shot(page, "admin-02-what-this-person-may-do")

    # the person: the register form, not the registers nor the leader's actions
    switch_user(page, live_server, login_as, username)
    documents = navbar(page).locator("li.dropdown").filter(has_text="Văn bản")
    documents.locator("a.dropdown-toggle").first.click()
    expect(documents.locator(".dropdown-menu a", has_text=exactly("Vào sổ văn bản đến"))) \
        .to_have_count(1)
    expect(documents.locator(".dropdown-menu a", has_text="Sổ đăng ký")).to_have_count(0)
    page.goto(f"{live_server}/incoming/book")
    expect(page.locator("body")).to_contain_text("Không có quyền truy cập")

    # the administrator reads the change in the audit trail, in Vietnamese
    switch_user(page, live_server, login_as, "quantri")
    open_menu(page, ADMIN_MENU, "Nhật ký hệ thống")
    page.locator("input[name=q]").fill(role)
    with page.expect_navigation():
        page.locator("form.audit-filters button[type=submit]").click()
    grid = page.locator("table tbody").last  # the grid (the first is the filter form's)
    expect(grid).to_contain_text("Phân quyền theo chức năng")
    expect(grid).not_to_contain_text("ab_role")
    expect(grid).not_to_contain_text("object at 0x")
    shot(page, "admin-03-audit-trail")
    row = grid.locator("tr").filter(has=page.locator("td", has_text=exactly(
        "Phân quyền theo chức năng")))
    with page.expect_navigation():
        row.locator("a").first.click()
    line = page.locator("body")
    expect(line).to_contain_text("Chức năng")
    for label in FUNCTIONS:
        expect(line).to_contain_text(label)
    expect(line).not_to_contain_text("functions")
    shot(page, "admin-03b-audit-line")


def sheet(rows) -> bytes:
    book = Workbook()
    book.active.append(["Họ và tên đệm", "Tên", "Tên đăng nhập", "Đơn vị", "Chức vụ",
                        "Vai trò", "Thư điện tử", "Điện thoại"])
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_administrator_imports_people_from_a_spreadsheet(page, live_server, login_as, shot):
    login_as("quantri")
    open_menu(page, ADMIN_MENU, "Nhập người dùng từ Excel")
    tag = uuid.uuid4().hex[:5]
    content = sheet([
        ["Nguyễn Văn", "An", f"an.{tag}", "VP", "Chuyên viên", "Chuyên viên",
         f"an.{tag}@example.vn", "0912345678"],
        ["Lê Thị", "Bình", f"binh.{tag}", "Phòng không có", "Chuyên viên", "Chuyên viên",
         f"binh.{tag}@example.vn", ""],
    ])
    page.locator("input[type=file]").set_input_files(
        {"name": "nguoi-dung.xlsx", "mimeType":
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "buffer": content})
    with page.expect_navigation():
        page.get_by_role("button", name="Tải lên và xem trước").click()
    body = page.locator("body")
    expect(body).to_contain_text("Sẽ tạo")
    expect(body).to_contain_text("Phòng không có")
    shot(page, "admin-04-import-people-preview")
    with page.expect_navigation():
        page.get_by_role("button", name="Tạo 1 tài khoản").click()
    created = page.locator("table tbody tr").filter(has_text=f"an.{tag}")
    expect(created).to_have_count(1)
    password = created.locator("code.temporary-password").inner_text()
    assert len(password) >= 12
    expect(page.locator("body")).not_to_contain_text(f"binh.{tag}@")
