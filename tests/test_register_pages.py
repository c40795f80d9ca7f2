"""The registers as a clerk opens them (issue 15): a page opens on this month and on its last
page (the latest entries), a hundred entries a page; the cover names the whole period's first
and last numbers; the .xlsx holds the whole period, sent as a stream."""
import io
import re
import uuid
from datetime import date

import pytest
from openpyxl import load_workbook

from app.core.timefmt import format_date, today_local
from app.documents import registers, services
from tests.conftest import user
from tests.incoming_helpers import entry


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(registers, "BOOK_PAGE_SIZE", 2)


@pytest.fixture
def five_entries(app, db_session, scratch_register):
    """A register of the test's own with five entries registered today: their numbers."""
    register_id = scratch_register(f"Sổ đến thử trang {uuid.uuid4().hex[:8]}", "in",
                                   today_local().year)
    clerk = user(db_session, "vanthu")
    numbers = []
    with app.test_request_context():
        for n in range(5):
            document = services.register_incoming(
                db_session, clerk, entry(db_session, register_id=register_id,
                                         excerpt=f"V/v trang sổ thử số {n + 1}"))
            numbers.append(document.arrival_number)
    return register_id, numbers


def _excerpts(html):
    return re.findall(r"V/v trang sổ thử số (\d)", html)


def test_the_register_opens_on_this_month_at_its_latest_entries(login_as, five_entries,
                                                                 small_pages):
    register_id, numbers = five_entries
    html = login_as("vanthu").get(f"/incoming/book?register_id={register_id}").get_data(
        as_text=True)
    today = today_local()
    assert f"Từ ngày {format_date(today.replace(day=1))} đến ngày {format_date(today)}" in html
    # the cover counts the whole period, the page shows its last two lines out of five
    assert f"từ số {numbers[0]} đến số {numbers[-1]}" in html
    assert _excerpts(html) == ["5"]
    assert "trang 3 / 3" in html


def test_a_register_page_is_chosen_by_number(login_as, five_entries, small_pages):
    register_id, numbers = five_entries
    client = login_as("vanthu")
    html = client.get(f"/incoming/book?register_id={register_id}&page=2").get_data(as_text=True)
    assert _excerpts(html) == ["3", "4"]
    assert 'rel="prev"' in html and 'rel="next"' in html
    first = client.get(f"/incoming/book?register_id={register_id}&page=1").get_data(as_text=True)
    assert _excerpts(first) == ["1", "2"] and 'rel="prev"' not in first
    # a page beyond the last shows the last, never an empty page or an error
    beyond = client.get(f"/incoming/book?register_id={register_id}&page=99999999999999999999")
    assert beyond.status_code == 200 and _excerpts(beyond.get_data(as_text=True)) == ["5"]


def test_the_spreadsheet_holds_the_whole_period_as_a_stream(login_as, five_entries,
                                                           small_pages):
    register_id, numbers = five_entries
    response = login_as("vanthu").get(f"/incoming/book?register_id={register_id}&format=xlsx")
    assert response.status_code == 200 and response.is_streamed
    sheet = load_workbook(io.BytesIO(response.data)).active
    arrival_numbers = [row[1] for row in sheet.iter_rows(min_row=8, values_only=True)]
    assert arrival_numbers == numbers


def test_an_earlier_years_register_opens_on_its_december(login_as, scratch_register):
    year = today_local().year - 1
    register_id = scratch_register(f"Sổ đến năm trước {uuid.uuid4().hex[:8]}", "in", year)
    html = login_as("vanthu").get(f"/incoming/book?register_id={register_id}").get_data(
        as_text=True)
    assert (f"Từ ngày {format_date(date(year, 12, 1))} đến ngày "
            f"{format_date(date(year, 12, 31))}") in html
    # and the whole year is one click away, as a spreadsheet
    assert (f"from={format_date(date(year, 1, 1))}&to={format_date(date(year, 12, 31))}"
            "&format=xlsx") in html
