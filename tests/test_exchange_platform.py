"""Liên thông qua trục (app.exchange.platform): the agency list into our catalog, documents
sent through the platform by the worker (outages, retries, never twice), packages polled from
our mailbox (once, acknowledged, refusals told), statuses both ways. Every test talks real
HTTP to tests/platform_simulator.py on 127.0.0.1."""
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.catalogs.models import Agency, SecrecyLevel
from app.core.timefmt import local_now, utcnow
from app.exchange import edxml, platform, worker
from app.exchange.models import (
    DIRECT, FAILED, PENDING, PLATFORM, QUEUED, SENT, ExchangeInbound, ExchangeOutbox,
    ExchangePartner,
)
from app.outgoing.models import EXTERNAL, OutgoingDocument, OutgoingRecipient
from tests.conftest import form_of
from tests.exchange_helpers import FINANCE, OURS, sample_package
from tests.platform_simulator import PlatformSimulator

SYSTEM_ID, SECRET = "qlvb.snv.hanam", "secret-of-our-system-0123456789abcdef"
BUILDING, PARKS, TRADE = "000.00.45.H30", "000.00.46.H30", "000.00.47.H30"
AGENCIES = [
    {"id": "a1", "code": OURS, "name": "Sở Nội vụ tỉnh Hà Nam", "mail": "snv@hanam.gov.vn",
     "pid": "000.00.00.H30"},
    {"id": "a2", "code": FINANCE, "name": "Sở Tài chính tỉnh Hà Nam", "pid": "000.00.00.H30"},
    {"id": "a3", "code": BUILDING, "name": "Sở Xây dựng tỉnh Hà Nam (trục)",
     "mail": "sxd@hanam.gov.vn", "pid": "000.00.00.H30"},
    {"id": "a4", "code": PARKS, "name": "Ban Quản lý các khu công nghiệp tỉnh Hà Nam",
     "pid": "000.00.00.H30"},
    {"id": "a5", "code": TRADE, "name": "Sở Công Thương tỉnh Hà Nam (trục)",
     "pid": "000.00.00.H30"},
    {"id": "a6", "code": "not an id", "name": "Mã sai"},
]


@pytest.fixture(autouse=True)
def our_identity(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", OURS)


@pytest.fixture
def sim(app, monkeypatch):
    """The simulator, and our app configured to use it (short timeouts: a fast suite)."""
    simulator = PlatformSimulator(AGENCIES, timeout_delay=0.6).start()
    simulator.add_system(SYSTEM_ID, SECRET, OURS)
    for key, value in {"EXCHANGE_PLATFORM_URL": simulator.url,
                       "EXCHANGE_PLATFORM_SYSTEM_ID": SYSTEM_ID,
                       "EXCHANGE_PLATFORM_SECRET": SECRET, "EXCHANGE_PLATFORM_TIMEOUT": 0.3,
                       "EXCHANGE_PLATFORM_RETRIES": 2, "EXCHANGE_PLATFORM_BACKOFF": 0.01
                       }.items():
        monkeypatch.setitem(app.config, key, value)
    platform._watermark_path(app).unlink(missing_ok=True)
    yield simulator
    simulator.stop()


@contextmanager
def through_platform(session, organ_id):
    """The agency's partner reached through the platform (as sync_agencies makes it: no
    endpoint), put back as it was afterwards."""
    agency = session.scalar(select(Agency).where(Agency.electronic_id == organ_id))
    partner = session.scalar(select(ExchangePartner).where(
        ExchangePartner.agency_id == agency.id))
    before = None
    if partner is None:
        partner = ExchangePartner(agency_id=agency.id)
        session.add(partner)
    else:
        before = (partner.channel, partner.endpoint_url, partner.active)
    partner.channel, partner.endpoint_url, partner.active = PLATFORM, None, True
    session.commit()
    try:
        yield partner
    finally:
        session.rollback()
        partner = session.get(ExchangePartner, partner.id)
        partner.channel, partner.endpoint_url, partner.active = before or (DIRECT, None, False)
        session.commit()


def run(app, session):
    counts = worker.run_once(app)
    session.expire_all()
    return counts


def pending_recipient(session):
    """An external recipient of an issued, not secret document, not queued yet."""
    queued = select(ExchangeOutbox.recipient_id).where(ExchangeOutbox.recipient_id.is_not(None))
    return session.scalar(
        select(OutgoingRecipient).join(OutgoingDocument).join(Agency).join(SecrecyLevel)
        .where(OutgoingRecipient.kind == EXTERNAL, OutgoingRecipient.status == "pending",
               OutgoingDocument.state == "issued", SecrecyLevel.level == 0,
               Agency.electronic_id.is_not(None), Agency.electronic_id.not_in([OURS]),
               OutgoingRecipient.id.not_in(queued))
        .order_by(OutgoingRecipient.id))


def package_row(session, recipient_id):
    return session.scalar(select(ExchangeOutbox).where(
        ExchangeOutbox.recipient_id == recipient_id, ExchangeOutbox.kind == "package"))


def copies(sim, organ_id, row):
    return [m for m in sim.mailbox(organ_id) if m.data == row.payload.encode()]


@contextmanager
def recipient_via_platform(session, sim):
    recipient = pending_recipient(session)
    assert recipient is not None, "the demo has no issued document left to send"
    agency = recipient.agency
    sim.agencies.append({"id": "x", "code": agency.electronic_id, "name": agency.name})
    with through_platform(session, agency.electronic_id):
        yield recipient


# ---------------------------------------------------------------- the protocol itself

def test_calls_are_signed_and_a_wrong_secret_is_refused(app, sim):
    with app.app_context():
        assert [a["code"] for a in platform.client().agencies()][:2] == [OURS, FINANCE]
        wrong = platform.PlatformClient(sim.url, SYSTEM_ID, "not-the-secret", retries=0)
        with pytest.raises(platform.PlatformError) as error:
            wrong.agencies()
    assert not error.value.transient and "xác thực" in str(error.value)
    assert sim.calls[-1] == ("getAgenciesList", SYSTEM_ID, 401)


def test_transient_failures_are_retried_inside_a_call(app, sim):
    sim.fail_next(2, "503", operation="getAgenciesList")
    with app.app_context():
        assert len(platform.client().agencies()) == len(AGENCIES)
        sim.fail_next(3, "500", operation="getAgenciesList")  # more than the retries
        with pytest.raises(platform.PlatformError) as error:
            platform.client().agencies()
    assert error.value.transient and "HTTP 500" in str(error.value)


def test_platform_not_configured_says_so(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXCHANGE_PLATFORM_URL", "")
    with app.app_context(), pytest.raises(platform.PlatformError) as error:
        platform.client()
    assert "EXCHANGE_PLATFORM_URL" in str(error.value)


# ---------------------------------------------------------------- agencies

def test_sync_fills_the_catalog_and_partners_once(app, db_session, sim):
    trade = Agency(name="Sở Công Thương tỉnh Hà Nam (trục)")  # ours, without its ID yet
    db_session.add(trade)
    db_session.commit()
    before = db_session.scalar(select(func.count()).select_from(Agency))
    with app.app_context():
        first = platform.sync_agencies(services_session())
        second = platform.sync_agencies(services_session())
    db_session.expire_all()
    # updated: our own agency gets its e-mail, the Sở Công Thương its ID.
    assert first == {"agencies": 5, "created": 2, "updated": 2, "partners": 3, "skipped": 1}
    assert second["created"] == second["partners"] == 0
    assert db_session.scalar(select(func.count()).select_from(Agency)) == before + 2
    building = db_session.scalar(select(Agency).where(Agency.electronic_id == BUILDING))
    assert building.name == "Sở Xây dựng tỉnh Hà Nam (trục)"
    assert building.email == "sxd@hanam.gov.vn"
    assert db_session.get(Agency, trade.id).electronic_id == TRADE
    for code in (BUILDING, PARKS, TRADE):
        partners = list(db_session.scalars(select(ExchangePartner).join(Agency).where(
            Agency.electronic_id == code)))
        assert [(p.channel, p.active, p.endpoint_url) for p in partners] == \
            [(PLATFORM, True, None)]
    # A partner we already exchange with directly stays direct; we are no partner of ours.
    finance = db_session.scalar(select(ExchangePartner).join(Agency).where(
        Agency.electronic_id == FINANCE))
    assert finance.channel == DIRECT
    assert db_session.scalar(select(func.count()).select_from(ExchangePartner).join(Agency)
                             .where(Agency.electronic_id == OURS)) == 0
    # The clerk sees them in the partner catalog.
    page = _clerk_page(app, "/exchangepartnerview/list/")
    assert "Ban Quản lý các khu công nghiệp tỉnh Hà Nam" in page


def services_session():
    from app.extensions import db

    return db.session


def _clerk_page(app, url):
    from tests.conftest import login

    client = app.test_client()
    login(client, "vanthu")
    return client.get(url).get_data(as_text=True)


def test_register_our_agency(app, sim):
    with app.app_context():
        platform.register_agency()
        platform.register_agency()  # an update, not a second agency
    assert [r["code"] for r in sim.registered] == [OURS, OURS]
    assert sim.registered[0]["name"] == app.config["AGENCY_NAME"]
    assert [a["code"] for a in sim.agencies].count(OURS) == 1


def test_cli_commands(app, sim):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["eoffice", "exchange", "platform-agencies"])
    assert result.exit_code == 0, result.output
    assert "Trục liên thông: 5 cơ quan" in result.output
    result = runner.invoke(args=["eoffice", "exchange", "platform-register"])
    assert result.exit_code == 0 and OURS in result.output, result.output
    result = runner.invoke(args=["eoffice", "exchange", "platform-poll"])
    assert result.exit_code == 0 and "nhận 0 gói tin" in result.output, result.output
    sim.down = "500"
    result = runner.invoke(args=["eoffice", "exchange", "platform-poll"])
    assert result.exit_code == 1 and "tạm thời không xử lý được" in result.output


# ---------------------------------------------------------------- sending

def test_issued_document_goes_through_the_platform_once(app, db_session, sim, login_as):
    with recipient_via_platform(db_session, sim) as recipient:
        code, document_id = recipient.agency.electronic_id, recipient.document_id
        run(app, db_session)
        row = package_row(db_session, recipient.id)
        assert row.state == SENT and row.platform_id
        assert len(copies(sim, code, row)) == 1
        with app.test_request_context():
            package = edxml.read(copies(sim, code, row)[0].data)
        assert package.document_id == row.document_key
        assert [o.organ_id for o in package.recipients] == [code]
        # Later rounds send nothing again, even if the row were picked up once more (a crash
        # after the platform took it, before the state was written).
        row.state, row.next_attempt_at = PENDING, utcnow() - timedelta(seconds=1)
        db_session.commit()
        run(app, db_session)
        assert len(copies(sim, code, row)) == 1
        assert db_session.get(ExchangeOutbox, row.id).state == SENT
        page = login_as("vanthu").get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert "Đã gửi" in page
    assert db_session.get(OutgoingRecipient, recipient.id).status == "dispatched"


def test_platform_down_retries_with_backoff_then_delivers_once(app, db_session, sim):
    with recipient_via_platform(db_session, sim) as recipient:
        code = recipient.agency.electronic_id
        sim.down = "500"
        counts = run(app, db_session)
        assert "error" in counts["platform"]  # the poll failed too; the round went on
        row = package_row(db_session, recipient.id)
        assert (row.state, row.attempts, row.platform_id) == (PENDING, 1, None)
        assert "HTTP 500" in row.last_error
        assert row.next_attempt_at - utcnow() > timedelta(seconds=50)  # back-off: a minute
        run(app, db_session)  # not due yet: not tried
        assert db_session.get(ExchangeOutbox, row.id).attempts == 1

        def due():
            row = db_session.get(ExchangeOutbox, package_row(db_session, recipient.id).id)
            row.next_attempt_at = utcnow() - timedelta(seconds=1)
            db_session.commit()

        due()
        sim.down = "timeout"
        run(app, db_session)
        row = package_row(db_session, recipient.id)
        assert (row.state, row.attempts) == (PENDING, 2)
        assert "không trả lời" in row.last_error
        assert row.next_attempt_at - utcnow() > timedelta(seconds=110)  # two minutes
        due()
        sim.down = None
        sim.fail_next(2, "503", operation="sendEdoc")  # certainly not taken: tried again
        run(app, db_session)
        row = package_row(db_session, recipient.id)
        assert (row.state, row.last_error) == (SENT, None)
        assert len(copies(sim, code, row)) == 1


def test_refused_by_the_platform_fails_for_good(app, db_session, sim):
    with recipient_via_platform(db_session, sim) as recipient:
        sim.agencies.pop()  # the platform does not know the recipient
        run(app, db_session)
        row = package_row(db_session, recipient.id)
        assert row.state == FAILED and "không có trên trục" in row.last_error


# ---------------------------------------------------------------- receiving

def _package(app, **overrides):
    with app.test_request_context():
        package = sample_package(**overrides)
        return package, edxml.build_package(package)


def test_package_in_our_mailbox_lands_in_the_queue_and_is_acknowledged(
        app, db_session, sim, login_as):
    package, data = _package(app)
    doc_id = sim.put(OURS, data, sender=FINANCE)
    counts = run(app, db_session)
    assert counts["platform"]["received"] == 1
    inbound = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.platform_id == doc_id))
    assert (inbound.state, inbound.source, inbound.document_key) == \
        (QUEUED, "platform", package.key)
    assert sim.messages[doc_id].status == "done"
    page = login_as("vanthu").get("/incoming/list/list/?box=waiting_registration")
    assert package.number_symbol in page.get_data(as_text=True)
    # Polled again: nothing new, nothing asked twice.
    fetched = sim.count("getEdoc")
    assert run(app, db_session)["platform"]["received"] == 0
    assert sim.count("getEdoc") == fetched


def test_the_same_package_delivered_twice_is_stored_once(app, db_session, sim):
    package, data = _package(app)
    first = sim.put(OURS, data, sender=FINANCE)
    second = sim.put(OURS, data, sender=FINANCE)  # the platform delivered it twice
    run(app, db_session)
    rows = list(db_session.scalars(select(ExchangeInbound).where(
        ExchangeInbound.document_key == package.key)))
    assert len(rows) == 1 and rows[0].platform_id == first and rows[0].state == QUEUED
    assert sim.messages[first].status == sim.messages[second].status == "done"
    # Our acknowledgement was lost: the platform lists it again; it is not handed again.
    sim.messages[first].status = "initial"
    fetched = sim.count("getEdoc")
    run(app, db_session)
    assert sim.messages[first].status == "done"
    assert sim.count("getEdoc") == fetched
    assert db_session.scalar(select(func.count()).select_from(ExchangeInbound).where(
        ExchangeInbound.document_key == package.key)) == 1


def test_a_package_we_cannot_take_is_refused_with_the_reasons(app, db_session, sim):
    _, data = _package(app, recipients=[edxml.Organ("000.00.99.H30", name="Nơi khác")])
    doc_id = sim.put(OURS, data, sender=FINANCE)
    counts = run(app, db_session)
    assert counts["platform"]["refused"] == 1
    assert sim.messages[doc_id].status == "fail"
    assert "To:" in sim.messages[doc_id].description
    assert db_session.scalar(select(ExchangeInbound.id).where(
        ExchangeInbound.platform_id == doc_id)) is None


def test_poll_survives_a_platform_outage_and_catches_up(app, db_session, sim):
    package, data = _package(app)
    doc_id = sim.put(OURS, data, sender=FINANCE)
    sim.fail_next(3, "500", operation="getEdoc")  # more than the retries of one call
    counts = run(app, db_session)
    assert counts["platform"]["errors"] == 1
    assert sim.messages[doc_id].status == "initial"
    run(app, db_session)
    inbound = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.platform_id == doc_id))
    assert inbound.state == QUEUED and sim.messages[doc_id].status == "done"


# ---------------------------------------------------------------- statuses both ways

def test_our_statuses_reach_the_sender_through_the_platform(app, db_session, sim, login_as):
    with through_platform(db_session, FINANCE):
        package, data = _package(app)
        sim.put(OURS, data, sender=FINANCE)
        run(app, db_session)
        inbound = db_session.scalar(select(ExchangeInbound).where(
            ExchangeInbound.document_key == package.key))
        assert inbound.state == QUEUED

        def codes():
            with app.test_request_context():
                read = [edxml.read(m.data) for m in sim.mailbox(FINANCE, "status")]
            return [s.code for s in read if s.document_id == package.document_id]

        assert codes() == ["01"]
        clerk = login_as("vanthu")
        show = clerk.get(f"/incoming/{inbound.incoming_id}").get_data(as_text=True)
        register_id = int(re.search(
            r'name="register_id" class="form-control"><option value="(\d+)"', show).group(1))
        clerk.post(f"/incoming/{inbound.incoming_id}/do/register",
                   data=form_of(show, register_id=register_id))
        run(app, db_session)
        assert codes() == ["01", "03"]


def test_recipients_statuses_come_back_to_our_outgoing_document(app, db_session, sim, login_as):
    with recipient_via_platform(db_session, sim) as recipient:
        code, document_id = recipient.agency.electronic_id, recipient.document_id
        run(app, db_session)
        row = package_row(db_session, recipient.id)
        assert row.state == SENT
        steps = [("01", ""), ("03", "Đã vào sổ văn bản đến"), ("04", "Giao phòng chủ trì"),
                 ("05", ""), ("06", "Đã xử lý xong")]
        with app.test_request_context():
            for status_code, description in steps:
                status = edxml.Status(
                    document_id=row.document_key, sender=edxml.Organ(code, name="Nơi nhận"),
                    code=status_code, timestamp=local_now().replace(tzinfo=None, microsecond=0),
                    description=description, staff=edxml.Staff(staff="Văn thư nơi nhận"))
                sim.put(OURS, edxml.build_status(status), sender=code, message_type="status")
        repeat = sim.put(OURS, sim.mailbox(OURS, "status")[-1].data, sender=code,
                         message_type="status")  # the 06 delivered twice
        run(app, db_session)
        row = db_session.get(ExchangeOutbox, row.id)
        assert (row.remote_status, row.remote_note) == ("06", "Đã xử lý xong")
        assert str(row.remote_label) == "Hoàn thành"
        assert sim.messages[repeat].status == "done"
        assert all(m.status == "done" for m in sim.mailbox(OURS, "status"))
        page = login_as("vanthu").get(f"/outgoing/{document_id}").get_data(as_text=True)
    cell = re.search(r'class="exchange-remote-status">(.*?)</td>', page, re.S).group(1)
    assert "Hoàn thành" in cell and "Đã vào sổ" in cell
    assert db_session.get(OutgoingRecipient, recipient.id).status == "received"
