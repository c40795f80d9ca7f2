"""edXML packages (QCVN 102:2016/BTTTT, DOMAIN.md §2): building what we send and reading what
partners send, with our own rules. Strict in what we build (build() validates its own output
with the reader), tolerant in what we read (both namespaces, `yyyy/MM/dd` or ISO dates, short
legacy agency codes, unaccented or TCVN3/VNI text), and precise when refusing: every problem
is reported with the element it concerns.

Partner XML is parsed with defusedxml and no DTD at all: external entities (XXE) and entity
expansion (billion laughs) are refused before anything is read.

Layout written (and read):
  edXML
    edXMLEnvelope
      edXMLHeader: MessageHeader, TraceHeaderList (TraceHeader*, Bussiness)
      edXMLBody: edXMLManifest (Reference*)
    AttachmentEncoded: Attachment* (base64)
A status message is an edXMLEnvelope whose header holds a Status element.
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
ALLOWED_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff"}


class PackageError(Exception):
    """The package is refused; `problems` lists every reason (Vietnamese)."""

    def __init__(self, problems):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = [str(p) for p in problems]


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

    @property
    def number_symbol(self):
        return f"{self.code_number}/{self.code_notation}"

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


def document_id(organ_id, day: date, code_number, code_notation) -> str:
    return f"{organ_id},{day:%Y/%m/%d},{code_number}/{code_notation}"


# ---------------------------------------------------------------- building

def _sub(parent, name, text=None):
    element = ET.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _organ(parent, name, organ: Organ):
    element = _sub(parent, name)
    for tag, value in (("OrganId", organ.organ_id), ("OrganizationInCharge", organ.in_charge),
                       ("OrganName", organ.name), ("OrganAdd", organ.address),
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
    for organ in package.recipients:
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
    _sub(doc_type, "TypeDetail", package.type_detail)
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
    encoded = _sub(root, "AttachmentEncoded")
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
        read(data)
    return data


def build_status(status: Status, *, check=True) -> bytes:
    root = ET.Element(f"{{{NS}}}edXMLEnvelope")
    header = _sub(root, "edXMLHeader")
    element = _sub(header, "Status")
    response = _sub(element, "ResponseFor")
    organ_id, _sep, rest = status.document_id.partition(",")
    day, _sep, number_symbol = rest.partition(",")
    _sub(response, "OrganId", organ_id)
    _sub(response, "Code", number_symbol)
    _sub(response, "PromulgationDate", day)
    _sub(response, "DocumentId", status.document_id)
    _organ(element, "From", status.sender)
    _sub(element, "StatusCode", status.code)
    _sub(element, "Description", status.description)
    _sub(element, "Timestamp", f"{status.timestamp:%Y/%m/%d %H:%M:%S}")
    _staff(element, status.staff)
    data = _tostring(root)
    if check:
        read(data)
    return data


# ---------------------------------------------------------------- reading

class _Reader:
    """Collects every problem instead of stopping at the first."""

    def __init__(self):
        self.problems = []

    def problem(self, where, message):
        self.problems.append(f"{where}: {message}")

    def text(self, parent, path, *, required=False, limit=None):
        element = _find(parent, path)
        value = (element.text or "").strip() if element is not None else ""
        value = to_unicode(value)  # NFC; TCVN3/VNI converted
        if required and not value:
            self.problem(path, _l("bắt buộc, đang thiếu hoặc để trống"))
        limit = limit or LIMITS.get(path.rsplit("/", 1)[-1])
        if limit and len(value) > limit:
            self.problem(path, _l("dài %(n)s ký tự, tối đa %(max)s", n=len(value), max=limit))
        return value

    def integer(self, parent, path, *, allowed=None, default=None, required=False):
        value = self.text(parent, path, required=required)
        if not value:
            return default
        if not value.isdecimal() or (allowed is not None and int(value) not in allowed):
            choices = ", ".join(str(x) for x in allowed) if allowed else _l("số nguyên")
            self.problem(path, _l("giá trị «%(v)s» không hợp lệ (chấp nhận: %(c)s)",
                                  v=value[:30], c=choices))
            return default
        return int(value)

    def day(self, parent, path, *, required=False):
        return self._parsed(parent, path, required, parse_date, _l(
            "ngày «%(v)s» không đúng dạng yyyy/MM/dd hoặc yyyy-MM-dd"))

    def moment(self, parent, path, *, required=False):
        return self._parsed(parent, path, required, parse_datetime, _l(
            "thời điểm «%(v)s» không đúng dạng yyyy/MM/dd HH:mm:ss"))

    def _parsed(self, parent, path, required, parse, message):
        value = self.text(parent, path, required=required)
        if not value:
            return None
        parsed = parse(value)
        if parsed is None:
            self.problem(path, str(message) % {"v": value[:30]})
        elif year_error(parsed):  # year 1 or 9999: refused like on every other channel
            self.problem(path, year_error(parsed))
            return None
        return parsed

    def organ(self, element, where) -> Organ:
        organ = Organ(
            organ_id=self.text(element, "OrganId", required=True).upper(),
            in_charge=self.text(element, "OrganizationInCharge", limit=200),
            name=self.text(element, "OrganName"), address=self.text(element, "OrganAdd",
                                                                    limit=300),
            email=self.text(element, "Email", limit=320),
            phone=self.text(element, "Telephone", limit=30), fax=self.text(element, "Fax",
                                                                           limit=30),
            website=self.text(element, "Website", limit=300))
        if organ.organ_id and not valid_organ_id(organ.organ_id):
            self.problem(f"{where}/OrganId", _l(
                "mã định danh «%(v)s» không hợp lệ (dạng 000.00.00.H30)", v=organ.organ_id[:30]))
        return organ

    def staff(self, parent) -> Staff:
        element = _find(parent, "StaffInfo")
        if element is None:
            return Staff()
        return Staff(self.text(element, "Department", limit=200),
                     self.text(element, "Staff", limit=100),
                     self.text(element, "Email", limit=320),
                     self.text(element, "Mobile", limit=30))


def valid_organ_id(value: str) -> bool:
    return bool(ELECTRONIC_ID.match(value) or (len(value) <= 30 and LEGACY_ID.match(value)))


def parse_date(value: str) -> date | None:
    value = value.strip()
    if len(value) > 10 and value[10] not in "T ":
        return None
    for pattern in ("%Y/%m/%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(value[:10], pattern).date()
        except ValueError:
            continue
    return None


def parse_datetime(value: str) -> datetime | None:
    value = value.strip().replace("T", " ")
    for pattern in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M",
                    "%Y-%m-%d %H:%M"):
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
    """Child by local names ('Code/CodeNumber'), whatever the (accepted) namespace."""
    element = parent
    for name in path.split("/"):
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag) == name), None)
    return element


def _findall(parent, name):
    return [c for c in parent if _local(c.tag) == name] if parent is not None else []


def parse_xml(data: bytes):
    """Untrusted bytes → root element; PackageError for anything that is not plain XML."""
    if not data or not data.strip():
        raise PackageError([_l("Gói tin rỗng.")])
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
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace not in NAMESPACES:
        raise PackageError([_l("Không gian tên «%(ns)s» không phải của edXML (chấp nhận: "
                               "%(ok)s).", ns=namespace or "(không có)",
                               ok=", ".join(NAMESPACES))])
    return root


def read(data: bytes):
    """edXML bytes → Package or Status; PackageError listing every problem."""
    root = parse_xml(data)
    envelope = root if _local(root.tag) == "edXMLEnvelope" else _find(root, "edXMLEnvelope")
    if _local(root.tag) not in ("edXML", "edXMLEnvelope") or envelope is None:
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
    return _read_package(root, envelope, header, message)


def _read_package(root, envelope, header, message) -> Package:
    r = _Reader()
    sender_element = _find(message, "From")
    if sender_element is None:
        r.problem("From", _l("bắt buộc, đang thiếu"))
    sender = r.organ(sender_element, "From") if sender_element is not None else Organ("")
    recipients = [r.organ(e, "To") for e in _findall(message, "To")]
    if not recipients:
        r.problem("To", _l("cần ít nhất một cơ quan nhận"))
    ids = [o.organ_id for o in recipients]
    if len(set(ids)) != len(ids):
        r.problem("To", _l("một cơ quan nhận có mặt nhiều lần"))
    code = _find(message, "Code")
    if code is None:
        r.problem("Code", _l("bắt buộc, đang thiếu"))
    code_number = r.text(message, "Code/CodeNumber", required=True)
    code_notation = r.text(message, "Code/CodeNotation", required=True)
    promulgation_date = r.day(message, "PromulgationInfo/PromulgationDate", required=True)
    traces_element = _find(header, "TraceHeaderList")
    business = _find(traces_element, "Bussiness") if traces_element is not None else None
    business_type = r.integer(business, "BussinessDocType", allowed=(0, 1, 2, 3),
                              default=0) if business is not None else 0
    package = Package(
        sender=sender, recipients=recipients, code_number=code_number,
        code_notation=code_notation, promulgation_date=promulgation_date,
        subject=r.text(message, "Subject", required=True),
        type_kind=r.integer(message, "DocumentType/Type", allowed=(1, 2), default=1),
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
        business_reason=r.text(business, "BussinessDocReason") if business is not None
        else "",
        paper=r.integer(business, "Paper", allowed=(0, 1), default=0) if business is not None
        else 0,
        staff=r.staff(business) if business is not None else Staff(),
    )
    if business is not None:
        package.replaces = [
            r.text(info, "DocumentId", limit=120) for info in
            _findall(_find(business, "ReplacementInfoList"), "ReplacementInfo")]
    for trace in _findall(traces_element, "TraceHeader"):
        package.traces.append((r.text(trace, "OrganId", required=True),
                               r.moment(trace, "Timestamp", required=True)))
    given_id = r.text(message, "DocumentId", required=True, limit=120)
    if given_id and code_number and code_notation and promulgation_date and sender.organ_id:
        if _id_key(given_id) != _id_key(package.document_id):
            r.problem("DocumentId", _l("«%(given)s» không khớp với cơ quan gửi, ngày ban hành "
                                       "và số, ký hiệu (phải là «%(expected)s»)",
                                       given=given_id[:120], expected=package.document_id))
    if business is not None:
        business_id = r.text(business, "DocumentId", limit=120)
        if business_id and given_id and _id_key(business_id) != _id_key(given_id):
            r.problem("Bussiness/DocumentId", _l("không khớp với MessageHeader/DocumentId"))
    if business_type == 3 and not package.replaces:
        r.problem("Bussiness/ReplacementInfoList", _l(
            "văn bản thay thế phải nêu văn bản bị thay thế"))
    if business_type in (1, 3) and not package.business_reason:
        r.problem("Bussiness/BussinessDocReason", _l("thu hồi, thay thế phải có lý do"))
    _read_attachments(r, root, envelope, package)
    if r.problems:
        raise PackageError(r.problems)
    return package


def _place(r, element, name="Place"):
    value = to_unicode((element.text or "").strip())
    if len(value) > LIMITS.get(name, 150):
        r.problem(f"{name}", _l("dài %(n)s ký tự, tối đa %(max)s", n=len(value),
                                max=LIMITS.get(name, 150)))
    return value


def _id_key(value: str) -> str:
    """DocumentIds compared without spaces, case and dashes/slashes variants in the date."""
    return re.sub(r"\s+", "", value).upper().replace("-", "/")


def _read_attachments(r, root, envelope, package):
    manifest = _find(envelope, "edXMLBody/edXMLManifest")
    references = {}
    for reference in _findall(manifest, "Reference"):
        content_id = r.text(reference, "ContentId", required=True, limit=100)
        if content_id in references:
            r.problem("edXMLManifest/Reference", _l("ContentId «%(id)s» lặp lại", id=content_id))
        references[content_id] = reference
    encoded = _find(root, "AttachmentEncoded") if _local(root.tag) == "edXML" else None
    seen = set()
    for item in _findall(encoded, "Attachment"):
        content_id = r.text(item, "ContentId", required=True, limit=100)
        where = f"Attachment[{content_id}]"
        if content_id not in references:
            r.problem(where, _l("không có trong edXMLManifest"))
        seen.add(content_id)
        name = r.text(item, "AttachmentName", required=True)
        content_type = r.text(item, "ContentType", required=True, limit=100).lower()
        if content_type and content_type not in ALLOWED_TYPES:
            r.problem(where, _l("loại tệp «%(t)s» không được nhận (chỉ nhận bản quét PDF hoặc "
                                "ảnh JPEG, PNG, TIFF)", t=content_type))
        raw = "".join((_find(item, "ContentTransferEncoded").text or "").split()) \
            if _find(item, "ContentTransferEncoded") is not None else ""
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            r.problem(where, _l("nội dung base64 không hợp lệ"))
            continue
        if not data:
            r.problem(where, _l("tệp rỗng"))
            continue
        package.attachments.append(Attachment(content_id, name, content_type, data,
                                              r.text(item, "Description")))
    for content_id in references.keys() - seen:
        r.problem(f"edXMLManifest/Reference[{content_id}]", _l("không có tệp tương ứng trong "
                                                               "AttachmentEncoded"))
    if package.business_type in (0, 3) and not package.attachments:
        r.problem("AttachmentEncoded", _l("văn bản phải kèm bản quét có chữ ký, đóng dấu"))


def _read_status(element) -> Status:
    r = _Reader()
    sender_element = _find(element, "From")
    if sender_element is None:
        r.problem("Status/From", _l("bắt buộc, đang thiếu"))
    sender = r.organ(sender_element, "Status/From") if sender_element is not None \
        else Organ("")
    code = r.text(element, "StatusCode", required=True)
    if code and not STATUS_CODE.match(code):
        r.problem("Status/StatusCode", _l("mã trạng thái «%(c)s» không hợp lệ", c=code[:10]))
    status = Status(document_id=r.text(element, "ResponseFor/DocumentId", required=True,
                                       limit=120),
                    sender=sender, code=code,
                    timestamp=r.moment(element, "Timestamp", required=True),
                    description=r.text(element, "Description"), staff=r.staff(element))
    if code == "02" and not status.description:
        r.problem("Status/Description", _l("trả lại phải có lý do"))
    if r.problems:
        raise PackageError(r.problems)
    return status
