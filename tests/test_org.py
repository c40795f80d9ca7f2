"""Organisation: departments as a tree, positions, and the user profile in the security panel."""
from app.catalogs.models import Field
from app.org.models import Department, EofficeUser, Position
from tests.conftest import form_of


def test_demo_agency_is_a_tree_of_units(app, db_session):
    agency = db_session.query(Department).filter_by(parent_id=None).one()
    assert agency.name == "Sở Nội vụ tỉnh Hà Nam"
    assert len(agency.children) >= 5
    assert db_session.query(EofficeUser).count() >= 20


def test_admin_edits_a_profile_in_the_security_panel(login_as, db_session):
    user = db_session.query(EofficeUser).filter_by(username="cv.xdcq").one()
    unit = db_session.query(Department).filter_by(code="TTr").one()
    position = db_session.query(Position).filter_by(name="Chuyên viên").one()
    fields = db_session.query(Field).filter(Field.code.in_(["TTKN", "TP"])).all()
    client = login_as("quantri")
    page = client.get(f"/users/edit/{user.id}").get_data(as_text=True)
    for label in ("Đơn vị", "Chức vụ", "Lĩnh vực phụ trách", "Điện thoại"):
        assert label in page
    response = client.post(f"/users/edit/{user.id}", data=form_of(
        page, first_name=user.first_name, last_name=user.last_name, username=user.username,
        email=user.email, active="y", roles=[str(role.id) for role in user.roles],
        department=str(unit.id), position=str(position.id),
        fields=[str(f.id) for f in fields], phone="0226 3852 701"), follow_redirects=True)
    assert "Đã cập nhật" in response.get_data(as_text=True)
    db_session.expire_all()
    user = db_session.get(EofficeUser, user.id)
    assert user.department.code == "TTr" and user.phone == "0226 3852 701"
    assert sorted(f.code for f in user.fields) == ["TP", "TTKN"]
    shown = client.get(f"/users/show/{user.id}").get_data(as_text=True)
    assert "Thanh tra Sở" in shown and "Tư pháp" in shown


def test_a_unit_with_people_cannot_be_deleted(login_as, db_session):
    unit = db_session.query(Department).filter_by(code="CCHC").one()
    client = login_as("quantri")
    page = client.get("/departmentview/list/").get_data(as_text=True)
    html = client.post(f"/departmentview/delete/{unit.id}", data=form_of(page),
                       follow_redirects=True).get_data(as_text=True)
    assert "Không thể xóa «Phòng Cải cách hành chính»" in html and "người dùng" in html
    assert db_session.get(Department, unit.id) is not None


def test_users_see_their_own_profile(login_as):
    html = login_as("chuyenvien").get("/users/userinfo/").get_data(as_text=True)
    assert "Hoàng Thị" in html and "Phòng Cải cách hành chính" in html


def test_the_public_role_is_not_offered_to_people(login_as, db_session):
    user = db_session.query(EofficeUser).filter_by(username="cv.tcbc1").one()
    html = login_as("quantri").get(f"/users/edit/{user.id}").get_data(as_text=True)
    roles_select = html[html.index('name="roles"'):]
    roles_select = roles_select[:roles_select.index("</select>")]
    assert "Văn thư" in roles_select and "Public" not in roles_select


def test_admin_renames_a_unit_and_its_people_stay_in_it(login_as, db_session):
    """Renaming a unit (its name and code, nothing about who is in it) is saved; it moves no
    one, so the dashboards' counts of its people are not counted again — only what a kept
    page shows of the units moves (the overdue page is ordered by their names)."""
    from app.stats import stamps

    def people_stamps():
        versions = stamps.versions(db_session, (stamps.PEOPLE,), [])
        return ({key: value for key, value in versions.items() if key[1] != stamps.SHOWN},
                versions.get((stamps.PEOPLE, stamps.SHOWN), 0))

    unit = db_session.query(Department).filter_by(code="TTr").one()
    name, code = unit.name, unit.code
    people, shown = people_stamps()
    client = login_as("quantri")
    page = client.get(f"/departmentview/edit/{unit.id}").get_data(as_text=True)
    try:
        response = client.post(f"/departmentview/edit/{unit.id}", data=form_of(
            page, name="Thanh tra Sở Nội vụ", code="TTRA", parent=str(unit.parent_id),
            sort_order=str(unit.sort_order), active="y"), follow_redirects=True)
        assert response.status_code == 200
        assert "Đã cập nhật" in response.get_data(as_text=True)
        db_session.expire_all()
        assert db_session.get(Department, unit.id).name == "Thanh tra Sở Nội vụ"
        assert people_stamps() == (people, shown + 1)
    finally:
        unit = db_session.get(Department, unit.id)
        unit.name, unit.code = name, code
        db_session.commit()
