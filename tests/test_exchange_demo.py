"""The liên thông demo (app/exchange/demo.py), made by setup before any test: partners from the
agency catalog on loopback endpoints, packages in the clerk's "Chờ vào sổ" queue, one returned,
outgoing documents with their recipients' statuses, and nothing left for the worker to send."""
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.catalogs.models import Agency
from app.core import storage
from app.core.timefmt import utcnow
from app.exchange import edxml
from app.exchange.demo import INBOUND, PARTNERS
from app.exchange.models import (
    FAILED, PENDING, QUEUED, RETURNED, SENT, ExchangeInbound, ExchangeOutbox, ExchangePartner,
)

NETWORKED = {organ_id for organ_id, networked, _clerk in PARTNERS if networked}


def demo_inbound(session):
    """The demo's received packages, by number and symbol → row."""
    rows = {}
    for entry in INBOUND:
        number_symbol = f"{entry[4]}/{entry[5]}"
        rows[number_symbol] = session.scalar(select(ExchangeInbound).where(
            ExchangeInbound.from_organ_id == entry[0],
            ExchangeInbound.document_key.endswith(f",{number_symbol}")))
    return rows


def test_partners_are_agencies_of_the_catalog_on_loopback(db_session):
    partners = list(db_session.scalars(select(ExchangePartner).join(Agency).where(
        Agency.electronic_id.in_([p[0] for p in PARTNERS]))))
    assert {p.agency.electronic_id for p in partners} == {p[0] for p in PARTNERS}
    for partner in partners:
        assert edxml.ELECTRONIC_ID.match(partner.agency.electronic_id)
        if partner.agency.electronic_id in NETWORKED:
            # Tests may give a partner their own endpoint, always on loopback too.
            assert urlsplit(partner.endpoint_url).hostname == "127.0.0.1"
            assert partner.outbound_token and partner.inbound_token_hash
        else:
            assert partner.endpoint_url is None  # exchanged by file only


def test_queue_items_are_visible_to_the_clerk(app, db_session, login_as):
    rows = demo_inbound(db_session)
    queued = [(key, row) for key, row in rows.items() if row.state == QUEUED]
    returned = [row for row in rows.values() if row.state == RETURNED]
    assert len(queued) == 3 and len(returned) == 1
    assert returned[0].incoming_id is None and returned[0].last_status == "02"
    assert returned[0].reason.startswith("Nội dung không thuộc chức năng")
    clerk = login_as("vanthu")
    waiting = clerk.get("/incoming/list/list/?box=waiting_registration&psize_IncomingView=100")
    waiting = waiting.get_data(as_text=True)
    for number_symbol, row in queued:
        overview = clerk.get("/exchange/", query_string={"q": row.document_key})
        overview = overview.get_data(as_text=True)
        document = row.incoming
        assert document.state == "pending" and document.channel == "exchange"
        assert document.number_symbol == number_symbol and document.arrival_number is None
        assert number_symbol in waiting and row.subject in overview
        assert row.last_status == "01"  # "arrived" went back to the sender
        [record] = document.files  # the small real PDF of the package
        with app.test_request_context():
            package = edxml.read(row.payload.encode())  # built by our builder: it validates
            assert storage.read_file(record).startswith(b"%PDF-")
        assert package.subject == document.excerpt and record.page_count == 1
        show = clerk.get(f"/incoming/{document.id}").get_data(as_text=True)
        assert "Trả lại cơ quan gửi" in show and row.document_key in show
    # The statuses we sent back reached the senders: nothing waits for the worker.
    statuses = list(db_session.scalars(select(ExchangeOutbox).where(
        ExchangeOutbox.inbound_id.in_([r.id for r in rows.values()]))))
    assert sorted(s.status_code for s in statuses) == ["01", "01", "01", "01", "02"]
    assert {s.state for s in statuses} == {SENT}


@pytest.fixture
def demo_outbox(db_session):
    """The demo's packages to networked partners. The demo dates them at least three hours
    back; what other tests of this process queued since (at the time they ran) is theirs."""
    made_by_tests = utcnow() - timedelta(hours=2)
    return list(db_session.scalars(select(ExchangeOutbox).join(ExchangePartner).join(Agency)
                                   .where(ExchangeOutbox.kind == "package",
                                          ExchangeOutbox.outgoing_id.is_not(None),
                                          ExchangeOutbox.created_at < made_by_tests,
                                          Agency.electronic_id.in_(NETWORKED))
                                   .order_by(ExchangeOutbox.id)))


def test_outgoing_documents_show_their_recipients_statuses(app, demo_outbox, login_as):
    assert len(demo_outbox) >= 5
    remote = {row.remote_status for row in demo_outbox if row.state == SENT}
    assert {"01", "03", "06", None} <= remote  # 01/03/06 received back; one heard nothing yet
    for row in demo_outbox:
        if row.state == SENT:
            assert row.sent_at and row.recipient.status in ("dispatched", "received")
            if row.remote_status and row.remote_status >= "03":
                assert row.recipient.status == "received"
    # The partner's server down: retried with back-off, then failed (a message the tests
    # queued to the same partner may fail too, for its own reason).
    failed = [row for row in demo_outbox if row.state == FAILED
              and row.attempts == app.config.get("EXCHANGE_MAX_ATTEMPTS", 8)]
    assert len(failed) == 1
    assert "Connection refused" in failed[0].last_error and failed[0].payload
    assert failed[0].recipient.status == "pending"
    with app.test_request_context():
        package = edxml.read(failed[0].payload.encode())
    assert package.number_symbol == failed[0].outgoing.number_symbol
    clerk = login_as("vanthu")
    completed = next(row for row in demo_outbox if row.remote_status == "06")
    page = clerk.get(f"/outgoing/{completed.outgoing_id}").get_data(as_text=True)
    assert "exchange-statuses" in page and completed.partner.agency.name in page
    assert "Hoàn thành" in page and "Đã vào sổ" in page
    overview = clerk.get("/exchange/", query_string={"q": failed[0].document_key})
    overview = overview.get_data(as_text=True)
    assert "Gửi lại" in overview and "lần thử: 8" in overview


def test_nothing_is_left_for_the_worker(demo_outbox):
    # Sent or failed: the worker sends pending messages only (and never runs in tests).
    assert PENDING not in {row.state for row in demo_outbox}


def test_an_odd_package_waits_with_its_warnings(app, db_session, login_as):
    """The demo's package written as real systems write them: in the queue, not returned, its
    scan unwrapped from the .zip, the Word draft kept, each oddity named for the clerk."""
    from app.exchange.demo import ODD

    inbound = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.from_organ_id == ODD[0],
        ExchangeInbound.document_key.endswith(f",{ODD[1]}/{ODD[2]}")))
    assert inbound.state == QUEUED and inbound.source == "file"
    elements = {w["element"] for w in inbound.warning_list}
    assert {"PromulgationInfo/PromulgationDate", "OtherInfo/PageAmount", "DueDate"} <= elements
    files = {f.original_name: f.content_type for f in inbound.incoming.files}
    assert files == {
        f"{ODD[1]}-{ODD[2]}.pdf": "application/pdf",
        "Dự thảo hướng dẫn.docx":
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    show = login_as("vanthu").get(f"/incoming/{inbound.incoming_id}").get_data(as_text=True)
    assert "Kiểm tra và vào sổ" in show and "PromulgationDate" in show
