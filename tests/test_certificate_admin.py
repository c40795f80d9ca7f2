"""Chứng thư số (ký số), what the network administrator does: the trust anchors (root and
intermediate CA certificates, uploaded as a bundle, never twice, never a person's
certificate) and the people's certificates (mapped by the administrator, or proposed from a
signed PDF and confirmed); pages, REST with a token and with the cookie, who may, and the
audit trail in Vietnamese."""
import io
import json
import re

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEvent
from app.notifications.models import Notification
from app.security import certificate_admin as service
from app.security.certificates import PersonalCertificate, TrustAnchor
from app.security.testing_ca import TestingCA
from tests.conftest import csrf_token, form_of, user
from tests.test_audit_readable import grid_rows

ANCHORS = "/certificates/anchors/"
PERSONAL = "/certificates/personal/"
API = "/api/v1/certificates"


@pytest.fixture(scope="module")
def ca():
    """A CA of this module's own (its certificates are found by their fingerprints)."""
    return TestingCA.make(root_name="CA kiểm tra (chỉ để thử nghiệm)")


def upload(client, path, data, filename="ca.pem", page=None, **fields):
    page = page if page is not None else client.get(path).get_data(as_text=True)
    return client.post(path + "upload", data=form_of(
        page, file=(io.BytesIO(data), filename), **fields), content_type="multipart/form-data")


def anchors_of(session, *ders):
    session.expire_all()
    return session.scalars(sa.select(TrustAnchor).where(TrustAnchor.sha256.in_(
        [service.fingerprint(d) for d in ders])).order_by(TrustAnchor.id)).all()


def personal_of(session, der):
    session.expire_all()
    return session.scalar(sa.select(PersonalCertificate).where(
        PersonalCertificate.sha256 == service.fingerprint(der)))


def anchor_count(session):
    session.expire_all()
    return session.scalar(sa.select(sa.func.count(TrustAnchor.id)))


# ---------------------------------------------------------------- trust anchors (web)

def test_the_administrator_adds_a_bundle_once_and_refuses_a_leaf(login_as, db_session, ca):
    admin = login_as("quantri")
    page = admin.get(ANCHORS)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Chứng thư số tin cậy" in html and "không cài sẵn chứng thư nào" in html
    assert "chỉ để thử nghiệm" in html

    bundle = ca.root.cert_pem + ca.intermediate.cert_pem
    added = upload(admin, ANCHORS, bundle, "ca-bundle.pem")
    assert added.status_code == 302
    root, intermediate = anchors_of(db_session, ca.root_der, ca.intermediate_der)
    assert (root.sha256, root.is_root, root.active) == (
        service.fingerprint(ca.root_der), True, True)
    assert (intermediate.sha256, intermediate.is_root) == (
        service.fingerprint(ca.intermediate_der), False)
    assert intermediate.name == "CA cấp dưới thử nghiệm (chỉ để thử nghiệm)"
    assert intermediate.added_by_id == user(db_session, "quantri").id
    listed = admin.get(ANCHORS).get_data(as_text=True)
    assert "Đã thêm 2 chứng thư tin cậy" in listed
    row = re.search(rf'data-id="{intermediate.id}">(.*?)</tr>', listed, re.S).group(1)
    assert "Chứng thư trung gian" in row and "Đang dùng" in row
    assert intermediate.sha256[:16] in row
    from app.core.timefmt import format_date
    assert f"{format_date(intermediate.not_before)} – {format_date(intermediate.not_after)}" \
        in row

    before = anchor_count(db_session)
    again = upload(admin, ANCHORS, bundle, "ca-bundle.pem")
    assert again.status_code == 200
    assert "đã có trong danh sách tin cậy" in again.get_data(as_text=True)
    # the root in DER alone: also already there
    der_again = upload(admin, ANCHORS, ca.root_der, "root.cer")
    assert "đã có trong danh sách tin cậy" in der_again.get_data(as_text=True)
    assert anchor_count(db_session) == before

    leaf = ca.issue("Nguyễn Văn Lá", organisation="UBND tỉnh")
    refused = upload(admin, ANCHORS, leaf.cert_pem + ca.intermediate.cert_pem, "la.pem")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and 'class="anchor-form"' in text
    assert "«Nguyễn Văn Lá» không phải là chứng thư của tổ chức chứng thực (CA)" in text
    assert anchors_of(db_session, leaf.cert_der) == []
    assert anchor_count(db_session) == before


@pytest.mark.parametrize("data, filename, message", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200, "anh.jpg",
     "Tệp không phải là chứng thư số (.cer, .crt, .pem)."),
    (b"-----BEGIN CERTIFICATE-----\nkhongphai\n-----END CERTIFICATE-----\n", "hong.pem",
     "Tệp không phải là chứng thư số (.cer, .crt, .pem)."),
    (b"", "rong.cer", "Chọn tệp chứng thư số (.cer, .crt, .pem) cần tải lên."),
    (b"0" * (10 * 1024 * 1024), "lon.cer", "Tệp quá lớn"),
])
def test_bad_files_are_refused_on_the_form(login_as, db_session, data, filename, message):
    admin = login_as("quantri")
    before = anchor_count(db_session)
    for path in (ANCHORS, PERSONAL):
        extra = {"user_id": str(user(db_session, "lanhdao").id)} if path == PERSONAL else {}
        response = upload(admin, path, data, filename, **extra)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert message in html and 'enctype="multipart/form-data"' in html, path
    assert anchor_count(db_session) == before


def test_no_file_and_a_stale_form(login_as, db_session):
    admin = login_as("quantri")
    page = admin.get(ANCHORS).get_data(as_text=True)
    before = anchor_count(db_session)
    nothing = admin.post(ANCHORS + "upload", data=form_of(page),
                         content_type="multipart/form-data")
    assert nothing.status_code == 200
    assert "Chọn tệp chứng thư số" in nothing.get_data(as_text=True)
    stale = admin.post(ANCHORS + "upload", data={
        "csrf_token": "het-han", "file": (io.BytesIO(b"x"), "a.pem")},
        content_type="multipart/form-data")
    assert stale.status_code == 400
    assert "Biểu mẫu đã hết hạn" in stale.get_data(as_text=True)
    assert anchor_count(db_session) == before


def test_an_anchor_is_deactivated_and_the_trail_reads_in_vietnamese(login_as, db_session):
    ca = TestingCA.make(root_name="CA ngừng dùng (chỉ để thử nghiệm)")
    admin = login_as("quantri")
    assert upload(admin, ANCHORS, ca.root.cert_pem, "root.pem").status_code == 302
    (anchor,) = anchors_of(db_session, ca.root_der)
    page = admin.get(ANCHORS).get_data(as_text=True)
    assert "data-confirm=" in re.search(
        rf'data-id="{anchor.id}">(.*?)</tr>', page, re.S).group(1)
    off = admin.post(f"/certificates/anchors/{anchor.id}/active",
                     data=form_of(page, active="0"), follow_redirects=True)
    assert off.status_code == 200
    assert "Đã ngừng dùng chứng thư «CA ngừng dùng (chỉ để thử nghiệm)»" in \
        off.get_data(as_text=True)
    (anchor,) = anchors_of(db_session, ca.root_der)
    assert anchor.active is False

    line = db_session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "trust_anchor", AuditEvent.object_id == str(anchor.id),
        AuditEvent.action == "update").order_by(AuditEvent.id.desc()).limit(1))
    assert json.loads(line.changes) == {"active": [True, False]}
    assert line.actor_name == "quantri"
    shown = grid_rows(admin.get(f"/audit/show/{line.id}").get_data(as_text=True))
    assert "Chứng thư số tin cậy" in shown and "Đang dùng: Có → Không" in shown
    for raw in ("trust_anchor", "der", "None", "active"):
        assert not re.search(rf"\b{raw}\b", shown), raw
    created = db_session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "trust_anchor", AuditEvent.object_id == str(anchor.id),
        AuditEvent.action == "create"))
    shown = grid_rows(admin.get(f"/audit/show/{created.id}").get_data(as_text=True))
    assert "CA ngừng dùng (chỉ để thử nghiệm)" in shown
    assert not re.search(r"\b(trust_anchor|der|None)\b", shown)


# ---------------------------------------------------------------- personal certificates

def test_the_administrator_maps_a_certificate_to_a_leader(login_as, db_session, ca):
    leader, other = user(db_session, "lanhdao"), user(db_session, "pgd.thanh")
    admin = login_as("quantri")
    html = admin.get(PERSONAL).get_data(as_text=True)
    assert f'<option value="{leader.id}"' in html  # the people to choose from
    own = ca.issue(leader.full_name, organisation="UBND tỉnh")
    # the .pem a CA hands out: the person's certificate and its chain
    mapped = upload(admin, PERSONAL, own.cert_pem + ca.intermediate.cert_pem, "ld.pem",
                    user_id=str(leader.id), csc_credential_id="  cred-lanhdao-01 ")
    assert mapped.status_code == 302
    row = personal_of(db_session, own.cert_der)
    assert (row.user_id, row.confirmed, row.active, row.csc_credential_id) == (
        leader.id, True, True, "cred-lanhdao-01")
    assert row.common_name == leader.full_name and row.serial == format(
        own.cert.serial_number, "X")
    listed = admin.get(f"{PERSONAL}?user_id={leader.id}").get_data(as_text=True)
    cells = re.search(rf'data-id="{row.id}">(.*?)</tr>', listed, re.S).group(1)
    assert "Đã xác nhận" in cells and "cred-lanhdao-01" in cells and "Đang dùng" in cells

    elsewhere = upload(admin, PERSONAL, own.cert_der, "ld.cer", user_id=str(other.id))
    assert elsewhere.status_code == 200
    assert f"Chứng thư số này đã được gắn cho {leader.full_name}." in \
        elsewhere.get_data(as_text=True)
    assert personal_of(db_session, own.cert_der).user_id == leader.id

    expired = ca.expired("Người Hết Hạn")
    refused = upload(admin, PERSONAL, expired.cert_der, "cu.cer", user_id=str(leader.id))
    assert "Chứng thư số «Người Hết Hạn» đã hết hạn ngày" in refused.get_data(as_text=True)
    assert personal_of(db_session, expired.cert_der) is None

    a_ca = upload(admin, PERSONAL, ca.root.cert_pem, "root.pem", user_id=str(leader.id))
    assert "là chứng thư của tổ chức chứng thực (CA)" in a_ca.get_data(as_text=True)
    nobody = upload(admin, PERSONAL, ca.issue("Ai Đó").cert_der, "x.cer", user_id="")
    assert "Chọn người sở hữu chứng thư số" in nobody.get_data(as_text=True)

    # the credential at the remote signing service: changed, then removed
    page = admin.get(PERSONAL).get_data(as_text=True)
    admin.post(f"{PERSONAL}{row.id}/credential", data=form_of(page, csc_credential_id=""))
    assert personal_of(db_session, own.cert_der).csc_credential_id is None
    too_long = admin.post(f"{PERSONAL}{row.id}/credential",
                          data=form_of(page, csc_credential_id="x" * 300),
                          follow_redirects=True)
    assert "dài tối đa 255 ký tự" in too_long.get_data(as_text=True)
    admin.post(f"{PERSONAL}{row.id}/active", data=form_of(page, active="0"))
    assert personal_of(db_session, own.cert_der).active is False


def test_a_proposed_certificate_waits_for_the_administrator(app, login_as, db_session, ca):
    person = user(db_session, "pgd.thanh")
    admin_id = user(db_session, "quantri").id
    signer = ca.issue(person.full_name)
    with app.test_request_context():
        proposed = service.propose_personal_certificate(db_session, person, signer.cert_der)
        again = service.propose_personal_certificate(db_session, person, signer.cert_der)
    assert again.id == proposed.id
    row = personal_of(db_session, signer.cert_der)
    assert (row.user_id, row.confirmed, row.active) == (person.id, False, True)
    notices = db_session.scalars(sa.select(Notification).where(
        Notification.subject == f"certificate:{row.id}")).all()
    # every administrator is told once (other tests of the run may have made more of them)
    mine = [n for n in notices if n.user_id == admin_id]
    assert [n.kind for n in mine] == ["certificate.proposed"]
    assert {n.kind for n in notices} == {"certificate.proposed"}
    assert len({n.user_id for n in notices}) == len(notices)
    assert person.full_name in mine[0].message and mine[0].done_at is None

    admin = login_as("quantri")
    awaiting = admin.get(PERSONAL + "?awaiting=1").get_data(as_text=True)
    cells = re.search(rf'data-id="{row.id}">(.*?)</tr>', awaiting, re.S).group(1)
    assert "Chờ xác nhận" in cells and "action-confirm" in cells
    done = admin.post(f"{PERSONAL}{row.id}/confirm", data=form_of(awaiting),
                      follow_redirects=True)
    assert done.status_code == 200
    assert f"Đã xác nhận chứng thư số «{person.full_name}»" in done.get_data(as_text=True)
    assert personal_of(db_session, signer.cert_der).confirmed is True
    db_session.expire_all()
    assert db_session.get(Notification, mine[0].id).done_at is not None
    awaiting = admin.get(PERSONAL + "?awaiting=1").get_data(as_text=True)
    assert f'data-id="{row.id}"' not in awaiting


# ---------------------------------------------------------------- who may

@pytest.mark.parametrize("username", ["vanthu", "lanhdao"])
def test_only_the_administrator_reaches_certificates(client, login_as, api_as, username,
                                                     db_session, ca):
    before = anchor_count(db_session)
    headers = api_as(username)
    assert client.get(f"{API}/anchors", headers=headers).status_code == 403
    assert client.get(f"{API}/personal", headers=headers).status_code == 403
    assert client.post(f"{API}/anchors", headers=headers, data={
        "file": (io.BytesIO(ca.root.cert_pem), "root.pem")},
        content_type="multipart/form-data").status_code == 403
    assert client.post(f"{API}/personal/1/confirm", headers=headers).status_code == 403
    person = login_as(username)
    assert person.get(ANCHORS).status_code == 403
    assert person.get(PERSONAL).status_code == 403
    home = person.get("/").get_data(as_text=True)
    assert "Chứng thư số tin cậy" not in home
    token = csrf_token(home)
    assert person.post(ANCHORS + "upload", data={
        "csrf_token": token, "file": (io.BytesIO(ca.root.cert_pem), "root.pem")},
        content_type="multipart/form-data").status_code == 403
    assert person.get(f"{API}/anchors").status_code == 403  # the cookie channel
    assert anchor_count(db_session) == before


# ---------------------------------------------------------------- REST

def test_rest_with_a_token(client, api_as, db_session):
    ca = TestingCA.make(root_name="CA qua API (chỉ để thử nghiệm)")
    headers = api_as("quantri")
    made = client.post(f"{API}/anchors", headers=headers, data={
        "file": (io.BytesIO(ca.root.cert_pem + ca.intermediate.cert_pem), "bundle.pem")},
        content_type="multipart/form-data")
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert sorted((a["name"], a["is_root"]) for a in body["result"]) == [
        ("CA cấp dưới thử nghiệm (chỉ để thử nghiệm)", False),
        ("CA qua API (chỉ để thử nghiệm)", True)]
    assert body["existing"] == []
    listed = client.get(f"{API}/anchors", headers=headers)
    assert listed.status_code == 200
    mine = [a for a in listed.get_json()["result"]
            if a["sha256"] == service.fingerprint(ca.root_der)]
    assert len(mine) == 1 and mine[0]["active"] is True
    assert mine[0]["not_after"] == anchors_of(db_session, ca.root_der)[0].not_after.isoformat()
    twice = client.post(f"{API}/anchors", headers=headers, data={
        "file": (io.BytesIO(ca.root_der), "root.cer")}, content_type="multipart/form-data")
    assert twice.status_code == 422 and "đã có" in json.dumps(
        twice.get_json(), ensure_ascii=False)
    no_file = client.post(f"{API}/anchors", headers=headers, data={},
                          content_type="multipart/form-data")
    assert no_file.status_code == 400

    leader = user(db_session, "truongphong")
    own = ca.issue(leader.full_name)
    mapped = client.post(f"{API}/personal", headers=headers, data={
        "file": (io.BytesIO(own.cert_der), "tp.cer"), "user_id": str(leader.id)},
        content_type="multipart/form-data")
    assert mapped.status_code == 201, mapped.get_data(as_text=True)
    assert mapped.get_json()["result"]["confirmed"] is True
    of_leader = client.get(f"{API}/personal?user_id={leader.id}", headers=headers).get_json()
    assert {c["user_id"] for c in of_leader["result"]} == {leader.id}  # only theirs
    assert of_leader["result"][0]["sha256"] == service.fingerprint(own.cert_der)  # newest
    assert of_leader["result"][0]["not_before"] == \
        personal_of(db_session, own.cert_der).not_before.isoformat()
    wrong = client.post(f"{API}/personal", headers=headers, data={
        "file": (io.BytesIO(b"rac"), "x.cer"), "user_id": str(leader.id)},
        content_type="multipart/form-data")
    assert wrong.status_code == 422
    assert wrong.get_json()["message"]["file"] == [
        "Tệp không phải là chứng thư số (.cer, .crt, .pem)."]


def test_rest_with_the_cookie_and_confirming(app, client, login_as, db_session):
    ca = TestingCA.make(root_name="CA phiên (chỉ để thử nghiệm)")
    admin = login_as("quantri")
    forged = admin.post(f"{API}/anchors", data={
        "file": (io.BytesIO(ca.root.cert_pem), "root.pem")}, content_type="multipart/form-data")
    assert forged.status_code == 403 and "CSRF" in forged.get_json()["message"]
    assert anchors_of(db_session, ca.root_der) == []
    token = csrf_token(admin.get("/").get_data(as_text=True))
    made = admin.post(f"{API}/anchors", data={
        "file": (io.BytesIO(ca.root.cert_pem), "root.pem")}, content_type="multipart/form-data",
        headers={"X-CSRFToken": token})
    assert made.status_code == 201
    listed = admin.get(f"{API}/anchors").get_json()["result"]
    assert service.fingerprint(ca.root_der) in [a["sha256"] for a in listed]

    person = user(db_session, "chuyenvien")
    signer = ca.issue(person.full_name)
    with app.test_request_context():
        proposed = service.propose_personal_certificate(db_session, person, signer.cert_der)
    awaiting = admin.get(f"{API}/personal?awaiting=1").get_json()["result"]
    assert proposed.id in [c["id"] for c in awaiting]
    confirmed = admin.post(f"{API}/personal/{proposed.id}/confirm",
                           headers={"X-CSRFToken": token})
    assert confirmed.status_code == 200
    assert confirmed.get_json()["result"]["confirmed"] is True
    assert personal_of(db_session, signer.cert_der).confirmed is True
    assert admin.post(f"{API}/personal/999999/confirm",
                      headers={"X-CSRFToken": token}).status_code == 404
