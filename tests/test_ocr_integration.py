"""OCR in the product (issue 21): a scan stored with an incoming document waits for the worker,
which reads it in the background; then a word that only the scan's image holds is found by the
grid's search and the REST search, the page shows "Đã nhận dạng" with the OCR'd copy ("Bản có
lớp chữ"), and the REST API gives the text to those who see the document only. At
registration, the proposal endpoints read a scan's fields (web and REST) and refuse bad files
with a Vietnamese message, never a 500."""
import io
import random
import re
import string

import pytest
import sqlalchemy as sa
from pypdf import PdfReader, PdfWriter

from app.core.files import file_path
from app.core.models import DocumentFile
from tests.conftest import csrf_token, pdf
from tests.incoming_helpers import entry
from tests.ocr_integration_helpers import letter_pdf, ocr_or_skip, scan_png, scanned_pdf

GRID = "/incoming/list/list/"


def person(session, username):
    from app.org.models import EofficeUser

    return session.scalar(sa.select(EofficeUser).where(EofficeUser.username == username))


def new_session(app):
    from sqlalchemy.orm import Session

    from app.extensions import db

    with app.app_context():
        return Session(db.engine)


def register_scan(app, session, data, name="ban-quet.pdf", **fields):
    """Register an incoming document with the file `data` as the clerk (no field: only those
    who see every document see it); (document id, file id)."""
    from app.documents import services

    with app.test_request_context():
        document = services.register_incoming(
            session, person(session, "vanthu"),
            entry(session, field_id=None, **fields), [(data, name)])
        return document.id, document.files[0].id


def marker() -> str:
    """A word no other document holds: letters then digits (read alike by OCR)."""
    return "maso" + "".join(random.choices(string.digits, k=7))


@pytest.fixture(scope="module")
def scanned(app):
    """An incoming document whose only file is a scanned letter holding a word its excerpt
    does not; read by one round of the worker. (document id, file id, the word, the excerpt
    number/symbol)."""
    ocr_or_skip()
    from app.documents import ocr_jobs

    word = marker()
    letter = letter_pdf(body=("Kính gửi: Sở Nội vụ tỉnh Hà Nam.",
                              f"Mã hồ sơ kèm theo là {word} theo quy định."))
    session = new_session(app)
    try:
        symbol = f"{random.randint(100, 99999)}/STC-NS"
        document_id, file_id = register_scan(app, session, scanned_pdf(letter),
                                             number_symbol=symbol)
        record = session.get(DocumentFile, file_id)
        assert record.ocr_state == "waiting" and not (record.text or "").strip()
        before = session.scalar(sa.select(DocumentFile.text).where(DocumentFile.id == file_id))
        assert word not in (before or "")
        session.rollback()
        with app.app_context():
            ocr_jobs.forget_availability()
        counts = ocr_jobs.run_ocr_once(app, file_ids=[file_id])
        assert counts is not None and counts["done"] == 1, counts
        return document_id, file_id, word, symbol
    finally:
        session.close()


# ---------------------------------------------------------------- the background job

def test_the_worker_reads_the_scan_and_keeps_the_original(app, scanned, db_session):
    from app.documents.models import IncomingDocument

    document_id, file_id, word, _symbol = scanned
    record = db_session.get(DocumentFile, file_id)
    assert record.ocr_state == "done" and record.ocr_message is None and record.ocr_at
    assert word in record.text
    # the original is untouched (its checksum as stored); the copy beside it has a text layer
    from app.ops.files_check import sha256_of

    original = file_path(app.config["DATA_DIR"], record.storage_name)
    assert sha256_of(original)[0] == record.sha256
    copy = file_path(app.config["DATA_DIR"], record.ocr_storage_name)
    assert copy.parent == original.parent and copy != original
    layer = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(
        copy.read_bytes())).pages)
    assert word in layer
    assert word in db_session.get(IncomingDocument, document_id).search_text


def test_the_files_check_knows_the_copy(app, scanned, db_session):
    """`flask files check` (app.ops.files_check): the OCR'd copy belongs to its file's row,
    it is not an orphan to quarantine."""
    from app.ops.files_check import ORPHAN, run_check

    record = db_session.get(DocumentFile, scanned[1])
    copy = file_path(app.config["DATA_DIR"], record.ocr_storage_name)
    db_session.rollback()
    report = run_check(db_session, app.config)
    assert copy.is_file()
    assert [f for f in report.findings if f.kind == ORPHAN and f.path.name == copy.name] == []


def test_a_word_only_in_the_image_is_found_by_the_grid_and_rest_search(scanned, login_as,
                                                                      client, api_as):
    document_id, _file_id, word, symbol = scanned
    page = login_as("vanthu").get(f"{GRID}?q={word}").get_data(as_text=True)
    assert symbol in page
    rows = client.get(f"/api/v1/incoming/?q={word}", headers=api_as("vanthu")).get_json()
    assert [row["id"] for row in rows["result"]] == [document_id]


def test_the_page_shows_the_state_and_the_copy_with_its_text_layer(scanned, login_as,
                                                                   db_session):
    from app.audit.models import AuditEvent

    document_id, file_id, _word, _symbol = scanned
    client = login_as("vanthu")
    page = client.get(f"/incoming/{document_id}").get_data(as_text=True)
    assert "Đã nhận dạng" in page and "Bản có lớp chữ" in page
    link = f"/incoming/{document_id}/files/{file_id}/ocr"
    assert link in page
    db_session.rollback()
    before = db_session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "download"))
    response = client.get(link)
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF")
    assert "OCR" in response.headers["Content-Disposition"]
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "download")) == before + 1
    # a file without a copy has no such link
    assert client.get(f"/incoming/{document_id}/files/{file_id + 10**6}/ocr").status_code == 404


def test_the_text_endpoint_follows_the_documents_visibility(scanned, client, api_as):
    document_id, file_id, word, _symbol = scanned
    url = f"/api/v1/incoming/{document_id}/files/{file_id}/text"
    answer = client.get(url, headers=api_as("vanthu"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["state"] == "done" and word in body["text"] and body["message"] == "Đã nhận dạng"
    # an officer who does not see the document (no field, not assigned): not found
    assert client.get(url, headers=api_as("chuyenvien")).status_code == 404
    assert client.get(f"/api/v1/incoming/{document_id}/files/{file_id + 10**6}/text",
                      headers=api_as("vanthu")).status_code == 404


def test_a_file_that_cannot_be_read_is_recorded_as_failed_not_a_crash(app, db_session,
                                                                     login_as):
    ocr_or_skip()
    from app.documents import ocr_jobs

    document_id, file_id = register_scan(app, db_session, scan_png(letter_pdf()), "anh.png")
    record = db_session.get(DocumentFile, file_id)
    assert record.ocr_state == "waiting"
    file_path(app.config["DATA_DIR"], record.storage_name).unlink()  # gone from the disk
    db_session.rollback()
    counts = ocr_jobs.run_ocr_once(app, file_ids=[file_id])
    assert counts["failed"] == 1 and counts["done"] == 0
    db_session.expire_all()
    record = db_session.get(DocumentFile, file_id)
    assert record.ocr_state == "failed"
    assert record.ocr_message == "Không đọc được tệp đã lưu trên máy chủ."
    page = login_as("vanthu").get(f"/incoming/{document_id}").get_data(as_text=True)
    assert "Không nhận dạng được: Không đọc được tệp đã lưu trên máy chủ." in page


def test_while_ocr_is_off_the_page_says_why_and_the_scan_waits(app, db_session, login_as):
    from app.core import ocr
    from app.documents import ocr_jobs
    from tests.conftest import app_settings

    with app_settings(app, OCR_ENABLED=False):
        document_id, file_id = register_scan(app, db_session, scan_png(letter_pdf()), "a.png")
        record = db_session.get(DocumentFile, file_id)
        assert record.ocr_state == "off"
        page = login_as("vanthu").get(f"/incoming/{document_id}").get_data(as_text=True)
        assert "Nhận dạng chữ (OCR) chưa bật: quản trị đã tắt chức năng này (OCR_ENABLED=0)." \
            in page
        db_session.rollback()
        counts = ocr_jobs.run_ocr_once(app, file_ids=[file_id])
        assert counts["off_reason"] and counts["done"] == 0
    if not ocr.available():
        return
    # once on, the worker reads what waited
    counts = ocr_jobs.run_ocr_once(app, file_ids=[file_id])
    assert counts["done"] == 1
    db_session.expire_all()
    assert db_session.get(DocumentFile, file_id).ocr_state == "done"


def test_an_electronic_pdf_needs_no_ocr(app, db_session):
    _document_id, file_id = register_scan(app, db_session, pdf("Công văn có lớp chữ"))
    assert db_session.get(DocumentFile, file_id).ocr_state is None


def test_the_command_runs_a_round(app, db_session):
    ocr_or_skip()
    document_id, file_id = register_scan(app, db_session, scan_png(letter_pdf()), "lenh.png")
    db_session.rollback()
    result = app.test_cli_runner().invoke(args=["eoffice", "ocr", "--file", str(file_id)])
    assert result.exit_code == 0, result.output
    assert "Đã nhận dạng: 1 tệp" in result.output
    db_session.expire_all()
    assert db_session.get(DocumentFile, file_id).ocr_state == "done"


# ---------------------------------------------------------------- prefill at registration

def web_propose(client, data, name="ban-quet.pdf"):
    token = csrf_token(client.get("/").get_data(as_text=True))
    return client.post("/incoming/propose", data={"csrf_token": token,
                                                  "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_the_proposal_reads_the_number_and_date_of_a_scanned_letter(login_as, client, api_as):
    ocr_or_skip()
    pytest.importorskip("app.core.recognize", reason="the recogniser (app.core.recognize)")
    letter = scanned_pdf(letter_pdf(number_symbol="123/STC-NS",
                                    place_date="Hà Nam, ngày 05 tháng 3 năm 2026",
                                    mark="KHẨN"))
    answer = web_propose(login_as("vanthu"), letter)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["fields"]["number_symbol"]["value"] == "123/STC-NS"
    assert body["fields"]["document_date"]["value"] == "05/03/2026"
    assert body["fields"]["agency_id"]["label"] == "Sở Tài chính tỉnh Hà Nam"
    assert body["fields"]["urgency_id"]["label"] == "Khẩn"  # the mark, as the catalog's level
    assert body["source"] == "ocr" and "kiểm tra lại" in body["message"]
    rest = client.post("/api/v1/incoming/propose", headers=api_as("vanthu"),
                       data={"file": (io.BytesIO(letter), "ban-quet.pdf")},
                       content_type="multipart/form-data")
    assert rest.status_code == 200, rest.get_data(as_text=True)
    assert rest.get_json()["fields"]["number_symbol"]["value"] == "123/STC-NS"


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf("Văn bản có mật khẩu"))))
    writer.encrypt("mat-khau-rieng", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bomb() -> bytes:
    from tests.test_image_bombs import png_bomb

    return png_bomb(20000, 20000)


VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@pytest.mark.parametrize("kind, status", [("not a file", 400), ("text", 422),
                                          ("encrypted", 422), ("bomb", 422)])
def test_bad_files_get_a_vietnamese_message_never_a_500(kind, status, login_as, client,
                                                       api_as):
    data = {"not a file": b"", "text": b"Khong phai PDF\n" * 10,
            "encrypted": encrypted_pdf() if kind == "encrypted" else b"",
            "bomb": bomb() if kind == "bomb" else b""}[kind]
    answer = web_propose(login_as("vanthu"), data, "x.pdf" if kind != "bomb" else "x.png")
    assert answer.status_code == status, answer.get_data(as_text=True)
    message = answer.get_json()["message"]
    assert VIETNAMESE.search(message), message
    rest = client.post("/api/v1/incoming/propose", headers=api_as("vanthu"),
                       data={"file": (io.BytesIO(data), "x.pdf" if kind != "bomb" else "x.png")}
                       if data else {}, content_type="multipart/form-data")
    assert rest.status_code == status, rest.get_data(as_text=True)
    assert VIETNAMESE.search(rest.get_json()["message"])


def test_ocr_off_is_said_at_registration_too(app, login_as):
    from tests.conftest import app_settings

    with app_settings(app, OCR_ENABLED=False):
        answer = web_propose(login_as("vanthu"), scan_png(letter_pdf()), "a.png")
    assert answer.status_code == 422
    assert answer.get_json()["message"].startswith("Nhận dạng chữ (OCR) chưa bật:")


def test_only_the_clerk_reads_a_scan_for_registration(login_as, client, api_as):
    assert web_propose(login_as("chuyenvien"), b"x").status_code in (302, 403)
    rest = client.post("/api/v1/incoming/propose", headers=api_as("chuyenvien"),
                       data={"file": (io.BytesIO(b"x"), "x.pdf")},
                       content_type="multipart/form-data")
    assert rest.status_code == 403


def test_the_web_proposal_needs_the_forms_csrf_token(login_as):
    client = login_as("vanthu")
    answer = client.post("/incoming/propose", data={"file": (io.BytesIO(b"x"), "x.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 400
    assert "Biểu mẫu đã hết hạn" in answer.get_data(as_text=True)
