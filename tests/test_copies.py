"""Sao y điện tử (Decree 30/2020 Art. 25–27, Appendix I): the clerk scans a paper original, the
copy is marked "SAO Y" with the agency's name, the copy's number ("Số: 05/SY-SNV") and the
signing time, signed with the agency's key; numbered per year in its own sequence. Who makes
copies, who sees them (book, page, files, REST), and the refusals."""
import io
import re
import subprocess
import uuid

import pytest
from asn1crypto import x509 as asn1_x509
from markupsafe import escape
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.copies import services
from app.copies.models import ElectronicCopy
from app.core.errors import DomainError, FormErrors
from app.core.models import DocumentFile
from app.core.storage import read_file
from app.core.timefmt import local_now
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from app.extensions import db
from app.outgoing.services import issuer_code
from app.security.certificates import TrustAnchor
from app.security.testing_ca import TestingCA
from tests.conftest import FONT, csrf_token, off_the_loop, user
from tests.conftest import app_settings as settings

P12_PASSWORD = "mat-khau-sao-y"
NO_KEY = {"SIGNING_AGENCY_P12_FILE": "", "SIGNING_AGENCY_PKCS11_MODULE": ""}
KEY_SETTINGS = ("SIGNING_AGENCY_P12_FILE", "SIGNING_AGENCY_P12_PASSWORD",
                "SIGNING_AGENCY_PKCS11_MODULE", "SIGNING_TSA_URL", "INSTANCE_DIR")




@pytest.fixture(scope="module")
def agency_key(app, tmp_path_factory):
    """The agency's key in a PKCS#12 file of a TestingCA, the CA trusted (its root and
    intermediate as trust anchors) while the module runs; all undone afterwards."""
    from app.security.certificate_admin import add_trust_anchors

    ca = TestingCA.make()
    agency = ca.issue(app.config["AGENCY_NAME"], organisation=app.config["AGENCY_NAME"])
    p12 = tmp_path_factory.mktemp("copies-key") / "agency.p12"
    p12.write_bytes(agency.p12(P12_PASSWORD.encode()))
    with app.test_request_context():
        added = add_trust_anchors(db.session, user(db.session, "quantri"),
                                  ca.root.cert_pem + ca.intermediate.cert_pem)
        anchor_ids = [a.id for a in added]
    saved = {k: app.config.get(k) for k in KEY_SETTINGS}
    app.config.update(SIGNING_AGENCY_P12_FILE=str(p12), SIGNING_AGENCY_P12_PASSWORD=P12_PASSWORD,
                      SIGNING_AGENCY_PKCS11_MODULE="", SIGNING_TSA_URL="")
    yield ca
    app.config.update(saved)
    with app.app_context():
        for row in db.session.scalars(select(TrustAnchor).where(TrustAnchor.id.in_(anchor_ids))):
            db.session.delete(row)
        db.session.commit()


# ---------------------------------------------------------------- scans

def scanned_pdf(text="QUYẾT ĐỊNH bản giấy") -> bytes:
    from app.core.pdf import make_demo_pdf

    return make_demo_pdf(text, ["Số: 17/QĐ-UBND", "Bản gốc giấy, quét lại."], font_path=FONT)


def scanned_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (620, 877), (250, 250, 245)).save(buffer, "JPEG")
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(scanned_pdf())))
    writer.encrypt("mat-khau")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _pdftotext(data: bytes, tmp_path, *options) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(data)
    return subprocess.run(["/usr/bin/pdftotext", "-f", "1", "-l", "1", *options, str(path),
                           "-"], capture_output=True, text=True, timeout=60, check=True).stdout


def page_one_text(data: bytes, tmp_path) -> str:
    """What a reader sees on page 1 (poppler renders the signature's appearance too)."""
    return _pdftotext(data, tmp_path)


def word_places(data: bytes, tmp_path) -> dict:
    """{word: (xMin, yMin, page width)} of page 1 (y from the top), as poppler places them."""
    html = _pdftotext(data, tmp_path, "-bbox")
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    return {m.group(5): (float(m.group(1)), float(m.group(2)), width) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        html)}


@off_the_loop
def pyhanko_checks(data: bytes, ca):
    """pyHanko's own validator, trusting only the test CA's root, no fetching."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    results = []
    for embedded in reader.embedded_signatures:
        context = ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(ca.root_der)],
            other_certs=[asn1_x509.Certificate.load(ca.intermediate_der)],
            allow_fetching=False, revocation_mode="soft-fail")
        results.append(validate_pdf_signature(embedded, context))
    return results


# ---------------------------------------------------------------- data of the tests

def incoming_ids(session):
    """(one incoming document the officer may see, one they may not)."""
    officer = user(session, "chuyenvien")
    seen = session.scalar(select(IncomingDocument.id).where(visible_incoming(officer))
                          .order_by(IncomingDocument.id))
    unseen = session.scalar(select(IncomingDocument.id).where(~visible_incoming(officer))
                            .where(IncomingDocument.state != "pending")
                            .order_by(IncomingDocument.id))
    assert seen and unseen
    return seen, unseen


def make(session, *, incoming_id=None, original=None, upload=None):
    return services.make_copy(
        session, user(session, "vanthu"), original=original or f"Quyết định {uuid.uuid4().hex}",
        uploads=[upload or (scanned_pdf(), "ban-quet.pdf")], incoming_id=incoming_id)


def counts(session):
    return (session.scalar(select(func.count()).select_from(ElectronicCopy)),
            session.scalar(select(func.count()).select_from(DocumentFile)))


def form_page(client):
    page = client.get("/copies/new")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def post_copy(client, *, original, data=None, filename="ban-quet.pdf", **fields):
    html = form_page(client)
    body = {"csrf_token": csrf_token(html), "original": original, **fields}
    if data is not None:
        body["file"] = (io.BytesIO(data), filename)
    return client.post("/copies/new", data=body, content_type="multipart/form-data")


# ---------------------------------------------------------------- the clerk makes copies

def test_clerk_copies_a_scanned_pdf_and_a_jpeg(app, login_as, agency_key, tmp_path):
    client = login_as("vanthu")
    year = local_now().year
    with app.app_context():
        first = services.peek_copy_number(db.session, year)
        code = issuer_code(db.session)
    made = []
    for data, name in ((scanned_pdf(), "Quyết định 17.pdf"), (scanned_jpeg(), "anh-quet.jpg")):
        original = f"Quyết định số 17/QĐ-UBND ngày 02/12/2026 {uuid.uuid4().hex[:6]}"
        response = post_copy(client, original=original, data=data, filename=name,
                             recipients="- Sở Tư pháp;\n- Lưu: VT.")
        assert response.status_code == 302, response.get_data(as_text=True)
        copy_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        page = client.get(f"/copies/{copy_id}").get_data(as_text=True)
        assert original in page and "Hợp lệ" in page  # the signature badge
        made.append(copy_id)

    with app.app_context():
        copies = [db.session.get(ElectronicCopy, i) for i in made]
        assert [c.number for c in copies] == [first, first + 1]  # consecutive
        assert [c.year for c in copies] == [year, year]
        assert [c.number_symbol for c in copies] == [f"{first:02d}/SY-{code}",
                                                     f"{first + 1:02d}/SY-{code}"]
        assert copies[1].source_file.content_type == "image/jpeg"
        for copy in copies:
            signed = read_file(copy.copy_file)
            assert copy.copy_file.content_type == "application/pdf"
            assert copy.copy_file.signature_state == "valid"
            results = pyhanko_checks(signed, agency_key)
            assert len(results) == 1
            assert results[0].intact and results[0].valid and results[0].trusted
            text = page_one_text(signed, tmp_path)
            assert "SAO Y" in text and "Số:" in text and copy.number_symbol in text
            assert app.config["AGENCY_NAME"] in text and "Thời gian ký:" in text
            assert "+07:00" in text
            x, y, width = word_places(signed, tmp_path)["SAO"]  # top right of page 1
            assert x > width / 2 and y < 72
            assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "agency_signed", AuditEvent.object_type == "electronic_copy",
                AuditEvent.object_id == str(copy.id))) == 1
        # the scanned PDF's own page is kept under the marking
        assert "Bản gốc giấy, quét lại." in page_one_text(read_file(copies[0].copy_file),
                                                          tmp_path)

    book = client.get("/copies/").get_data(as_text=True)
    assert all(f"{n:02d}/SY-{code}" in book for n in (first, first + 1))


def test_without_the_agency_key_no_number_is_taken(app, agency_key, tmp_path):
    year = local_now().year
    with app.test_request_context():
        before = services.peek_copy_number(db.session, year)
        stored = counts(db.session)
    # no key configured, and no demo key either (the demo's are under INSTANCE_DIR)
    with settings(app, INSTANCE_DIR=str(tmp_path), **NO_KEY), app.test_request_context():
        with pytest.raises(FormErrors) as error:
            make(db.session)
        db.session.rollback()
        assert "Chưa cấu hình khóa ký số của cơ quan" in str(error.value.errors["signature"][0])
        assert services.peek_copy_number(db.session, year) == before
        assert counts(db.session) == stored
    with app.test_request_context():
        copy = make(db.session)
        assert copy.number == before  # no gap in the year's sequence


def test_the_key_unusable_while_signing_leaves_nothing(app, agency_key, tmp_path):
    """A key that is configured but cannot be opened fails inside the numbering transaction:
    the number is given back and no file is kept."""
    year = local_now().year
    with app.test_request_context():
        before, stored = services.peek_copy_number(db.session, year), counts(db.session)
    with settings(app, SIGNING_AGENCY_P12_PASSWORD="sai-mat-khau"), app.test_request_context():
        with pytest.raises(FormErrors) as error:
            make(db.session)
        db.session.rollback()
        assert "sai mật khẩu" in str(error.value.errors["signature"][0])
        assert services.peek_copy_number(db.session, year) == before
        assert counts(db.session) == stored


# ---------------------------------------------------------------- refusals

def test_bad_input_is_refused_in_vietnamese_and_nothing_is_saved(app, login_as, agency_key):
    from tests.test_image_bombs import png_bomb

    client = login_as("vanthu")
    with app.app_context():
        before = counts(db.session)
        number = services.peek_copy_number(db.session, local_now().year)
    cases = [
        (dict(original="Quyết định 1", data=None), "Chọn tệp bản quét"),
        (dict(original="Quyết định 1", data=encrypted_pdf()), "được bảo vệ bằng mật khẩu"),
        (dict(original="Quyết định 1", data=png_bomb(8000, 8000), filename="bom.png"),
         "Ảnh quá lớn"),
        (dict(original="x" * 1001, data=scanned_pdf()), "Tối đa 1000 ký tự"),
        (dict(original="", data=scanned_pdf()), "Nhập bản gốc được sao"),
        (dict(original="Quyết định 1", data=scanned_pdf(), incoming_id="99999999999999999999"),
         "Không tìm thấy văn bản đến này"),
        (dict(original="Quyết định 1", data=scanned_pdf(), incoming_id="abc"),
         "Không tìm thấy văn bản đến này"),
    ]
    for fields, message in cases:
        response = post_copy(client, **fields)
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), (fields, message)
    # the same through the REST API
    token = api_token_of(client, "vanthu")
    for body, message in (({"original": "Quyết định 1"}, "Chọn tệp bản quét"),
                          ({"original": "Quyết định 1", "incoming_id": "99999999999999999999",
                            "file": (io.BytesIO(scanned_pdf()), "a.pdf")},
                           "Không tìm thấy văn bản đến này"),
                          ({"original": "Quyết định 1",
                            "file": (io.BytesIO(encrypted_pdf()), "a.pdf")},
                           "được bảo vệ bằng mật khẩu")):
        response = client.post("/api/v1/copies/", data=body, headers=token,
                               content_type="multipart/form-data")
        assert response.status_code == 422
        assert message in str(response.get_json()["message"])
    with app.app_context():
        assert counts(db.session) == before
        assert services.peek_copy_number(db.session, local_now().year) == number


def test_the_incoming_document_must_be_visible_to_the_copier(app, agency_key, monkeypatch):
    """The incoming document's access rule applies to whoever copies: an officer given the
    right to copy (patched here) still cannot name a document they may not see."""
    import app.copies.services as copy_services

    monkeypatch.setattr(copy_services, "may_make", lambda person: True)
    with app.test_request_context():
        _seen, unseen = incoming_ids(db.session)
        before = counts(db.session)
        with pytest.raises(FormErrors) as error:
            services.make_copy(db.session, user(db.session, "chuyenvien"), original="Bản gốc",
                               uploads=[(scanned_pdf(), "a.pdf")], incoming_id=unseen)
        db.session.rollback()
        assert "Không tìm thấy văn bản đến này" in str(error.value.errors["incoming_id"][0])
        assert counts(db.session) == before


def api_token_of(client, username):
    from tests.conftest import api_token

    return {"Authorization": f"Bearer {api_token(client, username)}"}


# ---------------------------------------------------------------- who makes, who sees

def test_an_officer_cannot_make_copies(app, client, login_as, agency_key):
    with app.test_request_context():
        with pytest.raises(DomainError, match="Chỉ văn thư"):
            services.make_copy(db.session, user(db.session, "chuyenvien"), original="Bản gốc",
                               uploads=[(scanned_pdf(), "a.pdf")])
        db.session.rollback()
        before = counts(db.session)
    officer = login_as("chuyenvien")
    assert officer.get("/copies/new").status_code == 403
    token = csrf_token(officer.get("/copies/").get_data(as_text=True))
    refused = officer.post("/copies/new", data={"csrf_token": token, "original": "Bản gốc",
                                                "file": (io.BytesIO(scanned_pdf()), "a.pdf")},
                           content_type="multipart/form-data")
    assert refused.status_code == 403
    response = client.post("/api/v1/copies/", headers=api_token_of(client, "chuyenvien"),
                           data={"original": "Bản gốc", "file": (io.BytesIO(scanned_pdf()),
                                                                 "a.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    with app.app_context():
        assert counts(db.session) == before


def test_an_officer_sees_the_copies_of_incoming_documents_they_see(app, client, login_as,
                                                                  agency_key):
    with app.test_request_context():
        seen, unseen = incoming_ids(db.session)
        mine = make(db.session, incoming_id=seen).id
        other = make(db.session, incoming_id=unseen).id
        loose = make(db.session).id  # of no incoming document
        labels = {i: db.session.get(ElectronicCopy, i).number_symbol
                  for i in (mine, other, loose)}
    officer = login_as("chuyenvien")
    book = officer.get("/copies/").get_data(as_text=True)
    assert labels[mine] in book
    assert labels[other] not in book and labels[loose] not in book
    assert "new-copy" not in book  # no "Sao y điện tử" button
    assert f"/incoming/{seen}\"" in book  # the link to its incoming document
    assert officer.get(f"/copies/{mine}").status_code == 200
    assert officer.get(f"/copies/{mine}/files/copy").status_code == 200
    assert officer.get(f"/copies/{mine}/files/khac").status_code == 404
    for hidden in (other, loose):
        assert officer.get(f"/copies/{hidden}").status_code == 404
        assert officer.get(f"/copies/{hidden}/files/copy").status_code == 404
        assert officer.get(f"/copies/{hidden}/files/scan").status_code == 404
    assert officer.get("/copies/99999999999999999999").status_code == 404

    headers = api_token_of(client, "chuyenvien")
    listed = client.get("/api/v1/copies/?page_size=100", headers=headers).get_json()["result"]
    ids = {row["id"] for row in listed}
    assert mine in ids and other not in ids and loose not in ids
    assert client.get(f"/api/v1/copies/{mine}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/copies/{other}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/copies/{other}/files/copy", headers=headers).status_code == 404
    download = client.get(f"/api/v1/copies/{mine}/files/copy", headers=headers)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "download", AuditEvent.object_type == "electronic_copy",
            AuditEvent.object_id == str(mine))) == 2  # the page's and the API's download

    # the agency leader (reads every document) sees them all; the administrator none
    leader = login_as("lanhdao")
    assert all(leader.get(f"/copies/{i}").status_code == 200 for i in (mine, other, loose))
    admin_headers = api_token_of(client, "quantri")
    assert client.get("/api/v1/copies/", headers=admin_headers).status_code == 403


def test_the_form_proposes_the_copy_of_an_incoming_document(app, login_as, agency_key):
    with app.app_context():
        seen, _unseen = incoming_ids(db.session)
        document = db.session.get(IncomingDocument, seen)
        number_symbol, excerpt = document.number_symbol, document.excerpt
    page = login_as("vanthu").get(f"/copies/new?incoming_id={seen}").get_data(as_text=True)
    assert f'value="{seen}"' in page and str(escape(number_symbol)) in page
    assert str(escape(excerpt)) in page
    assert "Số bản sao tiếp theo" in page


# ---------------------------------------------------------------- REST

def test_rest_create_with_a_token(app, client, agency_key, tmp_path):
    with app.app_context():
        seen, _unseen = incoming_ids(db.session)
        number = services.peek_copy_number(db.session, local_now().year)
    headers = api_token_of(client, "vanthu")
    response = client.post("/api/v1/copies/", headers=headers, data={
        "original": "Công văn số 45/SNV-VP ngày 01/12/2026", "incoming_id": str(seen),
        "recipients": "- Lưu: VT.", "file": (io.BytesIO(scanned_jpeg()), "quet.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    result = response.get_json()["result"]
    assert result["number"] == number and result["incoming_id"] == seen
    assert result["number_symbol"].startswith(f"{number:02d}/SY-")
    assert result["copy_file"]["signature_state"] == "valid"
    copy_id = response.get_json()["id"]
    shown = client.get(f"/api/v1/copies/{copy_id}", headers=headers).get_json()["result"]
    assert shown["recipients"] == "- Lưu: VT." and shown["source_file"]["name"] == "quet.jpg"
    signed = client.get(f"/api/v1/copies/{copy_id}/files/copy", headers=headers)
    assert signed.status_code == 200 and signed.mimetype == "application/pdf"
    assert "SAO Y" in page_one_text(signed.data, tmp_path)
    assert client.post("/api/v1/copies/", data={"original": "x"},
                       content_type="multipart/form-data").status_code == 401

