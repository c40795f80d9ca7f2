"""Catalogs (danh mục): seeded with Decree 30 values, kept by the clerk in grids and over REST,
unique, and never deleted while in use."""
import re
import uuid

import pytest

from app.catalogs import models as m
from app.catalogs.seed import seed_catalogs
from tests.conftest import form_of


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def test_seeded_with_decree_30_values(app, db_session):
    types = {t.name: t.abbreviation for t in db_session.query(m.DocumentType)}
    assert types["Quyết định"] == "QĐ"
    assert types["Tờ trình"] == "TTr"
    assert types["Quy định"] == "QyĐ"
    assert types["Công văn"] is None  # công văn carry no type abbreviation
    assert types["Nghị định"] == "NĐ"
    assert [u.name for u in db_session.query(m.UrgencyLevel).order_by(m.UrgencyLevel.priority)] \
        == ["Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc"]
    assert [s.name for s in db_session.query(m.SecrecyLevel).order_by(m.SecrecyLevel.level)] \
        == ["Thường", "Mật", "Tối mật", "Tuyệt mật"]
    permanent = db_session.query(m.RetentionPeriod).filter_by(name="Vĩnh viễn").one()
    assert permanent.years is None
    province = db_session.query(m.Agency).filter_by(electronic_id="000.00.00.H30").one()
    assert province.name == "Ủy ban nhân dân tỉnh Hà Nam"
    directions = {(r.direction, r.is_secret) for r in db_session.query(m.Register)}
    assert {("in", False), ("in", True), ("out", False), ("out", True)} <= directions


def test_seeding_is_idempotent_and_keeps_the_clerks_changes(app, db_session):
    decision = db_session.query(m.DocumentType).filter_by(name="Quyết định").one()
    original = decision.sort_order
    decision.sort_order = 99
    db_session.commit()
    try:
        before = db_session.query(m.DocumentType).count()
        counts = seed_catalogs(db_session)
        db_session.commit()
        assert set(counts.values()) == {0}
        assert db_session.query(m.DocumentType).count() == before
        kept = db_session.query(m.DocumentType).filter_by(name="Quyết định").one()
        assert kept.sort_order == 99
    finally:  # the clerk's change undone: other tests read the grid as seeded
        decision = db_session.query(m.DocumentType).filter_by(name="Quyết định").one()
        decision.sort_order = original
        db_session.commit()


def test_clerk_adds_a_document_type_in_the_grid(login_as):
    client = login_as("vanthu")
    name = unique("Thông báo thử")
    page = client.get("/documenttypeview/add").get_data(as_text=True)
    response = client.post("/documenttypeview/add", data=form_of(
        page, name=name, abbreviation=f"T{uuid.uuid4().hex[:4]}", kind="1", sort_order="50",
        active="y"), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã thêm" in html
    listing = client.get("/documenttypeview/list/?psize_DocumentTypeView=100").get_data(
        as_text=True)
    assert name in listing


def test_duplicate_name_is_refused_next_to_the_field(login_as, db_session):
    client = login_as("vanthu")
    before = db_session.query(m.DocumentType).count()
    page = client.get("/documenttypeview/add").get_data(as_text=True)
    response = client.post("/documenttypeview/add", data=form_of(
        page, name="Quyết định", abbreviation="ZZ", kind="1", sort_order="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã tồn tại" in html or "Đã có một mục khác" in html
    db_session.expire_all()
    assert db_session.query(m.DocumentType).count() == before


def test_invalid_electronic_id_is_explained(login_as, db_session):
    client = login_as("vanthu")
    name = unique("Sở thử nghiệm")
    page = client.get("/agencyview/add").get_data(as_text=True)
    html = client.post("/agencyview/add", data=form_of(
        page, name=name, electronic_id="28.22.H17")).get_data(as_text=True)
    assert "Mã định danh điện tử phải có dạng 000.00.00.H30" in html
    assert db_session.query(m.Agency).filter_by(name=name).count() == 0


def test_deleting_a_field_in_use_is_refused_with_where(login_as, db_session):
    """'Cải cách hành chính' is the field of demo officers: deleting it must fail, clearly."""
    field = db_session.query(m.Field).filter_by(code="CCHC").one()
    client = login_as("vanthu")
    page = client.get("/fieldview/list/").get_data(as_text=True)
    html = client.post(f"/fieldview/delete/{field.id}", data=form_of(page),
                       follow_redirects=True).get_data(as_text=True)
    assert "Không thể xóa «Cải cách hành chính»" in html
    assert "người dùng phụ trách lĩnh vực" in html
    db_session.expire_all()
    assert db_session.get(m.Field, field.id) is not None


def test_deleting_an_unused_entry_works(login_as, db_session):
    room = m.MeetingRoom(name=unique("Phòng họp tạm"))
    db_session.add(room)
    db_session.commit()
    room_id = room.id
    client = login_as("vanthu")
    page = client.get("/meetingroomview/list/").get_data(as_text=True)
    html = client.post(f"/meetingroomview/delete/{room_id}", data=form_of(page),
                       follow_redirects=True).get_data(as_text=True)
    assert "Đã xóa" in html
    db_session.expire_all()
    assert db_session.get(m.MeetingRoom, room_id) is None


def test_grid_sorts_in_vietnamese_order(login_as, db_session):
    names = [f"{prefix} sắp xếp" for prefix in ("Đông", "Dung", "Zeta", "Ăn", "An")]
    for name in names:
        db_session.add(m.Field(code=uuid.uuid4().hex[:8], name=name))
    db_session.commit()
    client = login_as("vanthu")
    html = client.get("/fieldview/list/?_oc_FieldView=name&_od_FieldView=asc"
                      "&psize_FieldView=200").get_data(as_text=True)
    positions = [html.index(name) for name in ["An sắp xếp", "Ăn sắp xếp", "Dung sắp xếp",
                                               "Đông sắp xếp", "Zeta sắp xếp"]]
    assert positions == sorted(positions)


class TestRestApi:
    def test_list_and_show(self, client, api_as):
        headers = api_as("vanthu")
        response = client.get("/api/v1/document_type/?q=(page_size:100)", headers=headers)
        assert response.status_code == 200
        names = [row["name"] for row in response.get_json()["result"]]
        assert "Quyết định" in names

    def test_create_update_delete(self, client, api_as, db_session):
        headers = api_as("vanthu")
        name = unique("Cơ quan API")
        created = client.post("/api/v1/agency/", headers=headers,
                              json={"name": name, "electronic_id": "000.00.99.H30"})
        assert created.status_code == 201, created.get_data(as_text=True)
        pk = created.get_json()["id"]
        updated = client.put(f"/api/v1/agency/{pk}", headers=headers,
                             json={"short_name": "CQAPI"})
        assert updated.status_code == 200
        assert client.get(f"/api/v1/agency/{pk}", headers=headers).get_json()[
            "result"]["short_name"] == "CQAPI"
        assert client.delete(f"/api/v1/agency/{pk}", headers=headers).status_code == 200
        db_session.expire_all()
        assert db_session.get(m.Agency, pk) is None

    @pytest.mark.parametrize("payload,field,message", [
        ({"name": "Quyết định"}, "name", "Đã có một mục khác"),
    ])
    def test_duplicate_is_422_in_vietnamese(self, client, api_as, payload, field, message):
        response = client.post("/api/v1/document_type/", headers=api_as("vanthu"), json=payload)
        assert response.status_code == 422
        assert message in str(response.get_json()["message"][field])

    def test_bad_electronic_id_is_422_in_vietnamese(self, client, api_as):
        response = client.post("/api/v1/agency/", headers=api_as("vanthu"),
                               json={"name": unique("Cơ quan sai mã"), "electronic_id": "abc"})
        assert response.status_code == 422
        assert "000.00.00.H30" in str(response.get_json()["message"]["electronic_id"])

    def test_delete_in_use_is_422_with_where(self, client, api_as, db_session):
        field = db_session.query(m.Field).filter_by(code="TCCB").one()
        response = client.delete(f"/api/v1/field/{field.id}", headers=api_as("vanthu"))
        assert response.status_code == 422
        assert "Không thể xóa «Tổ chức cán bộ»" in response.get_json()["message"]


def test_grid_reads_naturally(login_as):
    """Yes/no as Có/Không, an empty value as nothing — not Python's True and None."""
    client = login_as("vanthu")
    html = client.get("/documenttypeview/list/?psize_DocumentTypeView=100").get_data(
        as_text=True)
    cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", html, re.S)]
    assert "Có" in cells
    assert "True" not in cells and "False" not in cells and "None" not in cells


def test_an_entry_can_be_switched_off_with_its_checkbox(login_as, db_session):
    room = m.MeetingRoom(name=unique("Phòng họp cũ"))
    db_session.add(room)
    db_session.commit()
    client = login_as("vanthu")
    page = client.get(f"/meetingroomview/edit/{room.id}").get_data(as_text=True)
    html = client.post(f"/meetingroomview/edit/{room.id}", data=form_of(
        page, name=room.name), follow_redirects=True).get_data(as_text=True)  # unticked
    assert "Đã cập nhật" in html
    db_session.expire_all()
    assert db_session.get(m.MeetingRoom, room.id).active is False


def test_delete_confirmation_dialog_is_vietnamese(login_as):
    html = login_as("vanthu").get("/fieldview/list/").get_data(as_text=True)
    assert ">Hủy</button>" in html and ">Đồng ý</a>" in html
    assert ">Cancel<" not in html


def test_grid_search_ignores_vietnamese_case(login_as, db_session):
    db_session.add(m.Agency(name="BAN QUẢN LÝ KHU CÔNG NGHIỆP ĐỒNG VĂN"))
    db_session.commit()
    client = login_as("vanthu")
    html = client.get("/agencyview/list/?_flt_2_name=đồng văn").get_data(as_text=True)
    assert "BAN QUẢN LÝ KHU CÔNG NGHIỆP ĐỒNG VĂN" in html


# ---------------------------------------------------------------- the search box (?q=)

def grid_cells(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return [c.strip() for c in re.findall(r"<td>(.*?)</td>", response.get_data(as_text=True),
                                          re.S)]


@pytest.mark.parametrize("typed", ["giay", "GIẤY", "giấy", "moi giay", "Giấy mời", "gm"])
def test_search_box_finds_without_accents_or_case(login_as, typed):
    client = login_as("vanthu")
    cells = grid_cells(client, f"/documenttypeview/list/?q={typed}&psize_DocumentTypeView=100")
    assert "Giấy mời" in cells, typed
    assert "Quyết định" not in cells  # only what holds every typed word


def test_search_box_is_contains_over_the_main_columns(login_as):
    client = login_as("vanthu")
    cells = grid_cells(client, "/agencyview/list/?q=noi vu&psize_AgencyView=100")
    assert "Bộ Nội vụ" in cells and "Sở Nội vụ tỉnh Hà Nam" in cells  # inside the name
    assert "Ủy ban nhân dân tỉnh Hà Nam" not in cells
    by_code = grid_cells(client, "/agencyview/list/?q=000.00.00.h30&psize_AgencyView=100")
    assert "Ủy ban nhân dân tỉnh Hà Nam" in by_code  # the electronic ID, any case
    fields = grid_cells(client, "/fieldview/list/?q=cchc&psize_FieldView=100")
    assert "Cải cách hành chính" in fields and "Tổ chức cán bộ" not in fields


@pytest.mark.parametrize("typed", ["50%", "%", "_", "5_%"])
def test_percent_and_underscore_are_taken_literally(login_as, db_session, typed):
    marker = uuid.uuid4().hex[:6]
    literal, other = f"Phòng họp 50% tầng {marker}", f"Phòng họp 500 chỗ {marker}"
    db_session.add_all([m.MeetingRoom(name=literal), m.MeetingRoom(name=other)])
    db_session.commit()
    client = login_as("vanthu")
    cells = grid_cells(client, f"/meetingroomview/list/?q={typed.replace('%', '%25')}"
                               "&psize_MeetingRoomView=100")
    assert other not in cells, typed  # never a wildcard
    assert (literal in cells) == (typed in ("50%", "%")), typed
    # FAB's filters (for experts) too: "Chứa", "Bắt đầu bằng"
    for flt in ("_flt_2_name", "_flt_0_name"):
        cells = grid_cells(client, f"/meetingroomview/list/?{flt}={typed.replace('%', '%25')}"
                                   "&psize_MeetingRoomView=100")
        assert other not in cells, (flt, typed)


def test_every_catalog_grid_has_the_search_box(login_as):
    from app.catalogs.views import CATALOGS

    client = login_as("vanthu")
    for _name, _label, _icon, view, _api in CATALOGS:
        html = client.get(f"/{view.__name__.lower()}/list/?q=zzzz-khong-co").get_data(
            as_text=True)
        assert 'name="q" value="zzzz-khong-co"' in html, view.__name__
        assert "Lọc theo điều kiện" in html and "Bỏ tìm kiếm" in html
        assert "<b>Không có dữ liệu</b>" in html, view.__name__  # nothing holds it


def test_paging_keeps_the_search(login_as, db_session):
    marker = uuid.uuid4().hex[:6]
    db_session.add_all([m.MeetingRoom(name=f"Phòng trang {marker} {i:02}") for i in range(30)])
    db_session.commit()
    client = login_as("vanthu")
    html = client.get(f"/meetingroomview/list/?q=PHONG TRANG {marker}").get_data(as_text=True)
    assert len(re.findall(f"Phòng trang {marker}", html)) == 25
    second = re.search(r'href="([^"]*page_MeetingRoomView=1[^"]*)"', html).group(1)
    assert "q=PHONG" in second  # the next page searches the same
    rest = client.get(second.replace("&amp;", "&")).get_data(as_text=True)
    assert len(re.findall(f"Phòng trang {marker}", rest)) == 5


def test_rest_filters_take_percent_literally(client, api_as, db_session):
    marker = uuid.uuid4().hex[:6]
    db_session.add_all([m.MeetingRoom(name=f"Phòng 50% {marker}"),
                        m.MeetingRoom(name=f"Phòng 500 {marker}")])
    db_session.commit()
    response = client.get("/api/v1/meeting_room/?q=(filters:!((col:name,opr:ct,value:'50%25'))"
                          ",page_size:100)", headers=api_as("vanthu"))
    names = [row["name"] for row in response.get_json()["result"]]
    assert f"Phòng 50% {marker}" in names and f"Phòng 500 {marker}" not in names
