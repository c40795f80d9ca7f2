"""Real packages written by other vendors' systems (tests/data/edxml/real, sources in
SOURCES.md: the Government Office's SDK for the national platform, Bkav's integration for Tây
Ninh, a Petrovietnam gateway with documents received from the platform in 2019 and 2025).
Each document package, imported by the clerk as a file, lands in the queue with what a clerk
reads in it (expected.json, read independently of our reader); each status message is read as
a status with its code."""
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.documents.models import IncomingDocument
from app.exchange import edxml, services
from app.exchange.models import APPLIED, QUEUED, ExchangeInbound
from tests.conftest import form_of

REAL = Path(__file__).parent / "data" / "edxml" / "real"
EXPECTED = {e["file"]: e for e in json.loads((REAL / "expected.json").read_text("utf-8"))}
PACKAGES = sorted(f for f, e in EXPECTED.items() if e["kind"] == "package"
                  and f != "vpcp_sdk_edoc_revocation.edxml")
STATUSES = sorted(f for f, e in EXPECTED.items() if e["kind"] == "status")


def _ours(expected):
    """Who we are for this package: the recipient with the national shape, else the first."""
    return next((t for t in expected["to"] if edxml.ELECTRONIC_ID.match(t.upper())),
                expected["to"][0])


def test_the_collection_is_the_real_one():
    assert len(PACKAGES) + len(STATUSES) + 1 >= 10
    assert len(PACKAGES) >= 7
    for name in EXPECTED:
        assert name in (REAL / "SOURCES.md").read_text("utf-8")


@pytest.mark.parametrize("name", PACKAGES)
def test_real_package_is_queued_with_its_fields(app, db_session, login_as, monkeypatch, name):
    expected = EXPECTED[name]
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", _ours(expected))
    clerk = login_as("vanthu")
    page = clerk.get("/exchange/import").get_data(as_text=True)
    response = clerk.post("/exchange/import", data={**form_of(page), "package": (
        io.BytesIO((REAL / name).read_bytes()), name)}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    document_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    db_session.rollback()
    document = db_session.get(IncomingDocument, document_id)
    inbound = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.incoming_id == document_id))
    assert inbound.state == QUEUED and document.state == "pending"
    assert document.number_symbol == expected["number_symbol"]
    assert document.excerpt.startswith(expected["subject_starts"])
    if expected["date"]:
        assert document.document_date == date.fromisoformat(expected["date"])
    else:  # no date in the package: the clerk is told beside the field
        assert any(w["field"] == "document_date" for w in inbound.warning_list)
    assert len(document.files) == expected["attachments"]  # every attachment kept
    assert all(f.size > 0 for f in document.files)
    assert (inbound.signature_state is not None) == expected["signed"]
    # What the clerk opens shows the package's remarks and the signature's state.
    show = clerk.get(f"/incoming/{document_id}").get_data(as_text=True)
    assert "Chữ ký số của gói tin" in show
    if inbound.warning_list:
        assert "Điểm cần kiểm tra trong gói tin" in show and "Kiểm tra và vào sổ" in show


def test_real_revocation_freezes_what_it_revokes(app, db_session, monkeypatch):
    """The SDK's revocation revokes the document of its DocumentId: received first (the
    SDK's update of the same DocumentId), it is frozen and marked."""
    monkeypatch.setitem(app.config, "EXCHANGE_ORGAN_ID", "000.00.00.H41")
    with app.test_request_context():
        try:
            earlier = services.receive(db_session, (REAL / "vpcp_sdk_edoc_update.edxml")
                                       .read_bytes(), source="file")
            services.process(db_session, earlier)
        except services.Duplicate:  # already received in this database
            pass
        revocation = services.receive(db_session, (REAL / "vpcp_sdk_edoc_revocation.edxml")
                                      .read_bytes(), source="file")
        services.process(db_session, revocation)
    db_session.rollback()
    revocation = db_session.get(ExchangeInbound, revocation.id)
    assert revocation.state == APPLIED
    frozen = db_session.scalar(select(ExchangeInbound).where(
        ExchangeInbound.document_key == revocation.document_key,
        ExchangeInbound.business_type == 0, ExchangeInbound.incoming_id.is_not(None))
        .order_by(ExchangeInbound.id.desc()))
    assert frozen.incoming.state == "recalled"


@pytest.mark.parametrize("name", STATUSES)
def test_real_status_is_read_as_a_status(app, name):
    expected = EXPECTED[name]
    with app.test_request_context():
        status = edxml.read((REAL / name).read_bytes())
    assert isinstance(status, edxml.Status)
    assert status.code == expected["status_code"]
    assert expected["number_symbol"] in status.document_id
    assert status.sender.organ_id == expected["from"]
