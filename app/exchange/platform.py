"""Trục liên thông văn bản quốc gia (VDXP, Văn phòng Chính phủ) and the provincial LGSP axes
that speak the same protocol: a small client and the services the exchange worker calls.

The protocol, as modelled here
------------------------------
There is no published specification we could read; the client follows the vendor SDK the
platform hands out to document systems (`SDKVXP-2.0.1.jar`, package `com.vpcp.services`:
`KnobstickServiceImp` for documents, `AgencyServiceImp` for the agency list, `VnptService`
for authentication), as decompiled in public integrations (github.com/PVN-Organization/
API-Gateway-iOffice, `JDK 1.8/SDKVXP_Example`) and as a C# integration calls its .NET twin
(`VPCPXRoadSdk`: getReceivedEdocList / getEdoc / updateStatus with status "done", "fail",
"processing").

* Every operation is `POST {base URL}/{operation}`: `getAgenciesList`, `registerAgency`,
  `sendEdoc`, `getReceivedEdocList`, `getEdoc`, `updateStatus`.
* Parameters travel as HTTP headers, not in the body (the SDK's "json header" map):
  `systemid`, `timestamp` (ddMMyyyy'T'HHmmss+SSSS), `servicetype` ("eDoc"),
  `messagetype` ("edoc" for documents, "status" for edXML status messages), `from`, `to`,
  `docId`, `status`, `description`.
* Authentication, as `VnptService.addXroadVnptHashHeader` does it: each parameter `name` is
  sent as `XroadVnpt-name`; `XroadVnpt-sign-header-key` lists the names (";"-separated),
  `XroadVnpt-sign-header` is the JSON object {"XroadVnpt-name": value, …} and
  `XroadVnpt-hash-header` its HMAC-SHA256 (hex) keyed with the system's secret. The secret
  itself never travels.
* Answers are JSON: `{"status": "OK" | "FAIL", "ErrorCode": "0", "ErrorDesc": "…"}` plus
  `DocId` (sendEdoc), `data` (a list for the lists, the base64 edXML for getEdoc). A list item
  of received documents: `docId`, `from`, `to`, `messageType`, `created_time`, `status`.
  An agency: `id`, `code` (the electronic ID), `name`, `mail`, `pid`.
* sendEdoc uploads the edXML as the multipart part `file_doc`, with its SHA-256 in the
  `hash-file` header.

Where the sources are silent we chose, and a real platform may differ (check on the test axis
before going live): `to` is a JSON list of electronic IDs; `getReceivedEdocList` takes
`fromDate` (ISO 8601 UTC, "2026-03-05T08:30:00") and `created_time` is written the same way;
`updateStatus` takes `description` with the reasons of a refusal; `registerAgency` takes its
JSON {id, pcode, code, name, mail, mobile, fax} as the body.

Transport: urllib only. Transient failures (timeouts, refused connections, 5xx, 429) are tried
again a few times inside a call with a short exponential back-off; a refusal (4xx, or a
"FAIL" answer) raises PlatformError at once. sendEdoc is not idempotent: inside a call it is
tried again only when the platform certainly did not take the package (connection refused,
429, 503); a timeout or another 5xx is left to the outbox's own back-off.

Never twice: see `send` (outgoing) and `poll` (incoming)."""
import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.catalogs.models import Agency
from app.core.errors import DomainError
from app.core.text import nfc
from app.exchange import edxml, services
from app.exchange.models import PLATFORM, ExchangeInbound, ExchangePartner

log = logging.getLogger(__name__)

USER_AGENT = "eoffice-exchange/1.0 XRoad/VPCP"
PROTOCOL_VERSION = "3.0.201608"  # what the SDK announces in XroadVnpt-version
DOCUMENT, STATUS = "edoc", "status"  # messagetype
ACKNOWLEDGED, PROCESSING, REFUSED = "done", "processing", "fail"  # updateStatus
WATERMARK_FILE = "exchange-platform.json"
OVERLAP = timedelta(minutes=10)  # asked again of each listing: clocks and late commits


class PlatformError(DomainError):
    """The platform refused (transient=False) or could not be reached (transient=True)."""

    def __init__(self, message, *, transient=False, code=None):
        super().__init__(message)
        self.transient, self.code = transient, code


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _parse_time(value):
    try:
        return datetime.fromisoformat(str(value).replace("Z", "")[:26])
    except (TypeError, ValueError):
        return None


def sign_headers(params: dict, secret: str) -> dict:
    """The HTTP headers of a call: the parameters as XroadVnpt-*, the list of their names, the
    signed JSON and its HMAC-SHA256 keyed with the secret (VnptService of the SDK). The HMAC is
    taken over the JSON exactly as it is sent (ASCII: HTTP headers are Latin-1)."""
    signed = {f"XroadVnpt-{name}": str(value) for name, value in params.items()}
    document = json.dumps(signed, separators=(",", ":"))
    headers = dict(signed)
    headers.update({"XroadVnpt-sign-header-key": ";".join(params),
                    "XroadVnpt-sign-header": document,
                    "XroadVnpt-hash-header": hmac.new(secret.encode("utf-8"), document.encode(
                        "ascii"), hashlib.sha256).hexdigest(),
                    "User-Agent": USER_AGENT, "XroadVnpt-version": PROTOCOL_VERSION})
    return headers


def check_signature(headers, secret: str) -> bool:
    """The other side of sign_headers (the simulator uses it): the HMAC of the signed JSON is
    right and that JSON names exactly the headers actually sent, with their values."""
    document = headers.get("XroadVnpt-sign-header") or ""
    expected = hmac.new(secret.encode("utf-8"), document.encode("utf-8"),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("XroadVnpt-hash-header") or ""):
        return False
    try:
        signed = json.loads(document)
    except ValueError:
        return False
    names = [n for n in (headers.get("XroadVnpt-sign-header-key") or "").split(";") if n]
    return isinstance(signed, dict) and \
        sorted(signed) == sorted(f"XroadVnpt-{n}" for n in names) and \
        all(headers.get(key) == value for key, value in signed.items())


class PlatformClient:
    """The six operations we need of the platform. `retries` further tries of a transient
    failure, `backoff` seconds before the first of them (doubled each time)."""

    def __init__(self, base_url, system_id, secret, *, timeout=30.0, retries=3, backoff=0.5):
        if not base_url or not system_id or not secret:
            raise PlatformError(_l("Chưa cấu hình trục liên thông (EXCHANGE_PLATFORM_URL, "
                                   "EXCHANGE_PLATFORM_SYSTEM_ID, EXCHANGE_PLATFORM_SECRET)."),
                                transient=True)
        self.base_url, self.system_id, self.secret = base_url.rstrip("/"), system_id, secret
        self.timeout, self.retries, self.backoff = float(timeout), int(retries), float(backoff)

    # ------------------------------------------------------------ the operations

    def agencies(self) -> list[dict]:
        """getAgenciesList: [{"id", "code" (electronic ID), "name", "mail", "pid"}]."""
        answer = self._call("getAgenciesList", {})
        return [a for a in answer.get("data") or [] if isinstance(a, dict)]

    def register_agency(self, code, name, *, mail="", mobile="", fax="", parent="") -> dict:
        """registerAgency: our agency (or an update of it) in the platform's catalog."""
        body = json.dumps({"id": "", "pcode": parent, "code": code, "name": name,
                           "mail": mail, "mobile": mobile, "fax": fax},
                          ensure_ascii=False).encode("utf-8")
        return self._call("registerAgency", {}, body=body,
                          content_type="application/json; charset=utf-8")

    def send(self, data: bytes, to: list[str], *, sender: str = "",
             message_type=DOCUMENT) -> str:
        """sendEdoc: an edXML package (or status) to one or many agencies; the platform's id."""
        boundary = uuid.uuid4().hex
        body = b"".join([
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="file_doc"; filename="goitin.edxml"\r\n',
            b"Content-Type: application/xml\r\n\r\n", data,
            f"\r\n--{boundary}--\r\n".encode()])
        params = {"servicetype": "eDoc", "messagetype": message_type,
                  "to": json.dumps(list(to)), "hash-file": hashlib.sha256(data).hexdigest()}
        if sender:
            params["from"] = sender
        answer = self._call("sendEdoc", params, body=body, idempotent=False,
                            content_type=f"multipart/form-data; boundary={boundary}")
        doc_id = str(answer.get("DocId") or "").strip()
        if not doc_id:
            raise PlatformError(_l("Trục liên thông không trả về mã gói tin (DocId)."),
                                transient=True)
        return doc_id

    def received(self, since: datetime | None = None, message_type=DOCUMENT) -> list[dict]:
        """getReceivedEdocList: what waits for us (not yet acknowledged), since a time."""
        params = {"servicetype": "eDoc", "messagetype": message_type}
        if since is not None:
            params["fromDate"] = _iso(since)
        answer = self._call("getReceivedEdocList", params)
        return [d for d in answer.get("data") or [] if isinstance(d, dict) and d.get("docId")]

    def fetch(self, doc_id: str) -> bytes:
        """getEdoc: the edXML bytes of one package."""
        answer = self._call("getEdoc", {"docId": doc_id})
        try:
            return base64.b64decode(answer.get("data") or "", validate=True)
        except (ValueError, TypeError) as error:
            raise PlatformError(_l("Trục liên thông trả về gói tin %(id)s không đọc được.",
                                   id=doc_id)) from error

    def update_status(self, doc_id: str, status: str, description: str = "") -> None:
        """updateStatus: "processing" (received), "done" (acknowledged) or "fail" (refused)."""
        params = {"docId": doc_id, "status": status}
        if description:
            # Headers are Latin-1: the reasons go percent-encoded (UTF-8).
            params["description"] = urllib.request.quote(description[:2000], safe=" ,.:;()")
        self._call("updateStatus", params)

    # ------------------------------------------------------------ transport

    def _call(self, operation, params, *, body=b"", content_type="application/json",
              idempotent=True) -> dict:
        attempt = 0
        while True:
            try:
                return self._once(operation, params, body, content_type)
            except PlatformError as error:
                retry_here = error.transient and attempt < self.retries and (
                    idempotent or error.code in ("refused", 429, 503))
                if not retry_here:
                    raise
                time.sleep(self.backoff * (2 ** attempt))
                attempt += 1

    def _once(self, operation, params, body, content_type) -> dict:
        now = datetime.now()
        stamp = now.strftime("%d%m%Y") + "T" + now.strftime("%H%M%S") + \
            f"+{now.microsecond // 100:04d}"
        headers = sign_headers({"systemid": self.system_id, "timestamp": stamp, **params},
                               self.secret)
        headers["Content-Type"] = content_type
        request = urllib.request.Request(f"{self.base_url}/{operation}", data=body or b"{}",
                                         method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except TimeoutError as error:
            raise PlatformError(_l("Trục liên thông không trả lời trong %(s)s giây (%(op)s).",
                                   s=f"{self.timeout:g}", op=operation),
                                transient=True, code="timeout") from error
        except urllib.error.URLError as error:
            reason = error.reason
            refused = isinstance(reason, ConnectionRefusedError)
            if isinstance(reason, TimeoutError):
                raise PlatformError(_l("Trục liên thông không trả lời trong %(s)s giây "
                                       "(%(op)s).", s=f"{self.timeout:g}", op=operation),
                                    transient=True, code="timeout") from error
            raise PlatformError(_l("Không kết nối được trục liên thông: %(e)s", e=reason),
                                transient=True, code="refused" if refused else "network") \
                from error
        except (ConnectionError, OSError) as error:  # reset in the middle of the answer
            raise PlatformError(_l("Không kết nối được trục liên thông: %(e)s", e=error),
                                transient=True, code="network") from error
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        reason = str(answer.get("ErrorDesc") or "").strip() or \
            raw[:300].decode("utf-8", errors="replace")
        if status == 429 or status >= 500:
            raise PlatformError(_l("Trục liên thông tạm thời không xử lý được (HTTP %(code)s):"
                                   " %(e)s", code=status, e=reason), transient=True, code=status)
        if status in (401, 403):
            raise PlatformError(_l("Trục liên thông từ chối xác thực (HTTP %(code)s): kiểm tra "
                                   "EXCHANGE_PLATFORM_SYSTEM_ID và EXCHANGE_PLATFORM_SECRET. "
                                   "%(e)s", code=status, e=reason), code=status)
        if status >= 400:
            raise PlatformError(_l("Trục liên thông từ chối yêu cầu (HTTP %(code)s): %(e)s",
                                   code=status, e=reason), code=status)
        if str(answer.get("status", "")).upper() != "OK" or \
                str(answer.get("ErrorCode", "0")) not in ("0", ""):
            raise PlatformError(_l("Trục liên thông từ chối yêu cầu (%(op)s, mã %(code)s): "
                                   "%(e)s", op=operation, code=answer.get("ErrorCode", "?"),
                                   e=reason), code=answer.get("ErrorCode"))
        return answer


# ---------------------------------------------------------------- configuration

def configured(app=None) -> bool:
    return bool(((app or current_app).config.get("EXCHANGE_PLATFORM_URL") or "").strip())


def client(app=None) -> PlatformClient:
    config = (app or current_app).config
    return PlatformClient(
        (config.get("EXCHANGE_PLATFORM_URL") or "").strip(),
        (config.get("EXCHANGE_PLATFORM_SYSTEM_ID") or "").strip(),
        config.get("EXCHANGE_PLATFORM_SECRET") or "",
        timeout=float(config.get("EXCHANGE_PLATFORM_TIMEOUT") or 30),
        retries=int(config.get("EXCHANGE_PLATFORM_RETRIES", 3)),
        backoff=float(config.get("EXCHANGE_PLATFORM_BACKOFF", 0.5)))


def _organ_code(agency) -> str:
    return (agency.electronic_id or agency.legacy_code or "").strip().upper()


# ---------------------------------------------------------------- sending

def send(session, row, platform=None):
    """An outbox row whose partner is reached through the platform: (ok, error, retry), for
    services.mark_sent.

    Never twice: a row that carries a platform id was taken by the platform and is never sent
    again; the id is committed the moment the platform answers, before anything else. What
    remains is a crash (or a lost answer) between the platform taking the package and that
    commit: the row's lease runs out and it is sent once more. That copy reaches the recipient
    under the same edXML DocumentId and any QCVN 102 system (this one: services.receive)
    stores it once; the platform itself offers no idempotency key we could send."""
    if row.platform_id:
        return True, None, False
    agency = row.partner.agency
    code = _organ_code(agency)
    if not code:
        return False, str(_l("Cơ quan %(name)s chưa có mã định danh điện tử: không gửi được "
                             "qua trục liên thông.", name=agency)), False
    if not row.payload:
        return False, str(_l("Không có gói tin để gửi.")), False
    try:
        platform = platform or client()
        sender = services.our_organ().organ_id
        doc_id = platform.send(row.payload.encode("utf-8"), [code], sender=sender,
                               message_type=STATUS if row.kind == "status" else DOCUMENT)
    except PlatformError as error:
        return False, str(error), error.transient
    except DomainError as error:  # our own identity is not configured
        return False, str(error), True
    row.platform_id = doc_id[:100]
    session.commit()
    return True, None, False


# ---------------------------------------------------------------- receiving

def _watermark_path(app=None) -> Path:
    return Path((app or current_app).config["INSTANCE_DIR"]) / WATERMARK_FILE


def read_watermark(app=None) -> dict:
    """{"edoc": iso time, "status": iso time}: up to where each listing was handled."""
    try:
        value = json.loads(_watermark_path(app).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_watermark(marks: dict, app=None) -> None:
    from app.core.files import write_private

    path = _watermark_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps(marks, indent=1).encode("utf-8"), ".exchange-platform-")


def _handle(session, platform, item, counts) -> None:
    """One listed package: fetched, handed to services.receive, then acknowledged (or refused
    with the reasons). Raises PlatformError when the platform could not be reached."""
    doc_id = str(item["docId"])[:100]
    if session.scalar(select(ExchangeInbound.id).where(ExchangeInbound.platform_id == doc_id)):
        platform.update_status(doc_id, ACKNOWLEDGED)  # stored before the last answer was lost
        counts["duplicates"] += 1
        return
    data = platform.fetch(doc_id)
    try:
        # The platform authenticated the sender: like a partner's token on our inbox, a
        # package whose From says otherwise is recorded as that sender's, with a warning.
        sender = services.partner_for_organ(session, (item.get("from") or "").strip())
        services.receive(session, data, partner=sender, source="platform", platform_id=doc_id)
    except edxml.PackageError as error:
        session.rollback()
        reasons = "; ".join(str(p) for p in getattr(error, "problems", None) or [error])
        platform.update_status(doc_id, REFUSED, reasons)
        counts["refused"] += 1
        return
    except services.Duplicate:
        session.rollback()
        platform.update_status(doc_id, ACKNOWLEDGED)
        counts["duplicates"] += 1
        return
    platform.update_status(doc_id, ACKNOWLEDGED)
    counts["received"] += 1


def poll(session, platform=None, app=None) -> dict:
    """What the platform holds for us (documents and statuses) since the last poll: each
    fetched, handed to services.receive and acknowledged.

    Idempotent: a package whose platform id we already hold is acknowledged and not handed
    again; one that arrived twice under two ids is stored once (services.Duplicate, then
    acknowledged). The watermark (INSTANCE_DIR/exchange-platform.json, written atomically)
    only moves past packages that were handled, and each listing asks again OVERLAP before it,
    so a package listed late is not missed; a crash anywhere only means asking again."""
    app = app or current_app._get_current_object()
    platform = platform or client(app)
    marks = read_watermark(app)
    counts = {"received": 0, "duplicates": 0, "refused": 0, "errors": 0}
    for message_type in (DOCUMENT, STATUS):
        since = _parse_time(marks.get(message_type))
        items = platform.received(since - OVERLAP if since else None, message_type)
        items.sort(key=lambda i: (str(i.get("created_time") or ""), str(i["docId"])))
        done, handled, failed_at = set(), [], None
        for item in items:
            if item["docId"] in done:  # listed twice in one answer
                continue
            created = _parse_time(item.get("created_time"))
            try:
                _handle(session, platform, item, counts)
            except PlatformError as error:
                session.rollback()
                counts["errors"] += 1
                log.warning("exchange platform: package %s: %s", item["docId"], error)
                if created and (failed_at is None or created < failed_at):
                    failed_at = created
                continue
            done.add(item["docId"])
            handled.append(created)
        # Up to the newest handled package, never past one that failed (asked again next time).
        safe = [c for c in handled if c and (failed_at is None or c < failed_at)]
        if safe and (since is None or max(safe) > since):
            marks[message_type] = _iso(max(safe))
    _write_watermark(marks, app)
    return counts


# ---------------------------------------------------------------- agencies

def _unique_name(session, name, code):
    taken = session.scalar(select(Agency.id).where(func.lower(Agency.name) == name.lower()))
    return name if taken is None else f"{name[:200 - len(code) - 3]} ({code})"


def sync_agencies(session, platform=None) -> dict:
    """The platform's agencies into our catalog (matched by electronic ID, never duplicated;
    an agency of ours with the same name and no ID gets the ID) and a platform partner for
    each agency that has no partner yet. Returns the counts."""
    platform = platform or client()
    ours = (current_app.config.get("EXCHANGE_ORGAN_ID") or "").strip().upper()
    counts = {"agencies": 0, "created": 0, "updated": 0, "partners": 0, "skipped": 0}
    for item in platform.agencies():
        code = str(item.get("code") or "").strip().upper()
        name = nfc(str(item.get("name") or "").strip())[:200]
        if not edxml.ELECTRONIC_ID.match(code) or not name:
            counts["skipped"] += 1
            continue
        counts["agencies"] += 1
        agency = session.scalar(select(Agency).where(Agency.electronic_id == code))
        if agency is None:
            agency = session.scalar(select(Agency).where(
                func.lower(Agency.name) == name.lower(), Agency.electronic_id.is_(None)))
            if agency is not None:
                agency.electronic_id = code
                counts["updated"] += 1
            else:
                agency = Agency(name=_unique_name(session, name, code), electronic_id=code,
                                email=(str(item.get("mail") or "").strip()[:320] or None))
                session.add(agency)
                counts["created"] += 1
        elif not agency.email and item.get("mail"):
            agency.email = str(item["mail"]).strip()[:320]
            counts["updated"] += 1
        session.flush()
        if code == ours:
            continue
        has_partner = session.scalar(select(ExchangePartner.id).where(
            ExchangePartner.agency_id == agency.id))
        if has_partner is None:
            session.add(ExchangePartner(agency_id=agency.id, channel=PLATFORM, active=True,
                                        endpoint_url=None,
                                        notes=str(_l("Tạo khi đồng bộ danh sách cơ quan "
                                                     "trên trục liên thông."))))
            counts["partners"] += 1
        session.flush()
    session.commit()
    return counts


def register_agency(platform=None) -> dict:
    """Our agency (services.our_organ()) in the platform's catalog."""
    platform = platform or client()
    organ = services.our_organ()
    return platform.register_agency(organ.organ_id, organ.name or organ.organ_id,
                                    mail=organ.email, mobile=organ.phone)
