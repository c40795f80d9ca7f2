"""edXML packages (QCVN 102:2016/BTTTT, DOMAIN.md §2): building what we send and reading what
partners send. Strict in what we build (our own reader must find nothing odd in it), tolerant
in what we read: real systems write other namespaces, leading junk, short or numeric organ IDs,
`yyyy/MM/dd`, ISO or `dd/MM/yyyy` dates, unaccented or TCVN3/VNI text, statuses inside
MessageHeader. A package is refused (PackageError) only when nothing can be registered from
it; everything else odd is a Finding (element, Vietnamese message, the registration form's
field) that goes with the package to the clerk.

Partner XML is parsed with defusedxml and no DTD at all: external entities (XXE) and entity
expansion (billion laughs) are refused before anything is read.

Layout written (and read):
  edXML
    edXMLEnvelope
      edXMLHeader: MessageHeader, TraceHeaderList (TraceHeader*, Bussiness)
      edXMLBody: edXMLManifest (Reference*)
    AttachmentEncoded: Attachment* (base64)
A status message (the national SDK's layout, which we write) is a MessageHeader holding From,
ResponseFor, StaffInfo, StatusCode, Description and Timestamp; an edXMLHeader/Status element
(an older layout) is read too.
"""
import base64
import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask_babel import lazy_gettext as _l

from app.core.dates import year_error
from app.core.legacy_text import to_unicode
from app.core.timefmt import local_now

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
OLD_NS = "http://www.go.vn/eDoc"
NAMESPACES = (NS, OLD_NS)
ET.register_namespace("edXML", NS)

ELECTRONIC_ID = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
# Older QCVN 102 codes seen in real messages: "28.22.H17", "H17.22", "000.00.12.H30.01"…
LEGACY_ID = re.compile(r"^[0-9A-Z]{1,3}(\.[0-9A-Z]{1,3}){1,5}$")
STATUS_CODE = re.compile(r"^(0[1-6]|1[356])$")
# Lengths of DOMAIN.md §2 / Appendix VI.
LIMITS = {"OrganName": 200, "Subject": 500, "Content": 500, "CodeNumber": 11,
          "CodeNotation": 30, "Place": 150, "TypeName": 100, "Competence": 100,
          "Position": 100, "FullName": 50, "Appendix": 250, "BussinessDocReason": 500,
          "Description": 500, "AttachmentName": 255, "TypeDetail": 20}
MANIFEST_VERSION = "1.0"


class PackageError(Exception):
    """The package is refused; `problems` lists every reason (Vietnamese)."""

    def __init__(self, problems):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = [str(p) for p in problems]


@dataclass(frozen=True)
class Finding:
    """Something odd in a received package, for the clerk: the edXML element it concerns, what
    is odd (Vietnamese) and the registration form's field it shows beside ('' if none)."""
    element: str
    message: str
    field: str = ""

    def as_dict(self):
        return {"element": self.element, "message": self.message, "field": self.field}


@dataclass
class Organ:
    organ_id: str
    name: str = ""
    in_charge: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class Staff:
    department: str = ""
    staff: str = ""
    email: str = ""
    mobile: str = ""


@dataclass
class Attachment:
    content_id: str
    name: str
    content_type: str
    data: bytes
    description: str = ""


@dataclass
class Package:
    sender: Organ
    recipients: list
    code_number: str
    code_notation: str
    promulgation_date: date
    subject: str
    type_kind: int = 1
    type_detail: str = ""
    type_name: str = ""
    place: str = ""
    content: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    signer_name: str = ""
    due_date: date | None = None
    to_places: list = field(default_factory=list)
    priority: int = 0
    sphere: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    appendixes: list = field(default_factory=list)
    response_for: str = ""
    business_type: int = 0
    business_reason: str = ""
    paper: int = 0
    staff: Staff = field(default_factory=Staff)
    replaces: list = field(default_factory=list)  # DocumentIds this one replaces (type 3)
    traces: list = field(default_factory=list)  # [(organ_id, naive local datetime)]
    attachments: list = field(default_factory=list)
    warnings: list = field(default_factory=list, compare=False)  # [Finding] when read
    given_id: str = field(default="", compare=False)  # the DocumentId as the sender wrote it

    @property
    def number_symbol(self):
        if not self.code_notation:
            return self.code_number
        return f"{self.code_number}/{self.code_notation}" if self.code_number else \
            self.code_notation

    @property
    def key(self):
        """The DocumentId: as the sender wrote it when received, else ours."""
        return self.given_id or self.document_id

    @property
    def document_id(self):
        return document_id(self.sender.organ_id, self.promulgation_date, self.code_number,
                           self.code_notation)


@dataclass
class Status:
    document_id: str
    sender: Organ
    code: str
    timestamp: datetime  # naive Vietnam time, as written
    description: str = ""
    staff: Staff = field(default_factory=Staff)
    warnings: list = field(default_factory=list, compare=False)


def document_id(organ_id, day: date, code_number, code_notation) -> str:
    return f"{organ_id},{day:%Y/%m/%d},{code_number}/{code_notation}"


# ---------------------------------------------------------------- building

def _sub(parent, name, text=None):
    element = ET.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _code(organ_id: str) -> str:
    return (organ_id or "").strip().upper()


def _organ(parent, name, organ: Organ):
    element = _sub(parent, name)
    for tag, value in (("OrganId", (organ.organ_id or "").strip()),
                       ("OrganizationInCharge", organ.in_charge), ("OrganName", organ.name),
                       ("OrganAdd", organ.address),
                       ("Email", organ.email), ("Telephone", organ.phone), ("Fax", organ.fax),
                       ("Website", organ.website)):
        _sub(element, tag, value or "")


def _staff(parent, staff: Staff):
    element = _sub(parent, "StaffInfo")
    for tag, value in (("Department", staff.department), ("Staff", staff.staff),
                       ("Email", staff.email), ("Mobile", staff.mobile)):
        _sub(element, tag, value or "")


def _tostring(root) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def build_package(package: Package, *, check=True) -> bytes:
    """The package as edXML bytes; with `check`, read back and validated by our own reader
    (PackageError if we would send something we would refuse)."""
    root = ET.Element(f"{{{NS}}}edXML")
    envelope = _sub(root, "edXMLEnvelope")
    header = _sub(envelope, "edXMLHeader")
    message = _sub(header, "MessageHeader")
    _organ(message, "From", package.sender)
    sender = _code(package.sender.organ_id)
    for organ in package.recipients:  # never ourselves, however the list writes us
        if _code(organ.organ_id) != sender:
            _organ(message, "To", organ)
    _sub(message, "DocumentId", package.document_id)
    code = _sub(message, "Code")
    _sub(code, "CodeNumber", package.code_number)
    _sub(code, "CodeNotation", package.code_notation)
    promulgation = _sub(message, "PromulgationInfo")
    _sub(promulgation, "Place", package.place)
    _sub(promulgation, "PromulgationDate", f"{package.promulgation_date:%Y/%m/%d}")
    doc_type = _sub(message, "DocumentType")
    _sub(doc_type, "Type", package.type_kind)
    _sub(doc_type, "TypeDetail", package.type_detail or "0")
    _sub(doc_type, "TypeName", package.type_name)
    _sub(message, "Subject", package.subject)
    _sub(message, "Content", package.content)
    signer = _sub(message, "SignerInfo")
    _sub(signer, "Competence", package.signer_competence)
    _sub(signer, "Position", package.signer_position)
    _sub(signer, "FullName", package.signer_name)
    _sub(message, "DueDate", f"{package.due_date:%Y/%m/%d}" if package.due_date else "")
    places = _sub(message, "ToPlaces")
    for place in package.to_places:
        _sub(places, "Place", place)
    other = _sub(message, "OtherInfo")
    _sub(other, "Priority", package.priority)
    _sub(other, "SphereOfPromulgation", package.sphere)
    _sub(other, "TyperNotation", package.typer_notation)
    _sub(other, "PromulgationAmount", package.promulgation_amount or "")
    _sub(other, "PageAmount", package.page_amount or "")
    appendixes = _sub(other, "Appendixes")
    for appendix in package.appendixes:
        _sub(appendixes, "Appendix", appendix)
    if package.response_for:
        _sub(_sub(message, "ResponseFor"), "DocumentId", package.response_for)
    traces = _sub(header, "TraceHeaderList")
    for organ_id, at in package.traces:
        trace = _sub(traces, "TraceHeader")
        _sub(trace, "OrganId", organ_id)
        _sub(trace, "Timestamp", f"{at:%Y/%m/%d %H:%M:%S}")
    business = _sub(traces, "Bussiness")
    _sub(business, "DocumentId", package.document_id)
    _sub(business, "BussinessDocType", package.business_type)
    _sub(business, "BussinessDocReason", package.business_reason)
    _sub(business, "Paper", package.paper)
    _staff(business, package.staff)
    if package.replaces:
        replacements = _sub(business, "ReplacementInfoList")
        for replaced in package.replaces:
            _sub(_sub(replacements, "ReplacementInfo"), "DocumentId", replaced)
    manifest = _sub(_sub(envelope, "edXMLBody"), "edXMLManifest")
    manifest.set("version", MANIFEST_VERSION)
    encoded = _sub(root, "AttachmentEncoded") if package.attachments else None
    for attachment in package.attachments:
        reference = _sub(manifest, "Reference")
        _sub(reference, "ContentId", attachment.content_id)
        _sub(reference, "ContentType", attachment.content_type)
        _sub(reference, "Description", attachment.description)
        _sub(reference, "AttachmentName", attachment.name)
        item = _sub(encoded, "Attachment")
        _sub(item, "ContentId", attachment.content_id)
        _sub(item, "AttachmentName", attachment.name)
        _sub(item, "Description", attachment.description)
        _sub(item, "ContentType", attachment.content_type)
        _sub(item, "ContentTransferEncoded", base64.b64encode(attachment.data).decode())
    data = _tostring(root)
    if check:
        _check_own(data)
    return data


def _check_own(data):
    """Strict in what we send: our own reader finds nothing odd in it."""
    message = read(data)
    if message.warnings:
        raise PackageError([f"{w.element}: {w.message}" for w in message.warnings])


def build_status(status: Status, *, check=True) -> bytes:
    """A status message as the national platform's SDK writes it (and its partners read it):
    edXML/edXMLEnvelope/edXMLHeader/MessageHeader with From, ResponseFor, StaffInfo,
    StatusCode, Description and Timestamp."""
    root = ET.Element(f"{{{NS}}}edXML")
    message = _sub(_sub(_sub(root, "edXMLEnvelope"), "edXMLHeader"), "MessageHeader")
    _organ(message, "From", status.sender)
    response = _sub(message, "ResponseFor")
    organ_id, _sep, rest = status.document_id.partition(",")
    day, _sep, number_symbol = rest.partition(",")
    _sub(response, "OrganId", organ_id)
    _sub(response, "Code", number_symbol)
    _sub(response, "PromulgationDate", day)
    _sub(response, "DocumentId", status.document_id)
    _staff(message, status.staff)
    _sub(message, "StatusCode", status.code)
    _sub(message, "Description", status.description)
    _sub(message, "Timestamp", f"{status.timestamp:%Y/%m/%d %H:%M:%S}")
    data = _tostring(root)
    if check:
        _check_own(data)
    return data


# ---------------------------------------------------------------- reading

# The registration form's field each element feeds: a warning is shown beside it.
FIELD_OF = {"From": "agency_id", "Code": "number_symbol", "CodeNumber": "number_symbol",
            "CodeNotation": "number_symbol", "DocumentId": "number_symbol",
            "PromulgationDate": "document_date", "Place": "notes", "Type": "document_type_id",
            "TypeDetail": "document_type_id", "TypeName": "document_type_id",
            "Subject": "excerpt", "Content": "notes", "Competence": "signer_position",
            "Position": "signer_position", "FullName": "signer_name", "DueDate": "deadline",
            "Priority": "urgency_id", "PageAmount": "page_count",
            "AttachmentEncoded": "files", "Attachment": "files", "edXMLManifest": "files",
            "Reference": "files"}


def field_of(element: str) -> str:
    """'PromulgationInfo/PromulgationDate' → 'document_date'; '' when no field shows it."""
    for part in reversed(element.replace("[", "/").split("/")):
        if part in FIELD_OF:
            return FIELD_OF[part]
    return ""


class _Reader:
    """Collects every problem instead of stopping at the first: `problems` refuse the package,
    `warnings` (Finding) go with it to the clerk."""

    def __init__(self):
        self.problems = []
        self.warnings = []

    def problem(self, where, message):
        self.problems.append(f"{where}: {message}")

    def warn(self, where, message, field=None):
        finding = Finding(where, str(message), field_of(where) if field is None else field)
        if finding not in self.warnings:
            self.warnings.append(finding)

    def text(self, parent, path, *, required=False, limit=None, under=""):
        """The element's text (NFC; TCVN3/VNI converted); `under`: the parent's path, for
        the warnings ("Bussiness/" + "BussinessDocType")."""
        element = _find(parent, path)
        value = (element.text or "").strip() if element is not None else ""
        value = to_unicode(value)
        if required and not value:
            self.warn(under + path, _l("bắt buộc, đang thiếu hoặc để trống"))
        limit = limit or LIMITS.get(path.rsplit("/", 1)[-1])
        if limit and len(value) > limit:  # kept whole: the clerk sees it and decides
            self.warn(under + path, _l("dài %(n)s ký tự, QCVN 102 cho tối đa %(max)s",
                                       n=len(value), max=limit))
        return value

    def integer(self, parent, path, *, allowed=None, default=None, required=False, under=""):
        value = self.text(parent, path, required=required, under=under)
        if not value:
            return default
        if not value.isdecimal() or (allowed is not None and int(value) not in allowed):
            choices = ", ".join(str(x) for x in allowed) if allowed else _l("số nguyên")
            self.warn(under + path, _l("giá trị «%(v)s» không hợp lệ (chấp nhận: %(c)s)",
                                       v=value[:30], c=choices))
            return default
        return int(value)

    def day(self, parent, path, *, required=False, under=""):
        return self._parsed(parent, path, required, parse_date, _l(
            "ngày «%(v)s» không đúng dạng yyyy/MM/dd hoặc yyyy-MM-dd"), under)

    def moment(self, parent, path, *, required=False, under=""):
        return self._parsed(parent, path, required, parse_datetime, _l(
            "thời điểm «%(v)s» không đúng dạng yyyy/MM/dd HH:mm:ss"), under)

    def _parsed(self, parent, path, required, parse, message, under=""):
        value = self.text(parent, path, required=required, under=under)
        if not value:
            return None
        parsed = parse(value)
        if parsed is None:
            self.warn(under + path, str(message) % {"v": value[:30]})
        elif year_error(parsed):  # year 1 or 9999: not a date anyone means
            self.warn(under + path, year_error(parsed))
            return None
        return parsed

    def organ(self, element, where) -> Organ:
        at = f"{where}/"
        organ_id = self.text(element, "OrganId", limit=30, under=at)
        organ = Organ(
            organ_id=organ_id,
            in_charge=self.text(element, "OrganizationInCharge", limit=200, under=at),
            name=self.text(element, "OrganName", under=at),
            address=self.text(element, "OrganAdd", limit=300, under=at),
            email=self.text(element, "Email", limit=320, under=at),
            phone=self.text(element, "Telephone", limit=30, under=at),
            fax=self.text(element, "Fax", limit=30, under=at),
            website=self.text(element, "Website", limit=300, under=at))
        if not organ_id:
            self.warn(f"{where}/OrganId", _l("thiếu mã định danh của cơ quan"))
        elif not valid_organ_id(organ_id):
            self.warn(f"{where}/OrganId", _l(
                "mã định danh «%(v)s» không theo dạng 000.00.00.H30 của QCVN 102", v=organ_id))
        return organ

    def staff(self, parent) -> Staff:
        element = _find(parent, "StaffInfo")
        if element is None:
            return Staff()
        at = "StaffInfo/"
        return Staff(self.text(element, "Department", limit=200, under=at),
                     self.text(element, "Staff", limit=100, under=at),
                     self.text(element, "Email", limit=320, under=at),
                     self.text(element, "Mobile", limit=30, under=at))


def valid_organ_id(value: str) -> bool:
    return bool(ELECTRONIC_ID.match(value) or (len(value) <= 30 and LEGACY_ID.match(value)))


def parse_date(value: str) -> date | None:
    value = value.strip()
    if len(value) > 10 and value[10] not in "T ":
        return None
    for pattern in ("%Y/%m/%d", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(value[:10], pattern).date()
        except ValueError:
            continue
    return None


def parse_datetime(value: str) -> datetime | None:
    value = value.strip().replace("T", " ")
    for pattern in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M",
                    "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime(value[:19], pattern)
        except ValueError:
            continue
    try:  # ISO with a zone: keep the wall time
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _find(parent, path):
    """Child by local names ('Code/CodeNumber'), whatever the namespace."""
    element = parent
    for name in path.split("/"):
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag) == name), None)
    return element


def _findall(parent, name):
    return [c for c in parent if _local(c.tag) == name] if parent is not None else []


def strip_leading(data: bytes) -> tuple[bytes, int]:
    """The XML without what real senders put before it: a byte-order mark (harmless, not
    counted) and stray bytes before the first '<' (counted, for a warning)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    start = data.find(b"<")
    if start <= 0:
        return data, 0
    return data[start:], start


def parse_xml(data: bytes):
    """Untrusted bytes → (root element, warnings); PackageError for anything that is not
    XML even after leading junk is skipped, or that declares a DTD or entities."""
    if not data or not data.strip():
        raise PackageError([_l("Gói tin rỗng.")])
    data, skipped = strip_leading(data)
    warnings = []
    if skipped:
        warnings.append(Finding("edXML", str(_l(
            "có %(n)s byte lạ trước khai báo XML; đã bỏ qua", n=skipped)), ""))
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True,
                          forbid_external=True)
    except DefusedXmlException as error:
        raise PackageError([_l("Gói tin có khai báo DTD hoặc thực thể (entity), không được "
                               "chấp nhận vì lý do an toàn (%(kind)s).",
                               kind=error.__class__.__name__)]) from error
    except ET.ParseError as error:
        raise PackageError([_l("Gói tin không phải XML hợp lệ: %(error)s", error=error)]) \
            from error
    if _local(root.tag) not in ("edXML", "edXMLEnvelope"):
        raise PackageError([_l("Không phải gói tin edXML: phần tử gốc là «%(tag)s» (phải là "
                               "edXML hoặc edXMLEnvelope).", tag=_local(root.tag)[:50])])
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace not in NAMESPACES:
        warnings.append(Finding("edXML", str(_l(
            "không gian tên «%(ns)s» không phải của QCVN 102:2016 (%(ok)s); vẫn đọc theo tên "
            "phần tử", ns=namespace or _l("(không có)"), ok=NS)), ""))
    return root, warnings


def read(data: bytes):
    """edXML bytes → Package or Status. A package is read as far as it can be: what is odd is
    listed in `package.warnings` (Finding: element, Vietnamese message, form field) for the
    clerk; PackageError only when nothing can be registered from it (not XML, a DTD, no
    envelope or header, no sender at all). A status message is refused when its code or the
    document it concerns cannot be read."""
    root, warnings = parse_xml(data)
    envelope = root if _local(root.tag) == "edXMLEnvelope" else _find(root, "edXMLEnvelope")
    if envelope is None:
        raise PackageError([_l("Thiếu phần tử edXMLEnvelope (gốc phải là edXML hoặc "
                               "edXMLEnvelope).")])
    header = _find(envelope, "edXMLHeader")
    if header is None:
        raise PackageError([_l("Thiếu phần tử edXMLHeader.")])
    if _find(header, "Status") is not None:
        return _read_status(_find(header, "Status"))
    message = _find(header, "MessageHeader")
    if message is None:
        raise PackageError([_l("Thiếu phần tử MessageHeader.")])
    if _find(message, "StatusCode") is not None:  # the national SDK's status layout
        return _read_status(message)
    return _read_package(root, envelope, header, message, warnings)


def _read_package(root, envelope, header, message, warnings) -> Package:
    r = _Reader()
    r.warnings = warnings
    sender_element = _find(message, "From")
    sender = r.organ(sender_element, "From") if sender_element is not None else Organ("")
    if not sender.organ_id and not sender.name:
        r.problem("From", _l("không có mã định danh lẫn tên cơ quan gửi: không biết văn bản "
                             "của ai để vào sổ và báo lại"))
    recipients = [r.organ(e, "To") for e in _findall(message, "To")]
    if not recipients:
        r.warn("To", _l("không nêu cơ quan nhận"))
    ids = [o.organ_id for o in recipients if o.organ_id]
    if len(set(ids)) != len(ids):
        r.warn("To", _l("một cơ quan nhận có mặt nhiều lần"))
    code_number = r.text(message, "Code/CodeNumber", required=True)
    code_notation = r.text(message, "Code/CodeNotation", required=True)
    promulgation_date = r.day(message, "PromulgationInfo/PromulgationDate", required=True)
    traces_element = _find(header, "TraceHeaderList")
    business = _find(traces_element, "Bussiness") if traces_element is not None else None
    business_type = r.integer(business, "BussinessDocType", allowed=(0, 1, 2, 3),
                              default=0, under="Bussiness/") if business is not None else 0
    if business_type == 2:
        r.warn("Bussiness/BussinessDocType", _l(
            "cập nhật (2): nhận như văn bản mới; đối chiếu với văn bản đã nhận trước đó"), "")
        business_type = 0
    type_kind = r.integer(message, "DocumentType/Type", default=1)
    if type_kind not in (1, 2):
        r.warn("DocumentType/Type", _l(
            "mã loại «%(v)s» ngoài bảng của QCVN 102 (1: văn bản hành chính, 2: văn bản quy "
            "phạm pháp luật); loại văn bản chọn theo tên", v=type_kind))
        type_kind = 1
    package = Package(
        sender=sender, recipients=recipients, code_number=code_number,
        code_notation=code_notation, promulgation_date=promulgation_date,
        subject=r.text(message, "Subject", required=True),
        type_kind=type_kind,
        type_detail=r.text(message, "DocumentType/TypeDetail"),
        type_name=r.text(message, "DocumentType/TypeName"),
        place=r.text(message, "PromulgationInfo/Place"),
        content=r.text(message, "Content"),
        signer_competence=r.text(message, "SignerInfo/Competence"),
        signer_position=r.text(message, "SignerInfo/Position"),
        signer_name=r.text(message, "SignerInfo/FullName"),
        due_date=r.day(message, "DueDate"),
        to_places=[_place(r, p) for p in _findall(_find(message, "ToPlaces"), "Place")],
        priority=r.integer(message, "OtherInfo/Priority", allowed=range(5), default=0),
        sphere=r.text(message, "OtherInfo/SphereOfPromulgation", limit=100),
        typer_notation=r.text(message, "OtherInfo/TyperNotation", limit=50),
        promulgation_amount=r.integer(message, "OtherInfo/PromulgationAmount"),
        page_amount=r.integer(message, "OtherInfo/PageAmount"),
        appendixes=[_place(r, a, "Appendix") for a in
                    _findall(_find(message, "OtherInfo/Appendixes"), "Appendix")],
        response_for=r.text(message, "ResponseFor/DocumentId", limit=120),
        business_type=business_type,
        business_reason=r.text(business, "BussinessDocReason", under="Bussiness/")
        if business is not None else "",
        paper=r.integer(business, "Paper", allowed=(0, 1), default=0, under="Bussiness/")
        if business is not None else 0,
        staff=r.staff(business) if business is not None else Staff(),
    )
    if package.page_amount == 0:
        r.warn("OtherInfo/PageAmount", _l("bằng 0; số trang lấy từ tệp PDF"))
        package.page_amount = None
    if business is not None:
        package.replaces = [
            r.text(info, "DocumentId", limit=120,
                   under="Bussiness/ReplacementInfoList/ReplacementInfo/") for info in
            _findall(_find(business, "ReplacementInfoList"), "ReplacementInfo")]
    for index, trace in enumerate(_findall(traces_element, "TraceHeader"), 1):
        organ_id = to_unicode((_find(trace, "OrganId").text or "").strip()) \
            if _find(trace, "OrganId") is not None else ""
        if organ_id.lower() in ("null", "none", "undefined"):
            organ_id = ""
        if not organ_id:
            r.warn(f"TraceHeader[{index}]/OrganId", _l("mục vết chuyển không có mã cơ quan"),
                   "")
        package.traces.append((organ_id[:30], r.moment(
            trace, "Timestamp", under=f"TraceHeader[{index}]/")))
    given_id = r.text(message, "DocumentId", limit=120)
    computed = package.document_id if sender.organ_id and promulgation_date else ""
    if not given_id:
        r.warn("DocumentId", _l("thiếu mã văn bản; dùng mã lập từ cơ quan gửi, ngày và số, "
                                "ký hiệu"), "")
    elif computed and code_number and code_notation and _id_key(given_id) != \
            _id_key(computed):
        r.warn("DocumentId", _l("«%(given)s» không khớp với cơ quan gửi, ngày ban hành và số, "
                                "ký hiệu (lẽ ra «%(expected)s»)", given=given_id,
                                expected=computed), "")
    package.given_id = given_id or computed or \
        f"{sender.organ_id or sender.name},{code_number}/{code_notation}"[:120]
    if business is not None:
        business_id = r.text(business, "DocumentId", limit=120, under="Bussiness/")
        if business_id and given_id and _id_key(business_id) != _id_key(given_id):
            r.warn("Bussiness/DocumentId", _l("không khớp với MessageHeader/DocumentId"), "")
    if package.business_type == 3 and not package.replaces:
        r.warn("Bussiness/ReplacementInfoList", _l(
            "văn bản thay thế không nêu văn bản bị thay thế; nhận như văn bản mới"), "")
        package.business_type = 0
    if package.business_type in (1, 3) and not package.business_reason:
        r.warn("Bussiness/BussinessDocReason", _l("thu hồi, thay thế không nêu lý do"), "")
    _read_attachments(r, root, envelope, package)
    if r.problems:
        raise PackageError(r.problems)
    package.warnings = r.warnings
    return package


def _place(r, element, name="Place"):
    value = to_unicode((element.text or "").strip())
    limit = LIMITS.get(name, 150)
    if len(value) > limit:
        r.warn(name, _l("dài %(n)s ký tự, QCVN 102 cho tối đa %(max)s", n=len(value),
                        max=limit), "")
    return value


def _id_key(value: str) -> str:
    """DocumentIds compared without spaces, case and dashes/slashes variants in the date."""
    return re.sub(r"\s+", "", value).upper().replace("-", "/")


def _read_attachments(r, root, envelope, package):
    """Every attachment that can be decoded is kept, whatever its declared type (the real
    type is read from the content when it is stored); the manifest is checked against them."""
    manifest = _find(envelope, "edXMLBody/edXMLManifest")
    references = {}
    for reference in _findall(manifest, "Reference"):
        content_id = r.text(reference, "ContentId", limit=100)
        if content_id in references:
            r.warn("edXMLManifest/Reference", _l("ContentId «%(id)s» lặp lại", id=content_id))
        references[content_id] = reference
    encoded = _find(root, "AttachmentEncoded") if _local(root.tag) == "edXML" else None
    seen = set()
    for index, item in enumerate(_findall(encoded, "Attachment"), 1):
        content_id = r.text(item, "ContentId", limit=100)
        name = r.text(item, "AttachmentName") or f"tep-{index}"
        where = f"Attachment[{content_id or index}]"
        if references and content_id not in references:
            r.warn(where, _l("«%(name)s» không có trong edXMLManifest", name=name))
        seen.add(content_id)
        content_type = r.text(item, "ContentType", limit=100).lower()
        holder = _find(item, "ContentTransferEncoded")
        raw = "".join((holder.text or "").split()) if holder is not None else ""
        try:
            data = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
        except (binascii.Error, ValueError):
            r.warn(where, _l("«%(name)s»: nội dung base64 hỏng, không đọc được tệp",
                             name=name))
            continue
        if not data:
            r.warn(where, _l("«%(name)s» rỗng", name=name))
            continue
        package.attachments.append(Attachment(content_id, name, content_type, data,
                                              r.text(item, "Description")))
    for content_id in references.keys() - seen:
        r.warn(f"edXMLManifest/Reference[{content_id}]", _l(
            "không có tệp tương ứng trong AttachmentEncoded"))
    if package.business_type in (0, 3) and not package.attachments:
        r.warn("AttachmentEncoded", _l("văn bản không kèm tệp nào (cần bản quét hoặc bản điện "
                                       "tử có chữ ký, đóng dấu)"))


def _read_status(element) -> Status:
    """A status message: tolerant of organ IDs and dates as packages are; refused only when
    the code or the document it answers for cannot be read."""
    r = _Reader()
    sender_element = _find(element, "From")
    sender = r.organ(sender_element, "Status/From") if sender_element is not None \
        else Organ("")
    if not sender.organ_id:
        r.problem("Status/From/OrganId", _l("bắt buộc, đang thiếu"))
    code = r.text(element, "StatusCode").zfill(2) if r.text(element, "StatusCode") else ""
    if not STATUS_CODE.match(code):
        r.problem("Status/StatusCode", _l("mã trạng thái «%(c)s» không hợp lệ",
                                          c=code[:10] or _l("(trống)")))
    document_id = r.text(element, "ResponseFor/DocumentId", limit=120)
    if not document_id:
        r.problem("Status/ResponseFor/DocumentId", _l("bắt buộc, đang thiếu"))
    timestamp = r.moment(element, "Timestamp") or \
        local_now().replace(tzinfo=None, microsecond=0)  # naive Vietnam time, as written
    status = Status(document_id=document_id, sender=sender, code=code, timestamp=timestamp,
                    description=r.text(element, "Description"), staff=r.staff(element))
    if r.problems:
        raise PackageError(r.problems)
    status.warnings = r.warnings
    return status
