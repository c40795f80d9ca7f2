"""Every file that leaves the application is in the audit trail: each download and export
route (web and REST, every module) writes exactly one "download" line, through the one helper
app.core.downloads.send_download. The URL map is walked so that a new download route without
its case here fails. A REST download of a file gone from the disk is a Vietnamese 404."""
import re
import shutil

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.files import file_path
from app.core.models import DocumentFile
from app.documents.models import IncomingDocument
from app.dossiers.access import visible_dossier
from app.dossiers.models import Dossier
from app.news.models import NewsImage, NewsItem
from app.org.models import EofficeUser
from app.outgoing.models import DRAFTING, Draft, DraftVersion, OutgoingDocument, OutgoingFile
from app.outgoing.services import upload_version
from app.request_forms.models import RequestForm
from tests.conftest import pdf

# Routes that serve a file, found by their address or name.
DOWNLOAD = re.compile(r"download|export|/pdf|/files/<|stamped|/image/<|/images/<|template|"
                      r"edxml|/book|/reports/|versions/<", re.I)
# Not downloads: uploads (POST), and Flask-AppBuilder's generic `/<model>/download/<name>` of
# its FileColumn (no model of ours has one: UPLOAD_FOLDER is empty). The calendar feeds
# (/schedule/feed/<token>.ics) are polled by calendar programs every few minutes with a
# person's secret address: a line per poll would bury the trail, so they are not audited.
# SignatureApi.get_file answers a file's stored signature check (JSON), not the file; so does
# IncomingApi.file_text with a file's text (OCR).
NOT_DOWNLOADS = re.compile(
    r"^(Eoffice)?(UserGroup|Group|Permission|PermissionView|Role|ViewMenu)(Model)?View\."
    r"|^SignatureApi\.get_file$|^IncomingApi\.file_text$")


def user(session, username):
    return session.scalar(select(EofficeUser).where(EofficeUser.username == username))


def incoming_pdf(session):
    return session.execute(
        select(IncomingDocument.id, DocumentFile.id).join(
            DocumentFile, DocumentFile.incoming_id == IncomingDocument.id)
        .where(IncomingDocument.arrival_number.is_not(None),
               DocumentFile.content_type == "application/pdf")
        .order_by(IncomingDocument.id)).first()


def incoming_ocr_copy(session):
    """An incoming PDF with an OCR'd copy (app.documents.ocr_jobs). Without Tesseract here,
    the demo's file is given itself as its copy: what is checked is the route's audit line."""
    document_id, file_id = incoming_pdf(session)
    record = session.get(DocumentFile, file_id)
    if not record.ocr_storage_name:
        record.ocr_state, record.ocr_storage_name = "done", record.storage_name
        session.commit()
    return document_id, file_id


def outgoing_file(session):
    return session.execute(select(OutgoingFile.document_id, OutgoingFile.file_id)
                           .order_by(OutgoingFile.id)).first()


def draft_version(session):
    row = session.execute(select(DraftVersion.draft_id, DraftVersion.id, Draft.drafter_id)
                          .join(Draft, Draft.id == DraftVersion.draft_id)
                          .order_by(DraftVersion.id)).first()
    return row[0], row[1], session.get(EofficeUser, row[2]).username


def dossier_id(session):
    return session.scalar(select(Dossier.id).where(visible_dossier(user(session, "lanhdao")))
                          .order_by(Dossier.id))


def request_file(session):
    form = session.scalar(select(RequestForm).where(RequestForm.files.any())
                          .order_by(RequestForm.id))
    return form.id, form.files[0].id, form.sender.username


def news_image(session):
    return session.scalar(select(NewsImage.id).join(NewsItem, NewsItem.cover_image_id ==
                                                    NewsImage.id)
                          .where(NewsItem.state == "published").order_by(NewsImage.id))


def issued_outgoing(session):
    return session.scalar(select(OutgoingDocument.id).order_by(OutgoingDocument.id))


def electronic_copy(session):
    """The demo's electronic copy (app.copies.demo: made with the demo's agency key)."""
    from app.copies.models import ElectronicCopy

    return session.scalar(select(ElectronicCopy.id).order_by(ElectronicCopy.id))


# endpoint → (account, is REST, url builder(session))
CASES = {
    "ElectronicCopyView.download": ("vanthu", False,
                                    lambda s: f"/copies/{electronic_copy(s)}/files/copy"),
    "ElectronicCopyApi.download": ("vanthu", True,
                                   lambda s: f"/api/v1/copies/{electronic_copy(s)}/files/copy"),
    "PeopleView.template": ("quantri", False, lambda s: "/people/import/template.xlsx"),
    "PeopleView.export": ("quantri", False, lambda s: "/people/inactive/export"),
    "IncomingWorkView.download": ("vanthu", False, lambda s: "/incoming/{}/files/{}".format(
        *incoming_pdf(s))),
    "IncomingWorkView.stamped": ("vanthu", False, lambda s: "/incoming/{}/files/{}/stamped"
                                 .format(*incoming_pdf(s))),
    "IncomingWorkView.ocr_copy": ("vanthu", False, lambda s: "/incoming/{}/files/{}/ocr"
                                  .format(*incoming_ocr_copy(s))),
    "IncomingStampView.first_page": ("vanthu", False, lambda s: "/incoming/{}/files/{}/"
                                     "first-page.png".format(*incoming_pdf(s))),
    "IncomingWorkView.book": ("vanthu", False, lambda s: "/incoming/book?format=xlsx"),
    "IncomingApi.download": ("vanthu", True, lambda s: "/api/v1/incoming/{}/files/{}".format(
        *incoming_pdf(s))),
    "IncomingApi.stamped": ("vanthu", True, lambda s: "/api/v1/incoming/{}/files/{}/stamped"
                            .format(*incoming_pdf(s))),
    "OutgoingWorkView.download": ("vanthu", False, lambda s: "/outgoing/{}/files/{}".format(
        *outgoing_file(s))),
    "OutgoingWorkView.book": ("vanthu", False, lambda s: "/outgoing/book?format=xlsx"),
    "OutgoingApi.download": ("vanthu", True, lambda s: "/api/v1/outgoing/{}/files/{}".format(
        *outgoing_file(s))),
    "DraftWorkView.version": (lambda s: draft_version(s)[2], False,
                              lambda s: "/drafts/{}/versions/{}".format(*draft_version(s)[:2])),
    "DossierWorkView.pdf": ("lanhdao", False, lambda s: f"/dossiers/{dossier_id(s)}/pdf"),
    "DossierApi.pdf": ("lanhdao", True, lambda s: f"/api/v1/dossier/{dossier_id(s)}/pdf"),
    "RequestFormWorkView.download": (lambda s: request_file(s)[2], False,
                                     lambda s: "/request/{}/files/{}".format(
                                         *request_file(s)[:2])),
    "RequestFormApi.download": (lambda s: request_file(s)[2], True,
                                lambda s: "/api/v1/request/{}/files/{}".format(
                                    *request_file(s)[:2])),
    "NewsView.image": ("lanhdao", False, lambda s: f"/news/image/{news_image(s)}"),
    "NewsApi.image": ("lanhdao", True, lambda s: f"/api/v1/news/images/{news_image(s)}"),
    "ExchangeView.package": ("vanthu", False,
                             lambda s: f"/exchange/outgoing/{issued_outgoing(s)}.edxml"),
    "ExchangeApi.package": ("vanthu", True,
                            lambda s: f"/api/v1/exchange/outgoing/{issued_outgoing(s)}/edxml"),
    "ImportView.template": ("vanthu", False, lambda s: "/imports/template/incoming.xlsx"),
    "StatsReportView.report": ("lanhdao", False,
                               lambda s: "/stats/reports/?kind=incoming&format=xlsx"),
    "ScheduleView.export": ("lanhdao", False, lambda s: "/schedule/export"),
    "AuditView.export": ("quantri", False, lambda s: "/audit/export"),
    "BackupView.download": ("quantri", False, lambda s: "/backups/download/"
                            "eoffice-20260105-020000.tar.gz"),
}


def download_routes(app):
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        if DOWNLOAD.search(rule.rule) and not NOT_DOWNLOADS.match(rule.endpoint):
            found.add(rule.endpoint)
    return found


def test_every_download_route_is_known_here(app):
    """A new route that serves a file must get its case below (and use send_download)."""
    routes = download_routes(app)
    assert len(routes) >= 20
    assert routes == set(CASES), (routes ^ set(CASES))


def downloads(session):
    return session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "download"))


@pytest.fixture
def a_backup(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "eoffice-20260105-020000.tar.gz").write_bytes(b"\x1f\x8b" + b"0" * 64)


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_each_download_writes_exactly_one_audit_line(endpoint, client, login_as, api_as,
                                                     db_session, a_backup):
    account, rest, url_of = CASES[endpoint]
    username = account(db_session) if callable(account) else account
    url = url_of(db_session)
    headers = api_as(username) if rest else {}
    if not rest:
        login_as(username)
    db_session.rollback()
    before = downloads(db_session)
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    assert response.headers["Content-Disposition"].startswith(("attachment", "inline"))
    db_session.rollback()
    assert downloads(db_session) == before + 1, url
    line = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "download")
                             .order_by(AuditEvent.id.desc()))
    assert line.actor_name == username and line.object_type


# The same routes asked for the viewer in the page (`?view=1`, templates/_pdf_viewer.html):
# the PDF inline and one "view_file" line ("Xem tệp") instead of a "download" line.
def pdf_draft_version(session):
    """A draft's version in PDF (the demo's drafts are .docx: one is added when missing)."""
    query = (select(DraftVersion.draft_id, DraftVersion.id, Draft.drafter_id)
             .join(Draft, Draft.id == DraftVersion.draft_id)
             .join(DocumentFile, DocumentFile.id == DraftVersion.file_id)
             .where(DocumentFile.content_type == "application/pdf").order_by(DraftVersion.id))
    row = session.execute(query).first()
    if row is None:
        draft = session.scalar(select(Draft).where(Draft.state == DRAFTING).order_by(Draft.id))
        upload_version(session, draft.drafter, draft, [(pdf("Dự thảo"), "du-thao.pdf")])
        row = session.execute(query).first()
    return row[0], row[1], session.get(EofficeUser, row[2]).username


def outgoing_pdf(session):
    return session.execute(select(OutgoingFile.document_id, OutgoingFile.file_id)
                           .join(DocumentFile, DocumentFile.id == OutgoingFile.file_id)
                           .where(DocumentFile.content_type == "application/pdf")
                           .order_by(OutgoingFile.id)).first()


def office_draft_version(session):
    row = session.execute(select(DraftVersion.draft_id, DraftVersion.id, Draft.drafter_id)
                          .join(Draft, Draft.id == DraftVersion.draft_id)
                          .join(DocumentFile, DocumentFile.id == DraftVersion.file_id)
                          .where(DocumentFile.content_type != "application/pdf")
                          .order_by(DraftVersion.id)).first()
    return row[0], row[1], session.get(EofficeUser, row[2]).username


VIEWS = {
    "IncomingWorkView.download": CASES["IncomingWorkView.download"],
    "IncomingApi.download": CASES["IncomingApi.download"],
    "OutgoingWorkView.download": ("vanthu", False, lambda s: "/outgoing/{}/files/{}".format(
        *outgoing_pdf(s))),
    "OutgoingApi.download": ("vanthu", True, lambda s: "/api/v1/outgoing/{}/files/{}".format(
        *outgoing_pdf(s))),
    "DraftWorkView.version": (lambda s: pdf_draft_version(s)[2], False,
                              lambda s: "/drafts/{}/versions/{}".format(
                                  *pdf_draft_version(s)[:2])),
    "DossierWorkView.pdf": CASES["DossierWorkView.pdf"],
}


def audit_lines(session, action):
    return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


@pytest.mark.parametrize("endpoint", sorted(VIEWS))
def test_a_pdf_read_in_the_page_writes_one_view_line(endpoint, app, client, login_as, api_as,
                                                     db_session):
    account, rest, url_of = VIEWS[endpoint]
    with app.test_request_context():  # a draft's PDF version may be uploaded first
        username = account(db_session) if callable(account) else account
        url = url_of(db_session) + "?view=1"
    headers = api_as(username) if rest else {}
    if not rest:
        login_as(username)
    db_session.rollback()
    views, before = audit_lines(db_session, "view_file"), downloads(db_session)
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("inline")
    db_session.rollback()
    assert (audit_lines(db_session, "view_file"), downloads(db_session)) == (views + 1, before)
    line = db_session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert line.action == "view_file" and line.actor_name == username


def test_a_file_that_is_not_a_pdf_is_never_served_for_the_viewer(client, login_as, db_session):
    """An office file asked with ?view=1 is still an attachment, audited as a download."""
    draft_id, version_id, username = office_draft_version(db_session)
    login_as(username)
    db_session.rollback()
    views, before = audit_lines(db_session, "view_file"), downloads(db_session)
    response = client.get(f"/drafts/{draft_id}/versions/{version_id}?view=1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    db_session.rollback()
    assert (audit_lines(db_session, "view_file"), downloads(db_session)) == (views, before + 1)


def test_the_view_of_a_document_one_cannot_see_is_the_same_404_as_its_download(
        client, login_as, db_session):
    from app.documents.access import visible_incoming

    officer = user(db_session, "chuyenvien")
    document_id, file_id = db_session.execute(
        select(IncomingDocument.id, DocumentFile.id)
        .join(DocumentFile, DocumentFile.incoming_id == IncomingDocument.id)
        .where(IncomingDocument.id.not_in(select(IncomingDocument.id).where(
            visible_incoming(officer))), DocumentFile.content_type == "application/pdf")
        .order_by(IncomingDocument.id)).first()
    login_as("chuyenvien")
    db_session.rollback()
    views = audit_lines(db_session, "view_file")
    url = f"/incoming/{document_id}/files/{file_id}"
    assert client.get(url).status_code == 404
    assert client.get(url + "?view=1").status_code == 404
    db_session.rollback()
    assert audit_lines(db_session, "view_file") == views


def test_a_get_that_is_not_a_download_writes_no_audit_line(login_as, db_session):
    client = login_as("vanthu")
    before = downloads(db_session)
    assert client.get("/incoming/book").status_code == 200  # the printable page, not a file
    db_session.rollback()
    assert downloads(db_session) == before


@pytest.mark.parametrize("endpoint", ["IncomingApi.download", "IncomingApi.stamped",
                                      "OutgoingApi.download", "RequestFormApi.download",
                                      "NewsApi.image"])
def test_rest_download_of_a_file_gone_from_the_disk_is_a_vietnamese_404(
        endpoint, app, client, api_as, db_session):
    account, _rest, url_of = CASES[endpoint]
    username = account(db_session) if callable(account) else account
    url = url_of(db_session)
    ids = [int(part) for part in re.findall(r"/(\d+)", url)]
    if endpoint == "NewsApi.image":
        record = db_session.get(NewsImage, ids[-1]).file
    else:
        record = db_session.get(DocumentFile, ids[-1])
    path = file_path(app.config["DATA_DIR"], record.storage_name)
    hidden = path.with_name(path.name + ".hidden")
    before = downloads(db_session)
    shutil.move(path, hidden)
    try:
        response = client.get(url, headers=api_as(username))
    finally:
        shutil.move(hidden, path)
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    assert "Tệp không còn trên máy chủ" in response.get_json()["message"]
    db_session.rollback()
    assert downloads(db_session) == before  # nothing left the system


def test_backup_download_is_for_the_administrator_only_and_by_name(login_as, a_backup):
    client = login_as("quantri")
    page = client.get("/backups/").get_data(as_text=True)
    assert 'href="/backups/download/eoffice-20260105-020000.tar.gz"' in page
    assert client.get("/backups/download/..%2Fsecret_key").status_code == 404
    assert client.get("/backups/download/eoffice-20990101-000000.tar.gz").status_code == 404
    client = login_as("lanhdao")
    response = client.get("/backups/download/eoffice-20260105-020000.tar.gz")
    assert response.status_code == 403 and not response.headers.get("Content-Disposition")
