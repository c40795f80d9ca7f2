"""Incoming documents through the web, as the clerk, the leaders and the officer would act."""
import io
import re
import unicodedata
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from app.core.models import DocumentFile
from app.core.timefmt import format_date, local_now, to_local
from app.documents import services
from app.documents.models import (
    COMPLETED, IN_PROGRESS, SUBMITTED, IncomingDocument,
)
from app.org.models import Department
from tests.conftest import form_of, pdf, user
from tests.incoming_helpers import entry, ids


def web_form(session, **overrides):
    """The register form as the browser posts it (dates typed dd/mm/yyyy)."""
    data = entry(session, **overrides)
    return {k: (v.strftime("%d/%m/%Y %H:%M") if k == "arrival_at" else
                v.strftime("%d/%m/%Y") if k in ("document_date", "deadline") and v else
                "" if v is None else str(v)) for k, v in data.items()}


def register_via_web(client, session, files=(), **overrides):
    page = client.get("/incoming/register").get_data(as_text=True)
    data = form_of(page, submit_now="y", **web_form(session, **overrides))
    if files:
        data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/incoming/register", data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def count(session):
    session.expire_all()
    return session.scalar(select(func.count(IncomingDocument.id)))


def register_as_clerk(session, submit=False, **overrides):
    return services.register_incoming(session, user(session, "vanthu"),
                                      entry(session, **overrides), [(pdf(), "cong-van.pdf")],
                                      submit=submit)


# ---------------------------------------------------------------- registration

def test_clerk_registers_with_a_pdf(app, login_as, db_session):
    client = login_as("vanthu")
    before_number = services.next_number_preview(db_session, ids(db_session)["register"])
    response = register_via_web(client, db_session, files=[(pdf("Về việc đất đai"),
                                                             "Công văn số 12.pdf")])
    html = response.get_data(as_text=True)
    assert f"Đã vào sổ văn bản đến số {before_number}." in html
    document = db_session.scalar(select(IncomingDocument).order_by(IncomingDocument.id.desc()))
    assert document.arrival_number == before_number
    assert document.page_count == 1
    [record] = document.files
    assert record.original_name == "Công văn số 12.pdf" and record.content_type == "application/pdf"
    assert "dat dai" in document.search_text  # PDF text is searchable, folded
    assert document.state == SUBMITTED  # "Trình lãnh đạo ngay" is on by default


def test_number_preview_before_saving(login_as, db_session):
    client = login_as("vanthu")
    register_id = ids(db_session)["register"]
    preview = client.get(f"/incoming/preview?register_id={register_id}").get_json()
    assert preview["number"] == services.next_number_preview(db_session, register_id)
    assert re.match(r"\d\d/\d\d/\d{4}$", preview["deadline"])


def test_default_deadline_follows_urgency(app, db_session):
    with app.test_request_context():
        document = register_as_clerk(db_session, urgency_id=ids(db_session)["urgent"])
        arrival = document.document_date + timedelta(days=1)
        assert document.deadline == services.add_working_days(arrival, 1)  # Hỏa tốc: 1 day


@pytest.mark.parametrize("overrides,field,message", [
    ({"document_date": local_now().date() + timedelta(days=3)}, "arrival_at",
     "Ngày đến không thể trước ngày văn bản."),
    ({"deadline": local_now().date() - timedelta(days=5)}, "deadline",
     "Hạn xử lý không thể trước ngày đến."),
    ({"excerpt": ""}, "excerpt", "Nhập trích yếu nội dung."),
    ({"number_symbol": " "}, "number_symbol", "Nhập số, ký hiệu văn bản."),
])
def test_validation_messages_and_nothing_saved(login_as, db_session, overrides, field, message):
    client = login_as("vanthu")
    before = count(db_session)
    response = register_via_web(client, db_session, **overrides)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "Chưa lưu" in html
    assert count(db_session) == before


def test_bad_date_is_explained(login_as, db_session):
    client = login_as("vanthu")
    page = client.get("/incoming/register").get_data(as_text=True)
    form = web_form(db_session)
    form["document_date"] = "31/02/2026"
    response = client.post("/incoming/register", data=form_of(page, **form))
    assert response.status_code == 422
    assert "Ngày phải có dạng dd/mm/yyyy" in response.get_data(as_text=True)


def test_secret_document_needs_the_secret_register(login_as, db_session):
    client = login_as("vanthu")
    response = register_via_web(client, db_session, secrecy_id=ids(db_session)["secret"])
    assert "Văn bản mật phải vào sổ văn bản mật" in response.get_data(as_text=True)


def test_duplicate_needs_confirmation(login_as, db_session):
    client = login_as("vanthu")
    first = register_via_web(client, db_session, number_symbol="777/QĐ-UBND")
    assert "Đã vào sổ" in first.get_data(as_text=True)
    before = count(db_session)
    again = register_via_web(client, db_session, number_symbol="777 /QD- UBND")
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and "có thể đã vào sổ" in html
    assert "777/QĐ-UBND" in html  # the existing entry is shown
    assert count(db_session) == before
    confirmed = register_via_web(client, db_session, number_symbol="777 /QD- UBND",
                                 confirm_duplicate="y")
    assert "Đã vào sổ" in confirmed.get_data(as_text=True)
    assert count(db_session) == before + 1


@pytest.mark.parametrize("content,name,message", [
    (b"MZ\x90\x00\x03" + b"\x00" * 200, "cong-van.pdf", "Định dạng tệp không được chấp nhận"),
    (b"%PDF-1.4\n1 0 obj garbage", "hong.pdf", "Tệp PDF bị hỏng"),
    (b"", "rong.pdf", "Tệp rỗng"),
])
def test_bad_files_are_refused_and_nothing_is_saved(app, login_as, db_session, content, name,
                                                    message):
    client = login_as("vanthu")
    before_files = db_session.scalar(select(func.count(DocumentFile.id)))
    before = count(db_session)
    response = register_via_web(client, db_session, files=[(content, name)])
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db_session) == before
    assert db_session.scalar(select(func.count(DocumentFile.id))) == before_files


def test_nfd_input_is_stored_nfc(login_as, db_session):
    client = login_as("vanthu")
    excerpt = "V/v thủy lợi và hòa giải cơ sở"
    register_via_web(client, db_session, excerpt=unicodedata.normalize("NFD", excerpt))
    assert db_session.scalar(select(func.count()).where(IncomingDocument.excerpt == excerpt)) == 1


def test_only_the_clerk_registers(login_as):
    client = login_as("chuyenvien")
    response = client.get("/incoming/register", follow_redirects=True)
    assert "Không có quyền truy cập" in response.get_data(as_text=True)


# ---------------------------------------------------------------- routing

def post_action(client, document_id, action, **fields):
    page = client.get(f"/incoming/{document_id}").get_data(as_text=True)
    return client.post(f"/incoming/{document_id}/do/{action}", data=form_of(page, **fields),
                       follow_redirects=True)


def line_of(session, document_id, **where):
    session.expire_all()
    document = session.get(IncomingDocument, document_id)
    return next(a for a in document.assignments
                if all(getattr(a, k) == v for k, v in where.items()))


def test_routing_from_registration_to_completion(app, client, db_session):
    from tests.conftest import login

    with app.test_request_context():
        document = register_as_clerk(db_session)
    document_id = document.id
    cchc = db_session.scalar(select(Department.id).where(Department.code == "CCHC"))
    tcbc = db_session.scalar(select(Department.id).where(Department.code == "TCBC"))
    deadline = format_date(local_now().date() + timedelta(days=7))

    login(client, "vanthu")
    assert "Đã ghi nhận" in post_action(client, document_id, "submit").get_data(as_text=True)
    login(client, "chuyenvien")  # an officer cannot direct
    html = post_action(client, document_id, "assign", role=["lead"], target=[f"d:{cchc}"],
                       line_deadline=[deadline]).get_data(as_text=True)
    assert "Không tìm thấy" in html or "không thể" in html.lower()

    login(client, "lanhdao")
    html = post_action(client, document_id, "assign", direction="Giao Phòng CCHC chủ trì.",
                       role=["lead", "cooperate"], target=[f"d:{cchc}", f"d:{tcbc}"],
                       line_deadline=[deadline, ""]).get_data(as_text=True)
    assert "Đã ghi nhận" in html
    db_session.expire_all()
    assert db_session.get(IncomingDocument, document_id).state == IN_PROGRESS

    login(client, "truongphong")
    unit_line = line_of(db_session, document_id, department_id=cchc, parent_id=None)
    officer = user(db_session, "chuyenvien")
    html = post_action(client, document_id, "delegate", line_id=str(unit_line.id),
                       officer_id=str(officer.id)).get_data(as_text=True)
    assert "Đã ghi nhận" in html

    login(client, "chuyenvien")
    mine = line_of(db_session, document_id, user_id=officer.id)
    post_action(client, document_id, "progress", line_id=str(mine.id), note="Đang dự thảo.")
    html = post_action(client, document_id, "complete", line_id=str(mine.id),
                       note="Đã trình văn bản trả lời.",
                       reply_reference="45/SNV-CCHC").get_data(as_text=True)
    assert "Đã ghi nhận" in html
    db_session.expire_all()
    document = db_session.get(IncomingDocument, document_id)
    assert document.state == COMPLETED and document.reply_reference == "45/SNV-CCHC"
    actions = [e.action for e in document.events]
    assert actions[:2] == ["register", "submit"]
    assert {"assign", "delegate", "progress", "complete", "document_completed"} <= set(actions)
    page = client.get(f"/incoming/{document_id}").get_data(as_text=True)
    assert "Hoàn thành" in page and "Giao Phòng CCHC chủ trì." in page


def test_someone_elses_line_cannot_be_completed(app, client, db_session):
    from tests.conftest import login

    with app.test_request_context():
        document = register_as_clerk(db_session, submit=True, field_id=ids(db_session)[
            "field_cchc"])
        leader = user(db_session, "lanhdao")
        officer = user(db_session, "cv.cchc")
        services.assign(db_session, leader, document, "", [{"role": "lead",
                                                            "user_id": officer.id}])
    line = document.assignments[0]
    login(client, "chuyenvien")  # sees it (field CCHC) but the line is cv.cchc's
    html = post_action(client, document.id, "complete", line_id=str(line.id),
                       note="Xong").get_data(as_text=True)
    assert "Bạn không thể thực hiện thao tác này" in html
    db_session.expire_all()
    assert db_session.get(IncomingDocument, document.id).state == IN_PROGRESS


def test_lead_returns_to_the_leader_with_a_reason(app, client, db_session):
    from tests.conftest import login

    with app.test_request_context():
        document = register_as_clerk(db_session, submit=True)
        officer = user(db_session, "chuyenvien")
        services.assign(db_session, user(db_session, "lanhdao"), document, "",
                        [{"role": "lead", "user_id": officer.id}])
    login(client, "chuyenvien")
    line = document.assignments[0]
    empty = post_action(client, document.id, "return", line_id=str(line.id), note="")
    assert "Nhập lý do trả lại." in empty.get_data(as_text=True)
    post_action(client, document.id, "return", line_id=str(line.id),
                note="Không thuộc lĩnh vực của phòng.")
    db_session.expire_all()
    assert db_session.get(IncomingDocument, document.id).state == SUBMITTED


# ---------------------------------------------------------------- visibility

@pytest.fixture
def hidden_document(app, db_session):
    """A document of the Tư pháp field, assigned to nobody: chuyenvien (CCHC, TCCB) must not
    see it."""
    marker = uuid.uuid4().hex[:8]
    with app.test_request_context():
        document = register_as_clerk(db_session, field_id=ids(db_session)["field_tp"],
                                     excerpt=f"V/v hồ sơ tư pháp không liên quan {marker}",
                                     submit=True)
    return document


def visibility_paths(document):
    file_id = document.files[0].id
    return [f"/incoming/{document.id}", f"/incoming/{document.id}/files/{file_id}",
            f"/incoming/{document.id}/files/{file_id}/stamped",
            f"/incoming/{document.id}/edit"]


def test_a_document_outside_my_fields_is_404_everywhere(login_as, hidden_document, api_as,
                                                       client):
    officer = login_as("chuyenvien")
    for path in visibility_paths(hidden_document)[:3]:
        assert officer.get(path).status_code == 404, path
    page = officer.get("/incoming/1").get_data(as_text=True)
    response = officer.post(f"/incoming/{hidden_document.id}/do/progress",
                            data=form_of(page, note="x", line_id="1"))
    assert response.status_code == 404
    marker = hidden_document.excerpt.split()[-1]
    listing = officer.get(f"/incoming/list/list/?q=tu phap {marker}").get_data(as_text=True)
    assert hidden_document.excerpt not in listing
    headers = api_as("chuyenvien")
    assert client.get(f"/api/v1/incoming/{hidden_document.id}",
                      headers=headers).status_code == 404
    file_id = hidden_document.files[0].id
    assert client.get(f"/api/v1/incoming/{hidden_document.id}/files/{file_id}",
                      headers=headers).status_code == 404
    found = client.get(f"/api/v1/incoming/?q={marker}", headers=headers)
    assert found.get_json()["result"] == []
    clerk = client.get(f"/api/v1/incoming/?q={marker}", headers=api_as("vanthu"))
    assert [d["id"] for d in clerk.get_json()["result"]] == [hidden_document.id]


def test_the_same_document_is_visible_once_assigned(app, login_as, hidden_document, db_session):
    with app.test_request_context():
        services.assign(db_session, user(db_session, "lanhdao"), hidden_document, "",
                        [{"role": "lead", "user_id": user(db_session, "chuyenvien").id}])
    officer = login_as("chuyenvien")
    for path in visibility_paths(hidden_document)[:3]:
        assert officer.get(path).status_code == 200, path


def test_secret_documents_only_for_leaders_clerk_and_assignees(app, login_as, db_session):
    known = ids(db_session)
    with app.test_request_context():
        secret = register_as_clerk(db_session, secrecy_id=known["secret"],
                                   register_id=known["secret_register"],
                                   field_id=known["field_cchc"], submit=True)
    assert login_as("chuyenvien").get(f"/incoming/{secret.id}").status_code == 404
    assert login_as("lanhdao").get(f"/incoming/{secret.id}").status_code == 200
    assert login_as("vanthu").get(f"/incoming/{secret.id}").status_code == 200


def test_network_administrator_sees_no_document(login_as, hidden_document):
    response = login_as("quantri").get(f"/incoming/{hidden_document.id}")
    assert response.status_code == 403


# ---------------------------------------------------------------- files, stamp, registers

def test_download_keeps_the_vietnamese_name(app, login_as, db_session):
    with app.test_request_context():
        document = services.register_incoming(
            db_session, user(db_session, "vanthu"), entry(db_session),
            [(pdf(), "Quyết định số 5 – Sở Nội vụ.pdf")])
    response = login_as("vanthu").get(f"/incoming/{document.id}/files/{document.files[0].id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh" in disposition


def test_stamped_copy_carries_the_arrival_stamp(app, login_as, db_session):
    with app.test_request_context():
        document = register_as_clerk(db_session)
    record = document.files[0]
    response = login_as("vanthu").get(f"/incoming/{document.id}/files/{record.id}/stamped")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "ĐẾN" in text and str(document.arrival_number) in text
    original = login_as("vanthu").get(f"/incoming/{document.id}/files/{record.id}").data
    assert "ĐẾN" not in PdfReader(io.BytesIO(original)).pages[0].extract_text()


def test_incoming_register_printout_and_xlsx(app, login_as, db_session):
    with app.test_request_context():
        document = register_as_clerk(db_session, excerpt="V/v sổ đăng ký in thử")
    client = login_as("vanthu")
    register_id = ids(db_session)["register"]
    html = client.get(f"/incoming/book?register_id={register_id}").get_data(as_text=True)
    for header in ("Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng",
                   "Tên loại và trích yếu nội dung", "Đơn vị hoặc người nhận", "Ngày chuyển",
                   "Ký nhận", "Ghi chú"):
        assert f"<th>{header}</th>" in html
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in html and "V/v sổ đăng ký in thử" in html
    response = client.get(f"/incoming/book?register_id={register_id}&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[5][:3] == ["Ngày đến", "Số đến", "Tác giả"]
    assert any(row[1] == document.arrival_number for row in rows[6:])
    tracking = client.get(f"/incoming/book?register_id={register_id}&kind=tracking")
    assert "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN" in tracking.get_data(as_text=True)
    assert "Thời hạn giải quyết" in tracking.get_data(as_text=True)


# ---------------------------------------------------------------- inboxes, overdue, search

def test_overdue_list_names_unit_and_person(app, login_as, db_session):
    with app.test_request_context():
        now = local_now().replace(second=0, microsecond=0)
        document = register_as_clerk(db_session, submit=True, excerpt="V/v việc quá hạn thử",
                                     arrival_at=now - timedelta(days=10),
                                     document_date=(now - timedelta(days=11)).date())
        services.assign(db_session, user(db_session, "lanhdao"), document, "",
                        [{"role": "lead", "user_id": user(db_session, "chuyenvien").id,
                          "deadline": now.date() - timedelta(days=3)}])
    html = login_as("lanhdao").get("/incoming/overdue").get_data(as_text=True)
    assert "Phòng Cải cách hành chính" in html and "Hoàng Thị Thủy" in html
    assert "V/v việc quá hạn thử" in html
    officer_boxes = login_as("chuyenvien").get("/incoming/list/list/?box=overdue").get_data(
        as_text=True)
    assert "V/v việc quá hạn thử" in officer_boxes


def test_inbox_counts_on_the_grid(login_as):
    officer = login_as("chuyenvien")
    html = officer.get("/incoming/list/list/").get_data(as_text=True)
    for box in ("Chờ xử lý", "Sắp đến hạn", "Quá hạn", "Đã xử lý", "Nhận để biết"):
        assert box in html
    badges = dict(re.findall(r'box=(\w+)">[^<]*\s*(?:<span class="badge[^"]*">(\d+)</span>)?',
                             html))
    waiting = officer.get("/incoming/list/list/?box=to_process").get_data(as_text=True)
    assert int(badges["to_process"]) == len(set(re.findall(r"/incoming/(\d+)\"", waiting)))
    # finished work grows for ever: its boxes open the list but show no count
    assert badges["processed"] == "" and badges["fyi"] == ""
    clerk = login_as("vanthu").get("/incoming/list/list/").get_data(as_text=True)
    assert "Chờ vào sổ" in clerk


@pytest.mark.parametrize("query", ["dat dai", "ĐẤT ĐAI", "đất đai", "999/QD", "ubnd tinh ha nam"])
def test_search_ignores_accents_and_case(app, login_as, db_session, query):
    if not services.find_duplicates(db_session, ids(db_session)["agency"], "999/QĐ-UBND",
                                    entry(db_session)["document_date"]):
        with app.test_request_context():
            register_as_clerk(db_session, number_symbol="999/QĐ-UBND",
                              excerpt="V/v thu hồi đất đai để xây dựng trường học")
    html = login_as("vanthu").get("/incoming/list/list/", query_string={"q": query}).get_data(
        as_text=True)
    assert "V/v thu hồi đất đai để xây dựng trường học" in html


def test_urgent_documents_are_flagged_in_the_grid(app, login_as, db_session):
    with app.test_request_context():
        document = register_as_clerk(db_session, urgency_id=ids(db_session)["urgent"])
    # its own row, whatever other tests of this process registered since (the grid's search)
    html = login_as("vanthu").get("/incoming/list/list/", query_string={
        "q": document.number_symbol}).get_data(as_text=True)
    assert document.number_symbol in html
    assert 'class="label label-danger urgent">Hỏa tốc<' in html


def test_home_page_shows_inbox_counters(login_as):
    html = login_as("chuyenvien").get("/").get_data(as_text=True)
    assert "inbox-overdue" in html and "Chờ xử lý" in html
    admin = login_as("quantri").get("/").get_data(as_text=True)
    assert "inbox-overdue" not in admin


def test_registers_follow_the_visibility_rule(login_as, hidden_document, db_session):
    register_id = ids(db_session)["register"]
    marker = hidden_document.excerpt.split()[-1]
    clerk = login_as("vanthu").get(f"/incoming/book?register_id={register_id}")
    assert marker in clerk.get_data(as_text=True)
    # officers do not read the registers at all (tests/test_reference_access.py)
    officer = login_as("chuyenvien").get(f"/incoming/book?register_id={register_id}")
    assert officer.status_code == 403 and marker not in officer.get_data(as_text=True)
    xlsx = login_as("chuyenvien").get(f"/incoming/book?register_id={register_id}&format=xlsx")
    assert xlsx.status_code == 403 and marker.encode() not in xlsx.data


def test_the_grid_has_no_fab_action_or_download_route(login_as, hidden_document):
    """FAB's actions and downloads skip base filters: the grid must not expose them."""
    officer = login_as("chuyenvien")
    shown = officer.get(f"/incoming/list/show/{hidden_document.id}", follow_redirects=True)
    assert shown.status_code == 404  # the grid's show leads to the document page, which checks
    for path in (f"/incoming/list/edit/{hidden_document.id}",
                 f"/incoming/list/action/muldelete/{hidden_document.id}",
                 "/incoming/list/download/x.pdf",
                 f"/incoming/list/api/read?_flt_0_id={hidden_document.id}"):
        assert officer.get(path).status_code == 404, path


def test_an_electronic_arrival_waits_then_gets_its_number(app, client, db_session):
    from app.documents.models import PENDING, REGISTERED
    from tests.conftest import login

    with app.test_request_context():
        document = services.register_incoming(
            db_session, user(db_session, "vanthu"),
            entry(db_session, register_id=None, channel="electronic"), state=PENDING)
    assert document.arrival_number is None and document.state == PENDING
    login(client, "chuyenvien")
    assert client.get(f"/incoming/{document.id}").status_code == 404  # no duty before it
    login(client, "vanthu")
    waiting = client.get("/incoming/list/list/", query_string={
        "box": "waiting_registration", "q": document.number_symbol}).get_data(as_text=True)
    assert document.number_symbol in waiting
    register_id = ids(db_session)["register"]
    expected = services.next_number_preview(db_session, register_id)
    html = post_action(client, document.id, "register",
                       register_id=str(register_id)).get_data(as_text=True)
    assert "Đã ghi nhận" in html
    db_session.expire_all()
    document = db_session.get(IncomingDocument, document.id)
    assert document.state == REGISTERED and document.arrival_number == expected


def test_a_duplicate_registered_on_purpose_is_corrected_without_asking_again(
        app, login_as, db_session):
    """The clerk registered a possible duplicate, checked and confirmed; correcting its
    excerpt later saves at once. Changing its number to another entry's asks again."""
    clerk = user(db_session, "vanthu")
    with app.test_request_context():
        first = services.register_incoming(
            db_session, clerk, entry(db_session, number_symbol="778/QĐ-UBND"), [])
        second = services.register_incoming(
            db_session, clerk, entry(db_session, number_symbol="778/QĐ-UBND"), [],
            confirm_duplicate=True)
        other = services.register_incoming(
            db_session, clerk, entry(db_session, number_symbol="779/QĐ-UBND"), [])
    db_session.commit()
    client = login_as("vanthu")
    page = client.get(f"/incoming/{second.id}/edit").get_data(as_text=True)
    form = {**web_form(db_session), "number_symbol": "778/QĐ-UBND",
            "arrival_at": to_local(second.arrival_at).strftime("%d/%m/%Y %H:%M"),
            "document_date": second.document_date.strftime("%d/%m/%Y"),
            "register_id": str(second.register_id),
            "excerpt": "V/v triển khai công tác cải cách hành chính năm 2026 (đính chính)"}
    saved = client.post(f"/incoming/{second.id}/edit", data=form_of(page, **form),
                        follow_redirects=True)
    assert "Đã cập nhật văn bản đến." in saved.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(IncomingDocument, second.id).excerpt.endswith("(đính chính)")
    # the number of another entry: asked, nothing saved
    page = client.get(f"/incoming/{other.id}/edit").get_data(as_text=True)
    asked = client.post(f"/incoming/{other.id}/edit", data=form_of(page, **{
        **form, "register_id": str(other.register_id),
        "arrival_at": to_local(other.arrival_at).strftime("%d/%m/%Y %H:%M")}))
    assert asked.status_code == 422 and "có thể đã vào sổ" in asked.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(IncomingDocument, other.id).number_symbol == "779/QĐ-UBND"
    assert first.id != second.id
