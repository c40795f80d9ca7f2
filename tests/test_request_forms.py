"""Request forms (phiếu yêu cầu, Art. 7.1a, 8.1a) through the web and the REST API, as the
people would act: sending, passing on, accepting, completing, refusing, withdrawing; the
inboxes; the visibility rule on every path; the demo data; the migration."""
import io
import re
import unicodedata
import uuid
import zipfile
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.core.files import content_disposition
from app.core.models import DocumentFile
from app.core.timefmt import format_date, today_local
from app.org.models import Department, EofficeUser
from app.request_forms import services, workflow
from app.request_forms.models import (
    ACCEPTED, DONE, REFUSED, SENT, WITHDRAWN, RequestForm, RequestFormEvent,
)
from tests.conftest import form_of, login, pdf, user


# ---------------------------------------------------------------- helpers


def unit(session, code):
    return session.scalar(select(Department).where(Department.code == code))


def docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def unique(text="Phiếu thử"):
    return f"{text} {uuid.uuid4().hex[:8]}"


def send(app, session, sender, target, subject=None, days=5, uploads=(), **extra):
    """A request sent through the service; target 'd:<code>' for a unit or a username."""
    data = {"subject": subject or unique(), "content": "Đề nghị phối hợp thực hiện.",
            "deadline": today_local() + timedelta(days=days), **extra}
    if target.startswith("d:"):
        data["target_department_id"] = unit(session, target[2:]).id
    else:
        data["target_user_id"] = user(session, target).id
    with app.test_request_context():
        return services.create_request(session, user(session, sender), data, list(uploads))


def reload(session, request_id):
    session.expire_all()
    return session.get(RequestForm, request_id)


def count(session, model=RequestForm):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def web_form(session, to, **overrides):
    values = {"target": to, "subject": unique("Đề nghị cung cấp số liệu"),
              "content": "Đề nghị Phòng cung cấp số liệu biên chế năm 2026.",
              "deadline": format_date(today_local() + timedelta(days=7))}
    values.update(overrides)
    return values


def post_new(client, values, files=()):
    page = client.get("/request/new").get_data(as_text=True)
    data = form_of(page, **values)
    if files:
        data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/request/new", data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def post_action(client, request_id, action, files=(), **fields):
    page = client.get(f"/request/{request_id}").get_data(as_text=True)
    data = form_of(page, **fields)
    if files:
        data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(f"/request/{request_id}/do/{action}", data=data,
                       content_type="multipart/form-data", follow_redirects=True)


# ---------------------------------------------------------------- sending

def test_officer_sends_to_a_unit_with_files(login_as, db_session):
    client = login_as("chuyenvien")
    tcbc = unit(db_session, "TCBC")
    values = web_form(db_session, f"d:{tcbc.id}")
    response = post_new(client, values, files=[(pdf("Về việc biên chế"), "Đề nghị số liệu.pdf"),
                                               (docx(), "Bảng tổng hợp.docx")])
    html = response.get_data(as_text=True)
    assert "Đã gửi phiếu yêu cầu." in html, html[-2000:]
    item = db_session.scalar(select(RequestForm).where(RequestForm.subject == values["subject"]))
    assert item.state == SENT and item.sender.username == "chuyenvien"
    assert item.sender_department.code == "CCHC" and item.target_department_id == tcbc.id
    assert item.target_user_id is None
    assert [f.original_name for f in item.files] == ["Đề nghị số liệu.pdf", "Bảng tổng hợp.docx"]
    assert [e.action for e in item.events] == ["send"]
    assert "bien che" in item.search_text  # the PDF's text is searchable, folded
    # The page: details, files, history; the sender may withdraw, not accept.
    assert "Đề nghị số liệu.pdf" in html and "Gửi phiếu yêu cầu" in html
    assert "action-withdraw" in html and "action-accept" not in html
    # Downloads keep the Vietnamese name.
    record = item.files[0]
    download = client.get(f"/request/{item.id}/files/{record.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.headers["Content-Disposition"] == content_disposition("Đề nghị số liệu.pdf")
    assert quote("Đề nghị số liệu.pdf", safe="") in download.headers["Content-Disposition"]


def test_the_form_offers_units_leaders_and_people(login_as, db_session):
    html = login_as("chuyenvien").get("/request/new").get_data(as_text=True)
    assert "Tạo phiếu yêu cầu" in html
    for group in ('label="Đơn vị"', 'label="Lãnh đạo"', 'label="Cá nhân"'):
        assert group in html
    assert "Phòng Cải cách hành chính" in html and "Trần Quốc Đạt" in html
    assert f'value="u:{user(db_session, "lanhdao").id}"' in html
    # The network administrator takes no requests; one does not send a request to oneself.
    assert f'value="u:{user(db_session, "quantri").id}"' not in html
    assert f'value="u:{user(db_session, "chuyenvien").id}"' not in html


@pytest.mark.parametrize("overrides,field_message", [
    ({"subject": "  "}, "Nhập tiêu đề phiếu yêu cầu."),
    ({"content": ""}, "Nhập nội dung yêu cầu."),
    ({"deadline": ""}, "Nhập hạn xử lý."),
    ({"deadline": "31/02/2026"}, "Ngày phải có dạng dd/mm/yyyy"),
    ({"deadline": "HALF"}, "Ngày phải có dạng dd/mm/yyyy"),
    ({"target": ""}, "Chọn đơn vị hoặc người nhận phiếu."),
    ({"target": "x:12"}, "Đơn vị hoặc người nhận không hợp lệ."),
    ({"target": "u:999999"}, "Người nhận không tồn tại"),
    ({"target": "d:999999"}, "Đơn vị nhận không tồn tại"),
    ({"subject": "x" * 501}, "Tiêu đề dài tối đa 500 ký tự."),
])
def test_bad_input_is_explained_and_nothing_saved(login_as, db_session, overrides,
                                                  field_message):
    client = login_as("chuyenvien")
    before = count(db_session)
    values = web_form(db_session, f"d:{unit(db_session, 'TCBC').id}", **overrides)
    response = post_new(client, values)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_message in html and "Chưa gửi" in html
    assert 'class="help-block error-message"' in html  # next to its field
    assert count(db_session) == before


def test_past_deadline_and_self_target_are_refused(login_as, db_session):
    client = login_as("chuyenvien")
    before = count(db_session)
    past = format_date(today_local() - timedelta(days=1))
    response = post_new(client, web_form(db_session, f"u:{user(db_session, 'chuyenvien').id}",
                                         deadline=past))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hạn xử lý không thể trước ngày hôm nay." in html
    assert "Không thể gửi phiếu yêu cầu cho chính mình." in html
    assert count(db_session) == before
    today = post_new(client, web_form(db_session, f"u:{user(db_session, 'lanhdao').id}",
                                      deadline=format_date(today_local())))
    assert "Đã gửi phiếu yêu cầu." in today.get_data(as_text=True)


def test_the_network_administrator_is_not_an_addressee(app, db_session):
    with pytest.raises(services.FormErrors) as error:
        send(app, db_session, "chuyenvien", "quantri")
    assert "target" in error.value.errors


@pytest.mark.parametrize("content,name,message", [
    (b"MZ\x90\x00\x03" + b"\x00" * 200, "de-nghi.pdf", "Định dạng tệp không được chấp nhận"),
    (b"%PDF-1.4\n1 0 obj garbage", "hong.pdf", "Tệp PDF bị hỏng"),
    (b"", "rong.docx", "Tệp rỗng"),
])
def test_bad_files_are_refused_and_nothing_saved(login_as, db_session, content, name, message):
    client = login_as("chuyenvien")
    before, before_files = count(db_session), count(db_session, DocumentFile)
    response = post_new(client, web_form(db_session, f"d:{unit(db_session, 'TCBC').id}"),
                        files=[(pdf(), "tot.pdf"), (content, name)])
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db_session) == before and count(db_session, DocumentFile) == before_files


def test_nfd_input_is_stored_nfc(login_as, db_session):
    client = login_as("chuyenvien")
    subject = unique("Đề nghị hỗ trợ thủy lợi và hòa giải")
    post_new(client, web_form(db_session, f"d:{unit(db_session, 'TCBC').id}",
                              subject=unicodedata.normalize("NFD", subject)))
    assert db_session.scalar(select(func.count()).where(RequestForm.subject == subject)) == 1


# ---------------------------------------------------------------- the workflow

def test_unit_target_passed_on_accepted_and_completed(app, client, db_session):
    item = send(app, db_session, "chuyenvien", "d:TCBC", uploads=[(pdf(), "Yêu cầu.pdf")])
    pk = item.id
    # The unit's leader sees accept / refuse / pass on.
    login(client, "tp.tcbc")
    page = client.get(f"/request/{pk}").get_data(as_text=True)
    for action in ("accept", "refuse", "forward"):
        assert f"action-{action}" in page
    assert "Hạnh" in page  # a person of the unit to pass it to
    bad = post_action(client, pk, "forward", assignee_id=str(user(db_session, "chuyenvien").id))
    assert bad.status_code == 422 and "Chọn một người của đơn vị nhận phiếu." in bad.get_data(
        as_text=True)
    post_action(client, pk, "forward", assignee_id=str(user(db_session, "cv.tcbc1").id),
                note="Đồng chí Hạnh xử lý")
    item = reload(db_session, pk)
    assert item.assignee.username == "cv.tcbc1" and item.state == SENT
    # Once passed on, the leader no longer answers it (but may pass it again).
    page = client.get(f"/request/{pk}").get_data(as_text=True)
    assert "action-accept" not in page and "action-forward" in page
    denied = post_action(client, pk, "accept")
    assert "Bạn không thể thực hiện thao tác này" in denied.get_data(as_text=True)
    # The person accepts, then completes: a result is required.
    login(client, "cv.tcbc1")
    post_action(client, pk, "accept", note="Đã nhận")
    assert reload(db_session, pk).state == ACCEPTED
    empty = post_action(client, pk, "complete", note="  ")
    assert empty.status_code == 422 and "Nhập kết quả xử lý." in empty.get_data(as_text=True)
    assert reload(db_session, pk).state == ACCEPTED
    post_action(client, pk, "attach", files=[(pdf("Kết quả"), "Kết quả xử lý.pdf")])
    done = post_action(client, pk, "complete", note="Đã cung cấp số liệu biên chế.")
    assert "Đã ghi nhận." in done.get_data(as_text=True)
    item = reload(db_session, pk)
    assert item.state == DONE and item.result_note == "Đã cung cấp số liệu biên chế."
    assert item.closed_at is not None
    assert [f.original_name for f in item.files] == ["Yêu cầu.pdf", "Kết quả xử lý.pdf"]
    history = [(e.action, e.actor.username, e.to_state) for e in item.events]
    assert history == [("send", "chuyenvien", SENT), ("forward", "tp.tcbc", SENT),
                       ("accept", "cv.tcbc1", ACCEPTED), ("attach", "cv.tcbc1", ACCEPTED),
                       ("complete", "cv.tcbc1", DONE)]
    page = client.get(f"/request/{pk}").get_data(as_text=True)
    assert "Đã cung cấp số liệu biên chế." in page and "Giao cho Ngô Thị Hạnh" in page
    assert "action-" not in page  # nothing left to do


def test_leader_target_refuses_with_a_required_reason(app, client, db_session):
    pk = send(app, db_session, "chuyenvien", "lanhdao").id
    login(client, "lanhdao")
    empty = post_action(client, pk, "refuse", note="")
    assert empty.status_code == 422 and "Nhập lý do từ chối." in empty.get_data(as_text=True)
    assert reload(db_session, pk).state == SENT
    post_action(client, pk, "accept")
    post_action(client, pk, "refuse", note="Nội dung thuộc thẩm quyền của Phó Giám đốc.")
    item = reload(db_session, pk)
    assert item.state == REFUSED
    assert item.refusal_reason == "Nội dung thuộc thẩm quyền của Phó Giám đốc."
    assert [e.action for e in item.events] == ["send", "accept", "refuse"]


def test_the_sender_withdraws_only_while_sent(app, client, db_session):
    first = send(app, db_session, "truongphong", "d:VP").id
    login(client, "lanhdaovp")  # the addressee cannot withdraw
    assert "action-withdraw" not in client.get(f"/request/{first}").get_data(as_text=True)
    denied = post_action(client, first, "withdraw")
    assert "Bạn không thể thực hiện thao tác này" in denied.get_data(as_text=True)
    login(client, "truongphong")
    post_action(client, first, "withdraw", note="Đã tự bố trí được.")
    assert reload(db_session, first).state == WITHDRAWN
    second = send(app, db_session, "truongphong", "d:VP").id
    with app.test_request_context():
        services.accept(db_session, user(db_session, "lanhdaovp"), reload(db_session, second))
    assert "action-withdraw" not in client.get(f"/request/{second}").get_data(as_text=True)
    post_action(client, second, "withdraw")
    assert reload(db_session, second).state == ACCEPTED


def test_the_transition_table_drives_the_actions(app, db_session):
    item = send(app, db_session, "chuyenvien", "d:XDCQ")
    leader, member = user(db_session, "tp.xdcq"), user(db_session, "cv.xdcq")
    sender, other = user(db_session, "chuyenvien"), user(db_session, "tp.tcbc")
    assert {a for a, _t in workflow.available_actions(leader, item)} == {
        "accept", "refuse", "forward", "attach"}
    assert {a for a, _t in workflow.available_actions(sender, item)} == {"withdraw", "attach"}
    assert workflow.available_actions(member, item) == []
    assert workflow.available_actions(other, item) == []
    assert not workflow.allowed(leader, item, "complete")  # accept first


def test_a_concurrent_change_is_not_overwritten(app, db_session):
    """Two people acting on the same request at once: the second one is told, not obeyed."""
    from sqlalchemy.orm import Session

    pk = send(app, db_session, "chuyenvien", "lanhdaovp").id
    other = Session(db_session.get_bind())
    try:
        stale = other.get(RequestForm, pk)
        assert stale.state == SENT
        with app.test_request_context():
            services.accept(db_session, user(db_session, "lanhdaovp"), reload(db_session, pk))
            with pytest.raises(services.DomainError, match="vừa được người khác cập nhật"):
                services.refuse(other, other.get(EofficeUser, user(db_session, "lanhdaovp").id),
                                stale, "Lý do")
        other.rollback()
    finally:
        other.close()
    item = reload(db_session, pk)
    assert item.state == ACCEPTED and item.refusal_reason is None
    assert [e.action for e in item.events] == ["send", "accept"]


# ---------------------------------------------------------------- visibility

SEE = ["chuyenvien", "tp.xdcq", "lanhdao", "lanhdaovp", "pcvp"]
NOT_SEE = ["cv.xdcq", "truongphong", "vanthu", "cv.tcbc1", "tp.tcbc"]


@pytest.fixture
def private_request(app, db_session):
    """chuyenvien → tp.xdcq (a person), with a file."""
    item = send(app, db_session, "chuyenvien", "tp.xdcq", subject=unique("Phiếu riêng tư"),
                uploads=[(pdf(), "Tài liệu riêng.pdf")])
    return item.id, item.files[0].id, item.subject


@pytest.mark.parametrize("username", SEE)
def test_who_sees_a_request_to_a_person(client, private_request, username):
    pk, file_id, subject = private_request
    login(client, username)
    assert client.get(f"/request/{pk}").status_code == 200
    assert client.get(f"/request/{pk}/files/{file_id}").status_code == 200
    grid = client.get(f"/request/list/list/?q={subject}").get_data(as_text=True)
    assert f'href="/request/{pk}"' in grid


@pytest.mark.parametrize("username", NOT_SEE)
def test_others_get_404_on_every_path(client, api_as, private_request, username, db_session):
    pk, file_id, subject = private_request
    headers = api_as(username)
    login(client, username)
    assert client.get(f"/request/{pk}").status_code == 404
    assert client.get(f"/request/{pk}/files/{file_id}").status_code == 404
    assert client.get(f"/request/list/show/{pk}", follow_redirects=True).status_code == 404
    page = client.get("/request/new").get_data(as_text=True)
    for action in ("accept", "refuse", "withdraw", "complete", "forward", "attach"):
        response = client.post(f"/request/{pk}/do/{action}", data=form_of(page, note="x"))
        assert response.status_code == 404, action
    grid = client.get(f"/request/list/list/?q={subject}").get_data(as_text=True)
    assert f'href="/request/{pk}"' not in grid
    assert client.get(f"/api/v1/request/{pk}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/request/{pk}/files/{file_id}", headers=headers).status_code == 404
    for action in ("accept", "refuse", "withdraw"):
        assert client.post(f"/api/v1/request/{pk}/actions/{action}", headers=headers,
                           json={"note": "x"}).status_code == 404
    upload = client.post(f"/api/v1/request/{pk}/files", headers=headers,
                         data={"files": (io.BytesIO(pdf()), "x.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 404
    listed = client.get(f"/api/v1/request/?q={subject}", headers=headers).get_json()
    assert listed["result"] == []
    assert reload(db_session, pk).state == SENT and len(reload(db_session, pk).files) == 1


def test_a_unit_request_is_seen_by_its_members(app, client, db_session):
    pk = send(app, db_session, "truongphong", "d:VP").id
    for username, status in [("vanthu", 200), ("pcvp", 200), ("lanhdaovp", 200),
                             ("cv.tcbc1", 404), ("chuyenvien", 404)]:
        login(client, username)
        assert client.get(f"/request/{pk}").status_code == status, username


def test_the_network_administrator_has_no_request_forms(client, api_as, private_request):
    pk, _file_id, _subject = private_request
    login(client, "quantri")
    for path in ("/request/list/list/", "/request/new", f"/request/{pk}"):
        response = client.get(path, follow_redirects=True)
        assert "Không có quyền truy cập" in response.get_data(as_text=True), path
    headers = api_as("quantri")
    assert client.get("/api/v1/request/", headers=headers).status_code == 403
    assert client.get(f"/api/v1/request/{pk}", headers=headers).status_code == 403
    assert client.post("/api/v1/request/", headers=headers, json={}).status_code == 403


@pytest.mark.parametrize("username", ["truongphong", "chuyenvien", "lanhdao", "lanhdaovp",
                                      "vanthu"])
def test_every_other_role_reaches_the_module(login_as, username):
    client = login_as(username)
    home = client.get("/").get_data(as_text=True)
    assert "Phiếu yêu cầu" in home and "Hồ sơ công việc" in home
    assert client.get("/request/list/list/").status_code == 200
    assert client.get("/request/new").status_code == 200


# ---------------------------------------------------------------- inboxes and search

def counts(client):
    html = client.get("/request/list/list/").get_data(as_text=True)
    return {key: int(n) for key, n in re.findall(
        r'inbox-(\w+)"><a[^>]*>[^<]*<span class="badge[^"]*">(\d+)</span>', html)}


def test_inboxes_count_on_the_grid(app, client, db_session):
    login(client, "cv.xdcq")
    before = counts(client)
    assert set(before) == {"incoming", "due_soon", "overdue", "processed", "sent"}
    person = user(db_session, "cv.xdcq")  # (another test may have moved them to another unit)
    leader = next(p for p in db_session.scalars(select(EofficeUser))
                  if p.department_id == person.department_id and workflow.leads_target_unit(
                      p, RequestForm(target_department_id=person.department_id)))
    to_me = send(app, db_session, "truongphong", "cv.xdcq", days=1)
    to_unit = send(app, db_session, "lanhdaovp", f"d:{person.department.code}", days=20)
    late = send(app, db_session, "tp.tcbc", "cv.xdcq", days=3)
    late = reload(db_session, late.id)
    late.deadline = today_local() - timedelta(days=2)  # an old request, now overdue
    db_session.commit()
    send(app, db_session, "cv.xdcq", "chuyenvien")
    after = counts(client)
    assert after["incoming"] == before["incoming"] + 3
    assert after["due_soon"] == before["due_soon"] + 1
    assert after["overdue"] == before["overdue"] + 1
    assert after["sent"] == before["sent"] + 1
    html = client.get("/request/list/list/?box=overdue").get_data(as_text=True)
    assert late.subject in html and to_me.subject not in html
    assert 'label label-danger overdue' in html
    with app.test_request_context():
        services.accept(db_session, user(db_session, "cv.xdcq"), reload(db_session, to_me.id))
        services.complete(db_session, user(db_session, "cv.xdcq"), reload(db_session, to_me.id),
                          "Xong")
        services.accept(db_session, leader, reload(db_session, to_unit.id))
        services.refuse(db_session, leader, reload(db_session, to_unit.id),
                        "Không thuộc chức năng")
    final = counts(client)
    assert final["processed"] == before["processed"] + 2
    assert final["incoming"] == before["incoming"] + 1
    with app.test_request_context():
        api = client.get("/api/v1/request/inboxes").get_json()["result"]
    assert {row["key"]: row["count"] for row in api} == final
    assert client.get("/request/list/list/?box=nope").status_code == 404


def test_search_is_accent_and_case_insensitive(app, login_as, db_session):
    subject = unique("Đề nghị hỗ trợ HÒA GIẢI tranh chấp đất đai")
    send(app, db_session, "chuyenvien", "d:TCBC", subject=subject)
    client = login_as("chuyenvien")
    for query in ("de nghi hoa giai dat dai", "hòa giải", "ĐẤT ĐAI", "Tranh Chap",
                  subject.split()[-1]):
        html = client.get("/request/list/list/", query_string={"q": query}).get_data(
            as_text=True)
        assert subject in html, query
    html = client.get("/request/list/list/", query_string={"q": "khong co dau ca"}).get_data(
        as_text=True)
    assert subject not in html


# ---------------------------------------------------------------- REST API

def test_rest_send_list_show_act_upload_download(client, api_as, db_session):
    sender, handler = api_as("chuyenvien"), api_as("tp.tcbc")
    deadline = (today_local() + timedelta(days=4)).isoformat()
    subject = unique("Đề nghị qua API")
    created = client.post("/api/v1/request/", headers=sender, json={
        "subject": subject, "content": "Nội dung", "deadline": deadline,
        "target": f"d:{unit(db_session, 'TCBC').id}"})
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    result = created.get_json()["result"]
    assert result["state"] == SENT and result["sender_department"]["name"] == \
        "Phòng Cải cách hành chính"
    assert [a["action"] for a in result["actions"]] == ["withdraw", "attach"]
    listed = client.get("/api/v1/request/", headers=handler,
                        query_string={"q": "de nghi qua api", "box": "incoming",
                                      "state": "sent"}).get_json()
    assert pk in [row["id"] for row in listed["result"]]
    shown = client.get(f"/api/v1/request/{pk}", headers=handler).get_json()["result"]
    assert {a["action"] for a in shown["actions"]} == {"accept", "refuse", "forward", "attach"}
    accepted = client.post(f"/api/v1/request/{pk}/actions/accept", headers=handler, json={})
    assert accepted.status_code == 200 and accepted.get_json()["result"]["state"] == ACCEPTED
    upload = client.post(f"/api/v1/request/{pk}/files", headers=handler,
                         data={"files": (io.BytesIO(pdf()), "Kết quả.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    file_id = upload.get_json()["result"][0]["id"]
    download = client.get(f"/api/v1/request/{pk}/files/{file_id}", headers=sender)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == content_disposition("Kết quả.pdf")
    missing = client.post(f"/api/v1/request/{pk}/actions/complete", headers=handler, json={})
    assert missing.status_code == 422
    assert missing.get_json()["message"] == {"note": ["Nhập kết quả xử lý."]}
    done = client.post(f"/api/v1/request/{pk}/actions/complete", headers=handler,
                       json={"note": "Đã xong"})
    assert done.get_json()["result"]["state"] == DONE
    history = client.get(f"/api/v1/request/{pk}", headers=sender).get_json()["result"]["history"]
    assert [h["action"] for h in history] == ["send", "accept", "attach", "complete"]
    again = client.post(f"/api/v1/request/{pk}/actions/refuse", headers=handler,
                        json={"note": "muộn"})
    assert again.status_code == 422
    assert "trạng thái hiện tại" in again.get_json()["message"]


def test_rest_multipart_create_with_files(client, api_as, db_session):
    before_files = count(db_session, DocumentFile)
    response = client.post("/api/v1/request/", headers=api_as("truongphong"), data={
        "subject": unique("Phiếu có tệp"), "content": "Nội dung",
        "deadline": format_date(today_local() + timedelta(days=2)),
        "target_user_id": str(user(db_session, "chuyenvien").id),
        "files": [(io.BytesIO(pdf()), "Phụ lục 1.pdf"), (io.BytesIO(docx()), "Phụ lục 2.docx")],
    }, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert [f["name"] for f in response.get_json()["result"]["files"]] == [
        "Phụ lục 1.pdf", "Phụ lục 2.docx"]
    assert count(db_session, DocumentFile) == before_files + 2


@pytest.mark.parametrize("body,field,message", [
    ({"subject": ""}, "subject", "Nhập tiêu đề phiếu yêu cầu."),
    ({"deadline": "31/02/2026"}, "deadline", "Ngày không hợp lệ"),
    ({"deadline": "2020-01-01"}, "deadline", "Hạn xử lý không thể trước ngày hôm nay."),
    ({"target": "u:abc"}, "target", "Đơn vị hoặc người nhận không hợp lệ."),
    ({"target": None, "target_user_id": "abc"}, "target", "Phải là số nguyên."),
    ({"target": None, "target_user_id": 1, "target_department_id": 1}, "target",
     "Phiếu chỉ gửi tới một đơn vị hoặc một người."),
    ({"subject": 12}, "subject", "Phải là chuỗi ký tự."),
    ({"dossier_id": 999999}, "dossier_id", "Không tìm thấy hồ sơ công việc"),
])
def test_rest_validation_is_422_in_vietnamese(client, api_as, db_session, body, field, message):
    before = count(db_session)
    payload = {"subject": "Phiếu", "content": "Nội dung",
               "deadline": (today_local() + timedelta(days=2)).isoformat(),
               "target": f"u:{user(db_session, 'lanhdao').id}", **body}
    response = client.post("/api/v1/request/", headers=api_as("chuyenvien"), json=payload)
    assert response.status_code == 422, response.get_json()
    assert any(message in m for m in response.get_json()["message"][field])
    assert count(db_session) == before


def test_rest_bad_requests_are_not_500(client, api_as):
    headers = api_as("chuyenvien")
    assert client.post("/api/v1/request/", headers=headers, data="{not json",
                       content_type="application/json").status_code == 400
    assert client.post("/api/v1/request/", headers=headers, json=[1, 2]).status_code == 422
    assert client.get("/api/v1/request/?box=nope", headers=headers).status_code == 400
    assert client.get("/api/v1/request/?state=nope", headers=headers).status_code == 400
    assert client.get("/api/v1/request/?page_size=abc", headers=headers,
                      follow_redirects=True).status_code == 200
    assert client.post("/api/v1/request/1/actions/explode", headers=headers,
                       json={}).status_code == 404


# ---------------------------------------------------------------- dossier link

def test_a_request_links_a_dossier_its_sender_may_see(app, client, db_session):
    from app.catalogs.models import RetentionPeriod
    from app.dossiers.models import Dossier

    owner = user(db_session, "chuyenvien")
    dossier = Dossier(year=today_local().year, code=f"RQ.{uuid.uuid4().hex[:6]}",
                      title="Hồ sơ cải cách hành chính thử", owner_id=owner.id,
                      department_id=owner.department_id, start_date=today_local(),
                      retention_id=db_session.scalar(select(RetentionPeriod.id).limit(1)))
    db_session.add(dossier)
    db_session.commit()
    item = send(app, db_session, "chuyenvien", "d:TCBC", dossier_id=dossier.id)
    assert reload(db_session, item.id).dossier_id == dossier.id
    login(client, "chuyenvien")  # the form offers it, the page shows it
    assert dossier.code in client.get("/request/new").get_data(as_text=True)
    assert "Hồ sơ cải cách hành chính thử" in client.get(f"/request/{item.id}").get_data(
        as_text=True)
    login(client, "cv.tcbc1")  # the addressee sees which dossier, without the dossier's page
    page = client.get(f"/request/{item.id}").get_data(as_text=True)
    assert "Hồ sơ cải cách hành chính thử" in page and f"/dossiers/{dossier.id}" not in page
    with pytest.raises(services.FormErrors) as error:  # cv.xdcq may not see that dossier
        send(app, db_session, "cv.xdcq", "d:TCBC", dossier_id=dossier.id)
    assert "dossier_id" in error.value.errors


# ---------------------------------------------------------------- demo

def test_demo_request_forms(app, db_session):
    from app.request_forms.demo import REQUESTS, create_request_demo

    create_request_demo(app)
    assert create_request_demo(app) == 0  # idempotent
    subjects = [spec[2] for spec in REQUESTS]
    demo = list(db_session.scalars(select(RequestForm).where(RequestForm.subject.in_(subjects))))
    assert len(demo) == len(REQUESTS) >= 25
    assert {d.state for d in demo} == {SENT, ACCEPTED, DONE, REFUSED, WITHDRAWN}
    assert sum(services.is_overdue(d) for d in demo) >= 4
    assert sum(1 for d in demo if d.target_user and d.target_user.username == "chuyenvien") >= 4
    assert sum(1 for d in demo if d.target_department and
               d.target_department.name == "Phòng Cải cách hành chính") >= 4
    assert any(d.assignee_id for d in demo) and any(d.files for d in demo)
    for d in demo:
        assert d.sent_at.date() <= d.updated_at.date()
        assert all(e.at >= d.sent_at for e in d.events)
        assert d.deadline >= d.sent_at.date() - timedelta(days=1)
        if d.state == REFUSED:
            assert d.refusal_reason
        if d.state == DONE:
            assert d.result_note


# ---------------------------------------------------------------- schema

def test_the_migration_creates_exactly_these_tables(tmp_path):
    """The request-form tables of the models equal those made by 0005_request_forms."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_appbuilder import Model
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "SECRET_KEY": "x", "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        from app.extensions import db

        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"request_form", "request_form_event", "request_form_file"} <= tables
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Model.metadata)
        mine = [d for d in differences if "request_form" in repr(d)]
        assert mine == []
        db.engine.dispose()
    assert RequestFormEvent.__tablename__ == "request_form_event"
