"""Digital signatures in PDF (ký số, PAdES): verify the signatures of a PDF, prepare a draft for
signing, sign it (incremental update, ETSI.CAdES.detached, SHA-256) and check an upload.

Pure functions on bytes, no database (Decree 30/2020 Art. 8, 13, 15–18, 21.2, Appendix I;
DOMAIN.md §6). Built on pyHanko (difference analysis, CMS, appearance streams) and
pyhanko-certvalidator (chains, revocation).

Verification never says "Hợp lệ" (valid) unless every check passed:
- the signed bytes are intact and the CMS signature is cryptographically right;
- the signature covers its whole revision, and what was added later is only form filling or
  further signatures (pyHanko's difference analysis; annotations and anything else: invalid);
- the signer's certificate chains to one of the given trust anchors and was valid at the
  signing time (the time of a trusted timestamp token, else the time the signer claims);
- its revocation status was checked (CRL/OCSP) when the certificate declares where it is
  published; a certificate that declares nothing has revocation "not_applicable".
A signature that cannot be decided (untrusted chain, revocation not checkable, unsupported
format, untrusted timestamp) is "unknown"; one that fails a check is "invalid".
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app.core.errors import DomainError

_log = logging.getLogger(__name__)
# pyHanko logs every certificate path it cannot build (an untrusted signer: the everyday case
# of a PDF from another agency whose CA is not configured) as a warning with a traceback; the
# report says it in Vietnamese, the log keeps only errors.
for _name in ("pyhanko.sign.validation", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.ERROR)

VALID, INVALID, UNKNOWN, UNSIGNED = "valid", "invalid", "unknown", "unsigned"
STATE_LABELS = {VALID: _l("Hợp lệ"), INVALID: _l("Không hợp lệ"),
                UNKNOWN: _l("Không xác định"), UNSIGNED: _l("Không có chữ ký số")}

AGENCY_FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
FALLBACK_FONTS = ("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
                  "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
                  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
NUMBER_FIELD, DATE_FIELD = "so_ky_hieu", "ngay_ban_hanh"
BLUE = (0.0, 0.0, 1.0)
SIGNER_COLOR = (0.0, 0.0, 0.0)
AGENCY_FONT_SIZE = 10
SIGNER_FONT_SIZE = 9
FIELD_FONT_SIZE = 13  # the number and date lines are Times 13–14 in Appendix I
MM = 72 / 25.4
NUMBER_WIDTH, DATE_WIDTH = 30 * MM, 45 * MM  # the shortest number and date fields

# -------------------------------------------------------------------------------- reasons
# Every reason a verification can give: code → Vietnamese text (params interpolated).
REASONS = {
    "malformed": _l("Chữ ký số có cấu trúc không hợp lệ, không đọc được"),
    "unsupported": _l("Định dạng chữ ký số không được hỗ trợ (%(format)s)"),
    "content_changed": _l("Nội dung đã bị thay đổi sau khi ký"),
    "signature_broken": _l("Chữ ký số không khớp với chứng thư số của người ký (sai về mật mã)"),
    "not_covering": _l("Chữ ký không bao trùm toàn bộ văn bản"),
    "changed_after": _l("Văn bản đã bị sửa đổi sau khi ký (%(what)s)"),
    "docmdp": _l("Văn bản đã bị sửa đổi vượt quá mức người ký cho phép"),
    "later_changes_allowed": _l("Sau khi ký, văn bản chỉ được bổ sung các thay đổi được phép "
                                "(%(what)s)"),
    "cert_expired": _l("Chứng thư số đã hết hạn tại thời điểm ký (hết hạn ngày %(date)s)"),
    "cert_not_yet_valid": _l("Chứng thư số chưa có hiệu lực tại thời điểm ký (có hiệu lực từ "
                             "ngày %(date)s)"),
    "revoked": _l("Chứng thư số đã bị thu hồi (ngày %(date)s)"),
    "revoked_ca": _l("Chứng thư số của tổ chức cung cấp dịch vụ chứng thực đã bị thu hồi "
                     "(ngày %(date)s)"),
    "untrusted": _l("Chứng thư số không thuộc tổ chức cung cấp dịch vụ chứng thực tin cậy đã "
                    "cấu hình"),
    "chain_invalid": _l("Chuỗi chứng thư số không hợp lệ"),
    "weak_algorithm": _l("Chữ ký số dùng thuật toán không còn được chấp nhận"),
    "cert_usage": _l("Chứng thư số không được cấp cho mục đích ký số"),
    "revocation_unchecked": _l("Chưa kiểm tra được tình trạng thu hồi của chứng thư số"),
    "timestamp_invalid": _l("Dấu thời gian của chữ ký không hợp lệ"),
    "timestamp_untrusted": _l("Dấu thời gian của chữ ký không do tổ chức cung cấp dịch vụ "
                              "cấp dấu thời gian tin cậy cấp"),
}
CHANGE_KINDS = {
    "form_filling": _l("điền thông tin vào ô biểu mẫu, ký thêm"),
    "signatures": _l("ký thêm, bổ sung thông tin kiểm tra chữ ký"),
    "annotations": _l("thêm ghi chú, chú thích lên văn bản"),
    "other": _l("thay đổi nội dung hoặc cấu trúc văn bản"),
}


def reason_text(code: str, params: dict | None = None) -> str:
    """The Vietnamese text of a reason code (see REASONS)."""
    params = dict(params or {})
    if "what" in params:
        params["what"] = str(CHANGE_KINDS.get(params["what"], CHANGE_KINDS["other"]))
    template = REASONS.get(code)
    if template is None:
        return str(_l("Chữ ký số không kiểm tra được"))
    if code == "malformed" and params.get("detail"):  # a Vietnamese message given by the caller
        return f"{template}: {params['detail']}"
    try:
        return str(template) % params if "%(" in str(template) else str(template)
    except (KeyError, TypeError, ValueError):
        return str(template).split(" (%(")[0]


# -------------------------------------------------------------------------------- the report
@dataclass
class SignatureCheck:
    field: str
    signer: str = ""
    organisation: str = ""
    serial: str = ""
    certificate_sha256: str = ""
    signing_time: str | None = None
    timestamped: bool = False
    level: str = ""
    intact: bool = False
    covers_whole: bool = False
    trusted: bool = False
    revocation: str = "unchecked"
    state: str = INVALID
    reasons: list[dict] = dataclasses.field(default_factory=list)

    def add(self, code: str, **params) -> None:
        self.reasons.append({"code": code, "params": params})


@dataclass
class Report:
    state: str
    signatures: list[SignatureCheck]
    checked_at: str

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Report | None:
        if not text:
            return None
        try:
            raw = json.loads(text)
            names = {f.name for f in dataclasses.fields(SignatureCheck)}
            signatures = [SignatureCheck(**{k: v for k, v in item.items() if k in names})
                          for item in raw.get("signatures") or []]
            return cls(state=str(raw["state"]), signatures=signatures,
                       checked_at=str(raw.get("checked_at") or ""))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS.get(self.state, STATE_LABELS[UNKNOWN]))

    def reasons(self) -> list[str]:
        several = len(self.signatures) > 1
        texts = []
        for signature in self.signatures:
            for reason in signature.reasons:
                text = reason_text(reason.get("code", ""), reason.get("params") or {})
                texts.append(f"{signature.signer or signature.field}: {text}" if several
                             else text)
        return texts

    def summary(self) -> str:
        from app.core.timefmt import format_datetime
        label = str(_l("Chữ ký số"))
        if not self.signatures:
            return f"{label}: {self.state_label}"
        people = []
        for signature in self.signatures:
            when = _parse_iso(signature.signing_time)
            name = signature.signer or signature.field
            people.append(f"{name} ({format_datetime(when)})" if when else name)
        return f"{label}: {self.state_label} — " + "; ".join(people)


def _parse_iso(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _overall(signatures: list[SignatureCheck]) -> str:
    if not signatures:
        return UNSIGNED
    states = {s.state for s in signatures}
    if INVALID in states:
        return INVALID
    if UNKNOWN in states:
        return UNKNOWN
    return VALID


# -------------------------------------------------------------------------------- helpers
def _run(coroutine):
    """Run a coroutine to its end from synchronous code, also when an event loop already runs
    in this thread (then in a worker thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _open(data: bytes):
    """pyHanko's reader of a readable, unencrypted PDF, or DomainError (the messages of
    app.core.pdf)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from app.core import pdf

    if not isinstance(data, bytes | bytearray) or not data.startswith(b"%PDF-"):
        raise DomainError(pdf.PDF_NOT_PDF)
    if b"%%EOF" not in bytes(data).rstrip(b"\r\n\t \x00")[-1024:]:
        raise DomainError(pdf.PDF_DAMAGED)
    try:
        reader = PdfFileReader(io.BytesIO(bytes(data)), strict=False)
    except Exception as error:  # noqa: BLE001 — pyHanko raises many kinds on broken input
        raise DomainError(pdf.PDF_DAMAGED) from error
    try:
        encrypted = reader.encrypted or "/Encrypt" in reader.trailer
    except Exception:  # noqa: BLE001
        encrypted = True
    if encrypted:
        raise DomainError(pdf.PDF_ENCRYPTED)
    try:
        pages = reader.root["/Pages"]
        if int(pages.get("/Count", 0)) < 1:
            raise DomainError(pdf.PDF_DAMAGED)
    except DomainError:
        raise
    except Exception as error:  # noqa: BLE001
        raise DomainError(pdf.PDF_DAMAGED) from error
    return reader


def _font_path() -> str:
    if Path(AGENCY_FONT).is_file():
        return AGENCY_FONT
    try:
        from flask import current_app
        configured = current_app.config.get("PDF_FONT_PATH")
        if configured and Path(configured).is_file():
            return configured
    except RuntimeError:  # outside an application
        pass
    for path in FALLBACK_FONTS:
        if Path(path).is_file():
            return path
    raise DomainError(_l("Chưa cài phông chữ để tạo hình ảnh chữ ký số."))


def _name_part(name, key: str) -> str:
    try:
        value = name.native.get(key)
    except Exception:  # noqa: BLE001
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


def _load_certs(items) -> list:
    from asn1crypto import pem, x509
    certs = []
    for item in items or ():
        try:
            if isinstance(item, x509.Certificate):
                certs.append(item)
                continue
            raw = bytes(item)
            if pem.detect(raw):
                raw = pem.unarmor(raw)[2]
            certs.append(x509.Certificate.load(raw))
        except Exception:  # noqa: BLE001 — a broken anchor is skipped, not trusted
            _log.warning("skipping an unreadable certificate")
    return certs


def _load_crls(items) -> list:
    from asn1crypto import crl, pem
    lists = []
    for item in items or ():
        try:
            raw = bytes(item)
            if pem.detect(raw):
                raw = pem.unarmor(raw)[2]
            parsed = crl.CertificateList.load(raw)
            _ = parsed.native  # parse now: a broken list must not break the verification
            lists.append(parsed)
        except Exception:  # noqa: BLE001
            _log.warning("skipping an unreadable CRL")
    return lists


def _declares_revocation(cert) -> bool:
    try:
        return bool(cert.crl_distribution_points or cert.ocsp_urls)
    except Exception:  # noqa: BLE001
        return True  # unreadable extension: do not claim "not applicable"


def _listed_in(cert, crl_lists) -> dt.datetime | None:
    """The revocation date of `cert` in one of the given CRLs issued by its issuer."""
    for listed in crl_lists:
        try:
            if listed.issuer != cert.issuer:
                continue
            for entry in listed["tbs_cert_list"]["revoked_certificates"]:
                if entry["user_certificate"].native == cert.serial_number:
                    return entry["revocation_date"].native
        except Exception:  # noqa: BLE001
            continue
    return None


# -------------------------------------------------------------------------------- verify
def verify_pdf(data: bytes, trust_roots: list[bytes], *, other_certs: list[bytes] = (),
               crls: list[bytes] = (), fetch_timeout: int = 0, moment=None) -> Report:
    """Check every signature of a PDF (see the module's docstring). `trust_roots`: DER (or PEM)
    certificates of the trusted CAs; `other_certs`: intermediates to help build chains;
    `crls`: revocation lists at hand; `fetch_timeout` > 0 allows fetching CRLs/OCSP (seconds per
    request); `moment`: when the check is made (default now). DomainError when the file is not
    a readable, unencrypted PDF."""
    reader = _open(data)
    now = moment or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    context = _Context(_load_certs(trust_roots), _load_certs(other_certs), _load_crls(crls),
                       int(fetch_timeout or 0), now)
    checks = _run(_verify_all(reader, context))
    return Report(state=_overall(checks), signatures=checks, checked_at=_iso(now))


@dataclass
class _Context:
    roots: list
    others: list
    crls: list
    fetch_timeout: int
    now: dt.datetime
    has_dss: bool = False
    timestamps_after: list = field(default_factory=list)  # revisions of document timestamps

    def validation_context(self, moment, mode: str, extra_certs=()):
        from pyhanko_certvalidator import ValidationContext
        kwargs = {}
        if self.fetch_timeout > 0:
            from pyhanko_certvalidator.fetchers.requests_fetchers import (
                RequestsFetcherBackend,
            )
            kwargs["fetcher_backend"] = RequestsFetcherBackend(
                per_request_timeout=self.fetch_timeout)
        return ValidationContext(
            trust_roots=list(self.roots), other_certs=list(self.others) + list(extra_certs),
            crls=list(self.crls), moment=moment, best_signature_time=moment,
            allow_fetching=self.fetch_timeout > 0, revocation_mode=mode,
            retroactive_revinfo=True, **kwargs)


class _UnreadableFields(Exception):
    """The form's signature fields cannot be enumerated."""


def _signature_fields(reader, *, strict: bool = False):
    """(name, signature dictionary or None, field) of every filled signature field. When the
    form cannot be read: [] (or _UnreadableFields when `strict`)."""
    from pyhanko.sign.fields import enumerate_sig_fields
    try:
        return list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as error:  # noqa: BLE001
        _log.warning("unreadable signature fields", exc_info=True)
        if strict:
            raise _UnreadableFields() from error
        return []


async def _verify_all(reader, context: _Context) -> list[SignatureCheck]:
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    try:
        context.has_dss = "/DSS" in reader.root
    except Exception:  # noqa: BLE001
        context.has_dss = False
    regular, broken = [], []
    try:
        found = _signature_fields(reader, strict=True)
    except _UnreadableFields:
        return [_broken("?", "malformed")]  # never "unsigned" when the form is unreadable
    for name, value, sig_field in found:
        try:
            sig_type = value.get_object().get("/Type", "/Sig") if value is not None else None
            subfilter = str(value.get_object().get("/SubFilter", "")) if value else ""
        except Exception:  # noqa: BLE001
            broken.append(_broken(str(name), "malformed"))
            continue
        if subfilter not in ("/ETSI.CAdES.detached", "/adbe.pkcs7.detached",
                             "/ETSI.RFC3161"):
            check = _broken(str(name), "unsupported", format=subfilter.lstrip("/") or "?")
            check.state = UNKNOWN
            broken.append(check)
            continue
        try:
            embedded = EmbeddedPdfSignature(reader, sig_field, name)
            revision = embedded.signed_revision
        except Exception:  # noqa: BLE001 — garbage /Contents, /ByteRange…
            broken.append(_broken(str(name), "malformed"))
            continue
        if sig_type == "/DocTimeStamp":
            context.timestamps_after.append(revision)
        else:
            regular.append((revision, embedded))
    regular.sort(key=lambda item: item[0])
    checks = []
    for revision, embedded in regular:
        try:
            checks.append(await _verify_one(embedded, revision, context))
        except Exception:  # noqa: BLE001 — never raise on a malformed signature
            _log.warning("signature %s could not be checked", embedded.field_name,
                         exc_info=True)
            checks.append(_broken(str(embedded.field_name), "malformed"))
    return checks + broken


def _broken(name: str, code: str, **params) -> SignatureCheck:
    check = SignatureCheck(field=name, state=INVALID, revocation="unchecked")
    check.add(code, **params)
    return check


async def _verify_one(embedded, revision: int, context: _Context) -> SignatureCheck:
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
    from pyhanko.sign.diff_analysis.policy_api import DiffResult
    from pyhanko.sign.validation import generic_cms
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    check = SignatureCheck(field=str(embedded.field_name))
    cert = embedded.signer_cert
    check.signer = _name_part(cert.subject, "common_name")
    check.organisation = _name_part(cert.subject, "organization_name")
    check.serial = format(cert.serial_number, "x")
    check.certificate_sha256 = hashlib.sha256(cert.dump()).hexdigest()
    subfilter = str(embedded.sig_object.get("/SubFilter", ""))
    invalid, unknown = [], []

    # 1. integrity: the signed bytes, the CMS signature
    digest = embedded.compute_digest()
    try:
        intact, valid = generic_cms.validate_sig_integrity(
            embedded.signer_info, cert, expected_content_type="data", actual_digest=digest)
    except Exception:  # noqa: BLE001
        intact = valid = False
    check.intact = bool(intact and valid)
    if not intact:
        invalid.append(("content_changed", {}))
    elif not valid:
        invalid.append(("signature_broken", {}))

    # 2. coverage and what came after
    embedded.compute_integrity_info(diff_policy=DEFAULT_DIFF_POLICY)
    info = embedded.summarise_integrity_info()
    coverage, diff = info["coverage"], info["diff_result"]
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        check.covers_whole = True
    elif coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        level = diff.modification_level if isinstance(diff, DiffResult) else \
            ModificationLevel.OTHER
        if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
                     ModificationLevel.FORM_FILLING):
            check.covers_whole = True
            kind = "form_filling" if level == ModificationLevel.FORM_FILLING else "signatures"
            if info.get("docmdp_ok") is False:
                invalid.append(("docmdp", {}))
            else:
                check.add("later_changes_allowed", what=kind)
        elif level == ModificationLevel.ANNOTATIONS:
            invalid.append(("changed_after", {"what": "annotations"}))
        else:
            invalid.append(("changed_after", {"what": "other"}))
    else:
        invalid.append(("not_covering", {}))

    # 3. time: a trusted signature timestamp, else the time the signer claims
    ts_context = context.validation_context(context.now, "soft-fail",
                                            embedded.other_embedded_certs)
    try:
        timing = await generic_cms.collect_timing_info(
            embedded.signer_info, ts_context, raw_digest=embedded.compute_digest)
    except Exception:  # noqa: BLE001
        timing = {}
        unknown.append(("timestamp_invalid", {}))
    claimed = timing.get("signer_reported_dt") or embedded.self_reported_timestamp
    token = timing.get("timestamp_validity")
    signing_time = claimed
    if token is not None:
        check.timestamped = True
        if not (token.intact and token.valid):
            invalid.append(("timestamp_invalid", {}))
        elif not token.trusted:
            unknown.append(("timestamp_untrusted", {}))
        else:
            signing_time = token.timestamp
    check.signing_time = _iso(signing_time)
    check.level = _level(subfilter, token is not None, context, revision)

    # 4. the certificate at the signing time
    if check.intact:
        problems = await _check_certificate(embedded, cert, signing_time or context.now,
                                            context, check, trusted_time=(
                                                token is not None and token.trusted))
        for code, params, blocking in problems:
            (invalid if blocking else unknown).append((code, params))
    else:
        check.revocation = "unchecked"

    for code, params in invalid + unknown:
        check.add(code, **params)
    if invalid:
        check.state = INVALID
    elif unknown:
        check.state = UNKNOWN
    else:
        check.state = VALID
    # the problems first, then the notes ("later_changes_allowed")
    check.reasons.sort(key=lambda r: r["code"] == "later_changes_allowed")
    return check


def _level(subfilter: str, timestamped: bool, context: _Context, revision: int) -> str:
    if subfilter != "/ETSI.CAdES.detached":
        return "PKCS#7" + ("-T" if timestamped else "")
    if not timestamped:
        return "PAdES-B-B"
    if any(later > revision for later in context.timestamps_after):
        return "PAdES-B-LTA" if context.has_dss else "PAdES-B-T"
    return "PAdES-B-LT" if context.has_dss else "PAdES-B-T"


def _day(value) -> str:
    try:
        from app.core.timefmt import format_date
        return format_date(value)
    except Exception:  # noqa: BLE001
        return str(value)


async def _check_certificate(embedded, cert, when, context: _Context, check: SignatureCheck,
                             *, trusted_time: bool) -> list[tuple[str, dict, bool]]:
    """[(code, params, blocking)]; sets check.trusted and check.revocation."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator import errors as cv

    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    # the validity period first: an expired certificate is invalid, whatever the chain
    not_before, not_after = cert.not_valid_before, cert.not_valid_after
    if when > not_after + dt.timedelta(seconds=1):
        check.revocation = "unchecked"
        return [("cert_expired", {"date": _day(not_after)}, True)]
    if when < not_before - dt.timedelta(seconds=1):
        check.revocation = "unchecked"
        return [("cert_not_yet_valid", {"date": _day(not_before)}, True)]
    usage = _usage_problem(cert)
    if usage:
        return [usage]

    intermediates = list(embedded.other_embedded_certs)
    declares = _declares_revocation(cert)

    async def attempt(mode: str):
        validator = CertificateValidator(
            cert, intermediate_certs=intermediates,
            validation_context=context.validation_context(when, mode, intermediates))
        return await validator.async_validate_path()

    revocation = "checked"
    try:
        path = await attempt("hard-fail")
    except cv.RevokedError as error:
        check.revocation = "revoked"
        date = _day(getattr(error, "revocation_dt", None) or when)
        return [("revoked" if getattr(error, "is_ee_cert", True) else "revoked_ca",
                 {"date": date}, True)]
    except cv.PathBuildingError:
        check.revocation = "unchecked"
        return [("untrusted", {}, False)]
    except cv.ExpiredError:
        check.revocation = "unchecked"
        return [("chain_invalid", {}, True)]  # an issuing CA expired at the signing time
    except cv.NotYetValidError:
        check.revocation = "unchecked"
        return [("chain_invalid", {}, True)]
    except cv.DisallowedAlgorithmError:
        check.revocation = "unchecked"
        return [("weak_algorithm", {}, False)]
    except cv.InsufficientRevinfoError:
        # revocation information declared but not at hand (not fetched, unreachable)
        try:
            path = await attempt("soft-fail")
        except cv.RevokedError as error:
            check.revocation = "revoked"
            return [("revoked", {"date": _day(getattr(error, "revocation_dt", when))}, True)]
        except cv.PathBuildingError:
            check.revocation = "unchecked"
            return [("untrusted", {}, False)]
        except (cv.ValidationError, cv.PathError, ValueError):
            check.revocation = "unchecked"
            return [("chain_invalid", {}, False)]
        revocation = "unchecked"
    except (cv.InvalidCertificateError, cv.PathValidationError, cv.ValidationError):
        check.revocation = "unchecked"
        return [("chain_invalid", {}, True)]
    except (cv.PathError, ValueError):
        check.revocation = "unchecked"
        return [("chain_invalid", {}, False)]

    check.trusted = True
    problems = []
    if revocation == "unchecked":
        check.revocation = "unchecked"
        problems.append(("revocation_unchecked", {}, False))
    elif not any(_declares_revocation(c) for c in list(path)[1:]) and not declares:
        check.revocation = "not_applicable"
    else:
        check.revocation = "checked"
    # Without a trusted timestamp the claimed time proves nothing: a revocation listed in the
    # lists at hand counts whenever it happened.
    if not trusted_time:
        revoked_at = _listed_in(cert, context.crls)
        if revoked_at is not None:
            check.revocation = "revoked"
            check.trusted = False
            return [("revoked", {"date": _day(revoked_at)}, True)]
    return problems


def _usage_problem(cert):
    """A certificate whose key usage excludes signing (when it states one)."""
    try:
        usage = cert.key_usage_value
    except Exception:  # noqa: BLE001
        return None
    if usage is None:
        return None
    if not ({"digital_signature", "non_repudiation"} & set(usage.native)):
        return ("cert_usage", {}, True)
    return None


# -------------------------------------------------------------------------------- appearance
@dataclass
class Appearance:
    lines: list[str]
    kind: str = "signer"
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    image: bytes | None = None
    near_text: str | None = None


def _page_box(page) -> tuple[float, float, float, float]:
    box = page.get("/CropBox") or page.get("/MediaBox") or [0, 0, 595.28, 841.89]
    x1, y1, x2, y2 = (float(v) for v in box)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _text_items(data: bytes, page_index: int) -> list[tuple[str, float, float, float, float]]:
    """(text, x, y, font size, width) of the pieces of text shown on a page, in user space.
    The width is the one the page's own font gives (app.core.stamp_place's walk of the
    content stream) when found, else the width in the Times-compatible font."""
    from pypdf import PdfReader

    from app.core import stamp_place
    found = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text or not text.strip():
            return
        try:
            a, b, c, d, e, f = (float(v) for v in tm)
            ca, cb, cc, cd, ce, cf = (float(v) for v in cm)
            x, y = e * ca + f * cc + ce, e * cb + f * cd + cf
            scale = (b * b + d * d) ** 0.5 if (b or d) else 1.0
            found.append((text, x, y, float(font_size or 0) * (scale or 1.0)))
        except (TypeError, ValueError):
            pass

    boxes = []
    try:
        page = PdfReader(io.BytesIO(data), strict=False).pages[page_index]
        page.extract_text(visitor_text=visit)
        for corners in stamp_place._walk(page).text_boxes:
            xs, ys = [p[0] for p in corners], [p[1] for p in corners]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
    except Exception:  # noqa: BLE001 — no text layer to read: defaults are used
        _log.info("no text positions on page %s", page_index, exc_info=True)
    items = []
    for text, x, y, size in found:
        width = next((bx2 - bx1 for bx1, by1, bx2, by2 in boxes
                      if abs(bx1 - x) < 1.0 and by1 <= y <= by2), None)
        items.append((text, x, y, size, width or _text_width(text.strip(), size or 12)))
    return items


def _prefix_width(text: str, width: float, size: float, prefix: str) -> float:
    """The width of the start `prefix` of a shown `text` whose whole width is `width`."""
    whole = _text_width(text, size)
    part = _text_width(prefix, size)
    return part * width / whole if whole > 0 else part


def _text_width(text: str, size: float) -> float:
    try:
        from reportlab.pdfbase import pdfmetrics

        from app.core.pdf import register_fonts
        regular, _ = register_fonts(_font_path())
        return pdfmetrics.stringWidth(text, regular, size)
    except Exception:  # noqa: BLE001
        return len(text) * size * 0.5


def _agency_box(page_box, lines) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = page_box
    width = max((_text_width(line, AGENCY_FONT_SIZE) for line in lines), default=100) + 8
    width = min(max(width, 60 * MM), (x2 - x1) / 2)
    height = AGENCY_FONT_SIZE * 1.25 * max(len(lines), 1) + 8
    right, top = x2 - 8 * MM, y2 - 5 * MM
    return right - width, top - height, right, top


def _signer_box(data: bytes, page_index: int, page_box, appearance: Appearance):
    x1, y1, x2, y2 = page_box
    width = 75 * MM
    height = max(SIGNER_FONT_SIZE * 1.3 * max(len(appearance.lines), 1) + 10, 22 * MM)
    items = _text_items(data, page_index)
    if appearance.near_text:
        wanted = " ".join(appearance.near_text.split()).casefold()
        for text, x, y, size, shown in items:
            if wanted and wanted in " ".join(text.split()).casefold():
                size = size or 12
                centre = x + shown / 2
                left = min(max(centre - width / 2, x1 + 5 * MM), x2 - 5 * MM - width)
                bottom = y + size * 1.1
                # the space between the name and the line above it (the title: GIÁM ĐỐC…)
                above = [iy - 0.3 * isize for _, ix, iy, isize, _ in items
                         if iy > bottom and left - 20 <= ix <= left + width + 20]
                top = min(above, default=bottom + height)
                if top - bottom < 12 * MM:  # no room: over the text rather than too small
                    top = bottom + height
                return left, bottom, left + width, min(top, bottom + height, y2 - 5 * MM)
    # under the last line of text, on the right (where the signature block is)
    low = min((y for _, _, y, _, _ in items if y > y1 + 20 * MM), default=None)
    right = x2 - 20 * MM
    top = (low - 6) if low is not None else y1 + 25 * MM + height
    bottom = max(top - height, y1 + 20 * MM)
    return right - width, bottom, right, bottom + height


def _render_box(width: float, height: float, lines: list[str], *, size: float, color,
                image: bytes | None = None, align_middle: bool = False,
                background=None) -> bytes:
    """A one-page PDF of the box's size showing `lines` (and the image on the left), drawn
    with reportlab with the TrueType font embedded (subset): Vietnamese marks render in every
    viewer. pyHanko imports the page as the appearance's form XObject."""
    from app.core.pdf import REPORTLAB_LOCK, register_fonts
    with REPORTLAB_LOCK:
        return _draw_box(width, height, lines, size=size, color=color, image=image,
                         align_middle=align_middle, fonts=register_fonts(_font_path()),
                         background=background)


def _draw_box(width, height, lines, *, size, color, image, align_middle, fonts,
              background=None) -> bytes:
    from reportlab.lib.utils import ImageReader, simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    from app.core.text import nfc

    regular, _ = fonts
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(width, height), invariant=True, pageCompression=1)
    if background is not None:  # a filled field hides the blanks typed under it
        c.setFillColorRGB(*background)
        c.rect(0, 0, width, height, stroke=0, fill=1)
    left = 2.0
    if image:
        try:
            picture = ImageReader(io.BytesIO(image))
            pw, ph = picture.getSize()
        except Exception as error:  # noqa: BLE001
            raise DomainError(_l("Ảnh chữ ký không đọc được (cần tệp PNG).")) from error
        room_w, room_h = width * 0.4 - 4, height - 4
        scale = min(room_w / pw, room_h / ph) if pw and ph else 0
        if scale > 0:
            c.drawImage(picture, 2 + (room_w - pw * scale) / 2, 2 + (room_h - ph * scale) / 2,
                        pw * scale, ph * scale, mask="auto")
        left = width * 0.4 + 2
    room = width - left - 2
    texts = [nfc(" ".join(str(line).split())) for line in lines]
    # the largest size (at most `size`) at which the wrapped lines fit the box
    current = float(size)
    while True:
        wrapped = [part for text in texts
                   for part in (simpleSplit(text, regular, current, room) or [""])]
        leading = current * 1.25
        if len(wrapped) * leading + 2 <= height or current <= 5:
            break
        current -= 0.5
    c.setFillColorRGB(*color)
    c.setFont(regular, current)
    total = len(wrapped) * leading
    y = (height + total) / 2 - current if align_middle else height - 2 - current
    for part in wrapped:
        if pdfmetrics.stringWidth(part, regular, current) > room:
            c.setFont(regular, max(current * room / pdfmetrics.stringWidth(
                part, regular, current), 4))
        c.drawString(left, y, part)
        c.setFont(regular, current)
        y -= leading
    c.showPage()
    c.save()
    return buffer.getvalue()


def _import_page(writer, pdf_bytes: bytes):
    """The first page of `pdf_bytes` as a form XObject of `writer` (an indirect reference)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    return writer.import_page_as_xobject(PdfFileReader(io.BytesIO(pdf_bytes)), page_ix=0)


def _stamp_style(appearance: Appearance, box):
    """A pyHanko stamp style whose whole content is the box drawn by `_render_box`."""
    import binascii

    from pyhanko.pdf_utils import content, layout
    from pyhanko.stamp import StaticStampStyle

    agency = appearance.kind == "agency"
    width, height = box[2] - box[0], box[3] - box[1]
    drawn = _render_box(width, height, appearance.lines,
                        size=AGENCY_FONT_SIZE if agency else SIGNER_FONT_SIZE,
                        color=BLUE if agency else SIGNER_COLOR,
                        image=None if agency else appearance.image)

    class _Drawn(content.PdfContent):
        def render(self) -> bytes:
            xobject = _import_page(self._ensure_writer, drawn)
            name = "/Sig" + binascii.hexlify(hashlib.sha256(drawn).digest()[:8]).decode()
            self.resources.xobject[name] = xobject
            self.box = layout.BoxConstraints(width=width, height=height)
            return name.encode("ascii") + b" Do"

    return StaticStampStyle(
        background=_Drawn(), border_width=0, background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(), inner_content_scaling=layout.InnerScaling.NO_SCALING))


# -------------------------------------------------------------------------------- prepare
def _field_names(reader) -> set[str]:
    try:
        fields = reader.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        return set()
    names = set()
    for ref in fields:
        try:
            names.add(str(ref.get_object().get("/T", "")))
        except Exception:  # noqa: BLE001
            continue
    return names


def _field_places(data: bytes, page_box) -> tuple[dict, dict]:
    """Where the number and the date go on page 1: after "Số:" and after "ngày" on the place
    and date line when the text layer has them, else under the agency block (left) and under
    the motto (right)."""
    x1, y1, x2, y2 = page_box
    height = FIELD_FONT_SIZE * 1.5
    number = (x1 + 25 * MM, y2 - 62 * MM, x1 + 95 * MM, y2 - 62 * MM + height)
    date = (x1 + (x2 - x1) / 2 + 5 * MM, y2 - 62 * MM, x2 - 15 * MM, y2 - 62 * MM + height)
    labels = {}
    for text, x, y, size, shown in _text_items(data, 0):
        size = size or 12
        if y < y1 + (y2 - y1) / 2:
            continue  # the top half of the page only
        compact = " ".join(text.split())
        # The field runs from after the label to the end of the line as typed ("Số:    /QĐ-SNV",
        # "ngày    tháng    năm 2026") and, once filled, covers it with the number and symbol
        # or the date as issued (white ground): at least NUMBER_WIDTH or DATE_WIDTH long.
        if "Số:" in compact and number[0] == x1 + 25 * MM:
            start = x + _prefix_width(text.strip(), shown, size, compact[:compact.index(
                "Số:") + 3]) + 0.4 * size
            end = max(x + shown + 1, start + NUMBER_WIDTH)
            number = (start, y - size * 0.3, min(end, x2 - 5 * MM), y - size * 0.3 + height)
            labels[NUMBER_FIELD] = "Số:"
        elif "ngày" in compact and date[0] == x1 + (x2 - x1) / 2 + 5 * MM and x > x1 + 60 * MM:
            start = x + _prefix_width(text.strip(), shown, size, compact[:compact.index(
                "ngày") + 4]) + 0.4 * size
            end = max(x + shown + 1, start + DATE_WIDTH)
            date = (start, y - size * 0.3, min(end, x2 - 5 * MM), y - size * 0.3 + height)
            labels[DATE_FIELD] = "ngày"
    return {NUMBER_FIELD: number, DATE_FIELD: date}, labels


def prepare_for_signing(data: bytes) -> bytes:
    """The draft as the signer signs it: two empty text fields on page 1 (NUMBER_FIELD,
    DATE_FIELD) added in an incremental update, filled later by the clerk's `sign(fill=…)`.
    Deterministic (same input → same bytes) and idempotent (already prepared → unchanged)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    reader = _open(data)
    if {NUMBER_FIELD, DATE_FIELD} <= _field_names(reader):
        return bytes(data)
    if _signature_fields(reader):
        raise DomainError(_l("Văn bản đã có chữ ký số, không chuẩn bị lại để ký được."))
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(bytes(data)), strict=False)
        # deterministic: no modification date, an ID derived from the content
        writer._update_meta = lambda: None
        digest = hashlib.sha256(bytes(data)).digest()
        first = writer._document_id[0] if writer._document_id else \
            generic.ByteStringObject(digest[:16])
        writer._document_id = generic.ArrayObject([first, generic.ByteStringObject(
            digest[16:])])
        page_ref = writer.find_page_for_modification(0)[0]
        page = page_ref.get_object()
        places, labels = _field_places(bytes(data), _page_box(page))
        root = writer.root
        if "/AcroForm" in root:
            form = root["/AcroForm"]
            form_ref = root.raw_get("/AcroForm")
            if isinstance(form_ref, generic.IndirectObject):
                writer.mark_update(form_ref)
            else:
                writer.update_root()
        else:
            form = generic.DictionaryObject({generic.pdf_name("/Fields"): generic.ArrayObject()})
            root[generic.pdf_name("/AcroForm")] = writer.add_object(form)
            writer.update_root()
        if "/Fields" not in form:
            form[generic.pdf_name("/Fields")] = generic.ArrayObject()
        fields = form["/Fields"]
        resources = form.setdefault(generic.pdf_name("/DR"), generic.DictionaryObject())
        fonts = resources.setdefault(generic.pdf_name("/Font"), generic.DictionaryObject())
        if "/Helv" not in fonts:
            fonts[generic.pdf_name("/Helv")] = writer.add_object(generic.DictionaryObject({
                generic.pdf_name("/Type"): generic.pdf_name("/Font"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
                generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
                generic.pdf_name("/Encoding"): generic.pdf_name("/WinAnsiEncoding")}))
        annots = page.get("/Annots")
        if annots is None:
            annots = generic.ArrayObject()
            page[generic.pdf_name("/Annots")] = annots
        elif isinstance(page.raw_get("/Annots"), generic.IndirectObject):
            writer.mark_update(page.raw_get("/Annots"))
        writer.mark_update(page_ref)
        for name in (NUMBER_FIELD, DATE_FIELD):
            rect = places[name]
            appearance = generic.StreamObject({
                generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
                generic.pdf_name("/BBox"): generic.ArrayObject(
                    [generic.FloatObject(0), generic.FloatObject(0),
                     generic.FloatObject(round(rect[2] - rect[0], 2)),
                     generic.FloatObject(round(rect[3] - rect[1], 2))])},
                stream_data=b"/Tx BMC EMC")
            widget = generic.DictionaryObject({
                generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Widget"),
                generic.pdf_name("/FT"): generic.pdf_name("/Tx"),
                generic.pdf_name("/T"): generic.TextStringObject(name),
                generic.pdf_name("/Ff"): generic.NumberObject(1),  # read-only for viewers
                generic.pdf_name("/F"): generic.NumberObject(4),  # printed
                generic.pdf_name("/Rect"): generic.ArrayObject(
                    [generic.FloatObject(round(v, 2)) for v in rect]),
                generic.pdf_name("/DA"): generic.TextStringObject(
                    f"/Helv {FIELD_FONT_SIZE} Tf 0 g"),
                generic.pdf_name("/P"): page_ref,
                generic.pdf_name("/AP"): generic.DictionaryObject({
                    generic.pdf_name("/N"): writer.add_object(appearance)}),
            })
            if name in labels:  # the field follows the letter's own label ("Số:", "ngày")
                widget[generic.pdf_name(AFTER_LABEL)] = generic.TextStringObject(labels[name])
            ref = writer.add_object(widget)
            fields.append(ref)
            annots.append(ref)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except DomainError:
        raise
    except Exception as error:  # noqa: BLE001
        from app.core import pdf
        _log.warning("could not prepare a PDF for signing", exc_info=True)
        raise DomainError(pdf.PDF_DAMAGED) from error


# -------------------------------------------------------------------------------- sign
# A prepared field placed right after the letter's own label keeps that label here, so that
# the value filled in ("Số: 12/QĐ-SNV", "Hà Nam, ngày 03 tháng 12 năm 2026") is written
# without repeating it ("12/QĐ-SNV", "03 tháng 12 năm 2026").
AFTER_LABEL = "/EofficeAfterLabel"


def _after_label(value: str, label) -> str:
    label = str(label or "")
    if label and label in value:
        return value[value.index(label) + len(label):].strip()
    return value


def _fill_fields(writer, values: dict[str, str]) -> None:
    """Set the value and the appearance of existing text fields (form filling)."""
    from pyhanko.pdf_utils import generic

    try:
        fields = writer.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        fields = []
    wanted = {str(k): str(v) for k, v in values.items()}
    found = set()
    for ref in fields:
        field_dict = ref.get_object()
        name = str(field_dict.get("/T", ""))
        if name not in wanted or field_dict.get("/FT") != "/Tx":
            continue
        found.add(name)
        value = _after_label(wanted[name], field_dict.get(AFTER_LABEL))
        field_dict[generic.pdf_name("/V")] = generic.TextStringObject(value)
        writer.mark_update(ref)
        widgets = [ref] if "/Rect" in field_dict else list(field_dict.get("/Kids", []))
        for widget_ref in widgets:
            widget = widget_ref.get_object()
            x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
            drawn = _render_box(abs(x2 - x1), abs(y2 - y1), [value],
                                size=FIELD_FONT_SIZE, color=(0, 0, 0), align_middle=True,
                                background=(1, 1, 1))
            widget[generic.pdf_name("/AP")] = generic.DictionaryObject(
                {generic.pdf_name("/N"): _import_page(writer, drawn)})
            if widget_ref is not ref:
                writer.mark_update(widget_ref)
    missing = set(wanted) - found
    if missing:
        raise DomainError(_l("Văn bản không có ô %(names)s để điền số và ngày.",
                             names=", ".join(sorted(missing))))


async def sign_async(data: bytes, signer, *, field_name: str, appearance: Appearance,
                     timestamp_url: str | None = None, fill: dict[str, str] | None = None,
                     timestamper=None) -> bytes:
    """`sign` for callers that run an event loop (pyHanko's async signers, e.g. CSC)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields as sig_fields
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    _open(data)
    if not field_name or not str(field_name).strip():
        raise DomainError(_l("Thiếu tên ô chữ ký."))
    _font_path()  # DomainError early when no font is installed
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(bytes(data)), strict=False)
        if fill:
            _fill_fields(writer, fill)
        count = int(writer.root["/Pages"]["/Count"])
        agency = appearance.kind == "agency"
        page_index = appearance.page if appearance.page is not None else (
            0 if agency else count - 1)
        page_index = min(max(int(page_index), 0), count - 1)
        page = writer.find_page_for_modification(page_index)[0].get_object()
        page_box = _page_box(page)
        box = appearance.box or (_agency_box(page_box, appearance.lines) if agency
                                 else _signer_box(bytes(data), page_index, page_box, appearance))
        box = tuple(int(round(v)) for v in box)
        if timestamper is None and timestamp_url:
            from pyhanko.sign.timestamps import HTTPTimeStamper
            timestamper = HTTPTimeStamper(timestamp_url, timeout=10)
        meta = signers.PdfSignatureMetadata(
            field_name=field_name, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
            use_pades_lta=False)
        pdf_signer = signers.PdfSigner(
            meta, signer=signer, timestamper=timestamper,
            stamp_style=_stamp_style(appearance, box),
            new_field_spec=sig_fields.SigFieldSpec(sig_field_name=field_name,
                                                   on_page=page_index, box=box))
        out = await pdf_signer.async_sign_pdf(writer)
        return out.getvalue()
    except DomainError:
        raise
    except Exception as error:
        _log.warning("signing failed", exc_info=True)
        # the cause (a wrong PIN, an unreachable signing service…) stays in __cause__
        raise DomainError(_l("Không ký số được văn bản. Vui lòng kiểm tra thiết bị ký số "
                             "hoặc dịch vụ ký số và thử lại.")) from error


def sign(data: bytes, signer, *, field_name: str, appearance: Appearance,
         timestamp_url: str | None = None, fill: dict[str, str] | None = None,
         timestamper=None) -> bytes:
    """Fill the given text fields (form filling) and add a visible PAdES signature
    (ETSI.CAdES.detached, SHA-256), in one incremental update; B-T with a timestamp from
    `timestamp_url` (RFC 3161) or the given pyHanko `timestamper`, else B-B. `signer`: any
    pyHanko Signer (SimpleSigner, PKCS11Signer, CSCSigner). Callable from code that runs an
    event loop too (the signing then runs in a worker thread); async callers may await
    `sign_async` instead."""
    return _run(sign_async(data, signer, field_name=field_name, appearance=appearance,
                           timestamp_url=timestamp_url, fill=fill, timestamper=timestamper))


# -------------------------------------------------------------------------------- uploads
def _upload_policy():
    """pyHanko's default difference policy, except that the first signature of a document may
    set /SigFlags in the form dictionary (the draft had no signature yet)."""
    from pyhanko.sign.diff_analysis import (
        DEFAULT_DIFF_POLICY,
        FormUpdatingRule,
        GenericFieldModificationRule,
        SigFieldCreationRule,
        SigFieldModificationRule,
        StandardDiffPolicy,
    )
    from pyhanko.sign.diff_analysis.constants import ACROFORM_EXEMPT_STRICT_COMPARISON
    return StandardDiffPolicy(
        global_rules=DEFAULT_DIFF_POLICY.global_rules,
        form_rule=FormUpdatingRule(
            field_rules=[SigFieldCreationRule(), SigFieldModificationRule(),
                         GenericFieldModificationRule()],
            ignored_acroform_keys=ACROFORM_EXEMPT_STRICT_COMPARISON | {"/SigFlags"}))


def extends(original: bytes, signed: bytes) -> bool:
    """Whether `signed` is `original` plus incremental updates only, whose last revision adds
    exactly one signature covering the whole `signed` file, and nothing but that signature and
    form filling was added (no new page, no changed content)."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.diff_analysis.policy_api import DiffResult
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    original, signed = bytes(original or b""), bytes(signed or b"")
    if not original or len(signed) <= len(original) or not signed.startswith(original):
        return False
    try:
        before = _open(original)
        after = _open(signed)
        old = {str(name) for name, _, _ in _signature_fields(before)}
        new = [(name, sig_field) for name, _, sig_field in _signature_fields(after)
               if str(name) not in old]
        if len(new) != 1:
            return False
        embedded = EmbeddedPdfSignature(after, new[0][1], new[0][0])
        if embedded.sig_object_type != "/Sig":
            return False
        if embedded.evaluate_signature_coverage() != SignatureCoverageLevel.ENTIRE_FILE:
            return False
        base = before.xrefs.total_revisions - 1
        result = _upload_policy().review_file(after, base)
        return isinstance(result, DiffResult) and result.modification_level in (
            ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
            ModificationLevel.FORM_FILLING)
    except Exception:  # noqa: BLE001 — anything unreadable is not a proper signed upload
        _log.info("upload does not extend the draft", exc_info=True)
        return False


def signer_certificate(data: bytes, index: int = -1) -> bytes:
    """DER of the signer certificate of a signature (in signing order; the last by default)."""
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    reader = _open(data)
    signatures = []
    for name, value, sig_field in _signature_fields(reader):
        try:
            if value is not None and value.get_object().get("/Type", "/Sig") == "/DocTimeStamp":
                continue
            embedded = EmbeddedPdfSignature(reader, sig_field, name)
            signatures.append((embedded.signed_revision, embedded.signer_cert.dump()))
        except Exception:  # noqa: BLE001
            continue
    signatures.sort(key=lambda item: item[0])
    try:
        return signatures[index][1]
    except IndexError as error:
        raise DomainError(_l("Văn bản không có chữ ký số đọc được.")) from error
