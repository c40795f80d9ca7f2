"""One truth about deadlines (app.documents.deadlines): for every role's demo account the home
tiles, the inbox badges, the grid's boxes, the overdue page, the dashboard and the API say the
same numbers as the rule, on the demo data; a document presented to a leader and past its
deadline is overdue for that leader, an urgent one is flagged; the "due soon" bounds."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.timefmt import add_working_days, local_now, today_local, utcnow
from app.documents import deadlines, services
from app.documents.models import REGISTERED, IncomingDocument
from app.security.delegation import Delegation
from tests.conftest import pdf, user
from tests.incoming_helpers import entry, ids

# The six roles' demo accounts and the deputy (Phó Giám đốc): app/demo.py.
ACCOUNTS = ["vanthu", "lanhdao", "pgd.nga", "lanhdaovp", "truongphong", "chuyenvien"]
DASHBOARD = {"lanhdao", "pgd.nga", "lanhdaovp", "truongphong"}  # who reads the dashboard
WHOLE_AGENCY = {"lanhdao", "pgd.nga", "lanhdaovp"}  # the others' dashboard is their unit's


def number(pattern, html, what):
    match = re.search(pattern, html, re.S)
    assert match, f"{what}: not on the page"
    return int(match.group(1).replace(".", ""))


def home_tile(html, box):
    return number(rf'inbox-counter inbox-{box}".*?<div class="inbox-count">(\d+)</div>', html,
                  f"home tile {box}")


def grid_badge(html, box):
    return number(rf'box={box}">[^<]*<span class="badge[^"]*">(\d+)</span>', html,
                  f"grid badge {box}")


def grid_count(client, box):
    html = client.get(f"/incoming/list/list/?box={box}").get_data(as_text=True)
    if "Số bản ghi:" not in html:  # an empty list says so instead of counting
        assert "Không có dữ liệu" in html, box
        return 0
    return number(r"Số bản ghi:</strong>\s*(\d+)", html, f"grid ?box={box}")


def overdue_page(client, query=""):
    html = client.get(f"/incoming/overdue{query}").get_data(as_text=True)
    return (number(r'class="overdue-total">(\d+)<', html, "overdue page total"),
            number(r'class="overdue-mine">.*?<a class="badge[^"]*"[^>]*>(\d+)</a>', html,
                   "overdue page, mine"))


def rule(app, db_session, username):
    """The direct count of app.documents.deadlines for this person."""
    with app.test_request_context():
        person = user(db_session, username)
        mine = deadlines.my_counts(db_session, person)
        return (mine[deadlines.OVERDUE], mine[deadlines.DUE_SOON],
                deadlines.overdue_count(db_session, person),
                deadlines.overdue_count(db_session, person, unit_id=person.department_id))


@pytest.mark.parametrize("username", ACCOUNTS)
def test_every_place_says_the_same_for_each_role(app, login_as, api_as, client, db_session,
                                                  username):
    overdue, due_soon, everything, of_unit = rule(app, db_session, username)
    browser = login_as(username)
    home = browser.get("/").get_data(as_text=True)
    grid = browser.get("/incoming/list/list/").get_data(as_text=True)
    page_total, page_mine = overdue_page(browser)
    # Mine: the home tile, the inbox badge, the grid's box, the overdue page's "của tôi".
    assert home_tile(home, "overdue") == grid_badge(grid, "overdue") == overdue
    assert grid_count(browser, "overdue") == page_mine == overdue
    assert home_tile(home, "due_soon") == grid_badge(grid, "due_soon") == due_soon
    assert grid_count(browser, "due_soon") == due_soon
    # Everything I may see: the overdue page; mine is a part of it.
    assert page_total == everything and overdue <= everything
    # The API: the inbox counts, the box's documents (each marked overdue), the document flag.
    headers = api_as(username)
    boxes = {b["key"]: b["count"] for b in client.get(
        "/api/v1/incoming/inboxes", headers=headers).get_json()["result"]}
    assert boxes["overdue"] == overdue and boxes["due_soon"] == due_soon
    rows = client.get("/api/v1/incoming/?box=overdue&page_size=100",
                      headers=headers).get_json()["result"]
    assert len(rows) == min(overdue, 100)
    assert [row["id"] for row in rows if row["overdue"] is not True] == []
    # The dashboard: the whole agency's figure is the page's total; a unit leader's dashboard
    # is their unit's, the page's total for that unit.
    if username in DASHBOARD:
        dashboard = browser.get("/stats/dashboard").get_data(as_text=True)
        shown = number(r'id="total-overdue">([\d.]+)<', dashboard, "dashboard")
        api = client.get("/api/v1/stats/", headers=headers).get_json()["summary"]
        if username in WHOLE_AGENCY:
            assert shown == api["overdue_documents"] == page_total
        else:
            unit = user(db_session, username).department_id
            unit_total, _mine = overdue_page(browser, f"?unit={unit}")
            assert shown == api["overdue_documents"] == unit_total == of_unit
            assert f"/incoming/overdue?unit={unit}" in dashboard


def test_the_demo_has_late_work_to_compare(app, db_session):
    """The comparison above is not about zeros: the demo has late work for the officer and a
    leader sees more than their own."""
    overdue, _due_soon, _everything, _unit = rule(app, db_session, "chuyenvien")
    assert overdue >= 1
    mine, _due_soon, everything, _unit = rule(app, db_session, "lanhdao")
    assert everything >= 5 and everything > mine


# ---------------------------------------------------------------- the badges, counted at once

def each_box(db_session, person, boxes):
    """Each box counted on its own, as its grid lists it (inbox_query)."""
    return {box: db_session.scalar(select(func.count()).select_from(
        services.inbox_query(person, box).subquery())) for box in boxes}


@pytest.mark.parametrize("username", ACCOUNTS + ["cv.tcbc1"])
def test_the_badges_counted_at_once_are_each_box_s_own_count(app, db_session, username):
    """The work boxes' badges come from one pass over the lines the person holds plus the
    documents waiting for them (services._box_counts); each is the number of documents its
    grid lists, for every role."""
    boxes = ["waiting_registration", "to_submit", *services.WORK_BOXES]
    with app.test_request_context():
        person = user(db_session, username)
        assert services._box_counts(db_session, person, boxes) == \
            each_box(db_session, person, boxes)


def test_the_badges_counted_at_once_hold_a_unit_s_lines_and_a_delegation(app, db_session):
    """The unit leader's badges count their unit's open lines (the demo has late and open
    work there); while an officer stands in for them (ủy quyền), the officer's badges count
    the unit's lines too, and still equal each box's own count."""
    with app.test_request_context():
        leader = user(db_session, "truongphong")
        counted = services._box_counts(db_session, leader, services.WORK_BOXES)
        assert counted["to_process"] >= 1 and counted["overdue"] >= 1
        officer = user(db_session, "chuyenvien")
        alone = services._box_counts(db_session, officer, services.WORK_BOXES)
    delegation = Delegation(from_user_id=leader.id, to_user_id=officer.id,
                            start_date=today_local() - timedelta(days=1),
                            end_date=today_local() + timedelta(days=1), reason="Đi công tác",
                            inbox=True, sign=False, signing_form="", created_at=utcnow())
    db_session.add(delegation)
    db_session.commit()
    try:
        with app.test_request_context():
            officer = user(db_session, "chuyenvien")
            standing_in = services._box_counts(db_session, officer, services.WORK_BOXES)
            assert standing_in == each_box(db_session, officer, services.WORK_BOXES)
            assert standing_in["to_process"] > alone["to_process"]
    finally:
        delegation.revoked_at = utcnow()
        db_session.commit()


# ---------------------------------------------------------------- waiting for a direction

def late_submitted(app, db_session, excerpt, **overrides):
    """A document presented to a leader ten days ago, its deadline three days past."""
    now = local_now().replace(second=0, microsecond=0, tzinfo=None)
    with app.test_request_context():
        document = services.register_incoming(
            db_session, user(db_session, "vanthu"), entry(
                db_session, excerpt=excerpt, arrival_at=now - timedelta(days=10),
                document_date=(now - timedelta(days=11)).date(),
                deadline=now.date() - timedelta(days=3), **overrides),
            [(pdf(), "cong-van.pdf")], submit=True)
        db_session.commit()
    return document


def leader_of(db_session, document):
    """Who must direct it: the leader it was presented to."""
    document = db_session.get(IncomingDocument, document.id)
    return document.submitted_to.username if document.submitted_to else "lanhdao"


def test_a_late_document_waiting_for_direction_is_overdue_for_its_leader(
        app, login_as, db_session):
    before = rule(app, db_session, "chuyenvien")[0]
    document = late_submitted(app, db_session, "V/v chờ chỉ đạo đã quá hạn thử")
    leader = leader_of(db_session, document)
    with app.test_request_context():
        assert services.is_overdue(db_session.get(IncomingDocument, document.id))
    browser = login_as(leader)
    inbox = browser.get("/incoming/list/list/?box=overdue").get_data(as_text=True)
    assert "V/v chờ chỉ đạo đã quá hạn thử" in inbox and "Quá hạn chờ chỉ đạo" in inbox
    page = browser.get("/incoming/overdue").get_data(as_text=True)
    waiting = page[page.index("overdue-waiting-direction"):]
    assert "V/v chờ chỉ đạo đã quá hạn thử" in waiting and "Chờ chỉ đạo" in waiting
    home = browser.get("/").get_data(as_text=True)
    assert home_tile(home, "overdue") == rule(app, db_session, leader)[0] >= 1
    # not the officer's: nobody gave it to them
    assert rule(app, db_session, "chuyenvien")[0] == before
    officer = login_as("chuyenvien").get("/incoming/list/list/?box=overdue")
    assert "V/v chờ chỉ đạo đã quá hạn thử" not in officer.get_data(as_text=True)


def test_an_urgent_late_document_waiting_for_direction_is_flagged(app, login_as, db_session):
    document = late_submitted(app, db_session, "V/v hỏa tốc chờ chỉ đạo thử",
                              urgency_id=ids(db_session)["urgent"])
    browser = login_as(leader_of(db_session, document))
    home = browser.get("/").get_data(as_text=True)
    assert "urgent-overdue-alert" in home and "văn bản khẩn đã quá hạn xử lý" in home
    grid = browser.get("/incoming/list/list/?box=overdue").get_data(as_text=True)
    row = grid[grid.index("V/v hỏa tốc chờ chỉ đạo thử"):]
    row = row[:row.index("</tr>")]
    assert "urgent-overdue" in row and "Quá hạn chờ chỉ đạo" in row
    page = browser.get("/incoming/overdue").get_data(as_text=True)
    row = page[page.index("V/v hỏa tốc chờ chỉ đạo thử"):]
    assert 'class="label label-danger urgent-waiting">Chờ chỉ đạo<' in row[:row.index("</tr>")]


def test_the_clerk_answers_for_a_late_document_not_yet_presented(app, login_as, db_session):
    now = local_now().replace(second=0, microsecond=0, tzinfo=None)
    with app.test_request_context():
        services.register_incoming(db_session, user(db_session, "vanthu"), entry(
            db_session, excerpt="V/v chưa trình đã quá hạn thử",
            arrival_at=now - timedelta(days=8), document_date=(now - timedelta(days=9)).date(),
            deadline=now.date() - timedelta(days=1)), [(pdf(), "cong-van.pdf")])
        db_session.commit()
    inbox = login_as("vanthu").get("/incoming/list/list/?box=overdue").get_data(as_text=True)
    assert "V/v chưa trình đã quá hạn thử" in inbox and "Quá hạn chờ trình" in inbox


# ---------------------------------------------------------------- due soon: the bounds

def test_due_soon_bounds_today_working_days_and_the_weekend(app, db_session):
    """Seen from a Friday with DUE_SOON_DAYS working days: the day before is overdue; Friday
    itself, the weekend and up to the last working day are due soon; the day after is not."""
    days = app.config["DUE_SOON_DAYS"]
    assert days >= 1
    friday = today_local() + timedelta(days=14)
    friday += timedelta(days=(4 - friday.weekday()) % 7)
    last = add_working_days(friday, days)
    expected = {
        friday - timedelta(days=1): deadlines.OVERDUE,  # Thursday: one day late
        friday: deadlines.DUE_SOON,  # today
        friday + timedelta(days=1): deadlines.DUE_SOON,  # Saturday
        friday + timedelta(days=2): deadlines.DUE_SOON,  # Sunday
        last: deadlines.DUE_SOON,  # the last working day counted
        add_working_days(last, 1): None,  # the next working day: later
    }
    documents = {}
    with app.test_request_context():
        clerk = user(db_session, "vanthu")
        for deadline in expected:
            documents[deadline] = services.register_incoming(
                db_session, clerk, entry(db_session, deadline=deadline,
                                         excerpt=f"V/v hạn {deadline:%d/%m/%Y} thử"))
        db_session.commit()
        marks = deadlines.statuses(db_session, [d.id for d in documents.values()], friday)
        for deadline, status in expected.items():
            document = db_session.get(IncomingDocument, documents[deadline].id)
            assert document.state == REGISTERED
            assert marks.get(document.id) == status, deadline  # SQL
            assert deadlines.status_of(document, friday) == status, deadline  # Python twin
        # the clerk holds them (to present): their own counts see them that day
        counted = db_session.scalars(select(IncomingDocument.id).where(
            IncomingDocument.id.in_([d.id for d in documents.values()]),
            deadlines.due_soon_document(friday, deadlines.due_soon_until(friday), clerk)))
        assert len(list(counted)) == 4
