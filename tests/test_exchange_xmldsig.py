"""XML-DSig on edXML packages (app/exchange/xmldsig.py): what the clerk reads about a partner's
signature, and our own signature on what we send. A test PKI (root CA → intermediate CA →
signers, plus a CA nobody trusts) is made with `cryptography` once per session."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

from app.core.errors import DomainError
from app.core.timefmt import format_date
from app.exchange import edxml, xmldsig
from tests.exchange_helpers import sample_package

DS = "http://www.w3.org/2000/09/xmldsig#"
SIGNING_KEYS = ("EXCHANGE_SIGNING_KEY_FILE", "EXCHANGE_SIGNING_CERT_FILE",
                "EXCHANGE_SIGNING_P12_FILE", "EXCHANGE_SIGNING_P12_PASSWORD",
                "EXCHANGE_TRUST_FILE")


# ---------------------------------------------------------------- the test PKI

def _name(cn, org="Bộ Thông tin và Truyền thông"):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(subject, key, issuer=None, issuer_key=None, *, ca=False, start=None,
                 days=365):
    now = datetime.now(UTC)
    start = start or now - timedelta(days=1)
    issuer_name = issuer.subject if issuer is not None else subject
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                   crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    signing_key = issuer_key or key
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
        critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(*certificates) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


@dataclass
class Signer:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: list


@dataclass
class Pki:
    trust_file: str
    key_file: str
    cert_file: str
    p12_file: str
    p12_password: str
    ours: Signer  # Sở Tài chính's certificate, issued by the trusted intermediate
    expired: Signer  # same CA, expired a month ago
    stranger: Signer  # issued by a CA nobody trusts


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    root_key, intermediate_key, other_root_key = _key(), _key(), _key()
    root = _certificate(_name("Root CA thử nghiệm"), root_key, ca=True, days=3650)
    intermediate = _certificate(_name("CA Chính phủ thử nghiệm"), intermediate_key, root,
                                root_key, ca=True, days=1825)
    other_root = _certificate(_name("CA không tin cậy", "Công ty Lạ"), other_root_key, ca=True,
                              days=3650)

    def signer(cn, issuer, issuer_key, **dates):
        key = _key()
        certificate = _certificate(_name(cn, "UBND tỉnh Hà Nam"), key, issuer, issuer_key,
                                   **dates)
        return Signer(key, certificate, [certificate, issuer])

    ours = signer("Sở Tài chính tỉnh Hà Nam", intermediate, intermediate_key)
    expired = signer("Sở Xây dựng tỉnh Hà Nam", intermediate, intermediate_key,
                     start=datetime.now(UTC) - timedelta(days=400), days=370)
    stranger = signer("Sở Giả mạo", other_root, other_root_key)
    paths = {name: folder / name for name in ("trust.pem", "key.pem", "cert.pem", "our.p12")}
    paths["trust.pem"].write_bytes(_pem(root, intermediate))
    paths["key.pem"].write_bytes(ours.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    paths["cert.pem"].write_bytes(_pem(ours.certificate))
    password = "Mật-khẩu-p12"
    paths["our.p12"].write_bytes(pkcs12.serialize_key_and_certificates(
        b"so-tai-chinh", ours.key, ours.certificate, [intermediate],
        serialization.BestAvailableEncryption(password.encode())))
    return Pki(str(paths["trust.pem"]), str(paths["key.pem"]), str(paths["cert.pem"]),
               str(paths["our.p12"]), password, ours, expired, stranger)


# ---------------------------------------------------------------- helpers

@pytest.fixture
def ctx(app, monkeypatch):
    """A request context with no signing key and no trust file configured."""
    for name in SIGNING_KEYS:
        monkeypatch.setitem(app.config, name, "")
    with app.test_request_context():
        yield app


@pytest.fixture
def pem_key(ctx, pki, monkeypatch):
    monkeypatch.setitem(ctx.config, "EXCHANGE_SIGNING_KEY_FILE", pki.key_file)
    monkeypatch.setitem(ctx.config, "EXCHANGE_SIGNING_CERT_FILE", pki.cert_file)
    return ctx


def trusting(app, pki, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_TRUST_FILE", pki.trust_file)


class Sha1Signer(XMLSigner):
    """What older Vietnamese systems send: RSA-SHA1 with SHA-1 digests."""

    def check_deprecated_methods(self):
        pass


def signed_by(signer: Signer, data: bytes, *, sha1=False) -> bytes:
    kind = Sha1Signer if sha1 else XMLSigner
    maker = kind(signature_algorithm=SignatureMethod.RSA_SHA1 if sha1 else
                 SignatureMethod.RSA_SHA256,
                 digest_algorithm=DigestAlgorithm.SHA1 if sha1 else DigestAlgorithm.SHA256)
    root = maker.sign(etree.fromstring(data), key=signer.key, cert=signer.chain)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def dates(certificate) -> tuple:
    return format_date(certificate.not_valid_before_utc), format_date(
        certificate.not_valid_after_utc)


# ---------------------------------------------------------------- verifying

def test_unsigned_package_has_no_verdict(ctx):
    assert xmldsig.verify(edxml.build_package(sample_package())) is None


def test_our_signature_without_trust_file_is_untrusted(pem_key, pki):
    package = sample_package()
    data = edxml.build_package(package)
    assert xmldsig.signing_configured()
    signed = xmldsig.sign(data)
    root = etree.fromstring(signed)
    last = root[-1]
    assert last.tag == f"{{{DS}}}Signature"
    assert last.find(f".//{{{DS}}}X509Certificate") is not None
    assert last.find(f".//{{{DS}}}SignatureMethod").get("Algorithm").endswith("rsa-sha256")
    assert last.find(f".//{{{DS}}}Reference").get("URI") == ""
    # Our own reader ignores the signature: the same package comes back.
    assert edxml.read(signed) == edxml.read(data) == package

    check = xmldsig.verify(signed)
    assert check.state == "untrusted"
    assert check.signer == "Sở Tài chính tỉnh Hà Nam / UBND tỉnh Hà Nam"
    assert check.algorithm == "RSA-SHA256"
    start, end = dates(pki.ours.certificate)
    assert "Sở Tài chính tỉnh Hà Nam" in check.note and "RSA-SHA256" in check.note
    assert start in check.note and end in check.note
    assert "chưa được tin cậy" in check.note and "EXCHANGE_TRUST_FILE" in check.note
    assert "SHA-1" not in check.note


def test_our_signature_with_trust_file_is_valid(pem_key, pki, monkeypatch):
    trusting(pem_key, pki, monkeypatch)
    check = xmldsig.verify(xmldsig.sign(edxml.build_package(sample_package())))
    assert check.state == "valid" and check.valid
    start, end = dates(pki.ours.certificate)
    assert check.note.startswith("Chữ ký số hợp lệ của «Sở Tài chính tỉnh Hà Nam")
    assert "tin cậy" in check.note and start in check.note and end in check.note


def test_rsa_sha1_signature_is_valid_with_a_warning(ctx, pki, monkeypatch):
    trusting(ctx, pki, monkeypatch)
    signed = signed_by(pki.ours, edxml.build_package(sample_package()), sha1=True)
    check = xmldsig.verify(signed)
    assert check.state == "valid"
    assert check.algorithm == "RSA-SHA1"
    assert "RSA-SHA1" in check.note and "thuật toán SHA-1 đã cũ" in check.note


def test_tampered_subject_is_invalid(ctx, pki, monkeypatch):
    trusting(ctx, pki, monkeypatch)
    signed = signed_by(pki.ours, edxml.build_package(sample_package()))
    tampered = signed.replace("lập dự toán".encode(), "lập quyết toán".encode())
    assert tampered != signed
    check = xmldsig.verify(tampered)
    assert check.state == "invalid"
    assert check.signer.startswith("Sở Tài chính tỉnh Hà Nam")
    assert "không hợp lệ" in check.note and "đã bị thay đổi sau khi ký" in check.note


def test_signature_without_certificate_is_invalid(ctx, pki, monkeypatch):
    trusting(ctx, pki, monkeypatch)
    root = etree.fromstring(signed_by(pki.ours, edxml.build_package(sample_package())))
    key_info = root.find(f".//{{{DS}}}KeyInfo")
    key_info.getparent().remove(key_info)
    check = xmldsig.verify(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert check.state == "invalid" and check.signer == ""
    assert "không kèm chứng thư số" in check.note


def test_broken_signature_value_is_invalid(ctx, pki):
    root = etree.fromstring(signed_by(pki.ours, edxml.build_package(sample_package())))
    value = root.find(f".//{{{DS}}}SignatureValue")
    value.text = "AAAA" + value.text[4:]
    check = xmldsig.verify(etree.tostring(root))
    assert check.state == "invalid"
    assert "không khớp với chứng thư số" in check.note


def test_unparsable_signature_is_invalid(ctx, pki):
    root = etree.fromstring(signed_by(pki.ours, edxml.build_package(sample_package())))
    digest = root.find(f".//{{{DS}}}DigestValue")
    digest.getparent().remove(digest)
    check = xmldsig.verify(etree.tostring(root))
    assert check.state == "invalid"
    assert "cấu trúc chữ ký không đúng chuẩn XML-DSig" in check.note


def test_signature_of_a_part_of_the_package_is_invalid(ctx, pki, monkeypatch):
    """Signing only the envelope (Reference URI="#env") would leave the attachments free to
    be replaced: refused."""
    trusting(ctx, pki, monkeypatch)
    root = etree.fromstring(edxml.build_package(sample_package()))
    root[0].set("Id", "env")
    signed = XMLSigner().sign(root, key=pki.ours.key, cert=pki.ours.chain,
                              reference_uri="#env")
    check = xmldsig.verify(etree.tostring(signed))
    assert check.state == "invalid"
    assert "chỉ bao phủ một phần gói tin" in check.note


def test_expired_certificate_is_not_valid(ctx, pki, monkeypatch):
    trusting(ctx, pki, monkeypatch)
    check = xmldsig.verify(signed_by(pki.expired, edxml.build_package(sample_package())))
    assert check.state == "untrusted"
    _start, end = dates(pki.expired.certificate)
    assert f"chứng thư số đã hết hạn ngày {end}" in check.note
    assert "Sở Xây dựng tỉnh Hà Nam" in check.note


def test_certificate_of_another_ca_is_untrusted(ctx, pki, monkeypatch):
    trusting(ctx, pki, monkeypatch)
    check = xmldsig.verify(signed_by(pki.stranger, edxml.build_package(sample_package())))
    assert check.state == "untrusted"
    assert check.signer == "Sở Giả mạo / UBND tỉnh Hà Nam"
    assert "không do tổ chức chứng thực tin cậy cấp" in check.note


def test_byte_order_mark_before_the_xml_is_fine(pem_key, pki, monkeypatch):
    trusting(pem_key, pki, monkeypatch)
    signed = xmldsig.sign(edxml.build_package(sample_package()))
    assert xmldsig.verify(b"\xef\xbb\xbf" + signed).state == "valid"
    assert xmldsig.verify(b"\r\n  " + signed).state == "valid"
    assert xmldsig.verify(b"\xef\xbb\xbf" + edxml.build_package(sample_package())) is None


# ---------------------------------------------------------------- signing

def test_without_key_the_package_goes_out_unsigned(ctx):
    data = edxml.build_package(sample_package())
    assert not xmldsig.signing_configured()
    assert xmldsig.sign(data) is data


def test_pkcs12_key_signs_too(ctx, pki, monkeypatch):
    monkeypatch.setitem(ctx.config, "EXCHANGE_SIGNING_P12_FILE", pki.p12_file)
    monkeypatch.setitem(ctx.config, "EXCHANGE_SIGNING_P12_PASSWORD", pki.p12_password)
    trusting(ctx, pki, monkeypatch)
    package = sample_package()
    signed = xmldsig.sign(edxml.build_package(package))
    assert edxml.read(signed) == package
    certificates = etree.fromstring(signed).findall(f".//{{{DS}}}X509Certificate")
    assert len(certificates) == 2  # ours and the intermediate CA's
    check = xmldsig.verify(signed)
    assert check.state == "valid" and "Sở Tài chính tỉnh Hà Nam" in check.note


def test_wrong_pkcs12_password_names_the_setting(ctx, pki, monkeypatch):
    monkeypatch.setitem(ctx.config, "EXCHANGE_SIGNING_P12_FILE", pki.p12_file)
    monkeypatch.setitem(ctx.config, "EXCHANGE_SIGNING_P12_PASSWORD", "sai")
    with pytest.raises(DomainError, match="EXCHANGE_SIGNING_P12_PASSWORD"):
        xmldsig.sign(edxml.build_package(sample_package()))


def test_unreadable_key_file_names_the_setting(pem_key, monkeypatch, tmp_path):
    monkeypatch.setitem(pem_key.config, "EXCHANGE_SIGNING_KEY_FILE",
                        str(tmp_path / "khong-co.pem"))
    with pytest.raises(DomainError) as raised:
        xmldsig.sign(edxml.build_package(sample_package()))
    assert "EXCHANGE_SIGNING_KEY_FILE" in str(raised.value)
    assert "không đọc được tệp" in str(raised.value)


def test_large_attachment_is_signed_and_checked(pem_key):
    """An attachment over ~7 MB is one text node over libxml2's 10 MB default: both signing
    and checking read it (the package passed defusedxml and the size limit first)."""
    big = edxml.Attachment("cid:1", "Bản quét lớn.pdf", "application/pdf",
                           b"%PDF-1.4\n" + b"0" * (8 * 1024 * 1024))
    package = sample_package(attachments=[big])
    signed = xmldsig.sign(edxml.build_package(package))
    assert edxml.read(signed) == package
    check = xmldsig.verify(signed)
    assert check.state == "untrusted", check.note  # no trust file configured here
    assert check.signer and check.signer in check.note


def test_key_not_matching_certificate_names_the_setting(pem_key, pki, monkeypatch, tmp_path):
    other = tmp_path / "other-cert.pem"
    other.write_bytes(_pem(pki.stranger.certificate))
    monkeypatch.setitem(pem_key.config, "EXCHANGE_SIGNING_CERT_FILE", str(other))
    with pytest.raises(DomainError, match="không khớp với chứng thư số"):
        xmldsig.sign(edxml.build_package(sample_package()))
