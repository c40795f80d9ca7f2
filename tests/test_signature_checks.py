"""Every PDF received is checked for its digital signatures (Decree 30 Art. 21.2): on upload
(web and REST), on an edXML arrival (an invalid one is returned with the reason), shown as a
badge, filtered in the grid and the REST list, printed in the register's notes, over REST, and
for the files stored before (recheck)."""
import io
import re
import uuid
from html import unescape

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from openpyxl import load_workbook
from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy import select

from app.core import pades
from app.core.models import DocumentFile
from app.documents import services
from app.documents.models import IncomingDocument
from app.exchange import edxml, worker
from app.exchange.models import RETURNED, ExchangeInbound, ExchangeOutbox
from app.security.certificates import TrustAnchor
from app.security.testing_ca import TestingCA
from tests.conftest import form_of, off_the_loop, pdf, user
from tests.exchange_helpers import FINANCE, FINANCE_TOKEN, OURS, ensure_partner, sample_package
from tests.incoming_helpers import entry, ids

SIGNER = "Nguyễn Văn An"
AGENCY = "Sở Tài chính tỉnh Hà Nam"


# ---------------------------------------------------------------- signed PDFs

@pytest.fixture(scope="module")
def trusted_ca():
    return TestingCA.make()


@pytest.fixture(scope="module")
def stranger_ca():
    """A CA no test makes a trust anchor."""
    return TestingCA.make("CA lạ (chỉ để thử nghiệm)")


@off_the_loop
def sign(data: bytes, ca, name=SIGNER, organisation=AGENCY) -> bytes:
    identity = ca.issue(name, organisation=organisation)
    key = asn1_keys.PrivateKeyInfo.load(identity.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(identity.cert_der), signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(ca.intermediate_der)]))
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)),
                           signers.PdfSignatureMetadata(field_name="Sig1"), signer=signer)
    return out.getvalue()


def tampered(signed: bytes) -> bytes:
    """One byte of the signed range changed (in the header's comment: still a readable PDF)."""
    assert b"ReportLab Generated" in signed
    return signed.replace(b"ReportLab Generated", b"ReportLab Generatex", 1)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def anchored(app, db_session, trusted_ca):
    """The trusted CA's root as an active trust anchor for the test, removed after it."""
    cert = trusted_ca.root.cert
    anchor = TrustAnchor(
        name="CA thử nghiệm H5", subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(), sha256=_sha256(trusted_ca.root_der),
        der=trusted_ca.root_der, is_root=True,
        not_before=cert.not_valid_before_utc.replace(tzinfo=None),
        not_after=cert.not_valid_after_utc.replace(tzinfo=None), active=True)
    db_session.add(anchor)
    db_session.commit()
    yield anchor
    db_session.rollback()
    db_session.delete(db_session.get(TrustAnchor, anchor.id))
    db_session.commit()


def _sha256(data):
    import hashlib

    return hashlib.sha256(data).hexdigest()


def marker() -> str:
    return f"kysoh5{uuid.uuid4().hex[:10]}"


def register_with(app, session, files, **overrides):
    with app.test_request_context():
        return services.register_incoming(session, user(session, "vanthu"),
                                          entry(session, **overrides), files)


def files_of(session, document_id):
    session.expire_all()
    return list(session.scalars(select(DocumentFile).where(
        DocumentFile.incoming_id == document_id).order_by(DocumentFile.id)))


def register_via_web(client, session, files, **overrides):
    page = client.get("/incoming/register").get_data(as_text=True)
    data = entry(session, **overrides)
    form = {k: (v.strftime("%d/%m/%Y %H:%M") if k == "arrival_at" else
                v.strftime("%d/%m/%Y") if k in ("document_date", "deadline") and v else
                "" if v is None else str(v)) for k, v in data.items()}
    body = form_of(page, submit_now="y", **form)
    body["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/incoming/register", data=body, content_type="multipart/form-data",
                       follow_redirects=True)


def file_item(html: str, name: str) -> str:
    """The <li> of a file on the document page."""
    start = html.index(f">{name}</a>")
    ends = [i for i in (html.find('<li><i class="fa fa-paperclip">', start),
                        html.find("\n      </ul>", start)) if i >= 0]
    return html[html.rindex("<li", 0, start):min(ends)]


# ---------------------------------------------------------------- on upload

def test_web_upload_of_a_signed_pdf_is_valid_with_the_anchor(app, login_as, db_session,
                                                             trusted_ca, anchored):
    excerpt = f"V/v {marker()} văn bản ký số hợp lệ"
    clerk = login_as("vanthu")
    response = register_via_web(clerk, db_session, [(sign(pdf(), trusted_ca), "Ký số.pdf")],
                                excerpt=excerpt)
    html = response.get_data(as_text=True)
    assert "Đã vào sổ văn bản đến số" in html
    document = db_session.scalar(select(IncomingDocument).where(
        IncomingDocument.excerpt == excerpt))
    [record] = files_of(db_session, document.id)
    assert record.signature_state == "valid" and record.signature_checked_at is not None
    item = file_item(html, "Ký số.pdf")
    assert "Hợp lệ" in item and SIGNER in item and AGENCY in item
    assert "toàn vẹn" in item and "Không hợp lệ" not in item


def test_rest_upload_without_anchor_is_unknown_with_the_reason(app, client, api_as, db_session,
                                                               stranger_ca):
    clerk = api_as("vanthu")
    values = entry(db_session)
    data = {k: str(v) for k, v in values.items() if v is not None}
    data["arrival_at"] = values["arrival_at"].strftime("%Y-%m-%dT%H:%M")
    data["document_date"] = values["document_date"].strftime("%d/%m/%Y")
    data["files"] = (io.BytesIO(sign(pdf(), stranger_ca)), "Không rõ CA.pdf")
    response = client.post("/api/v1/incoming/", headers=clerk, data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    [record] = files_of(db_session, response.get_json()["id"])
    assert record.signature_state == "unknown"
    stored = client.get(f"/api/v1/signatures/files/{record.id}", headers=clerk).get_json()
    assert stored["result"]["state"] == "unknown"
    assert stored["result"]["state_label"] == "Không xác định"
    assert any("không thuộc tổ chức cung cấp dịch vụ chứng thực" in reason
               for reason in stored["result"]["reasons"])
    assert stored["result"]["report"]["signatures"][0]["signer"] == SIGNER


def test_a_tampered_pdf_is_stored_invalid_and_the_page_says_why(app, login_as, db_session,
                                                                trusted_ca, anchored):
    excerpt = f"V/v {marker()} văn bản bị sửa sau khi ký"
    clerk = login_as("vanthu")
    response = register_via_web(
        clerk, db_session, [(tampered(sign(pdf(), trusted_ca)), "Bị sửa.pdf")],
        excerpt=excerpt)
    html = response.get_data(as_text=True)
    assert "Đã vào sổ văn bản đến số" in html  # the upload itself succeeds
    document = db_session.scalar(select(IncomingDocument).where(
        IncomingDocument.excerpt == excerpt))
    [record] = files_of(db_session, document.id)
    assert record.signature_state == "invalid"
    reasons = pades.Report.from_json(record.signature_report).reasons()
    assert any("đã bị thay đổi sau khi ký" in reason for reason in reasons)
    item = file_item(html, "Bị sửa.pdf")
    assert "Không hợp lệ" in item, item
    assert all(reason in item for reason in reasons)


def test_unsigned_pdf_and_image(app, login_as, db_session):
    document = register_with(app, db_session, [(pdf(), "Không ký.pdf"), (png(), "Ảnh.png")])
    unsigned, image = files_of(db_session, document.id)
    assert unsigned.signature_state == "unsigned" and image.signature_state is None
    html = login_as("vanthu").get(f"/incoming/{document.id}").get_data(as_text=True)
    assert "Không có chữ ký số" in file_item(html, "Không ký.pdf")
    assert "signature-badge" not in file_item(html, "Ảnh.png")


# ---------------------------------------------------------------- the page's recheck button

def test_clerk_rechecks_a_file_after_adding_the_anchor(app, login_as, db_session, trusted_ca,
                                                       request):
    document = register_with(app, db_session, [(sign(pdf(), trusted_ca), "Kiểm lại.pdf")])
    [record] = files_of(db_session, document.id)
    assert record.signature_state == "unknown"  # no anchor yet
    officer_page = login_as("lanhdao").get(f"/incoming/{document.id}").get_data(as_text=True)
    assert "Không xác định" in officer_page and "Kiểm tra lại chữ ký số" not in officer_page
    request.getfixturevalue("anchored")
    clerk = login_as("vanthu")
    page = clerk.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert "Kiểm tra lại chữ ký số" in page
    done = clerk.post(f"/signatures/files/{record.id}/recheck", data=form_of(page),
                      follow_redirects=True)
    assert "Đã kiểm tra lại chữ ký số của «Kiểm lại.pdf»: Hợp lệ." in done.get_data(as_text=True)
    [record] = files_of(db_session, document.id)
    assert record.signature_state == "valid"
    assert clerk.post(f"/signatures/files/{record.id}/recheck", data={}).status_code == 400


# ---------------------------------------------------------------- edXML arrival

def _run_worker(app, sent):
    def fake_post(url, token, payload):
        sent.append((url, token, payload))
        return 202, b"{}"
    return worker.run_once(app, post=fake_post)


def test_an_arrival_with_an_invalid_signature_is_returned_with_the_reason(
        app, client, db_session, login_as, monkeypatch, trusted_ca, anchored):
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", OURS)
    ensure_partner(db_session, FINANCE, FINANCE_TOKEN)
    bad = tampered(sign(pdf(), trusted_ca))
    with app.test_request_context():
        package = sample_package(attachments=[edxml.Attachment(
            "cid:1", "Công văn ký số.pdf", "application/pdf", bad, "Bản điện tử")])
        data = edxml.build_package(package)
    response = client.post("/api/v1/exchange/inbox", data=data, headers={
        "Content-Type": "application/xml", "Authorization": f"Bearer {FINANCE_TOKEN}"})
    assert response.status_code == 202, response.get_data(as_text=True)
    _run_worker(app, [])
    db_session.rollback()
    inbound = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.document_key == package.document_id))
    [record] = files_of(db_session, inbound.incoming_id)
    assert record.signature_state == "invalid"
    clerk = login_as("vanthu")
    show = clerk.get(f"/incoming/{inbound.incoming_id}").get_data(as_text=True)
    reasons = pades.Report.from_json(record.signature_report).reasons()
    assert any("đã bị thay đổi sau khi ký" in reason for reason in reasons)
    expected = f"Chữ ký số không hợp lệ: {'; '.join(reasons)}"
    assert expected in unescape(show)
    textarea = re.search(r'<textarea name="reason"[^>]*>([^<]*)</textarea>', show)
    reason = unescape(textarea.group(1))
    assert reason == expected
    clerk.post(f"/exchange/inbound/{inbound.id}/return", data=form_of(show, reason=reason))
    db_session.rollback()
    inbound = db_session.get(ExchangeInbound, inbound.id)
    assert inbound.state == RETURNED and inbound.reason == expected
    row = db_session.scalar(select(ExchangeOutbox).where(
        ExchangeOutbox.inbound_id == inbound.id, ExchangeOutbox.status_code == "02"))
    assert edxml.read(row.payload.encode()).description == expected


# ---------------------------------------------------------------- grid filter and REST list

@pytest.fixture
def one_of_each(app, db_session):
    """Five registered documents sharing a search word, one per signature state, in the field
    of the officer; and one more invalid one outside the officer's fields (hidden from them).
    States are set on the files directly (what is checked here is the filter)."""
    word = marker()
    known = ids(db_session)
    officer = user(db_session, "chuyenvien")
    mine = officer.fields[0].id
    other = next(i for i in (known["field_cchc"], known["field_tp"])
                 if i not in {f.id for f in officer.fields})
    documents = {}
    for state in ("valid", "invalid", "unknown", "unsigned", None, "hidden"):
        document = register_with(app, db_session, [(pdf(), "a.pdf"), (png(), "b.png")],
                                 excerpt=f"V/v {word} trạng thái {state}",
                                 field_id=other if state == "hidden" else mine)
        first = files_of(db_session, document.id)[0]
        first.signature_state = "invalid" if state == "hidden" else state
        db_session.commit()
        documents[state] = document.id
    return word, documents


def grid_ids(client, word, value):
    html = client.get(f"/incoming/list/list/?q={word}&signature={value}").get_data(as_text=True)
    return {int(i) for i in re.findall(r'name="ids" value="(\d+)"', html)}


def test_grid_and_rest_filter_by_signature_state(app, client, login_as, api_as, one_of_each):
    word, documents = one_of_each
    expected = {"valid": {documents["valid"]},
                "invalid": {documents["invalid"], documents["hidden"]},
                "unknown": {documents["unknown"]}, "unsigned": {documents["unsigned"]},
                "unchecked": {documents[None]}}
    clerk = login_as("vanthu")
    assert "Chữ ký số" in clerk.get("/incoming/list/list/").get_data(as_text=True)
    for value, wanted in expected.items():
        assert grid_ids(clerk, word, value) == wanted, value
    assert len(grid_ids(clerk, word, "")) == 6
    officer = login_as("chuyenvien")
    assert grid_ids(officer, word, "invalid") == {documents["invalid"]}
    assert grid_ids(officer, word, "valid") == {documents["valid"]}
    headers = api_as("chuyenvien")
    listed = client.get(f"/api/v1/incoming/?q={word}&signature=invalid", headers=headers)
    assert {r["id"] for r in listed.get_json()["result"]} == {documents["invalid"]}
    clerk_api = api_as("vanthu")
    listed = client.get(f"/api/v1/incoming/?q={word}&signature=invalid", headers=clerk_api)
    assert {r["id"] for r in listed.get_json()["result"]} == expected["invalid"]
    listed = client.get(f"/api/v1/incoming/?q={word}&signature=unchecked", headers=clerk_api)
    assert {r["id"] for r in listed.get_json()["result"]} == expected["unchecked"]
    wrong = client.get(f"/api/v1/incoming/?q={word}&signature=nope", headers=clerk_api)
    assert wrong.status_code == 400 and "chữ ký số" in wrong.get_json()["message"]


# ---------------------------------------------------------------- register

def test_register_notes_carry_the_signature_summary(app, login_as, db_session, trusted_ca,
                                                    anchored):
    document = register_with(app, db_session, [(sign(pdf(), trusted_ca), "Sổ.pdf")],
                             notes="Bản gốc lưu văn thư")
    client = login_as("vanthu")
    register_id = ids(db_session)["register"]
    response = client.get(f"/incoming/book?register_id={register_id}&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    notes_column = rows[5].index("Ghi chú")
    [row] = [r for r in rows[7:] if r[1] == document.arrival_number]
    assert row[notes_column].startswith("Bản gốc lưu văn thư\nChữ ký số: Hợp lệ — ")
    assert SIGNER in row[notes_column]
    html = client.get(f"/incoming/book?register_id={register_id}").get_data(as_text=True)
    assert f"Chữ ký số: Hợp lệ — {SIGNER}" in unescape(html)


# ---------------------------------------------------------------- REST

def test_rest_verify_answers_the_report_and_stores_nothing(app, client, api_as, db_session,
                                                           trusted_ca, anchored):
    headers = api_as("chuyenvien")
    before = db_session.scalar(select(DocumentFile.id).order_by(DocumentFile.id.desc())
                               .limit(1))
    response = client.post("/api/v1/signatures/verify", headers=headers,
                           data={"file": (io.BytesIO(sign(pdf(), trusted_ca)), "x.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()["result"]
    assert result["state"] == "valid" and result["state_label"] == "Hợp lệ"
    assert result["signatures"][0]["signer"] == SIGNER
    assert result["summary"].startswith(f"Chữ ký số: Hợp lệ — {SIGNER}")
    db_session.rollback()
    assert db_session.scalar(select(DocumentFile.id).order_by(DocumentFile.id.desc())
                             .limit(1)) == before
    not_pdf = client.post("/api/v1/signatures/verify", headers=headers,
                          data={"file": (io.BytesIO(png()), "x.png")},
                          content_type="multipart/form-data")
    assert not_pdf.status_code == 422
    assert not_pdf.get_json()["message"] == "Chỉ kiểm tra chữ ký số của tệp PDF."
    nothing = client.post("/api/v1/signatures/verify", headers=headers, data={},
                          content_type="multipart/form-data")
    assert nothing.status_code == 400 and nothing.get_json()["message"] == "Chưa chọn tệp."


def test_rest_file_report_follows_the_documents_visibility(app, client, api_as, db_session,
                                                          one_of_each):
    _word, documents = one_of_each
    hidden = files_of(db_session, documents["hidden"])[0]
    seen = files_of(db_session, documents["invalid"])[0]
    officer = api_as("chuyenvien")
    assert client.get(f"/api/v1/signatures/files/{hidden.id}", headers=officer
                      ).status_code == 404
    assert client.get("/api/v1/signatures/files/999999999", headers=officer).status_code == 404
    shown = client.get(f"/api/v1/signatures/files/{seen.id}", headers=officer)
    assert shown.status_code == 200 and shown.get_json()["result"]["state"] == "invalid"
    clerk = api_as("vanthu")
    assert client.get(f"/api/v1/signatures/files/{hidden.id}", headers=clerk).status_code == 200
    # checking again is the clerk's; the officer may not
    assert client.post(f"/api/v1/signatures/files/{seen.id}/recheck", headers=officer
                       ).status_code == 403
    again = client.post(f"/api/v1/signatures/files/{seen.id}/recheck", headers=clerk)
    assert again.status_code == 200
    assert again.get_json()["result"]["state"] == "unsigned"  # the real file has no signature


# ---------------------------------------------------------------- files stored before

def test_recheck_gives_a_state_to_unchecked_files_once(app, db_session, trusted_ca):
    from app.extensions import db
    from app.security.signature_checks import recheck

    document = register_with(app, db_session, [(sign(pdf(), trusted_ca), "Cũ.pdf"),
                                               (pdf(), "Cũ 2.pdf"), (png(), "Cũ.png")])
    records = files_of(db_session, document.id)
    for record in records:
        record.signature_state = record.signature_report = record.signature_checked_at = None
    db_session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["eoffice", "signatures", "recheck"])
    assert result.exit_code == 0, result.output
    assert "Xong: đã kiểm tra chữ ký số của" in result.output
    states = [(r.signature_state, r.signature_checked_at) for r in
              files_of(db_session, document.id)]
    assert [s for s, _at in states] == ["unknown", "unsigned", None]
    with app.app_context():
        assert recheck(db.session) == 0  # nothing left unchecked: a second run changes nothing
    assert [(r.signature_state, r.signature_checked_at) for r in
            files_of(db_session, document.id)] == states
