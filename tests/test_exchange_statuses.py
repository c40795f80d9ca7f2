"""The six edXML statuses both ways, and an outage, end to end.

1. We receive: a package from Sở Tài chính lands in the clerk's queue (01 goes back); the clerk
   registers it (03), a leader assigns it (04), the officer reports progress (05) and completes
   it (06): each status reaches the sender once, in order, read back from what the worker
   posts. A second package the clerk returns with a reason: 02 with that reason.
2. We send: an issued letter goes to a partner; its statuses 01, 03, 04, 05, 06 (and a 02 on
   another letter) arrive at our inbox and the outgoing page shows each with its time and the
   latest as the current one; a status received twice changes nothing (409).
3. Two instances over real HTTP: the session's app (Sở Nội vụ, A) served on a loopback port and
   a second copy of the application (Sở Tài chính, B) created in this process on its own SQLite
   file (schema by flask_migrate's upgrade, roles, catalogs, one clerk), served the same way. A
   sends, B receives into its queue, B's clerk registers, B's statuses reach A.
4. The receiver down (connection refused, then HTTP 503) for several rounds: the outbox row is
   retried with back-off (next_attempt_at advanced by the test rather than slept) and nothing
   is lost; when the answer to the first successful post is lost, the package is posted again,
   B answers 409 and stores it once."""
import re
import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from app.catalogs.models import Agency, DocumentType, Field, Register, SecrecyLevel, Signer
from app.catalogs.models import UrgencyLevel
from app.core.timefmt import local_now, to_local, utcnow
from app.documents import services as incoming
from app.documents.models import IncomingDocument
from app.exchange import edxml, worker
from app.exchange.models import (
    PENDING, QUEUED, REGISTERED, RETURNED, SENT, ExchangeInbound, ExchangeOutbox,
    ExchangePartner, ExchangeStatus,
)
from app.exchange.services import hash_token
from app.extensions import db
from app.org.models import Department
from tests.conftest import DEMO_PASSWORD, form_of, login, user
from tests.exchange_helpers import (
    FINANCE, FINANCE_TOKEN, OURS, ensure_partner, sample_package, tiny_pdf,
)

INBOX = "/api/v1/exchange/inbox"
PLANNING = "000.00.06.H30"  # Sở Kế hoạch và Đầu tư: the partner we send to in part 2
PLANNING_TOKEN = "token-of-planning-0123456789abcdef"
LABELS = {"01": "Đã đến", "02": "Bị trả lại", "03": "Đã vào sổ", "04": "Đã phân công",
          "05": "Đang xử lý", "06": "Hoàn thành"}


# ---------------------------------------------------------------- helpers

class Wire:
    """The worker's transport in a test: every post recorded, answered by `answer`."""

    def __init__(self, answer=None):
        self.posts = []
        self.answer = answer or (lambda url, token, payload: (202, b"{}"))

    def __call__(self, url, token, payload):
        self.posts.append((url, token, payload))
        return self.answer(url, token, payload)

    def statuses(self, key):
        """The status messages posted about DocumentId `key`, in the order posted."""
        found = []
        for _url, _token, payload in self.posts:
            if "StatusCode" not in payload:
                continue
            message = edxml.read(payload.encode())
            if isinstance(message, edxml.Status) and message.document_id == key:
                found.append(message)
        return found


def worker_round(app, session, answer=None) -> Wire:
    """One round of the worker, what it posts answered by `answer` (202 by default)."""
    session.rollback()  # no read transaction of the test left open while the worker writes
    wire = Wire(answer)
    assert worker.run_once(app, post=wire) is not None
    session.expire_all()
    return wire


def post(client, data, token):
    return client.post(INBOX, data=data, headers={"Content-Type": "application/xml",
                                                  "Authorization": f"Bearer {token}"})


def arrival(session, key):
    session.rollback()
    return session.scalar(select(ExchangeInbound).where(ExchangeInbound.document_key == key))


def incoming_register(session):
    return session.scalar(select(Register.id).where(
        Register.direction == "in", Register.year == date.today().year,
        Register.is_secret.is_(False), Register.active.is_(True),
        Register.document_type_id.is_(None)).order_by(Register.id))


def issue_to(session, organ_id, excerpt):
    """A letter drafted, approved by the chain and issued by the clerk, to one external
    agency (as a person does it, through app.outgoing.services); returns its id."""
    from app.outgoing import services as outgoing
    from app.outgoing.demo import _docx

    signer = session.scalar(select(Signer).where(Signer.user_id == user(session, "lanhdao").id))
    draft = outgoing.create_draft(session, user(session, "chuyenvien"), {
        "document_type_id": session.scalar(select(DocumentType.id).where(
            DocumentType.name == "Công văn")),
        "excerpt": excerpt,
        "field_id": session.scalar(select(Field.id).where(Field.code == "CCHC")),
        "urgency_id": session.scalar(select(UrgencyLevel.id).where(UrgencyLevel.priority == 1)),
        "secrecy_id": session.scalar(select(SecrecyLevel.id).where(SecrecyLevel.level == 0)),
        "signer_id": signer.id,
        "drafting_department_id": session.scalar(select(Department.id).where(
            Department.code == "CCHC")),
        "external_agency_ids": [session.scalar(select(Agency.id).where(
            Agency.electronic_id == organ_id))],
    }, [(_docx(excerpt), "Dự thảo.docx")])
    for action, who in (("submit", "chuyenvien"), ("forward", "truongphong"),
                        ("approve", "lanhdao")):
        outgoing.apply(session, user(session, who), draft, action)
    register = session.scalar(select(Register).where(
        Register.direction == "out", Register.year == date.today().year,
        Register.is_secret.is_(False), Register.active.is_(True),
        Register.document_type_id.is_(None)).order_by(Register.id))
    return outgoing.issue(session, user(session, "vanthu"), draft, register_id=register.id,
                          issued_date=date.today(), place="Hà Nam",
                          scan_uploads=[(tiny_pdf(), "Bản quét có chữ ký.pdf")]).id


def package_row(session, outgoing_id):
    session.rollback()
    return session.scalar(select(ExchangeOutbox).where(
        ExchangeOutbox.outgoing_id == outgoing_id, ExchangeOutbox.kind == "package"))


def exchange_panel(page, agency_name):
    """(current status, [history lines]) of the recipient `agency_name` in the outgoing page's
    "Liên thông văn bản" table, as the clerk reads them."""
    table = re.search(r'<table[^>]*exchange-statuses.*?</table>', page, re.S)
    assert table, "no exchange statuses on the page"
    rows = [r for r in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S) if agency_name in r]
    assert len(rows) == 1, rows
    cell = re.search(r'class="exchange-remote-status">(.*?)</td>', rows[0], re.S).group(1)
    current = re.search(r"<strong>(.*?)</strong>", cell, re.S).group(1).strip()
    history = [re.sub(r"\s+", " ", h).strip() for h in re.findall(
        r'<small class="text-muted">(.*?)</small>', cell, re.S)]
    sent = re.sub(r"<[^>]+>|\s+", " ", rows[0].split("</td>")[1]).strip()
    return current, history, cell, sent


def at_minute(moment):
    return f"{moment:%d/%m/%Y %H:%M}"


APPLIED = (200,)  # a status applied: 200 with its code


def applied(response):
    assert response.status_code in APPLIED, response.get_data(as_text=True)


@pytest.fixture
def finance(app, db_session):
    """Sở Tài chính as a direct partner (its endpoint never reached: the worker's transport is
    the test's)."""
    return ensure_partner(db_session, FINANCE, FINANCE_TOKEN)


# ---------------------------------------------------------------- 1. we receive

def test_our_statuses_go_back_to_the_sender_once_and_in_order(app, client, db_session,
                                                              finance, login_as):
    with app.test_request_context():
        package = sample_package(subject="V/v báo cáo tình hình thực hiện dự toán quý I")
        data = edxml.build_package(package)
    key = package.document_id
    assert post(client, data, FINANCE_TOKEN).status_code == 202
    sent = []  # every status about this package the worker posted, in order

    wire = worker_round(app, db_session)
    got = wire.statuses(key)
    assert [s.code for s in got] == ["01"]
    assert {url for url, _t, p in wire.posts if key in p} == {finance.endpoint_url}
    sent += got
    inbound = arrival(db_session, key)
    assert inbound.state == QUEUED
    document_id = inbound.incoming_id
    clerk = login_as("vanthu")
    waiting = clerk.get("/incoming/list/list/?box=waiting_registration&psize_IncomingView=100")
    assert package.number_symbol in waiting.get_data(as_text=True)
    show = clerk.get(f"/incoming/{document_id}").get_data(as_text=True)
    assert "Đã báo cơ quan gửi: Đã đến" in show

    # The clerk registers it (web route, as a person does): 03.
    clerk.post(f"/incoming/{document_id}/do/register",
               data=form_of(show, register_id=incoming_register(db_session)))
    db_session.rollback()
    assert db_session.get(IncomingDocument, document_id).state == "registered"
    wire = worker_round(app, db_session)
    got = wire.statuses(key)
    assert [s.code for s in got] == ["03"]
    assert got[0].staff.staff == user(db_session, "vanthu").full_name
    sent += got
    assert arrival(db_session, key).state == REGISTERED

    # The clerk presents it to the director: nothing to report.
    with app.app_context():
        s = db.session
        incoming.act(s, user(s, "vanthu"), s.get(IncomingDocument, document_id), "submit",
                     {"leader_id": user(s, "lanhdao").id})
    assert worker_round(app, db_session).statuses(key) == []

    # The director assigns it to an officer: 04, with the direction.
    with app.app_context():
        s = db.session
        incoming.act(s, user(s, "lanhdao"), s.get(IncomingDocument, document_id), "assign", {
            "direction": "Giao đồng chí Thủy chủ trì, báo cáo trước ngày 15",
            "lines": [{"role": "lead", "user_id": user(s, "chuyenvien").id}]})
        line_id = next(a.id for a in s.get(IncomingDocument, document_id).assignments
                       if a.role == "lead")
    got = worker_round(app, db_session).statuses(key)
    assert [(s.code, s.description) for s in got] == [
        ("04", "Giao đồng chí Thủy chủ trì, báo cáo trước ngày 15")]
    assert got[0].staff.staff == user(db_session, "lanhdao").full_name
    sent += got

    # The officer reports progress on the page (web route): 05.
    officer = login_as("chuyenvien")
    show = officer.get(f"/incoming/{document_id}").get_data(as_text=True)
    officer.post(f"/incoming/{document_id}/do/progress",
                 data=form_of(show, line_id=line_id, note="Đang tổng hợp số liệu các phòng"))
    got = worker_round(app, db_session).statuses(key)
    assert [(s.code, s.description) for s in got] == [("05", "Đang tổng hợp số liệu các phòng")]
    assert got[0].staff.staff == user(db_session, "chuyenvien").full_name
    sent += got

    # More progress: 05 was reported already, nothing goes back.
    show = officer.get(f"/incoming/{document_id}").get_data(as_text=True)
    officer.post(f"/incoming/{document_id}/do/progress",
                 data=form_of(show, line_id=line_id, note="Đã có số liệu 5/7 phòng"))
    assert worker_round(app, db_session).statuses(key) == []

    # The officer completes the lead line, which completes the document: 06.
    show = officer.get(f"/incoming/{document_id}").get_data(as_text=True)
    officer.post(f"/incoming/{document_id}/do/complete",
                 data=form_of(show, line_id=line_id, note="Đã báo cáo UBND tỉnh"))
    db_session.rollback()
    document = db_session.get(IncomingDocument, document_id)
    assert document.state == "completed"
    got = worker_round(app, db_session).statuses(key)
    assert [s.code for s in got] == ["06"]
    sent += got

    # Each once, in order, from us, with their times in order; nothing more afterwards.
    assert [s.code for s in sent] == ["01", "03", "04", "05", "06"]
    assert {s.sender.organ_id for s in sent} == {OURS}
    assert [s.timestamp for s in sent] == sorted(s.timestamp for s in sent)
    assert worker_round(app, db_session).statuses(key) == []
    statuses = list(db_session.scalars(select(ExchangeOutbox).where(
        ExchangeOutbox.kind == "status", ExchangeOutbox.document_key == key)
        .order_by(ExchangeOutbox.id)))
    assert [(r.status_code, r.state) for r in statuses] == [
        ("01", SENT), ("03", SENT), ("04", SENT), ("05", SENT), ("06", SENT)]
    clerk = login_as("vanthu")
    assert "Đã báo cơ quan gửi: Hoàn thành" in clerk.get(f"/incoming/{document_id}") \
        .get_data(as_text=True)


def test_a_returned_package_reports_02_with_the_reason(app, client, db_session, finance,
                                                       login_as):
    with app.test_request_context():
        package = sample_package(subject="V/v thẩm định giá tài sản công năm 2027")
        data = edxml.build_package(package)
    key = package.document_id
    assert post(client, data, FINANCE_TOKEN).status_code == 202
    assert [s.code for s in worker_round(app, db_session).statuses(key)] == ["01"]
    inbound = arrival(db_session, key)
    clerk = login_as("vanthu")
    show = clerk.get(f"/incoming/{inbound.incoming_id}").get_data(as_text=True)
    reason = "Không thuộc thẩm quyền của Sở Nội vụ; đề nghị gửi Sở Tài nguyên và Môi trường."
    clerk.post(f"/exchange/inbound/{inbound.id}/return", data=form_of(show, reason=reason))
    inbound = arrival(db_session, key)
    assert inbound.state == RETURNED and inbound.incoming_id is None
    waiting = clerk.get("/incoming/list/list/?box=waiting_registration&psize_IncomingView=100")
    assert package.number_symbol not in waiting.get_data(as_text=True)
    got = worker_round(app, db_session).statuses(key)
    assert [(s.code, s.description) for s in got] == [("02", reason)]
    assert worker_round(app, db_session).statuses(key) == []  # once


# ---------------------------------------------------------------- 2. we send

def test_the_recipients_statuses_show_on_the_outgoing_page(app, client, db_session, finance,
                                                           login_as):
    partner = ensure_partner(db_session, PLANNING, PLANNING_TOKEN)
    name = partner.agency.name
    with app.app_context():
        letter = issue_to(db.session, PLANNING, "V/v góp ý dự thảo kế hoạch đầu tư công")
        other = issue_to(db.session, PLANNING, "V/v đề nghị cung cấp số liệu biên chế")
    wire = worker_round(app, db_session)
    rows = {letter: package_row(db_session, letter), other: package_row(db_session, other)}
    for row in rows.values():
        assert row.state == SENT and row.recipient.status == "dispatched"
        assert [u for u, _t, p in wire.posts if p == row.payload] == [partner.endpoint_url]
    clerk = login_as("vanthu")
    current, history, _cell, sent = exchange_panel(
        clerk.get(f"/outgoing/{letter}").get_data(as_text=True), name)
    assert current == "" and history == [] and sent.startswith("Đã gửi")

    def status(document_id, code, moment, description="", staff=""):
        message = edxml.Status(
            document_id=rows[document_id].document_key, code=code, timestamp=moment,
            sender=edxml.Organ(PLANNING, name=name), description=description,
            staff=edxml.Staff(staff=staff))
        with app.test_request_context():
            return edxml.build_status(message)

    # What the partner reports, each at its own (Vietnam) time, days apart.
    start = (local_now() - timedelta(days=3)).replace(hour=8, minute=7, second=0,
                                                       microsecond=0)
    plan = [("01", start, "", ""),
            ("03", start + timedelta(minutes=95), "Đã vào sổ văn bản đến", "Trần Thị Mai"),
            ("04", start + timedelta(hours=26, minutes=3), "Giao phòng Kế hoạch chủ trì",
             "Nguyễn Văn An"),
            ("05", start + timedelta(hours=49, minutes=41), "", "Lê Thị Bích"),
            ("06", start + timedelta(hours=55, minutes=18), "Đã có văn bản góp ý",
             "Lê Thị Bích")]
    shown = []
    for code, moment, description, staff in plan:
        applied(post(client, status(letter, code, moment, description, staff),
                     PLANNING_TOKEN))
        current, history, _cell, _sent = exchange_panel(
            clerk.get(f"/outgoing/{letter}").get_data(as_text=True), name)
        shown.append(f"{at_minute(moment)} – {LABELS[code]}" + (f" ({staff})" if staff else ""))
        assert current == LABELS[code]  # the latest is the current one
        assert history == shown  # each with its time, in order
    db_session.rollback()
    row = db_session.get(ExchangeOutbox, rows[letter].id)
    assert row.remote_status == "06" and row.remote_note == "Đã có văn bản góp ý"
    assert row.recipient.status == "received"
    page = clerk.get(f"/outgoing/{letter}").get_data(as_text=True)
    assert "<strong>Hoàn thành</strong>: Đã có văn bản góp ý" in page

    # Received twice: refused as a duplicate, nothing changes.
    for code, moment, description, staff in (plan[2], plan[4]):
        response = post(client, status(letter, code, moment, description, staff),
                        PLANNING_TOKEN)
        assert response.status_code == 409
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(ExchangeStatus).where(
        ExchangeStatus.outbox_id == rows[letter].id)) == 5
    assert exchange_panel(clerk.get(f"/outgoing/{letter}").get_data(as_text=True),
                          name)[:2] == ("Hoàn thành", shown)
    # Another partner presenting this partner's status: refused, with the reason.
    response = post(client, status(letter, "05", start), FINANCE_TOKEN)
    assert response.status_code == 422 and "OrganId" in " ".join(response.get_json()["problems"])

    # The other letter is returned (02) with the partner's reason.
    reason = "Văn bản gửi nhầm; đề nghị gửi Sở Nội vụ tỉnh Hà Nam qua Văn phòng UBND tỉnh."
    for code, moment, description in (("01", start, ""), ("02", start + timedelta(hours=3),
                                                          reason)):
        applied(post(client, status(other, code, moment, description), PLANNING_TOKEN))
    current, history, cell, _sent = exchange_panel(
        clerk.get(f"/outgoing/{other}").get_data(as_text=True), name)
    assert current == "Bị trả lại" and f"</strong>: {reason}" in cell
    assert history == [f"{at_minute(start)} – Đã đến",
                       f"{at_minute(start + timedelta(hours=3))} – Bị trả lại"]
    # The letter's own page is untouched by the other's return.
    assert exchange_panel(clerk.get(f"/outgoing/{letter}").get_data(as_text=True),
                          name)[0] == "Hoàn thành"


def test_a_status_is_answered_200(app, client, db_session):
    ensure_partner(db_session, PLANNING, PLANNING_TOKEN)
    with app.app_context():
        letter = issue_to(db.session, PLANNING, "V/v xin ý kiến về chỉ tiêu biên chế")
    worker_round(app, db_session)
    row = package_row(db_session, letter)
    message = edxml.Status(document_id=row.document_key, code="01", timestamp=local_now()
                           .replace(microsecond=0), sender=edxml.Organ(PLANNING))
    with app.test_request_context():
        data = edxml.build_status(message)
    response = post(client, data, PLANNING_TOKEN)
    db_session.rollback()
    assert response.status_code == 200, response.get_data(as_text=True)  # the API's contract
    assert response.get_json()["status_code"] == "01"
    db_session.rollback()
    assert db_session.get(ExchangeOutbox, row.id).remote_status == "01"


# ---------------------------------------------------------------- 3, 4. two instances

TOKEN_A_TO_B = "a-presents-this-to-b-statuses-0123456789"
TOKEN_B_TO_A = "b-presents-this-to-a-statuses-0123456789"


class Served:
    """A WSGI app on a loopback port, in a thread; `mode` "503" answers every request with
    503 (maintenance); stop() and start() again on the same port: connection refused between."""

    def __init__(self, app):
        self.app, self.port, self.mode, self.server = app, 0, None, None
        self.start()

    def wsgi(self, environ, start_response):
        if self.mode == "503":
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"Bao tri"]
        return self.app(environ, start_response)

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    @property
    def inbox(self):
        return f"http://127.0.0.1:{self.port}{INBOX}"


class Peer:
    """Sở Tài chính's copy of the application: its own SQLite file, migrated (`eoffice setup`:
    flask_migrate's upgrade, the roles, the catalogs: agencies and registers), one clerk."""

    CLERK = ("vanthu.stc", "Trần Thị", "Mai")

    def __init__(self, folder):
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'stc.db'}",
            "SECRET_KEY": "peer-finance-0123456789abcdef0123456789abcdef",
            "INSTANCE_DIR": str(folder), "DATA_DIR": str(folder / "data"),
            "DEMO_PASSWORD": DEMO_PASSWORD, "TESTING": True, "RATELIMIT_ENABLED": False,
            "EXCHANGE_ORGAN_ID": FINANCE, "AGENCY_NAME": "Sở Tài chính tỉnh Hà Nam"})
        result = self.app.test_cli_runner().invoke(args=["eoffice", "setup"])
        assert result.exit_code == 0, result.output
        with self.app.app_context():
            from app.security.roles import CLERK

            sm = self.app.appbuilder.sm
            username, last, first = self.CLERK
            assert sm.add_user(username=username, first_name=first, last_name=last,
                               email=f"{username}@stc.hanam.gov.vn", role=sm.find_role(CLERK),
                               password=DEMO_PASSWORD)
        self.served = Served(self.app)

    def partner_of(self, a_inbox):
        """Sở Nội vụ (A) as B's partner: its inbox, the token B presents, the one A presents."""
        with self.app.app_context():
            s = db.session
            agency = s.scalar(select(Agency).where(Agency.electronic_id == OURS))
            partner = s.scalar(select(ExchangePartner).where(
                ExchangePartner.agency_id == agency.id)) or ExchangePartner(agency=agency)
            s.add(partner)
            partner.endpoint_url, partner.outbound_token = a_inbox, TOKEN_B_TO_A
            partner.inbound_token_hash, partner.active = hash_token(TOKEN_A_TO_B), True
            s.commit()

    def run_worker(self):
        counts = worker.run_once(self.app)  # real HTTP to A
        assert counts is not None
        return counts

    def arrivals(self, key):
        with self.app.app_context():
            return [(r.state, r.repeats, r.incoming_id) for r in db.session.scalars(
                select(ExchangeInbound).where(ExchangeInbound.document_key == key))]

    def client(self):
        client = self.app.test_client()
        response = login(client, self.CLERK[0])
        assert "Đăng xuất" in response.get_data(as_text=True)
        return client


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    peer = Peer(tmp_path_factory.mktemp("peer-finance"))
    yield peer
    peer.served.stop()
    with peer.app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def served_a(app):
    """The session's app (Sở Nội vụ, A) on a loopback port, as tests/e2e serves it."""
    served = Served(app)
    yield served
    served.stop()


@pytest.fixture
def pair(app, db_session, peer, served_a):
    """A and B partners of each other over real HTTP; A's partner put back afterwards."""
    ensure_partner(db_session, FINANCE, TOKEN_B_TO_A, endpoint=peer.served.inbox)
    partner = db_session.scalar(select(ExchangePartner).join(Agency).where(
        Agency.electronic_id == FINANCE))
    partner.outbound_token = TOKEN_A_TO_B
    db_session.commit()
    peer.partner_of(served_a.inbox)
    peer.served.mode = None
    yield served_a, peer
    peer.served.mode = None
    db_session.rollback()
    ensure_partner(db_session, FINANCE, FINANCE_TOKEN)


def to_peer(peer, marker):
    """A's transport: the real HTTP post to B for the test's own letter (`marker` in the
    package); any other due message is treated as undeliverable this round (not this test's).
    With `send.lose_next` set, B's answer to the next real post is lost on its way back."""
    answers = []

    def send(url, token, payload):
        if url != peer.served.inbox or marker not in payload:
            raise OSError("not this test's message")
        code, body = worker.http_post(url, token, payload)
        answers.append(code)
        if send.lose_next:
            send.lose_next = False
            raise ConnectionResetError("the answer was lost on the way back")
        return code, body
    send.answers, send.lose_next = answers, False
    return send


def a_round(app, db_session, transport):
    db_session.rollback()
    assert worker.run_once(app, post=transport) is not None
    db_session.expire_all()


def test_two_instances_exchange_a_letter_and_its_statuses(app, db_session, pair, login_as):
    served_a, peer = pair
    marker = f"liên thông hai hệ thống {uuid.uuid4().hex[:8]}"
    excerpt = f"V/v rà soát định mức chi hành chính ({marker})"
    with app.app_context():
        letter = issue_to(db.session, FINANCE, excerpt)
    transport = to_peer(peer, marker)
    a_round(app, db_session, transport)
    row = package_row(db_session, letter)
    assert row.state == SENT and transport.answers == [202]
    key = row.document_key

    # B: in its worker's round the package goes to the clerk's queue and 01 goes back to A.
    assert peer.arrivals(key) == [("received", 0, None)]
    peer.run_worker()
    [(state, _repeats, document_id)] = peer.arrivals(key)
    assert state == QUEUED
    clerk_b = peer.client()
    waiting = clerk_b.get("/incoming/list/list/?box=waiting_registration")
    assert marker in waiting.get_data(as_text=True)
    clerk_a = login_as("vanthu")
    current, history, _cell, _sent = exchange_panel(
        clerk_a.get(f"/outgoing/{letter}").get_data(as_text=True), "Sở Tài chính")
    assert current == "Đã đến" and [h.split(" – ")[1] for h in history] == ["Đã đến"]

    # B's clerk registers it on B's page: 03 reaches A, from B's clerk.
    show = clerk_b.get(f"/incoming/{document_id}").get_data(as_text=True)
    register_id = int(re.search(
        r'name="register_id" class="form-control"><option value="(\d+)"', show).group(1))
    clerk_b.post(f"/incoming/{document_id}/do/register",
                 data=form_of(show, register_id=register_id))
    with peer.app.app_context():
        assert db.session.get(IncomingDocument, document_id).state == "registered"
    assert peer.run_worker()["statuses"] == 1
    assert peer.arrivals(key)[0][0] == REGISTERED
    current, history, _cell, _sent = exchange_panel(
        clerk_a.get(f"/outgoing/{letter}").get_data(as_text=True), "Sở Tài chính")
    assert current == "Đã vào sổ"
    assert [h.split(" – ")[1] for h in history] == ["Đã đến", "Đã vào sổ (Trần Thị Mai)"]
    db_session.rollback()
    row = db_session.get(ExchangeOutbox, row.id)
    assert row.remote_status == "03" and row.recipient.status == "received"
    # B's statuses were each delivered at once, and A holds each once.
    with peer.app.app_context():
        assert [(r.status_code, r.state) for r in db.session.scalars(
            select(ExchangeOutbox).where(ExchangeOutbox.kind == "status")
            .order_by(ExchangeOutbox.id))] == [("01", SENT), ("03", SENT)]
    assert db_session.scalar(select(func.count()).select_from(ExchangeStatus).where(
        ExchangeStatus.outbox_id == row.id)) == 2


def test_outage_retried_with_backoff_nothing_lost_nothing_twice(app, db_session, pair,
                                                                login_as):
    served_a, peer = pair
    marker = f"bên nhận ngừng hoạt động {uuid.uuid4().hex[:8]}"
    with app.app_context():
        letter = issue_to(db.session, FINANCE, f"V/v kiểm tra quyết toán ({marker})")
    clerk_a = login_as("vanthu")
    transport = to_peer(peer, marker)

    def due_now(row):
        """The back-off's wait, passed: the row is due (instead of sleeping)."""
        row = db_session.get(ExchangeOutbox, row.id)
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db_session.commit()

    peer.served.stop()  # B is down: connection refused
    try:
        waits = []
        for attempt in (1, 2, 3):
            before = utcnow()
            a_round(app, db_session, transport)
            row = package_row(db_session, letter)
            assert row.state == PENDING and row.attempts == attempt
            assert "refused" in row.last_error.lower()
            waits.append(row.next_attempt_at - before)
            a_round(app, db_session, transport)  # not due yet: not tried again
            assert package_row(db_session, letter).attempts == attempt
            due_now(row)
        # 1, 2, 4 minutes (plus the round's own seconds)
        assert [round(w.total_seconds() / 60) for w in waits] == [1, 2, 4]
        current, _history, cell, sent = exchange_panel(
            clerk_a.get(f"/outgoing/{letter}").get_data(as_text=True), "Sở Tài chính")
        assert sent.startswith("Chờ gửi") and "refused" in sent.lower()
    finally:
        peer.served.start()  # back, on the same port, but in maintenance: 503
    peer.served.mode = "503"
    for attempt in (4, 5):
        a_round(app, db_session, transport)
        row = package_row(db_session, letter)
        assert row.state == PENDING and row.attempts == attempt
        assert row.last_error.startswith("HTTP 503")
        due_now(row)
    assert transport.answers == [503, 503]
    key = row.document_key
    assert peer.arrivals(key) == []  # nothing reached B yet; nothing lost at A either

    # B is up: the 6th post is stored by B but its answer is lost: A tries again, B answers
    # 409 (already received), A marks it sent. B holds it once.
    peer.served.mode = None
    transport.lose_next = True
    a_round(app, db_session, transport)
    row = package_row(db_session, letter)
    assert row.state == PENDING and row.attempts == 6 and transport.answers[-1] == 202
    assert peer.arrivals(key) == [("received", 0, None)]
    due_now(row)
    a_round(app, db_session, transport)
    row = package_row(db_session, letter)
    assert row.state == SENT and row.recipient.status == "dispatched"
    assert transport.answers == [503, 503, 202, 409]
    assert peer.arrivals(key) == [("received", 1, None)]  # one arrival, one repeat counted
    a_round(app, db_session, transport)  # sent: never posted again
    assert transport.answers == [503, 503, 202, 409]

    # B's worker: one document in B's queue, and A hears 01 once.
    peer.run_worker()
    peer.run_worker()
    [(state, repeats, document_id)] = peer.arrivals(key)
    assert state == QUEUED and repeats == 1
    with peer.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument).where(
            IncomingDocument.excerpt.contains(marker))) == 1
    waiting = peer.client().get("/incoming/list/list/?box=waiting_registration")
    assert waiting.get_data(as_text=True).count(marker) == 1
    current, history, _cell, sent = exchange_panel(
        clerk_a.get(f"/outgoing/{letter}").get_data(as_text=True), "Sở Tài chính")
    assert sent.startswith("Đã gửi") and current == "Đã đến"
    assert [h.split(" – ")[1] for h in history] == ["Đã đến"]
    # The time of the status, as the clerk reads it, is B's moment in Vietnam time.
    db_session.rollback()
    [status] = db_session.scalars(select(ExchangeStatus).where(
        ExchangeStatus.outbox_id == row.id))
    seen_at = to_local(status.at).replace(tzinfo=None)
    assert history[0].startswith(at_minute(seen_at))
    assert abs(seen_at - local_now()) < timedelta(minutes=5)
