"""A paper letter registered from its scan, through the real browser (issue 21): the clerk
attaches the scanned letter on the registration form, the empty fields fill with what was read
from it, each marked "Đề xuất từ bản quét — kiểm tra lại"; the clerk corrects one, registers,
and the document page shows the values (screenshots test-output/screenshots/ocr-*.png)."""
import random
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import exactly, expect_flash
from tests.ocr_integration_helpers import letter_pdf, ocr_or_skip, scanned_pdf

pytestmark = pytest.mark.browser

REGISTER = "/incoming/register"
AGENCY = "Sở Tài chính tỉnh Hà Nam"  # the catalog's name of "SỞ TÀI CHÍNH" under "UBND TỈNH HÀ NAM"
BADGE = "Đề xuất từ bản quét — kiểm tra lại"


def metadata(page, heading: str):
    return page.locator("table.document-metadata tr").filter(
        has=page.locator("th", has_text=exactly(heading))).locator("td")


def group_of(page, field_id: str):
    return page.locator(".form-group").filter(has=page.locator(f"#{field_id}"))


def test_a_scanned_letter_fills_the_registration_form(page, live_server, login_as, shot,
                                                      tmp_path):
    ocr_or_skip()
    pytest.importorskip("app.core.recognize", reason="the recogniser (app.core.recognize)")
    number_symbol = f"{random.randint(100, 9999)}/STC-NS"
    scan = tmp_path / "cong-van-ban-quet.pdf"
    scan.write_bytes(scanned_pdf(letter_pdf(
        number_symbol=number_symbol, place_date="Hà Nam, ngày 05 tháng 3 năm 2026",
        excerpt="V/v hướng dẫn quyết toán ngân sách năm 2025",
        position="GIÁM ĐỐC", signer="Nguyễn Văn An")))

    login_as("vanthu")
    page.goto(f"{live_server}{REGISTER}")
    expect(page.locator("#ocr-read")).to_have_text(re.compile("Đọc bản quét"))
    page.locator("#number_symbol").fill("")
    page.locator("#files").set_input_files(str(scan))  # choosing the file reads it

    status = page.locator("#ocr-status")
    expect(status).to_contain_text("kiểm tra lại", timeout=60_000)
    expect(page.locator("#number_symbol")).to_have_value(number_symbol)
    expect(page.locator("#document_date")).to_have_value("05/03/2026")
    expect(page.locator("#agency_id option:checked")).to_have_text(exactly(AGENCY))
    expect(page.locator("#document_type_id option:checked")).to_have_text(exactly("Công văn"))
    expect(page.locator("#excerpt")).to_have_value("V/v hướng dẫn quyết toán ngân sách năm 2025")
    # the signer's name is read too, perhaps with a wrong accent (OCR): the clerk checks it
    expect(page.locator("#signer_name")).to_have_value(re.compile(r"^Nguy.n Văn An$"))
    for field in ("number_symbol", "document_date", "agency_id", "document_type_id", "excerpt",
                  "signer_name"):
        expect(group_of(page, field).locator(".ocr-proposed-badge")).to_have_text(exactly(BADGE))
        expect(group_of(page, field)).to_have_class(re.compile(r"\bocr-proposed\b"))
    shot(page, "ocr-01-proposed")

    # The clerk corrects a proposal: it is theirs now, its mark goes; the others stay marked.
    page.locator("#signer_name").fill("Nguyễn Văn An")
    expect(group_of(page, "signer_name").locator(".ocr-proposed-badge")).to_have_count(0)
    expect(group_of(page, "number_symbol").locator(".ocr-proposed-badge")).to_have_count(1)
    excerpt = "V/v hướng dẫn quyết toán ngân sách địa phương năm 2025"
    page.locator("#excerpt").fill(excerpt)
    expect(group_of(page, "excerpt").locator(".ocr-proposed-badge")).to_have_count(0)
    shot(page, "ocr-02-corrected")

    with page.expect_navigation():
        page.locator("form button[type=submit]", has_text="Lưu").click()
    expect_flash(page, "Đã vào sổ văn bản đến số")
    expect(page).to_have_url(re.compile(r"/incoming/\d+$"))
    expect(metadata(page, "Trích yếu")).to_have_text(exactly(f"Công văn: {excerpt}"))
    expect(metadata(page, "Cơ quan ban hành")).to_have_text(exactly(AGENCY))
    expect(metadata(page, "Số, ký hiệu")).to_have_text(
        exactly(f"{number_symbol} ngày 05/03/2026"))
    expect(metadata(page, "Người ký")).to_have_text(exactly("Giám đốc Nguyễn Văn An"))
    files = page.locator("ul.document-files")
    expect(files.locator("a", has_text=scan.name)).to_be_visible()
    expect(files.locator(".ocr-state")).to_have_text(re.compile("Đang nhận dạng chữ"))
    shot(page, "ocr-03-registered")
