"""The "Xem" buttons of the PDF viewer in the page (templates/_pdf_viewer.html): on the pages
of an incoming document, a draft, an outgoing document and a dossier, each PDF gets one, a file
that is not a PDF none; the viewer's markup and module script come once per page. The browser
side is tests/e2e/test_pdf_viewer.py."""
import re

from sqlalchemy import select

from app.core.models import DocumentFile
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from app.dossiers.access import visible_dossier
from app.dossiers.models import Dossier
from app.outgoing.access import visible_outgoing
from app.org.models import EofficeUser
from app.outgoing.models import Draft, DraftVersion, OutgoingDocument, OutgoingFile
from tests.conftest import user

VIEW_LINK = re.compile(r'<a class="[^"]*\bpdf-view\b[^"]*" href="([^"]+)"')


def view_links(html):
    return VIEW_LINK.findall(html)


def viewer_once(html):
    return (html.count('id="pdf-viewer"') == 1
            and html.count("js/pdf-viewer.js") == 1
            and html.count('type="module"') >= 1)


def test_incoming_document_page_offers_xem_for_each_pdf(login_as, db_session):
    leader = user(db_session, "lanhdao")
    document = db_session.scalar(
        select(IncomingDocument).where(visible_incoming(leader),
                                       IncomingDocument.files.any(
                                           DocumentFile.content_type == "application/pdf"))
        .order_by(IncomingDocument.id))
    pdfs = [f for f in document.files if f.is_pdf]
    html = login_as("lanhdao").get(f"/incoming/{document.id}").get_data(as_text=True)
    expected = []
    for f in pdfs:
        expected.append(f"/incoming/{document.id}/files/{f.id}?view=1")
        if f.ocr_state == "done" and f.ocr_storage_name:   # the OCR'd copy beside it
            expected.append(f"/incoming/{document.id}/files/{f.id}/ocr?view=1")
    assert view_links(html) == expected
    assert viewer_once(html)
    assert "Xem" in html and "Đang mở tệp…" in html


def test_outgoing_document_page_offers_xem_for_pdfs_only(login_as, db_session):
    clerk = user(db_session, "vanthu")
    document = db_session.scalar(select(OutgoingDocument).where(visible_outgoing(clerk))
                                 .where(OutgoingDocument.files.any()).order_by(
                                     OutgoingDocument.id))
    links = db_session.scalars(select(OutgoingFile).where(
        OutgoingFile.document_id == document.id).order_by(OutgoingFile.id)).all()
    html = login_as("vanthu").get(f"/outgoing/{document.id}").get_data(as_text=True)
    expected = {f"/outgoing/{document.id}/files/{link.file_id}?view=1"
                for link in links if link.file.is_pdf}
    assert set(view_links(html)) == expected
    assert viewer_once(html)


def test_a_draft_in_word_has_no_xem(login_as, db_session):
    draft_id, drafter_id = db_session.execute(
        select(Draft.id, Draft.drafter_id).join(DraftVersion, DraftVersion.draft_id == Draft.id)
        .join(DocumentFile, DocumentFile.id == DraftVersion.file_id)
        .where(~Draft.versions.any(DraftVersion.file.has(
            DocumentFile.content_type == "application/pdf")))
        .order_by(Draft.id)).first()
    drafter = db_session.get(EofficeUser, drafter_id).username
    html = login_as(drafter).get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert "Phiên bản 1" in html and view_links(html) == []


def test_dossier_page_offers_its_pdf_in_the_page(login_as, db_session):
    leader = user(db_session, "lanhdao")
    dossier_id = db_session.scalar(select(Dossier.id).where(visible_dossier(leader))
                                   .order_by(Dossier.id))
    html = login_as("lanhdao").get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert view_links(html) == [f"/dossiers/{dossier_id}/pdf?view=1"]
    assert "Xem hồ sơ (PDF)" in html and viewer_once(html)
