"""Where the signing keys live (ký số) and which certificates signatures are checked against.

- The agency's key (the clerk's "ký số của cơ quan", Decree 30 Art. 15–16): on a PKCS#11 token
  or HSM (SIGNING_AGENCY_PKCS11_MODULE/_TOKEN/_PIN/_KEY_LABEL), else in a PKCS#12 file
  (SIGNING_AGENCY_P12_FILE/_PASSWORD), else the demo's (a SoftHSM2 token or a PKCS#12 file under
  INSTANCE_DIR/demo-ca, app.security.demo_signing). `agency_signer()` yields a pyHanko Signer.
- Each signer's own key: at a remote signing service (Cloud Signature Consortium API,
  SIGNING_CSC_URL/_TOKEN), the credential named on the person's confirmed, active
  PersonalCertificate; or, only in the demo (SIGNING_DEMO_PERSONAL_KEYS), a key of the demo CA.
  `personal_signer(session, user)` yields a pyHanko Signer.
- Checking: `verify` / `verify_file` run app.core.pades against the active trust anchors.

Every failure to reach a key is a SigningUnavailable (a DomainError) saying why in Vietnamese:
not configured, token absent, wrong PIN, service unreachable, credential unknown… The PIN never
appears in a message or a log line.

Audit: the callers (who know the document and the file) record each signing with
`record_signing(session, kind, …)` in the same unit of work."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.audit.services import ACTION_LABELS, record
from app.core.errors import DomainError
from app.core.text import nfc
from app.core.timefmt import format_date, utcnow
from app.security.certificates import PersonalCertificate, TrustAnchor

log = logging.getLogger(__name__)

AGENCY_SIGNED, PERSONAL_SIGNED = "agency_signed", "personal_signed"
ACTION_LABELS.setdefault(AGENCY_SIGNED, _l("Ký số của cơ quan"))
ACTION_LABELS.setdefault(PERSONAL_SIGNED, _l("Ký số cá nhân"))

PKCS11, PKCS12, DEMO = "pkcs11", "pkcs12", "demo"
CSC_TIMEOUT = 30  # seconds for each call to the remote signing service
TOKEN_WAIT = 60  # seconds to wait for the agency's token while another signing uses it


class SigningUnavailable(DomainError):
    """A key cannot be used now; the message says why (Vietnamese)."""


# --------------------------------------------------------------------------- certificates

def certificate_facts(der: bytes) -> dict:
    """The stored columns of a certificate row (TrustAnchor, PersonalCertificate)."""
    cert = x509.load_der_x509_certificate(der)
    names = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return {"subject": nfc(cert.subject.rfc4514_string())[:1000],
            "issuer": nfc(cert.issuer.rfc4514_string())[:1000],
            "common_name": nfc(str(names[-1] if names else cert.subject.rfc4514_string()))
            .strip()[:255],
            "serial": format(cert.serial_number, "X")[:80],  # as the CA's pages print it
            "sha256": hashlib.sha256(der).hexdigest(), "der": der,
            "not_before": cert.not_valid_before_utc.astimezone(UTC).replace(tzinfo=None),
            "not_after": cert.not_valid_after_utc.astimezone(UTC).replace(tzinfo=None)}


def _asn1_der(cert) -> bytes:
    """DER of an asn1crypto certificate (pyHanko's signers hold those)."""
    return cert.dump()


def _check_period(cert_der: bytes, whose) -> None:
    facts = certificate_facts(cert_der)
    now = utcnow()
    if facts["not_after"] < now:
        raise SigningUnavailable(_l("Chứng thư số %(whose)s đã hết hạn ngày %(day)s.",
                                    whose=whose, day=format_date(facts["not_after"])))
    if facts["not_before"] > now:
        raise SigningUnavailable(_l("Chứng thư số %(whose)s chưa đến ngày có hiệu lực "
                                    "(%(day)s).", whose=whose,
                                    day=format_date(facts["not_before"])))


def _config(name) -> str:
    return str(current_app.config.get(name) or "").strip()


# --------------------------------------------------------------------------- the agency's key

def agency_key_kind() -> str | None:
    """"pkcs11", "pkcs12", "demo" (the demo's token or file), or None (not configured)."""
    if _config("SIGNING_AGENCY_PKCS11_MODULE"):
        return PKCS11
    if _config("SIGNING_AGENCY_P12_FILE"):
        return PKCS12
    from app.security import demo_signing

    if demo_signing.demo_token() is not None or demo_signing.demo_agency_p12() is not None:
        return DEMO
    return None


AGENCY = _l("của cơ quan")  # whose key: "Chứng thư số của cơ quan …"


@contextmanager
def agency_signer():
    """The agency's key as a pyHanko Signer, for the time of the `with` block (a PKCS#11
    session stays open that long, and other signings with the token wait)."""
    kind = agency_key_kind()
    if kind is None:
        raise SigningUnavailable(_l(
            "Chưa cấu hình khóa ký số của cơ quan (thiết bị ký số PKCS#11 hoặc tệp PKCS#12); "
            "báo quản trị mạng."))
    if kind == PKCS12:
        yield _p12_signer(_config("SIGNING_AGENCY_P12_FILE"),
                          current_app.config.get("SIGNING_AGENCY_P12_PASSWORD") or "")
        return
    if kind == PKCS11:
        with _pkcs11_signer(_config("SIGNING_AGENCY_PKCS11_MODULE"),
                            _config("SIGNING_AGENCY_PKCS11_TOKEN"),
                            str(current_app.config.get("SIGNING_AGENCY_PKCS11_PIN") or ""),
                            _config("SIGNING_AGENCY_PKCS11_KEY_LABEL")) as signer:
            yield signer
        return
    from app.security import demo_signing

    token = demo_signing.demo_token()
    if token is not None:
        with _pkcs11_signer(token.module, token.token_label, token.pin, token.key_label,
                            conf=token.conf) as signer:
            yield signer
        return
    yield _p12_signer(str(demo_signing.demo_agency_p12()), "")


def _p12_signer(path: str, password: str, whose=AGENCY):
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.sign.signers import SimpleSigner

    try:
        data = Path(path).read_bytes()
    except OSError:
        raise SigningUnavailable(_l("Không đọc được tệp khóa ký số %(whose)s (%(path)s).",
                                    whose=whose, path=path)) from None
    secret = password.encode() if password else None
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(data, secret)
    except (ValueError, TypeError):
        raise SigningUnavailable(_l(
            "Không mở được tệp khóa ký số %(whose)s: sai mật khẩu hoặc tệp hỏng.",
            whose=whose)) from None
    if key is None or cert is None:
        raise SigningUnavailable(_l("Tệp khóa ký số %(whose)s không có khóa bí mật hoặc "
                                    "chứng thư số.", whose=whose))
    _check_period(cert.public_bytes(serialization.Encoding.DER), whose)
    try:
        return SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=secret)
    except ValueError:
        raise SigningUnavailable(_l(
            "Không mở được tệp khóa ký số %(whose)s: sai mật khẩu hoặc tệp hỏng.",
            whose=whose)) from None


# PKCS#11: one library per module path for the whole process (python-pkcs11 caches it), and
# a token's login is shared by every session of the process. So one signing with a token at a
# time; and a SoftHSM2 module, which reads SOFTHSM2_CONF once when it is initialised, is loaded
# again when another configuration is wanted (the demo's token, a test's).
_TOKEN_LOCK = threading.RLock()
_LOADED_CONF: dict[str, str | None] = {}


def _library(module: str, conf: str | None):
    import os

    import pkcs11

    wanted = conf if conf is not None else os.environ.get("SOFTHSM2_CONF")
    if module in _LOADED_CONF and _LOADED_CONF[module] != wanted:
        pkcs11.unload(module)
        del _LOADED_CONF[module]
    if module not in _LOADED_CONF:
        before = os.environ.get("SOFTHSM2_CONF")
        if conf is not None:
            os.environ["SOFTHSM2_CONF"] = conf
        try:
            pkcs11.lib(module)
        finally:
            if conf is not None:
                if before is None:
                    os.environ.pop("SOFTHSM2_CONF", None)
                else:
                    os.environ["SOFTHSM2_CONF"] = before
        _LOADED_CONF[module] = wanted
    return pkcs11.lib(module)


def _open_session(module, token_label, pin, conf):
    """An open, logged-in session; a token made since the module was loaded is found by
    loading the module again."""
    import pkcs11
    from pkcs11 import exceptions as p11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import find_token

    if not Path(module).is_file():
        raise SigningUnavailable(_l("Không tìm thấy thư viện PKCS#11 của thiết bị ký số "
                                    "(%(module)s).", module=module))
    criteria = TokenCriteria(label=token_label) if token_label else None
    token = None
    for attempt in (1, 2):
        try:
            library = _library(module, conf)
            token = find_token(library.get_slots(token_present=True), token_criteria=criteria)
        except p11.PKCS11Error:
            token = None
        if token is not None or attempt == 2:
            break
        pkcs11.unload(module)  # tokens appear to a module when it is initialised
        _LOADED_CONF.pop(module, None)
    if token is None:
        raise SigningUnavailable(_l(
            "Không tìm thấy thiết bị ký số «%(token)s» của cơ quan: kiểm tra thiết bị đã được "
            "cắm vào máy chủ và tên thiết bị trong cấu hình.", token=token_label or "?"))
    try:
        return token.open(user_pin=pin) if pin else token.open()
    except p11.PinIncorrect:
        raise SigningUnavailable(_l(
            "Mã PIN của thiết bị ký số của cơ quan không đúng; báo quản trị mạng kiểm tra "
            "cấu hình.")) from None
    except p11.PinLocked:
        raise SigningUnavailable(_l(
            "Thiết bị ký số của cơ quan đã bị khóa do nhập sai mã PIN nhiều lần.")) from None
    except p11.PKCS11Error as error:
        log.warning("PKCS#11 token %r could not be opened: %s", token_label,
                    type(error).__name__)
        raise SigningUnavailable(_l(
            "Không mở được thiết bị ký số của cơ quan (%(reason)s).",
            reason=type(error).__name__)) from None


def _only_key_label(session) -> str | None:
    from pkcs11 import Attribute, ObjectClass

    labels = [key[Attribute.LABEL] for key in session.get_objects(
        {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.SIGN: True})]
    return labels[0] if len(labels) == 1 else None


@contextmanager
def _pkcs11_signer(module, token_label, pin, key_label, conf=None):
    from pkcs11 import exceptions as p11
    from pyhanko.sign.pkcs11 import PKCS11Signer

    if not _TOKEN_LOCK.acquire(timeout=TOKEN_WAIT):
        raise SigningUnavailable(_l("Thiết bị ký số của cơ quan đang bận; vui lòng thử lại "
                                    "sau ít phút."))
    try:
        session = _open_session(module, token_label, pin, conf)
        try:
            label = key_label or _only_key_label(session)
            signer = PKCS11Signer(session, key_label=label, cert_label=label,
                                  other_certs_to_pull=None)
            try:
                cert_der = _asn1_der(signer.signing_cert)  # loads the key and the certificates
            except p11.PKCS11Error:
                raise SigningUnavailable(_l(
                    "Không tìm thấy khóa «%(label)s» và chứng thư số cùng tên trên thiết bị ký "
                    "số của cơ quan.", label=label or "?")) from None
            _check_period(cert_der, AGENCY)
            try:
                yield signer
            except p11.PKCS11Error as error:
                log.warning("PKCS#11 signing failed: %s", type(error).__name__)
                raise SigningUnavailable(_l(
                    "Thiết bị ký số của cơ quan báo lỗi khi ký (%(reason)s); vui lòng thử lại "
                    "hoặc báo quản trị mạng.", reason=type(error).__name__)) from error
        finally:
            try:
                session.close()
            except p11.PKCS11Error:
                pass
    finally:
        _TOKEN_LOCK.release()


# --------------------------------------------------------------------------- each signer's key

def _of(name):
    return _l("của %(name)s", name=name)


def _person(user) -> str:
    return getattr(user, "full_name", None) or getattr(user, "username", None) or "?"


def _usable_certificates(session, user):
    """The user's confirmed, active certificates valid now, newest first."""
    now = utcnow()
    return session.scalars(select(PersonalCertificate).where(
        PersonalCertificate.user_id == user.id, PersonalCertificate.confirmed.is_(True),
        PersonalCertificate.active.is_(True), PersonalCertificate.not_before <= now,
        PersonalCertificate.not_after > now)
        .order_by(PersonalCertificate.not_after.desc(), PersonalCertificate.id.desc())).all()


def _csc_certificate(session, user):
    for cert in _usable_certificates(session, user):
        if (cert.csc_credential_id or "").strip():
            return cert
    return None


def _demo_p12(session, user):
    """The user's demo key file, when the demo keys are on (SIGNING_DEMO_PERSONAL_KEYS)."""
    if not current_app.config.get("SIGNING_DEMO_PERSONAL_KEYS"):
        return None
    from app.security import demo_signing

    return demo_signing.demo_personal_p12(user.username)


def personal_signing_available(session, user) -> bool:
    """Whether `personal_signer` has a key to try for the user (no network call: the service
    may still refuse)."""
    if user is None or getattr(user, "id", None) is None:
        return False
    if _config("SIGNING_CSC_URL") and _csc_certificate(session, user) is not None:
        return True
    path = _demo_p12(session, user)
    if path is None:
        return False
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        _key, cert, _chain = pkcs12.load_key_and_certificates(path.read_bytes(), None)
    except (OSError, ValueError, TypeError):
        return False
    sha = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return any(c.sha256 == sha for c in _usable_certificates(session, user))


@contextmanager
def personal_signer(session, user):
    """The user's own key as a pyHanko Signer: the remote signing service's credential of the
    user's confirmed, active certificate; or, only with SIGNING_DEMO_PERSONAL_KEYS, the demo
    key of the user. SigningUnavailable says why there is none."""
    if user is None or getattr(user, "id", None) is None:
        raise SigningUnavailable(_l("Không xác định được người ký."))
    name = _person(user)
    certificate = _csc_certificate(session, user)
    if certificate is not None and _config("SIGNING_CSC_URL"):
        with _remote_signer(certificate, name) as signer:
            yield signer
        return
    path = _demo_p12(session, user)
    if path is not None:
        signer = _p12_signer(str(path), "", whose=_of(name))
        sha = hashlib.sha256(_asn1_der(signer.signing_cert)).hexdigest()
        if not any(c.sha256 == sha for c in _usable_certificates(session, user)):
            raise SigningUnavailable(_l(
                "Chứng thư số mẫu của %(name)s chưa được xác nhận hoặc đã ngừng sử dụng.",
                name=name))
        yield signer
        return
    if certificate is not None:
        raise SigningUnavailable(_l("Chưa cấu hình dịch vụ ký số từ xa (SIGNING_CSC_URL); báo "
                                    "quản trị mạng."))
    raise SigningUnavailable(_l(
        "%(name)s chưa có chứng thư số ký từ xa được xác nhận và còn hiệu lực: quản trị mạng "
        "cần gán chứng thư số và mã chứng thư trên dịch vụ ký số từ xa cho người ký.",
        name=name))


def _run(coroutine):
    """Run a coroutine to its end from synchronous code (in a thread of its own when an event
    loop already runs in this one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _csc_timeout() -> int:
    return int(current_app.config.get("SIGNING_CSC_TIMEOUT") or CSC_TIMEOUT)


def _remote_failure(error: BaseException, name: str, credential: str) -> SigningUnavailable:
    """The Vietnamese reason for a failed call to the remote signing service."""
    import aiohttp

    host = urlsplit(_config("SIGNING_CSC_URL")).netloc or _config("SIGNING_CSC_URL")
    seen, current = set(), error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, aiohttp.ClientResponseError):
            if current.status in (401, 403):
                return SigningUnavailable(_l(
                    "Dịch vụ ký số từ xa từ chối yêu cầu (mã truy cập SIGNING_CSC_TOKEN sai hoặc "
                    "đã hết hạn); báo quản trị mạng."))
            if current.status in (400, 404):
                return SigningUnavailable(_l(
                    "Dịch vụ ký số từ xa không nhận chứng thư «%(credential)s» của %(name)s; "
                    "kiểm tra mã chứng thư đã gán cho người ký.", credential=credential,
                    name=name))
            return SigningUnavailable(_l(
                "Dịch vụ ký số từ xa báo lỗi (HTTP %(status)s); vui lòng thử lại sau.",
                status=current.status))
        if isinstance(current, TimeoutError):
            return SigningUnavailable(_l(
                "Dịch vụ ký số từ xa (%(host)s) không trả lời trong %(seconds)s giây; vui lòng "
                "thử lại sau.", host=host, seconds=_csc_timeout()))
        if isinstance(current, aiohttp.ClientError | OSError):
            return SigningUnavailable(_l(
                "Không kết nối được dịch vụ ký số từ xa (%(host)s); vui lòng thử lại sau.",
                host=host))
        current = current.__cause__ or current.__context__
    return SigningUnavailable(_l(
        "Dịch vụ ký số từ xa trả lời không như mong đợi; chưa ký được. Vui lòng thử lại hoặc "
        "báo quản trị mạng."))


def _csc_classes():
    """The CSC signer and authorisation (pyHanko), made for one `with` block: an aiohttp
    session per call to the service, in whatever event loop pades.sign runs."""
    import aiohttp
    from pyhanko.sign.signers.csc_signer import CSCAuthorizationManager, CSCSigner

    class Authorization(CSCAuthorizationManager):
        http = None
        timeout = CSC_TIMEOUT

        async def authorize_signature(self, hash_b64s):
            request = self.format_csc_auth_request(hash_b64s=hash_b64s)
            async with self.http.post(
                    self.csc_session_info.endpoint_url("credentials/authorize"),
                    headers=self.auth_headers, json=request, raise_for_status=True,
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                return self.parse_csc_auth_response(await response.json())

    class RemoteSigner(CSCSigner):
        failure: BaseException | None = None

        async def _do_commit(self, batch):
            try:
                async with aiohttp.ClientSession() as http:
                    self.session = self.auth_manager.http = http
                    await super()._do_commit(batch)
            except BaseException as error:
                self.failure = error
                raise
            finally:
                self.session = self.auth_manager.http = None

    return Authorization, RemoteSigner


@contextmanager
def _remote_signer(certificate: PersonalCertificate, name: str):
    import aiohttp
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.signers.csc_signer import (
        CSCServiceSessionInfo, fetch_certs_in_csc_credential,
    )

    credential = certificate.csc_credential_id.strip()
    info = CSCServiceSessionInfo(service_url=_config("SIGNING_CSC_URL").rstrip("/"),
                                 credential_id=credential,
                                 oauth_token=_config("SIGNING_CSC_TOKEN") or None)
    timeout = _csc_timeout()

    async def fetch():
        async with aiohttp.ClientSession() as http:
            return await asyncio.wait_for(
                fetch_certs_in_csc_credential(http, info, timeout=timeout), timeout + 1)

    try:
        credential_info = _run(fetch())
    except (SigningError, aiohttp.ClientError, OSError, TimeoutError) as error:
        log.warning("CSC credentials/info for %s failed: %r", credential, error)
        raise _remote_failure(error, name, credential) from None
    served = hashlib.sha256(_asn1_der(credential_info.signing_cert)).hexdigest()
    if served != certificate.sha256:
        raise SigningUnavailable(_l(
            "Chứng thư số trên dịch vụ ký số từ xa («%(credential)s») không khớp chứng thư đã "
            "xác nhận cho %(name)s; báo quản trị mạng.", credential=credential, name=name))
    _check_period(_asn1_der(credential_info.signing_cert), _of(name))
    authorization_class, signer_class = _csc_classes()
    authorization = authorization_class(info, credential_info)
    authorization.timeout = timeout
    signer = signer_class(session=None, auth_manager=authorization, sign_timeout=timeout)
    try:
        yield signer
    except Exception as error:
        if signer.failure is None:
            raise
        log.warning("CSC signing for %s failed: %r", credential, signer.failure)
        raise _remote_failure(signer.failure, name, credential) from error


# --------------------------------------------------------------------------- checking

def timestamp_url() -> str | None:
    """The RFC 3161 time-stamping service (PAdES-B-T), or None (B-B)."""
    return _config("SIGNING_TSA_URL") or None


def trust_material(session) -> dict:
    """The active trust anchors: {"trust_roots": [DER of roots], "other_certs": [DER of
    intermediates]}."""
    anchors = session.scalars(select(TrustAnchor).where(TrustAnchor.active.is_(True))
                              .order_by(TrustAnchor.id)).all()
    return {"trust_roots": [bytes(a.der) for a in anchors if a.is_root],
            "other_certs": [bytes(a.der) for a in anchors if not a.is_root]}


def verify(session, data: bytes):
    """app.core.pades.verify_pdf against the active anchors, fetching revocation data for at
    most SIGNING_FETCH_TIMEOUT seconds. Raises DomainError for what is not a readable PDF."""
    from app.core import pades

    material = trust_material(session)
    return pades.verify_pdf(data, material["trust_roots"], other_certs=material["other_certs"],
                            fetch_timeout=int(current_app.config.get("SIGNING_FETCH_TIMEOUT")
                                              or 0))


def _unreadable_report(message):
    """An INVALID report for a PDF whose signatures cannot be read: one entry, "malformed",
    with pades' own message (a damaged or encrypted file)."""
    from flask_babel import gettext as _

    from app.core import pades

    check = pades.SignatureCheck(
        field=_("Tệp PDF"), signer="", organisation="", serial="", certificate_sha256="",
        signing_time=None, timestamped=False, level="", intact=False, covers_whole=False,
        trusted=False, revocation="not_applicable", state=pades.INVALID,
        reasons=[{"code": "malformed", "params": {"detail": str(message)}}])
    return pades.Report(state=pades.INVALID, signatures=[check],
                        checked_at=datetime.now(UTC).replace(microsecond=0).isoformat())


def verify_file(session, record, data: bytes | None = None):
    """Check a stored PDF's signatures and keep the result on its DocumentFile (state, report
    JSON, checked_at). Not a PDF: None, nothing changed. A PDF pades cannot read is "invalid"
    with the reason. The caller commits."""
    if record is None or not record.is_pdf:
        return None
    if data is None:
        from app.core.storage import read_file

        try:
            data = read_file(record)
        except OSError:
            log.warning("Stored file %s missing: signatures not checked", record.storage_name)
            return None
    try:
        report = verify(session, data)
    except DomainError as error:
        report = _unreadable_report(error.message)
    record.signature_state = report.state
    record.signature_report = report.to_json()
    record.signature_checked_at = utcnow()
    return report


def person_of_certificate(session, cert_der: bytes):
    """The confirmed, active PersonalCertificate of this certificate, or None."""
    if not cert_der:
        return None
    sha = hashlib.sha256(bytes(cert_der)).hexdigest()
    return session.scalar(select(PersonalCertificate).where(
        PersonalCertificate.sha256 == sha, PersonalCertificate.confirmed.is_(True),
        PersonalCertificate.active.is_(True)))


# --------------------------------------------------------------------------- audit

def record_signing(session, kind: str, *, object_type: str, object_id, what: str,
                   certificate_der: bytes | None = None, file_name: str | None = None) -> None:
    """One audit line for a signature made: kind AGENCY_SIGNED or PERSONAL_SIGNED, on which
    record (e.g. "outgoing_document", 12), `what` in Vietnamese ("Văn bản số 12/QĐ-SNV"), with
    the certificate used and the signed file's name. Committed with the caller's work."""
    changes = {}
    if certificate_der:
        facts = certificate_facts(bytes(certificate_der))
        changes.update(certificate=facts["common_name"], serial=facts["serial"],
                       sha256=facts["sha256"])
    if file_name:
        changes["file"] = file_name
    if kind == AGENCY_SIGNED:
        changes["key"] = agency_key_kind()
    record(session, kind, object_type=object_type, object_id=object_id, summary=what,
           changes=changes or None)
