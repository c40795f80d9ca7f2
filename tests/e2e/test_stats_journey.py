"""The leader's dashboard in a real browser: every chart is drawn by Chart.js from our own
files (the page guard fails on any request to another host, script error or CSP violation),
a click on a bar opens the documents behind it, and the clerk's report downloads as a valid
.xlsx whose figures match the database."""
import io
import re
from datetime import date

from openpyxl import load_workbook

from app.core.timefmt import today_local
from tests.test_stats import incoming_rows

DRAWN = """canvas => {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { painted++; } }
    return painted;
}"""


def test_leader_dashboard_draws_every_chart_and_drills_down(login_as, live_server, shot):
    page = login_as("lanhdao")
    page.goto(f"{live_server}/stats/dashboard")
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() == 12
    page.wait_for_function(
        "document.querySelectorAll('canvas[data-drawn=\"true\"]').length === 12")
    for index in range(canvases.count()):
        canvas = canvases.nth(index)
        assert canvas.evaluate(DRAWN) > 100, canvas.get_attribute("data-chart")
    shot(page, "stats-dashboard")

    # The biggest type of incoming document: its bar opens the list of those documents.
    chart = page.locator('canvas[data-chart="incoming_by_type"]')
    chart.scroll_into_view_if_needed()
    x, y, value = chart.evaluate("""canvas => {
        const bar = canvas.chart.getDatasetMeta(0).data[0];
        return [bar.x - (bar.x - bar.base) / 2, bar.y, canvas.chart.data.datasets[0].data[0]];
    }""")
    with page.expect_navigation():
        chart.click(position={"x": x, "y": y})
    assert "/incoming/list/list/" in page.url and "type=" in page.url
    count = page.locator("text=Số bản ghi:").locator("..").inner_text()
    assert int(re.search(r"(\d+)", count).group(1)) == value
    shot(page, "stats-drill-down")


def test_clerk_downloads_the_report_as_xlsx(login_as, live_server, db_session):
    page = login_as("vanthu")
    end = today_local()
    page.goto(f"{live_server}/stats/reports/?kind=incoming&from=01/01/2026"
              f"&to={end:%d/%m/%Y}")
    assert page.locator(".report-section").count() >= 2
    with page.expect_download() as info:
        page.locator(".xlsx-download").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    total = next(row for row in rows if row[0] == "Tổng số văn bản đến trong kỳ")
    assert total[1] == len(incoming_rows(db_session, date(2026, 1, 1), end)) > 0


def test_empty_period_shows_no_chart(login_as, live_server):
    page = login_as("truongphong")
    page.goto(f"{live_server}/stats/dashboard")
    page.locator("#stats-from").fill("01/01/2001")
    page.locator("#stats-to").fill("31/01/2001")
    with page.expect_navigation():
        page.locator(".stats-filter [type=submit]").click()
    assert page.locator("canvas").count() == 0
    assert page.locator(".empty-state").count() >= 12
