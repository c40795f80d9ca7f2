"""FAB's own role page (Quản trị hệ thống › Vai trò: the raw permission list) keeps the rules
of the permission matrix: the regulation's roles are read-only, no one changes the
permissions of a role he holds, and no role — nor an account holding it — gets both the
security panel and a document function (Art. 10.1a), even one permission of it."""
import re
import uuid

import sqlalchemy as sa

from app.security import roles as r
from tests.conftest import csrf_token
from tests.test_functions import make_role, new_person, tick
from tests.test_session_model import role_id


def permission_id(db_session, permission, resource):
    return db_session.scalar(sa.text(
        "SELECT pv.id FROM ab_permission_view pv "
        "JOIN ab_permission p ON p.id = pv.permission_id "
        "JOIN ab_view_menu v ON v.id = pv.view_menu_id "
        "WHERE p.name = :p AND v.name = :v"), {"p": permission, "v": resource})


def held(db_session, role, permission_view):
    db_session.rollback()
    return db_session.scalar(sa.text(
        "SELECT count(*) FROM ab_permission_view_role WHERE role_id = :r "
        "AND permission_view_id = :p"), {"r": role, "p": permission_view}) == 1


def save_role(admin, pk, name, add=()):
    """The role's edit form as it is, with the permissions `add` ticked too."""
    page = admin.get(f"/roles/edit/{pk}").get_data(as_text=True)
    ticked = re.findall(r'<option selected value="(\d+)"', page)
    return admin.post(f"/roles/edit/{pk}", data={
        "csrf_token": csrf_token(page), "name": name,
        "permissions": ticked + [str(i) for i in add]}, follow_redirects=True)


def test_the_administrator_cannot_give_his_own_role_a_document_reading(login_as, db_session):
    """The hole this closes: one raw permission on the administrator's own role read every
    incoming document."""
    admin_role = role_id(db_session, r.ADMIN)
    read_all = permission_id(db_session, "can_read_all", "IncomingDocument")
    refused = save_role(login_as("quantri"), admin_role, r.ADMIN, [read_all])
    assert "alert-danger" in refused.get_data(as_text=True)
    assert "do quy chế quy định, không sửa được" in refused.get_data(as_text=True)
    assert not held(db_session, admin_role, read_all)


def test_a_custom_role_cannot_hold_one_permission_of_each_side(login_as, db_session):
    admin = login_as("quantri")
    name = f"Thô {uuid.uuid4().hex[:6]}"
    custom, _html = make_role(admin, name)
    edit_roles = permission_id(db_session, "can_edit", "RoleModelView")
    read_all = permission_id(db_session, "can_read_all", "IncomingDocument")
    assert "Tách bạch" not in save_role(admin, custom, name, [edit_roles]).get_data(
        as_text=True)
    assert held(db_session, custom, edit_roles)
    refused = save_role(admin, custom, name, [read_all])
    assert "Tách bạch nhiệm vụ: một vai trò không được" in refused.get_data(as_text=True)
    assert not held(db_session, custom, read_all)


def test_no_one_changes_the_permissions_of_a_role_he_holds(app, client, db_session):
    """A second administrator who also holds a custom role cannot widen it himself."""
    from tests.conftest import login

    admin = client
    username = f"qt{uuid.uuid4().hex[:6]}"
    name = f"Tin tức {uuid.uuid4().hex[:6]}"
    with app.app_context():
        from app.extensions import db
        from flask_appbuilder.security.sqla.models import Role

        db.session.add(Role(name=name))
        db.session.commit()
    new_person(app, username, [r.ADMIN, name])
    login(admin, username)
    custom = role_id(db_session, name)
    news = permission_id(db_session, "can_read", "News")
    refused = save_role(admin, custom, name, [news])
    assert "Bạn không thể tự thay đổi quyền của vai trò mình đang giữ" in \
        refused.get_data(as_text=True)
    assert not held(db_session, custom, news)


def test_a_role_an_administrator_holds_cannot_gain_a_document_permission(app, login_as,
                                                                          db_session):
    admin = login_as("quantri")
    name = f"Tra cứu {uuid.uuid4().hex[:6]}"
    custom, html = make_role(admin, name)
    tick(admin, custom, {"own.account"}, html)
    holder = f"qt{uuid.uuid4().hex[:6]}"
    new_person(app, holder, [r.ADMIN, name])
    read_all = permission_id(db_session, "can_read_all", "IncomingDocument")
    refused = save_role(login_as("quantri"), custom, name, [read_all])
    assert f"tài khoản {holder} sẽ vừa có chức năng quản trị" in refused.get_data(as_text=True)
    assert not held(db_session, custom, read_all)


def test_a_custom_role_is_edited_as_before(login_as, db_session):
    admin = login_as("quantri")
    name = f"Đọc tin {uuid.uuid4().hex[:6]}"
    custom, _html = make_role(admin, name)
    news = permission_id(db_session, "can_read", "News")
    saved = save_role(admin, custom, f"{name} mới", [news])
    assert saved.status_code == 200 and "alert-danger" not in saved.get_data(as_text=True)
    assert held(db_session, custom, news)
    assert db_session.scalar(sa.text("SELECT name FROM ab_role WHERE id = :i"),
                             {"i": custom}) == f"{name} mới"


def test_a_regulation_role_is_not_deleted(login_as, db_session):
    officer = role_id(db_session, r.OFFICER)
    admin = login_as("quantri")
    page = admin.get(f"/roles/show/{officer}").get_data(as_text=True)
    refused = admin.post(f"/roles/delete/{officer}", data={"csrf_token": csrf_token(page)},
                         follow_redirects=True)
    assert "do quy chế quy định, không xóa được" in refused.get_data(as_text=True)
    assert role_id(db_session, r.OFFICER) == officer
