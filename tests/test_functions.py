"""The permission matrix (issue 19): functions as rows, roles as columns. The built-in roles are
exactly made of functions; a role made in the matrix works like them, through the web and the
REST API, because the domains ask for permissions, never for a role's name."""
import re
import uuid

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.security import roles as r
from app.security.functions import BY_KEY, FUNCTIONS, functions_of, pairs_for
from tests.conftest import DEMO_PASSWORD, csrf_token, login
from tests.test_incoming_api import body


@pytest.mark.parametrize("role", r.ROLES)
def test_a_built_in_role_is_exactly_its_functions(app, role):
    """Ticking a built-in role's functions on a new role gives exactly its permissions, menu
    categories included: nothing of a role lies outside the rows, no row is held in part."""
    declared = r.permission_pairs(role)
    held = functions_of(declared)
    partial = [f.key for f in FUNCTIONS if f.pairs & declared and not f.pairs <= declared]
    assert partial == []
    with app.app_context():
        assert pairs_for({f.key for f in held}, app.appbuilder) == declared


def test_every_function_has_a_vietnamese_label_and_known_permissions(app):
    with app.app_context():
        declared = set().union(*(r.permission_pairs(role) for role in r.ROLES))
    for function in FUNCTIONS:
        assert function.pairs <= declared, function.key  # each is some role's duty
        assert not re.search(r"\bcan_|[A-Z][a-z]+[A-Z]", str(function.label)), function.key


def new_person(app, username, role_names):
    with app.app_context():
        sm = app.appbuilder.sm
        person = sm.add_user(username=username, first_name="Thử", last_name="Trần Thị",
                             email=f"{username}@example.vn",
                             role=[sm.find_role(name) for name in role_names],
                             password=DEMO_PASSWORD)
        assert person, "the person could not be made"
        return person.id


def matrix_page(client):
    page = client.get("/rights/")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def make_role(client, name, copy_from=""):
    html = matrix_page(client)
    made = client.post("/rights/roles", data={
        "csrf_token": csrf_token(html), "name": name, "copy_from": copy_from})
    assert made.status_code == 302, made.get_data(as_text=True)
    html = matrix_page(client)
    with client.application.app_context():
        role_id = client.application.appbuilder.sm.find_role(name).id
    return role_id, html


def tick(client, role_id, keys, html=None):
    """Preview then save the role's functions; the preview lists what changes."""
    html = html or matrix_page(client)
    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    others = re.findall(r'name="role" value="(\d+)"', html)
    data = {"csrf_token": csrf_token(html), "digest": digest, "role": others}
    for other in others:  # the other custom roles keep what they have
        if int(other) != role_id:
            data[f"f{other}"] = re.findall(rf'name="f{other}" value="([^"]+)" checked', html)
    data[f"f{role_id}"] = sorted(keys)
    preview = client.post("/rights/preview", data=data)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    shown = preview.get_data(as_text=True)
    saved = client.post("/rights/save", data=data)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    return shown


def test_the_matrix_shows_functions_in_vietnamese_and_built_in_roles_read_only(login_as):
    client = login_as("quantri")
    html = matrix_page(client)
    for role in r.ROLES:
        assert role in html
    assert "Tiếp nhận, vào sổ, sửa thông tin và đóng dấu đến" in html
    assert html.count('class="fa fa-lock"') == len(r.ROLES)
    # built-in columns have no checkbox: a cell of theirs is a mark, not an input
    assert not re.search(r'name="f\d+"[^>]*aria-label="Văn thư:', html)


def test_only_the_administrator_opens_the_matrix(login_as):
    assert login_as("vanthu").get("/rights/").status_code == 403


def test_a_custom_role_does_exactly_its_functions_on_web_and_rest(app, client, login_as,
                                                                  api_as, db_session):
    """The issue's scenario: "Văn thư phòng" gets part of the clerk's functions — it reads
    every incoming document and registers them, but does not present them to the leader,
    keep the registers or the catalogs."""
    admin = login_as("quantri")
    name = f"Văn thư phòng {uuid.uuid4().hex[:6]}"
    role_id, html = make_role(admin, name)
    keys = {"own.account", "incoming.read", "incoming.read_all", "incoming.register"}
    shown = tick(admin, role_id, keys, html)
    assert "Xem trước thay đổi" in shown
    assert "Tiếp nhận, vào sổ, sửa thông tin và đóng dấu đến" in shown
    line = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "permissions_changed", AuditEvent.object_id == str(role_id))
    ).one()
    assert str(BY_KEY["incoming.register"].label) in line.changes

    username = f"vtp{uuid.uuid4().hex[:6]}"
    new_person(app, username, [name])
    login(client, username)
    # web: the register form and the incoming grid open; the register book and catalogs not
    assert client.get("/incoming/register").status_code == 200
    assert client.get("/incoming/list/list/").status_code == 200
    assert client.get("/incoming/book").status_code == 403
    assert client.get("/documenttypeview/list/").status_code == 403
    # REST: registers a document, sees it, but cannot present it to the leader
    headers = api_as(username)
    created = client.post("/api/v1/incoming/", headers=headers,
                          json=body(db_session, submit=False))
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert client.get(f"/api/v1/incoming/{pk}", headers=headers).status_code == 200
    submitted = client.post(f"/api/v1/incoming/{pk}/actions/submit", headers=headers, json={})
    assert submitted.status_code == 422
    assert "“Trình lãnh đạo” không thuộc quyền của bạn" in submitted.get_json()["message"]
    # the clerk, whose role has the function, presents it
    assert client.post(f"/api/v1/incoming/{pk}/actions/submit", headers=api_as("vanthu"),
                       json={}).status_code == 200


def test_a_person_with_the_role_is_shown_what_they_may_do(app, login_as):
    client = login_as("quantri")
    with app.app_context():
        clerk = app.appbuilder.sm.find_user(username="vanthu")
        clerk_id = clerk.id
    html = client.get(f"/rights/person/{clerk_id}").get_data(as_text=True)
    assert "Tiếp nhận, vào sổ, sửa thông tin và đóng dấu đến" in html
    assert "do vai trò" in html and "Văn thư" in html
    assert "Quản lý người dùng" not in html
    assert f'href="/rights/person/{clerk_id}"' in client.get(
        f"/users/show/{clerk_id}").get_data(as_text=True)  # from the person's page
    assert client.get("/rights/person/999999").status_code == 404
    assert client.get(f"/rights/person/{2**40}").status_code == 404
    assert client.get("/rights/person?user=abc").status_code == 302


def test_a_role_cannot_mix_administration_with_documents(login_as, db_session):
    client = login_as("quantri")
    role_id, html = make_role(client, f"Hỗn hợp {uuid.uuid4().hex[:6]}")
    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    refused = client.post("/rights/preview", data={
        "csrf_token": csrf_token(html), "digest": digest, "role": [role_id],
        f"f{role_id}": ["admin.users", "incoming.read_all"]})
    assert refused.status_code == 422
    assert "Tách bạch nhiệm vụ" in refused.get_data(as_text=True)


def test_a_built_in_role_cannot_be_changed_from_the_matrix(app, login_as):
    client = login_as("quantri")
    html = matrix_page(client)
    with app.app_context():
        clerk_role = app.appbuilder.sm.find_role(r.CLERK).id
    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    refused = client.post("/rights/preview", data={
        "csrf_token": csrf_token(html), "digest": digest, "role": [clerk_role],
        f"f{clerk_role}": ["own.account"]})
    assert refused.status_code == 422
    assert "do quy chế quy định" in refused.get_data(as_text=True)


def test_a_stale_preview_saves_nothing(app, login_as):
    client = login_as("quantri")
    role_id, html = make_role(client, f"Cũ {uuid.uuid4().hex[:6]}")
    tick(client, role_id, {"own.account"})  # someone saved after `html` was read
    stale = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    refused = client.post("/rights/save", data={
        "csrf_token": csrf_token(html), "digest": stale, "role": [role_id],
        f"f{role_id}": ["own.account", "news.read"]})
    assert refused.status_code == 422
    assert "người khác thay đổi" in refused.get_data(as_text=True)
    with app.app_context():
        from app.extensions import db
        from flask_appbuilder.security.sqla.models import Role

        role = db.session.get(Role, role_id)
        assert ("can_read", "News") not in {(pv.permission.name, pv.view_menu.name)
                                            for pv in role.permissions}


def test_a_role_name_is_checked(login_as):
    client = login_as("quantri")
    html = matrix_page(client)
    for name, message in [("", "Nhập tên vai trò."), (r.CLERK, "Đã có vai trò"),
                          ("x" * 65, "dài quá")]:
        refused = client.post("/rights/roles", data={
            "csrf_token": csrf_token(html), "name": name})
        assert refused.status_code == 422
        assert message in refused.get_data(as_text=True)
    assert client.get("/rights/roles").status_code == 405


def test_a_role_copied_from_the_clerk_gets_the_clerks_permissions(app, login_as):
    client = login_as("quantri")
    with app.app_context():
        clerk_role = app.appbuilder.sm.find_role(r.CLERK).id
    role_id, _html = make_role(client, f"Bản sao văn thư {uuid.uuid4().hex[:6]}",
                               copy_from=str(clerk_role))
    with app.app_context():
        from app.extensions import db
        from flask_appbuilder.security.sqla.models import Role

        role = db.session.get(Role, role_id)
        assert {(pv.permission.name, pv.view_menu.name) for pv in role.permissions} == \
            r.permission_pairs(r.CLERK)


def test_an_account_cannot_hold_a_custom_document_role_with_the_administrators(
        app, login_as, db_session):
    """Separation of duties does not depend on the roles' names: a role of the matrix that
    reads every document cannot go on an administrator's account."""
    from tests.test_session_model import person, role_id, user_form

    admin = login_as("quantri")
    name = f"Đọc văn bản {uuid.uuid4().hex[:6]}"
    custom, html = make_role(admin, name)
    tick(admin, custom, {"incoming.read", "incoming.read_all"}, html)
    username = f"qt{uuid.uuid4().hex[:6]}"
    new_person(app, username, [r.ADMIN])
    target = person(db_session, username)
    page = admin.get(f"/users/edit/{target.id}").get_data(as_text=True)
    response = admin.post(f"/users/edit/{target.id}", data=user_form(
        page, target, [role_id(db_session, r.ADMIN), custom]), follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Tách bạch nhiệm vụ: một tài khoản không được" in text
    assert "Xem mọi văn bản đến của cơ quan" in text
    db_session.expire_all()
    assert [role.name for role in person(db_session, username).roles] == [r.ADMIN]
