"""Two instances of the product, each with its own database, serving on two loopback ports,
exchange documents both ways over HTTP: Sở Tài chính (A) issues a letter to Sở Nội vụ (B); it
lands in B's "Chờ vào sổ" queue; B registers, assigns and completes it and A's outgoing record
shows "Đã vào sổ", then "Hoàn thành"; a duplicate and a malformed package are refused; B answers
with a letter of its own; A recalls its letter and B's copy is frozen. The workers are run
one round at a time (worker.run_once) instead of waiting for their timers."""
import re
import threading
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.documents import services as incoming
from app.documents.models import IncomingDocument
from app.exchange import services, worker
from app.exchange.models import ExchangeInbound, ExchangeOutbox, ExchangePartner
from app.extensions import db
from app.outgoing import services as outgoing
from tests.conftest import DEMO_PASSWORD, login, own_sqlite
from tests.exchange_helpers import tiny_pdf

pytestmark = own_sqlite

FINANCE, HOME = "000.00.07.H30", "000.00.04.H30"
TOKEN_TO_B, TOKEN_TO_A = "a-presents-this-to-b-0123456789", "b-presents-this-to-a-0123456789"
HEAVY_DEMOS = ["app.documents.demo.create_incoming_demo",
               "app.outgoing.demo.create_outgoing_demo",
               "app.request_forms.demo.create_request_demo",
               "app.dossiers.demo.create_dossier_demo", "app.stats.demo.create_usage_demo",
               "app.schedules.demo.create_schedule_demo", "app.news.demo.create_news_demo"]


class Instance:
    def __init__(self, tmp_path, name, organ_id, agency_name, monkeypatch):
        folder = tmp_path / name
        folder.mkdir()
        self.organ_id = organ_id
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'eoffice.db'}",
            "SECRET_KEY": f"two-instances-{name}-0123456789abcdef0123456789",
            "INSTANCE_DIR": str(folder), "DATA_DIR": str(folder / "data"),
            "DEMO_PASSWORD": DEMO_PASSWORD, "TESTING": True, "RATELIMIT_ENABLED": False,
            "EXCHANGE_ORGAN_ID": organ_id, "AGENCY_NAME": agency_name})
        runner = self.app.test_cli_runner()
        with monkeypatch.context() as patch:  # people and catalogs only: fast
            for target in HEAVY_DEMOS:
                patch.setattr(target, lambda app, *a, **k: {})
            result = runner.invoke(args=["eoffice", "setup", "--demo"])
        assert result.exit_code == 0, result.output
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def partner(self, other, outbound, inbound):
        with self.app.app_context():
            from app.catalogs.models import Agency

            agency = db.session.scalar(select(Agency).where(
                Agency.electronic_id == other.organ_id))
            partner = ExchangePartner(agency=agency, outbound_token=outbound,
                                      endpoint_url=f"{other.url}/api/v1/exchange/inbox")
            db.session.add(partner)
            services.new_inbound_token(db.session, partner, inbound)

    def user(self, name):
        from app.org.models import EofficeUser

        return db.session.scalar(select(EofficeUser).where(EofficeUser.username == name))

    def issue_to(self, organ_id, excerpt):
        """A letter approved by the chain and issued by the clerk, to one external agency."""
        from app.catalogs.models import Agency, DocumentType, Field, Register, Signer
        from app.catalogs.models import SecrecyLevel, UrgencyLevel
        from app.org.models import Department
        from app.outgoing.demo import _docx

        s = db.session
        signer = s.scalar(select(Signer).where(Signer.user_id == self.user("lanhdao").id))
        draft = outgoing.create_draft(s, self.user("chuyenvien"), {
            "document_type_id": s.scalar(select(DocumentType.id).where(
                DocumentType.name == "Công văn")),
            "excerpt": excerpt, "field_id": s.scalar(select(Field.id).where(
                Field.code == "CCHC")),
            "urgency_id": s.scalar(select(UrgencyLevel.id).where(UrgencyLevel.priority == 1)),
            "secrecy_id": s.scalar(select(SecrecyLevel.id).where(SecrecyLevel.level == 0)),
            "signer_id": signer.id, "drafting_department_id": s.scalar(
                select(Department.id).where(Department.code == "CCHC")),
            "external_agency_ids": [s.scalar(select(Agency.id).where(
                Agency.electronic_id == organ_id))],
        }, [(_docx(excerpt), "Dự thảo.docx")])
        for action, who in (("submit", "chuyenvien"), ("forward", "truongphong"),
                            ("approve", "lanhdao")):
            outgoing.apply(s, self.user(who), draft, action)
        register = s.scalar(select(Register).where(
            Register.direction == "out", Register.year == date.today().year,
            Register.is_secret.is_(False)))
        return outgoing.issue(s, self.user("vanthu"), draft, register_id=register.id,
                              issued_date=date.today(), place="Hà Nam",
                              scan_uploads=[(tiny_pdf(), "Bản quét có chữ ký.pdf")]).id

    def run_worker(self):
        counts = worker.run_once(self.app)
        assert counts is not None
        return counts

    def page(self, path, username="vanthu"):
        client = self.app.test_client()
        login(client, username)
        return client.get(path).get_data(as_text=True)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    tmp_path = tmp_path_factory.mktemp("two")
    a = Instance(tmp_path, "a", FINANCE, "Sở Tài chính tỉnh Hà Nam", monkeypatch)
    b = Instance(tmp_path, "b", HOME, "Sở Nội vụ tỉnh Hà Nam", monkeypatch)
    a.partner(b, outbound=TOKEN_TO_B, inbound=TOKEN_TO_A)
    b.partner(a, outbound=TOKEN_TO_A, inbound=TOKEN_TO_B)
    yield a, b
    for instance in (a, b):
        instance.server.shutdown()
    monkeypatch.undo()


def _outbox_row(instance, outgoing_id):
    with instance.app.app_context():
        row = db.session.scalar(select(ExchangeOutbox).where(
            ExchangeOutbox.outgoing_id == outgoing_id, ExchangeOutbox.kind == "package"))
        return row.state, row.remote_status, row.payload


def test_a_document_goes_from_a_to_b_and_statuses_come_back(pair):
    a, b = pair
    with a.app.app_context():
        letter = a.issue_to(HOME, "V/v hướng dẫn quyết toán ngân sách năm 2026")
    assert a.run_worker()["sent"] == 1
    state, remote, payload = _outbox_row(a, letter)
    assert state == "sent" and remote is None

    # Received twice (a lost answer): stored once. Malformed or anonymous: refused.
    inbox = f"{b.url}/api/v1/exchange/inbox"
    code, body = worker.http_post(inbox, TOKEN_TO_B, payload)
    assert code == 409
    elsewhere = re.sub(r"<edXML:To>.*?</edXML:To>", "<edXML:To><edXML:OrganId>000.00.99.H30"
                       "</edXML:OrganId><edXML:OrganName>Sở Y tế</edXML:OrganName></edXML:To>",
                       payload, flags=re.S)
    code, body = worker.http_post(inbox, TOKEN_TO_B, elsewhere)
    assert code == 422 and b"To" in body  # not addressed to B: the one refusal of this kind
    assert worker.http_post(inbox, "not-a-partner-token-0123456789", payload)[0] == 401

    # B's worker puts it in the queue and tells A it arrived (01).
    assert b.run_worker()["received"] == 1
    with b.app.app_context():
        inbound = db.session.scalar(select(ExchangeInbound))
        document_id = inbound.incoming_id
        assert db.session.scalar(select(ExchangeInbound.id).where(
            ExchangeInbound.id != inbound.id)) is None  # the duplicate was not stored
    assert "V/v hướng dẫn quyết toán ngân sách năm 2026" in b.page(
        "/incoming/list/list/?box=waiting_registration")
    assert _outbox_row(a, letter)[1] == "01"

    # B registers it (03), the leader assigns it (04), the officer completes it (06).
    with b.app.app_context():
        from app.catalogs.models import Register

        s = db.session
        document = s.get(IncomingDocument, document_id)
        register = s.scalar(select(Register).where(
            Register.direction == "in", Register.year == date.today().year,
            Register.is_secret.is_(False)))
        incoming.register_pending(s, b.user("vanthu"), document, register.id)
    b.run_worker()
    assert _outbox_row(a, letter)[1] == "03"
    assert "Đã vào sổ" in a.page(f"/outgoing/{letter}")
    with b.app.app_context():
        s = db.session
        document = s.get(IncomingDocument, document_id)
        incoming.submit(s, b.user("vanthu"), document)
        incoming.assign(s, b.user("lanhdao"), document, "Giao phòng CCHC",
                        [{"role": "lead", "user_id": b.user("chuyenvien").id}])
        line = next(x for x in document.assignments if x.role == "lead")
        incoming.complete(s, b.user("chuyenvien"), document, line.id, "Đã quyết toán")
    b.run_worker()
    assert _outbox_row(a, letter)[1] == "06"
    page = a.page(f"/outgoing/{letter}")
    assert "Hoàn thành" in page and "Đã phân công" in page

    # A recalls it: B's copy is frozen and marked, its metadata kept.
    with a.app.app_context():
        s = db.session
        from app.outgoing.models import OutgoingDocument

        outgoing.recall(s, a.user("vanthu"), s.get(OutgoingDocument, letter),
                        "Sai số liệu phụ lục")
    assert a.run_worker()["recalls"] == 1
    b.run_worker()
    with b.app.app_context():
        document = db.session.get(IncomingDocument, document_id)
        assert document.state == "recalled"
        assert "Sai số liệu phụ lục" in document.events[-1].note
        assert document.excerpt == "V/v hướng dẫn quyết toán ngân sách năm 2026"


def test_b_answers_a(pair):
    a, b = pair
    with b.app.app_context():
        answer = b.issue_to(FINANCE, "V/v cung cấp số liệu biên chế năm 2027")
    assert b.run_worker()["sent"] >= 1
    assert a.run_worker()["received"] == 1
    with a.app.app_context():
        inbound = db.session.scalar(select(ExchangeInbound).where(
            ExchangeInbound.from_organ_id == HOME))
        assert inbound.incoming.state == "pending"
        assert inbound.incoming.agency.electronic_id == HOME
    b.run_worker()
    assert _outbox_row(b, answer)[1] == "01"
