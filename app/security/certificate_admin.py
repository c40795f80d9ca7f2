"""Chứng thư số: what the network administrator does with certificates (ký số) — the trust
anchors (root and intermediate CA certificates that signatures are checked against; the
application ships none) and each person's signing certificates (uploaded by the
administrator, or proposed from the first signed PDF a person uploaded and then confirmed).

One unit of work per public function (it commits); refusals are FormErrors/DomainError with
Vietnamese messages and leave nothing half saved. The pages and the REST resource
(app.security.certificate_views) call these same functions. Every change is in the audit trail
(the session hook of app.audit.services), with the field names below."""
from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.labels import TABLE_FIELD_LABELS
from app.core.errors import DomainError, FormErrors
from app.core.text import nfc
from app.core.timefmt import format_date, utcnow
from app.security.certificates import PersonalCertificate, TrustAnchor

RESOURCE = "Certificate"  # the permission resource of the pages and the REST resource
PROPOSED = "certificate.proposed"  # the kind of the notice the administrators receive
MAX_CERTIFICATE_BYTES = 1024 * 1024  # a certificate is a few KB; a bundle a few tens
MAX_CERTIFICATES_PER_FILE = 50
CSC_ID_MAX = 255

NOT_A_CERTIFICATE = _l("Tệp không phải là chứng thư số (.cer, .crt, .pem).")
NO_FILE = _l("Chọn tệp chứng thư số (.cer, .crt, .pem) cần tải lên.")

_ANCHOR_LABELS = {
    "name": _l("Tên chứng thư"), "subject": _l("Chủ thể"), "issuer": _l("Tổ chức cấp"),
    "sha256": _l("Dấu vân tay SHA-256"), "der": _l("Nội dung chứng thư (DER)"),
    "not_before": _l("Hiệu lực từ"), "not_after": _l("Hiệu lực đến"),
    "active": _l("Đang dùng"), "added_by": _l("Người thêm"), "added_by_id": _l("Người thêm"),
    "added_at": _l("Thời điểm thêm"),
}
# How the audit trail names the fields (app.audit.labels).
TABLE_FIELD_LABELS.setdefault("trust_anchor", {}).update(
    _ANCHOR_LABELS, is_root=_l("Chứng thư gốc (tự ký)"))
TABLE_FIELD_LABELS.setdefault("personal_certificate", {}).update(
    _ANCHOR_LABELS, user=_l("Người sở hữu"), user_id=_l("Người sở hữu"),
    common_name=_l("Tên trên chứng thư"), serial=_l("Số hiệu chứng thư"),
    confirmed=_l("Đã xác nhận"),
    csc_credential_id=_l("Mã chứng thư trên dịch vụ ký số từ xa (CSC)"))


# ---------------------------------------------------------------- reading certificates

def _refused(message, field="file"):
    return FormErrors({field: [message]})


def read_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate of an uploaded file: PEM (one or a bundle), DER (.cer, .crt) or
    PKCS#7 (.p7b). Anything else is refused with a message for the `file` field."""
    if not data:
        raise _refused(NO_FILE)
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise _refused(_l("Tệp quá lớn: một chứng thư số chỉ vài KB (tối đa %(mb)s MB).",
                          mb=MAX_CERTIFICATE_BYTES // (1024 * 1024)))
    certificates = []
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            certificates = x509.load_pem_x509_certificates(data)
        elif b"-----BEGIN PKCS7-----" in data:
            certificates = pkcs7.load_pem_pkcs7_certificates(data)
        else:
            try:
                certificates = [x509.load_der_x509_certificate(data)]
            except ValueError:
                certificates = pkcs7.load_der_pkcs7_certificates(data)
        for certificate in certificates:  # parsed lazily: read what is stored, now
            _facts(certificate)
    except (ValueError, TypeError):
        raise _refused(NOT_A_CERTIFICATE) from None
    if not certificates:
        raise _refused(NOT_A_CERTIFICATE)
    if len(certificates) > MAX_CERTIFICATES_PER_FILE:
        raise _refused(_l("Tệp có quá nhiều chứng thư (tối đa %(count)s mỗi tệp).",
                          count=MAX_CERTIFICATES_PER_FILE))
    return certificates


def read_certificate(data: bytes) -> x509.Certificate:
    """One person's certificate: the file's only certificate, or the only one of a bundle that
    is not a CA certificate (a .pem with its chain)."""
    certificates = read_certificates(data)
    if len(certificates) == 1:
        return certificates[0]
    leaves = [c for c in certificates if not is_ca(c)]
    if len(leaves) != 1:
        raise _refused(_l("Tệp có %(count)s chứng thư số: hãy tải lên chứng thư của một "
                          "người.", count=len(certificates)))
    return leaves[0]


def der_of(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def is_self_signed(certificate: x509.Certificate) -> bool:
    if certificate.subject != certificate.issuer:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def common_name(name: x509.Name) -> str:
    values = [a.value for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)]
    text = values[-1] if values else name.rfc4514_string()
    return nfc(str(text)).strip()


def _facts(certificate: x509.Certificate, *, personal: bool = False) -> dict:
    """The stored columns of a certificate row (signing.certificate_facts); the common name
    and the serial only for a PersonalCertificate, which keeps them."""
    from app.security.signing import certificate_facts

    facts = certificate_facts(der_of(certificate))
    if not personal:
        del facts["common_name"], facts["serial"]
    return facts


def _name_of(certificate) -> str:
    return (common_name(certificate.subject) or "?")[:255]


# ---------------------------------------------------------------- trust anchors

class AnchorsAdded(list):
    """The anchors added by one upload; `existing`: those of the file already in the list."""

    def __init__(self, added=(), existing=()):
        super().__init__(added)
        self.existing = list(existing)


def add_trust_anchors(session, user, data: bytes) -> AnchorsAdded:
    """Add the CA certificates of a file (one, or a bundle: root and intermediates). Every
    certificate must be a CA certificate, otherwise nothing is added; those already in the
    list are reported (`.existing`), not stored twice; a file with nothing new is refused."""
    certificates = read_certificates(data)
    not_ca = [_name_of(c) for c in certificates if not is_ca(c)]
    if not_ca:
        raise _refused(_l(
            "«%(names)s» không phải là chứng thư của tổ chức chứng thực (CA): chỉ chứng thư gốc "
            "và chứng thư trung gian của CA mới được thêm vào danh sách tin cậy. Chứng thư "
            "ký số của một người được thêm ở trang «Chứng thư số cá nhân».",
            names="», «".join(not_ca)))
    added, existing, seen = [], [], set()
    for certificate in certificates:
        facts = _facts(certificate)
        if facts["sha256"] in seen:
            continue
        seen.add(facts["sha256"])
        known = session.scalar(select(TrustAnchor).where(TrustAnchor.sha256 == facts["sha256"]))
        if known is not None:
            existing.append(known)
            continue
        anchor = TrustAnchor(name=_name_of(certificate), is_root=is_self_signed(certificate),
                             active=True, added_by_id=getattr(user, "id", None),
                             added_at=utcnow(), **facts)
        session.add(anchor)
        added.append(anchor)
    if not added:
        session.rollback()
        raise _refused(_l("Chứng thư «%(names)s» đã có trong danh sách tin cậy.",
                          names="», «".join(a.name for a in existing)))
    session.commit()
    return AnchorsAdded(added, existing)


def set_anchor_active(session, user, anchor: TrustAnchor, active: bool) -> TrustAnchor:
    """Use an anchor again, or stop using it (kept, for the signatures already checked)."""
    anchor.active = bool(active)
    session.commit()
    return anchor


def anchors(session, active_only=False) -> list[TrustAnchor]:
    query = select(TrustAnchor)
    if active_only:
        query = query.where(TrustAnchor.active.is_(True))
    return session.scalars(query.order_by(TrustAnchor.is_root.desc(), TrustAnchor.name,
                                          TrustAnchor.id)).all()


# ---------------------------------------------------------------- personal certificates

def _person_name(person) -> str:
    return (getattr(person, "full_name", None) or getattr(person, "username", None)
            or str(person))


def _check_person(person):
    if person is None or not getattr(person, "active", False):
        raise _refused(_l("Chọn người sở hữu chứng thư số (một người dùng đang hoạt động)."),
                       "user_id")


def _clean_credential(credential_id) -> str | None:
    text = nfc(str(credential_id or "")).strip()
    if len(text) > CSC_ID_MAX:
        raise _refused(_l("Mã chứng thư trên dịch vụ ký số từ xa dài tối đa %(n)s ký tự.",
                          n=CSC_ID_MAX), "csc_credential_id")
    return text or None


def _personal_row(certificate, person, added_by, confirmed) -> PersonalCertificate:
    return PersonalCertificate(
        user_id=person.id, confirmed=confirmed, active=True,
        added_by_id=getattr(added_by, "id", None), added_at=utcnow(),
        **_facts(certificate, personal=True) | {"common_name": _name_of(certificate)})


def add_personal_certificate(session, user, person, data: bytes, *,
                             csc_credential_id=None) -> PersonalCertificate:
    """The administrator maps a certificate (.cer, .crt, .pem) to a person: confirmed at once.
    Refused: a CA certificate, an expired one, one already mapped to someone else. The same
    certificate proposed earlier for the same person is confirmed."""
    _check_person(person)
    credential = _clean_credential(csc_credential_id)
    certificate = read_certificate(data)
    if is_ca(certificate):
        raise _refused(_l("«%(name)s» là chứng thư của tổ chức chứng thực (CA), không phải "
                          "chứng thư ký số của một người: thêm nó ở trang «Chứng thư số tin "
                          "cậy».", name=_name_of(certificate)))
    facts = _facts(certificate)
    if facts["not_after"] < utcnow():
        raise _refused(_l("Chứng thư số «%(name)s» đã hết hạn ngày %(date)s: không gắn cho "
                          "người dùng.", name=_name_of(certificate),
                          date=format_date(facts["not_after"])))
    known = session.scalar(select(PersonalCertificate).where(
        PersonalCertificate.sha256 == facts["sha256"]))
    if known is not None:
        if known.user_id != person.id:
            raise _refused(_l("Chứng thư số này đã được gắn cho %(name)s.",
                              name=_person_name(known.user)))
        if known.confirmed:
            raise _refused(_l("Chứng thư số này đã có trong danh sách của %(name)s.",
                              name=_person_name(person)))
        known.confirmed = True
        if credential is not None:
            known.csc_credential_id = credential
        _settle_proposal(session, known)
        session.commit()
        return known
    row = _personal_row(certificate, person, user, confirmed=True)
    row.csc_credential_id = credential
    session.add(row)
    session.commit()
    return row


def propose_personal_certificate(session, person, cert_der: bytes, *,
                                 commit: bool = True) -> PersonalCertificate:
    """The certificate of the first signed PDF a person uploaded: recorded unconfirmed for the
    administrators, who are notified, to confirm. Idempotent: a certificate already known is
    returned as it is (whoever it belongs to). `commit=False` when called inside another unit
    of work (the upload that found it): the caller commits."""
    sha256 = fingerprint(cert_der or b"")
    known = session.scalar(select(PersonalCertificate).where(
        PersonalCertificate.sha256 == sha256))
    if known is not None:
        return known
    _check_person(person)
    try:
        certificate = x509.load_der_x509_certificate(cert_der)
        _facts(certificate)
    except (ValueError, TypeError):
        raise DomainError(NOT_A_CERTIFICATE) from None
    if is_ca(certificate):
        raise DomainError(_l("Chữ ký được tạo bằng chứng thư của một tổ chức chứng thực (CA), "
                             "không phải chứng thư ký số của một người."))
    row = _personal_row(certificate, person, person, confirmed=False)
    session.add(row)
    session.flush()
    _notify_administrators(session, person, row)
    if commit:
        session.commit()
    return row


def _subject(row) -> str:
    return f"certificate:{row.id}"


def _notify_administrators(session, person, row):
    from flask_babel import gettext as _

    from app.notifications.services import notify
    from app.security.access import people_with

    administrators = people_with(session, "can_write", RESOURCE)
    notify(session, administrators, _(
        "%(person)s đã dùng chứng thư số «%(name)s» (%(issuer)s) chưa được xác nhận: hãy "
        "kiểm tra và xác nhận đây là chứng thư của người này.", person=_person_name(person),
        name=row.common_name, issuer=common_name_of_text(row.issuer)),
        url="/certificates/personal/?awaiting=1", kind=PROPOSED, subject=_subject(row),
        exclude=person)


def common_name_of_text(rfc4514: str) -> str:
    """'CN=X,O=Y,C=VN' → 'X' (the stored issuer, as shown); the whole text without a CN."""
    try:
        return common_name(x509.Name.from_rfc4514_string(rfc4514)) or rfc4514
    except (ValueError, TypeError):
        return rfc4514


def _settle_proposal(session, row):
    from app.notifications.services import settle_all

    settle_all(session, _subject(row), kinds=[PROPOSED])


def confirm_personal_certificate(session, user, cert: PersonalCertificate):
    """The administrator confirms a proposed certificate is the person's: signatures made with
    it are then that person's. The administrators' notices about it are done."""
    if not cert.confirmed:
        cert.confirmed = True
    _settle_proposal(session, cert)
    session.commit()
    return cert


def set_certificate_active(session, user, cert: PersonalCertificate, active: bool):
    cert.active = bool(active)
    session.commit()
    return cert


def set_csc_credential(session, user, cert: PersonalCertificate, credential_id: str | None):
    """The credential of this certificate at the remote signing service (CSC API); empty:
    none."""
    cert.csc_credential_id = _clean_credential(credential_id)
    session.commit()
    return cert


def personal_certificates(session, *, user_id=None, awaiting=False, limit=500):
    query = select(PersonalCertificate)
    if user_id is not None:
        query = query.where(PersonalCertificate.user_id == user_id)
    if awaiting:
        query = query.where(PersonalCertificate.confirmed.is_(False))
    return session.scalars(query.order_by(PersonalCertificate.confirmed,
                                          PersonalCertificate.id.desc()).limit(limit)).all()


def is_testing(row) -> bool:
    """A certificate of the demo's CA (app.security.testing_ca): "chỉ để thử nghiệm"."""
    from app.security.testing_ca import TESTING_MARK

    return TESTING_MARK in (row.subject or "") or TESTING_MARK in (row.issuer or "")
