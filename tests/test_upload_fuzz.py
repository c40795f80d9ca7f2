"""Bad uploads against every upload endpoint, web and REST: random bytes, empty files,
truncated and malformed PDFs, executables and HTML under a document's name and content type,
zip bombs dressed as .docx, images with broken headers, bodies over the limit or declaring an
impossible length. Never a 5xx, always a Vietnamese message, and nothing stored: no row, no
file under DATA_DIR. Random payloads come from a seeded generator: a failure reproduces."""
import io
import random
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.models import DocumentFile
from app.core.timefmt import format_date, local_now, today_local
from app.documents.models import IncomingDocument
from app.news.models import NewsImage
from app.outgoing.models import Draft, DraftVersion, OutgoingDocument
from app.request_forms.models import RequestForm
from tests.conftest import csrf_token, form_of
from tests.dossier_helpers import make_draft, pdf, png, user
from tests.test_files_and_pdf import zip_bytes
from tests.test_incoming import register_via_web
from tests.test_incoming_api import body as incoming_body
from tests.test_outgoing import approved_draft
from tests.test_outgoing import ids as outgoing_ids

SEED = 20261127
LIMIT = 256 * 1024  # MAX_UPLOAD_BYTES during these tests (the real one is 30 MB)
VIETNAMESE = re.compile(r"tệp|ảnh|tải lên", re.IGNORECASE)
COUNTED = [DocumentFile, DraftVersion, NewsImage, IncomingDocument, RequestForm,
           OutgoingDocument]


def zip_bomb():
    """A .docx-looking package whose document.xml unpacks to 64 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (64 * 1024 * 1024))
    return buffer.getvalue()


def payloads():
    rng = random.Random(SEED)
    good_pdf, good_png = pdf("Tệp hỏng"), png()
    yield "random bytes", rng.randbytes(4096), "Công văn.pdf"
    yield "zero bytes", b"", "rỗng.pdf"
    yield "truncated pdf", good_pdf[: len(good_pdf) // 2], "cắt đôi.pdf"
    yield "malformed pdf", b"%PDF-1.7\n" + rng.randbytes(2048), "hỏng.pdf"
    yield "pdf header only", b"%PDF-1.4\n%%EOF", "trống.pdf"
    yield "executable named pdf", b"MZ\x90\x00" + rng.randbytes(1024), "báo cáo.pdf"
    yield "html named png", b"<html><script>alert(1)</script></html>", "ảnh.png"
    yield "truncated pdf named jpg", good_pdf[:300], "ảnh chụp.jpg"
    yield "zip bomb as docx", zip_bomb(), "Dự thảo.docx"
    yield "zip without a document", zip_bytes({"a.txt": "x"}), "tài liệu.docx"
    yield "broken zip", b"PK\x03\x04" + rng.randbytes(512), "hỏng.docx"
    yield "png with bad header", b"\x89PNG\r\n\x1a\n" + rng.randbytes(256), "ảnh.png"
    yield "truncated png", good_png[: len(good_png) // 3], "ảnh cắt.png"
    yield "jpeg with bad header", b"\xff\xd8\xff\xe0" + rng.randbytes(256), "ảnh.jpg"
    yield "over the limit", b"%PDF-1.4\n" + rng.randbytes(LIMIT + 1024), "lớn.pdf"


def stored(app, db_session):
    db_session.expire_all()
    rows = tuple(db_session.scalar(select(func.count()).select_from(m)) for m in COUNTED)
    files = sorted(str(p) for p in (Path(app.config["DATA_DIR"]) / "files").rglob("*")
                   if p.is_file())
    return rows, files


@pytest.fixture
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", LIMIT)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4 * LIMIT)


def message_of(response):
    data = response.get_json(silent=True)
    return str(data.get("message")) if isinstance(data, dict) else response.get_data(
        as_text=True)


# ---------------------------------------------------------------- the endpoints
# Each: (client, db_session, app, content, name) → response; the object it needs exists
# before the counting starts (prepare), so only the upload itself is measured.

def web_incoming_register(client, session, _app, content, name):
    return register_via_web(client, session, files=[(content, name)])


def api_incoming_files(client, session, app, content, name):
    return client.post(f"/api/v1/incoming/{app.fuzz['incoming']}/files",
                       headers=app.fuzz["clerk"], data={"files": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def web_draft_upload(client, _session, app, content, name):
    draft_id = app.fuzz["draft"]
    token = csrf_token(client.get(f"/drafts/{draft_id}").get_data(as_text=True))
    return client.post(f"/drafts/{draft_id}/upload", data={
        "csrf_token": token, "files": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data", follow_redirects=True)


def api_draft_versions(client, _session, app, content, name):
    return client.post(f"/api/v1/draft/{app.fuzz['draft']}/versions",
                       headers=app.fuzz["officer"],
                       data={"files": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def web_issue_scan(client, session, app, content, name):
    draft_id = app.fuzz["approved"]
    page = client.get(f"/drafts/{draft_id}/issue").get_data(as_text=True)
    return client.post(f"/drafts/{draft_id}/issue", data=form_of(
        page, register_id=str(outgoing_ids(session)["register_out"]),
        issued_date=local_now().strftime("%d/%m/%Y"), place="Hà Nam", symbol="SNV-CCHC",
        copies="5", scan=[(io.BytesIO(content), name)]),
        content_type="multipart/form-data", follow_redirects=True)


def api_issue_scan(client, session, app, content, name):
    return client.post(f"/api/v1/draft/{app.fuzz['approved']}/issue",
                       headers=app.fuzz["clerk"], data={
                           "register_id": str(outgoing_ids(session)["register_out"]),
                           "issued_date": local_now().strftime("%d/%m/%Y"), "place": "Hà Nam",
                           "scan": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def request_fields(session):
    return {"subject": "Phiếu có tệp hỏng", "content": "Nội dung",
            "deadline": format_date(today_local() + timedelta(days=2)),
            "target_user_id": str(user(session, "chuyenvien").id)}


def web_request_new(client, session, _app, content, name):
    page = client.get("/request/new").get_data(as_text=True)
    values = request_fields(session)
    values["target"] = "chuyenvien"
    return client.post("/request/new", data=form_of(
        page, **values, files=[(io.BytesIO(content), name)]),
        content_type="multipart/form-data", follow_redirects=True)


def api_request_new(client, session, app, content, name):
    return client.post("/api/v1/request/", headers=app.fuzz["leader"], data={
        **request_fields(session), "files": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data")


def web_news_image(client, _session, _app, content, name):
    token = csrf_token(client.get("/news/new").get_data(as_text=True))
    return client.post("/news/image/upload", data={"file": (io.BytesIO(content), name)},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")


def api_news_image(client, _session, app, content, name):
    return client.post("/api/v1/news/images", headers=app.fuzz["officer"],
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


ENDPOINTS = [  # (endpoint, who uploads on the web)
    (web_incoming_register, "vanthu"), (api_incoming_files, None),
    (web_draft_upload, "chuyenvien"), (api_draft_versions, None),
    (web_issue_scan, "vanthu"), (api_issue_scan, None),
    (web_request_new, "truongphong"), (api_request_new, None),
    (web_news_image, "chuyenvien"), (api_news_image, None),
]


@pytest.fixture
def prepared(app, client, api_as, db_session):
    """The objects the uploads go to, and the callers' tokens."""
    clerk = api_as("vanthu")
    created = client.post("/api/v1/incoming/", headers=clerk, json=incoming_body(db_session))
    assert created.status_code == 201, created.get_json()
    with app.test_request_context():
        approved = approved_draft(db_session)
    app.fuzz = {"clerk": clerk, "officer": api_as("chuyenvien"),
                "leader": api_as("truongphong"), "incoming": created.get_json()["id"],
                "draft": make_draft(app, db_session, "chuyenvien").id,
                "approved": approved.id}
    yield app.fuzz
    del app.fuzz


@pytest.mark.parametrize("endpoint,web_user", ENDPOINTS, ids=[e.__name__ for e, _ in ENDPOINTS])
def test_bad_uploads_are_refused_in_vietnamese_and_leave_nothing(
        app, client, login_as, db_session, prepared, small_limit, endpoint, web_user):
    if web_user:
        login_as(web_user)
    before = stored(app, db_session)
    wrong = []
    for label, content, name in payloads():
        response = endpoint(client, db_session, app, content, name)
        problem = None
        if response.status_code >= 500:
            problem = "5xx"
        elif not VIETNAMESE.search(message_of(response)):
            problem = "no Vietnamese message about the file"
        elif stored(app, db_session) != before:
            problem = "something was stored"
        if problem:
            wrong.append((label, problem, response.status_code, message_of(response)[:200]))
    assert not wrong, "\n".join(map(str, wrong))
    db_session.expire_all()
    assert db_session.get(Draft, prepared["approved"]).state == "approved"


def test_an_impossible_declared_length_is_refused_before_reading(app, login_as, api_as,
                                                                small_limit):
    client = login_as("vanthu")
    page = client.get("/incoming/register").get_data(as_text=True)
    for path, headers in (("/incoming/register", {}),
                          ("/api/v1/news/images", api_as("chuyenvien"))):
        response = client.post(path, data=b"x" * 100, headers=headers, environ_overrides={
            "CONTENT_LENGTH": str(10**12)}, content_type="multipart/form-data; boundary=x")
        assert response.status_code == 413, (path, response.status_code)
        assert "quá lớn" in message_of(response)
    assert csrf_token(page)
