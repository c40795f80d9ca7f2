"""Small Playwright helpers shared by the journeys."""
import re


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
