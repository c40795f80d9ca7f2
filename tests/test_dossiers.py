"""Work dossiers (hồ sơ công việc): the plan, opening, filing documents, the table of
contents, closing / handing over / reopening, the merged PDF, overdue, visibility on every
path, the REST API and the demo data — as the people of each role would act."""
import io
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.core.timefmt import format_date, today_local
from app.dossiers import access, services, workflow
from app.dossiers.demo import DOSSIERS, PLAN, create_dossier_demo
from app.dossiers.models import (
    CLOSED, HANDED_OVER, OPEN, Dossier, DossierEvent, DossierItem, DossierPlanItem,
)
from tests.conftest import form_of
from tests.dossier_helpers import (
    abbreviation, act, code, docx, field_id, link, new_dossier, pdf, png, register_incoming,
    retention_id, user, visible_incoming_docs,
)


def count_dossiers(session):
    session.expire_all()
    return session.scalar(select(func.count(Dossier.id)))


def reload(session, dossier_id):
    session.expire_all()
    return session.get(Dossier, dossier_id)


def compact(text):
    """PDF text without the line breaks that narrow table columns put in."""
    return "".join(text.split())


def page(client, path):
    return client.get(path).get_data(as_text=True)


# ---------------------------------------------------------------- the demo data (first: it
# expects no dossier made by the other tests)

def test_demo_creates_the_plan_and_dossiers_idempotently(app, db_session):
    with app.app_context():
        create_dossier_demo(app)
        again = create_dossier_demo(app)
    assert again == {}
    year = today_local().year
    plan = list(db_session.scalars(select(DossierPlanItem).where(
        DossierPlanItem.year == year, DossierPlanItem.code.in_([p[0] for p in PLAN]))))
    assert 8 <= len(plan) <= 12
    assert any(p.title == f"Hồ sơ tuyển dụng công chức năm {year}" and p.code == "01.TCCB"
               for p in plan)
    codes = [d[1] or d[2][0] for d in DOSSIERS]
    dossiers = list(db_session.scalars(select(Dossier).where(Dossier.year == year,
                                                             Dossier.code.in_(codes))))
    assert len(dossiers) == len(DOSSIERS) >= 14
    assert sum(services.is_overdue(d) for d in dossiers) == 2
    statuses = {d.status for d in dossiers}
    assert {OPEN, CLOSED, HANDED_OVER} <= statuses
    for dossier in dossiers:
        incoming = [i for i in dossier.items if i.kind == "incoming"]
        assert 2 <= len(incoming) <= 6, dossier.code
        # every filed document is one its owner may see
        seen = access.visible_document_ids(db_session, dossier.owner, "incoming",
                                           [i.incoming_id for i in incoming])
        assert seen == {i.incoming_id for i in incoming}
    owners = {d.owner.username for d in dossiers}
    assert {"chuyenvien", "cv.tcbc1", "truongphong"} <= owners
    assert count_dossiers(db_session) >= len(DOSSIERS)


# ---------------------------------------------------------------- the plan (office)

def test_office_keeps_the_plan_and_officers_read_it(app, login_as, db_session):
    abbr = abbreviation()
    client = login_as("vanthu")
    add_page = page(client, "/dossierplan/add")
    year = today_local().year
    response = client.post("/dossierplan/add", data=form_of(
        add_page, year=str(year), code=f"3.{abbr.lower()}", heading="I. Tổ chức, cán bộ",
        title="Hồ sơ thi tuyển chức danh lãnh đạo",
        retention=str(retention_id(db_session, "20 năm"))), follow_redirects=True)
    assert response.status_code == 200
    item = db_session.scalar(select(DossierPlanItem).where(
        DossierPlanItem.code == f"03.{abbr}"))
    assert item is not None and item.year == year  # stored in its normal form
    # the same number and symbol twice in one year: refused, in Vietnamese
    again = client.post("/dossierplan/add", data=form_of(
        add_page, year=str(year), code=f"03.{abbr}", title="Hồ sơ khác",
        retention=str(retention_id(db_session))), follow_redirects=True)
    assert "Đã có một mục khác" in again.get_data(as_text=True)
    bad = client.post("/dossierplan/add", data=form_of(
        add_page, year=str(year), code="TCCB 01", title="Hồ sơ sai số",
        retention=str(retention_id(db_session))), follow_redirects=True)
    assert "ví dụ 01.TCCB" in bad.get_data(as_text=True)
    assert db_session.scalar(select(func.count(DossierPlanItem.id)).where(
        DossierPlanItem.title == "Hồ sơ sai số")) == 0

    officer = login_as("chuyenvien")
    listing = page(officer, "/dossierplan/list/")
    assert f"03.{abbr}" in listing and "Mở hồ sơ" in listing
    assert officer.get("/dossierplan/add").status_code == 403
    assert login_as("lanhdaovp").get("/dossierplan/add").status_code == 200
    assert login_as("quantri").get("/dossierplan/list/").status_code == 403


def test_opening_from_the_plan_fills_number_title_retention(app, login_as, db_session):
    abbr = abbreviation()
    plan = DossierPlanItem(year=today_local().year, code=f"01.{abbr}",
                           title="Hồ sơ tuyển dụng viên chức năm nay",
                           retention_id=retention_id(db_session, "70 năm"))
    db_session.add(plan)
    db_session.commit()
    client = login_as("chuyenvien")
    form = page(client, f"/dossiers/new?plan_item_id={plan.id}")
    assert f"01.{abbr}" in form and "Hồ sơ tuyển dụng viên chức năm nay" in form
    start = today_local() - timedelta(days=3)
    response = client.post("/dossiers/new", data=form_of(
        form, plan_item_id=str(plan.id), start_date=start.strftime("%d/%m/%Y"),
        field_id=str(field_id(db_session, "TCCB"))), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"Đã mở hồ sơ 01.{abbr}." in html
    dossier = db_session.scalar(select(Dossier).where(Dossier.plan_item_id == plan.id))
    assert dossier.title == "Hồ sơ tuyển dụng viên chức năm nay"
    assert dossier.retention.name == "70 năm" and dossier.status == OPEN
    assert dossier.owner.username == "chuyenvien" and dossier.department.code == "CCHC"
    assert format_date(start) in html
    # the same plan line cannot be opened twice
    again = client.post("/dossiers/new", data=form_of(
        form, plan_item_id=str(plan.id), start_date=start.strftime("%d/%m/%Y")))
    assert again.status_code == 422
    assert "đã được mở" in again.get_data(as_text=True)


def test_opening_outside_the_plan_and_its_rules(app, login_as, db_session):
    client = login_as("chuyenvien")
    form = page(client, "/dossiers/new")
    before = count_dossiers(db_session)
    abbr = abbreviation()
    good = {"code": f"1.{abbr}", "title": "Hồ sơ hội nghị tập huấn cải cách hành chính",
            "retention_id": str(retention_id(db_session)),
            "field_id": str(field_id(db_session, "CCHC")),
            "start_date": (today_local() - timedelta(days=1)).strftime("%d/%m/%Y")}
    response = client.post("/dossiers/new", data=form_of(form, **good), follow_redirects=True)
    assert f"Đã mở hồ sơ 01.{abbr}." in response.get_data(as_text=True)
    assert count_dossiers(db_session) == before + 1

    def refused(**changes):
        result = client.post("/dossiers/new", data=form_of(form, **{**good, **changes}))
        assert result.status_code == 422
        return result.get_data(as_text=True)

    assert f"Số, ký hiệu hồ sơ 01.{abbr} đã được dùng trong năm" in refused()
    assert "ví dụ 01.TCCB" in refused(code="TCCB-01")
    html = refused(code=code(), start_date="31/02/2026", title="")
    assert "Ngày phải có dạng dd/mm/yyyy" in html and "Nhập tiêu đề hồ sơ." in html
    assert "tối đa 500 ký tự" in refused(code=code(), title="x" * 501)
    assert "Chọn thời hạn bảo quản." in refused(code=code(), retention_id="")
    assert "Hạn hoàn thành không thể trước ngày bắt đầu." in refused(
        code=code(), deadline=(today_local() - timedelta(days=30)).strftime("%d/%m/%Y"))
    assert "chính mình hoặc cho người của đơn vị" in refused(
        code=code(), owner_id=str(user(db_session, "cv.tcbc1").id))
    assert count_dossiers(db_session) == before + 1  # nothing half saved

    # number left empty: the next one for the heading abbreviation
    response = client.post("/dossiers/new", data=form_of(
        form, **{**good, "code": "", "abbreviation": abbr}), follow_redirects=True)
    assert f"Đã mở hồ sơ 02.{abbr}." in response.get_data(as_text=True)


def test_a_planned_number_is_reserved_for_its_plan_line(app, db_session):
    abbr = abbreviation()
    db_session.add(DossierPlanItem(year=today_local().year, code=f"05.{abbr}",
                                   title="Hồ sơ theo danh mục",
                                   retention_id=retention_id(db_session)))
    db_session.commit()
    with pytest.raises(services.FormErrors) as error:
        new_dossier(app, db_session, code=f"5.{abbr}")
    assert "đã có trong danh mục hồ sơ" in str(error.value.errors["code"][0])
    db_session.rollback()


def test_unit_leader_opens_for_a_person_of_the_unit(app, db_session):
    dossier = new_dossier(app, db_session, "truongphong",
                          owner_id=user(db_session, "cv.cchc").id)
    assert dossier.owner.username == "cv.cchc" and dossier.department.code == "CCHC"
    with pytest.raises(services.FormErrors):
        new_dossier(app, db_session, "truongphong", owner_id=user(db_session, "cv.tcbc1").id)
    db_session.rollback()


# ---------------------------------------------------------------- filing documents

def test_link_unlink_and_table_of_contents(app, login_as, db_session):
    dossier = new_dossier(app, db_session)
    first, second = visible_incoming_docs(db_session, "chuyenvien", 2)
    client = login_as("chuyenvien")
    html = page(client, f"/dossiers/{dossier.id}")
    for document, sheets in ((first, "01-02"), (second, "03")):
        response = client.post(f"/dossiers/{dossier.id}/items", data=form_of(
            html, kind="incoming", document_id=str(document.id), sheets=sheets),
            follow_redirects=True)
        assert "Đã thêm văn bản vào hồ sơ." in response.get_data(as_text=True)
    html = page(client, f"/dossiers/{dossier.id}")
    toc = html[html.index("dossier-toc"):html.index("link-documents")]
    for header in ("STT", "Số, ký hiệu", "Ngày tháng", "Tên loại và trích yếu nội dung",
                   "Tác giả", "Tờ số", "Ghi chú"):
        assert header in toc
    assert toc.index(first.number_symbol) < toc.index(second.number_symbol)
    assert format_date(first.document_date) in toc and first.agency.name in toc
    assert first.excerpt in toc and "01-02" in toc

    # the same document twice in one dossier: refused
    again = client.post(f"/dossiers/{dossier.id}/items", data=form_of(
        html, kind="incoming", document_id=str(first.id)), follow_redirects=True)
    assert "Văn bản này đã có trong hồ sơ." in again.get_data(as_text=True)
    # … but it may be in another dossier
    other = new_dossier(app, db_session)
    link(app, db_session, other, "chuyenvien", "incoming", first.id)
    # a document the person cannot see: refused like a missing one
    hidden = register_incoming(app, db_session, field_id=field_id(db_session, "TP"))
    refused = client.post(f"/dossiers/{dossier.id}/items", data=form_of(
        html, kind="incoming", document_id=str(hidden.id)), follow_redirects=True)
    assert "không có quyền xem văn bản này" in refused.get_data(as_text=True)
    bad_kind = client.post(f"/dossiers/{dossier.id}/items", data=form_of(
        html, kind="fax", document_id="1"), follow_redirects=True)
    assert bad_kind.status_code == 200

    # order, sheet and notes, then unlink (positions stay 1..n)
    dossier = reload(db_session, dossier.id)
    first_item, second_item = dossier.items
    client.post(f"/dossiers/{dossier.id}/items/{second_item.id}/move/up",
                data=form_of(html))
    client.post(f"/dossiers/{dossier.id}/items/{first_item.id}", data=form_of(
        html, sheets="04-05", notes="Bản chính"))
    dossier = reload(db_session, dossier.id)
    assert [i.id for i in dossier.items] == [second_item.id, first_item.id]
    assert dossier.items[1].sheets == "04-05" and dossier.items[1].notes == "Bản chính"
    response = client.post(f"/dossiers/{dossier.id}/items/{second_item.id}/remove",
                           data=form_of(html), follow_redirects=True)
    assert "Đã bỏ văn bản khỏi hồ sơ." in response.get_data(as_text=True)
    dossier = reload(db_session, dossier.id)
    assert [(i.id, i.position) for i in dossier.items] == [(first_item.id, 1)]
    actions = [e.action for e in dossier.events]
    assert actions.count("link") == 2 and "unlink" in actions


def test_exactly_one_document_per_line(app, db_session):
    from sqlalchemy.exc import IntegrityError

    dossier = new_dossier(app, db_session)
    [document] = visible_incoming_docs(db_session, "chuyenvien", 1)
    db_session.add(DossierItem(dossier_id=dossier.id, position=9))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.add(DossierItem(dossier_id=dossier.id, position=9, incoming_id=document.id,
                               draft_id=None, outgoing_id=None))
    db_session.commit()
    db_session.add(DossierItem(dossier_id=dossier.id, position=10, incoming_id=document.id))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()


def test_search_box_offers_only_visible_documents(app, login_as, db_session):
    dossier = new_dossier(app, db_session)
    mine = register_incoming(app, db_session, number_symbol="777/TIMKIEM-HS",
                             field_id=field_id(db_session, "CCHC"))
    hidden = register_incoming(app, db_session, number_symbol="778/TIMKIEM-HS",
                               field_id=field_id(db_session, "TP"))
    client = login_as("chuyenvien")
    html = page(client, f"/dossiers/{dossier.id}?q=TIMKIEM-HS")
    offered = html[html.index("candidates"):]
    assert mine.number_symbol in offered and hidden.number_symbol not in offered
    html = page(client, f"/dossiers/{dossier.id}?q=timkiem hs")  # accent/case-insensitive
    assert mine.number_symbol in html[html.index("candidates"):]


# ---------------------------------------------------------------- close, hand over, reopen

def test_closing_makes_the_dossier_read_only(app, login_as, api_as, client, db_session):
    dossier = new_dossier(app, db_session)
    officer = login_as("chuyenvien")
    html = page(officer, f"/dossiers/{dossier.id}")
    empty = officer.post(f"/dossiers/{dossier.id}/do/close", data=form_of(html),
                         follow_redirects=True)
    assert "chưa có văn bản nào nên chưa thể đóng" in empty.get_data(as_text=True)
    first, second = visible_incoming_docs(db_session, "chuyenvien", 2)
    link(app, db_session, dossier, "chuyenvien", "incoming", first.id)
    response = officer.post(f"/dossiers/{dossier.id}/do/close", data=form_of(html),
                            follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã đóng hồ sơ." in html and "action-link" not in html
    dossier = reload(db_session, dossier.id)
    assert dossier.status == CLOSED and dossier.end_date == today_local()

    refused = officer.post(f"/dossiers/{dossier.id}/items", data=form_of(
        html, kind="incoming", document_id=str(second.id)), follow_redirects=True)
    assert "Hồ sơ đã đóng nên không thể sửa, thêm hoặc bỏ văn bản." in \
        refused.get_data(as_text=True)
    item = dossier.items[0]
    officer.post(f"/dossiers/{dossier.id}/items/{item.id}/remove", data=form_of(html))
    edit = officer.get(f"/dossiers/{dossier.id}/edit", follow_redirects=True)
    assert "Hồ sơ đã đóng" in edit.get_data(as_text=True)
    assert len(reload(db_session, dossier.id).items) == 1
    headers = api_as("chuyenvien")
    for response in (
        client.post(f"/api/v1/dossier/{dossier.id}/items", headers=headers,
                    json={"kind": "incoming", "document_id": second.id}),
        client.delete(f"/api/v1/dossier/{dossier.id}/items/{item.id}", headers=headers),
        client.put(f"/api/v1/dossier/{dossier.id}", headers=headers, json={"title": "Mới"}),
    ):
        assert response.status_code == 422
        assert "Hồ sơ đã đóng" in response.get_json()["message"]
    assert reload(db_session, dossier.id).title != "Mới"


def test_who_closes_hands_over_and_reopens(app, login_as, db_session):
    dossier = new_dossier(app, db_session, retention_id=retention_id(db_session, "20 năm"))
    [document] = visible_incoming_docs(db_session, "chuyenvien", 1)
    link(app, db_session, dossier, "chuyenvien", "incoming", document.id)

    # another officer of the field sees it but cannot close it
    colleague = login_as("cv.cchc")
    html = page(colleague, f"/dossiers/{dossier.id}")
    assert "action-close" not in html
    refused = colleague.post(f"/dossiers/{dossier.id}/do/close", data=form_of(html),
                             follow_redirects=True)
    assert "Chỉ người lập hồ sơ hoặc lãnh đạo đơn vị" in refused.get_data(as_text=True)
    # the unit leader closes it
    leader = login_as("truongphong")
    html = page(leader, f"/dossiers/{dossier.id}")
    assert "action-close" in html
    leader.post(f"/dossiers/{dossier.id}/do/close", data=form_of(html))
    assert reload(db_session, dossier.id).status == CLOSED

    # only the office marks it handed over; only the office leader reopens, with a reason
    owner = login_as("chuyenvien")
    html = page(owner, f"/dossiers/{dossier.id}")
    assert "action-handover" not in html and "action-reopen" not in html
    refused = owner.post(f"/dossiers/{dossier.id}/do/reopen", data=form_of(html, note="x"),
                         follow_redirects=True)
    assert "Chỉ lãnh đạo văn phòng được mở lại" in refused.get_data(as_text=True)
    clerk = login_as("vanthu")
    assert "action-reopen" not in page(clerk, f"/dossiers/{dossier.id}")
    office = login_as("lanhdaovp")
    html = page(office, f"/dossiers/{dossier.id}")
    assert "action-reopen" in html and "action-handover" in html
    no_reason = office.post(f"/dossiers/{dossier.id}/do/reopen", data=form_of(html),
                            follow_redirects=True)
    assert "Nhập lý do mở lại hồ sơ." in no_reason.get_data(as_text=True)
    office.post(f"/dossiers/{dossier.id}/do/reopen",
                data=form_of(html, note="Bổ sung văn bản còn thiếu"))
    dossier = reload(db_session, dossier.id)
    assert dossier.status == OPEN
    reopened = dossier.events[-1]
    assert (reopened.action, reopened.note, reopened.actor.username) == (
        "reopen", "Bổ sung văn bản còn thiếu", "lanhdaovp")
    history = page(office, f"/dossiers/{dossier.id}")
    assert "Mở lại hồ sơ" in history and "Bổ sung văn bản còn thiếu" in history

    act(app, db_session, dossier, "chuyenvien", "close")
    clerk = login_as("vanthu")
    html = page(clerk, f"/dossiers/{dossier.id}")
    response = clerk.post(f"/dossiers/{dossier.id}/do/handover", data=form_of(html),
                          follow_redirects=True)
    assert "nộp lưu" in response.get_data(as_text=True)
    dossier = reload(db_session, dossier.id)
    assert dossier.status == HANDED_OVER and dossier.handed_over_at is not None
    with pytest.raises(services.DomainError):
        act(app, db_session, dossier, "lanhdaovp", "reopen", "Muộn")
    db_session.rollback()


def test_short_retention_is_not_handed_over(app, db_session):
    dossier = new_dossier(app, db_session, retention_id=retention_id(db_session, "02 năm"))
    [document] = visible_incoming_docs(db_session, "chuyenvien", 1)
    link(app, db_session, dossier, "chuyenvien", "incoming", document.id)
    act(app, db_session, dossier, "chuyenvien", "close")
    dossier = reload(db_session, dossier.id)
    assert "handover" not in [a for a, _label, _note in workflow.dossier_actions(
        user(db_session, "vanthu"), dossier)]  # not offered …
    with pytest.raises(services.DomainError) as error:  # … and refused with the reason
        act(app, db_session, dossier, "vanthu", "handover")
    assert "dưới 5 năm" in str(error.value)
    db_session.rollback()


# ---------------------------------------------------------------- overdue

def test_overdue_is_shown_and_counted(app, login_as, db_session, client, api_as):
    overdue = new_dossier(app, db_session, title="Hồ sơ trễ hạn thử nghiệm",
                          start_date=today_local() - timedelta(days=40),
                          deadline=today_local() - timedelta(days=2))
    on_time = new_dossier(app, db_session, deadline=today_local() + timedelta(days=10))
    assert services.is_overdue(overdue) and not services.is_overdue(on_time)
    browser = login_as("chuyenvien")
    listing = page(browser, "/dossiers/list/list/?box=overdue")
    assert overdue.code in listing and on_time.code not in listing and "Quá hạn" in listing
    counts = dict((k, n) for k, _label, n in services.box_counts(
        db_session, user(db_session, "chuyenvien")))
    assert re.search(r"Quá hạn\s*<span class=\"badge badge-danger\">" + str(counts["overdue"]),
                     listing)
    assert "Quá hạn" in page(browser, f"/dossiers/{overdue.id}")
    api = client.get("/api/v1/dossier/?status=overdue&page_size=100",
                     headers=api_as("chuyenvien")).get_json()
    rows = {row["id"]: row for row in api["result"]}
    assert overdue.id in rows and rows[overdue.id]["overdue"] is True
    assert on_time.id not in rows
    # a closed dossier is no longer overdue
    [document] = visible_incoming_docs(db_session, "chuyenvien", 1)
    link(app, db_session, overdue, "chuyenvien", "incoming", document.id)
    act(app, db_session, overdue, "chuyenvien", "close")
    assert not services.is_overdue(reload(db_session, overdue.id))


# ---------------------------------------------------------------- visibility on every path

def _paths(client, headers, dossier):
    """Status (or presence) of the dossier on every reading and acting path."""
    grid = client.get(f"/dossiers/list/list/?q={quote(dossier.code)}").get_data(as_text=True)
    listed = client.get(f"/api/v1/dossier/?q={quote(dossier.code)}", headers=headers)
    page_status = client.get(f"/dossiers/{dossier.id}").status_code
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|<meta name="csrf-token" '
                     r'content="([^"]+)"', client.get("/dossiers/list/list/").get_data(
                         as_text=True))
    token = next(t for t in csrf.groups() if t) if csrf else ""
    return {
        "grid": f'href="/dossiers/{dossier.id}"' in grid,
        "page": page_status,
        "edit": client.get(f"/dossiers/{dossier.id}/edit").status_code,
        "action": client.post(f"/dossiers/{dossier.id}/do/close",
                              data={"csrf_token": token}).status_code,
        "pdf": client.get(f"/dossiers/{dossier.id}/pdf").status_code,
        "api_list": listed.status_code == 200 and dossier.id in [
            r["id"] for r in listed.get_json()["result"]],
        "api_show": client.get(f"/api/v1/dossier/{dossier.id}", headers=headers).status_code,
        "api_pdf": client.get(f"/api/v1/dossier/{dossier.id}/pdf",
                              headers=headers).status_code,
        "api_action": client.post(f"/api/v1/dossier/{dossier.id}/actions/handover",
                                  headers=headers, json={}).status_code,
    }


@pytest.mark.parametrize("username,sees", [
    ("chuyenvien", True),    # the owner
    ("cv.cchc", True),       # an officer of the dossier's field (CCHC)
    ("truongphong", True),   # the leader of the owner's unit
    ("lanhdao", True), ("lanhdaovp", True), ("vanthu", True),  # see all
    ("cv.tcbc1", False),     # another unit, another field
    ("tp.tcbc", False),      # another unit's leader
    ("cv.thanhtra", False),
])
def test_visibility_on_every_path(app, client, login_as, api_as, db_session, username, sees):
    dossier = new_dossier(app, db_session)  # chuyenvien's, field CCHC, no document yet
    login_as(username)
    paths = _paths(client, api_as(username), dossier)
    if sees:
        assert paths["grid"] and paths["api_list"]
        assert paths["page"] == paths["pdf"] == paths["api_show"] == paths["api_pdf"] == 200
        assert paths["action"] == 302  # a redirect back with the rule's message
        assert paths["api_action"] == 422  # an open dossier cannot be handed over
    else:
        assert not paths["grid"] and not paths["api_list"]
        assert paths["page"] == paths["edit"] == paths["pdf"] == paths["action"] == 404
        assert paths["api_show"] == paths["api_pdf"] == paths["api_action"] == 404
    assert reload(db_session, dossier.id).status == OPEN


def test_field_and_unit_rules(app, db_session):
    """An officer sees the dossiers of their fields; a unit leader those of their unit."""
    tccb = new_dossier(app, db_session, field_id=field_id(db_session, "TCCB"))
    no_field = new_dossier(app, db_session, field_id=None)

    def sees(username, dossier):
        return access.get_visible(db_session, user(db_session, username), dossier.id) \
            is not None

    assert sees("cv.tcbc1", tccb) and sees("tp.tcbc", tccb)  # field TCCB
    assert not sees("cv.tcbc1", no_field) and not sees("cv.cchc", no_field)
    assert sees("truongphong", no_field)  # the owner's unit leader
    assert not sees("quantri", tccb)


def test_network_administrator_reaches_nothing(app, client, login_as, api_as, db_session):
    dossier = new_dossier(app, db_session)
    login_as("quantri")
    for path in ("/dossiers/list/list/", f"/dossiers/{dossier.id}",
                 f"/dossiers/{dossier.id}/pdf", "/dossiers/new", "/dossierplan/list/"):
        assert client.get(path).status_code == 403, path
    headers = api_as("quantri")
    assert client.get("/api/v1/dossier/", headers=headers).status_code == 403
    assert client.get(f"/api/v1/dossier/{dossier.id}", headers=headers).status_code == 403


# ---------------------------------------------------------------- the merged PDF

def test_pdf_is_the_contents_then_every_document(app, login_as, db_session):
    dossier = new_dossier(app, db_session, title="Hồ sơ tải xuống: đủ văn bản")
    docs = visible_incoming_docs(db_session, "chuyenvien", 2)
    three_pages = register_incoming(app, db_session, files=[(pdf("Ba trang", 3), "ba.pdf")])
    scanned = register_incoming(app, db_session, files=[(png(), "bản quét.png")])
    no_file = register_incoming(app, db_session, files=[])
    for document in docs + [three_pages, scanned, no_file]:
        link(app, db_session, dossier, "chuyenvien", "incoming", document.id)
    client = login_as("chuyenvien")
    response = client.get(f"/dossiers/{dossier.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" + quote(f"Hồ sơ {dossier.code}", safe="") in disposition
    reader = PdfReader(io.BytesIO(response.data))
    document_pages = sum(f.page_count for d in docs for f in d.files if f.is_pdf)
    assert len(reader.pages) == 1 + document_pages + 3 + 1 + 0
    contents = compact(reader.pages[0].extract_text())
    assert "MỤCLỤCVĂNBẢN" in contents and dossier.code in contents
    assert compact("Hồ sơ tải xuống") in contents and "10năm" in contents
    for document in docs + [three_pages]:
        assert compact(document.number_symbol) in contents
    assert contents.count("KhôngcóbảnPDF") == 1
    assert format_date(dossier.start_date) in contents
    # the documents follow in order: the 3-page one, then the scan
    third = reader.pages[1 + document_pages].extract_text()
    assert "Ba trang" in third or "BA TRANG" in third.upper()


def test_pdf_of_an_empty_dossier_is_its_contents_page(app, login_as, db_session):
    dossier = new_dossier(app, db_session)
    response = login_as("chuyenvien").get(f"/dossiers/{dossier.id}/pdf")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    assert compact("Hồ sơ chưa có văn bản.") in compact(reader.pages[0].extract_text())


def test_pdf_hides_documents_the_reader_cannot_see(app, client, api_as, db_session):
    """A dossier of the TCCB field holds a secret document assigned to its owner: an officer
    of the field sees the dossier but not that document's content."""
    from app.documents.models import IncomingAssignment
    from tests.incoming_helpers import ids

    dossier = new_dossier(app, db_session, field_id=field_id(db_session, "TCCB"))
    secret = register_incoming(app, db_session, files=[(pdf("Mật", 2), "mat.pdf")],
                               register_id=ids(db_session)["secret_register"],
                               secrecy_id=ids(db_session)["secret"],
                               field_id=field_id(db_session, "TCCB"))
    db_session.add(IncomingAssignment(document_id=secret.id, role="lead",
                                      user_id=user(db_session, "chuyenvien").id))
    db_session.commit()
    link(app, db_session, dossier, "chuyenvien", "incoming", secret.id)
    owner = PdfReader(io.BytesIO(client.get(f"/api/v1/dossier/{dossier.id}/pdf",
                                            headers=api_as("chuyenvien")).data))
    assert len(owner.pages) == 3
    other = client.get(f"/api/v1/dossier/{dossier.id}/pdf", headers=api_as("cv.tcbc1"))
    reader = PdfReader(io.BytesIO(other.data))
    assert len(reader.pages) == 1
    text = compact(reader.pages[0].extract_text())
    assert "Khôngcóquyềnxem" in text and compact(secret.excerpt) not in text
    shown = client.get(f"/api/v1/dossier/{dossier.id}", headers=api_as("cv.tcbc1")).get_json()
    assert shown["result"]["items"][0]["visible"] is False
    assert secret.excerpt not in shown["result"]["items"][0]["type_excerpt"]


# ---------------------------------------------------------------- outgoing documents, drafts

def _outgoing_rules_missing():
    rule_outgoing, rule_draft = access.outgoing_rules()
    return rule_outgoing is None or rule_draft is None


@pytest.mark.skipif(_outgoing_rules_missing(), reason="app.outgoing.access does not provide "
                    "visible_outgoing and visible_draft yet")
def test_outgoing_documents_and_drafts_in_a_dossier(app, client, api_as, db_session):
    from tests.dossier_helpers import make_draft, make_outgoing

    scan_and_word = make_outgoing(app, db_session, "chuyenvien",
                                  scan=(pdf("Bản quét đã ký", 2), "ban-quet.pdf"),
                                  word=(docx(), "du-thao.docx"))
    word_only = make_outgoing(app, db_session, "chuyenvien", word=(docx(), "chi-word.docx"))
    draft = make_draft(app, db_session, "chuyenvien",
                       versions=[(pdf("Bản cũ"), "v1.pdf"), (docx(), "v2.docx")])
    draft_pdf = make_draft(app, db_session, "chuyenvien",
                           versions=[(pdf("Dự thảo lần 1", 2), "du-thao.pdf")])
    dossier = new_dossier(app, db_session)
    headers = api_as("chuyenvien")
    for kind, document in (("outgoing", scan_and_word), ("outgoing", word_only),
                           ("draft", draft), ("draft", draft_pdf)):
        response = client.post(f"/api/v1/dossier/{dossier.id}/items", headers=headers,
                               json={"kind": kind, "document_id": document.id})
        assert response.status_code == 201, response.get_json()
    twice = client.post(f"/api/v1/dossier/{dossier.id}/items", headers=headers,
                        json={"kind": "draft", "document_id": draft.id})
    assert twice.status_code == 422
    result = client.get(f"/api/v1/dossier/{dossier.id}", headers=headers).get_json()["result"]
    assert [i["kind"] for i in result["items"]] == ["outgoing", "outgoing", "draft", "draft"]
    assert result["items"][0]["number_symbol"] == scan_and_word.number_symbol
    reader = PdfReader(io.BytesIO(client.get(f"/api/v1/dossier/{dossier.id}/pdf",
                                             headers=headers).data))
    assert len(reader.pages) == 1 + 2 + 0 + 0 + 2  # scan, no PDF, latest is Word, PDF draft
    contents = compact(reader.pages[0].extract_text())
    assert contents.count("KhôngcóbảnPDF") == 2
    assert "Bản quét đã ký" in reader.pages[1].extract_text()
    # someone who cannot see the draft cannot file it
    other = new_dossier(app, db_session, "cv.tcbc1", field_id=field_id(db_session, "TCCB"))
    refused = client.post(f"/api/v1/dossier/{other.id}/items", headers=api_as("cv.tcbc1"),
                          json={"kind": "draft", "document_id": draft.id})
    assert refused.status_code == 422
    assert "không có quyền xem" in refused.get_json()["message"]


# ---------------------------------------------------------------- REST API

def test_api_opens_lists_shows_updates_and_files(client, api_as, db_session):
    headers = api_as("chuyenvien")
    abbr = abbreviation()
    body = {"abbreviation": abbr, "title": "Hồ sơ mở qua API",
            "retention_id": retention_id(db_session),
            "field_id": field_id(db_session, "CCHC"),
            "start_date": (today_local() - timedelta(days=2)).strftime("%d/%m/%Y"),
            "deadline": (today_local() + timedelta(days=30)).isoformat()}
    created = client.post("/api/v1/dossier/", headers=headers, json=body)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert created.get_json()["result"]["code"] == f"01.{abbr}"
    listed = client.get("/api/v1/dossier/?q=ho so mo qua api&status=open",
                        headers=headers).get_json()
    assert pk in [row["id"] for row in listed["result"]]
    assert {row["id"]: row["item_count"] for row in listed["result"]}[pk] == 0
    assert client.get("/api/v1/dossier/?status=nonsense", headers=headers).status_code == 400
    updated = client.put(f"/api/v1/dossier/{pk}", headers=headers,
                         json={"title": "Hồ sơ đã sửa qua API", "notes": "Ghi chú"})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["result"]["title"] == "Hồ sơ đã sửa qua API"
    assert updated.get_json()["result"]["code"] == f"01.{abbr}"

    [first, second] = visible_incoming_docs(db_session, "chuyenvien", 2)
    for document in (first, second):
        linked = client.post(f"/api/v1/dossier/{pk}/items", headers=headers,
                             json={"kind": "incoming", "document_id": document.id})
        assert linked.status_code == 201, linked.get_json()
    items = linked.get_json()["result"]["items"]
    assert [i["document_id"] for i in items] == [first.id, second.id]
    moved = client.put(f"/api/v1/dossier/{pk}/items/{items[1]['id']}", headers=headers,
                       json={"position": 1, "sheets": "01"})
    assert [i["document_id"] for i in moved.get_json()["result"]["items"]] == [
        second.id, first.id]
    assert moved.get_json()["result"]["items"][0]["sheets"] == "01"
    removed = client.delete(f"/api/v1/dossier/{pk}/items/{items[0]['id']}", headers=headers)
    assert [i["document_id"] for i in removed.get_json()["result"]["items"]] == [second.id]
    listed = client.get(f"/api/v1/dossier/?q=01.{abbr}", headers=headers).get_json()["result"]
    assert {row["id"]: row["item_count"] for row in listed}[pk] == 1  # the page's counts
    closed = client.post(f"/api/v1/dossier/{pk}/actions/close", headers=headers, json={})
    assert closed.status_code == 200 and closed.get_json()["result"]["status"] == "closed"
    shown = client.get(f"/api/v1/dossier/{pk}", headers=headers).get_json()["result"]
    assert [h["action"] for h in shown["history"]][:1] == ["open"]
    assert client.get("/api/v1/dossier/999999", headers=headers).status_code == 404
    assert client.post(f"/api/v1/dossier/{pk}/actions/explode", headers=headers,
                       json={}).status_code == 404


def test_api_validation_is_422_in_vietnamese(client, api_as, db_session):
    headers = api_as("chuyenvien")
    before = count_dossiers(db_session)
    response = client.post("/api/v1/dossier/", headers=headers, json={
        "code": "sai", "title": "", "retention_id": "mười", "start_date": "31/02/2026"})
    assert response.status_code == 422
    message = response.get_json()["message"]
    assert message["retention_id"] == ["Phải là số nguyên."]
    assert "Ngày không hợp lệ" in message["start_date"][0]
    response = client.post("/api/v1/dossier/", headers=headers, json={
        "code": "sai", "title": "", "retention_id": retention_id(db_session),
        "start_date": "2026-01-05"})
    message = response.get_json()["message"]
    assert message["title"] == ["Nhập tiêu đề hồ sơ."]
    assert "ví dụ 01.TCCB" in message["code"][0]
    assert client.post("/api/v1/dossier/", headers=headers, data="không phải JSON",
                       content_type="application/json").status_code == 422
    dossier_id = client.post("/api/v1/dossier/", headers=headers, json={
        "code": code(), "title": "Hồ sơ API", "retention_id": retention_id(db_session),
        "start_date": today_local().isoformat()}).get_json()["id"]
    bad_link = client.post(f"/api/v1/dossier/{dossier_id}/items", headers=headers,
                           json={"kind": "incoming", "document_id": "abc"})
    assert bad_link.status_code == 422
    assert count_dossiers(db_session) == before + 1


def test_api_plan_is_written_by_the_office(client, api_as, db_session):
    abbr = abbreviation()
    body = {"year": today_local().year, "code": f"2.{abbr}", "title": "Hồ sơ qua API",
            "retention": retention_id(db_session)}
    officer = client.post("/api/v1/dossier_plan/", headers=api_as("chuyenvien"), json=body)
    assert officer.status_code == 403
    clerk = client.post("/api/v1/dossier_plan/", headers=api_as("vanthu"), json=body)
    assert clerk.status_code == 201, clerk.get_json()
    assert db_session.scalar(select(DossierPlanItem.code).where(
        DossierPlanItem.id == clerk.get_json()["id"])) == f"02.{abbr}"
    bad = client.post("/api/v1/dossier_plan/", headers=api_as("lanhdaovp"),
                      json={**body, "code": "không hợp lệ"})
    assert bad.status_code == 422
    listed = client.get("/api/v1/dossier_plan/", headers=api_as("chuyenvien"))
    assert listed.status_code == 200


# ---------------------------------------------------------------- web forms and pages

def test_edit_page_and_grid(app, login_as, db_session):
    dossier = new_dossier(app, db_session)
    client = login_as("chuyenvien")
    form = page(client, f"/dossiers/{dossier.id}/edit")
    assert format_date(dossier.start_date) in form  # dd/mm/yyyy in the text box
    response = client.post(f"/dossiers/{dossier.id}/edit", data=form_of(
        form, code=dossier.code, title="Hồ sơ đã đổi tên", field_id=str(dossier.field_id),
        retention_id=str(dossier.retention_id), owner_id=str(dossier.owner_id),
        start_date=format_date(dossier.start_date),
        deadline=format_date(today_local() + timedelta(days=5))), follow_redirects=True)
    assert "Đã cập nhật hồ sơ." in response.get_data(as_text=True)
    dossier = reload(db_session, dossier.id)
    assert dossier.title == "Hồ sơ đã đổi tên"
    assert dossier.deadline == today_local() + timedelta(days=5)
    bad = client.post(f"/dossiers/{dossier.id}/edit", data=form_of(
        form, code=dossier.code, title="Hồ sơ", retention_id=str(dossier.retention_id),
        start_date="hôm qua"))
    assert bad.status_code == 422 and "dd/mm/yyyy" in bad.get_data(as_text=True)
    # someone who sees it but does not keep it cannot edit it
    other = login_as("cv.cchc")
    response = other.get(f"/dossiers/{dossier.id}/edit", follow_redirects=True)
    assert "Chỉ người lập hồ sơ" in response.get_data(as_text=True)

    grid = page(login_as("chuyenvien"), f"/dossiers/list/list/?q={quote('đã đổi tên')}")
    assert dossier.code in grid and "Hồ sơ đã đổi tên" in grid
    assert "Mở hồ sơ công việc" in grid
    assert login_as("chuyenvien").get(
        f"/dossiers/list/show/{dossier.id}").status_code == 302


def test_no_500_on_numbers_too_large_for_the_database(app, client, login_as, api_as,
                                                      db_session):
    dossier = new_dossier(app, db_session)
    big = "9" * 20
    browser = login_as("chuyenvien")
    for path in (f"/dossiers/{big}", f"/dossiers/{big}/pdf", f"/dossiers/{big}/edit"):
        assert browser.get(path).status_code == 404, path
    assert browser.get(f"/dossiers/new?plan_item_id={big}").status_code == 200
    html = page(browser, f"/dossiers/{dossier.id}")
    response = browser.post(f"/dossiers/{dossier.id}/items", data=form_of(
        html, kind="incoming", document_id=big), follow_redirects=True)
    assert "Không tìm thấy văn bản" in response.get_data(as_text=True)
    form = page(browser, "/dossiers/new")
    response = browser.post("/dossiers/new", data=form_of(
        form, code=code(), title="Hồ sơ", retention_id=big, owner_id=big, field_id=big,
        start_date=format_date(today_local())))
    assert response.status_code == 422 and "Giá trị không hợp lệ." in response.get_data(
        as_text=True)
    headers = api_as("chuyenvien")
    assert client.get(f"/api/v1/dossier/{big}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/dossier/?after_id={big}", headers=headers).status_code == 200
    response = client.post("/api/v1/dossier/", headers=headers, json={
        "code": code(), "title": "Hồ sơ", "retention_id": int(big),
        "start_date": today_local().isoformat()})
    assert response.status_code == 400  # refused with the body (app.core.requests)
    assert response.get_json()["message"] == "Nội dung JSON có số vượt quá giới hạn cho phép."


def test_a_plan_line_in_use_is_not_deleted(app, login_as, db_session):
    plan = DossierPlanItem(year=today_local().year, code=f"01.{abbreviation()}",
                           title="Hồ sơ đang dùng", retention_id=retention_id(db_session))
    db_session.add(plan)
    db_session.commit()
    new_dossier(app, db_session, code=None, plan_item_id=plan.id)
    clerk = login_as("vanthu")
    response = clerk.post(f"/dossierplan/delete/{plan.id}",
                          data=form_of(page(clerk, "/dossierplan/list/")),
                          follow_redirects=True)
    assert "Không thể xóa" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(DossierPlanItem, plan.id) is not None


def test_menu_and_event_history(app, login_as, db_session):
    html = page(login_as("chuyenvien"), "/dossiers/list/list/")
    assert "Hồ sơ công việc" in html and "Danh mục hồ sơ" in html
    dossier = new_dossier(app, db_session)
    events = db_session.scalars(select(DossierEvent).where(
        DossierEvent.dossier_id == dossier.id)).all()
    assert [e.action for e in events] == ["open"]


def test_the_grid_counts_each_dossiers_documents(app, login_as, db_session):
    """The grid's "Số văn bản" column (counted for the page's rows at once): an empty dossier
    says 0, one with two documents filed says 2."""
    empty = new_dossier(app, db_session)
    filled = new_dossier(app, db_session)
    for document in visible_incoming_docs(db_session, "chuyenvien", 2):
        link(app, db_session, filled, "chuyenvien", "incoming", document.id)
    html = page(login_as("chuyenvien"), "/dossiers/list/list/?page_size=100")
    headers = [re.sub(r"<[^>]+>", "", cell).strip()
               for cell in re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)]
    column = headers.index("Số văn bản")

    def count_of(dossier):
        row = next(r for r in html.split("<tr")[1:] if f'href="/dossiers/{dossier.id}"' in r)
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        return cells[column - (len(headers) - len(cells))]

    assert (count_of(empty), count_of(filled)) == ("0", "2")
