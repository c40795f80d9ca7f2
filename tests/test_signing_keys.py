"""Where the signing keys live (app.security.signing): the agency's key on a PKCS#11 token
(SoftHSM2) or in a PKCS#12 file, each signer's key at a remote signing service (CSC API,
certomancer-csc-dummy) or, in the demo, a key of the demo CA; the trust anchors signatures are
checked against; the demo's keys. Each signature made here is checked with pyHanko's own
validator against the CA the key belongs to."""
import hashlib
import io
import time
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import delete, func, select

from app.audit.models import AuditEvent
from app.core.models import DocumentFile
from app.security import demo_signing, signing
from app.security import roles as r
from app.security.certificates import PersonalCertificate, TrustAnchor
from app.security.signing import SigningUnavailable
from app.security.testing_ca import TESTING_MARK, TestingCA
from tests.conftest import DEMO_PASSWORD, off_the_loop, own_sqlite, pdf, user
from tests.conftest import app_settings as config
from tests.csc_server import csc_service
from tests.softhsm import PIN, configured_token, make_token, needs_softhsm

LEADERS = ["lanhdao", "lanhdaovp", "pgd.nga", "pgd.thanh", "truongphong"]
LEADER_ROLES = {r.AGENCY_LEADER, r.OFFICE_LEADER, r.UNIT_LEADER}


@off_the_loop
def sign_with(signer, data: bytes) -> bytes:
    """pyHanko's own signing (the PDF layout is app.core.pades' business, not this file's)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    return signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="KyThu"),
                            signer=signer).getvalue()


@off_the_loop
def check(signed: bytes, root_der: bytes):
    """(pyHanko's bottom line against `root_der`, the signer certificate's DER)."""
    reader = PdfFileReader(io.BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    status = validate_pdf_signature(embedded, ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(root_der)]))
    return status.bottom_line, status.signing_cert.dump()




NO_AGENCY_KEY = dict(SIGNING_AGENCY_PKCS11_MODULE="", SIGNING_AGENCY_P12_FILE="")


# ---------------------------------------------------------------- the agency's key: PKCS#11

@pytest.fixture(scope="module")
def agency_ca():
    ca = TestingCA.make()
    return ca, ca.issue("Sở Nội vụ tỉnh Hà Nam", organisation="Sở Nội vụ tỉnh Hà Nam")


@pytest.fixture(scope="module")
def token(agency_ca, tmp_path_factory):
    if not demo_signing.softhsm_available():
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    return make_token(tmp_path_factory.mktemp("token"), agency_ca[1])


@needs_softhsm
def test_the_agency_key_on_a_softhsm_token_signs_a_pdf_that_pyhanko_validates(app, token,
                                                                              agency_ca):
    ca, identity = agency_ca
    with app.app_context(), configured_token(app, token):
        assert signing.agency_key_kind() == "pkcs11"
        with signing.agency_signer() as signer:
            signed = sign_with(signer, pdf("Quyết định thử nghiệm"))
    valid, signer_der = check(signed, ca.root_der)
    assert valid
    assert signer_der == identity.cert_der  # the token's certificate
    other_ca = TestingCA.make()
    assert not check(signed, other_ca.root_der)[0]  # the check can fail


@needs_softhsm
@pytest.mark.parametrize(("override", "expected"), [
    ({"SIGNING_AGENCY_PKCS11_PIN": "999999"}, "Mã PIN của thiết bị ký số của cơ quan không đúng"),
    ({"SIGNING_AGENCY_PKCS11_TOKEN": "khong-co"},
     "Không tìm thấy thiết bị ký số «khong-co» của cơ quan"),
    ({"SIGNING_AGENCY_PKCS11_KEY_LABEL": "khoa-khac"},
     "Không tìm thấy khóa «khoa-khac» và chứng thư số cùng tên"),
    ({"SIGNING_AGENCY_PKCS11_MODULE": "/usr/lib/khong-co/libpkcs11.so"},
     "Không tìm thấy thư viện PKCS#11"),
])
def test_an_unusable_token_is_refused_with_the_reason_in_vietnamese(app, token, override,
                                                                      expected):
    with app.app_context(), configured_token(app, token, **override):
        with pytest.raises(SigningUnavailable) as refused:
            with signing.agency_signer():
                pass
    assert expected in str(refused.value)
    assert PIN not in str(refused.value) and "999999" not in str(refused.value)


@needs_softhsm
def test_the_token_works_again_after_a_wrong_pin(app, token, agency_ca):
    """A refused PIN leaves no session logged in: the right one still signs."""
    with app.app_context():
        with configured_token(app, token, SIGNING_AGENCY_PKCS11_PIN="111111"):
            with pytest.raises(SigningUnavailable):
                with signing.agency_signer():
                    pass
        with configured_token(app, token):
            with signing.agency_signer() as signer:
                signed = sign_with(signer, pdf())
    assert check(signed, agency_ca[0].root_der) == (True, agency_ca[1].cert_der)


# ---------------------------------------------------------------- the agency's key: PKCS#12

@pytest.mark.parametrize("password", ["", "mat-khau-p12"])
def test_the_agency_key_in_a_pkcs12_file_signs(app, tmp_path, agency_ca, password):
    ca, identity = agency_ca
    path = tmp_path / "co-quan.p12"
    path.write_bytes(identity.p12(password.encode() or None))
    with app.app_context(), config(app, SIGNING_AGENCY_PKCS11_MODULE="",
                                   SIGNING_AGENCY_P12_FILE=str(path),
                                   SIGNING_AGENCY_P12_PASSWORD=password):
        assert signing.agency_key_kind() == "pkcs12"
        with signing.agency_signer() as signer:
            signed = sign_with(signer, pdf())
    assert check(signed, ca.root_der) == (True, identity.cert_der)


def test_a_pkcs12_file_with_a_wrong_password_or_missing_is_refused(app, tmp_path, agency_ca):
    path = tmp_path / "co-quan.p12"
    path.write_bytes(agency_ca[1].p12(b"dung"))
    with app.app_context():
        with config(app, SIGNING_AGENCY_PKCS11_MODULE="", SIGNING_AGENCY_P12_FILE=str(path),
                    SIGNING_AGENCY_P12_PASSWORD="sai"):
            with pytest.raises(SigningUnavailable, match="sai mật khẩu"):
                with signing.agency_signer():
                    pass
        with config(app, SIGNING_AGENCY_PKCS11_MODULE="",
                    SIGNING_AGENCY_P12_FILE=str(tmp_path / "khong-co.p12")):
            with pytest.raises(SigningUnavailable, match="Không đọc được tệp khóa ký số"):
                with signing.agency_signer():
                    pass


def test_no_agency_key_at_all_is_said_so(app, tmp_path):
    with app.app_context(), config(app, INSTANCE_DIR=str(tmp_path), **NO_AGENCY_KEY):
        assert signing.agency_key_kind() is None
        with pytest.raises(SigningUnavailable, match="Chưa cấu hình khóa ký số của cơ quan"):
            with signing.agency_signer():
                pass


# ---------------------------------------------------------------- each signer's key: CSC

@pytest.fixture
def csc(app, db_session, tmp_path):
    """A running CSC service with a credential for lanhdao, recorded as lanhdao's confirmed
    certificate; removed afterwards."""
    director = user(db_session, "lanhdao")
    with csc_service(tmp_path / "csc", {"lanhdao": director.full_name}) as service:
        facts = signing.certificate_facts(service.cert_der("lanhdao"))
        row = PersonalCertificate(user_id=director.id, subject=facts["subject"],
                                  common_name=facts["common_name"], issuer=facts["issuer"],
                                  serial=facts["serial"], sha256=facts["sha256"],
                                  der=facts["der"], not_before=facts["not_before"],
                                  not_after=facts["not_after"], confirmed=True, active=True,
                                  csc_credential_id=service.credential_id("lanhdao"))
        db_session.add(row)
        db_session.commit()
        try:
            with config(app, SIGNING_CSC_URL=service.url, SIGNING_CSC_TOKEN="ma-truy-cap",
                        SIGNING_CSC_TIMEOUT=5, SIGNING_DEMO_PERSONAL_KEYS=False):
                yield service, row
        finally:
            db_session.rollback()
            db_session.execute(delete(PersonalCertificate).where(
                PersonalCertificate.id == row.id))
            db_session.commit()


def test_a_signer_signs_through_the_remote_signing_service(app, db_session, csc):
    service, row = csc
    director = user(db_session, "lanhdao")
    with app.app_context():
        assert signing.personal_signing_available(db_session, director)
        with signing.personal_signer(db_session, director) as signer:
            signed = sign_with(signer, pdf("Tờ trình thử nghiệm"))
    valid, signer_der = check(signed, service.root_der)
    assert valid
    assert signer_der == service.cert_der("lanhdao") == bytes(row.der)
    assert signing.person_of_certificate(db_session, signer_der).user_id == director.id


def test_the_remote_service_stopped_is_refused_quickly(app, db_session, csc):
    service, _row = csc
    director = user(db_session, "lanhdao")
    with app.app_context():
        with pytest.raises(SigningUnavailable, match="Không kết nối được dịch vụ ký số từ xa"):
            with signing.personal_signer(db_session, director) as signer:
                service.stop()  # between opening the signer and signing
                started = time.monotonic()
                sign_with(signer, pdf())
        with pytest.raises(SigningUnavailable, match="Không kết nối được dịch vụ ký số từ xa"):
            with signing.personal_signer(db_session, director):
                pass
    assert time.monotonic() - started < 15


def test_a_credential_the_service_does_not_know_is_refused(app, db_session, csc):
    _service, row = csc
    row.csc_credential_id = "eoffice/khong-co"
    db_session.commit()
    with app.app_context():
        with pytest.raises(SigningUnavailable, match="không nhận chứng thư «eoffice/khong-co»"):
            with signing.personal_signer(db_session, user(db_session, "lanhdao")):
                pass


def test_a_credential_whose_certificate_is_not_the_confirmed_one_is_refused(app, db_session,
                                                                            csc):
    _service, row = csc
    row.sha256 = "0" * 64  # the confirmed certificate is another one
    db_session.commit()
    with app.app_context():
        with pytest.raises(SigningUnavailable, match="không khớp chứng thư đã xác nhận"):
            with signing.personal_signer(db_session, user(db_session, "lanhdao")):
                pass


def test_without_a_confirmed_remote_certificate_nobody_signs(app, db_session, csc):
    _service, row = csc
    row.confirmed = False
    db_session.commit()
    director = user(db_session, "lanhdao")
    with app.app_context():
        assert not signing.personal_signing_available(db_session, director)
        with pytest.raises(SigningUnavailable, match="chưa có chứng thư số ký từ xa"):
            with signing.personal_signer(db_session, director):
                pass


# ---------------------------------------------------------------- the demo's keys

def test_the_demo_leaders_sign_with_the_demo_keys_only_when_enabled(app, db_session):
    director, officer = user(db_session, "pgd.nga"), user(db_session, "chuyenvien")
    with app.app_context():
        roots = signing.trust_material(db_session)["trust_roots"]
        with config(app, SIGNING_DEMO_PERSONAL_KEYS=False, SIGNING_CSC_URL=""):
            assert not signing.personal_signing_available(db_session, director)
            with pytest.raises(SigningUnavailable):
                with signing.personal_signer(db_session, director):
                    pass
        with config(app, SIGNING_DEMO_PERSONAL_KEYS=True, SIGNING_CSC_URL=""):
            assert signing.personal_signing_available(db_session, director)
            assert not signing.personal_signing_available(db_session, officer)
            with signing.personal_signer(db_session, director) as signer:
                signed = sign_with(signer, pdf())
    demo_root = TestingCA.load(demo_signing.demo_directory(app)).root_der
    assert demo_root in roots
    valid, signer_der = check(signed, demo_root)
    assert valid
    assert signing.person_of_certificate(db_session, signer_der).user_id == director.id


def issued_by(der: bytes, issuer) -> bool:
    from cryptography import x509

    try:
        x509.load_der_x509_certificate(der).verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def test_the_demo_made_anchors_an_agency_key_and_a_key_per_leader(app, db_session):
    demo_ca = TestingCA.load(demo_signing.demo_directory(app))  # other tests add CAs of their own
    demo = {hashlib.sha256(der).hexdigest() for der in (demo_ca.root_der, demo_ca.intermediate_der)}
    anchors = db_session.scalars(select(TrustAnchor).where(TrustAnchor.sha256.in_(demo))).all()
    assert sorted(a.is_root for a in anchors) == [False, True]
    assert all(TESTING_MARK in a.name for a in anchors)
    for username in LEADERS:
        person = user(db_session, username)
        rows = db_session.scalars(select(PersonalCertificate).where(
            PersonalCertificate.user_id == person.id, PersonalCertificate.confirmed.is_(True)))
        # the demo's: issued by the demo CA (other tests map certificates of their own CAs)
        demo_rows = [r for r in rows if issued_by(r.der, demo_ca.intermediate.cert)]
        assert [r.common_name for r in demo_rows] == [person.full_name], username
        assert (demo_signing.demo_directory(app) / "people" / f"{username}.p12").is_file()
    assert not (demo_signing.demo_directory(app) / "people" / "chuyenvien.p12").exists()
    with app.app_context(), config(app, **NO_AGENCY_KEY):
        expected = "pkcs11" if demo_signing.softhsm_available() else "pkcs12"
        assert (demo_signing.demo_token() is not None) == (expected == "pkcs11")
        assert signing.agency_key_kind() == "demo"
        with signing.agency_signer() as signer:
            signed = sign_with(signer, pdf())
            agency_name = app.config["AGENCY_NAME"]
            assert signer.signing_cert.subject.native["common_name"] == agency_name
    demo_root = TestingCA.load(demo_signing.demo_directory(app)).root_der
    assert check(signed, demo_root)[0]


def _demo_counts(session):
    return (session.scalar(select(func.count(TrustAnchor.id))),
            session.scalar(select(func.count(PersonalCertificate.id))))


def test_the_demo_run_again_makes_no_duplicates(app, db_session):
    directory = demo_signing.demo_directory(app)
    files = {p: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
             and "tokens" not in p.parts}
    before = _demo_counts(db_session)
    with app.app_context():
        demo_signing.create_signing_demo(app)
    db_session.rollback()
    assert _demo_counts(db_session) == before
    assert {p: p.read_bytes() for p in files} == files  # no key made again


@own_sqlite
def test_the_demo_without_softhsm_keeps_the_agency_key_in_a_pkcs12_file(tmp_path, monkeypatch):
    """A machine without SoftHSM2: the agency's key is a PKCS#12 file; run twice, nothing is
    made twice."""
    from app import create_app
    from app.demo import PEOPLE, create_accounts_demo
    from app.extensions import db

    monkeypatch.setattr(demo_signing, "softhsm_available", lambda: False)
    fresh = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'eoffice.db'}",
        "SECRET_KEY": "signing-demo-secret-key-0123456789abcdef0123456789",
        "INSTANCE_DIR": str(tmp_path), "DATA_DIR": str(tmp_path / "data"),
        "DEMO_PASSWORD": DEMO_PASSWORD, "TESTING": True, "RATELIMIT_ENABLED": False,
        **NO_AGENCY_KEY})
    assert fresh.test_cli_runner().invoke(args=["eoffice", "setup"]).exit_code == 0
    with fresh.app_context():
        create_accounts_demo(fresh)
        demo_signing.create_signing_demo(fresh)
        first = _demo_counts(db.session)
        p12 = (tmp_path / "demo-ca" / "agency.p12").read_bytes()
        demo_signing.create_signing_demo(fresh)
        leaders = sum(1 for person in PEOPLE if person[3] in LEADER_ROLES)
        assert _demo_counts(db.session) == first == (2, leaders)
        assert (tmp_path / "demo-ca" / "agency.p12").read_bytes() == p12
        assert not (tmp_path / "demo-ca" / "softhsm").exists()
        assert signing.agency_key_kind() == "demo"
        with signing.agency_signer() as signer:
            signed = sign_with(signer, pdf())
        db.engine.dispose()
    assert check(signed, TestingCA.load(tmp_path / "demo-ca").root_der)[0]


# ---------------------------------------------------------------- trust anchors, checking

def _anchor(cert_der, *, is_root, active):
    facts = signing.certificate_facts(cert_der)
    return TrustAnchor(name=facts["common_name"], subject=facts["subject"],
                       issuer=facts["issuer"], sha256=facts["sha256"], der=facts["der"],
                       is_root=is_root, not_before=facts["not_before"],
                       not_after=facts["not_after"], active=active)


def test_trust_material_is_the_active_anchors_only(app, db_session):
    kept, dropped = TestingCA.make(), TestingCA.make()
    db_session.add_all([_anchor(kept.root_der, is_root=True, active=True),
                        _anchor(kept.intermediate_der, is_root=False, active=True),
                        _anchor(dropped.root_der, is_root=True, active=False),
                        _anchor(dropped.intermediate_der, is_root=False, active=False)])
    db_session.flush()
    material = signing.trust_material(db_session)
    assert kept.root_der in material["trust_roots"]
    assert kept.intermediate_der in material["other_certs"]
    assert kept.intermediate_der not in material["trust_roots"]
    assert dropped.root_der not in material["trust_roots"]
    assert dropped.intermediate_der not in material["other_certs"]
    db_session.rollback()


def _file(name, content_type="application/pdf"):
    import uuid

    return DocumentFile(storage_name=f"ky-so-{uuid.uuid4().hex}", original_name=name,
                        size=1, sha256="0" * 64, content_type=content_type)


def test_verify_file_keeps_the_state_and_report_on_the_file(app, db_session):
    from app.core import pades
    from app.core.storage import stored_path

    with app.app_context(), config(app, **NO_AGENCY_KEY, SIGNING_FETCH_TIMEOUT=0):
        with signing.agency_signer() as signer:
            signed = sign_with(signer, pdf("Công văn thử nghiệm"))
            agency_sha = hashlib.sha256(signer.signing_cert.dump()).hexdigest()
        good, broken, picture = (_file("ky.pdf"), _file("hong.pdf"),
                                 _file("anh.png", "image/png"))
        db_session.add_all([good, broken, picture])
        db_session.flush()
        path = stored_path(good)  # read from the store when no bytes are given
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(signed)
        try:
            report = signing.verify_file(db_session, good)
            assert signing.verify_file(db_session, broken, b"%PDF-1.7\nkhong phai PDF") \
                is not None
            assert signing.verify_file(db_session, picture, b"\x89PNG") is None
        finally:
            Path(path).unlink()
    assert report.state == good.signature_state
    assert good.signature_checked_at is not None
    stored = pades.Report.from_json(good.signature_report)
    assert [s.certificate_sha256 for s in stored.signatures] == [agency_sha]
    assert stored.signatures[0].intact
    # The demo CA is a trust anchor and its certificates name no CRL: nothing to fetch.
    assert good.signature_state == "valid"
    assert broken.signature_state == "invalid"
    assert pades.Report.from_json(broken.signature_report).reasons()
    assert picture.signature_state is None and picture.signature_checked_at is None
    db_session.rollback()


def test_a_signature_is_recorded_in_the_audit_trail(app, db_session, agency_ca):
    with app.app_context():
        signing.record_signing(db_session, signing.AGENCY_SIGNED, object_type="document_file",
                               object_id=987654, what="Văn bản số 12/QĐ-SNV",
                               certificate_der=agency_ca[1].cert_der, file_name="qd-12.pdf")
        db_session.flush()
        line = db_session.scalar(select(AuditEvent).where(
            AuditEvent.action == signing.AGENCY_SIGNED, AuditEvent.object_id == "987654"))
    assert line.summary == "Văn bản số 12/QĐ-SNV"
    assert "Sở Nội vụ tỉnh Hà Nam" in line.changes and "qd-12.pdf" in line.changes
    db_session.rollback()
