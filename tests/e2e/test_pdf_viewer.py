"""Reading a PDF in the page (issue 16, point 4): a leader opens a document, presses "Xem" on
its PDF and reads it in the page — page 1 drawn, one thumbnail per page, a word searched is
highlighted — while "Tải về" still downloads; both are in the document's audit trail. Someone
who may not see the document gets what the download route gives them: 404."""
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.files import file_path
from app.core.models import DocumentFile
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from app.org.models import EofficeUser
from tests.conftest import pdf


PDF_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "pdf"
# Any non-white pixel in the canvas of page 1 (a blank canvas is all white or transparent).
CANVAS_HAS_INK = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200)) return true;
  }
  return false;
}"""


def person(session, username):
    return session.scalar(select(EofficeUser).where(EofficeUser.username == username))


def leaders_pdf(session):
    """A registered incoming document the leader sees and the officer does not, with a PDF of
    the most pages; (document id, file)."""
    leader, officer = person(session, "lanhdao"), person(session, "chuyenvien")
    hidden_from_officer = IncomingDocument.id.not_in(
        select(IncomingDocument.id).where(visible_incoming(officer)))
    row = session.execute(
        select(IncomingDocument.id, DocumentFile)
        .join(DocumentFile, DocumentFile.incoming_id == IncomingDocument.id)
        .where(visible_incoming(leader), hidden_from_officer,
               IncomingDocument.arrival_number.is_not(None),
               DocumentFile.content_type == "application/pdf")
        .order_by(DocumentFile.page_count.desc(), IncomingDocument.id)).first()
    assert row is not None, "the demo data has no such document"
    return row


def trail_lines(session, document_id):
    """How many "view_file" and "download" lines the document has in the audit trail."""
    rows = session.execute(
        select(AuditEvent.action, func.count()).where(
            AuditEvent.object_type == "incoming_document",
            AuditEvent.object_id == str(document_id),
            AuditEvent.action.in_(["view_file", "download"])).group_by(AuditEvent.action))
    return {"view_file": 0, "download": 0} | dict(rows.all())


@contextmanager
def stored_as(app, record, content):
    """The stored file of `record` holds `content` (bytes; None: gone from the disk) for the
    time of the block, then its own bytes again."""
    path = file_path(app.config["DATA_DIR"], record.storage_name)
    original = path.read_bytes()
    try:
        if content is None:
            path.unlink()
        else:
            path.write_bytes(content)
        yield
    finally:
        path.write_bytes(original)


def test_a_leader_reads_a_pdf_in_the_page(app, page, live_server, login_as, db_session, shot):
    document_id, record = leaders_pdf(db_session)
    name = record.original_name
    before = trail_lines(db_session, document_id)
    db_session.rollback()
    login_as("lanhdao")
    page.goto(f"{live_server}/incoming/{document_id}")
    # three pages of Vietnamese text, the title and "Trang n/3" on each
    with stored_as(app, record, pdf("Kế hoạch chuyển đổi số năm 2026", pages=3)):
        page.locator(".document-files li", has_text=name).locator(
            "a.pdf-view", has_text="Xem").click()

        viewer = page.locator("#pdf-viewer")
        expect(viewer).to_be_visible()
        expect(viewer.locator(".modal-title")).to_have_text(name)
        expect(viewer.locator(".pdf-pages")).to_have_text("3")
        first = viewer.locator('.pdfViewer .page[data-page-number="1"]')
        expect(first).to_have_attribute("data-loaded", "true")
        assert first.locator("canvas").evaluate(CANVAS_HAS_INK), "page 1 is drawn blank"
        thumbs = viewer.locator(".pdf-thumbnails .pdf-thumb")
        expect(thumbs).to_have_count(3)
        expect(thumbs.first.locator("canvas")).to_be_visible()
        expect(thumbs.first).to_have_class(re.compile(r"\bcurrent\b"))

        # search, with the diacritics as typed: the title is twice on page 1 (heading and
        # text), once on pages 2 and 3
        viewer.locator(".pdf-find-input").fill("chuyển đổi số")
        expect(viewer.locator(".textLayer .highlight.selected")).to_have_text(
            re.compile("chuyển đổi số", re.I))
        expect(viewer.locator(".pdf-find-status")).to_have_text("Kết quả 1/4")
        viewer.locator(".pdf-find-next").click()
        expect(viewer.locator(".pdf-find-status")).to_have_text("Kết quả 2/4")
        viewer.locator(".pdf-find-input").press("Enter")
        expect(viewer.locator(".pdf-find-status")).to_have_text("Kết quả 3/4")
        expect(viewer.locator(".pdf-page")).to_have_value("2")
        shot(page, "pdf-viewer-leader")
        viewer.locator(".pdf-find-input").fill("không có trong văn bản")
        expect(viewer.locator(".pdf-find-status")).to_have_text("Không tìm thấy")

        # page navigation and zoom
        thumbs.nth(2).click()
        expect(viewer.locator(".pdf-page")).to_have_value("3")
        expect(thumbs.nth(2)).to_have_class(re.compile(r"\bcurrent\b"))
        viewer.locator(".pdf-page").fill("1")
        viewer.locator(".pdf-page").press("Enter")
        expect(thumbs.first).to_have_class(re.compile(r"\bcurrent\b"))
        width = first.bounding_box()["width"]
        viewer.locator(".pdf-zoom").select_option("0.5")
        page.wait_for_function(f"() => document.querySelector("
                               f"'.pdfViewer .page').getBoundingClientRect().width < {width}")

        with page.expect_download() as download:
            viewer.locator("a.pdf-download").click()
        assert download.value.suggested_filename == name
        page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()

    db_session.rollback()
    assert trail_lines(db_session, document_id) == {
        "view_file": before["view_file"] + 1, "download": before["download"] + 1}
    page.reload()  # the record's trail, as the leader reads it on the page
    trail = page.locator("table.audit-trail tr").filter(has_text=name)
    expect(trail.filter(has_text="Xem tệp").last).to_be_visible()
    expect(trail.filter(has_text="Tải tệp").last).to_be_visible()


@pytest.mark.parametrize("content, message", [
    (None, "Tệp không còn trên máy chủ"),
    (b"%PDF-1.4\nnot really a PDF, the rest of the file is lost\n", "bị hỏng hoặc không đọc được"),
    (PDF_SAMPLES / "aes256-user-password.pdf", "được đặt mật khẩu"),
], ids=["missing", "broken", "password"])
def test_a_file_the_viewer_cannot_show_gives_a_message_not_a_blank_page(
        content, message, app, page, live_server, login_as, db_session):
    """The stored file is swapped for the time of the test (missing, damaged, encrypted with
    a password): the viewer says so in Vietnamese."""
    document_id, record = leaders_pdf(db_session)
    db_session.rollback()
    login_as("lanhdao")
    page.goto(f"{live_server}/incoming/{document_id}")
    if isinstance(content, Path):
        content = content.read_bytes()
    with stored_as(app, record, content):
        page.locator(".document-files li", has_text=record.original_name).locator(
            "a.pdf-view").click()
        expect(page.locator("#pdf-viewer .pdf-message")).to_contain_text(message)
        expect(page.locator("#pdf-viewer .pdfViewer .page")).to_have_count(0)
        expect(page.locator("#pdf-viewer .pdf-download")).to_be_visible()


def test_an_officer_who_cannot_see_the_document_gets_404_on_the_view(page, live_server,
                                                                      login_as, db_session):
    document_id, record = leaders_pdf(db_session)
    db_session.rollback()
    login_as("chuyenvien")
    url = f"{live_server}/incoming/{document_id}/files/{record.id}"
    assert page.request.get(url).status == 404  # the download
    assert page.request.get(url + "?view=1").status == 404  # the viewer's bytes
