"""Liên thông văn bản: edXML round trip, the partner inbox (authentication, what cannot be
registered refused with a reason and nothing stored, duplicates), the registration queue,
returning, statuses, file export and import, the worker's sending rules."""
import re

import pytest
from sqlalchemy import func, select

from app.exchange import edxml, worker
from app.exchange.models import (
    FAILED, PENDING, QUEUED, RETURNED, SENT, ExchangeInbound, ExchangeOutbox,
)
from app.documents.models import IncomingDocument
from app.outgoing.models import EXTERNAL, OutgoingDocument, OutgoingRecipient
from tests.conftest import form_of
from tests.exchange_helpers import (
    FINANCE, FINANCE_TOKEN, OURS, drop, ensure_partner, sample_package, set_text, tiny_pdf,
    valid_package,
)

INBOX = "/api/v1/exchange/inbox"


@pytest.fixture(autouse=True)
def our_identity(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", OURS)


@pytest.fixture
def partner(app, db_session):
    return ensure_partner(db_session, FINANCE, FINANCE_TOKEN)


def post(client, data, token=FINANCE_TOKEN):
    headers = {"Content-Type": "application/xml"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(INBOX, data=data, headers=headers)


def counts(session):
    session.rollback()
    return (session.scalar(select(func.count()).select_from(ExchangeInbound)),
            session.scalar(select(func.count()).select_from(IncomingDocument)))


# ---------------------------------------------------------------- the format

def test_package_round_trips_every_field(app):
    package = sample_package()
    with app.test_request_context():
        data = edxml.build_package(package)
        assert edxml.read(data) == package
    assert b"http://www.mic.gov.vn/TBT/QCVN_102_2016" in data
    assert package.document_id == f"{FINANCE},{package.promulgation_date:%Y/%m/%d}," \
                                  f"{package.code_number}/STC-NS"


def test_status_round_trips(app):
    status = edxml.Status(document_id=f"{FINANCE},2026/03/05,15/STC-NS",
                          sender=edxml.Organ(OURS, name="Sở Nội vụ"), code="03",
                          timestamp=sample_package().traces[0][1], description="Đã vào sổ",
                          staff=edxml.Staff(staff="Văn thư"))
    with app.test_request_context():
        assert edxml.read(edxml.build_status(status)) == status


def test_reader_is_tolerant(app):
    """The older namespace, ISO dates, a short legacy code, TCVN3 text and no accents."""
    with app.test_request_context():
        data = edxml.build_package(sample_package(subject="Së Tµi chÝnh b¸o c¸o",
                                                  type_name="Cong van"))
    text = data.decode().replace(edxml.NS, edxml.OLD_NS)
    text = re.sub(r"<edXML:PromulgationDate>(\d{4})/(\d\d)/(\d\d)<",
                  r"<edXML:PromulgationDate>\1-\2-\3<", text)
    text = text.replace(f"<edXML:OrganId>{OURS}</edXML:OrganId>",
                        "<edXML:OrganId>28.22.H17</edXML:OrganId>", 1)
    with app.test_request_context():
        package = edxml.read(text.encode())
    assert package.subject == "Sở Tài chính báo cáo"
    assert package.type_name == "Cong van"


def test_built_packages_are_checked_by_our_reader(app):
    with app.test_request_context(), pytest.raises(edxml.PackageError) as error:
        edxml.build_package(sample_package(signer_name="X" * 51))
    assert "FullName" in str(error.value)


# ---------------------------------------------------------------- malformed packages

XXE = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&x;</edXML>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;">]><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">'
          '&c;</edXML>')
# Only what cannot be registered at all is refused at the door (the oddities that are
# accepted with a warning: tests/test_exchange_oddities.py).
MALFORMED = {
    "empty body": (lambda t: "", "rỗng"),
    "only junk": (lambda t: "\ufeff   \x00garbage", "XML"),
    "not xml": (lambda t: "this is not xml <", "XML"),
    "xxe": (lambda t: XXE, "DTD"),
    "billion laughs": (lambda t: LAUGHS, "DTD"),
    "another format": (lambda t: "<html><body>edXML</body></html>", "edXML"),
    "no envelope": (lambda t: drop(t, "edXMLEnvelope"), "edXMLEnvelope"),
    "no header": (lambda t: drop(t, "edXMLHeader"), "edXMLHeader"),
    "no message header": (lambda t: drop(t, "MessageHeader"), "MessageHeader"),
    "no sender at all": (lambda t: drop(t, "From"), "From"),
    "for another agency": (lambda t: t.replace(f">{OURS}<", ">000.00.99.H30<").replace(
        ">Sở Nội vụ tỉnh Hà Nam<", ">Sở Y tế tỉnh Hà Nam<"), "To"),
    "recall of unknown document": (lambda t: set_text(t, "BussinessDocType", "1").replace(
        "<edXML:BussinessDocReason />", "<edXML:BussinessDocReason>Sai</edXML:BussinessDocReason>"),
        "thu hồi"),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_malformed_package_is_refused_with_a_reason(app, client, db_session, partner, kind):
    mutate, expected = MALFORMED[kind]
    before = counts(db_session)
    response = post(client, mutate(valid_package(app)).encode())
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    reasons = " ".join(body["problems"])
    assert expected.lower() in reasons.lower(), reasons
    assert counts(db_session) == before


def test_too_large_is_refused(app, client, partner, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_MAX_BYTES", 1000)
    assert post(client, valid_package(app).encode()).status_code == 413


@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789abcdef"])
def test_inbox_is_for_authenticated_partners_only(app, client, partner, token):
    assert post(client, valid_package(app).encode(), token=token).status_code == 401


def test_inbox_refuses_a_deactivated_partner(app, client, db_session, partner):
    partner.active = False
    db_session.commit()
    try:
        assert post(client, valid_package(app).encode()).status_code == 401
    finally:
        partner.active = True
        db_session.commit()


# ---------------------------------------------------------------- receiving

def _run_worker(app, sent=None):
    """One round; what would be posted is collected instead of sent."""
    outbox = sent if sent is not None else []

    def fake_post(url, token, payload):
        outbox.append((url, token, payload))
        return 202, b"{}"
    return worker.run_once(app, post=fake_post)


def test_valid_package_lands_in_the_queue_once(app, client, db_session, partner, login_as):
    package = sample_package(subject="Cong van khong dau", priority=3)
    with app.test_request_context():
        data = edxml.build_package(package)
    response = post(client, data)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert post(client, data).status_code == 409  # a package received twice: stored once
    sent = []
    _run_worker(app, sent)
    db_session.rollback()
    inbound = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.document_key == package.document_id))
    assert inbound.state == QUEUED
    document = inbound.incoming
    assert document.state == "pending" and document.channel == "exchange"
    assert document.number_symbol == package.number_symbol
    assert document.excerpt == "Cong van khong dau"
    assert document.agency.electronic_id == FINANCE
    assert document.signer_name == "Trần Văn Bình"
    assert document.urgency.priority == 3
    assert [f.original_name for f in document.files] == ["Công văn 15.pdf"]
    statuses = [edxml.read(p.encode()) for _u, _t, p in sent if b"StatusCode" in p.encode()]
    assert [(s.code, s.document_id) for s in statuses if s.document_id == package.document_id] \
        == [("01", package.document_id)]
    # The clerk sees it in "Chờ vào sổ" and registers it: 03 goes back.
    clerk = login_as("vanthu")
    page = clerk.get("/incoming/list/list/?box=waiting_registration").get_data(as_text=True)
    assert package.number_symbol in page
    show = clerk.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert "Trả lại cơ quan gửi" in show
    register_id = int(re.search(r'name="register_id" class="form-control"><option value="(\d+)"',
                                show).group(1))
    clerk.post(f"/incoming/{document.id}/do/register",
               data=form_of(show, register_id=register_id))
    sent.clear()
    _run_worker(app, sent)
    codes = [edxml.read(p.encode()).code for _u, _t, p in sent
             if package.document_id.encode() in p.encode() and b"StatusCode" in p.encode()]
    assert codes == ["03"]


def test_clerk_returns_a_package_with_a_reason(app, client, db_session, partner, login_as):
    with app.test_request_context():
        package = sample_package()
        data = edxml.build_package(package)
    assert post(client, data).status_code == 202
    _run_worker(app)
    db_session.rollback()
    inbound = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.document_key == package.document_id))
    clerk = login_as("vanthu")
    show = clerk.get(f"/incoming/{inbound.incoming_id}").get_data(as_text=True)
    response = clerk.post(f"/exchange/inbound/{inbound.id}/return",
                          data=form_of(show, reason=""), follow_redirects=True)
    assert "Nhập lý do trả lại." in response.get_data(as_text=True)
    clerk.post(f"/exchange/inbound/{inbound.id}/return",
               data=form_of(show, reason="Gửi nhầm cơ quan"))
    db_session.rollback()
    inbound = db_session.get(ExchangeInbound, inbound.id)
    assert inbound.state == RETURNED and inbound.incoming_id is None
    status_row = db_session.scalar(select(ExchangeOutbox).where(
        ExchangeOutbox.inbound_id == inbound.id, ExchangeOutbox.status_code == "02"))
    status = edxml.read(status_row.payload.encode())
    assert status.description == "Gửi nhầm cơ quan"


def test_import_edxml_file_into_the_queue(app, db_session, login_as):
    with app.test_request_context():
        package = sample_package(sender=edxml.Organ("28.22.H17", name="UBND huyện Kim Bảng"))
        data = edxml.build_package(package)
    clerk = login_as("vanthu")
    page = clerk.get("/exchange/import").get_data(as_text=True)
    bad = clerk.post("/exchange/import", data={**form_of(page), "package": (
        __import__("io").BytesIO(b"<edXML/>"), "x.edxml")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "edXMLEnvelope" in bad.get_data(as_text=True)
    response = clerk.post("/exchange/import", data={**form_of(page), "package": (
        __import__("io").BytesIO(data), "goi tin.edxml")}, content_type="multipart/form-data")
    assert response.status_code == 302
    db_session.rollback()
    inbound = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.document_key == package.document_id))
    assert inbound.source == "file" and inbound.state == QUEUED
    assert inbound.incoming.agency.legacy_code == "28.22.H17"


# ---------------------------------------------------------------- sending

def _external_document(session):
    return session.scalar(select(OutgoingDocument).join(OutgoingRecipient).where(
        OutgoingRecipient.kind == EXTERNAL, OutgoingDocument.state == "issued")
        .order_by(OutgoingDocument.id))


def test_export_issued_document_as_edxml(app, db_session, login_as):
    document = _external_document(db_session)
    clerk = login_as("vanthu")
    response = clerk.get(f"/exchange/outgoing/{document.id}.edxml")
    assert response.status_code == 200
    assert ".edxml" in response.headers["Content-Disposition"]
    with app.test_request_context():
        package = edxml.read(response.data)
    assert package.number_symbol == f"{document.number:02d}/{document.symbol}"
    assert package.subject == document.excerpt[:500] or package.subject.endswith("…")
    scans = [f.file for f in document.files if f.role == "signed_scan"]
    assert [a.name for a in package.attachments] == [f.original_name for f in scans]  # 9.1b
    assert package.signer_name == document.signer_name
    api = clerk.get(f"/api/v1/exchange/outgoing/{document.id}/edxml")
    assert api.status_code == 200


def test_worker_sends_with_backoff_and_never_twice(app, db_session):
    from app.catalogs.models import Agency, SecrecyLevel

    queued = select(ExchangeOutbox.recipient_id).where(ExchangeOutbox.recipient_id.is_not(None))
    recipient = db_session.scalar(
        select(OutgoingRecipient).join(OutgoingDocument).join(Agency).join(SecrecyLevel)
        .where(OutgoingRecipient.kind == EXTERNAL, OutgoingRecipient.status == "pending",
               OutgoingDocument.state == "issued", SecrecyLevel.level == 0,
               Agency.electronic_id.is_not(None), OutgoingRecipient.id.not_in(queued))
        .order_by(OutgoingRecipient.id.desc()))
    document, agency_code = recipient.document, recipient.agency.electronic_id
    partner = ensure_partner(db_session, agency_code, "token-for-worker-test-0123456789")
    before = db_session.scalar(select(func.max(ExchangeOutbox.id))) or 0
    calls = []

    def down(url, token, payload):
        calls.append(url)
        raise OSError("connection refused")
    worker.run_once(app, post=down)
    db_session.rollback()
    # This round's messages (the demo's outbox may hold older ones to the same partner).
    rows = list(db_session.scalars(select(ExchangeOutbox).where(
        ExchangeOutbox.partner_id == partner.id, ExchangeOutbox.kind == "package",
        ExchangeOutbox.id > before)))
    assert rows and all(r.state in (PENDING, FAILED) for r in rows)
    row = next(r for r in rows if r.outgoing_id == document.id)
    assert row.attempts == 1 and row.next_attempt_at > row.created_at
    tried = len(calls)
    worker.run_once(app, post=down)  # not due yet: nothing is tried again
    assert len(calls) == tried
    # A message another worker holds is not claimed twice.
    db_session.rollback()
    assert worker.claim(db_session, row.id) is True
    assert worker.claim(db_session, row.id) is False
    row = db_session.get(ExchangeOutbox, row.id)
    row.state, row.claimed_until, row.next_attempt_at = PENDING, None, row.created_at
    db_session.commit()
    with worker.round_lock(app) as mine:  # another process holds the round lock
        assert mine
        with worker.round_lock(app) as second:
            assert not second
    worker.run_once(app, post=lambda url, token, payload: (202, b"{}"))
    db_session.rollback()
    row = db_session.get(ExchangeOutbox, row.id)
    assert row.state == SENT and row.recipient.status == "dispatched"


def test_refused_package_fails_with_the_partners_reason(app, db_session, partner):
    # A due message of the test's own (the demo may leave none pending).
    row = ExchangeOutbox(partner_id=partner.id, kind="package", document_key="refused-package",
                         payload="<edXMLEnvelope/>", state=PENDING)
    db_session.add(row)
    db_session.commit()
    row.next_attempt_at = row.created_at
    db_session.commit()
    worker.run_once(app, post=lambda url, token, payload: (
        422, b'{"message": "G\xc3\xb3i tin kh\xc3\xb4ng h\xe1\xbb\xa3p l\xe1\xbb\x87.", '
             b'"problems": ["To: sai"]}'))
    db_session.rollback()
    row = db_session.get(ExchangeOutbox, row.id)
    assert row.state == FAILED and "To: sai" in row.last_error


def test_pages_by_role(app, login_as):
    assert login_as("vanthu").get("/exchange/").status_code == 200
    assert login_as("lanhdao").get("/exchange/").status_code == 200
    assert login_as("chuyenvien").get("/exchange/").status_code == 403
    assert login_as("vanthu").get("/exchangepartnerview/list/").status_code == 200


def test_pdf_helper_is_accepted():
    assert tiny_pdf().startswith(b"%PDF-")
