"""Nhập bù (Regulation Art. 5.4): letters that arrived during an outage are registered
afterwards with their real arrival time and a required reason; both times are kept and shown;
the register uses the real time and the numbers follow the order of registration. The same
for the routing steps done meanwhile: the direction, the delegation, the completion."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.timefmt import format_datetime, local_now, local_to_utc, to_local
from app.documents import registers, services
from app.documents.models import COMPLETED, SUBMITTED, IncomingDocument
from app.org.models import Department
from tests.conftest import form_of, login
from tests.incoming_helpers import entry
from tests.test_incoming import line_of, post_action, register_as_clerk, user


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


# ---------------------------------------------------------------- routing steps

def outage_times():
    """Now and an arrival three hours ago (same year: the register is this year's)."""
    now = local_now().replace(second=0, microsecond=0)
    arrival = now - timedelta(hours=3)
    if arrival.year != now.year:
        pytest.skip("the first hours of the year have no earlier arrival in this year's register")
    return now, arrival


def typed(moment):
    return moment.strftime("%d/%m/%Y %H:%M")


def real_time(value):
    return to_local(value).replace(tzinfo=None)


def test_a_direction_given_during_an_outage_keeps_both_times(app, client, db_session):
    now, arrival = outage_times()
    with app.test_request_context():
        document = register_as_clerk(db_session, submit=True, arrival_at=arrival)
    officer = user(db_session, "chuyenvien")
    real = arrival + timedelta(minutes=30)
    direction = dict(direction="Giao đồng chí Thủy chủ trì.", role=["lead"],
                     target=[f"u:{officer.id}"], line_deadline=[""], occurred_at=typed(real))
    login(client, "lanhdao")
    refused = post_action(client, document.id, "assign", **direction).get_data(as_text=True)
    assert "đây là nhập bù sau sự cố, nhập lý do" in refused
    db_session.expire_all()
    document = db_session.get(IncomingDocument, document.id)
    assert document.state == SUBMITTED and document.assignments == []  # nothing saved
    assert "assign" not in [e.action for e in document.events]

    html = post_action(client, document.id, "assign", backfill_reason="Mất điện cả buổi sáng",
                       **direction).get_data(as_text=True)
    assert "Đã ghi nhận" in html
    db_session.expire_all()
    document = db_session.get(IncomingDocument, document.id)
    line = document.assignments[0]
    assert real_time(line.assigned_at) == real  # the real time, for the reports
    assert line.entered_at >= local_to_utc(now) and line.backfill_reason == "Mất điện cả buổi sáng"
    event = next(e for e in document.events if e.action == "assign")
    assert (event.at, event.entered_at) == (line.assigned_at, line.entered_at)
    assert event.backfill_reason == "Mất điện cả buổi sáng"
    assert registers.passed_on(document) == real.strftime("%d/%m/%Y")  # Ngày chuyển: the real day
    page = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert typed(real) in page
    assert f"nhập bù lúc {format_datetime(line.entered_at)}: Mất điện cả buổi sáng" in page


def test_routing_times_are_checked_through_the_api(client, api_as, db_session, app):
    now, arrival = outage_times()
    with app.test_request_context():
        document = register_as_clerk(db_session, submit=True, arrival_at=arrival)
    officer = user(db_session, "chuyenvien")
    leader = api_as("lanhdao")
    url = f"/api/v1/incoming/{document.id}/actions/assign"
    lines = [{"role": "lead", "user_id": officer.id}]

    def refused(field, **extra):
        response = client.post(url, headers=leader, json={"lines": lines, **extra})
        assert response.status_code == 422, response.get_json()
        return response.get_json()["message"][field]

    assert refused("occurred_at", occurred_at=(now + timedelta(hours=2)).isoformat(),
                   backfill_reason="Mất mạng") == ["Thời điểm thực tế không thể ở tương lai."]
    assert refused("occurred_at", occurred_at=(arrival - timedelta(hours=1)).isoformat(),
                   backfill_reason="Mất mạng") == [
        f"Thời điểm thực tế không thể trước ngày, giờ đến của văn bản ({typed(arrival)})."]
    assert "đây là nhập bù" in refused("backfill_reason",
                                       occurred_at=(now - timedelta(hours=1)).isoformat())[0]
    assert refused("occurred_at", backfill_reason="Mất mạng") == [
        "Có lý do nhập bù: nhập cả thời điểm thực tế."]
    assert "không hợp lệ" in refused("occurred_at", occurred_at="hôm qua")[0]
    assert client.post(url, headers=leader, json=["không phải đối tượng"]).status_code == 400
    db_session.expire_all()
    assert db_session.get(IncomingDocument, document.id).assignments == []

    real = now - timedelta(hours=1)
    done = client.post(url, headers=leader, json={
        "lines": lines, "occurred_at": real.strftime("%Y-%m-%dT%H:%M"),
        "backfill_reason": "Mất mạng nội bộ"})
    assert done.status_code == 200, done.get_json()
    assigned = done.get_json()["result"]["assignments"][0]["assigned"]
    assert assigned["at"] == real.strftime("%Y-%m-%dT%H:%M")
    assert assigned["entered_at"] >= now.strftime("%Y-%m-%dT%H:%M")
    assert assigned["backfill_reason"] == "Mất mạng nội bộ"
    history = done.get_json()["result"]["history"]
    assert history[-1]["action"] == "assign" and history[-1]["backfill_reason"]


def test_delegation_and_completion_entered_after_an_outage(app, client, db_session):
    now, arrival = outage_times()
    cchc = db_session.scalar(select(Department.id).where(Department.code == "CCHC"))
    officer = user(db_session, "chuyenvien")
    with app.test_request_context():
        document = register_as_clerk(db_session, submit=True, arrival_at=arrival)
        services.assign(db_session, user(db_session, "lanhdao"), document, "",
                        [{"role": "lead", "department_id": cchc}],
                        occurred_at=arrival + timedelta(minutes=30),
                        backfill_reason="Mất điện")
    unit_line = document.assignments[0]
    delegated, finished = now - timedelta(hours=2), now - timedelta(hours=1)

    login(client, "truongphong")
    early = post_action(client, document.id, "delegate", line_id=str(unit_line.id),
                        officer_id=str(officer.id), occurred_at=typed(arrival),
                        backfill_reason="Mất điện").get_data(as_text=True)
    assert "không thể trước lúc phần việc được giao" in early
    post_action(client, document.id, "delegate", line_id=str(unit_line.id),
                officer_id=str(officer.id), occurred_at=typed(delegated),
                backfill_reason="Mất điện")
    mine = line_of(db_session, document.id, user_id=officer.id)
    assert real_time(mine.assigned_at) == delegated and mine.backfill_reason == "Mất điện"

    login(client, "chuyenvien")
    future = post_action(client, document.id, "complete", line_id=str(mine.id), note="Xong",
                         occurred_at=typed(now + timedelta(days=1)), backfill_reason="Mất điện")
    assert "Thời điểm thực tế không thể ở tương lai." in future.get_data(as_text=True)
    assert line_of(db_session, document.id, id=mine.id).state == "open"
    html = post_action(client, document.id, "complete", line_id=str(mine.id),
                       note="Đã trả lời bằng văn bản.", occurred_at=typed(finished),
                       backfill_reason="Mất mạng cả chiều").get_data(as_text=True)
    assert "Đã ghi nhận" in html
    db_session.expire_all()
    document = db_session.get(IncomingDocument, document.id)
    assert document.state == COMPLETED and real_time(document.completed_at) == finished
    for line in document.assignments:  # the officer's line and the unit's, done through it
        assert real_time(line.completed_at) == finished
        assert line.completed_entered_at >= local_to_utc(now)
        assert line.completed_backfill_reason == "Mất mạng cả chiều"
    completed = [e for e in document.events if e.action in ("complete", "document_completed")]
    assert {real_time(e.at) for e in completed} == {finished}
    assert all(e.backfill_reason == "Mất mạng cả chiều" for e in completed)
    page = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert typed(finished) in page and "Mất mạng cả chiều" in page
