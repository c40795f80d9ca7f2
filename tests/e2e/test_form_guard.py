"""Nothing typed is lost, in the real browser, as the clerk (vanthu): Enter in a field of the
registration form does not send it half filled; a form sent back with an error keeps the chosen
PDF ("Đã chọn: …"), which the saved document then has; leaving a form with changes asks first.
Screenshots: test-output/screenshots/guard-*.png."""
import random
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.core.pdf import make_demo_pdf
from app.core.timefmt import local_now
from app.documents.models import IncomingDocument
from tests.e2e.helpers import choose, enter_date, exactly, expect_flash, open_menu

pytestmark = pytest.mark.browser

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
REGISTER = "/incoming/register"


def registered(db_session, number_symbol):
    db_session.expire_all()
    return db_session.scalar(select(func.count(IncomingDocument.id)).where(
        IncomingDocument.number_symbol == number_symbol))


def chosen_files(page):
    return page.locator("#files").evaluate("input => input.files.length")


def test_clerk_loses_nothing_on_the_registration_form(page, live_server, login_as, shot,
                                                      db_session, tmp_path):
    yesterday = (local_now().date() - timedelta(days=1)).strftime("%d/%m/%Y")
    number_symbol = f"{random.randint(100, 9999)}/UBND-GIU"
    excerpt = f"V/v giữ tệp đính kèm khi nhập sai {number_symbol}"
    pdf = tmp_path / f"ban-quet-{random.randint(1000, 9999)}.pdf"
    pdf.write_bytes(make_demo_pdf("Công văn quét", ["Độc lập - Tự do - Hạnh phúc", excerpt],
                                  font_path=FONT))

    login_as("vanthu")
    open_menu(page, "Văn bản", "Vào sổ văn bản đến")
    expect(page).to_have_url(re.compile(re.escape(REGISTER)))
    choose(page, "agency_id", "Ủy ban nhân dân tỉnh Hà Nam")
    choose(page, "document_type_id", "Công văn")
    page.locator("#excerpt").fill(excerpt)
    page.locator("#files").set_input_files(str(pdf))
    enter_date(page.locator("#document_date"), yesterday)

    # 1. Enter in the number field: nothing is sent, the file is still chosen.
    number = page.locator("#number_symbol")
    number.click()
    number.press_sequentially(number_symbol)
    number.press("Enter")
    page.wait_for_timeout(700)  # a submission would have left the page by now
    expect(page).to_have_url(re.compile(re.escape(REGISTER) + "$"))
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(number).to_have_value(number_symbol)
    assert chosen_files(page) == 1, "the chosen PDF was dropped: the form was sent"
    assert registered(db_session, number_symbol) == 0
    shot(page, "guard-01-enter-does-not-send")

    # 2. A wrong date: the error shows, and so does the chosen PDF, kept on the server.
    enter_date(page.locator("#document_date"), "31/02/2026")
    save = page.locator("form button[type=submit]", has_text="Lưu")
    with page.expect_navigation():
        save.click()
    expect(page.locator(".alert-danger")).to_contain_text("Chưa lưu")
    date_group = page.locator(".form-group.has-error").filter(
        has=page.locator("#document_date"))
    expect(date_group.locator(".error-message")).to_contain_text("dd/mm/yyyy")
    kept = page.locator(".kept-file")
    expect(kept).to_have_count(1)
    expect(kept).to_contain_text(f"Đã chọn: {pdf.name} (")
    expect(kept.locator("label", has_text="Bỏ")).to_be_visible()
    expect(number).to_have_value(number_symbol)
    assert registered(db_session, number_symbol) == 0
    shot(page, "guard-02-error-keeps-the-file")

    # 3. The date fixed, saved without choosing the file again: the document has it.
    enter_date(page.locator("#document_date"), yesterday)
    with page.expect_navigation():
        save.click()
    expect_flash(page, "Đã vào sổ văn bản đến số")
    expect(page).to_have_url(re.compile(r"/incoming/\d+$"))
    files = page.locator("ul.document-files")
    expect(files.locator("a", has_text=exactly(pdf.name))).to_be_visible()
    expect(page.locator(".no-files")).to_have_count(0)
    assert registered(db_session, number_symbol) == 1
    shot(page, "guard-03-saved-with-the-file")

    # 4. A new form, something typed, a menu link: the browser asks before leaving.
    page.goto(f"{live_server}{REGISTER}")
    page.locator("#excerpt").click()
    page.locator("#excerpt").press_sequentially("V/v chưa lưu")
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    menu = page.locator(".navbar li.dropdown").filter(
        has=page.locator("a.dropdown-toggle", has_text=exactly("Văn bản")))
    menu.locator("a.dropdown-toggle").click()
    menu.locator(".dropdown-menu a", has_text=exactly("Văn bản đến quá hạn")).click(
        no_wait_after=True)
    page.wait_for_timeout(700)
    assert dialogs == ["beforeunload"], f"no leave dialog, got {dialogs}"
    expect(page).to_have_url(re.compile(re.escape(REGISTER) + "$"))
    expect(page.locator("#excerpt")).to_have_value("V/v chưa lưu")
    page.remove_listener("dialog", stay)
    shot(page, "guard-04-leave-asks")
