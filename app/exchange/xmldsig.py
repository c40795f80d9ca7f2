"""XML-DSig on edXML packages: verifying the signature of what partners send, signing what we
send (enveloped signatures, Reference URI="", as edXML systems make them), with signxml.

What verify() checks, in this order:
1. Is there a ds:Signature (namespace http://www.w3.org/2000/09/xmldsig#) anywhere? If not,
   the package is unsigned: None (nothing to say).
2. The signature itself ("invalid" when any of these fails, with the reason): its structure
   (the XML-DSig schema), the algorithms (RSA with SHA-1/SHA-256/SHA-384/SHA-512 only; SHA-1
   is accepted, as real Vietnamese systems still use it, but the note says it is old), the
   certificate embedded in KeyInfo/X509Data (required: a bare KeyValue is not enough), the
   SignatureValue against that certificate's public key, the digest of the signed content
   (a package altered after signing fails here), and that the signed content is the whole
   package (Reference URI="" or the root element's Id), not a part of it.
3. Trust ("valid" or "untrusted"): a correct signature only proves that the holder of the
   embedded certificate's key signed; anybody can make a certificate saying "Sở Tài chính".
   It is "valid" only when EXCHANGE_TRUST_FILE (a PEM bundle of the certification
   authorities we trust: roots and intermediates, e.g. the Vietnamese national root CA and
   the government CA) is configured, the signer's certificate is within its validity now,
   and it chains to a certificate of that bundle (other certificates of X509Data may serve
   as intermediates; the signer's certificate must allow digital signatures, the CAs must be
   CAs). Otherwise "untrusted": the content is intact, but who signed is not established
   (no trust file, another CA, expired or not yet valid certificate). Revocation (CRL/OCSP)
   is not checked.

The verdict is a Check whose `note` is one Vietnamese sentence for the clerk. verify() never
raises for what a partner sends: a broken signature is "invalid", with the reason.

sign() adds an enveloped RSA-SHA256 signature (SHA-256 digest, inclusive C14N 1.0 — the
canonicalisation Java and .NET verifiers all support) as the last child of the root element,
with our certificate (and its chain, when the files hold one) in KeyInfo/X509Data. The key is
EXCHANGE_SIGNING_KEY_FILE + EXCHANGE_SIGNING_CERT_FILE (PEM) or EXCHANGE_SIGNING_P12_FILE +
EXCHANGE_SIGNING_P12_PASSWORD (PKCS#12); without either the package goes out unsigned. A key
that is configured but cannot be used is a DomainError naming the setting.
"""
import base64
import binascii
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from flask_babel import lazy_gettext as _l
from lxml import etree
from signxml import (
    CanonicalizationMethod, DigestAlgorithm, SignatureConfiguration,
    SignatureConstructionMethod, SignatureMethod, XMLSigner, XMLVerifier,
)
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature, SignXMLException

from app.core.errors import DomainError
from app.core.timefmt import format_date

log = logging.getLogger(__name__)

DS = "http://www.w3.org/2000/09/xmldsig#"
VALID, UNTRUSTED, INVALID = "valid", "untrusted", "invalid"

# What we accept from partners: RSA only (the certificates Vietnamese CAs issue), SHA-1 too.
SIGNATURE_METHODS = frozenset({SignatureMethod.RSA_SHA1, SignatureMethod.RSA_SHA256,
                               SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512})
DIGEST_ALGORITHMS = frozenset({DigestAlgorithm.SHA1, DigestAlgorithm.SHA256,
                               DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})
SHA1_NOTE = _l("thuật toán SHA-1 đã cũ")


@dataclass
class Check:
    state: str  # VALID | UNTRUSTED | INVALID
    signer: str = ""  # the certificate subject's CN / O
    algorithm: str = ""  # "RSA-SHA256", "RSA-SHA1"…
    note: str = ""  # one Vietnamese sentence for the clerk

    @property
    def valid(self) -> bool:
        return self.state == VALID


def _parser():
    """huge_tree: edXML carries each attachment's base64 in one text node (a 20 MB scan is
    one 27 MB node), over libxml2's 10 MB default. Safe here: the caller has already refused
    any DTD or entity (defusedxml) and the package is within EXCHANGE_MAX_BYTES."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                           load_dtd=False, dtd_validation=False)


def _strip_prefix(data: bytes) -> bytes:
    """Everything before the first '<' (a byte-order mark, stray bytes) goes."""
    start = data.find(b"<")
    return data[start:] if start > 0 else data


# ---------------------------------------------------------------- verifying

def verify(data: bytes) -> Check | None:
    """The package's XML-DSig verdict; None when it has no Signature element."""
    data = _strip_prefix(data or b"")
    try:
        root = etree.fromstring(data, parser=_parser())
    except (etree.LxmlError, ValueError) as error:
        if DS.encode() not in data:
            return None
        log.info("xmldsig: signed package unreadable by lxml: %s", error)
        if "XML_PARSE_HUGE" in str(error):  # a text node over 10 MB: huge_tree is off
            return _invalid(None, "", [], _l(
                "không kiểm tra được chữ ký vì gói tin có phần tử quá lớn (tệp đính kèm trên "
                "khoảng 7 MB), vượt giới hạn an toàn của bộ đọc XML"))
        return _invalid(None, "", [], _l("gói tin không đọc được dưới dạng XML"))
    if not isinstance(root.tag, str):
        return None
    signature = next(root.iter(f"{{{DS}}}Signature"), None)
    if signature is None:
        return None
    try:
        return _verify(root, signature)
    except Exception as error:  # never raise for what a partner sends
        log.warning("xmldsig: unexpected error verifying a signature: %r", error)
        return _invalid(None, _algorithm_of(signature), [], _l(
            "không kiểm tra được chữ ký (lỗi không lường trước, đã ghi vào nhật ký)"))


def _verify(root, signature) -> Check:
    algorithm = _algorithm_of(signature)
    digests = [d.get("Algorithm") or "" for d in signature.iter(f"{{{DS}}}DigestMethod")]
    try:
        certificates = _embedded_certificates(signature)
    except ValueError:
        return _invalid(None, algorithm, digests, _l(
            "chứng thư số kèm theo chữ ký không đọc được"))
    if not certificates:
        return _invalid(None, algorithm, digests, _l(
            "chữ ký không kèm chứng thư số (KeyInfo/X509Data/X509Certificate)"))
    element = signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod")
    try:
        method = SignatureMethod(element.get("Algorithm")) if element is not None else None
    except ValueError:
        method = None
    if element is not None and method not in SIGNATURE_METHODS:
        return _invalid(certificates[0], algorithm, digests, _l(
            "thuật toán ký «%(a)s» không được chấp nhận", a=algorithm))
    signer_cert, reason = _check_signature(root, certificates)
    if reason is not None:
        return _invalid(signer_cert or certificates[0], algorithm, digests, reason)
    return _trust(signer_cert, certificates, algorithm, digests)


def _check_signature(root, certificates):
    """(signing certificate, None) when the signature and digests are correct with one of the
    embedded certificates (the end entity tried first); (certificate or None, reason) if not."""
    others = {c.issuer for c in certificates}
    ordered = sorted(certificates, key=lambda c: c.subject in others and c.subject != c.issuer)
    reason = None
    for certificate in ordered:
        # The time is checked afterwards (trust): here only the mathematics.
        config = SignatureConfiguration(
            location=".//", expect_references=True, signature_methods=SIGNATURE_METHODS,
            digest_algorithms=DIGEST_ALGORITHMS,
            verification_time=certificate.not_valid_before_utc)
        try:
            results = XMLVerifier().verify(root, x509_cert=certificate, parser=_parser(),
                                           expect_config=config)
        except InvalidDigest:
            return certificate, _l("nội dung gói tin đã bị thay đổi sau khi ký (sai giá trị "
                                   "băm)")
        except InvalidSignature as error:
            log.info("xmldsig: signature refused: %s", error)
            if "Signature verification failed" in str(error):
                reason = _l("giá trị chữ ký không khớp với chứng thư số kèm theo")
                continue
            return certificate, _l("chữ ký không đúng")
        except InvalidInput as error:
            log.info("xmldsig: signature refused: %s", error)
            return certificate, _input_reason(error)
        except (SignXMLException, etree.LxmlError, ValueError, TypeError, KeyError,
                binascii.Error) as error:
            log.info("xmldsig: signature refused: %r", error)
            return certificate, _l("cấu trúc chữ ký không đúng chuẩn XML-DSig")
        if not any(_covers_root(root, result) for result in results):
            return certificate, _l("chữ ký chỉ bao phủ một phần gói tin, không phải toàn bộ")
        return certificate, None
    return None, reason


def _input_reason(error):
    text = str(error)
    if text.startswith("Digest algorithm") and "forbidden" in text:
        return _l("thuật toán băm không được chấp nhận (chỉ nhận SHA-1, SHA-256, SHA-384, "
                  "SHA-512)")
    if "forbidden by configuration" in text:
        return _l("thuật toán ký không được chấp nhận")
    if "KeyValue" in text:
        return _l("khóa công khai trong KeyValue khác với chứng thư số kèm theo")
    if "reference" in text.lower() or "URI" in text:
        return _l("tham chiếu (Reference) của chữ ký không trỏ tới nội dung gói tin")
    return _l("cấu trúc chữ ký không đúng chuẩn XML-DSig")


def _covers_root(root, result) -> bool:
    """The reference signed the whole package: URI="" or the root element's own Id."""
    signed_info = result.signature_xml.find(f"{{{DS}}}SignedInfo")
    references = signed_info.findall(f"{{{DS}}}Reference") if signed_info is not None else []
    signed = result.signed_xml
    if signed is None or etree.QName(signed).localname != etree.QName(root).localname:
        return False
    for reference in references:
        uri = reference.get("URI")
        if uri == "":
            return True
        if uri and uri.startswith("#") and uri[1:] in {root.get(a) for a in
                                                        ("Id", "ID", "id")}:
            return True
    return False


def _embedded_certificates(signature) -> list:
    certificates = []
    for element in signature.iterfind(
            f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate"):
        text = "".join((element.text or "").split())
        if not text:
            continue
        try:
            certificates.append(x509.load_der_x509_certificate(
                base64.b64decode(text, validate=True)))
        except (binascii.Error, ValueError) as error:
            raise ValueError("unreadable certificate") from error
    return certificates


def _trust(certificate, certificates, algorithm, digests) -> Check:
    now = datetime.now(UTC)
    if now > certificate.not_valid_after_utc:
        return _untrusted(certificate, algorithm, digests, _l(
            "chứng thư số đã hết hạn ngày %(d)s", d=format_date(certificate.not_valid_after_utc)))
    if now < certificate.not_valid_before_utc:
        return _untrusted(certificate, algorithm, digests, _l(
            "chứng thư số chưa có hiệu lực (từ ngày %(d)s)",
            d=format_date(certificate.not_valid_before_utc)))
    path = (current_app.config.get("EXCHANGE_TRUST_FILE") or "").strip()
    if not path:
        return _untrusted(certificate, algorithm, digests, _l(
            "chưa cấu hình danh sách tổ chức chứng thực tin cậy (EXCHANGE_TRUST_FILE) nên "
            "chưa xác định được nguồn gốc chứng thư số"))
    try:
        with open(path, "rb") as pem:
            anchors = x509.load_pem_x509_certificates(pem.read())
    except (OSError, ValueError) as error:
        log.error("xmldsig: EXCHANGE_TRUST_FILE %s unreadable: %s", path, error)
        return _untrusted(certificate, algorithm, digests, _l(
            "không đọc được danh sách tổ chức chứng thực tin cậy (EXCHANGE_TRUST_FILE)"))
    intermediates = [c for c in certificates if c is not certificate]
    try:
        _chain_verifier(anchors, now).verify(certificate, intermediates)
    except x509.verification.VerificationError as error:
        log.info("xmldsig: certificate %s does not chain to the trust file: %s",
                 certificate.subject.rfc4514_string(), error)
        return _untrusted(certificate, algorithm, digests, _l(
            "chứng thư số không do tổ chức chứng thực tin cậy cấp (không xác minh được chuỗi "
            "chứng thư)"))
    return Check(VALID, _signer(certificate), algorithm, _sentence(
        _l("Chữ ký số hợp lệ của %(who)s (%(alg)s, chứng thư số do tổ chức chứng thực tin "
           "cậy cấp, hiệu lực từ %(start)s đến %(end)s)", **_facts(certificate, algorithm)),
        digests, algorithm))


def _chain_verifier(anchors, now):
    policy = x509.verification
    ee = policy.ExtensionPolicy.permit_all().may_be_present(
        x509.KeyUsage, policy.Criticality.AGNOSTIC, _signing_usage)
    builder = policy.PolicyBuilder().store(policy.Store(anchors)).time(now) \
        .extension_policies(ee_policy=ee, ca_policy=policy.ExtensionPolicy.webpki_defaults_ca())
    return builder.build_client_verifier()


def _signing_usage(_policy, _certificate, usage):
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise ValueError("KeyUsage allows neither digitalSignature nor nonRepudiation")


def _signer(certificate) -> str:
    if certificate is None:
        return ""
    names = []
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        try:
            attributes = certificate.subject.get_attributes_for_oid(oid)
        except ValueError:
            continue
        value = str(attributes[0].value).strip() if attributes else ""
        if value and value not in names:
            names.append(value)
    return " / ".join(names)


def _algorithm_of(signature) -> str:
    element = signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod")
    uri = (element.get("Algorithm") or "") if element is not None else ""
    try:
        return SignatureMethod(uri).name.replace("_", "-")
    except ValueError:
        return uri.rsplit("#", 1)[-1].upper()[:50] if uri else ""


def _facts(certificate, algorithm) -> dict:
    return {"who": f"«{_signer(certificate)}»" if _signer(certificate)
            else _l("người ký (chứng thư không ghi tên)"),
            "alg": algorithm or _l("thuật toán không rõ"),
            "start": format_date(certificate.not_valid_before_utc),
            "end": format_date(certificate.not_valid_after_utc)}


def _old(digests, algorithm) -> bool:
    return "SHA1" in algorithm.replace("-", "") or any(d.endswith("#sha1") for d in digests)


def _sentence(text, digests, algorithm) -> str:
    text = str(text)
    if _old(digests, algorithm):
        text += f"; {SHA1_NOTE}"
    return text + "."


def _untrusted(certificate, algorithm, digests, reason) -> Check:
    return Check(UNTRUSTED, _signer(certificate), algorithm, _sentence(
        _l("Chữ ký số của %(who)s (%(alg)s, chứng thư số hiệu lực từ %(start)s đến %(end)s) "
           "khớp với nội dung gói tin nhưng chưa được tin cậy: %(reason)s",
           reason=reason, **_facts(certificate, algorithm)), digests, algorithm))


def _invalid(certificate, algorithm, digests, reason) -> Check:
    if certificate is None:
        text = _l("Chữ ký số không hợp lệ (%(alg)s): %(reason)s",
                  alg=algorithm or _l("thuật toán không rõ"), reason=reason)
    else:
        text = _l("Chữ ký số của %(who)s (%(alg)s, chứng thư số hiệu lực từ %(start)s đến "
                  "%(end)s) không hợp lệ: %(reason)s", reason=reason,
                  **_facts(certificate, algorithm))
    return Check(INVALID, _signer(certificate), algorithm, _sentence(
        text, digests, algorithm))


# ---------------------------------------------------------------- signing

def signing_configured() -> bool:
    config = current_app.config
    return bool((config.get("EXCHANGE_SIGNING_KEY_FILE") or "").strip()
                or (config.get("EXCHANGE_SIGNING_P12_FILE") or "").strip())


def sign(data: bytes) -> bytes:
    """The package with our enveloped RSA-SHA256 signature (last child of the root element);
    `data` unchanged when no signing key is configured. DomainError when the configured key
    cannot be used."""
    if not signing_configured():
        return data
    key, certificates = _signing_key()
    # Our own package (built by edxml): huge_tree, or attachments over ~7 MB would not parse.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True,
                             load_dtd=False)
    root = etree.fromstring(_strip_prefix(data), parser=parser)
    signer = XMLSigner(method=SignatureConstructionMethod.enveloped,
                       signature_algorithm=SignatureMethod.RSA_SHA256,
                       digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0)
    signer._parser = parser  # signxml re-parses with it (it has no public parser argument)
    signed = signer.sign(root, key=key, cert=certificates)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def _setting_error(name, path, reason):
    return DomainError(_l("Không dùng được khóa ký số của cơ quan (%(name)s = «%(path)s»): "
                          "%(reason)s", name=name, path=path, reason=reason))


def _read(name) -> bytes:
    path = (current_app.config.get(name) or "").strip()
    if not path:
        raise DomainError(_l("Thiếu cấu hình %(name)s để ký số gói tin.", name=name))
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise _setting_error(name, path, _l("không đọc được tệp (%(e)s)",
                                            e=error.strerror or error)) from error


def _signing_key():
    """(private key, [certificate, chain…]) from the configuration; DomainError if unusable."""
    config = current_app.config
    if (config.get("EXCHANGE_SIGNING_P12_FILE") or "").strip():
        name = "EXCHANGE_SIGNING_P12_FILE"
        path = config[name].strip()
        raw = _read(name)
        password = config.get("EXCHANGE_SIGNING_P12_PASSWORD") or ""
        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(
                raw, password.encode() if isinstance(password, str) else password)
        except (ValueError, TypeError) as error:
            raise _setting_error(name, path, _l(
                "tệp PKCS#12 không đọc được hoặc sai mật khẩu (EXCHANGE_SIGNING_P12_PASSWORD)")
            ) from error
        if key is None or certificate is None:
            raise _setting_error(name, path, _l("tệp PKCS#12 không có khóa riêng và chứng "
                                                "thư số"))
        certificates = [certificate, *(chain or [])]
    else:
        name = "EXCHANGE_SIGNING_KEY_FILE"
        path = (config.get(name) or "").strip()
        raw = _read(name)
        try:
            key = serialization.load_pem_private_key(raw, password=None)
        except (ValueError, TypeError) as error:
            raise _setting_error(name, path, _l(
                "không phải khóa riêng PEM không mật khẩu")) from error
        cert_name = "EXCHANGE_SIGNING_CERT_FILE"
        cert_raw = _read(cert_name)
        try:
            certificates = x509.load_pem_x509_certificates(cert_raw)
        except ValueError as error:
            raise _setting_error(cert_name, config[cert_name].strip(), _l(
                "không phải chứng thư số PEM")) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise _setting_error(name, path, _l("chỉ hỗ trợ khóa RSA"))
    mine = next((c for c in certificates if c.public_key() == key.public_key()), None)
    if mine is None:
        raise _setting_error(name, path, _l("khóa riêng không khớp với chứng thư số"))
    return key, [mine, *(c for c in certificates if c is not mine)]
