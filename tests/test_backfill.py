"""Nhập bù (Regulation Art. 5.4): letters that arrived during an outage are registered
afterwards with their real arrival time and a required reason; both times are kept and shown;
the register uses the real time and the numbers follow the order of registration."""
from datetime import timedelta

from sqlalchemy import select

from app.core.timefmt import local_now, to_local
from app.documents.models import IncomingDocument
from tests.conftest import form_of
from tests.incoming_helpers import entry


def web_form(session, **overrides):
    data = entry(session, **overrides)
    return {k: (v.strftime("%d/%m/%Y %H:%M") if k == "arrival_at" else
                v.strftime("%d/%m/%Y") if k in ("document_date", "deadline") and v else
                "" if v is None else str(v)) for k, v in data.items()}


def register(client, session, **overrides):
    page = client.get("/incoming/register").get_data(as_text=True)
    return client.post("/incoming/register", data=form_of(page, **web_form(session, **overrides)))


def test_outage_letters_need_a_reason_and_keep_both_times(login_as, db_session):
    clerk = login_as("vanthu")
    real = (local_now() - timedelta(days=2)).replace(hour=9, minute=15, second=0,
                                                     microsecond=0)
    if real.year != local_now().year:
        real = local_now().replace(hour=0, minute=5, second=0, microsecond=0)
    day_before = (real - timedelta(days=1)).date()
    refused = register(clerk, db_session, arrival_at=real, document_date=day_before)
    if real < local_now() - timedelta(hours=24):
        assert refused.status_code == 422
        assert "nhập bù" in refused.get_data(as_text=True)
    first = register(clerk, db_session, arrival_at=local_now().replace(second=0, microsecond=0))
    assert first.status_code == 302
    response = register(clerk, db_session, arrival_at=real, document_date=day_before,
                        backfill_reason="Mất điện cả buổi sáng 25/11")
    assert response.status_code == 302
    db_session.rollback()
    newest = list(db_session.scalars(select(IncomingDocument).order_by(
        IncomingDocument.id.desc()).limit(2)))
    backfilled, before = newest
    assert backfilled.backfill_reason == "Mất điện cả buổi sáng 25/11"
    assert to_local(backfilled.arrival_at).replace(tzinfo=None) == real  # the real time
    assert backfilled.created_at > backfilled.arrival_at  # and the time of entry
    # Numbers follow the order of registration, not of arrival (no renumbering).
    assert backfilled.arrival_number == before.arrival_number + 1
    page = clerk.get(f"/incoming/{backfilled.id}").get_data(as_text=True)
    assert "Nhập bù" in page and "Mất điện cả buổi sáng 25/11" in page
    assert real.strftime("%d/%m/%Y %H:%M") in page
