"""The "chuyển mã" button on the catalog and organisation forms (FAB-generated): the Vietnamese
name fields carry its attributes (LegacyConvertMixin) and the page loads the script. The
conversion itself is tested through /text/convert (tests/test_imports.py)."""
import re

import pytest
from sqlalchemy import select

from app.catalogs.models import Agency
from tests.conftest import form_of


def field_tag(html: str, name: str) -> str:
    match = re.search(rf'<(?:input|textarea)\b[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no field {name}"
    return match.group(0)


def has_button(html: str, name: str) -> bool:
    return 'data-legacy-convert="Chuyển mã"' in field_tag(html, name)


def test_agency_add_and_edit_forms_have_the_button(login_as, db_session):
    client = login_as("vanthu")
    agency = db_session.scalar(select(Agency).order_by(Agency.id))
    for url in ("/agencyview/add", f"/agencyview/edit/{agency.id}"):
        html = client.get(url).get_data(as_text=True)
        for name in ("name", "short_name", "address"):
            assert has_button(html, name), (url, name)
        tag = field_tag(html, "name")
        assert 'data-legacy-convert-title="Chuyển chữ gõ bằng phông TCVN3' in tag
        assert 'data-legacy-convert-same="Không thấy chữ TCVN3/VNI."' in tag
        # Codes are not Vietnamese text: no button.
        assert not has_button(html, "electronic_id") and not has_button(html, "email")
        assert html.count("js/legacy-convert.js") == 1
    assert f'value="{agency.name}"' in field_tag(
        client.get(f"/agencyview/edit/{agency.id}").get_data(as_text=True), "name")


def test_agency_form_still_saves(login_as, db_session):
    client = login_as("vanthu")
    page = client.get("/agencyview/add").get_data(as_text=True)
    client.post("/agencyview/add", data=form_of(
        page, name="Ủy ban nhân dân xã Thanh Hà", short_name="UBND xã Thanh Hà",
        address="Xã Thanh Hà, huyện Thanh Liêm", active="y"))
    agency = db_session.scalar(select(Agency).where(Agency.name == "Ủy ban nhân dân xã Thanh Hà"))
    assert agency is not None and agency.short_name == "UBND xã Thanh Hà"
    db_session.delete(agency)
    db_session.commit()


@pytest.mark.parametrize("username,url,names", [
    ("vanthu", "/signerview/add", ["full_name", "position_title"]),
    ("vanthu", "/documenttypeview/add", ["name"]),
    ("vanthu", "/fieldview/add", ["name"]),
    ("quantri", "/departmentview/add", ["name"]),
    ("quantri", "/positionview/add", ["name"]),
])
def test_other_catalog_forms_have_the_button(login_as, username, url, names):
    html = login_as(username).get(url).get_data(as_text=True)
    for name in names:
        assert has_button(html, name), (url, name)
    assert "js/legacy-convert.js" in html
