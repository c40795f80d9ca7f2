"""Routing as agencies do it (issue 16, point 5) and the incoming side of replies (point 6):
presenting to a chosen leader, several lines at once with their instructions, a unit leader
handing a line to several officers, FYI lines done when read, "nắm tình hình", the lead's
completion leaving co-operating lines open (and telling them), the grid's bulk actions, the
notices each step sends, and the issued reply picked on completion. Web and REST."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.errors import DomainError, FormErrors
from app.core.timefmt import format_date, local_now
from app.documents import replies, services, workflow
from app.documents.models import (
    COMPLETED, COOPERATE, DONE, FOLLOWING, FYI, IN_PROGRESS, LEAD, OPEN, REGISTERED, SUBMITTED,
    IncomingDocument,
)
from app.notifications.models import Notification
from app.org.models import Department
from tests.conftest import form_of, login, pdf, user
from tests.incoming_helpers import entry, ids


def registered(app, session, **overrides):
    """A document the clerk registered, not yet presented."""
    with app.test_request_context():
        return services.register_incoming(session, user(session, "vanthu"),
                                          entry(session, **overrides), [(pdf(), "cv.pdf")])


def unit(session, code):
    return session.scalar(select(Department.id).where(Department.code == code))


def notices(session, username, document):
    session.expire_all()
    return session.scalars(select(Notification).where(
        Notification.user_id == user(session, username).id,
        Notification.subject == f"incoming:{document.id}").order_by(Notification.id)).all()


def reload(session, document_id):
    session.expire_all()
    return session.get(IncomingDocument, document_id)


def directed(app, session, lines, **overrides):
    """Registered, presented to the head and directed by him with `lines`."""
    document = registered(app, session, **overrides)
    with app.test_request_context():
        services.submit(session, user(session, "vanthu"), document,
                        user(session, "lanhdao").id)
        services.assign(session, user(session, "lanhdao"), document, "Thực hiện.", lines)
    return document


# ---------------------------------------------------------------- presenting to a leader

def test_clerk_presents_to_a_chosen_deputy_who_is_told(app, db_session):
    document = registered(app, db_session)
    deputy = user(db_session, "pgd.thanh")
    with app.test_request_context():
        services.submit(db_session, user(db_session, "vanthu"), document, deputy.id)
    document = reload(db_session, document.id)
    assert document.state == SUBMITTED and document.submitted_to_id == deputy.id
    [notice] = notices(db_session, "pgd.thanh", document)
    assert notice.url == f"/incoming/{document.id}" and notice.kind == "incoming.submitted"
    assert notice.message.startswith(
        f"Văn bản đến số {document.arrival_number}/{document.arrival_year} "
        f"({document.number_symbol}) trình đồng chí cho ý kiến chỉ đạo")
    assert notices(db_session, "lanhdao", document) == []
    assert document.events[-1].note == f"Trình {deputy.full_name}"


def test_by_default_the_deputy_in_charge_of_the_field_else_the_head(app, db_session):
    deputy = user(db_session, "pgd.nga")
    field_tp = ids(db_session)["field_tp"]
    from app.catalogs.models import Field

    deputy.fields = [db_session.get(Field, field_tp)]
    db_session.commit()
    try:
        in_her_field = registered(app, db_session, field_id=field_tp)
        elsewhere = registered(app, db_session, field_id=ids(db_session)["field_cchc"])
        with app.test_request_context():
            assert services.default_leader(db_session, in_her_field).username == "pgd.nga"
            assert services.default_leader(db_session, elsewhere).username == "lanhdao"
            services.submit(db_session, user(db_session, "vanthu"), in_her_field)
        assert reload(db_session, in_her_field.id).submitted_to.username == "pgd.nga"
    finally:
        deputy = user(db_session, "pgd.nga")
        deputy.fields = []
        db_session.commit()


def test_the_head_may_take_over_and_the_deputys_notice_is_done(app, db_session):
    document = registered(app, db_session)
    with app.test_request_context():
        services.submit(db_session, user(db_session, "vanthu"), document,
                        user(db_session, "pgd.thanh").id)
        services.assign(db_session, user(db_session, "lanhdao"), document, "",
                        [{"role": LEAD, "user_id": user(db_session, "cv.cchc").id}])
    assert reload(db_session, document.id).state == IN_PROGRESS
    [notice] = notices(db_session, "pgd.thanh", document)
    assert notice.done_at is not None


def test_only_a_leader_who_directs_can_be_chosen(app, db_session):
    document = registered(app, db_session)
    with app.test_request_context(), pytest.raises(FormErrors) as error:
        services.submit(db_session, user(db_session, "vanthu"), document,
                        user(db_session, "truongphong").id)
    assert error.value.errors["leader_id"] == ["Chọn một lãnh đạo có quyền chỉ đạo văn bản."]
    db_session.rollback()
    assert reload(db_session, document.id).state == REGISTERED


def test_the_page_offers_the_leaders_with_the_default_chosen(app, login_as, db_session):
    document = registered(app, db_session)
    page = login_as("vanthu").get(f"/incoming/{document.id}").get_data(as_text=True)
    head = user(db_session, "lanhdao")
    assert f'<option value="{head.id}" selected>' in page
    assert user(db_session, "pgd.thanh").full_name in page


# ---------------------------------------------------------------- direction and hand-out

def test_direction_with_instructions_per_line_and_who_is_told(app, db_session):
    cchc, tcbc = unit(db_session, "CCHC"), unit(db_session, "TCBC")
    deadline = local_now().date() + timedelta(days=10)
    document = directed(app, db_session, [
        {"role": LEAD, "department_id": cchc, "deadline": deadline,
         "instruction": "Chủ trì tham mưu văn bản trả lời."},
        {"role": COOPERATE, "department_id": tcbc, "instruction": "Cung cấp số liệu."},
        {"role": FYI, "user_id": user(db_session, "lanhdaovp").id},
        {"role": "follow", "user_id": user(db_session, "pgd.thanh").id}])
    lines = {line.role: line for line in reload(db_session, document.id).assignments}
    assert lines[LEAD].instruction == "Chủ trì tham mưu văn bản trả lời."
    assert lines[COOPERATE].instruction == "Cung cấp số liệu."
    assert lines["follow"].state == FOLLOWING and lines["follow"].deadline is None
    [lead_notice] = notices(db_session, "truongphong", document)  # the unit's leader
    assert "chủ trì" in lead_notice.message and format_date(deadline) in lead_notice.message
    assert "Chủ trì tham mưu văn bản trả lời." in lead_notice.message
    assert "phối hợp" in notices(db_session, "tp.tcbc", document)[0].message
    assert "nhận để biết" in notices(db_session, "lanhdaovp", document)[0].message
    assert "nắm tình hình" in notices(db_session, "pgd.thanh", document)[0].message
    # the head's own notice of the presentation is done: he acted on it
    assert notices(db_session, "lanhdao", document)[0].done_at is not None


def test_follow_line_is_no_work(app, db_session):
    follower = user(db_session, "pgd.thanh")
    document = directed(app, db_session, [
        {"role": LEAD, "user_id": user(db_session, "cv.cchc").id,
         "deadline": local_now().date() - timedelta(days=0)},
        {"role": "follow", "user_id": follower.id}])
    document = reload(db_session, document.id)
    line = next(a for a in document.assignments if a.role == "follow")
    with app.test_request_context():
        assert workflow.line_actions(follower, document, line) == []
        assert line.state_label == "Theo dõi"
    with app.test_request_context(), pytest.raises(FormErrors) as error:
        services.assign(db_session, user(db_session, "lanhdao"), document, "",
                        [{"role": "follow", "department_id": unit(db_session, "CCHC")}])
    assert "không cho đơn vị" in str(error.value.errors["lines"][0])


def test_a_unit_leader_hands_the_lead_line_to_two_officers(app, db_session):
    cchc = unit(db_session, "CCHC")
    document = directed(app, db_session, [{"role": LEAD, "department_id": cchc}])
    line = reload(db_session, document.id).assignments[0]
    officer, colleague = user(db_session, "chuyenvien"), user(db_session, "cv.cchc")
    soon = local_now().date() + timedelta(days=3)
    with app.test_request_context():
        services.delegate(db_session, user(db_session, "truongphong"), document, line.id,
                          officers=[{"user_id": colleague.id, "instruction": "Phối hợp số liệu."},
                                    {"user_id": officer.id, "lead": True, "deadline": soon,
                                     "instruction": "Dự thảo công văn trả lời."}])
    document = reload(db_session, document.id)
    children = {a.user_id: a for a in document.assignments if a.parent_id == line.id}
    assert children[officer.id].role == LEAD and children[officer.id].deadline == soon
    assert children[officer.id].instruction == "Dự thảo công văn trả lời."
    assert children[colleague.id].role == COOPERATE
    assert "chủ trì" in notices(db_session, "chuyenvien", document)[0].message
    assert "phối hợp" in notices(db_session, "cv.cchc", document)[0].message
    assert notices(db_session, "truongphong", document)[0].done_at is not None
    with app.test_request_context():  # the unit leader no longer holds the line
        assert not workflow.allowed(user(db_session, "truongphong"), document, "complete",
                                    line)


def test_hand_out_refuses_two_leads_and_people_of_another_unit(app, db_session):
    document = directed(app, db_session, [{"role": LEAD, "department_id": unit(db_session,
                                                                               "CCHC")}])
    line = reload(db_session, document.id).assignments[0]
    leader = user(db_session, "truongphong")
    with app.test_request_context():
        for officers, message in (
                ([{"user_id": user(db_session, "chuyenvien").id, "lead": True},
                  {"user_id": user(db_session, "cv.cchc").id, "lead": True}],
                 "Chỉ một người chủ trì."),
                ([{"user_id": user(db_session, "cv.tcbc1").id}], "Chọn một người của đơn vị.")):
            with pytest.raises(FormErrors) as error:
                services.delegate(db_session, leader, document, line.id, officers=officers)
            assert [str(m) for m in error.value.errors["officer_id"]] == [message]
            db_session.rollback()
    assert [a for a in reload(db_session, document.id).assignments if a.parent_id] == []


# ---------------------------------------------------------------- FYI, completion, return

def test_fyi_line_is_done_when_its_holder_opens_the_page(app, login_as, db_session):
    document = directed(app, db_session, [
        {"role": LEAD, "user_id": user(db_session, "cv.cchc").id},
        {"role": FYI, "user_id": user(db_session, "chuyenvien").id}])
    client = login_as("chuyenvien")
    page = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert "data-auto-acknowledge" in page and "js/incoming-read.js" in page
    fyi = next(a for a in reload(db_session, document.id).assignments if a.role == FYI)
    assert fyi.state == OPEN  # the GET wrote nothing
    response = client.post(f"/incoming/{document.id}/do/acknowledge",
                           data=form_of(page), headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    fyi = next(a for a in reload(db_session, document.id).assignments if a.role == FYI)
    assert fyi.state == DONE and fyi.state_label == "Đã xem"
    page = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert "data-auto-acknowledge" not in page
    again = client.post(f"/incoming/{document.id}/do/acknowledge", data=form_of(page),
                        headers={"X-Requested-With": "fetch"})
    assert again.status_code == 422
    assert again.get_json()["messages"] == [
        "Không có văn bản nhận để biết nào chờ đồng chí xem."]


def test_lead_completion_leaves_cooperation_open_and_tells_it(app, db_session):
    lead, helper = user(db_session, "cv.cchc"), user(db_session, "cv.tcbc1")
    document = directed(app, db_session, [{"role": LEAD, "user_id": lead.id},
                                          {"role": COOPERATE, "user_id": helper.id}])
    lines = {a.role: a for a in reload(db_session, document.id).assignments}
    with app.test_request_context():
        services.complete(db_session, lead, document, lines[LEAD].id, "Đã trả lời.")
    document = reload(db_session, document.id)
    cooperation = next(a for a in document.assignments if a.role == COOPERATE)
    assert document.state == COMPLETED and cooperation.state == OPEN
    told = notices(db_session, "cv.tcbc1", document)[-1]
    assert told.kind == "incoming.completed" and "vẫn mở" in told.message
    with app.test_request_context():
        assert [a for a, _label in workflow.line_actions(helper, document, cooperation)] == [
            "progress", "complete"]
        services.complete(db_session, helper, document, cooperation.id, "Đã góp ý.")
    document = reload(db_session, document.id)
    assert document.state == COMPLETED
    assert {a.state for a in document.assignments} == {DONE}


def test_return_goes_back_to_the_leader_who_assigned_and_tells_him(app, db_session):
    officer = user(db_session, "cv.cchc")
    document = registered(app, db_session)
    deputy = user(db_session, "pgd.thanh")
    with app.test_request_context():
        services.submit(db_session, user(db_session, "vanthu"), document, deputy.id)
        services.assign(db_session, deputy, document, "", [{"role": LEAD,
                                                            "user_id": officer.id}])
        line = document.assignments[0]
        services.return_line(db_session, officer, document, line.id, "Không thuộc lĩnh vực.")
    document = reload(db_session, document.id)
    assert document.state == SUBMITTED and document.submitted_to_id == deputy.id
    told = notices(db_session, "pgd.thanh", document)[-1]
    assert told.kind == "incoming.returned" and "Không thuộc lĩnh vực." in told.message


# ---------------------------------------------------------------- the web and the API

def post(client, document_id, action, **fields):
    page = client.get(f"/incoming/{document_id}").get_data(as_text=True)
    return client.post(f"/incoming/{document_id}/do/{action}", data=form_of(page, **fields),
                       follow_redirects=True)


def test_web_direction_and_hand_out_with_instructions(app, client, db_session):
    document = registered(app, db_session)
    cchc = unit(db_session, "CCHC")
    login(client, "vanthu")
    deputy = user(db_session, "pgd.thanh")
    assert "Đã ghi nhận" in post(client, document.id, "submit",
                                 leader_id=str(deputy.id)).get_data(as_text=True)
    login(client, "pgd.thanh")
    html = post(client, document.id, "assign", direction="Khẩn trương.",
                role=["lead", "fyi", ""], target=[f"d:{cchc}",
                                                  f"u:{user(db_session, 'lanhdaovp').id}", ""],
                line_deadline=["", "", ""],
                instruction=["Tham mưu trả lời trước hạn.", "", ""]).get_data(as_text=True)
    assert "Đã ghi nhận" in html and "Tham mưu trả lời trước hạn." in html
    line = next(a for a in reload(db_session, document.id).assignments if a.role == LEAD)
    login(client, "truongphong")
    officer, colleague = user(db_session, "chuyenvien"), user(db_session, "cv.cchc")
    html = post(client, document.id, "delegate", line_id=str(line.id),
                officer_id=[str(officer.id), str(colleague.id), ""], officer_lead="1",
                officer_deadline=["", "", ""],
                officer_instruction=["Cung cấp số liệu.", "Dự thảo trả lời.", ""]
                ).get_data(as_text=True)
    assert "Đã ghi nhận" in html
    children = {a.user_id: a for a in reload(db_session, document.id).assignments
                if a.parent_id == line.id}
    assert children[colleague.id].role == LEAD
    assert children[colleague.id].instruction == "Dự thảo trả lời."
    assert children[officer.id].role == COOPERATE
    bad = post(client, document.id, "assign", role=["lead"], target=["u:abc"])
    assert "Đơn vị hoặc người không hợp lệ." in bad.get_data(as_text=True)


def test_api_direction_hand_out_and_refusals(app, client, api_as, db_session):
    document = registered(app, db_session)
    cchc = unit(db_session, "CCHC")
    clerk = api_as("vanthu")
    response = client.post(f"/api/v1/incoming/{document.id}/actions/submit",
                           json={"leader_id": "x"}, headers=clerk)
    assert response.status_code == 422
    assert response.get_json()["message"] == {"leader_id": ["Mã không hợp lệ."]}
    response = client.post(f"/api/v1/incoming/{document.id}/actions/submit",
                           json={"leader_id": user(db_session, "pgd.nga").id}, headers=clerk)
    assert response.status_code == 200
    assert response.get_json()["result"]["submitted_to"]["name"] == "Bùi Thị Nga"
    leader = api_as("pgd.nga")
    response = client.post(f"/api/v1/incoming/{document.id}/actions/assign", headers=leader,
                           json={"lines": [{"role": "lead", "department_id": cchc,
                                            "instruction": "Chủ trì."},
                                           {"role": "follow",
                                            "user_id": user(db_session, "lanhdao").id}]})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert [(a["role"], a["instruction"]) for a in result["assignments"]] == [
        ("lead", "Chủ trì."), ("follow", None)]
    line_id = result["assignments"][0]["id"]
    unit_leader = api_as("truongphong")
    response = client.post(f"/api/v1/incoming/{document.id}/actions/delegate",
                           headers=unit_leader,
                           json={"line_id": line_id, "officers": [{"user_id": "1"}]})
    assert response.status_code == 422
    assert response.get_json()["message"] == {"officers": ["Phải là số nguyên."]}
    response = client.post(
        f"/api/v1/incoming/{document.id}/actions/delegate", headers=unit_leader,
        json={"line_id": line_id, "officers": [
            {"user_id": user(db_session, "chuyenvien").id, "instruction": "Dự thảo."},
            {"user_id": user(db_session, "cv.cchc").id, "deadline": "40/01/2026"}]})
    assert response.status_code == 422
    response = client.post(
        f"/api/v1/incoming/{document.id}/actions/delegate", headers=unit_leader,
        json={"line_id": line_id, "officers": [
            {"user_id": user(db_session, "chuyenvien").id, "instruction": "Dự thảo."},
            {"user_id": user(db_session, "cv.cchc").id}]})
    assert response.status_code == 200
    children = [a for a in response.get_json()["result"]["assignments"]
                if a["parent_id"] == line_id]
    assert [(a["role"], a["instruction"]) for a in children] == [
        ("lead", "Dự thảo."), ("cooperate", None)]


# ---------------------------------------------------------------- bulk actions

def test_clerk_presents_in_bulk_and_is_told_what_failed(app, login_as, db_session):
    first, second = registered(app, db_session), registered(app, db_session)
    already = directed(app, db_session, [{"role": LEAD,
                                          "user_id": user(db_session, "cv.cchc").id}])
    client = login_as("vanthu")
    grid = client.get("/incoming/list/list/").get_data(as_text=True)
    assert 'id="incoming-bulk"' in grid and 'form="incoming-bulk"' in grid
    deputy = user(db_session, "pgd.thanh")
    response = client.post("/incoming/bulk", data=form_of(
        grid, bulk_action="submit", leader_id=str(deputy.id),
        ids=[str(first.id), str(second.id), str(already.id)]), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert (f"Đã trình 2 văn bản; 1 văn bản không trình được: {already.number_symbol} "
            "(Bạn không thể thực hiện thao tác này với văn bản ở trạng thái hiện tại.)") in html
    for document in (first, second):
        document = reload(db_session, document.id)
        assert document.state == SUBMITTED and document.submitted_to_id == deputy.id
    assert reload(db_session, already.id).state == IN_PROGRESS
    assert len(notices(db_session, "pgd.thanh", first)) == 1
    empty = client.post("/incoming/bulk", data=form_of(grid, bulk_action="submit"),
                        follow_redirects=True)
    assert "Chọn ít nhất một văn bản." in empty.get_data(as_text=True)
    forged = client.post("/incoming/bulk", data={"bulk_action": "submit",
                                                  "ids": [str(first.id)]})
    assert forged.status_code == 400


def test_leader_assigns_in_bulk_and_an_officer_marks_read(app, login_as, db_session, client,
                                                         api_as):
    documents = [registered(app, db_session) for _ in range(2)]
    with app.test_request_context():
        for document in documents:
            services.submit(db_session, user(db_session, "vanthu"), document)
    leader = login_as("lanhdao")
    grid = leader.get("/incoming/list/list/").get_data(as_text=True)
    officer = user(db_session, "chuyenvien")
    response = leader.post("/incoming/bulk", data=form_of(
        grid, bulk_action="assign", direction="Xử lý theo quy định.",
        role=["lead", "fyi"], target=[f"u:{user(db_session, 'cv.cchc').id}",
                                      f"u:{officer.id}"],
        line_deadline=["", ""], instruction=["Tham mưu.", ""],
        ids=[str(d.id) for d in documents]), follow_redirects=True)
    assert "Đã phân công 2 văn bản" in response.get_data(as_text=True)
    for document in documents:
        document = reload(db_session, document.id)
        assert document.state == IN_PROGRESS
        assert [(a.role, a.instruction) for a in document.assignments] == [
            (LEAD, "Tham mưu."), (FYI, None)]
    response = client.post("/api/v1/incoming/bulk/acknowledge", headers=api_as("chuyenvien"),
                           json={"ids": [d.id for d in documents]})
    assert response.status_code == 200
    assert response.get_json()["message"] == "Đã đánh dấu đã xem 2 văn bản"
    for document in documents:
        fyi = next(a for a in reload(db_session, document.id).assignments if a.role == FYI)
        assert fyi.state == DONE


# ---------------------------------------------------------------- replies

def test_incoming_page_links_its_replies_and_completion_picks_the_issued_one(
        app, login_as, db_session):
    from tests.test_outgoing import approved_draft, issue

    officer = user(db_session, "chuyenvien")
    document = directed(app, db_session, [{"role": LEAD, "user_id": officer.id}],
                        field_id=ids(db_session)["field_cchc"])
    with app.test_request_context():
        draft = approved_draft(db_session, reply_to_id=document.id)
        outgoing = issue(db_session, draft)
        pending = approved_draft(db_session, reply_to_id=document.id)
    client = login_as("chuyenvien")
    page = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert f'href="/outgoing/{outgoing.id}"' in page and f'href="/drafts/{pending.id}"' in page
    assert f"/drafts/new?reply_to={document.id}" in page
    line = reload(db_session, document.id).assignments[0]
    wrong = post(client, document.id, "complete", line_id=str(line.id), note="Xong.",
                 reply_id=str(pending.id + 100000))
    assert "Văn bản trả lời phải là văn bản đi đã phát hành" in wrong.get_data(as_text=True)
    html = post(client, document.id, "complete", line_id=str(line.id),
                note="Đã phát hành văn bản trả lời.", reply_id=str(outgoing.id)
                ).get_data(as_text=True)
    assert "Đã ghi nhận" in html
    document = reload(db_session, document.id)
    assert document.state == COMPLETED and document.reply_reference == outgoing.number_symbol
    with app.test_request_context():
        assert [r.kind for r in replies.replies_of(db_session, officer, document)] == [
            "draft", "outgoing"]


def test_unknown_bulk_action_is_refused(app, db_session):
    with app.test_request_context(), pytest.raises(DomainError):
        services.bulk_act(db_session, user(db_session, "vanthu"), [1], "reopen", {})
