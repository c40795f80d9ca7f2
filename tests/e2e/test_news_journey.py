"""One news item through the real browser: an officer writes it with a photo (cover and one in
the body, through the editor), her unit leader edits it and sends it up, the director returns
it with a comment, she fixes it and sends it again, the unit leader forwards it, the director
publishes it, and the clerk reads it in the news list with its pictures.
Screenshots: test-output/screenshots/news-*.png."""
import io
import random
import string

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import logout
from tests.e2e.helpers import click_confirmed, open_menu

pytestmark = pytest.mark.browser

CATEGORY = "Tin hoạt động"
RETURN_NOTE = "Bổ sung số đại biểu tham dự"


@pytest.fixture(scope="module")
def title():
    return "Hội nghị tổng kết " + "".join(random.choices(string.ascii_lowercase, k=6))


def photo(path, colour):
    image = Image.new("RGB", (320, 200), colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def open_item(page, base, title, box):
    page.goto(f"{base}/news/?box={box}")
    with page.expect_navigation():
        page.get_by_role("link", name=title).first.click()
    expect(page.locator(".news-title")).to_contain_text(title)


def press(page, action):
    with page.expect_navigation():
        click_confirmed(page, page.locator(f"button.action-{action}"))
    expect(page.locator(".alert-success")).to_contain_text("Đã ghi nhận")


def switch(page, base, login_as, username):
    logout(page, base)
    login_as(username)


def type_in_editor(page, text):
    editor = page.locator(".ql-editor")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def test_news_from_draft_to_published_with_one_return(page, live_server, login_as, title,
                                                      tmp_path, shot):
    base = live_server
    login_as("chuyenvien")
    open_menu(page, "Lịch và tin tức", "Viết tin")
    page.locator("#title").fill(title)
    page.locator("#summary").fill("Sở Nội vụ tổng kết công tác năm.")
    type_in_editor(page, "Sáng nay, Sở Nội vụ tổ chức hội nghị tổng kết công tác năm.")
    with page.expect_file_chooser() as chooser:
        page.locator(".ql-toolbar button.ql-image").click()
    chooser.value.set_files(photo(tmp_path / "trong-bai.jpg", (30, 90, 160)))
    expect(page.locator(".ql-editor img[src^='/news/image/']")).to_have_count(1)
    page.locator("#category_id").select_option(label=CATEGORY)
    page.locator("#cover").set_input_files(photo(tmp_path / "anh-bia.jpg", (160, 40, 40)))
    shot(page, "news-1-write")
    with page.expect_navigation():
        page.locator("button.save-news").click()
    expect(page.locator(".state")).to_have_text("Nháp")
    expect(page.locator(".news-body img")).to_have_count(1)
    press(page, "submit")
    expect(page.locator(".state")).to_have_text("Chờ biên tập")

    # The unit leader edits the title and sends it up.
    switch(page, base, login_as, "truongphong")
    open_item(page, base, title, "todo")
    with page.expect_navigation():
        page.locator("a.edit-news").click()
    expect(page.locator(".ql-editor img")).to_have_count(1)  # the body came back intact
    page.locator("#title").fill(title + " năm 2026")
    with page.expect_navigation():
        page.locator("button.save-news").click()
    expect(page.locator(".news-title")).to_have_text(title + " năm 2026")
    press(page, "forward")
    expect(page.locator(".state")).to_have_text("Chờ duyệt")

    # The director returns it with a comment.
    switch(page, base, login_as, "lanhdao")
    open_item(page, base, title, "todo")
    page.locator(".action-form-return textarea").fill(RETURN_NOTE)
    press(page, "return")
    expect(page.locator(".state")).to_have_text("Bị trả lại")
    shot(page, "news-2-returned")

    # The author sees why, fixes the body, and sends it again.
    switch(page, base, login_as, "chuyenvien")
    open_item(page, base, title, "todo")
    expect(page.locator(".return-comment")).to_contain_text(RETURN_NOTE)
    with page.expect_navigation():
        page.locator("a.edit-news").click()
    type_in_editor(page, " Hội nghị có 120 đại biểu tham dự.")
    with page.expect_navigation():
        page.locator("button.save-news").click()
    expect(page.locator(".news-body")).to_contain_text("120 đại biểu")
    press(page, "submit")

    switch(page, base, login_as, "truongphong")
    open_item(page, base, title, "todo")
    press(page, "forward")

    switch(page, base, login_as, "lanhdao")
    open_item(page, base, title, "todo")
    press(page, "publish")
    expect(page.locator(".state")).to_have_text("Đã xuất bản")

    # Everybody reads it in the news list, pictures included.
    switch(page, base, login_as, "vanthu")
    open_menu(page, "Lịch và tin tức", "Tin tức")
    expect(page.locator(".news-portal")).to_contain_text(title + " năm 2026")
    open_item(page, base, title + " năm 2026", "portal")
    expect(page.locator(".news-body")).to_contain_text("120 đại biểu")
    for image in (page.locator("img.news-cover"), page.locator(".news-body img")):
        expect(image).to_have_count(1)
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator("table.history")).to_contain_text(RETURN_NOTE)
    shot(page, "news-3-published")
