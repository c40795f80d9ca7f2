"""REST API /api/v1/incoming/: same rules and visibility as the web."""
import io
from datetime import timedelta

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
