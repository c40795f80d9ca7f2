"""Grids that do not degrade with the data: a capped count ("more than N") with next/previous
and a last page read backwards, permissions read once per request, related rows loaded with
the page, and sorting by the issuing agency in Vietnamese order."""
import pytest
from sqlalchemy import event

from app.core import views


@pytest.fixture
def statements(app):
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_beyond_the_cap_the_count_says_more_than(login_as, monkeypatch):
    client = login_as("vanthu")
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    html = client.get("/incoming/list/list/").get_data(as_text=True)
    assert "hơn 2" in html and "capped-pager" in html
    last = client.get("/incoming/list/list/?last=1").get_data(as_text=True)
    assert last.count("Trang cuối") >= 1 and "capped-pager" in last


def test_a_list_page_reads_permissions_once_and_rows_in_one_query(login_as, statements):
    client = login_as("vanthu")
    client.get("/incoming/list/list/")
    statements.clear()
    assert client.get("/incoming/list/list/").status_code == 200
    permission_reads = [s for s in statements if "ab_permission_view" in s]
    assert len(permission_reads) <= 1, permission_reads
    agency_reads = [s for s in statements if s.lstrip().startswith("SELECT agency.")]
    assert agency_reads == []  # joined with the page's rows, not one query per row
    grid_counts = [s for s in statements if s.startswith("SELECT count(*)") and
                   "FROM (SELECT incoming_document.id AS id \nFROM" in s]
    assert grid_counts and all("LIMIT" in s for s in grid_counts)  # capped, id only


def test_sorted_by_agency_in_vietnamese_order(login_as):
    html = login_as("vanthu").get("/incoming/list/list/?_oc_IncomingView=agency"
                                  "&_od_IncomingView=asc").get_data(as_text=True)
    assert html.count("<tr") > 1
