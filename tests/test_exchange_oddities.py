"""What other agencies' systems really send (issue 18): each oddity of real traffic is accepted
into the clerk's queue (Chờ tiếp nhận) with a warning that names the edXML element and says in
Vietnamese what is odd, shown beside the registration form's field; nothing goes back to the
sender without the clerk. Also: a package sent again after a return, a true duplicate, a
different package under a DocumentId already waiting, registration from the queue with the
clerk's corrections, processing failures kept (not returned), the clerks told."""
import io
import re
import zipfile
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.core.timefmt import today_local
from app.documents.models import IncomingDocument
from app.exchange import edxml, worker
from app.exchange.models import (
    QUEUED, RECEIVED, REGISTERED, RETURNED, ExchangeInbound, ExchangeOutbox,
)
from app.notifications.models import Notification
from app.org.models import EofficeUser
from tests.conftest import form_of
from tests.incoming_helpers import ids
from tests.exchange_helpers import (
    FINANCE, FINANCE_TOKEN, OURS, PROVINCE, drop, ensure_partner, sample_package, set_text,
    valid_package,
)

INBOX = "/api/v1/exchange/inbox"
PAST = date.today() - timedelta(days=40)
# An OLE compound file holding a "WordDocument" stream (what a .doc is, as our check reads it).
WORD_97 = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
           + "WordDocument\0".encode("utf-16-le") + b"\x00" * 400)
EXCEL_97 = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
            + "Workbook\0".encode("utf-16-le") + b"\x00" * 400)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def our_identity(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", OURS)
    monkeypatch.setitem(app.config, "AGENCY_NAME", "Sở Nội vụ tỉnh Hà Nam")


@pytest.fixture
def partner(app, db_session):
    return ensure_partner(db_session, FINANCE, FINANCE_TOKEN)


def post(client, data):
    return client.post(INBOX, data=data, headers={"Content-Type": "application/xml",
                                                  "Authorization": f"Bearer {FINANCE_TOKEN}"})


def run_worker(app):
    """One round; what would be posted to partners is collected, not sent."""
    sent = []

    def collect(url, token, payload):
        sent.append(payload)
        return 202, b"{}"
    worker.run_once(app, post=collect)
    return sent


class _Form(HTMLParser):
    """The fields of the page's main form as a browser submits them as they are filled."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea, self._first = {}, None, None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("file", "submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            self._first.setdefault(self._select, a.get("value", ""))
            if "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.values.setdefault(self._select, self._first.get(self._select, ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def filled(html, **changes):
    form = _Form()
    form.feed(html[html.index('enctype="multipart/form-data"'):])
    return {**form.values, **changes}


def messages(html):
    """The error messages a page shows (for an assertion's explanation)."""
    return re.findall(r"error-message[^>]*>([^<]*)", html)


def _in_trace(text, organ_id):
    return re.sub(r"(<edXML:TraceHeader>\s*<edXML:OrganId>)[^<]*(</edXML:OrganId>)",
                  rf"\g<1>{organ_id}\g<2>", text, count=1)


def _attachment(text, data, content_type, name):
    import base64

    text = set_text(text, "ContentTransferEncoded", base64.b64encode(data).decode())
    text = text.replace("<edXML:ContentType>application/pdf</edXML:ContentType>",
                        f"<edXML:ContentType>{content_type}</edXML:ContentType>")
    return text.replace("Công văn 15.pdf", name)


def _with_office_files(app):
    """A PDF with a .docx and an .xls beside it, each declared with its own type."""
    package = sample_package()
    package.attachments += [
        edxml.Attachment("cid:2", "Dự thảo.docx", "application/vnd.openxmlformats-"
                         "officedocument.wordprocessingml.document", _docx()),
        edxml.Attachment("cid:3", "Biểu số liệu.xls", "application/vnd.ms-excel", EXCEL_97)]
    with app.test_request_context():
        return edxml.build_package(package).decode()


def _another_recipient_first(text):
    other = ("<edXML:To><edXML:OrganId>000.00.12.H30</edXML:OrganId>"
             "<edXML:OrganName>Sở Y tế tỉnh Hà Nam</edXML:OrganName></edXML:To>")
    return text.replace("<edXML:To>", other + "<edXML:To>", 1)


# kind: (alter the valid package's text, element named by the warning, words of the message,
#        registration form field it is shown beside)
ODD = {
    "junk before the xml declaration": (
        lambda t, app: "\ufeff\r\n--boundary\r\n" + t, "edXML", "byte lạ", ""),
    "foreign namespace": (
        lambda t, app: t.replace(edxml.NS, "urn:vendor:edxml"), "edXML", "không gian tên", ""),
    "12-digit numeric sender code": (
        lambda t, app: t.replace(f">{FINANCE}<", ">000000000007<", 1), "From/OrganId",
        "không theo dạng", "agency_id"),
    "system id as our code, our name": (
        lambda t, app: t.replace(f">{OURS}<", ">VNPT-IOFFICE-SNV<"), "To/OrganId",
        "không theo dạng", ""),
    "several recipients, one of them us": (
        lambda t, app: drop(_another_recipient_first(t), "DueDate"), "DueDate", "", None),
    "a recipient twice": (
        lambda t, app: t.replace("</edXML:To>", "</edXML:To>" + re.search(
            r"<edXML:To>.*?</edXML:To>", t, re.S).group(0), 1), "To", "nhiều lần", ""),
    "no recipient": (lambda t, app: drop(t, "To"), "To", "không nêu", ""),
    "type code outside the table": (
        lambda t, app: set_text(t, "Type", "7"), "DocumentType/Type", "ngoài bảng",
        "document_type_id"),
    "type name not in our catalog": (
        lambda t, app: set_text(t, "TypeName", "Văn bản điện tử khác"), "DocumentType/TypeName",
        "không có trong danh mục", "document_type_id"),
    "trace entry without an id": (
        lambda t, app: _in_trace(t, ""), "TraceHeader[1]/OrganId", "không có mã", ""),
    "page amount 0": (
        lambda t, app: set_text(t, "PageAmount", "0"), "OtherInfo/PageAmount", "bằng 0",
        "page_count"),
    "due date already past": (
        lambda t, app: set_text(t, "DueDate", f"{PAST:%Y/%m/%d}"), "DueDate", "đã qua",
        "deadline"),
    "no promulgation date": (
        lambda t, app: drop(t, "PromulgationDate"), "PromulgationInfo/PromulgationDate",
        "bắt buộc", "document_date"),
    "promulgation date in the future": (
        lambda t, app: re.sub(r"<edXML:PromulgationDate>[^<]*<", "<edXML:PromulgationDate>"
                              f"{date.today() + timedelta(days=30):%Y/%m/%d}<", t, count=1),
        "PromulgationInfo/PromulgationDate", "tương lai", "document_date"),
    "unreadable date": (
        lambda t, app: set_text(t, "PromulgationDate", "2026/13/45"),
        "PromulgationInfo/PromulgationDate", "không đúng dạng", "document_date"),
    "year 1": (
        lambda t, app: set_text(t, "PromulgationDate", "0001/01/01"),
        "PromulgationInfo/PromulgationDate", "Năm 1", "document_date"),
    "a .doc declared as zip": (
        lambda t, app: _attachment(t, WORD_97, "application/zip", "Công văn.doc"),
        "Attachment[cid:1]", "khai báo «application/zip»", "files"),
    "a pdf declared as word": (
        lambda t, app: t.replace("application/pdf", "application/msword"),
        "Attachment[cid:1]", "khai báo «application/msword»", "files"),
    "word and excel beside the pdf": (lambda t, app: _with_office_files(app), "", "", None),
    "a program named .pdf": (
        lambda t, app: _attachment(t, b"MZ\x90\x00 this is a program", "application/pdf",
                                   "Công văn.pdf"),
        "Attachment[cid:1]", "không mở được", "files"),
    "a damaged pdf": (
        lambda t, app: _attachment(t, b"%PDF-1.4 broken", "application/pdf", "Công văn.pdf"),
        "Attachment[cid:1]", "không mở được", "files"),
    "broken base64": (
        lambda t, app: set_text(t, "ContentTransferEncoded", "@@not base64@@"),
        "Attachment[cid:1]", "base64", "files"),
    "no attachment": (
        lambda t, app: drop(drop(t, "AttachmentEncoded"), "Reference"), "AttachmentEncoded",
        "không kèm tệp", "files"),
    "manifest names a missing file": (
        lambda t, app: drop(t, "AttachmentEncoded"), "edXMLManifest/Reference[cid:1]",
        "không có tệp", "files"),
    "no document id": (
        lambda t, app: drop(t, "DocumentId"), "DocumentId", "thiếu mã", ""),
    "document id that does not match": (
        lambda t, app: set_text(t, "DocumentId", f"{FINANCE},2020/01/01,1/X"), "DocumentId",
        "không khớp", ""),
    "no code number": (
        lambda t, app: set_text(t, "CodeNumber", ""), "Code/CodeNumber", "bắt buộc",
        "number_symbol"),
    "code notation too long": (
        lambda t, app: set_text(t, "CodeNotation", "X" * 31), "Code/CodeNotation", "tối đa",
        "number_symbol"),
    "no subject": (lambda t, app: set_text(t, "Subject", ""), "Subject", "bắt buộc", "excerpt"),
    "priority out of range": (
        lambda t, app: set_text(t, "Priority", "9"), "OtherInfo/Priority", "không hợp lệ",
        "urgency_id"),
    "unknown business type": (
        lambda t, app: set_text(t, "BussinessDocType", "5"), "Bussiness/BussinessDocType",
        "không hợp lệ", ""),
    "an update (type 2)": (
        lambda t, app: set_text(t, "BussinessDocType", "2"), "Bussiness/BussinessDocType",
        "cập nhật", ""),
    "signer name too long": (
        lambda t, app: set_text(t, "FullName", "N" * 60), "SignerInfo/FullName", "tối đa",
        "signer_name"),
    "replacement naming nothing": (
        lambda t, app: set_text(t, "BussinessDocType", "3"), "Bussiness/ReplacementInfoList",
        "không nêu", ""),
    "sender is not the partner who authenticated": (
        lambda t, app: t.replace(FINANCE, PROVINCE), "From/OrganId", "đã xác thực",
        "agency_id"),
}


@pytest.mark.parametrize("kind", list(ODD))
def test_odd_package_waits_for_the_clerk_with_a_warning(app, client, db_session, partner, kind):
    alter, element, words, field = ODD[kind]
    data = alter(valid_package(app), app).encode()
    response = post(client, data)
    assert response.status_code == 202, response.get_data(as_text=True)
    inbound_id = response.get_json()["id"]
    sent = run_worker(app)
    db_session.rollback()
    inbound = db_session.get(ExchangeInbound, inbound_id)
    assert inbound.state == QUEUED, inbound.error
    document = inbound.incoming
    assert document.state == "pending" and document.channel == "exchange"
    warnings = inbound.warning_list
    if words:
        matching = [w for w in warnings if w["element"] == element
                    and words.lower() in w["message"].lower()]
        assert matching, warnings
        assert matching[0]["field"] == field
    # Nothing went back but "Đã đến" (01): no automatic return (02).
    codes = [edxml.read(p.encode()).code for p in sent if b"StatusCode" in p.encode()
             and inbound.document_key.encode() in p.encode()]
    assert codes == ["01"]


def test_what_the_package_says_is_prefilled_when_odd(app, client, db_session, partner):
    """Fields are kept where they can be: the page count from the PDF, the default deadline
    for a past one, the arrival date in place of a missing document date, every file."""
    text = set_text(set_text(valid_package(app), "PageAmount", "0"), "DueDate",
                    f"{PAST:%Y/%m/%d}")
    response = post(client, drop(text, "PromulgationDate").encode())
    run_worker(app)
    db_session.rollback()
    document = db_session.get(ExchangeInbound, response.get_json()["id"]).incoming
    assert document.page_count == 1  # from the PDF
    assert document.deadline is not None and document.deadline > PAST
    assert document.document_date == today_local()  # the arrival's, in Vietnam time
    office = post(client, _with_office_files(app).encode())
    run_worker(app)
    db_session.rollback()
    files = db_session.get(ExchangeInbound, office.get_json()["id"]).incoming.files
    assert sorted(f.content_type for f in files) == sorted([
        "application/pdf", "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"])


def test_clerk_registers_from_the_queue_with_corrections(app, client, db_session, partner,
                                                         login_as):
    text = drop(set_text(valid_package(app), "Subject", ""), "PromulgationDate")
    response = post(client, text.encode())
    run_worker(app)
    db_session.rollback()
    inbound = db_session.get(ExchangeInbound, response.get_json()["id"])
    document_id = inbound.incoming_id
    clerk = login_as("vanthu")
    show = clerk.get(f"/incoming/{document_id}").get_data(as_text=True)
    assert "Kiểm tra và vào sổ" in show and "Subject" in show
    form_page = clerk.get(f"/incoming/{document_id}/edit").get_data(as_text=True)
    # each warning beside its field
    assert re.search(r'id="excerpt".*?exchange-notice[^>]*>.*?Subject', form_page, re.S)
    assert re.search(r'id="document_date".*?exchange-notice[^>]*>.*?PromulgationDate',
                     form_page, re.S)
    # Registered without an excerpt: refused with the rule's message, nothing saved.
    refused = clerk.post(f"/incoming/{document_id}/edit",
                         data=filled(form_page, register_now="1"))
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Nhập trích yếu nội dung." in body, messages(body)
    db_session.rollback()
    assert db_session.get(IncomingDocument, document_id).state == "pending"
    done = clerk.post(f"/incoming/{document_id}/edit", data=filled(
        form_page, register_now="1", excerpt="V/v hướng dẫn lập dự toán 2027",
        document_date=f"{date.today() - timedelta(days=2):%d/%m/%Y}"))
    assert done.status_code == 302, messages(done.get_data(as_text=True))
    db_session.rollback()
    document = db_session.get(IncomingDocument, document_id)
    assert document.state == "registered" and document.arrival_number
    assert document.excerpt == "V/v hướng dẫn lập dự toán 2027"
    assert document.document_date == date.today() - timedelta(days=2)
    sent = run_worker(app)
    codes = [edxml.read(p.encode()).code for p in sent if b"StatusCode" in p.encode()
             and inbound.document_key.encode() in p.encode()]
    assert codes == ["03"]
    assert db_session.get(ExchangeInbound, inbound.id).state == REGISTERED


def test_resent_after_a_return_is_a_new_arrival(app, client, db_session, partner, login_as):
    package = sample_package()
    with app.test_request_context():
        first = edxml.build_package(package)
    inbound_id = post(client, first).get_json()["id"]
    run_worker(app)
    db_session.rollback()
    inbound = db_session.get(ExchangeInbound, inbound_id)
    clerk = login_as("vanthu")
    show = clerk.get(f"/incoming/{inbound.incoming_id}").get_data(as_text=True)
    clerk.post(f"/exchange/inbound/{inbound_id}/return",
               data=form_of(show, reason="Thiếu phụ lục"))
    db_session.rollback()
    assert db_session.get(ExchangeInbound, inbound_id).state == RETURNED
    package.appendixes = ["Phụ lục I", "Phụ lục II"]  # corrected, same DocumentId
    with app.test_request_context():
        corrected = edxml.build_package(package)
    response = post(client, corrected)
    assert response.status_code == 202, response.get_data(as_text=True)
    db_session.rollback()
    again = db_session.get(ExchangeInbound, response.get_json()["id"])
    assert again.previous_id == inbound_id and again.sequence == 1
    assert any("Thiếu phụ lục" in w["message"] for w in again.warning_list)
    # The very same corrected package a second time: recognised, counted, not stored again.
    assert post(client, corrected).status_code == 409
    db_session.rollback()
    assert db_session.get(ExchangeInbound, again.id).repeats == 1
    run_worker(app)
    page = clerk.get("/exchange/").get_data(as_text=True)
    assert "nhận lại 1 lần" in page and "gửi lại, lần 2" in page


def test_a_different_package_under_a_waiting_document_id(app, client, db_session, partner):
    package = sample_package()
    with app.test_request_context():
        first = edxml.build_package(package)
        package.subject = "V/v hướng dẫn lập dự toán ngân sách năm 2027 (bản sửa)"
        second = edxml.build_package(package)
    first_id = post(client, first).get_json()["id"]
    response = post(client, second)
    assert response.status_code == 202
    db_session.rollback()
    second_row = db_session.get(ExchangeInbound, response.get_json()["id"])
    assert second_row.previous_id == first_id
    assert any(w["field"] == "number_symbol" and "nội dung khác" in w["message"]
               for w in second_row.warning_list)


def test_a_package_that_cannot_be_processed_is_kept_not_returned(app, client, db_session,
                                                                 partner, monkeypatch):
    from app.documents import services as incoming_services

    def broken(*args, **kwargs):
        raise RuntimeError("ổ đĩa đầy")
    monkeypatch.setattr(incoming_services, "record_arrival", broken)
    inbound_id = post(client, valid_package(app).encode()).get_json()["id"]
    sent = run_worker(app)
    db_session.rollback()
    inbound = db_session.get(ExchangeInbound, inbound_id)
    assert inbound.state == RECEIVED and "ổ đĩa đầy" in inbound.error
    assert not [p for p in sent if inbound.document_key.encode() in p.encode()]
    assert not db_session.scalar(select(ExchangeOutbox.id).where(
        ExchangeOutbox.inbound_id == inbound_id))
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", OURS)
    run_worker(app)  # the next round processes it
    db_session.rollback()
    assert db_session.get(ExchangeInbound, inbound_id).state == QUEUED


def test_clerks_are_told_and_the_notice_settles(app, client, db_session, partner, login_as):
    inbound_id = post(client, valid_package(app).encode()).get_json()["id"]
    run_worker(app)
    db_session.rollback()
    document_id = db_session.get(ExchangeInbound, inbound_id).incoming_id
    clerk = db_session.scalar(select(EofficeUser).where(EofficeUser.username == "vanthu"))
    notice = db_session.scalar(select(Notification).where(
        Notification.user_id == clerk.id, Notification.url == f"/incoming/{document_id}"))
    assert notice is not None and "chờ vào sổ" in notice.message
    session = login_as("vanthu")
    show = session.get(f"/incoming/{document_id}").get_data(as_text=True)
    register_id = int(re.search(r'name="register_id" class="form-control"><option value="(\d+)"',
                                show).group(1))
    session.post(f"/incoming/{document_id}/do/register",
                 data=form_of(show, register_id=register_id))
    db_session.rollback()
    assert db_session.get(Notification, notice.id).done_at is not None


def test_rest_registers_from_the_queue_with_corrections(app, client, db_session, partner,
                                                       api_as):
    """The same service through REST with a token: the queue shows the warnings, and the
    corrections and the number are one unit of work."""
    text = set_text(valid_package(app), "Subject", "")
    inbound_id = post(client, text.encode()).get_json()["id"]
    run_worker(app)
    headers = api_as("vanthu")
    queue = client.get("/api/v1/exchange/queue?state=queued&page_size=100", headers=headers)
    row = next(r for r in queue.get_json()["result"] if r["id"] == inbound_id)
    assert [w["field"] for w in row["warnings"] if w["element"] == "Subject"] == ["excerpt"]
    register_id = ids(db_session)["register"]
    refused = client.post(f"/api/v1/exchange/queue/{inbound_id}/register", headers=headers,
                          json={"register_id": register_id, "fields": {}})
    assert refused.status_code == 422 and "excerpt" in refused.get_json()["message"]
    done = client.post(f"/api/v1/exchange/queue/{inbound_id}/register", headers=headers,
                       json={"register_id": register_id,
                             "fields": {"excerpt": "V/v góp ý dự thảo quy chế"}})
    assert done.status_code == 200, done.get_data(as_text=True)
    db_session.rollback()
    document = db_session.get(IncomingDocument, row["incoming_id"])
    assert document.state == "registered" and document.excerpt == "V/v góp ý dự thảo quy chế"
    assert document.arrival_number == done.get_json()["arrival_number"]

