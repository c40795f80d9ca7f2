"""The grids' filter box (app.core.views.KeptSearchWidget): drawn once per grid and language,
it is the box FAB draws, with the filters chosen and this request's nonce; a grid whose
filter offers records from the database draws it at every look."""
import re

import pytest
from flask_appbuilder.widgets import SearchWidget

from app.core import views

GRIDS = ["/incoming/list/list/", "/outgoing/list/list/", "/agencyview/list/",
         "/incoming/list/list/?_flt_0_document_type=1&q=quyết định"]


def filter_box(html: str) -> str:
    start = html.index('<form id="filter_form"')
    end = html.index("</script>", start)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html[start:end])


@pytest.mark.parametrize("url", GRIDS)
def test_the_kept_box_is_the_box_fab_draws(login_as, monkeypatch, url):
    clerk = login_as("vanthu")
    clerk.get(url.split("?")[0])  # the box drawn and kept with no filter chosen
    kept = clerk.get(url).get_data(as_text=True)
    monkeypatch.setattr(views.KeptSearchWidget, "__call__", SearchWidget.__call__)
    fab = clerk.get(url).get_data(as_text=True)
    assert filter_box(kept) == filter_box(fab)
    if "_flt_0" in url:  # the filter chosen is drawn with this request's value
        assert '"document_type"' in filter_box(kept).split("AdminFilters", 1)[1]


def test_each_look_carries_its_own_nonce(login_as):
    clerk = login_as("vanthu")
    clerk.get("/incoming/list/list/")
    response = clerk.get("/incoming/list/list/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    html = response.get_data(as_text=True)
    box = html[html.index('<form id="filter_form"'):]
    assert re.search(r'<script nonce="([^"]+)"', box).group(1) == nonce


def test_a_box_with_a_field_from_the_database_is_not_kept(app, login_as, monkeypatch):
    """A field whose input is not known to depend on its name alone (FAB's QuerySelect
    fields, whose choices are rows) keeps its grid's box from being kept: drawn at every look.
    The grids of the daily work have none; here the incoming grid's text fields stand for one."""
    clerk = login_as("vanthu")
    with app.app_context():
        boxes = app.extensions.setdefault("eoffice.search_boxes", {})
        boxes.clear()
        monkeypatch.setattr(views.KeptSearchWidget, "STATIC_FIELDS", (views.IntegerField,))
        html = clerk.get("/incoming/list/list/").get_data(as_text=True)
        assert '<form id="filter_form"' in html
        assert not [key for key in boxes if key[1] == "/incoming/list"]
        monkeypatch.undo()
        clerk.get("/incoming/list/list/")
        assert [key for key in boxes if key[1] == "/incoming/list"]
