"""FAB's user groups (Quản trị hệ thống › Nhóm người dùng). The group's form says "Mỗi thành
viên có thêm các vai trò của nhóm": a member has the group's roles for every permission, on the
web and the REST API, in the lists of people who hold a permission, and on the page of what a
person may do. The separation of duties (Art. 10.1a) holds through a group as through a
person's own roles: a group cannot give an administrator a clerk's or a leader's reading, nor
an administrator change his own roles."""
import re
import uuid

from sqlalchemy import select

from app.security import roles as r
from app.security.access import people_with
from tests.conftest import csrf_token, login
from tests.test_functions import make_role, matrix_page, new_person
from tests.test_incoming_api import body
from tests.test_session_model import person, role_id


def save_group(admin, db_session, name, roles, members, pk=None):
    """The group's form as the administrator fills it (add, or edit group `pk`)."""
    address = f"/groups/edit/{pk}" if pk else "/groups/add"
    page = admin.get(address).get_data(as_text=True)
    return admin.post(address, data={
        "csrf_token": csrf_token(page), "name": name, "label": name, "description": "",
        "roles": [str(role_id(db_session, role)) for role in roles],
        "users": [str(person(db_session, member).id) for member in members]},
        follow_redirects=True)


def members(db_session, name):
    from flask_appbuilder.security.sqla.models import Group

    db_session.expire_all()
    group = db_session.scalar(select(Group).where(Group.name == name))
    return None if group is None else sorted(user.username for user in group.users)


def test_a_member_has_the_groups_roles_on_the_web_and_the_api(app, client, login_as,
                                                              api_as, db_session):
    """An officer put in a group that has the clerk's role registers documents and keeps the
    registers, through the web and the REST API; before, he cannot."""
    username = f"nhom{uuid.uuid4().hex[:6]}"
    new_person(app, username, [r.OFFICER])
    login(client, username)
    assert client.get("/incoming/register").status_code == 403
    assert client.get("/incoming/book").status_code == 403

    name = f"Tổ văn thư {uuid.uuid4().hex[:6]}"
    saved = save_group(login_as("quantri"), db_session, name, [r.CLERK], [username])
    assert saved.status_code == 200 and "Tách bạch" not in saved.get_data(as_text=True)
    assert members(db_session, name) == [username]

    login(client, username)
    assert client.get("/incoming/register").status_code == 200
    assert client.get("/incoming/book").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'class="label label-primary">Văn thư<', home)  # the person's roles
    headers = api_as(username)
    created = client.post("/api/v1/incoming/", headers=headers,
                          json=body(db_session, submit=False))
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert client.get(f"/api/v1/incoming/{pk}", headers=headers).status_code == 200
    # among the people who hold the clerk's duty (the lists of whom to tell, to send to)
    member = person(db_session, username)
    assert member.id in people_with(db_session, "can_read_registers", "IncomingDocument")


def test_the_persons_page_names_the_group_that_gives_a_function(app, login_as, db_session):
    username = f"nhom{uuid.uuid4().hex[:6]}"
    new_person(app, username, [r.OFFICER])
    name = f"Tổ văn thư {uuid.uuid4().hex[:6]}"
    admin = login_as("quantri")
    save_group(admin, db_session, name, [r.CLERK], [username])
    html = admin.get(f"/rights/person/{person(db_session, username).id}").get_data(
        as_text=True)
    assert "Tiếp nhận, vào sổ, sửa thông tin và đóng dấu đến" in html
    assert f"Văn thư (nhóm {name})" in html


def test_a_group_cannot_give_an_administrator_a_clerks_reading(app, login_as, db_session):
    username = f"qtn{uuid.uuid4().hex[:6]}"
    new_person(app, username, [r.ADMIN])
    name = f"Tổ văn thư {uuid.uuid4().hex[:6]}"
    refused = save_group(login_as("quantri"), db_session, name, [r.CLERK], [username])
    text = refused.get_data(as_text=True)
    assert "Tách bạch nhiệm vụ: một tài khoản không được" in text and username in text
    assert members(db_session, name) is None  # the group was not made

    # nor by giving the role to a group the administrator is already in
    made = save_group(login_as("quantri"), db_session, name, [r.OFFICER], [username])
    assert "Tách bạch" not in made.get_data(as_text=True)
    from flask_appbuilder.security.sqla.models import Group

    pk = db_session.scalar(select(Group.id).where(Group.name == name))
    refused = save_group(login_as("quantri"), db_session, name, [r.OFFICER, r.CLERK],
                         [username], pk=pk)
    assert "Tách bạch nhiệm vụ" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert [role.name for role in db_session.get(Group, pk).roles] == [r.OFFICER]


def test_the_administrator_cannot_give_himself_roles_through_a_group(login_as, db_session):
    name = f"Tổ {uuid.uuid4().hex[:6]}"
    refused = save_group(login_as("quantri"), db_session, name, [r.OFFICER], ["quantri"])
    assert "Bạn không thể tự thay đổi vai trò của chính mình" in \
        refused.get_data(as_text=True)
    assert members(db_session, name) is None
    login_as("quantri")
    assert role_id(db_session, r.OFFICER) not in {
        role.id for group in person(db_session, "quantri").groups for role in group.roles}


def test_the_administrator_joins_a_group_of_his_own_role(app, client, db_session):
    """Joining a group whose roles he has already changes nothing he may do: saved. (A
    second administrator of its own: the demo's keeps his groups as they are.)"""
    username = f"qtn{uuid.uuid4().hex[:6]}"
    new_person(app, username, [r.ADMIN])
    login(client, username)
    name = f"Quản trị {uuid.uuid4().hex[:6]}"
    saved = save_group(client, db_session, name, [r.ADMIN], [username])
    assert saved.status_code == 200
    assert "Bạn không thể" not in saved.get_data(as_text=True)
    assert members(db_session, name) == [username]


def test_the_matrix_refuses_a_document_function_for_a_role_an_administrator_holds(
        app, login_as, db_session):
    """A custom role an administrator's account holds through a group cannot gain a
    function that reads documents (its holders' accounts would mix the duties)."""
    admin = login_as("quantri")
    role_name = f"Tra cứu {uuid.uuid4().hex[:6]}"
    custom, _html = make_role(admin, role_name)
    username = f"qtn{uuid.uuid4().hex[:6]}"
    new_person(app, username, [r.ADMIN])
    saved = save_group(admin, db_session, f"Tổ {uuid.uuid4().hex[:6]}", [role_name],
                       [username])
    assert "Tách bạch" not in saved.get_data(as_text=True)
    html = matrix_page(admin)
    digest = re.search(r'name="digest" value="([^"]+)"', html).group(1)
    refused = admin.post("/rights/preview", data={
        "csrf_token": csrf_token(html), "digest": digest, "role": [custom],
        f"f{custom}": ["own.account", "incoming.read", "incoming.read_all"]})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert f"tài khoản {username} sẽ vừa có chức năng quản trị" in text
