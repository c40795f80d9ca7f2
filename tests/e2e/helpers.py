"""Small Playwright helpers shared by the journeys (the only home of such helpers)."""
import re

from playwright.sync_api import expect


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def navbar(page):
    return page.locator(".navbar")


def open_menu(page, category: str, item: str) -> None:
    """Open a navbar dropdown by its label and click one of its entries."""
    menu = navbar(page).locator("li.dropdown").filter(
        has=page.locator("a.dropdown-toggle", has_text=exactly(category)))
    menu.locator("a.dropdown-toggle").click()
    with page.expect_navigation():
        menu.locator(".dropdown-menu a", has_text=exactly(item)).click()


def expect_flash(page, text: str) -> None:
    expect(page.locator(".alert").filter(has_text=text).first).to_be_visible()


def switch_user(page, live_server, login_as, username: str) -> None:
    from tests.e2e.conftest import logout

    logout(page, live_server)
    login_as(username)
    expect(navbar(page)).to_contain_text("Đăng xuất")


def choose(page, select_id: str, label: str) -> None:
    """Pick an option of a select2-enhanced <select> by its visible label, through select2."""
    container = page.locator(f"select#{select_id} + .select2-container")
    container.click()
    search = page.locator(".select2-container--open input.select2-search__field")
    if search.count():
        search.press_sequentially(label[:12])
    page.locator(".select2-results__option", has_text=exactly(label)).click()
    expect(page.locator(f"select#{select_id} option:checked")).to_have_text(exactly(label))


def enter_date(field, value: str) -> None:
    """Enter a dd/mm/yyyy date as the form asks. Should the field be a native date input,
    enter it as its picker does (the browser then submits yyyy-mm-dd)."""
    if field.get_attribute("type") == "date":
        day, month, year = value.split("/")
        value = f"{year}-{month}-{day}"
    field.fill(value)


def click_confirmed(page, button) -> None:
    """Press a button; when it asks first (data-confirm: the dialog of static/js/confirm.js),
    check the dialog shows its question and answer OK. Wrap in page.expect_navigation() as for
    a click."""
    question = button.get_attribute("data-confirm")
    button.click()
    if question:
        dialog = page.locator("#eoffice-confirm")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#eoffice-confirm-text")).to_have_text(question)
        dialog.locator(".confirm-ok").click()
