"""A grid's filter on a related record in a real browser: the dropdown of document types is
filled on demand as the clerk types (select2 with AJAX, our choices endpoint), the filter
narrows the grid, and the chosen entry is shown again when the filtered page comes back."""
import re

from playwright.sync_api import expect


def test_clerk_filters_the_incoming_grid_by_type(login_as, live_server, shot):
    page = login_as("vanthu")
    page.goto(f"{live_server}/incoming/list/list/")
    page.get_by_text("Lọc theo điều kiện").click()
    page.get_by_role("button", name="Thêm điều kiện lọc").click()
    page.locator("#filter_form .dropdown-menu a.filter[name=document_type]").click()
    row = page.locator("#filter_form table.filters tr").last
    # FAB's filter script added the row's <select>, and select2 is there to enhance it (a
    # failure says which of the two was missing, not only that the dropdown never came)
    expect(row.locator("select.ajax-choices")).to_have_count(1)
    assert page.evaluate("() => !!(window.jQuery && window.jQuery.fn.select2)"), \
        "select2 is not loaded on the page"
    with page.expect_response(re.compile(r"/incoming/list/choices/document_type\?")):
        row.locator(".select2-container").last.click()
        page.locator(".select2-search__field").fill("quyet dinh")
    option = page.locator(".select2-results__option", has_text=re.compile(r"^Quyết định$"))
    expect(option).to_have_count(1)
    option.click()
    shot(page, "grid-filter-on-demand")
    with page.expect_navigation():
        page.locator("#filter_form button[type=submit]").click()
    assert re.search(r"_flt_0_document_type=\d+", page.url)
    headers = page.locator("table.table thead th").all_inner_texts()
    column = next(i for i, text in enumerate(headers, 1) if "Loại văn bản" in text)
    types = page.locator(f"table.table tbody tr td:nth-child({column})")  # the type column
    expect(types.first).to_be_visible()
    assert set(types.all_inner_texts()) == {"Quyết định"}
    # the page restored from the address shows the chosen type in its filter
    expect(page.locator("#filter_form .select2-selection__rendered").last).to_have_text(
        re.compile("Quyết định"))
