"""REST API /api/v1/incoming/: same rules and visibility as the web."""
import io

import pytest
from datetime import timedelta

from sqlalchemy import func, select

from app.documents.models import IncomingDocument

from app.core.pdf import make_demo_pdf
from app.core.timefmt import local_now
from tests.incoming_helpers import ids
from tests.conftest import FONT


def body(session, **overrides):
    known = ids(session)
    now = local_now()
    data = {"register_id": known["register"], "arrival_at": now.strftime("%Y-%m-%dT%H:%M"),
            "agency_id": known["agency"], "number_symbol": f"{now.microsecond}/API-UBND",
            "document_date": (now - timedelta(days=1)).strftime("%d/%m/%Y"),
            "document_type_id": known["type"], "excerpt": "V/v thử nghiệm qua API",
            "field_id": known["field_cchc"], "urgency_id": known["urgency"],
            "secrecy_id": known["secrecy"], "submit": True}
    data.update(overrides)
    return data


def test_clerk_creates_lists_shows_and_updates(client, api_as, db_session):
    headers = api_as("vanthu")
    created = client.post("/api/v1/incoming/", headers=headers, json=body(db_session))
    assert created.status_code == 201, created.get_json()
    result = created.get_json()["result"]
    assert result["arrival_number"] >= 1 and result["state"] == "submitted"
    pk = created.get_json()["id"]
    listed = client.get("/api/v1/incoming/?q=thu nghiem qua api", headers=headers).get_json()
    assert pk in [row["id"] for row in listed["result"]]
    updated = client.put(f"/api/v1/incoming/{pk}", headers=headers,
                         json={"excerpt": "V/v đã sửa qua API"})
    assert updated.status_code == 200, updated.get_json()
    assert client.get(f"/api/v1/incoming/{pk}", headers=headers).get_json()[
        "result"]["excerpt"] == "V/v đã sửa qua API"


def test_validation_is_422_in_vietnamese(client, api_as, db_session):
    response = client.post("/api/v1/incoming/", headers=api_as("vanthu"), json=body(
        db_session, document_date=(local_now() + timedelta(days=3)).strftime("%Y-%m-%d"),
        excerpt=""))
    assert response.status_code == 422
    message = response.get_json()["message"]
    assert message["excerpt"] == ["Nhập trích yếu nội dung."]
    assert message["arrival_at"] == ["Ngày đến không thể trước ngày văn bản."]
    bad_date = client.post("/api/v1/incoming/", headers=api_as("vanthu"),
                           json=body(db_session, document_date="31/02/2026"))
    assert bad_date.status_code == 422


def test_officer_cannot_register(client, api_as, db_session):
    response = client.post("/api/v1/incoming/", headers=api_as("chuyenvien"),
                           json=body(db_session))
    assert response.status_code == 403


def test_routing_and_upload_through_the_api(client, api_as, db_session):
    clerk = api_as("vanthu")
    pk = client.post("/api/v1/incoming/", headers=clerk, json=body(db_session)).get_json()["id"]
    pdf = make_demo_pdf("Tệp qua API", ["Độc lập - Tự do - Hạnh phúc"], font_path=FONT)
    uploaded = client.post(f"/api/v1/incoming/{pk}/files", headers=clerk,
                           data={"files": (io.BytesIO(pdf), "Tệp qua API.pdf")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 201
    fake = client.post(f"/api/v1/incoming/{pk}/files", headers=clerk,
                       data={"files": (io.BytesIO(b"MZ\x90\x00" * 50), "virus.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 422 and "virus.pdf" in str(fake.get_json()["message"])
    officer_id = client.get("/api/v1/incoming/", headers=api_as("chuyenvien"))  # sanity: 200
    assert officer_id.status_code == 200
    from app.org.models import EofficeUser

    officer = db_session.query(EofficeUser).filter_by(username="chuyenvien").one()
    leader = api_as("lanhdao")
    assigned = client.post(f"/api/v1/incoming/{pk}/actions/assign", headers=leader, json={
        "direction": "Giao đồng chí Thủy xử lý.",
        "lines": [{"role": "lead", "user_id": officer.id}]})
    assert assigned.status_code == 200, assigned.get_json()
    line_id = assigned.get_json()["result"]["assignments"][0]["id"]
    denied = client.post(f"/api/v1/incoming/{pk}/actions/complete", headers=api_as("lanhdaovp"),
                         json={"line_id": line_id, "note": "Không phải của tôi"})
    assert denied.status_code == 422
    done = client.post(f"/api/v1/incoming/{pk}/actions/complete", headers=api_as("chuyenvien"),
                       json={"line_id": line_id, "note": "Đã xử lý xong."})
    assert done.status_code == 200 and done.get_json()["result"]["state"] == "completed"
    file_id = done.get_json()["result"]["files"][0]["id"]
    download = client.get(f"/api/v1/incoming/{pk}/files/{file_id}", headers=api_as("chuyenvien"))
    assert download.status_code == 200 and download.data == pdf


def test_keyset_paging_and_inboxes(client, api_as):
    headers = api_as("vanthu")
    first = client.get("/api/v1/incoming/?page_size=5", headers=headers).get_json()
    assert len(first["result"]) == 5 and first["next_after_id"]
    second = client.get(f"/api/v1/incoming/?page_size=5&after_id={first['next_after_id']}",
                        headers=headers).get_json()
    assert not {r["id"] for r in first["result"]} & {r["id"] for r in second["result"]}
    assert max(r["id"] for r in second["result"]) < min(r["id"] for r in first["result"])
    boxes = client.get("/api/v1/incoming/inboxes", headers=headers).get_json()["result"]
    assert {"waiting_registration", "to_process", "overdue"} <= {b["key"] for b in boxes}
    counts = {b["key"]: b["count"] for b in boxes}
    assert counts["processed"] is None and counts["fyi"] is None  # finished work: no count
    assert isinstance(counts["waiting_registration"], int)
    assert client.get("/api/v1/incoming/?box=nope", headers=headers).status_code == 400


def test_paging_parameters_out_of_range_are_harmless(client, api_as):
    headers = api_as("vanthu")
    for resource in ("incoming", "draft", "outgoing", "dossier", "request"):
        for query in ("after_id=99999999999999", "page_size=100000", "page_size=abc"):
            response = client.get(f"/api/v1/{resource}/?{query}", headers=headers)
            assert response.status_code == 200, (resource, query)
            assert len(response.get_json()["result"]) <= 100


# ---------------------------------------------------------------- issue 23: one request, dates


def form_body(session, **overrides):
    """The JSON body's fields as multipart text fields."""
    return {key: str(value) for key, value in body(session, **overrides).items()}


def test_one_request_registers_a_document_with_its_files(client, api_as, db_session):
    clerk = api_as("vanthu")
    data = form_body(db_session, excerpt="V/v vào sổ kèm tệp trong một yêu cầu")
    pdf = make_demo_pdf("Một yêu cầu", ["Độc lập - Tự do - Hạnh phúc"], font_path=FONT)
    created = client.post("/api/v1/incoming/", headers=clerk, data={
        **data, "files": [(io.BytesIO(pdf), "Công văn kèm theo.pdf")]},
        content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    result = created.get_json()["result"]
    assert result["has_files"] is True and result["state"] == "submitted"
    assert [(f["name"], f["page_count"]) for f in result["files"]] == [
        ("Công văn kèm theo.pdf", 1)]
    file_id = result["files"][0]["id"]
    download = client.get(f"/api/v1/incoming/{created.get_json()['id']}/files/{file_id}",
                          headers=clerk)
    assert download.status_code == 200 and download.data == pdf


def test_a_refused_file_refuses_the_whole_request(client, api_as, db_session):
    from app.documents.models import IncomingDocument

    data = form_body(db_session)
    refused = client.post("/api/v1/incoming/", headers=api_as("vanthu"), data={
        **data, "files": [(io.BytesIO(b"MZ\x90\x00" * 50), "virus.pdf")]},
        content_type="multipart/form-data")
    assert refused.status_code == 422 and "virus.pdf" in str(refused.get_json()["message"])
    assert db_session.query(IncomingDocument).filter_by(
        number_symbol=data["number_symbol"]).count() == 0
    not_a_number = client.post("/api/v1/incoming/", headers=api_as("vanthu"),
                               data=form_body(db_session, register_id="sổ 1"),
                               content_type="multipart/form-data")
    assert not_a_number.status_code == 422
    assert not_a_number.get_json()["message"] == {"register_id": ["Phải là số nguyên."]}


def test_a_document_without_files_says_so_until_they_arrive(client, api_as, login_as,
                                                            db_session):
    clerk = api_as("vanthu")
    created = client.post("/api/v1/incoming/", headers=clerk, json=body(
        db_session, excerpt="V/v chưa có tệp"))
    pk = created.get_json()["id"]
    assert created.get_json()["result"]["has_files"] is False
    listed = client.get("/api/v1/incoming/?q=chua co tep", headers=clerk).get_json()["result"]
    assert [row["has_files"] for row in listed if row["id"] == pk] == [False]
    page = login_as("vanthu").get(f"/incoming/{pk}").get_data(as_text=True)
    assert "Chưa có tệp" in page
    grid = client.get("/incoming/list/list/?q=chua co tep").get_data(as_text=True)
    assert 'class="label label-warning no-files">Chưa có tệp' in grid
    pdf = make_demo_pdf("Tệp đến sau", ["Độc lập - Tự do - Hạnh phúc"], font_path=FONT)
    client.post(f"/api/v1/incoming/{pk}/files", headers=clerk,
                data={"files": (io.BytesIO(pdf), "Tệp đến sau.pdf")},
                content_type="multipart/form-data")
    assert client.get(f"/api/v1/incoming/{pk}", headers=clerk).get_json()[
        "result"]["has_files"] is True
    assert "Chưa có tệp" not in client.get(f"/incoming/{pk}").get_data(as_text=True)


def test_a_year_out_of_range_is_422_in_vietnamese(client, api_as, db_session):
    clerk = api_as("vanthu")
    for field, value in (("document_date", "0001-01-01"), ("document_date", "9999-12-31"),
                         ("document_date", "31/12/1899"), ("deadline", "2101-01-01"),
                         ("arrival_at", "0001-01-01T00:00"), ("arrival_at", "9999-12-31T23:59"),
                         ("arrival_at", "0001-01-01T00:00+07:00")):
        response = client.post("/api/v1/incoming/", headers=clerk,
                               json=body(db_session, **{field: value}))
        assert response.status_code == 422, (field, value, response.get_json())
        [message] = response.get_json()["message"][field]
        assert "không hợp lệ: chỉ nhận năm từ 1900 đến 2100" in message, message
    pk = client.post("/api/v1/incoming/", headers=clerk, json=body(db_session)).get_json()["id"]
    edited = client.put(f"/api/v1/incoming/{pk}", headers=clerk,
                        json={"arrival_at": "0001-01-01T00:00"})
    assert edited.status_code == 422 and "arrival_at" in edited.get_json()["message"]


def test_a_year_out_of_range_is_a_form_error_on_the_web(login_as, db_session):
    from tests.conftest import form_of

    client = login_as("vanthu")
    page = client.get("/incoming/register").get_data(as_text=True)
    data = {k: str(v) for k, v in body(db_session).items() if k != "submit"}
    data.update(arrival_at=local_now().strftime("%d/%m/%Y %H:%M"), document_date="01/01/0001")
    response = client.post("/incoming/register", data=form_of(page, **data))
    assert response.status_code == 422
    assert "Năm 1 không hợp lệ: chỉ nhận năm từ 1900 đến 2100." in response.get_data(
        as_text=True)


def test_the_late_entry_rule_applies_whether_or_not_the_key_is_sent(client, api_as,
                                                                    db_session):
    clerk = api_as("vanthu")
    old = (local_now() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    dated = (local_now() - timedelta(days=5)).strftime("%Y-%m-%d")
    expected = "Ngày đến đã qua hơn 24 giờ: đây là nhập bù sau sự cố, nhập lý do."
    without_key = body(db_session, arrival_at=old, document_date=dated)
    assert "backfill_reason" not in without_key
    for sent in (without_key, body(db_session, arrival_at=old, document_date=dated,
                                   backfill_reason="")):
        response = client.post("/api/v1/incoming/", headers=clerk, json=sent)
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["message"]["backfill_reason"] == [expected]
    as_form = client.post("/api/v1/incoming/", headers=clerk, content_type="multipart/form-data",
                          data=form_body(db_session, arrival_at=old, document_date=dated))
    assert as_form.status_code == 422
    assert as_form.get_json()["message"]["backfill_reason"] == [expected]
    with_reason = client.post("/api/v1/incoming/", headers=clerk, json=body(
        db_session, arrival_at=old, document_date=dated,
        backfill_reason="Mất điện ba ngày, nhập bù theo sổ giấy."))
    assert with_reason.status_code == 201, with_reason.get_json()


@pytest.mark.parametrize("channel", ["token", "cookie"])
def test_a_duplicate_registered_on_purpose_is_corrected_through_the_api(
        app, client, api_as, login_as, db_session, channel):
    """As on the web: a possible duplicate registered with confirmation is corrected later
    without confirming again; another entry's number still needs the confirmation."""
    from app.documents import services
    from app.documents.models import IncomingDocument
    from tests.conftest import csrf_token, user
    from tests.incoming_helpers import entry

    symbol = f"{780 + (channel == 'cookie')}/QĐ-UBND"
    clerk = user(db_session, "vanthu")
    with app.test_request_context():
        services.register_incoming(db_session, clerk, entry(db_session, number_symbol=symbol),
                                   [])
        second = services.register_incoming(
            db_session, clerk, entry(db_session, number_symbol=symbol), [],
            confirm_duplicate=True)
        other = services.register_incoming(
            db_session, clerk, entry(db_session, number_symbol=f"9{symbol}"), [])
    db_session.commit()
    if channel == "token":
        caller, headers = client, api_as("vanthu")
    else:
        caller = login_as("vanthu")
        headers = {"X-CSRFToken": csrf_token(caller.get("/").get_data(as_text=True))}
    excerpt = "V/v triển khai công tác cải cách hành chính năm 2026 (đính chính)"
    corrected = caller.put(f"/api/v1/incoming/{second.id}", headers=headers,
                           json={"excerpt": excerpt})
    assert corrected.status_code == 200, corrected.get_json()
    asked = caller.put(f"/api/v1/incoming/{other.id}", headers=headers,
                       json={"number_symbol": symbol,
                             "document_date": second.document_date.isoformat()})
    assert asked.status_code == 422 and "number_symbol" in asked.get_json()["message"]
    db_session.expire_all()
    assert db_session.get(IncomingDocument, second.id).excerpt == excerpt
    assert db_session.get(IncomingDocument, other.id).number_symbol == f"9{symbol}"


def test_a_token_request_reads_the_person_once_and_no_permissions(client, api_as, statements,
                                                                  monkeypatch):
    """The token's person is checked (still active, same session version) and then loaded by
    FAB: one read, not two; FAB's decorators ask for the public role's permissions twice:
    none read, they are kept per process at the version of the permissions (read once); and
    the view's own check of the token does not decode it again."""
    headers = api_as("vanthu")
    assert client.get("/api/v1/incoming/", headers=headers).status_code == 200
    from flask_jwt_extended import view_decorators

    decode, decoded = view_decorators._decode_jwt_from_request, []
    monkeypatch.setattr(view_decorators, "_decode_jwt_from_request",
                        lambda *a, **k: decoded.append(1) or decode(*a, **k))
    statements.clear()
    assert client.get("/api/v1/incoming/", headers=headers).status_code == 200
    assert len(decoded) == 1
    people = [s for s in statements if s.startswith("SELECT ab_user.id") and
              "WHERE ab_user.id =" in s]
    public = [s for s in statements if "ab_role.name =" in s]
    assert len(people) == 1, people
    assert public == [], "\n".join(public)
    assert sum("FROM permission_stamp" in s for s in statements) == 1


@pytest.mark.parametrize("submit", [False, True])
def test_a_registration_is_answered_as_written(client, api_as, db_session, statements, submit):
    """A new entry's files, history and work are known to be none, and the entry is answered
    as it was written: nothing read back after its flush or its commit — a registration's
    only read of the documents is the duplicate check. The answer is the document as GET
    gives it, also when the entry is submitted to the leader in the same request."""
    headers = api_as("vanthu")
    statements.clear()
    created = client.post("/api/v1/incoming/", headers=headers,
                          json=body(db_session, submit=submit))
    assert created.status_code == 201, created.get_json()
    reads = {table: [s for s in statements if s.startswith("SELECT") and
                     f"FROM {table} " in s + " "]
             for table in ("incoming_document", "document_file", "incoming_event",
                           "incoming_assignment")}
    assert not reads["document_file"] and not reads["incoming_event"] and \
        not reads["incoming_assignment"], reads
    documents = [s for s in reads["incoming_document"]
                 if "secrecy_level.level >" not in s]  # a submission's audit: is it secret?
    assert len(documents) == 1 and "number_symbol_key" in documents[0], documents
    shown = client.get(f"/api/v1/incoming/{created.get_json()['id']}", headers=headers)
    assert shown.get_json()["result"] == {**created.get_json()["result"], "replies": []}


@pytest.mark.parametrize("field, message", [
    ("register_id", "Không có sổ văn bản này."),
    ("agency_id", "Cơ quan ban hành không có trong danh mục."),
    ("document_type_id", "Loại văn bản không có trong danh mục."),
    ("field_id", "Lĩnh vực không có trong danh mục."),
    ("urgency_id", "Độ khẩn không có trong danh mục."),
    ("secrecy_id", "Độ mật không có trong danh mục."),
])
def test_a_registration_naming_no_catalog_row_is_refused(client, api_as, db_session, field,
                                                         message):
    """An id its catalog does not have is refused with the field's message (it was an error
    page: the database's foreign key refused it), and nothing is saved."""
    headers = api_as("vanthu")
    before = db_session.scalar(select(func.count(IncomingDocument.id)))
    refused = client.post("/api/v1/incoming/", headers=headers,
                          json=body(db_session, **{field: 2_000_000_000}))
    assert refused.status_code == 422
    assert refused.get_json()["message"][field] == [message]
    assert db_session.scalar(select(func.count(IncomingDocument.id))) == before


def test_a_correction_naming_no_catalog_row_is_refused(client, api_as, db_session):
    """The same check on a correction (PUT): an issuing agency not in the catalog is refused
    with its message (it was an error page) and the entry keeps its agency."""
    headers = api_as("vanthu")
    created = client.post("/api/v1/incoming/", headers=headers, json=body(db_session))
    assert created.status_code == 201, created.get_json()
    pk, agency_id = created.get_json()["id"], created.get_json()["result"]["agency"]["id"]
    refused = client.put(f"/api/v1/incoming/{pk}", headers=headers,
                         json={"agency_id": 2_000_000_000})
    assert refused.status_code == 422
    assert refused.get_json()["message"]["agency_id"] == [
        "Cơ quan ban hành không có trong danh mục."]
    db_session.expire_all()
    assert db_session.get(IncomingDocument, pk).agency_id == agency_id
