"""PAdES core (app/core/pades.py): verifying, preparing, signing and checking uploads, with
the testing CA. No application, no network (an unreachable local port stands for a CRL
server that does not answer)."""
import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.timestamps import DummyTimeStamper
from pypdf import PdfReader, PdfWriter

from app.core import pades
from app.core.errors import DomainError
from app.core.pdf import make_demo_pdf
from app.security.testing_ca import TestingCA

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
NOW = dt.datetime.now(dt.UTC)


def simple_signer(identity):
    return signers.SimpleSigner.load_pkcs12_data(identity.p12(), other_certs=[],
                                                 passphrase=None)


def signer_appearance(name="Nguyễn Văn A"):
    return pades.Appearance([name, "Giám đốc", "Ngày ký: 03/12/2026 10:15"])


def agency_appearance(name="Sở Nội vụ tỉnh Hà Nam"):
    return pades.Appearance([name, "Thời gian ký: 03.12.2026 14:02:00 +07:00"], kind="agency")


@pytest.fixture(scope="module")
def ca():
    return TestingCA.make()


@pytest.fixture(scope="module")
def person(ca):
    return ca.issue("Nguyễn Văn A", organisation="Sở Nội vụ tỉnh Hà Nam")


@pytest.fixture(scope="module")
def agency(ca):
    return ca.issue("Sở Nội vụ tỉnh Hà Nam", organisation="Sở Nội vụ tỉnh Hà Nam")


@pytest.fixture(scope="module")
def draft():
    return make_demo_pdf("Quyết định về việc thử ký số", [f"Điều {i}. Nội dung thử nghiệm."
                                                       for i in range(1, 12)],
                         font_path=FONT, pages=3)


@pytest.fixture(scope="module")
def prepared(draft):
    return pades.prepare_for_signing(draft)


@pytest.fixture(scope="module")
def signed_once(prepared, person):
    return pades.sign(prepared, simple_signer(person), field_name="nguoi_ky",
                      appearance=signer_appearance())


@pytest.fixture(scope="module")
def signed_twice(signed_once, agency):
    return pades.sign(signed_once, simple_signer(agency), field_name="co_quan",
                      appearance=agency_appearance(),
                      fill={pades.NUMBER_FIELD: "12/QĐ-SNV",
                            pades.DATE_FIELD: "03 tháng 12 năm 2026"})


def add_page_update(data: bytes) -> bytes:
    """An incremental update that adds a page with some text (not an allowed change)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    content = writer.add_object(generic.StreamObject(
        stream_data=b"BT /F1 24 Tf 72 700 Td (Trang them) Tj ET"))
    font = writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Font"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
        generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica")}))
    page = generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Page"),
        generic.pdf_name("/MediaBox"): generic.ArrayObject(
            [generic.NumberObject(0), generic.NumberObject(0), generic.NumberObject(595),
             generic.NumberObject(842)]),
        generic.pdf_name("/Contents"): content,
        generic.pdf_name("/Resources"): generic.DictionaryObject({
            generic.pdf_name("/Font"): generic.DictionaryObject(
                {generic.pdf_name("/F1"): font})}),
    })
    writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def codes(check):
    return [reason["code"] for reason in check.reasons]


# ---------------------------------------------------------------- verification

def test_signed_pdf_is_valid_and_names_the_signer(ca, signed_once):
    report = pades.verify_pdf(signed_once, [ca.root_der])
    assert report.state == pades.VALID
    assert report.state_label == "Hợp lệ"
    (check,) = report.signatures
    assert check.field == "nguoi_ky"
    assert check.signer == "Nguyễn Văn A"
    assert check.organisation.startswith("Sở Nội vụ tỉnh Hà Nam")
    assert check.intact and check.covers_whole and check.trusted
    assert check.level == "PAdES-B-B" and not check.timestamped
    assert check.revocation == "not_applicable"  # the certificate declares no CRL/OCSP
    signed_at = dt.datetime.fromisoformat(check.signing_time)
    # the time of signing, as the clock said: after this module was loaded, before now
    second = dt.timedelta(seconds=1)
    assert NOW - second <= signed_at <= dt.datetime.now(dt.UTC) + second
    assert report.reasons() == []
    assert report.summary().startswith("Chữ ký số: Hợp lệ — Nguyễn Văn A (")


def test_unsigned_pdf(draft, ca):
    report = pades.verify_pdf(draft, [ca.root_der])
    assert report.state == pades.UNSIGNED
    assert report.signatures == []
    assert report.summary() == "Chữ ký số: Không có chữ ký số"


def test_signer_then_agency_both_valid(ca, signed_twice):
    report = pades.verify_pdf(signed_twice, [ca.root_der])
    assert report.state == pades.VALID
    first, second = report.signatures
    assert (first.signer, second.signer) == ("Nguyễn Văn A", "Sở Nội vụ tỉnh Hà Nam")
    assert first.intact and second.intact and first.covers_whole and second.covers_whole
    assert codes(first) == ["later_changes_allowed"]  # the filling and the second signature
    assert "điền thông tin vào ô biểu mẫu" in report.reasons()[0]
    assert report.reasons()[0].startswith("Nguyễn Văn A: ")
    assert codes(second) == []
    summary = report.summary()
    assert summary.startswith("Chữ ký số: Hợp lệ — Nguyễn Văn A (")
    assert "; Sở Nội vụ tỉnh Hà Nam (" in summary
    # the number and the date were filled into the prepared fields
    fields = PdfReader(io.BytesIO(signed_twice)).get_fields()
    assert fields[pades.NUMBER_FIELD]["/V"] == "12/QĐ-SNV"
    assert fields[pades.DATE_FIELD]["/V"] == "03 tháng 12 năm 2026"


@pytest.mark.skipif(not shutil.which("pdfsig"), reason="poppler-utils (pdfsig) not installed")
def test_pdfsig_sees_two_valid_signatures(signed_twice, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_twice)
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    blocks = re.split(r"^Signature #\d+:", result.stdout, flags=re.M)[1:]
    assert len(blocks) == 2
    assert all("Signature Validation: Signature is Valid." in b for b in blocks)
    assert "Signature Field Name: nguoi_ky" in blocks[0]
    assert "Not total document signed" in blocks[0]  # the agency's update follows
    assert "Total document signed" in blocks[1] and "Not total" not in blocks[1]
    assert "Signer Certificate Common Name: Sở Nội vụ tỉnh Hà Nam" in blocks[1]


def test_changed_byte_inside_signed_range_is_invalid(ca, signed_once):
    reader = PdfReader(io.BytesIO(signed_once))
    byte_range = reader.get_fields()["nguoi_ky"]["/V"]["/ByteRange"]
    start = 200  # inside the first signed range (far from the signature)
    assert byte_range[0] == 0 and byte_range[1] > start
    changed = bytearray(signed_once)
    position = changed.index(b"obj", start)  # a byte that does not break the syntax
    changed[position - 2:position - 1] = b" "
    assert bytes(changed) != signed_once
    report = pades.verify_pdf(bytes(changed), [ca.root_der])
    assert report.state == pades.INVALID
    assert "content_changed" in codes(report.signatures[0])
    assert "Nội dung đã bị thay đổi sau khi ký" in report.reasons()


def test_page_added_after_signing_is_invalid(ca, signed_once):
    report = pades.verify_pdf(add_page_update(signed_once), [ca.root_der])
    assert report.state == pades.INVALID
    (check,) = report.signatures
    assert check.intact and not check.covers_whole
    assert codes(check) == ["changed_after"]
    assert report.reasons() == [
        "Văn bản đã bị sửa đổi sau khi ký (thay đổi nội dung hoặc cấu trúc văn bản)"]


def test_expired_certificate_is_invalid(ca, prepared):
    expired = ca.expired("Trần Thị Hết Hạn")
    data = pades.sign(prepared, simple_signer(expired), field_name="nguoi_ky",
                      appearance=signer_appearance("Trần Thị Hết Hạn"))
    report = pades.verify_pdf(data, [ca.root_der])
    assert report.state == pades.INVALID
    assert codes(report.signatures[0]) == ["cert_expired"]
    assert report.reasons()[0].startswith("Chứng thư số đã hết hạn tại thời điểm ký")
    assert not report.signatures[0].trusted


def test_untrusted_root_is_unknown(signed_once):
    other = TestingCA.make("CA khác (chỉ để thử nghiệm)")
    report = pades.verify_pdf(signed_once, [other.root_der])
    assert report.state == pades.UNKNOWN
    assert report.state_label == "Không xác định"
    assert codes(report.signatures[0]) == ["untrusted"]
    assert report.reasons() == [
        "Chứng thư số không thuộc tổ chức cung cấp dịch vụ chứng thực tin cậy đã cấu hình"]
    assert not report.signatures[0].trusted


@pytest.fixture(scope="module")
def with_crl(ca, prepared):
    identity = ca.issue("Lê Văn Thu Hồi", crl_url="http://127.0.0.1:9/crl")
    data = pades.sign(prepared, simple_signer(identity), field_name="nguoi_ky",
                      appearance=signer_appearance("Lê Văn Thu Hồi"))
    return identity, data


def test_unreachable_crl_is_unknown(ca, with_crl):
    _, data = with_crl
    report = pades.verify_pdf(data, [ca.root_der], fetch_timeout=1)
    assert report.state == pades.UNKNOWN
    (check,) = report.signatures
    assert check.revocation == "unchecked" and check.trusted
    assert codes(check) == ["revocation_unchecked"]
    assert "Chưa kiểm tra được tình trạng thu hồi" in report.reasons()[0]


def test_no_fetching_leaves_revocation_unchecked(ca, with_crl):
    _, data = with_crl
    report = pades.verify_pdf(data, [ca.root_der], fetch_timeout=0)
    assert report.state == pades.UNKNOWN
    assert codes(report.signatures[0]) == ["revocation_unchecked"]


def test_crl_listing_the_certificate_is_revoked(ca, with_crl):
    identity, data = with_crl
    report = pades.verify_pdf(data, [ca.root_der], crls=[ca.crl(revoked=[identity])])
    assert report.state == pades.INVALID
    (check,) = report.signatures
    assert check.revocation == "revoked"
    assert codes(check) == ["revoked"]
    assert report.reasons()[0].startswith("Chứng thư số đã bị thu hồi (ngày ")


def test_revoked_after_an_untimestamped_signature_still_counts(ca, with_crl):
    """Without a timestamp the signer's claimed time proves nothing."""
    identity, data = with_crl
    later = NOW + dt.timedelta(minutes=30)
    report = pades.verify_pdf(data, [ca.root_der], moment=later + dt.timedelta(minutes=1),
                              crls=[ca.crl(revoked=[identity], revoked_at=later)])
    assert report.state == pades.INVALID
    assert codes(report.signatures[0]) == ["revoked"]


def test_crl_not_listing_the_certificate_is_valid(ca, with_crl, person):
    _, data = with_crl
    report = pades.verify_pdf(data, [ca.root_der], crls=[ca.crl(revoked=[person])])
    assert report.state == pades.VALID
    assert report.signatures[0].revocation == "checked"


def test_timestamped_signature(ca, prepared, person):
    tsa = ca.issue("Dịch vụ cấp dấu thời gian", timestamping=True)
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.cert_der),
        tsa_key=asn1_keys.PrivateKeyInfo.load(tsa.key.private_bytes(
            *_pkcs8_der())))
    data = pades.sign(prepared, simple_signer(person), field_name="nguoi_ky",
                      appearance=signer_appearance(), timestamper=stamper)
    report = pades.verify_pdf(data, [ca.root_der], other_certs=[ca.intermediate_der])
    assert report.state == pades.VALID
    (check,) = report.signatures
    assert check.timestamped and check.level == "PAdES-B-T"
    # the signer trusted, the time-stamping authority not: the time is not proven
    other = TestingCA.make("CA khác (chỉ để thử nghiệm)")
    mixed = pades.verify_pdf(_resign_with_tsa(prepared, person, other), [ca.root_der])
    assert mixed.state == pades.UNKNOWN
    assert codes(mixed.signatures[0]) == ["timestamp_untrusted"]


def _pkcs8_der():
    from cryptography.hazmat.primitives import serialization
    return (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())


def _resign_with_tsa(prepared, person, tsa_ca):
    tsa = tsa_ca.issue("Dịch vụ cấp dấu thời gian khác", timestamping=True)
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.cert_der),
        tsa_key=asn1_keys.PrivateKeyInfo.load(tsa.key.private_bytes(*_pkcs8_der())))
    return pades.sign(prepared, simple_signer(person), field_name="nguoi_ky",
                      appearance=signer_appearance(), timestamper=stamper)


# ---------------------------------------------------------------- malformed input

def test_unreadable_input_raises_domain_errors_only(ca, signed_once):
    with pytest.raises(DomainError, match="không phải là tệp PDF"):
        pades.verify_pdf(b"hello", [ca.root_der])
    with pytest.raises(DomainError, match="bị hỏng"):
        pades.verify_pdf(signed_once[: len(signed_once) // 2], [ca.root_der])
    with pytest.raises(DomainError):
        pades.prepare_for_signing(signed_once[:-300])
    with pytest.raises(DomainError):
        pades.signer_certificate(b"%PDF-1.7\n%%EOF")


def test_encrypted_pdf_is_refused(ca):
    from pathlib import Path
    data = (Path(__file__).parent / "data/pdf/aes256-owner-password-only.pdf").read_bytes()
    with pytest.raises(DomainError, match="mật khẩu hoặc mã hóa"):
        pades.verify_pdf(data, [ca.root_der])
    with pytest.raises(DomainError, match="mật khẩu hoặc mã hóa"):
        pades.prepare_for_signing(data)


def test_garbage_signature_contents_is_invalid_not_an_error(ca, signed_once):
    match = re.search(rb"/Contents\s*<([0-9a-fA-F]+)>", signed_once)
    assert match is not None
    start, end = match.span(1)
    garbage = signed_once[:start] + b"ab" * ((end - start) // 2) + signed_once[end:]
    assert len(garbage) == len(signed_once)
    report = pades.verify_pdf(garbage, [ca.root_der])
    assert report.state == pades.INVALID
    assert codes(report.signatures[0]) == ["malformed"]
    assert report.reasons() == ["Chữ ký số có cấu trúc không hợp lệ, không đọc được"]


# ---------------------------------------------------------------- prepare, extends

def test_prepare_is_deterministic_and_idempotent(draft, prepared):
    assert prepared.startswith(draft) and len(prepared) > len(draft)
    assert pades.prepare_for_signing(draft) == prepared
    assert pades.prepare_for_signing(prepared) == prepared
    fields = PdfReader(io.BytesIO(prepared)).get_fields()
    assert set(fields) >= {pades.NUMBER_FIELD, pades.DATE_FIELD}
    assert all(fields[name].get("/V") in (None, "") for name in (pades.NUMBER_FIELD,
                                                                  pades.DATE_FIELD))


def test_prepare_finds_the_number_and_date_labels(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from app.core.pdf import register_fonts
    regular, _ = register_fonts(FONT)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    c.setFont(regular, 13)
    c.drawString(70, 740, "Số:")
    c.drawString(330, 740, "Hà Nam, ngày")
    c.drawString(70, 600, "Nội dung.")
    c.showPage()
    c.save()
    prepared = pades.prepare_for_signing(buffer.getvalue())
    fields = {f["/T"]: f for f in PdfReader(io.BytesIO(prepared)).pages[0]["/Annots"]}
    number = [float(v) for v in fields[pades.NUMBER_FIELD].get_object()["/Rect"]]
    date = [float(v) for v in fields[pades.DATE_FIELD].get_object()["/Rect"]]
    assert 85 < number[0] < 110 and number[1] < 740 < number[3]  # right after "Số:"
    assert 400 < date[0] < 440 and date[1] < 740 < date[3]  # right after "ngày"

    # Filled with the whole texts, the fields do not repeat the letter's own labels.
    signer = simple_signer(TestingCA.make().issue("Sở Nội vụ tỉnh Hà Nam"))
    signed = pades.sign(prepared, signer, field_name="co_quan",
                        appearance=pades.Appearance(["Sở Nội vụ tỉnh Hà Nam"], kind="agency"),
                        fill={pades.NUMBER_FIELD: "Số: 12/QĐ-SNV",
                              pades.DATE_FIELD: "Hà Nam, ngày 03 tháng 12 năm 2026"})
    values = {name: str(f.get("/V")) for name, f in PdfReader(io.BytesIO(signed))
              .get_fields().items()}
    assert values[pades.NUMBER_FIELD] == "12/QĐ-SNV"
    assert values[pades.DATE_FIELD] == "03 tháng 12 năm 2026"


def test_extends_accepts_a_proper_signed_upload(prepared, signed_once, signed_twice):
    assert pades.extends(prepared, signed_once)
    assert pades.extends(signed_once, signed_twice)  # filling + one more signature
    assert not pades.extends(prepared, signed_twice)  # two signatures added
    assert not pades.extends(prepared, prepared)


def test_extends_refuses_a_rewritten_file(prepared, signed_once):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(signed_once)))
    out = io.BytesIO()
    writer.write(out)
    assert not pades.extends(prepared, out.getvalue())


def test_extends_refuses_an_added_page(prepared, signed_once, person):
    assert not pades.extends(prepared, add_page_update(signed_once))  # after the signature
    grown = add_page_update(prepared)  # before the signature, inside the signed bytes
    signed = pades.sign(grown, simple_signer(person), field_name="nguoi_ky",
                        appearance=signer_appearance())
    assert signed.startswith(prepared)
    assert not pades.extends(prepared, signed)


def test_signer_certificate(signed_twice, person, agency):
    assert pades.signer_certificate(signed_twice) == agency.cert_der
    assert pades.signer_certificate(signed_twice, 0) == person.cert_der


# ---------------------------------------------------------------- the report

def test_report_json_round_trip(ca, signed_twice):
    report = pades.verify_pdf(signed_twice, [ca.root_der])
    again = pades.Report.from_json(report.to_json())
    assert again == report
    assert pades.Report.from_json(None) is None
    assert pades.Report.from_json("{not json") is None


def test_every_reason_is_vietnamese():
    samples = {"what": "other", "date": "03/12/2026", "format": "adbe.x509.rsa_sha1"}
    for code in pades.REASONS:
        text = pades.reason_text(code, samples)
        assert "%(" not in text and code not in text
        assert re.search(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]",
                         text), text
    for kind in pades.CHANGE_KINDS:
        assert "(" in pades.reason_text("changed_after", {"what": kind})
    assert pades.reason_text("no-such-code", {}) == "Chữ ký số không kiểm tra được"
    assert pades.reason_text("malformed", {"detail": "Tệp PDF bị hỏng."}) == (
        "Chữ ký số có cấu trúc không hợp lệ, không đọc được: Tệp PDF bị hỏng.")
