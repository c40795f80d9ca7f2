"""The overdue work at a decade's scale (issue 15): the overdue report shows a page of its
lines with a pager (the spreadsheet has them all); the overdue page, the grid's badges and the
home tiles are remembered per version of the data (app.audit.version) — and move at once when
the data do."""
import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from app.core.timefmt import local_now
from app.documents import services
from tests.conftest import pdf, user
from tests.incoming_helpers import entry


def report_rows(html):
    table = html[html.index("report-section"):]
    table = table[table.index("<tbody>"):table.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", table, re.S)


def test_the_overdue_report_shows_a_page_and_its_spreadsheet_every_line(
        app, login_as, db_session, monkeypatch):
    with app.test_request_context():
        _total, groups = services.overdue_summary(db_session, user(db_session, "lanhdao"))
    pieces = sum(count for *_rest, count in groups)
    assert pieces >= 5  # the demo has late work of several kinds
    monkeypatch.setattr(services, "OVERDUE_PAGE", 2)
    leader = login_as("lanhdao")
    first = leader.get("/stats/reports/?kind=overdue").get_data(as_text=True)
    pages = (pieces + 1) // 2
    assert len(report_rows(first)) == 2
    assert f"Trang 1/{pages}" in first and "Trang sau" in first and "Trang trước" not in first
    last = leader.get(f"/stats/reports/?kind=overdue&page={pages}").get_data(as_text=True)
    assert len(report_rows(last)) == pieces - 2 * (pages - 1)
    assert f"Trang {pages}/{pages}" in last and "Trang trước" in last
    assert report_rows(last) != report_rows(first)
    # a page beyond the last shows the last
    beyond = leader.get("/stats/reports/?kind=overdue&page=99999").get_data(as_text=True)
    assert report_rows(beyond) == report_rows(last)
    sheet = leader.get("/stats/reports/?kind=overdue&format=xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert len([row for row in rows if isinstance(row[-1], int)]) == pieces


def overdue_total(browser):
    html = browser.get("/incoming/overdue").get_data(as_text=True)
    return int(re.search(r'class="overdue-total">(\d+)<', html).group(1))


def overdue_badge(browser):
    html = browser.get("/incoming/list/list/").get_data(as_text=True)
    return int(re.search(r'box=overdue">[^<]*<span class="badge[^"]*">(\d+)</span>',
                         html).group(1))


def test_the_remembered_overdue_figures_move_with_a_new_late_document(
        app, login_as, db_session):
    """The clerk registers a document whose deadline has passed and has not presented it yet:
    the clerk's overdue page and "Quá hạn" badge, read from the cache a moment before, count
    it at once (the clerks answer for presenting it: app.documents.deadlines)."""
    clerk = login_as("vanthu")
    total, badge = overdue_total(clerk), overdue_badge(clerk)
    assert (overdue_total(clerk), overdue_badge(clerk)) == (total, badge)  # from the cache
    now = local_now().replace(second=0, microsecond=0, tzinfo=None)
    with app.test_request_context():
        services.register_incoming(db_session, user(db_session, "vanthu"), entry(
            db_session, excerpt="V/v quá hạn mới, xem lại bộ nhớ đệm",
            arrival_at=now - timedelta(days=6), document_date=(now - timedelta(days=7)).date(),
            deadline=now.date() - timedelta(days=2)), [(pdf(), "cong-van.pdf")])
        db_session.commit()
    clerk = login_as("vanthu")
    assert overdue_total(clerk) == total + 1
    assert overdue_badge(clerk) == badge + 1
    assert "V/v quá hạn mới, xem lại bộ nhớ đệm" in clerk.get(
        "/incoming/overdue").get_data(as_text=True)



def test_the_overdue_page_finds_the_late_work_once_for_its_groups_and_first_page(
        app, login_as, statements):
    """A unit leader opens the overdue page with nothing remembered: the late work they may
    see is found by one statement for the months before this one and one for this month
    (app.documents.arrival_months), each giving both the counts per group and the first page
    (finding it is most of the page's time at a decade of documents)."""
    from app.extensions import cache

    leader = login_as("truongphong")
    with app.app_context():
        cache.clear()
    statements.clear()
    html = leader.get("/incoming/overdue").get_data(as_text=True)
    finding = [sql for sql in statements if "overdue_items" in sql]
    assert len(finding) == 2, finding
    for sql in finding:
        assert "GROUP BY" in sql and "row_number()" in sql.lower()
    assert int(re.search(r'class="overdue-total">(\d+)<', html).group(1)) > 0


def work_of(items):
    return [(item.kind, item.document.id, item.line.id if item.line else None)
            for item in items]


def test_the_overdue_pages_one_after_another_are_the_whole_list_in_its_order(
        app, db_session, monkeypatch):
    """The first page (found with the groups) and the pages after it (each found alone) follow
    one another as the spreadsheet lists the work: nothing twice, nothing left out, the same
    order — for a unit leader and for the agency leader."""
    from app.extensions import cache

    monkeypatch.setattr(services, "OVERDUE_PAGE", 2)
    for account in ("truongphong", "lanhdao"):
        with app.test_request_context():
            cache.clear()
            person = user(db_session, account)
            everything = work_of(services.all_overdue_lines(db_session, person))
            assert len(everything) >= 5, account  # several pages of late work in the demo
            pages = [work_of(services.overdue_lines(db_session, person, offset=offset))
                     for offset in range(0, len(everything), 2)]
        assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1)
        assert [work for page in pages for work in page] == everything, account
