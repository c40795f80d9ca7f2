"""The roles' permissions are kept per process under a version the database raises
(app.security.models.PermissionStamp, migration 0035): a page reads no permission rows while
nothing changed, and any change of them — the matrix, FAB's role page, SQL — takes effect at
the next request, in every worker alike."""
import uuid

import sqlalchemy as sa

from app.security import roles as r
from tests.conftest import login
from tests.test_functions import make_role, new_person, tick


def stamp(db_session) -> int:
    db_session.rollback()  # a fresh read
    return db_session.scalar(sa.text("SELECT version FROM permission_stamp WHERE id = 1"))


def permission_rows(statements):
    return [s for s in statements if "ab_permission_view" in s]


def test_a_page_reads_no_permissions_while_they_stay_as_they_are(login_as, statements):
    """The officer's grid at a version already read: the permissions are not read again,
    only their version (one row)."""
    client = login_as("chuyenvien")
    client.get("/incoming/list/list/")
    statements.clear()
    assert client.get("/incoming/list/list/").status_code == 200
    assert permission_rows(statements) == []
    assert sum("FROM permission_stamp" in s for s in statements) == 1


def test_a_rest_call_reads_neither_the_public_roles_permissions_nor_the_callers(
        client, api_as, statements):
    headers = api_as("chuyenvien")
    assert client.get("/api/v1/incoming/?page_size=1", headers=headers).status_code == 200
    statements.clear()
    assert client.get("/api/v1/incoming/?page_size=1", headers=headers).status_code == 200
    assert permission_rows(statements) == []


def test_the_triggers_raise_the_version_on_every_change_of_the_permissions(db_session):
    """Whatever makes the change — here plain SQL, as a script or another tool would."""
    role = db_session.scalar(sa.text("SELECT id FROM ab_role WHERE name = :n"), {"n": r.OFFICER})
    link = db_session.execute(sa.text(
        "SELECT id, permission_view_id FROM ab_permission_view_role WHERE role_id = :r "
        "ORDER BY id LIMIT 1"), {"r": role}).one()
    before = stamp(db_session)
    db_session.execute(sa.text("DELETE FROM ab_permission_view_role WHERE id = :i"),
                       {"i": link.id})
    db_session.commit()
    removed = stamp(db_session)
    db_session.execute(sa.text(
        "INSERT INTO ab_permission_view_role (permission_view_id, role_id) VALUES (:p, :r)"),
        {"p": link.permission_view_id, "r": role})
    db_session.commit()
    restored = stamp(db_session)
    db_session.execute(sa.text("UPDATE ab_role SET name = name WHERE id = :r"), {"r": role})
    db_session.commit()
    assert before < removed < restored < stamp(db_session)


def test_a_change_in_the_matrix_holds_at_the_next_request(app, client, login_as, db_session):
    """A person of a custom role, whose permissions this process has read, gets the role's
    new function at the next request, and loses it again."""
    admin = login_as("quantri")
    name = f"Đọc tin {uuid.uuid4().hex[:6]}"
    role_id, html = make_role(admin, name)
    tick(admin, role_id, {"own.account"}, html)
    username = f"pv{uuid.uuid4().hex[:6]}"
    new_person(app, username, [name])
    reader = app.test_client()
    login(reader, username)
    assert reader.get("/news/").status_code == 403  # read and kept

    tick(login_as("quantri"), role_id, {"own.account", "news.read"})
    assert reader.get("/news/").status_code == 200
    tick(login_as("quantri"), role_id, {"own.account"})
    assert reader.get("/news/").status_code == 403


def test_a_change_in_sql_holds_at_the_next_request(app, login_as, db_session):
    """Taking a permission from the officers' role outside the application: the officer's
    next page is refused, and allowed again once it is given back."""
    client = login_as("chuyenvien")
    assert client.get("/schedule/week").status_code == 200
    role = db_session.scalar(sa.text("SELECT id FROM ab_role WHERE name = :n"), {"n": r.OFFICER})
    reads = db_session.execute(sa.text(
        "SELECT l.id, l.permission_view_id FROM ab_permission_view_role l "
        "JOIN ab_permission_view pv ON pv.id = l.permission_view_id "
        "JOIN ab_view_menu v ON v.id = pv.view_menu_id "
        "JOIN ab_permission p ON p.id = pv.permission_id "
        "WHERE l.role_id = :r AND v.name = 'Schedule' AND p.name = 'can_read'"),
        {"r": role}).all()
    assert len(reads) == 1, "the officer's role reads the week's schedule (roles.py)"
    try:
        db_session.execute(sa.text("DELETE FROM ab_permission_view_role WHERE id = :i"),
                           {"i": reads[0].id})
        db_session.commit()
        assert client.get("/schedule/week").status_code == 403
    finally:
        db_session.execute(sa.text(
            "INSERT INTO ab_permission_view_role (permission_view_id, role_id) "
            "VALUES (:p, :r)"), {"p": reads[0].permission_view_id, "r": role})
        db_session.commit()
    assert client.get("/schedule/week").status_code == 200
