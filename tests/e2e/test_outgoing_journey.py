"""The life of one outgoing document (văn bản đi) through the real browser: an officer drafts
it, her unit leader returns it with a comment and later forwards it, the director approves it,
the clerk issues it (first forgetting the signed scan), a member of the recipient unit reads it;
then the officer files it in a new work dossier, closes the dossier and downloads its PDF.
Every step asserts what the person sees, with a screenshot (test-output/screenshots/out-*.png)."""
import io
import random
import re
import string
import zipfile

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.helpers import (choose, click_confirmed, exactly, expect_flash, open_menu,
                               switch_user)

from app.core.pdf import make_demo_pdf

pytestmark = pytest.mark.browser

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DOCUMENT_TYPE = "Công văn"
FIELD = "Cải cách hành chính"
SIGNER = "Giám đốc – Trần Quốc Đạt"
RECIPIENT_UNIT = "Phòng Tổ chức, biên chế và tổ chức phi chính phủ"
AGENCY = "Ủy ban nhân dân tỉnh Hà Nam"
DRAFTING_UNIT = "Phòng Cải cách hành chính"
DRAFTER = "Hoàng Thị Thủy"  # chuyenvien
UNIT_LEADER = "Phạm Minh Đức"  # truongphong
RETURN_NOTE = "Bổ sung số liệu quý III"
RETENTION = "10 năm"
SCAN_MISSING = "Tải lên bản quét có chữ ký, đóng dấu"


@pytest.fixture(scope="module")
def marker():
    """A word no other document carries: the journey finds its document by it."""
    return "vbdi" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6))


def docx_bytes(text: str) -> bytes:
    """A minimal real Word file: the content types and the main document part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>'))
    return buffer.getvalue()


def state_label(page):
    return page.locator(".panel-heading .label.state")


def detail(page, heading: str):
    """The value next to a heading in the first table of the page (the document's details)."""
    return page.locator(".panel-body table").first.locator("tr").filter(
        has=page.locator("th", has_text=exactly(heading))).locator("td")


def history_steps(page) -> list[tuple[str, str, str]]:
    """(person, action, note) of each line of the history table."""
    rows = page.locator("table.history tr").filter(has=page.locator("td")).all()
    return [tuple(row.locator("td").nth(i).inner_text().strip() for i in (1, 2, 4))
            for row in rows]


def act(page, action: str, flash: str = "Đã ghi nhận.") -> None:
    with page.expect_navigation():
        click_confirmed(page, page.locator(f"button.action-{action}"))
    expect_flash(page, flash)


def draft_in_box(page, pill: str, marker: str):
    """Through the menu to the draft grid, then its pill; the row of the draft with the marker."""
    open_menu(page, "Văn bản", "Văn bản dự thảo")
    with page.expect_navigation():
        page.locator(".draft-boxes a", has_text=pill).click()
    active = page.locator(".draft-boxes li.active")
    expect(active).to_contain_text(pill)
    expect(active.locator(".badge")).not_to_have_text("0")
    row = page.locator("table tbody tr").filter(has_text=marker)
    expect(row).to_have_count(1)
    return row


# ---------------------------------------------------------------- the journey

def test_outgoing_document_journey(page, live_server, login_as, shot, marker, tmp_path):
    excerpt = f"V/v báo cáo kết quả cải cách hành chính quý III {marker}"
    word = tmp_path / f"du-thao-{marker}.docx"
    word.write_bytes(docx_bytes(f"Dự thảo công văn {marker}"))
    word2 = tmp_path / f"du-thao-{marker}-v2.docx"
    word2.write_bytes(docx_bytes(f"Dự thảo công văn {marker}, bổ sung số liệu quý III"))
    scan = tmp_path / f"ban-quet-{marker}.pdf"
    scan.write_bytes(make_demo_pdf(
        "Công văn báo cáo cải cách hành chính",
        ["Độc lập - Tự do - Hạnh phúc", excerpt, "Nơi nhận: UBND tỉnh Hà Nam"],
        font_path=FONT))

    # 1. The officer drafts the document and submits it.
    login_as("chuyenvien")
    open_menu(page, "Văn bản", "Soạn dự thảo")
    expect(page).to_have_url(re.compile(r"/drafts/new$"))
    expect(page.locator(".panel-title")).to_contain_text("Soạn văn bản dự thảo")
    expect(page.locator("#drafting_department_id option:checked")).to_have_text(
        exactly(DRAFTING_UNIT))
    choose(page, "document_type_id", DOCUMENT_TYPE)
    page.locator("#excerpt").fill(excerpt)
    choose(page, "field_id", FIELD)
    choose(page, "signer_id", SIGNER)
    page.locator("#internal_unit_ids").select_option(label=RECIPIENT_UNIT)
    page.locator("#external_agency_ids").select_option(label=AGENCY)
    page.locator("#files").set_input_files(str(word))
    shot(page, "out-01-draft-form")
    with page.expect_navigation():
        page.locator("form button[type=submit]", has_text="Lưu").click()
    expect_flash(page, "Đã lưu dự thảo.")
    expect(page).to_have_url(re.compile(r"/drafts/\d+$"))
    draft_url = page.url
    expect(state_label(page)).to_have_text(exactly("Đang soạn thảo"))
    expect(detail(page, "Trích yếu")).to_have_text(exactly(excerpt))
    expect(detail(page, "Đơn vị soạn thảo")).to_have_text(exactly(f"{DRAFTING_UNIT} – {DRAFTER}"))
    expect(detail(page, "Người ký")).to_have_text(exactly(SIGNER))
    expect(detail(page, "Lĩnh vực")).to_have_text(exactly(FIELD))
    expect(detail(page, "Nơi nhận nội bộ")).to_have_text(exactly(RECIPIENT_UNIT))
    expect(detail(page, "Nơi nhận bên ngoài")).to_have_text(exactly(AGENCY))
    versions = page.locator("ul.versions li")
    expect(versions).to_have_count(1)
    expect(versions.first).to_contain_text(f"Phiên bản 1: {word.name}")
    expect(page.locator(".office-check")).to_have_count(0)  # nothing missing
    shot(page, "out-02-draft-saved")
    submit = page.locator("button.action-submit")
    expect(submit).to_have_text(exactly("Trình duyệt"))
    act(page, "submit")
    expect(state_label(page)).to_have_text(exactly("Chờ lãnh đạo đơn vị"))
    expect(page.locator("button.action-submit")).to_have_count(0)
    expect(page.locator("a", has_text=exactly("Sửa"))).to_have_count(0)  # not while reviewed
    shot(page, "out-03-draft-submitted")

    # 2. The unit leader returns it with a comment; the officer uploads version 2 and submits
    #    again; the unit leader forwards it to the signer.
    switch_user(page, live_server, login_as, "truongphong")
    row = draft_in_box(page, "Chờ tôi duyệt (đơn vị)", marker)
    expect(row).to_contain_text("Chờ lãnh đạo đơn vị")
    shot(page, "out-04-unit-leader-box")
    with page.expect_navigation():
        row.locator("a", has_text=marker).click()
    expect(page).to_have_url(draft_url)
    expect(page.locator("button.action-forward")).to_have_text(exactly("Trình người ký"))
    expect(page.locator("button.action-return")).to_have_text(exactly("Trả lại"))
    expect(page.locator("button.action-approve")).to_have_count(0)  # the signer approves
    page.locator("form").filter(has=page.locator("button.action-return")).locator(
        "textarea[name=note]").fill(RETURN_NOTE)
    shot(page, "out-05-unit-leader-returning")
    act(page, "return")
    expect(state_label(page)).to_have_text(exactly("Đang soạn thảo"))
    assert (UNIT_LEADER, "Trả lại", RETURN_NOTE) in history_steps(page), history_steps(page)
    expect(page.locator("button.action-forward")).to_have_count(0)
    shot(page, "out-06-returned")

    switch_user(page, live_server, login_as, "chuyenvien")
    page.goto(draft_url)
    expect(state_label(page)).to_have_text(exactly("Đang soạn thảo"))
    expect(page.locator("table.history")).to_contain_text(RETURN_NOTE)
    upload = page.locator("form").filter(has=page.locator("input[type=file][name=files]"))
    upload.locator("input[type=file]").set_input_files(str(word2))
    upload.locator("input[name=note]").fill("Đã bổ sung số liệu quý III")
    with page.expect_navigation():
        upload.locator("button[type=submit]").click()
    expect_flash(page, "Đã tải lên phiên bản mới.")
    versions = page.locator("ul.versions li")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text(f"Phiên bản 2: {word2.name}")
    expect(versions.first).to_contain_text("Đã bổ sung số liệu quý III")
    expect(versions.nth(1)).to_contain_text(f"Phiên bản 1: {word.name}")
    response = page.request.get(
        f"{live_server}{versions.first.locator('a').get_attribute('href')}")
    assert response.ok and response.body() == word2.read_bytes()
    shot(page, "out-07-version-2")
    act(page, "submit")
    expect(state_label(page)).to_have_text(exactly("Chờ lãnh đạo đơn vị"))

    switch_user(page, live_server, login_as, "truongphong")
    row = draft_in_box(page, "Chờ tôi duyệt (đơn vị)", marker)
    with page.expect_navigation():
        row.locator("a", has_text=marker).click()
    act(page, "forward")
    expect(state_label(page)).to_have_text(exactly("Chờ người ký duyệt"))
    shot(page, "out-08-forwarded")

    # 3. The director approves it.
    switch_user(page, live_server, login_as, "lanhdao")
    row = draft_in_box(page, "Chờ tôi ký duyệt", marker)
    shot(page, "out-09-signer-box")
    with page.expect_navigation():
        row.locator("a", has_text=marker).click()
    expect(page).to_have_url(draft_url)
    expect(page.locator("button.action-approve")).to_have_text(exactly("Duyệt, chuyển phát hành"))
    act(page, "approve")
    expect(state_label(page)).to_have_text(exactly("Đã duyệt, chờ phát hành"))
    expect(page.locator("button.action-approve")).to_have_count(0)
    expect(page.locator("a.action-issue")).to_have_count(0)  # only the clerk issues
    shot(page, "out-10-approved")

    # 4. The clerk issues it: first without the signed scan, then with it.
    switch_user(page, live_server, login_as, "vanthu")
    row = draft_in_box(page, "Chờ phát hành", marker)
    expect(row).to_contain_text("Đã duyệt, chờ phát hành")
    shot(page, "out-11-clerk-box")
    with page.expect_navigation():
        row.locator("a", has_text=marker).click()
    expect(page).to_have_url(draft_url)
    issue_link = page.locator("a.action-issue")
    expect(issue_link).to_have_text(exactly("Phát hành"))
    with page.expect_navigation():
        issue_link.click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+/issue$"))
    expect(page.locator(".panel-title")).to_contain_text(excerpt)
    expect(page.locator("#register_id option:checked")).to_have_text(
        re.compile(r"^\s*Sổ văn bản đi \(\d{4}\)\s*$"))
    expect(page.locator("#symbol")).to_have_value("SNV-CCHC")
    expect(page.locator("#issued_date")).to_have_value(re.compile(r"^\d\d/\d\d/\d{4}$"))
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(".panel-body")).to_contain_text(f"{word2.name} (phiên bản 2)")
    number = page.locator(".form-control-static strong").inner_text().strip()
    assert re.fullmatch(r"\d{2,}", number), f"the proposed number reads {number!r}"
    page.locator("#copies").fill("3")
    shot(page, "out-12-issue-form")
    with page.expect_navigation():
        page.locator("button.action-issue").click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+/issue$"))
    scan_group = page.locator(".form-group.has-error").filter(has=page.locator("input#scan"))
    expect(scan_group.locator(".error-message")).to_contain_text(SCAN_MISSING)
    errors = page.locator(".error-message").all_inner_texts()
    assert len(errors) == 1, f"only the scan is missing, yet the form says: {errors}"
    expect(page.locator(".form-control-static strong")).to_have_text(number)  # not taken
    expect(page.locator("#copies")).to_have_value("3")  # the entry is kept
    expect(page.locator("#symbol")).to_have_value("SNV-CCHC")
    shot(page, "out-13-issue-without-scan")
    page.goto(draft_url)
    expect(state_label(page)).to_have_text(exactly("Đã duyệt, chờ phát hành"))  # not issued
    with page.expect_navigation():
        page.locator("a.action-issue").click()

    page.locator("input#scan").set_input_files(str(scan))
    with page.expect_navigation():
        page.locator("button.action-issue").click()
    number_symbol = f"{number}/SNV-CCHC"
    expect_flash(page, f"Đã phát hành văn bản số {number_symbol}.")
    expect(page).to_have_url(re.compile(r"/outgoing/\d+$"))
    outgoing_url = page.url
    expect(page.locator(".panel-title")).to_contain_text(f"Văn bản đi {number_symbol}")
    expect(state_label(page)).to_have_text(exactly("Đã phát hành"))
    expect(detail(page, "Số, ký hiệu")).to_have_text(exactly(number_symbol))
    expect(detail(page, "Trích yếu")).to_have_text(exactly(f"{DOCUMENT_TYPE}: {excerpt}"))
    expect(detail(page, "Người ký")).to_contain_text("Trần Quốc Đạt")
    files = page.locator("ul.document-files li")
    expect(files).to_have_count(2)
    expect(files.filter(has_text="(Tệp của người soạn thảo)")).to_contain_text(word2.name)
    expect(files.filter(has_text="(Bản quét có chữ ký, đóng dấu)")).to_contain_text(scan.name)
    for link in files.locator("a").all():
        response = page.request.get(f"{live_server}{link.get_attribute('href')}")
        assert response.ok, f"{link.get_attribute('href')} answered {response.status}"
    recipients = page.locator("table.recipients tr")
    expect(recipients.filter(has_text=RECIPIENT_UNIT)).to_contain_text("Đã gửi")
    expect(recipients.filter(has_text=AGENCY)).to_contain_text("Chờ gửi")
    expect(recipients.filter(has_text=AGENCY).locator("button")).to_have_text(
        exactly("Ghi nhận đã gửi"))
    shot(page, "out-14-issued")

    # 5. A member of the recipient unit finds it among the internal documents received.
    switch_user(page, live_server, login_as, "cv.tcbc1")
    open_menu(page, "Văn bản", "Văn bản đi")
    with page.expect_navigation():
        page.locator(".nav-pills a", has_text="Văn bản nội bộ nhận được").click()
    expect(page.locator(".nav-pills li.active")).to_have_text(
        exactly("Văn bản nội bộ nhận được"))
    page.locator("form.incoming-search input[name=q]").fill(marker)
    with page.expect_navigation():
        page.locator("form.incoming-search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"box=received"))
    row = page.locator("table tbody tr").filter(has_text=marker)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(number_symbol)
    shot(page, "out-15-recipient-inbox")
    with page.expect_navigation():
        row.locator("a", has_text=number_symbol).click()
    expect(page).to_have_url(outgoing_url)
    expect(detail(page, "Trích yếu")).to_contain_text(excerpt)
    expect(page.locator("ul.document-files li")).to_have_count(2)
    expect(page.locator("button.action-recall")).to_have_count(0)
    shot(page, "out-16-recipient-reads")

    # 6. The officer files it in a new dossier, closes the dossier and downloads its PDF.
    switch_user(page, live_server, login_as, "chuyenvien")
    open_menu(page, "Hồ sơ công việc", "Hồ sơ công việc")
    with page.expect_navigation():
        page.locator("a", has_text="Mở hồ sơ công việc").click()
    expect(page.locator(".panel-title")).to_contain_text("Mở hồ sơ công việc")
    expect(page.locator("#plan_item_id option:checked")).to_have_text(exactly("Ngoài danh mục"))
    title = f"Hồ sơ báo cáo cải cách hành chính quý III {marker}"
    page.locator("#title").fill(title)
    choose(page, "field_id", FIELD)
    choose(page, "retention_id", RETENTION)
    expect(page.locator("#start_date")).to_have_value(re.compile(r"^\d\d/\d\d/\d{4}$"))
    shot(page, "out-17-dossier-form")
    with page.expect_navigation():
        page.locator("form.dossier-form button[type=submit]").click()
    expect(page.locator(".alert").filter(has_text="Đã mở hồ sơ")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/dossiers/\d+$"))
    dossier_url = page.url
    expect(page.locator(".panel-title").first).to_contain_text(title)
    expect(page.locator(".dossier-status").first).to_have_text(exactly("Đang mở"))
    expect(page.locator("table.dossier-toc")).to_contain_text("Hồ sơ chưa có văn bản.")

    finder = page.locator("form#link")
    finder.locator("select[name=kind]").select_option(label="Văn bản đi")
    finder.locator("input[name=q]").fill(marker)
    with page.expect_navigation():
        finder.locator("button[type=submit]").click()
    candidates = page.locator("table.candidates tr").filter(has=page.locator("td"))
    expect(candidates).to_have_count(1)
    expect(candidates).to_contain_text(number_symbol)
    expect(candidates).to_contain_text(excerpt)
    shot(page, "out-18-dossier-search")
    with page.expect_navigation():
        candidates.locator("button.action-link").click()
    expect_flash(page, "Đã thêm văn bản vào hồ sơ.")
    toc = page.locator("table.dossier-toc tr.toc-row")
    expect(toc).to_have_count(1)
    expect(toc.first).to_contain_text(number_symbol)

    # and one incoming document she may see, the newest offered
    finder.locator("select[name=kind]").select_option(label="Văn bản đến")
    finder.locator("input[name=q]").fill("")
    with page.expect_navigation():
        finder.locator("button[type=submit]").click()
    incoming = page.locator("table.candidates tr").filter(has=page.locator("button.action-link"))
    expect(incoming.first).to_contain_text("Văn bản đến")
    incoming_symbol = incoming.first.locator("td").nth(1).inner_text().strip()
    with page.expect_navigation():
        incoming.first.locator("button.action-link").click()
    expect_flash(page, "Đã thêm văn bản vào hồ sơ.")
    expect(toc).to_have_count(2)
    expect(page.locator("table.dossier-toc")).to_contain_text(incoming_symbol)
    expect(detail(page, "Số lượng văn bản")).to_contain_text("2")
    shot(page, "out-19-dossier-filled")

    close = page.locator("button.action-close")
    expect(close).to_have_text(exactly("Đóng hồ sơ"))
    act(page, "close", "Đã đóng hồ sơ.")
    expect(page).to_have_url(re.compile(re.escape(dossier_url)))
    expect(page.locator(".dossier-status").first).to_have_text(exactly("Đã đóng"))
    expect(page.locator(".link-documents")).to_have_count(0)
    expect(page.locator("button.action-unlink")).to_have_count(0)
    expect(page.locator(".closed-note")).to_have_text(
        exactly("Hồ sơ đã đóng: không thể sửa, thêm hoặc bỏ văn bản."))
    expect(toc).to_have_count(2)
    shot(page, "out-20-dossier-closed")

    with page.expect_download() as download_info:
        page.locator("a.download-pdf").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    assert marker in download.suggested_filename, download.suggested_filename
    saved = tmp_path / "ho-so.pdf"
    download.save_as(saved)
    reader = PdfReader(saved)
    assert len(reader.pages) >= 2, f"the dossier PDF has {len(reader.pages)} page(s)"
    contents = " ".join(reader.pages[0].extract_text().split())
    assert " ".join(title.split()) in contents, f"page 1 reads: {contents[:600]!r}"
    assert number_symbol in contents, f"page 1 reads: {contents[:600]!r}"
    scan_text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages[1:])
    assert marker in scan_text, "the signed scan of the document is not in the dossier PDF"
