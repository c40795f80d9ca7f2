"""Ký số of an outgoing document (Decree 30/2020 Art. 8, 13, 15–16, 32.2): the signer signs the
draft's PDF digitally (the last step of approval), the clerk numbers, dates and adds the
agency's signature at issuance, no paper scan. Both ways of signing (the signer's own token
software on the prepared PDF, uploaded back; the remote signing service), the refusals, the
pages and the REST API."""
import io
import subprocess
import uuid

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from app.catalogs.models import Agency, DocumentType, Field, Register, SecrecyLevel, Signer
from app.catalogs.models import UrgencyLevel
from app.core.errors import FormErrors
from app.core.pdf import make_demo_pdf
from app.core.timefmt import local_now
from app.extensions import db
from app.org.models import Department, EofficeUser
from app.outgoing import services
from app.outgoing.models import (
    APPROVED, DRAFTING, ISSUED, SIGNED_PDF, SIGNER_REVIEW, Draft, OutgoingDocument,
)
from app.security.certificates import PersonalCertificate, TrustAnchor
from app.security.testing_ca import TestingCA
from tests.conftest import FONT, csrf_token, form_of, off_the_loop, user
from tests.conftest import app_settings as settings
from tests.csc_server import csc_service
from tests.test_outgoing import docx_bytes
from tests.softhsm import configured_token, make_token, needs_softhsm

SIGNER = "lanhdao"  # the demo's director: the signer of the drafts below
OTHER_LEADER = "pgd.thanh"


# ---------------------------------------------------------------- keys of the tests

def _der(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@off_the_loop
def token_sign(data: bytes, identity, field_name=services.SIGNER_FIELD) -> bytes:
    """What the signer's own signing software does: one incremental PAdES signature with
    pyHanko, made with the identity's key (independent of app.core.pades)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = identity.key.private_bytes(serialization.Encoding.DER,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(identity.cert_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(key),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(_der(c)) for c in identity.chain]))
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)),
                           signers.PdfSignatureMetadata(field_name=field_name,
                                                        subfilter=None),
                           signer=signer)
    return out.getvalue()


@pytest.fixture(scope="module")
def keys(app, tmp_path_factory):
    """A test CA of this module, trusted (its root and intermediate as trust anchors) while
    the module runs; the signer's certificate mapped (confirmed) to the signer's account, and
    another leader's to theirs; the agency's key in a PKCS#12 file (SIGNING_AGENCY_P12_FILE).
    Everything set here is undone afterwards."""
    from app.security.certificate_admin import add_personal_certificate, add_trust_anchors

    ca = TestingCA.make()
    with app.app_context():
        admin = user(db.session, "quantri")
        anchors = add_trust_anchors(db.session, admin, ca.root.cert_pem
                                    + ca.intermediate.cert_pem)
        anchor_ids = [a.id for a in anchors]
        signer, other = user(db.session, SIGNER), user(db.session, OTHER_LEADER)
        identities = {SIGNER: ca.issue(signer.full_name, organisation="Sở Nội vụ"),
                      OTHER_LEADER: ca.issue(other.full_name, organisation="Sở Nội vụ")}
        mapped = [add_personal_certificate(db.session, admin, person, identities[name].cert_pem).id
                  for name, person in ((SIGNER, signer), (OTHER_LEADER, other))]
    agency = ca.issue(app.config["AGENCY_NAME"], organisation=app.config["AGENCY_NAME"])
    p12 = tmp_path_factory.mktemp("agency") / "agency.p12"
    p12.write_bytes(agency.p12(b"mat-khau-co-quan"))
    saved = {k: app.config.get(k) for k in AGENCY_SETTINGS}
    app.config.update(SIGNING_AGENCY_P12_FILE=str(p12),
                      SIGNING_AGENCY_P12_PASSWORD="mat-khau-co-quan",
                      SIGNING_AGENCY_PKCS11_MODULE="", SIGNING_TSA_URL="")
    yield {"ca": ca, "identities": identities, "agency": agency, "p12": str(p12)}
    app.config.update(saved)
    with app.app_context():
        for row in db.session.scalars(select(TrustAnchor).where(TrustAnchor.id.in_(anchor_ids))):
            row.active = False
        for row in db.session.scalars(select(PersonalCertificate).where(
                PersonalCertificate.id.in_(mapped))):
            row.active = False
        db.session.commit()


AGENCY_SETTINGS = ("SIGNING_AGENCY_P12_FILE", "SIGNING_AGENCY_P12_PASSWORD",
                   "SIGNING_AGENCY_PKCS11_MODULE", "SIGNING_AGENCY_PKCS11_TOKEN",
                   "SIGNING_AGENCY_PKCS11_PIN", "SIGNING_AGENCY_PKCS11_KEY_LABEL",
                   "SIGNING_TSA_URL", "SIGNING_CSC_URL", "SIGNING_CSC_TOKEN",
                   "SIGNING_DEMO_PERSONAL_KEYS")




# ---------------------------------------------------------------- drafts of the tests

def draft_pdf(session) -> bytes:
    """A draft as a drafter converts it to PDF: "Số: /…", the place-and-date line, the
    signature block with the signer's printed name."""
    signer = user(session, SIGNER)
    return make_demo_pdf("QUYẾT ĐỊNH về việc thử ký số", [
        "Số:      /QĐ-SNV", "Hà Nam, ngày      tháng      năm 2026",
        "Điều 1. Văn bản điện tử thử nghiệm.", "GIÁM ĐỐC", signer.full_name],
        font_path=FONT)


def known(session):
    return {
        "type": session.scalar(select(DocumentType.id).where(DocumentType.name == "Công văn")),
        "urgency": session.scalar(select(UrgencyLevel.id).where(UrgencyLevel.priority == 0)),
        "secrecy": session.scalar(select(SecrecyLevel.id).where(SecrecyLevel.level == 0)),
        "cchc": session.scalar(select(Department.id).where(Department.code == "CCHC")),
        "tcbc": session.scalar(select(Department.id).where(Department.code == "TCBC")),
        "field": session.scalar(select(Field.id).where(Field.code == "CCHC")),
        "signer": session.scalar(select(Signer.id).join(Signer.user).where(
            EofficeUser.username == SIGNER)),
        "register": session.scalar(select(Register.id).where(
            Register.direction == "out", Register.year == local_now().year,
            Register.is_secret.is_(False), Register.active.is_(True))),
    }


def draft_for_signer(session, *, as_pdf=True, external=False) -> Draft:
    """Drafted by the officer (a PDF version), submitted, forwarded: waiting for the signer."""
    ids = known(session)
    data = {"document_type_id": ids["type"], "field_id": ids["field"],
            "excerpt": f"V/v thử ký số văn bản điện tử {uuid.uuid4().hex[:6]}",
            "urgency_id": ids["urgency"], "secrecy_id": ids["secrecy"],
            "signer_id": ids["signer"], "drafting_department_id": ids["cchc"],
            "internal_unit_ids": [ids["tcbc"]]}
    if external:  # the province's people's committee, over the exchange (liên thông)
        data["external_agency_ids"] = [session.scalar(select(Agency.id).where(
            Agency.electronic_id == "000.00.00.H30"))]
    upload = (draft_pdf(session), "Dự thảo công văn.pdf") if as_pdf else (
        docx_bytes(), "Dự thảo công văn.docx")
    draft = services.create_draft(session, user(session, "chuyenvien"), data, [upload])
    services.apply(session, user(session, "chuyenvien"), draft, "submit")
    services.apply(session, user(session, "truongphong"), draft, "forward")
    assert draft.state == SIGNER_REVIEW
    return draft




def new_draft_id(app, **options) -> int:
    with app.test_request_context():
        return draft_for_signer(db.session, **options).id


def issue_without_scan(session, draft):
    return services.issue(session, user(session, "vanthu"), draft,
                          register_id=known(session)["register"],
                          issued_date=local_now().date(), place="Hà Nam", scan_uploads=[])


# ---------------------------------------------------------------- checking the issued PDF

@off_the_loop
def validations(data: bytes, *root_ders: bytes):
    """pyHanko's own validator, trusting only the given roots (the tests' CAs), no
    fetching."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    results = []
    for embedded in reader.embedded_signatures:
        context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)
                                                 for der in root_ders],
                                    allow_fetching=False, revocation_mode="soft-fail")
        results.append((embedded.field_name, validate_pdf_signature(embedded, context)))
    return results


def field_values(data: bytes) -> dict:
    fields = PdfReader(io.BytesIO(data)).get_fields() or {}
    return {name: str(f.get("/V", "")) for name, f in fields.items()}


def pdfsig(data: bytes, tmp_path) -> str:
    path = tmp_path / "issued.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                          timeout=60).stdout


def stored(record) -> bytes:
    from app.core.storage import read_file

    return read_file(record)


# ---------------------------------------------------------------- the upload path, end to end

def test_upload_path_signer_signs_clerk_issues_without_a_scan(app, client, login_as, keys,
                                                              tmp_path):
    draft_id = new_draft_id(app, external=True)
    signer_page = login_as(SIGNER).get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert "Tải bản để ký" in signer_page and "Tải lên bản đã ký số" in signer_page
    assert "Chưa ký số" in signer_page

    prepared = client.get(f"/drafts/{draft_id}/to-sign")
    assert prepared.status_code == 200
    assert prepared.mimetype == "application/pdf"
    assert client.get(f"/drafts/{draft_id}/to-sign").data == prepared.data  # deterministic
    signed = token_sign(prepared.data, keys["identities"][SIGNER])
    answer = client.post(f"/drafts/{draft_id}/signed", data=form_of(
        signer_page, file=(io.BytesIO(signed), "ban-da-ky.pdf")),
        content_type="multipart/form-data", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "Đã nhận bản ký số và duyệt dự thảo" in page
    assert "Đã ký số bởi" in page and "phiên bản 1" in page
    assert "Ký số và duyệt" in page  # the history names the step

    with app.app_context():
        draft = db.session.get(Draft, draft_id)
        assert draft.state == APPROVED
        assert (draft.signed_version, draft.signing_method) == (1, "upload")
        assert draft.signed_by.username == SIGNER
        assert stored(draft.signed_file) == signed  # kept as the signer made it
        assert draft.events[-1].action == "sign"

    issue_page = login_as("vanthu").get(f"/drafts/{draft_id}/issue").get_data(as_text=True)
    assert "Văn bản điện tử: người ký đã ký số; văn thư cấp số và ký số của cơ quan khi " \
           "phát hành" in issue_page
    assert "PAdES-B-B (không có dấu thời gian)" in issue_page
    with app.test_request_context():
        draft = db.session.get(Draft, draft_id)
        document = issue_without_scan(db.session, draft)
        document_id, display = document.id, document.number_symbol
        issued_date = document.issued_date

    with app.app_context():
        document = db.session.get(OutgoingDocument, document_id)
        assert document.electronic is True and document.draft.state == ISSUED
        assert document.files[0].role == SIGNED_PDF
        issued = stored(document.file_of(SIGNED_PDF))
        assert issued.startswith(signed)  # the agency adds to what the signer signed
        results = validations(issued, keys["ca"].root_der)
        assert [name for name, _status in results] == [services.SIGNER_FIELD,
                                                       services.AGENCY_FIELD]
        for _name, status in results:
            assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert results[1][1].coverage.name == "ENTIRE_FILE"
        values = field_values(issued)
        # the field sits after the letter's own "Số:": the number and symbol only
        assert values["so_ky_hieu"] == display
        month = f"{issued_date.month:02d}" if issued_date.month < 3 else str(issued_date.month)
        assert values["ngay_ban_hanh"] == (f"Hà Nam, ngày {issued_date.day:02d} tháng {month} "
                                           f"năm {issued_date.year}")
        assert document.file_of(SIGNED_PDF).signature_state in ("valid", "unknown")

    report = pdfsig(issued, tmp_path)
    assert report.count("Signature is Valid.") == 2, report

    # external recipients: the exchange sends the electronic PDF (not a scan, not the draft)
    from app.exchange.services import package_for

    with app.app_context():
        document = db.session.get(OutgoingDocument, document_id)
        agencies = [r.agency for r in document.recipients if r.agency is not None]
        attachments = package_for(document, agencies).attachments
    assert [a.data for a in attachments] == [issued]
    assert attachments[0].description == "Văn bản điện tử có chữ ký số"

    # whoever sees the draft gets the signer's signed PDF
    reader = login_as("truongphong")
    assert "Đã ký số bởi" in reader.get(f"/drafts/{draft_id}").get_data(as_text=True)
    copy = reader.get(f"/drafts/{draft_id}/signed-copy")
    assert copy.status_code == 200 and copy.data == signed

    # internal recipients see it first, with its role; the badge beside it
    page = login_as("truongphong").get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert "Văn bản điện tử" in page
    files = page[page.index("document-files"):]
    assert files.index("Văn bản điện tử có chữ ký số") < files.index("Tệp của người soạn thảo")


# ---------------------------------------------------------------- the remote path

def test_remote_path_with_the_demo_keys(app, client, login_as, api_as, keys):
    """"Ký số và duyệt" with the signer's key on the server (SIGNING_DEMO_PERSONAL_KEYS)."""
    from app.security.signing import personal_signing_available

    draft_id = new_draft_id(app)
    with settings(app, SIGNING_DEMO_PERSONAL_KEYS=True, SIGNING_CSC_URL=""):
        with app.app_context():  # the demo setup gave each leader a key of the demo CA
            assert personal_signing_available(db.session, user(db.session, SIGNER))
        page = login_as(SIGNER).get(f"/drafts/{draft_id}").get_data(as_text=True)
        assert 'action-sign"' in page
        answer = client.post(f"/drafts/{draft_id}/sign", data=form_of(page),
                             follow_redirects=True)
        # the same through the REST API, for another draft
        other_id = new_draft_id(app)
        refused = client.post(f"/api/v1/draft/{other_id}/sign", headers=api_as(SIGNER),
                              json={"method": "token"})
        assert refused.status_code == 400
        through_api = client.post(f"/api/v1/draft/{other_id}/sign", headers=api_as(SIGNER),
                                  json={"method": "remote"})
    assert through_api.status_code == 200, through_api.get_json()
    assert through_api.get_json()["result"]["signed"]["method"] == "demo"
    assert through_api.get_json()["result"]["state"] == APPROVED
    assert "Đã ký số và duyệt dự thảo" in answer.get_data(as_text=True)
    with app.app_context():
        draft = db.session.get(Draft, draft_id)
        assert draft.state == APPROVED and draft.signing_method == "demo"
        data = stored(draft.signed_file)
        from app.core import pades

        assert pades.extends(pades.prepare_for_signing(stored(draft.latest_version.file)), data)


def test_rest_sign_with_the_session_cookie_needs_the_csrf_token(app, client, login_as, keys):
    """The REST channel with the browser's cookie obeys the same rules as with a token, and
    CSRF on top: without the token nothing is signed."""
    draft_id = new_draft_id(app)
    with settings(app, SIGNING_DEMO_PERSONAL_KEYS=True, SIGNING_CSC_URL=""):
        signer = login_as(SIGNER)
        forged = signer.post(f"/api/v1/draft/{draft_id}/sign", json={"method": "remote"})
        assert forged.status_code == 403 and "CSRF" in forged.get_json()["message"]
        with app.app_context():
            assert db.session.get(Draft, draft_id).signed_file_id is None
        other = login_as(OTHER_LEADER)  # not the draft's signer: refused, as with a token
        refused = other.post(f"/api/v1/draft/{draft_id}/sign", json={"method": "remote"},
                             headers={"X-CSRFToken": csrf_token(
                                 other.get("/").get_data(as_text=True))})
        assert refused.status_code == 422
        signer = login_as(SIGNER)
        token = csrf_token(signer.get("/").get_data(as_text=True))
        signed = signer.post(f"/api/v1/draft/{draft_id}/sign", json={"method": "remote"},
                             headers={"X-CSRFToken": token})
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["result"]["state"] == APPROVED


def test_no_remote_choice_without_a_remote_key(app, client, login_as, keys):
    draft_id = new_draft_id(app)
    with settings(app, SIGNING_DEMO_PERSONAL_KEYS=False, SIGNING_CSC_URL=""):
        page = login_as(SIGNER).get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert 'action-sign"' not in page
    assert "Tải lên bản đã ký số" in page


# ---------------------------------------------------------------- refusals

def prepared_of(app, draft_id) -> bytes:
    with app.test_request_context():
        draft = db.session.get(Draft, draft_id)
        data, _name = services.prepared_for_signing(db.session, user(db.session, SIGNER), draft)
        return data


def upload_as_signer(app, draft_id, data, filename="ban-da-ky.pdf"):
    """accept_signed as the signer; the FormErrors' messages, or None when accepted."""
    with app.test_request_context():
        draft = db.session.get(Draft, draft_id)
        try:
            services.accept_signed(db.session, user(db.session, SIGNER), draft,
                                   (data, filename))
        except FormErrors as error:
            db.session.rollback()
            return [str(m) for messages in error.errors.values() for m in messages]
    return None


def state_of(app, draft_id):
    with app.app_context():
        draft = db.session.get(Draft, draft_id)
        return draft.state, draft.signed_file_id


def test_someone_elses_certificate_is_refused_naming_whose(app, keys):
    draft_id = new_draft_id(app)
    signed = token_sign(prepared_of(app, draft_id), keys["identities"][OTHER_LEADER])
    messages = upload_as_signer(app, draft_id, signed)
    with app.app_context():
        other = user(db.session, OTHER_LEADER).full_name
    assert messages and f"là của {other}, không phải của bạn" in messages[0]
    assert state_of(app, draft_id) == (SIGNER_REVIEW, None)


def test_unknown_certificate_is_proposed_and_refused(app, keys):
    draft_id = new_draft_id(app)
    stranger = keys["ca"].issue(f"Chứng thư lạ {uuid.uuid4().hex[:4]}")
    signed = token_sign(prepared_of(app, draft_id), stranger)
    messages = upload_as_signer(app, draft_id, signed)
    assert messages and "chưa được gắn với tài khoản của bạn; đã gửi quản trị mạng xác nhận" \
        in messages[0]
    assert state_of(app, draft_id) == (SIGNER_REVIEW, None)
    from app.security.certificate_admin import fingerprint

    with app.app_context():
        proposal = db.session.scalar(select(PersonalCertificate).where(
            PersonalCertificate.sha256 == fingerprint(stranger.cert_der)))
        assert proposal is not None and not proposal.confirmed
        assert proposal.user.username == SIGNER


def test_an_altered_or_resaved_file_is_refused(app, keys):
    draft_id = new_draft_id(app)
    prepared = prepared_of(app, draft_id)
    identity = keys["identities"][SIGNER]
    # re-saved by another program: the same pages, written anew (not an incremental update)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(token_sign(prepared, identity))))
    resaved = io.BytesIO()
    writer.write(resaved)
    # another content signed: the draft's first version as it was, without the prepared fields
    with app.app_context():
        original = stored(db.session.get(Draft, draft_id).latest_version.file)
    for data in (resaved.getvalue(), token_sign(original, identity)):
        messages = upload_as_signer(app, draft_id, data)
        assert messages == ["Tệp tải lên không phải bản dự thảo đã duyệt (nội dung khác với "
                            "bản để ký)."]
    assert state_of(app, draft_id) == (SIGNER_REVIEW, None)


def test_an_expired_certificate_is_refused(app, keys):
    draft_id = new_draft_id(app)
    with app.app_context():
        signer = user(db.session, SIGNER)
        expired = keys["ca"].expired(signer.full_name, organisation="Sở Nội vụ")
        from app.security.certificate_admin import _facts, _personal_row

        # mapped (confirmed) to the signer: the only thing wrong is the date
        row = _personal_row(expired.cert, signer, signer, confirmed=True)
        db.session.add(row)
        db.session.commit()
        assert row.sha256 == _facts(expired.cert)["sha256"]
    messages = upload_as_signer(app, draft_id, token_sign(prepared_of(app, draft_id), expired))
    assert messages and "đã hết hạn" in messages[0]
    assert state_of(app, draft_id) == (SIGNER_REVIEW, None)


def test_an_office_file_must_be_converted_to_pdf_first(app, client, login_as, keys):
    with app.test_request_context():
        draft_id = draft_for_signer(db.session, as_pdf=False).id
    page = login_as(SIGNER).get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert "chuyển dự thảo sang PDF" in page
    answer = client.get(f"/drafts/{draft_id}/to-sign", follow_redirects=True)
    assert "chuyển dự thảo sang PDF" in answer.get_data(as_text=True)
    assert state_of(app, draft_id) == (SIGNER_REVIEW, None)


def test_a_new_version_after_signing_clears_the_signature(app, client, login_as, keys):
    draft_id = new_draft_id(app)
    assert upload_as_signer(app, draft_id, token_sign(prepared_of(app, draft_id),
                                                      keys["identities"][SIGNER])) is None
    with app.test_request_context():
        draft = db.session.get(Draft, draft_id)
        assert services.is_signed(draft)
        # the office finds a mistake of form and returns it; the drafter uploads version 2
        services.act(db.session, user(db.session, "lanhdaovp"), draft, "office_return",
                     "Sai thể thức phần nơi nhận.")
        assert draft.state == DRAFTING
        services.upload_version(db.session, user(db.session, "chuyenvien"), draft,
                                [(draft_pdf(db.session), "Dự thảo sửa.pdf")])
    with app.app_context():
        draft = db.session.get(Draft, draft_id)
        assert (draft.signed_file_id, draft.signed_version, draft.signed_at) == (None,) * 3
        assert not services.is_signed(draft)
    page = login_as("chuyenvien").get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert "Chưa ký số" in page and "Đã ký số bởi" not in page


def test_issuing_without_an_agency_key_takes_no_number(app, keys, tmp_path):
    draft_id = new_draft_id(app)
    assert upload_as_signer(app, draft_id, token_sign(prepared_of(app, draft_id),
                                                      keys["identities"][SIGNER])) is None
    # no key configured, and no demo key either (the demo's are under INSTANCE_DIR)
    with settings(app, SIGNING_AGENCY_P12_FILE="", SIGNING_AGENCY_PKCS11_MODULE="",
                  INSTANCE_DIR=str(tmp_path)), app.test_request_context():
        register = known(db.session)["register"]
        before = services.next_outgoing_number(db.session, register)
        with pytest.raises(FormErrors) as error:
            issue_without_scan(db.session, db.session.get(Draft, draft_id))
        db.session.rollback()
        assert "Chưa cấu hình khóa ký số của cơ quan" in str(error.value.errors["state"][-1])
        assert services.next_outgoing_number(db.session, register) == before
        assert db.session.get(Draft, draft_id).state == APPROVED
    # the key is there again: issued, with the next number (no gap in the register)
    with app.test_request_context():
        document = issue_without_scan(db.session, db.session.get(Draft, draft_id))
        assert document.number == before and document.electronic


def test_only_the_drafts_signer_signs(app, client, login_as, keys):
    draft_id = new_draft_id(app)
    other = login_as(OTHER_LEADER)
    page = other.get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert "Tải lên bản đã ký số" not in page
    refused_approve = other.post(f"/drafts/{draft_id}/do/approve", data=form_of(page))
    refused_sign = other.post(f"/drafts/{draft_id}/sign", data=form_of(page))
    refused_upload = other.post(f"/drafts/{draft_id}/signed", data=form_of(
        page, file=(io.BytesIO(b"%PDF-1.7"), "x.pdf")), content_type="multipart/form-data")
    assert refused_sign.status_code == refused_approve.status_code == 302
    assert refused_upload.status_code == 302
    message = "Bạn không thể thực hiện thao tác này với dự thảo ở bước hiện tại."
    assert message in other.get(f"/drafts/{draft_id}").get_data(as_text=True)
    refused_prepare = other.get(f"/drafts/{draft_id}/to-sign")
    assert refused_prepare.status_code == 302 and refused_prepare.mimetype != "application/pdf"
    assert state_of(app, draft_id) == (SIGNER_REVIEW, None)


# ---------------------------------------------------------------- REST

def test_rest_sign_by_upload_and_issue_without_a_scan(app, client, api_as, keys):
    draft_id = new_draft_id(app)
    signer, clerk, other = api_as(SIGNER), api_as("vanthu"), api_as(OTHER_LEADER)
    refused = client.get(f"/api/v1/draft/{draft_id}/to-sign", headers=other)
    assert refused.status_code == 422
    prepared = client.get(f"/api/v1/draft/{draft_id}/to-sign", headers=signer)
    assert prepared.status_code == 200 and prepared.data.startswith(b"%PDF")
    forged = token_sign(prepared.data, keys["identities"][OTHER_LEADER])
    answer = client.post(f"/api/v1/draft/{draft_id}/signed", headers=signer,
                         data={"file": (io.BytesIO(forged), "ky.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 422
    assert "không phải của bạn" in answer.get_json()["message"]["file"][0]
    signed = token_sign(prepared.data, keys["identities"][SIGNER])
    answer = client.post(f"/api/v1/draft/{draft_id}/signed", headers=signer,
                         data={"file": (io.BytesIO(signed), "ky.pdf")},
                         content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_json()
    result = answer.get_json()["result"]
    assert result["state"] == APPROVED
    assert result["signed"]["version"] == 1 and result["signed"]["method"] == "upload"
    assert result["signed"]["current"] is True
    shown = client.get(f"/api/v1/draft/{draft_id}", headers=clerk).get_json()["result"]
    assert shown["signed"]["file"]["sha256"] == result["signed"]["file"]["sha256"]

    answer = client.post(f"/api/v1/draft/{draft_id}/issue", headers=clerk, data={
        "register_id": str(known_register(app)), "place": "Hà Nam",
        "issued_date": local_now().date().strftime("%d/%m/%Y")},
        content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    document = answer.get_json()["result"]
    assert document["electronic"] is True
    assert document["files"][0]["role"] == SIGNED_PDF
    download = client.get(f"/api/v1/outgoing/{document['id']}/files/"
                          f"{document['files'][0]['id']}", headers=clerk)
    results = validations(download.data, keys["ca"].root_der)
    assert len(results) == 2 and all(s.intact and s.valid for _n, s in results)


def test_rest_remote_sign_refused_for_another_person(app, client, api_as, keys):
    draft_id = new_draft_id(app)
    answer = client.post(f"/api/v1/draft/{draft_id}/sign", headers=api_as(OTHER_LEADER),
                         json={"method": "remote"})
    assert answer.status_code == 422
    assert answer.get_json()["message"] == ("Bạn không thể thực hiện thao tác này với dự thảo "
                                            "ở bước hiện tại.")
    assert state_of(app, draft_id) == (SIGNER_REVIEW, None)


def known_register(app):
    with app.app_context():
        return known(db.session)["register"]


# ---------------------------------------------------------------- through CSC and SoftHSM2

def pem(der: bytes) -> bytes:
    from cryptography import x509

    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


@needs_softhsm
def test_csc_signer_and_softhsm_agency(app, client, login_as, keys, tmp_path):
    """The issue's whole path: a draft approved and signed through the CSC remote service,
    another through upload; both numbered and agency-signed with the key on a SoftHSM2
    token; each issued PDF verifies with pyHanko's validator and with pdfsig as two
    signatures, both intact."""
    from app.security.certificate_admin import add_personal_certificate, add_trust_anchors

    with app.app_context():
        signer_name = user(db.session, SIGNER).full_name
    with csc_service(tmp_path / "csc", {SIGNER: signer_name}) as service:
        with app.app_context():
            admin = user(db.session, "quantri")
            anchor_ids = [a.id for a in add_trust_anchors(
                db.session, admin, pem(service.root_der) + pem(service.intermediate_der))]
            remote_id = add_personal_certificate(
                db.session, admin, user(db.session, SIGNER), service.cert_der(SIGNER),
                csc_credential_id=service.credential_id(SIGNER)).id
        agency = keys["ca"].issue(app.config["AGENCY_NAME"],
                                  organisation=app.config["AGENCY_NAME"])
        token = make_token(tmp_path / "token", agency)
        try:
            with configured_token(app, token), settings(
                    app, SIGNING_CSC_URL=service.url, SIGNING_CSC_TOKEN="thu-nghiem",
                    SIGNING_DEMO_PERSONAL_KEYS=False):
                remote_id_draft, upload_id_draft = new_draft_id(app), new_draft_id(app)
                page = login_as(SIGNER).get(f"/drafts/{remote_id_draft}").get_data(
                    as_text=True)
                assert 'action-sign"' in page  # the remote choice: the signer has a credential
                answer = client.post(f"/drafts/{remote_id_draft}/sign", data=form_of(page),
                                     follow_redirects=True)
                assert "Đã ký số và duyệt dự thảo" in answer.get_data(as_text=True)
                assert upload_as_signer(app, upload_id_draft, token_sign(
                    prepared_of(app, upload_id_draft), keys["identities"][SIGNER])) is None
                with app.app_context():
                    methods = [db.session.get(Draft, i).signing_method
                               for i in (remote_id_draft, upload_id_draft)]
                assert methods == ["csc", "upload"]

                clerk = login_as("vanthu")
                issued = []
                for draft_id in (remote_id_draft, upload_id_draft):
                    form = clerk.get(f"/drafts/{draft_id}/issue").get_data(as_text=True)
                    answer = clerk.post(f"/drafts/{draft_id}/issue", data=form_of(
                        form, register_id=str(known_register(app)), place="Hà Nam",
                        issued_date=local_now().date().strftime("%d/%m/%Y")))
                    assert answer.status_code == 302, answer.get_data(as_text=True)
                    with app.app_context():
                        document = db.session.get(Draft, draft_id).outgoing
                        assert document.electronic
                        issued.append(stored(document.file_of(SIGNED_PDF)))
        finally:
            with app.app_context():
                for row in db.session.scalars(select(TrustAnchor).where(
                        TrustAnchor.id.in_(anchor_ids))):
                    row.active = False
                db.session.get(PersonalCertificate, remote_id).active = False
                db.session.commit()
    roots = [service.root_der, keys["ca"].root_der]
    for data in issued:
        results = validations(data, *roots)
        assert [name for name, _s in results] == [services.SIGNER_FIELD, services.AGENCY_FIELD]
        for _name, status in results:
            assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        report = pdfsig(data, tmp_path)
        assert report.count("Signature is Valid.") == 2, report
