"""The *structure* of the edXML packages we build, checked against QCVN 102:2016/BTTTT.

No XSD for edXML / QCVN 102:2016 is published in any public repository we could find (see
tests/data/edxml/schema/README.md), so the structure rules are written here as data, from the
standard's element tables (From, To, Code, PromulgationInfo, DocumentType, Subject, Content,
SignerInfo, DueDate, ToPlaces, OtherInfo, ResponseFor, SteeringType; TraceHeaderList;
edXMLManifest/Reference; AttachmentEncoded/Attachment) and the additions of the national
document axis (DocumentId, Bussiness, StaffInfo, Paper, ReplacementInfoList) as the VPCP
EdXML102 SDK packages in tests/data/edxml/real/ carry them.

Each rule: (child, min, max) in the order the standard lists them. Children marked FREE may
stand anywhere among their siblings (the real packages place them differently, the standard
does not fix a position for them). An element not in its parent's rule is a structure error.

Also checked (the points our packages must meet): DocumentType/TypeDetail is not empty, the
edXMLManifest element has a `version` attribute, and our own organ ID is never among the To
elements, even when the document's recipients include us.

The last tests keep tests/data/edxml/real/ honest: every sample is listed in SOURCES.md and
in expected.json, and expected.json says what the file says (read here with ElementTree, not
with our reader).
"""
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.exchange import edxml
from tests.exchange_helpers import FINANCE, OURS, PROVINCE, sample_package

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
REAL = Path(__file__).parent / "data" / "edxml" / "real"
UNBOUNDED = None
FREE = "free"

ORGAN = [("OrganId", 1, 1), ("OrganizationInCharge", 0, 1), ("OrganName", 1, 1),
         ("OrganAdd", 0, 1), ("Email", 0, 1), ("Telephone", 0, 1), ("Fax", 0, 1),
         ("Website", 0, 1)]
STAFF = [("Department", 0, 1), ("Staff", 0, 1), ("Email", 0, 1), ("Mobile", 0, 1)]

# element local name → [(child, min, max[, FREE])]; leaves (text only) are not listed.
RULES = {
    "edXML": [("edXMLEnvelope", 1, 1), ("AttachmentEncoded", 0, 1)],
    "edXMLEnvelope": [("edXMLHeader", 1, 1), ("edXMLBody", 1, 1)],
    "edXMLHeader": [("MessageHeader", 1, 1), ("TraceHeaderList", 1, 1),
                    ("Signature", 0, UNBOUNDED)],
    "MessageHeader": [
        ("From", 1, 1), ("To", 1, UNBOUNDED),
        ("DocumentId", 0, 1, FREE),  # national axis addition: after To, or last (C# SDK)
        ("Code", 1, 1), ("PromulgationInfo", 1, 1), ("DocumentType", 1, 1),
        ("Subject", 1, 1), ("Content", 0, 1), ("SignerInfo", 1, 1), ("DueDate", 0, 1),
        ("ToPlaces", 0, 1), ("OtherInfo", 0, 1), ("ResponseFor", 0, UNBOUNDED),
        ("SteeringType", 0, 1)],
    "From": ORGAN,
    "To": ORGAN,
    "Code": [("CodeNumber", 1, 1), ("CodeNotation", 1, 1)],
    "PromulgationInfo": [("Place", 1, 1), ("PromulgationDate", 1, 1)],
    "DocumentType": [("Type", 1, 1), ("TypeDetail", 1, 1), ("TypeName", 1, 1)],
    "SignerInfo": [("Competence", 0, 1), ("Position", 0, 1), ("FullName", 1, 1)],
    "ToPlaces": [("Place", 0, UNBOUNDED)],
    "OtherInfo": [("Priority", 0, 1), ("SphereOfPromulgation", 0, 1),
                  ("TyperNotation", 0, 1), ("PromulgationAmount", 0, 1),
                  ("PageAmount", 0, 1), ("Appendixes", 0, 1)],
    "Appendixes": [("Appendix", 0, UNBOUNDED)],
    "ResponseFor": [("OrganId", 0, 1), ("Code", 0, 1), ("PromulgationDate", 0, 1),
                    ("DocumentId", 1, 1)],
    "TraceHeaderList": [("TraceHeader", 1, UNBOUNDED, FREE), ("Bussiness", 0, 1, FREE)],
    "TraceHeader": [("OrganId", 1, 1), ("Timestamp", 1, 1)],
    # Real packages order Bussiness' children differently (Paper before or after StaffInfo,
    # ReplacementInfoList before StaffInfo): cardinality only.
    "Bussiness": [("DocumentId", 0, 1, FREE), ("BussinessDocType", 1, 1, FREE),
                  ("BussinessDocReason", 0, 1, FREE), ("Paper", 0, 1, FREE),
                  ("StaffInfo", 0, 1, FREE), ("ReplacementInfoList", 0, 1, FREE)],
    "StaffInfo": STAFF,
    "ReplacementInfoList": [("ReplacementInfo", 1, UNBOUNDED)],
    "ReplacementInfo": [("DocumentId", 1, 1), ("OrganIdList", 0, 1)],
    "OrganIdList": [("OrganId", 1, UNBOUNDED)],
    "edXMLBody": [("edXMLManifest", 1, 1)],
    "edXMLManifest": [("Reference", 0, UNBOUNDED)],
    "Reference": [("ContentId", 1, 1, FREE), ("ContentType", 0, 1, FREE),
                  ("Description", 0, 1, FREE), ("AttachmentName", 1, 1, FREE)],
    "AttachmentEncoded": [("Attachment", 1, UNBOUNDED)],
    "Attachment": [("ContentId", 1, 1, FREE), ("AttachmentName", 1, 1, FREE),
                   ("Description", 0, 1, FREE), ("ContentType", 1, 1, FREE),
                   ("ContentTransferEncoded", 1, 1, FREE)],
}
# A local name that is a container under one parent and text under another: ResponseFor/Code
# holds "7816/VPCP-TTĐT" where MessageHeader/Code holds CodeNumber and CodeNotation.
CONTEXT_RULES = {("ResponseFor", "Code")}
REQUIRED_ATTRIBUTES = {"edXMLManifest": ("version",)}
LEAF_FORMATS = {
    ("PromulgationInfo", "PromulgationDate"): r"^\d{4}/\d{2}/\d{2}$",
    ("MessageHeader", "DueDate"): r"^(\d{4}/\d{2}/\d{2})?$",
    ("TraceHeader", "Timestamp"): r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$",
    ("DocumentType", "Type"): r"^[12]$",
    ("Bussiness", "BussinessDocType"): r"^[0-3]$",
    ("Bussiness", "Paper"): r"^[01]$",
    ("From", "OrganId"): r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$",
    ("To", "OrganId"): r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$",
    ("TraceHeader", "OrganId"): r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$",
}
REQUIRED_TEXT = {("From", "OrganId"), ("To", "OrganId"), ("Code", "CodeNumber"),
                 ("Code", "CodeNotation"), ("PromulgationInfo", "PromulgationDate"),
                 ("DocumentType", "Type"), ("DocumentType", "TypeDetail"),
                 ("DocumentType", "TypeName"), ("MessageHeader", "Subject"),
                 ("TraceHeader", "OrganId"), ("TraceHeader", "Timestamp"),
                 ("Reference", "ContentId"), ("Attachment", "ContentId"),
                 ("Attachment", "ContentTransferEncoded"), ("Attachment", "ContentType")}


def local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(element, name):
    return [c for c in element if local(c.tag) == name]


def structure_errors(root):
    """Every departure of the tree from RULES, as 'path: message'."""
    errors = []

    def walk(element, path):
        name = local(element.tag)
        parent_name = path.rsplit("/", 2)[-2] if "/" in path else ""
        if name == "Signature" and parent_name == "edXMLHeader":
            # XML-DSig (QCVN 102:2016 §2.3): its own namespace, its own schema.
            if not element.tag.startswith(f"{{{DSIG}}}"):
                errors.append(f"{path}: not in the XML-DSig namespace {DSIG}")
            return
        if not element.tag.startswith(f"{{{NS}}}"):
            errors.append(f"{path}: not in the namespace {NS}")
        for attribute in REQUIRED_ATTRIBUTES.get(name, ()):
            if not element.get(attribute):
                errors.append(f"{path}: attribute «{attribute}» missing or empty")
        rule = None if (parent_name, name) in CONTEXT_RULES else RULES.get(name)
        if rule is None:  # a leaf
            if len(element):
                errors.append(f"{path}: should hold text only, has "
                              f"{[local(c.tag) for c in element]}")
            return
        allowed = {r[0]: r for r in rule}
        for child in element:
            if local(child.tag) not in allowed:
                errors.append(f"{path}: unexpected child «{local(child.tag)}»")
        for child_name, low, high, *_flags in rule:
            count = len(children(element, child_name))
            if count < low:
                errors.append(f"{path}: «{child_name}» occurs {count}×, at least {low} needed")
            if high is not None and count > high:
                errors.append(f"{path}: «{child_name}» occurs {count}×, at most {high} allowed")
        ordered = [r[0] for r in rule if FREE not in r[3:]]
        seen = [local(c.tag) for c in element if local(c.tag) in ordered]
        ranks = [ordered.index(n) for n in seen]
        if ranks != sorted(ranks):
            errors.append(f"{path}: children out of order {seen}, the standard's order is "
                          f"{[n for n in ordered if n in seen]}")
        for child in element:
            walk(child, f"{path}/{local(child.tag)}")

    walk(root, local(root.tag))
    for parent in root.iter():
        for child in parent:
            key = (local(parent.tag), local(child.tag))
            text = (child.text or "").strip()
            if key in REQUIRED_TEXT and not text:
                errors.append(f"{key[0]}/{key[1]}: empty")
            if key in LEAF_FORMATS and text and not re.match(LEAF_FORMATS[key], text):
                errors.append(f"{key[0]}/{key[1]}: «{text[:40]}» does not match "
                              f"{LEAF_FORMATS[key]}")
    return errors


def our_package(**overrides):
    """A package as *we* send it: from us, to Finance, the province and (as the document's
    recipient list often does) ourselves."""
    values = dict(sender=edxml.Organ(OURS, name="Sở Nội vụ tỉnh Hà Nam"),
                  recipients=[edxml.Organ(FINANCE, name="Sở Tài chính tỉnh Hà Nam"),
                              edxml.Organ(OURS, name="Sở Nội vụ tỉnh Hà Nam"),
                              edxml.Organ(PROVINCE, name="UBND tỉnh Hà Nam")],
                  traces=[(OURS, sample_package().traces[0][1])])
    values.update(overrides)
    return sample_package(**values)


@pytest.fixture(autouse=True)
def our_identity(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", OURS)


def built(app, package):
    with app.test_request_context():
        return ET.fromstring(edxml.build_package(package))


def message_header(root):
    return root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader/{{{NS}}}MessageHeader")


# ---------------------------------------------------------------- our packages

def test_sample_package_structure_follows_qcvn_102(app):
    assert structure_errors(built(app, sample_package())) == []


def test_our_package_structure_follows_qcvn_102(app):
    assert structure_errors(built(app, our_package())) == []


def test_revocation_without_attachments_keeps_required_structure(app):
    """A revocation (BussinessDocType 1) needs no file; the tree must still be complete."""
    root = built(app, our_package(attachments=[], business_type=1,
                                  business_reason="Ban hành nhầm"))
    assert structure_errors(root) == []


def test_type_detail_is_not_empty(app):
    for package in (sample_package(), our_package()):
        element = message_header(built(app, package)).find(
            f"{{{NS}}}DocumentType/{{{NS}}}TypeDetail")
        assert element is not None and (element.text or "").strip(), \
            "DocumentType/TypeDetail is required by QCVN 102:2016 and must not be empty"


def test_manifest_has_a_version(app):
    manifest = built(app, sample_package()).find(
        f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLBody/{{{NS}}}edXMLManifest")
    assert manifest is not None
    assert manifest.get("version"), "edXMLManifest must carry a version attribute"


def test_our_organ_id_is_never_among_to(app):
    root = built(app, our_package())
    to_ids = [(to.findtext(f"{{{NS}}}OrganId") or "").strip().upper()
              for to in message_header(root).findall(f"{{{NS}}}To")]
    assert OURS not in to_ids
    assert sorted(to_ids) == sorted([FINANCE, PROVINCE])


def test_our_organ_id_is_never_among_to_in_any_case(app):
    """Even written in lower case or with spaces in the document's recipient list."""
    root = built(app, our_package(recipients=[
        edxml.Organ(FINANCE), edxml.Organ(f" {OURS.lower()} ")]))
    to_ids = [(to.findtext(f"{{{NS}}}OrganId") or "").strip().upper()
              for to in message_header(root).findall(f"{{{NS}}}To")]
    assert OURS not in to_ids
    assert to_ids == [FINANCE]


def test_manifest_references_and_attachments_match(app):
    root = built(app, our_package(attachments=[
        edxml.Attachment("cid:1", "a.pdf", "application/pdf", b"%PDF-1.4 a", "Bản quét"),
        edxml.Attachment("cid:2", "b.pdf", "application/pdf", b"%PDF-1.4 b", "Phụ lục")]))
    manifest = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLBody/{{{NS}}}edXMLManifest")
    encoded = root.find(f"{{{NS}}}AttachmentEncoded")
    references = [r.findtext(f"{{{NS}}}ContentId") for r in manifest]
    attachments = [a.findtext(f"{{{NS}}}ContentId") for a in encoded]
    assert references == attachments == ["cid:1", "cid:2"]


def test_checker_catches_what_it_should():
    """The rules themselves: a missing Code, a second From, an unknown child, a manifest
    without version and MessageHeader children out of order are all reported."""
    bad = f"""<edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader><MessageHeader>
      <To><OrganId>000.00.07.H30</OrganId><OrganName>x</OrganName></To>
      <From><OrganId>000.00.04.H30</OrganId><OrganName>x</OrganName></From>
      <From><OrganId>000.00.04.H30</OrganId><OrganName>x</OrganName></From>
      <PromulgationInfo><Place>x</Place><PromulgationDate>2026-03-05</PromulgationDate>
      </PromulgationInfo>
      <DocumentType><Type>1</Type><TypeDetail/><TypeName>x</TypeName></DocumentType>
      <Subject>x</Subject><SignerInfo><FullName>x</FullName></SignerInfo><Extra/>
    </MessageHeader><TraceHeaderList><TraceHeader><OrganId>000.00.04.H30</OrganId>
    <Timestamp>2026/03/05 08:00:00</Timestamp></TraceHeader></TraceHeaderList></edXMLHeader>
    <edXMLBody><edXMLManifest/></edXMLBody></edXMLEnvelope></edXML>"""
    errors = "\n".join(structure_errors(ET.fromstring(bad)))
    for expected in ("«Code» occurs 0×", "«From» occurs 2×", "unexpected child «Extra»",
                     "attribute «version» missing", "out of order",
                     "DocumentType/TypeDetail: empty", "PromulgationDate: «2026-03-05»"):
        assert expected in errors, expected


# ---------------------------------------------------------------- the real samples

def real_files():
    return sorted(p.name for p in REAL.glob("*.edxml"))


def test_every_real_sample_is_documented():
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    expected = {e["file"] for e in json.loads((REAL / "expected.json").read_text("utf-8"))}
    assert len(real_files()) >= 10
    for name in real_files():
        assert f"`{name}`" in sources, name
    assert expected == set(real_files())
    packages = [e for e in json.loads((REAL / "expected.json").read_text("utf-8"))
                if e["kind"] == "package"]
    assert len(packages) >= 7


def _what_a_clerk_reads(data):
    root = ET.fromstring(data)
    envelope = root if local(root.tag) == "edXMLEnvelope" else children(root, "edXMLEnvelope")[0]
    header = children(envelope, "edXMLHeader")[0]
    message = (children(header, "MessageHeader") or children(header, "Status"))[0]

    def text(element, path):
        for name in path.split("/"):
            found = children(element, name) if element is not None else []
            element = found[0] if found else None
        return None if element is None else (element.text or "").strip()

    def iso(value):
        if not value:
            return None
        match = re.match(r"^(\d{4})[/-](\d{2})[/-](\d{2})", value)
        if match:
            return "-".join(match.groups())
        day, month, year = re.match(r"^(\d{2})/(\d{2})/(\d{4})$", value).groups()
        return f"{year}-{month}-{day}"

    is_status = text(message, "StatusCode") is not None
    encoded = children(root, "AttachmentEncoded")
    result = {
        "kind": "status" if is_status else "package",
        "to": [text(to, "OrganId") for to in children(message, "To")],
        "from": text(message, "From/OrganId"),
        "number_symbol": text(message, "ResponseFor/Code") if is_status else
        f"{text(message, 'Code/CodeNumber')}/{text(message, 'Code/CodeNotation')}",
        "date": iso(text(message, "ResponseFor/PromulgationDate" if is_status else
                         "PromulgationInfo/PromulgationDate")),
        "subject_starts": unicodedata.normalize("NFC", text(message, "Subject") or "")[:30],
        "attachments": len(children(encoded[0], "Attachment")) if encoded else 0,
        "signed": any(local(e.tag) == "Signature" for e in root.iter()),
    }
    if is_status:
        result["status_code"] = text(message, "StatusCode")
    return result


@pytest.mark.parametrize("entry", json.loads((REAL / "expected.json").read_text("utf-8")),
                         ids=lambda e: e["file"])
def test_expected_json_says_what_the_file_says(entry):
    read = _what_a_clerk_reads((REAL / entry["file"]).read_bytes())
    assert read == {k: v for k, v in entry.items() if k != "file"}
