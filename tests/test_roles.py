"""The six roles: declared in one module, synced idempotently, deny by default.

The matrix test prints the permission matrix (role × resource × permission) read back from the
database and asserts it equals the declaration; the HTTP tests check what each role reaches."""
import re

import pytest
from flask_appbuilder.security.sqla.models import Role

from app.security import roles as r
from tests.conftest import ACCOUNTS


def matrix_from_database(session):
    return {role.name: {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
            for role in session.query(Role).filter(Role.name.in_(r.ROLES))}


def print_matrix(matrix):
    resources = sorted({res for pairs in matrix.values() for _, res in pairs})
    header = " | ".join(name[:12].ljust(12) for name in r.ROLES)
    print("\n" + "resource".ljust(34) + " | " + header)
    for resource in resources:
        cells = [",".join(sorted(p.removeprefix("can_") for p, res in matrix[role]
                                 if res == resource)) for role in r.ROLES]
        print(resource.ljust(34) + " | " + " | ".join(c[:12].ljust(12) for c in cells))


def test_permission_matrix_equals_declaration(app, db_session):
    matrix = matrix_from_database(db_session)
    print_matrix(matrix)
    assert set(matrix) == set(r.ROLES)
    for role in r.ROLES:
        assert matrix[role] == r.permission_pairs(role), role


def test_matrix_expectations(app, db_session):
    """The regulation's intent, written as a user would check it."""
    m = matrix_from_database(db_session)
    catalog_write = {("can_write", c) for c in r.CATALOGS}
    # Art. 9.1c: the clerk, and only the clerk, keeps the catalogs.
    assert catalog_write <= m[r.CLERK]
    for role in set(r.ROLES) - {r.CLERK}:
        assert not catalog_write & m[role], role
    # Art. 10.1a: the network administrator manages users and roles …
    assert {("can_edit", "EofficeUserView"), ("can_edit", "RoleModelView"),
            ("can_list", "PermissionViewModelView")} <= m[r.ADMIN]
    # … but is not a superuser over documents and catalogs.
    assert not {p for p in m[r.ADMIN] if p[1] in r.CATALOGS}
    # Nobody else sees the security panel.
    for role in set(r.ROLES) - {r.ADMIN}:
        assert not {p for p in m[role] if p[1] in ("RoleModelView", "PermissionViewModelView")}
        assert ("can_list", "EofficeUserView") not in m[role]
    # Art. 9.1a: only the clerk registers incoming documents; 6.1, 7.1b, 8.1b: the others read.
    assert ("can_write", "IncomingDocument") in m[r.CLERK]
    for role in (r.AGENCY_LEADER, r.OFFICE_LEADER, r.UNIT_LEADER, r.OFFICER):
        assert ("can_read", "IncomingDocument") in m[role]
        assert ("can_write", "IncomingDocument") not in m[role]
    assert not {p for p in m[r.ADMIN] if p[1] == "IncomingDocument"}
    # Art. 3: everybody sees their own account and can change their password.
    for role in r.ROLES:
        assert {("can_userinfo", "EofficeUserView"),
                ("can_this_form_post", "ResetMyPasswordView")} <= m[role]


def test_sync_is_idempotent_and_restores_the_declaration(app, db_session):
    officer = db_session.query(Role).filter_by(name=r.OFFICER).one()
    clerk = db_session.query(Role).filter_by(name=r.CLERK).one()
    officer.permissions = officer.permissions + clerk.permissions  # a drifted database
    db_session.commit()
    runner = app.test_cli_runner()
    for _ in range(2):
        assert runner.invoke(args=["eoffice", "sync-roles"]).exit_code == 0
    db_session.expire_all()
    assert matrix_from_database(db_session) == {role: r.permission_pairs(role)
                                                for role in r.ROLES}


def menu_links(browser) -> set:
    """The menu's entries (the navbar's left list) as the person sees them on the home page."""
    html = browser.get("/").get_data(as_text=True)
    menu = re.search(r'<ul class="nav navbar-nav">(.*?)<ul class="nav navbar-nav navbar-right">',
                     html, re.S)
    assert menu, "no menu on the page"
    return set(re.findall(r'href="(/[^"]*)"', menu.group(1)))


def test_a_role_s_menu_follows_its_permissions_at_once(app, db_session, login_as):
    """The menu is drawn once per set of permissions (app.core.ui.navbar_menu): an officer's
    role given the clerk's permissions shows the clerk's entries at the next page, and the
    officer's own again once the roles are synced back."""
    clerk_menu = menu_links(login_as("vanthu"))
    browser = login_as("chuyenvien")
    own = menu_links(browser)
    assert own and clerk_menu - own, "the clerk's menu has entries the officer's has not"
    officer = db_session.query(Role).filter_by(name=r.OFFICER).one()
    clerk = db_session.query(Role).filter_by(name=r.CLERK).one()
    officer.permissions = officer.permissions + clerk.permissions
    db_session.commit()
    try:
        assert menu_links(browser) == own | clerk_menu
    finally:
        assert app.test_cli_runner().invoke(args=["eoffice", "sync-roles"]).exit_code == 0
        db_session.expire_all()
    assert menu_links(browser) == own


def test_public_has_no_permission(app, db_session):
    public = db_session.query(Role).filter_by(name="Public").one()
    assert public.permissions == []


@pytest.mark.parametrize("username,path,allowed", [
    ("vanthu", "/documenttypeview/list/", True),
    ("vanthu", "/agencyview/list/", True),
    ("vanthu", "/users/list/", False),
    ("vanthu", "/roles/list/", False),
    ("quantri", "/users/list/", True),
    ("quantri", "/roles/list/", True),
    ("quantri", "/departmentview/list/", True),
    ("quantri", "/documenttypeview/list/", False),
    ("chuyenvien", "/documenttypeview/list/", False),
    ("chuyenvien", "/users/list/", False),
    ("lanhdao", "/documenttypeview/list/", False),
    ("lanhdao", "/users/list/", False),
    ("chuyenvien", "/users/userinfo/", True),
    ("lanhdao", "/resetmypassword/form", True),
    ("vanthu", "/incoming/register", True),
    ("chuyenvien", "/incoming/register", False),
    ("lanhdao", "/incoming/register", False),
    ("chuyenvien", "/incoming/list/list/", True),
    ("lanhdao", "/incoming/overdue", True),
    ("quantri", "/incoming/list/list/", False),
])
def test_what_each_role_reaches_on_the_web(login_as, username, path, allowed):
    client = login_as(username)
    response = client.get(path)
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        followed = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "Không có quyền truy cập" in followed


@pytest.mark.parametrize("username,allowed", [
    ("vanthu", True), ("quantri", False), ("chuyenvien", False), ("lanhdaovp", False)])
def test_catalog_api_write_is_the_clerks(client, api_as, username, allowed):
    response = client.post("/api/v1/field/", headers=api_as(username),
                           json={"code": f"X{username[:6]}", "name": f"Lĩnh vực thử {username}"})
    assert (response.status_code == 201) == allowed, response.get_data(as_text=True)
    if not allowed:
        assert response.status_code == 403


def test_every_demo_account_has_its_role(app, db_session):
    from app.org.models import EofficeUser

    for role, username in ACCOUNTS.items():
        user = db_session.query(EofficeUser).filter_by(username=username).one()
        assert [x.name for x in user.roles] == [role]
