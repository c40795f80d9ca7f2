"""Foundation journeys through the real browser: what the clerk, the network administrator and
an officer see. Labels are the Vietnamese ones of docs/GLOSSARY.md."""
import random
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import exactly, expect_flash, navbar, open_menu

pytestmark = pytest.mark.browser

DOCUMENT_TYPES = "/documenttypeview/list/"
USERS = "/users/list/"
CATALOGS_MENU = "Danh mục"
ACCESS_DENIED = "Không có quyền truy cập"


def grid_row(page, cell_text: str):
    """The grid row having a cell that reads exactly `cell_text`."""
    return page.locator("table tbody tr").filter(
        has=page.locator("td", has_text=exactly(cell_text)))


# a. The clerk keeps the catalogs: a new document type, from the login page to the grid.

def test_clerk_adds_a_document_type(page, live_server, login_as, shot):
    page.goto(f"{live_server}/login/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("body")).to_contain_text("Đăng nhập")
    expect(page.locator("#username")).to_be_visible()
    expect(page.locator("#password")).to_be_visible()
    shot(page, "a-01-login-page")

    login_as("vanthu")
    expect(navbar(page)).to_contain_text("Đăng xuất")
    shot(page, "a-02-clerk-home")

    open_menu(page, CATALOGS_MENU, "Loại văn bản")
    expect(page).to_have_url(re.compile(re.escape(DOCUMENT_TYPES)))
    decision = grid_row(page, "Quyết định")
    expect(decision).to_have_count(1)
    expect(decision.locator("td", has_text=exactly("QĐ"))).to_have_count(1)
    shot(page, "a-03-document-types-grid")

    suffix = random.randint(1000, 9999)
    name = f"Thông báo nội bộ thử nghiệm {suffix}"
    abbreviation = f"TBX{suffix}"
    add = page.locator("a[href$='/documenttypeview/add']")
    expect(add).to_contain_text("Thêm mới")  # the button's screen-reader label
    with page.expect_navigation():
        add.click()
    form = page.locator("form#model_form")
    expect(form.locator("input[name=name]")).to_be_visible()
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=abbreviation]").fill(abbreviation)
    form.locator("select[name=kind]").select_option(label="Văn bản hành chính")
    form.locator("input[name=sort_order]").fill("0")
    expect(form.locator("input[name=active]")).to_be_checked()
    shot(page, "a-04-new-document-type-form")

    save = form.locator("button[type=submit]")
    expect(save).to_have_text(exactly("Lưu"))
    with page.expect_navigation():
        save.click()
    expect_flash(page, "Đã thêm")
    expect(page).to_have_url(re.compile(re.escape(DOCUMENT_TYPES)))
    row = grid_row(page, name)
    if row.count() == 0:  # not on the first page: find it with the grid's own name filter
        page.goto(f"{live_server}{DOCUMENT_TYPES}?_flt_2_name={abbreviation[3:]}")
    expect(row).to_have_count(1)
    expect(row.locator("td", has_text=exactly(abbreviation))).to_have_count(1)
    expect(row).to_contain_text("Văn bản hành chính")
    shot(page, "a-05-document-type-added")


# b. The network administrator gives a user a second role in the security panel, then takes it
#    back. cv.tcbc2 is a demo officer no other test relies on.

USER = "cv.tcbc2"
OFFICER, CLERK = "Chuyên viên", "Văn thư"


def open_user_edit(page, username: str) -> None:
    row = grid_row(page, username)
    expect(row).to_have_count(1)
    with page.expect_navigation():
        row.locator("a[href*='/users/edit/']").click()
    expect(page.locator("form#model_form input[name=username]")).to_have_value(username)


def selected_roles(page) -> list[str]:
    return sorted(page.locator("select#roles option:checked").all_inner_texts())


def save_user(page) -> None:
    save = page.locator("form#model_form button[type=submit]")
    expect(save).to_have_text(exactly("Lưu"))
    with page.expect_navigation():
        save.click()
    expect_flash(page, "Đã cập nhật")


def roles_cell(page, username: str):
    """The roles column of the user's row in the user list."""
    headers = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    assert "Vai trò" in headers, f"no 'Vai trò' column in the user list: {headers}"
    return grid_row(page, username).locator("td").nth(headers.index("Vai trò"))


def expect_only_officer(cell) -> None:
    expect(cell).to_contain_text(OFFICER)
    expect(cell).not_to_contain_text(CLERK)


def test_admin_gives_a_user_a_second_role(page, live_server, login_as, shot):
    login_as("quantri")
    open_menu(page, "Quản trị hệ thống", "Người dùng")
    expect(page).to_have_url(re.compile(re.escape(USERS)))
    expect_only_officer(roles_cell(page, USER))

    open_user_edit(page, USER)
    assert selected_roles(page) == [OFFICER]
    roles = page.locator("select#roles + .select2-container")
    roles.locator("input.select2-search__field").click()
    roles.locator("input.select2-search__field").press_sequentially(CLERK)
    page.locator(".select2-results__option", has_text=exactly(CLERK)).click()
    expect(roles.locator(f".select2-selection__choice[title='{CLERK}']")).to_be_visible()
    assert selected_roles(page) == sorted([OFFICER, CLERK])
    shot(page, "b-01-user-edit-two-roles")

    save_user(page)
    if USERS not in page.url:
        page.goto(f"{live_server}{USERS}")
    cell = roles_cell(page, USER)
    expect(cell).to_contain_text(OFFICER)
    expect(cell).to_contain_text(CLERK)
    shot(page, "b-02-user-list-two-roles")

    with page.expect_navigation():
        grid_row(page, USER).locator("a[href*='/users/show/']").click()
    roles_row = page.locator("table tr").filter(has_text="Vai trò")
    expect(roles_row).to_have_count(1)
    expect(roles_row).to_contain_text(OFFICER)
    expect(roles_row).to_contain_text(CLERK)
    shot(page, "b-03-user-show-two-roles")

    # put the account back as it was
    page.goto(f"{live_server}{USERS}")
    open_user_edit(page, USER)
    page.locator("select#roles + .select2-container "
                 f".select2-selection__choice[title='{CLERK}'] "
                 ".select2-selection__choice__remove").click()
    page.keyboard.press("Escape")  # select2 opens its dropdown after a removal
    assert selected_roles(page) == [OFFICER]
    save_user(page)
    if USERS not in page.url:
        page.goto(f"{live_server}{USERS}")
    expect_only_officer(roles_cell(page, USER))
    shot(page, "b-04-user-list-restored")


# c. An officer has no business with the catalogs: no menu, and no grid by typing the address.

def test_officer_cannot_reach_the_catalogs(page, live_server, login_as, shot):
    login_as("chuyenvien")
    expect(navbar(page)).to_contain_text("Đăng xuất")
    expect(navbar(page).locator("a.dropdown-toggle", has_text=exactly(CATALOGS_MENU))) \
        .to_have_count(0)
    expect(page.locator(f"a[href*='{DOCUMENT_TYPES}']")).to_have_count(0)
    shot(page, "c-01-officer-home")

    response = page.goto(f"{live_server}{DOCUMENT_TYPES}")
    # either an error page answering 403, or FAB's redirect with a flash: both say so in words
    if DOCUMENT_TYPES in page.url:
        assert response.status == 403, f"the grid answered {response.status} to an officer"
    expect(page.locator(".alert").filter(has_text=ACCESS_DENIED).first).to_be_visible()
    expect(page.locator("table th", has_text="Tên loại văn bản")).to_have_count(0)
    expect(grid_row(page, "Quyết định")).to_have_count(0)
    shot(page, "c-02-officer-denied")
