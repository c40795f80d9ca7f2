"""The audit trail reads as the screens do: object types and fields in Vietnamese, states by
their names, times in Vietnam time, related records by name, role changes as exact additions
and removals; the filters, the accent-insensitive search and the export; a record's change
log never shows the lines of a deleted record whose id it got."""
import io
import json
import re
import uuid

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.audit.models import AuditEvent
from tests.conftest import DEMO_PASSWORD, form_of

RAW_TYPES = ("ab_user", "ab_role", "incoming_assignment", "incoming_document",
             "outgoing_document", "document_file", "dossier_event")
OBJECT_REPR = re.compile(r"object at 0x")


def grid_rows(html):
    """The page's text as read (no tags, scripts or dropdowns, whose option values are the
    raw keys the filters send)."""
    body = html[html.index("<body"):]
    body = re.sub(r"<(script|style|select)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def new_person(app):
    username = f"tk.{uuid.uuid4().hex[:6]}"
    with app.app_context():
        sm = app.appbuilder.sm
        sm.add_user(username=username, first_name="Thử", last_name="Nguyễn Văn",
                    email=f"{username}@example.vn", role=sm.find_role("Chuyên viên"),
                    password=DEMO_PASSWORD + "x")
    return username


def lines(db_session, object_type, object_id):
    db_session.expire_all()
    return db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id)).all()


# ---------------------------------------------------------------- labels

def test_every_audited_field_has_a_vietnamese_label(app):
    """A new column or relationship of an audited table without a label fails here: give it
    one in a view's label_columns, in its column's info={"label": …} or in app.audit.labels."""
    from flask_appbuilder import Model

    from app.audit import labels
    from app.audit.services import NOISE_FIELDS, NOT_AUDITED, SECRET_FIELDS

    missing, types = [], []
    with app.app_context():
        for mapper in Model.registry.mappers:
            table = mapper.local_table.name
            if table in NOT_AUDITED:
                continue
            if labels.type_label(table) == table:
                types.append(table)
            for attribute in mapper.attrs:
                key = attribute.key
                if key in NOISE_FIELDS or key in SECRET_FIELDS:
                    continue
                label = labels.field_label(table, key)
                if not labels.has_label(table, key) or label == key or \
                        labels._fab_made_up(key, label):
                    missing.append(f"{table}.{key}")
        for table in ("ab_user_role", "user_field", "backup", "audit_event"):
            if labels.type_label(table) == table:
                types.append(table)
    assert not missing, f"fields without a Vietnamese label: {sorted(set(missing))}"
    assert not types, f"object types without a Vietnamese label: {types}"


def test_values_read_as_on_screen(app):
    from app.audit import labels

    with app.test_request_context():
        values = labels._registry()["values"]
        assert not [key for key in labels.VALUE_DICTS if key not in values]  # a dict renamed
        text = labels.changes_text("incoming_document", json.dumps({
            "state": ["registered", "submitted"],
            "completed_at": [None, "2026-12-02T05:57:22.396397"],
            "document_date": ["2026-11-30", "2026-12-01"], "urgent": [False, True]}))
        assert "Trạng thái: Đã vào sổ → " in text and "registered" not in text
        assert "(trống) → 02/12/2026 12:57" in text  # UTC 05:57 is 12:57 in Vietnam
        assert "30/11/2026 → 01/12/2026" in text
        assert labels.value_text("x", "urgent", True) == "Có"
        assert labels.changes_text("ab_user", json.dumps(
            {"roles": {"added": ["Văn thư"], "removed": ["Chuyên viên"]}})) == \
            "Vai trò: thêm: Văn thư; bỏ: Chuyên viên"


def test_a_record_without_its_own_wording_is_named_by_type_and_id(app, db_session):
    """DossierEvent has no __str__: its lines say "Lịch sử hồ sơ #n", never an object repr;
    old lines stored with a repr are shown the same way."""
    from app.audit import labels

    with app.test_request_context():
        row = AuditEvent(object_type="dossier_event", object_id="12",
                         summary="<app.dossiers.models.DossierEvent object at 0x7f56aa>")
        assert labels.summary_text(row) == "Lịch sử hồ sơ #12"
    found = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.summary.like("%object at 0x%")))
    assert found == 0


# ---------------------------------------------------------------- roles: exact changes

def test_a_role_added_through_the_form_is_recorded_exactly(app, login_as, db_session):
    from app.org.models import EofficeUser

    username = new_person(app)
    target = db_session.scalar(sa.select(EofficeUser).where(EofficeUser.username == username))
    clerk = db_session.scalar(sa.text("select id from ab_role where name = 'Văn thư'"))
    officer = db_session.scalar(sa.text("select id from ab_role where name = 'Chuyên viên'"))
    admin = login_as("quantri")
    page = admin.get(f"/users/edit/{target.id}").get_data(as_text=True)
    response = admin.post(f"/users/edit/{target.id}", data=form_of(
        page, first_name=target.first_name, last_name=target.last_name, username=username,
        email=target.email, active="y", roles=[str(officer), str(clerk)]),
        follow_redirects=True)
    assert response.status_code == 200
    updates = [e for e in lines(db_session, "ab_user", target.id)
               if e.action == "update" and e.changes and "roles" in json.loads(e.changes)]
    assert updates, "the role change is not in the trail"
    assert json.loads(updates[-1].changes)["roles"] == {"added": ["Văn thư"], "removed": []}
    shown = admin.get(f"/audit/show/{updates[-1].id}").get_data(as_text=True)
    assert "Vai trò: thêm: Văn thư" in shown
    assert "bỏ: Chuyên viên" not in shown and "roles" not in grid_rows(shown)


# ---------------------------------------------------------------- the grid and a line

def test_grid_and_line_page_read_in_words(app, login_as, db_session):
    admin = login_as("quantri")
    html = admin.get("/audit/list/?psize_AuditView=100").get_data(as_text=True)
    assert "Nhật ký hệ thống" in html
    rows = grid_rows(html)
    assert not OBJECT_REPR.search(rows)
    for raw in RAW_TYPES:
        assert f" {raw} " not in rows, raw
    assert "Đăng nhập" in rows
    for code in ("registered", "submitted", "in_progress"):
        assert code not in rows
    # a line with changes: labels, named states, Vietnam time
    line = db_session.scalar(sa.select(AuditEvent).where(
        AuditEvent.object_type == "incoming_document", AuditEvent.action == "update",
        AuditEvent.changes.like('%"state"%')).order_by(AuditEvent.id.desc()).limit(1))
    if line is not None:
        page = grid_rows(admin.get(f"/audit/show/{line.id}").get_data(as_text=True))
        assert "Văn bản đến" in page and "Trạng thái:" in page
        assert "incoming_document" not in page
        for code in ("registered", "submitted", "in_progress", "pending"):
            assert f" {code} " not in page and f"{code} →" not in page
    from app.core.timefmt import format_datetime

    newest = db_session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    page = admin.get(f"/audit/show/{newest.id}").get_data(as_text=True)
    assert format_datetime(newest.at) in page  # Vietnam time


def test_related_records_are_named(app, login_as, db_session):
    """A foreign-key id in the changes is shown as the record's name (one query per table)."""
    from app.audit import labels
    from app.org.models import Department

    unit = db_session.scalars(sa.select(Department).order_by(Department.id)).first()
    with app.test_request_context():
        row = AuditEvent(object_type="ab_user", object_id="1",
                         changes=json.dumps({"department_id": [None, unit.id]}))
        names = labels.related_names(db_session, [row])
        assert names[("department", unit.id)] == unit.name
        assert labels.changes_text("ab_user", row.changes, names) == \
            f"Đơn vị: (trống) → {unit.name}"


def _grid(admin, **args):
    from urllib.parse import urlencode

    return grid_rows(admin.get("/audit/list/?" + urlencode(args)).get_data(as_text=True))


def test_filters_and_folded_search(app, login_as, db_session):
    from app.extensions import db

    marker = f"Kiểm tra nhật ký {uuid.uuid4().hex[:6]}"
    with app.test_request_context():
        from app.audit.services import record

        record(db.session, "unlocked", object_type="ab_user", object_id=1, summary=marker,
               actor_name="nguoithu.audit")
        record(db.session, "download", object_type="backup", object_id=1,
               summary=marker + " tải", actor_name="nguoikhac.audit")
        db.session.commit()
    admin = login_as("quantri")
    assert marker in _grid(admin, q=marker)
    folded = marker.replace("Kiểm tra nhật ký", "kiem tra NHAT KY")
    assert marker in _grid(admin, q=folded)  # accent- and case-insensitive
    assert marker in _grid(admin, q="mo khoa " + marker.split()[-1])  # the action's words
    assert "Người dùng" in _grid(admin, q="nguoi dung " + marker.split()[-1])
    assert marker not in _grid(admin, q="khongcodau " + marker.split()[-1])
    # person
    by_person = _grid(admin, q=marker.split()[-1], actor="nguoithu.audit")
    assert marker in by_person and marker + " tải" not in by_person
    # object type
    by_type = _grid(admin, q=marker.split()[-1], type="backup")
    assert marker + " tải" in by_type and "Bản sao lưu" in by_type
    assert "Mở khóa tài khoản" not in by_type
    # action
    by_action = _grid(admin, q=marker.split()[-1], action="unlocked")
    assert "Mở khóa tài khoản" in by_action and marker + " tải" not in by_action
    # period (dd/mm/yyyy, Vietnam days)
    from app.core.timefmt import today_local

    today = today_local().strftime("%d/%m/%Y")
    assert marker in _grid(admin, q=marker.split()[-1], **{"from": today, "to": today})
    assert marker not in _grid(admin, q=marker.split()[-1], **{"from": "01/01/2020",
                                                             "to": "31/12/2020"})
    # the dropdowns speak Vietnamese
    html = admin.get("/audit/list/").get_data(as_text=True)
    assert '<option value="incoming_assignment" >Phân công xử lý</option>' in html or \
        re.search(r'value="incoming_assignment"[^>]*>\s*Phân công xử lý<', html)
    assert re.search(r'value="unlocked"[^>]*>\s*Mở khóa tài khoản<', html)


def test_export_is_readable(app, login_as):
    admin = login_as("quantri")
    response = admin.get("/audit/export?psize_AuditView=25")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    cells = " | ".join(str(c.value) for sheet in book for row in sheet.iter_rows()
                       for c in row if c.value is not None)
    assert "Đăng nhập" in cells and "Người dùng" in cells
    assert not OBJECT_REPR.search(cells)
    assert not re.search(r"\bab_user\b|\bincoming_assignment\b", cells)


def test_the_export_reads_the_trail_a_chunk_at_a_time(app, login_as, db_session, monkeypatch):
    """The export reads the filtered trail a chunk at a time (a decade's trail is never held
    whole): across the chunks' edges every line is there once, newest first, each body cell
    framed like the others, the dates as dates."""
    from app.audit import views

    monkeypatch.setattr(views, "EXPORT_CHUNK", 7)
    admin = login_as("quantri")
    wanted = list(db_session.scalars(sa.select(AuditEvent.object_id).where(
        AuditEvent.object_type == "ab_user").order_by(AuditEvent.id.desc())))
    assert len(wanted) > 3 * 7  # several chunks
    response = admin.get("/audit/export?_flt_3_object_type=ab_user")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows())
    header = next(i for i, row in enumerate(rows) if row[0].value == "Thời gian")
    body = rows[header + 1:]
    assert [row[5].value for row in body] == wanted
    assert {row[4].value for row in body} == {"Người dùng"}
    assert all(cell.border.left.style == "thin" for row in body for cell in row)
    assert all(row[0].number_format == "dd/mm/yyyy hh:mm" for row in body)


# ---------------------------------------------------------------- ids reused (SQLite)

def test_a_change_log_never_shows_a_deleted_record_that_had_its_id(app, db_session):
    """SQLite gives the largest id again after a delete: the new record's log starts after the
    old record's "delete" line."""
    from flask import g
    from flask_login import login_user

    from app.audit.views import audit_of
    from app.catalogs.models import Agency
    from app.extensions import db
    from app.org.models import EofficeUser

    with app.test_request_context():
        admin = db.session.scalar(sa.select(EofficeUser).where(EofficeUser.username == "quantri"))
        login_user(admin)
        g.user = admin
        first = Agency(name=f"Cơ quan thử xóa {uuid.uuid4().hex[:6]}")
        db.session.add(first)
        db.session.commit()
        old_id, old_name = first.id, first.name
        db.session.delete(first)
        db.session.commit()
        second = Agency(name=f"Cơ quan thử mới {uuid.uuid4().hex[:6]}")
        db.session.add(second)
        db.session.commit()
        trail = audit_of(db.session, "agency", second.id)
        texts = " ".join(f"{e.action} {e.summary}" for e in trail)
        assert second.name in texts and old_name not in texts
        assert [e.action for e in trail] == ["create"]
        if db.engine.dialect.name == "sqlite":
            assert second.id == old_id  # reused: the log still keeps them apart
        db.session.delete(second)
        db.session.commit()


@pytest.mark.parametrize("path", ["/audit/list/", "/audit/export"])
def test_the_trail_is_not_for_everyone(login_as, path):
    assert login_as("chuyenvien").get(path).status_code == 403
