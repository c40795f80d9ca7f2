"""Replies: "Soạn văn bản trả lời" prefills the sending agency, the field and "V/v trả lời văn
bản số … ngày … của …" from the incoming document and names it by its arrival number; a
document the user may not see is ignored with a message (web) or refused (REST)."""
import re

from sqlalchemy import select

from app.core.timefmt import format_date
from app.documents import services as incoming_services
from app.outgoing import services
from app.outgoing.models import Draft
from tests.conftest import csrf_token, user
from tests.incoming_helpers import entry, ids
from tests.test_outgoing import issue, new_draft


def registered(session, **overrides):
    """An incoming document registered by the clerk (field CCHC unless told otherwise)."""
    return incoming_services.register_incoming(session, user(session, "vanthu"),
                                               entry(session, **overrides))


def test_reply_prefill_and_label(app, db_session):
    with app.test_request_context():
        incoming = registered(db_session)
        prefill = services.reply_prefill(incoming)
        assert prefill["excerpt"] == (
            f"V/v trả lời văn bản số {incoming.number_symbol} ngày "
            f"{format_date(incoming.document_date)} của {incoming.agency.name}")
        assert prefill["external_agency_ids"] == [incoming.agency_id]
        assert prefill["field_id"] == incoming.field_id and prefill["reply_to_id"] == incoming.id
        assert services.reply_label(incoming) == (
            f"Trả lời văn bản đến số {incoming.arrival_number}/{incoming.arrival_year} — "
            f"{incoming.number_symbol}")


def test_new_reply_page_is_prefilled_and_shows_the_arrival_number(app, client, login_as,
                                                                  db_session):
    with app.test_request_context():
        incoming = registered(db_session)
        label = services.reply_label(incoming)
        incoming_id, agency_id, number = incoming.id, incoming.agency_id, incoming.number_symbol
    login_as("chuyenvien")
    page = client.get(f"/drafts/new?reply_to={incoming_id}").get_data(as_text=True)
    assert label in page
    assert re.search(rf'<input[^>]*id="reply_to_id"[^>]*type="hidden"[^>]*value="{incoming_id}"',
                     page) or re.search(rf'type="hidden"[^>]*id="reply_to_id"[^>]*value="'
                                        rf'{incoming_id}"', page)
    assert "(mã)" not in page  # no id typed by hand any more
    assert f"V/v trả lời văn bản số {number}" in page
    assert re.search(rf'<option selected value="{agency_id}"|<option value="{agency_id}" '
                     rf'selected', page)
    known = ids(db_session)
    saved = client.post(f"/drafts/new?reply_to={incoming_id}", data={
        "csrf_token": csrf_token(page), "document_type_id": known["type"],
        "excerpt": f"V/v trả lời văn bản số {number}", "field_id": known["field_cchc"],
        "urgency_id": known["urgency"], "secrecy_id": known["secrecy"],
        "drafting_department_id": user(db_session, "chuyenvien").department_id,
        "reply_to_id": incoming_id, "external_agency_ids": [agency_id]})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    draft = db_session.scalars(select(Draft).where(Draft.reply_to_id == incoming_id)).one()
    shown = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert label in shown and f'href="/incoming/{incoming_id}"' in shown


def test_a_document_the_user_may_not_see_is_ignored_with_a_message(app, client, login_as,
                                                                  db_session):
    with app.test_request_context():
        hidden = registered(db_session, field_id=ids(db_session)["field_tp"])
        hidden_id, number = hidden.id, hidden.number_symbol
    login_as("chuyenvien")  # fields CCHC, TCCB: not TP
    page = client.get(f"/drafts/new?reply_to={hidden_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Không tìm thấy văn bản đến cần trả lời" in html
    assert number not in html and f'value="{hidden_id}"' not in html
    junk = client.get("/drafts/new?reply_to=abc").get_data(as_text=True)
    assert "Không tìm thấy văn bản đến cần trả lời" in junk


def test_the_issued_reply_links_back_by_arrival_number(app, client, login_as, db_session):
    with app.test_request_context():
        incoming = registered(db_session)
        label = services.reply_label(incoming)
        draft = new_draft(db_session, reply_to_id=incoming.id)
        services.apply(db_session, user(db_session, "chuyenvien"), draft, "submit")
        services.apply(db_session, user(db_session, "truongphong"), draft, "forward")
        services.apply(db_session, user(db_session, "lanhdao"), draft, "approve")
        document_id = issue(db_session, draft).id
    login_as("lanhdao")
    html = client.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert label in html and f'href="/incoming/{incoming.id}"' in html


def test_rest_reply_to_is_checked_against_visibility_and_shown_by_arrival_number(
        app, client, api_as, db_session):
    with app.test_request_context():
        seen = registered(db_session)
        hidden = registered(db_session, field_id=ids(db_session)["field_tp"])
        label = services.reply_label(seen)
        seen_id, hidden_id = seen.id, hidden.id
    known = ids(db_session)
    body = {"document_type_id": known["type"], "excerpt": "V/v trả lời",
            "field_id": known["field_cchc"], "urgency_id": known["urgency"],
            "secrecy_id": known["secrecy"]}
    officer = api_as("chuyenvien")
    refused = client.post("/api/v1/draft/", json={**body, "reply_to_id": hidden_id},
                          headers=officer)
    assert refused.status_code == 422
    assert "không có quyền" in str(refused.get_json()["message"]["reply_to_id"])
    made = client.post("/api/v1/draft/", json={**body, "reply_to_id": seen_id},
                       headers=officer)
    assert made.status_code == 201, made.get_data(as_text=True)
    shown = client.get(f"/api/v1/draft/{made.get_json()['id']}", headers=officer).get_json()
    assert shown["result"]["reply_to"]["label"] == label
    assert shown["result"]["reply_to"]["arrival_number"] == seen.arrival_number
