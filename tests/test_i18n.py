"""Vietnamese first: complete catalogs, lang attribute, English selectable, NFC everywhere,
dates dd/mm/yyyy in Vietnam time."""
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.catalogs import models as m
from app.core.text import fold, nfc, vietnamese_sort_key
from app.core.timefmt import format_date, format_datetime

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_catalog_is_complete_and_not_fuzzy(locale):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    untranslated = [msg.id for msg in catalog if msg.id and not msg.string]
    fuzzy = [msg.id for msg in catalog if msg.id and msg.fuzzy]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_catalog_covers_every_string_in_the_code():
    """The template extracted from the code has no msgid that the vi catalog lacks."""
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = {msg.id for msg in read_po(f) if msg.id}
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = {msg.id for msg in read_po(f) if msg.id}
    assert template <= catalog


def test_vietnamese_catalog_is_nfc_and_old_style_tones():
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        strings = [text for msg in read_po(f) if msg.id
                   for text in (msg.string if isinstance(msg.string, tuple) else (msg.string,))]
    assert all(unicodedata.normalize("NFC", s) == s for s in strings)
    new_style = re.compile(r"\b(hoà|hoá|thoả|uỷ|khoẻ|thuỷ)\b", re.IGNORECASE)
    assert not [s for s in strings if new_style.search(s)]


def test_fab_pages_are_in_vietnamese(client, login_as):
    login_page = client.get("/login/").get_data(as_text=True)
    assert '<html lang="vi">' in login_page
    assert "Tên đăng nhập" in login_page and "Mật khẩu" in login_page
    client = login_as("quantri")
    users = client.get("/users/list/").get_data(as_text=True)
    for word in ("Người dùng", "Quản trị hệ thống", "Đăng xuất", "Vai trò", "Đơn vị"):
        assert word in users, word


def test_english_is_selectable(login_as):
    client = login_as("vanthu")
    client.get("/lang/en")
    html = client.get("/documenttypeview/list/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Document type" in html or "Document types" in html
    assert "Logout" in html
    client.get("/lang/vi")
    assert "Đăng xuất" in client.get("/documenttypeview/list/").get_data(as_text=True)


def test_wrong_login_message(client):
    from tests.conftest import login

    html = login(client, "cv.vtlt", "sai-mat-khau").get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in html


def test_text_helpers():
    decomposed = unicodedata.normalize("NFD", "Hỏa tốc")
    assert decomposed != "Hỏa tốc" and nfc(decomposed) == "Hỏa tốc"
    assert fold("ĐẤT ĐAI  Hà Nam") == "dat dai ha nam"
    assert fold("hòa") == fold("hoà") == "hoa"
    assert sorted(["Đông", "Dung", "Ấn", "An", "Ăn", "Bình"], key=vietnamese_sort_key) == [
        "An", "Ăn", "Ấn", "Bình", "Dung", "Đông"]


def test_dates_are_dd_mm_yyyy_in_vietnam_time():
    assert format_date(date(2026, 3, 5)) == "05/03/2026"
    # 20:30 UTC on 31 Dec is 03:30 on 1 Jan in Hà Nội
    assert format_datetime(datetime(2025, 12, 31, 20, 30)) == "01/01/2026 03:30"
    assert format_date(datetime(2025, 12, 31, 20, 30)) == "01/01/2026"


def test_nfd_input_is_stored_nfc_from_the_web(login_as, db_session):
    from tests.conftest import form_of

    client = login_as("vanthu")
    name_nfc = "Phòng họp Thượng khẩn NFC"
    page = client.get("/meetingroomview/add").get_data(as_text=True)
    client.post("/meetingroomview/add", data=form_of(
        page, name=unicodedata.normalize("NFD", name_nfc), active="y"))
    assert db_session.query(m.MeetingRoom).filter_by(name=name_nfc).count() == 1


def test_nfd_input_is_stored_nfc_from_the_api(client, api_as, db_session):
    name_nfc = "Lĩnh vực Hỏa tốc NFC"
    response = client.post("/api/v1/field/", headers=api_as("vanthu"), json={
        "code": "NFC1", "name": unicodedata.normalize("NFD", name_nfc)})
    assert response.status_code == 201
    assert db_session.query(m.Field).filter_by(name=name_nfc).count() == 1


def test_nfd_written_outside_a_request_is_stored_nfc(db_session):
    name_nfc = "Chuyên mục Thủy lợi NFC"
    db_session.add(m.NewsCategory(name=unicodedata.normalize("NFD", name_nfc)))
    db_session.commit()
    assert db_session.query(m.NewsCategory).filter_by(name=name_nfc).count() == 1


def test_user_show_page_dates_are_vietnamese(login_as, db_session):
    from app.org.models import EofficeUser

    client = login_as("quantri")
    user = db_session.query(EofficeUser).filter_by(username="vanthu").one()
    html = client.get(f"/users/show/{user.id}").get_data(as_text=True)
    assert format_datetime(user.created_on) in html
