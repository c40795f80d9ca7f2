"""The request forms' pages read the roles of the people they offer at once (who takes part in
request forms, who leads), not person by person: the number of statements of the form and of
a request's page does not grow with the number of people."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.timefmt import today_local
from app.org.models import Department, EofficeUser, Position
from app.request_forms import services
from app.security import roles as r
from tests.conftest import page_statements, user


@pytest.fixture
def new_people(db_session):
    """new_people(unit code, n) → n new active officers of the unit, each with a position;
    removed again after the test (the other tests' lists of people stay as they were)."""
    from flask_appbuilder.security.sqla.models import Role

    made = []

    def make(code, count=3):
        unit = db_session.scalar(select(Department).where(Department.code == code))
        officer = db_session.scalar(select(Role).where(Role.name == r.OFFICER))
        positions = list(db_session.scalars(select(Position).order_by(Position.id)))
        people = []
        for number in range(count):
            tag = uuid.uuid4().hex[:8]
            person = EofficeUser(username=f"cv.thu.{tag}", first_name=f"Thử{tag}",
                                 last_name="Nguyễn Văn", email=f"cv.thu.{tag}@example.gov.vn",
                                 active=True, password="-", department_id=unit.id,
                                 position=positions[number % len(positions)])
            person.roles = [officer]
            db_session.add(person)
            people.append(person)
        db_session.commit()
        made.extend(people)
        return people

    yield make
    for person in made:
        db_session.delete(person)
    db_session.commit()




def role_reads(statements):
    return [s for s in statements if "FROM ab_role" in s or "JOIN ab_role " in s]


def test_the_form_reads_the_roles_of_everyone_it_offers_at_once(login_as, db_session,
                                                                new_people, statements):
    client = login_as("chuyenvien")
    before, _html = page_statements(client, "/request/new", statements)
    people = new_people("TCBC", 4)
    after, html = page_statements(client, "/request/new", statements)

    assert len(after) == len(before), "\n".join(after)
    # the reader's own, everyone's, and their groups' when a group has members
    assert len(role_reads(after)) <= 3, role_reads(after)
    others = html[html.index('label="Cá nhân"'):]
    for person in people:  # officers: offered as people, with their unit
        assert f'value="u:{person.id}"' in others
        assert f"{person.full_name} – TCBC" in others
    leaders = html[html.index('label="Lãnh đạo"'):html.index('label="Cá nhân"')]
    assert f'value="u:{user(db_session, "lanhdao").id}"' in leaders  # a leader, as before
    assert f'value="u:{user(db_session, "quantri").id}"' not in html  # takes no part


def test_a_requests_page_reads_the_units_people_at_once(app, login_as, db_session,
                                                       new_people, statements):
    """The unit's leader passes a request to a person of the unit: the chooser lists them
    with their positions; its history shows who acted."""
    with app.test_request_context():
        item = services.create_request(db_session, user(db_session, "chuyenvien"), {
            "subject": f"Phiếu thử {uuid.uuid4().hex[:8]}", "content": "Đề nghị phối hợp.",
            "deadline": today_local() + timedelta(days=5),
            "target_department_id": db_session.scalar(
                select(Department.id).where(Department.code == "TCBC"))}, [])
    client = login_as("tp.tcbc")
    url = f"/request/{item.id}"
    before, _html = page_statements(client, url, statements)
    people = new_people("TCBC", 4)
    after, html = page_statements(client, url, statements)

    assert len(after) == len(before), "\n".join(after)
    assert len(role_reads(after)) <= 3, role_reads(after)
    assert sum(s.lstrip().startswith("SELECT position.") for s in after) <= 1
    chooser = html[html.index('name="assignee_id"'):]
    chooser = chooser[:chooser.index("</select>")]
    for person in people:
        assert f'<option value="{person.id}">{person.full_name} – {person.position}' in chooser
    assert user(db_session, "cv.tcbc1").full_name in chooser
    assert user(db_session, "chuyenvien").full_name not in chooser  # another unit
    history = html[html.index("Lịch sử xử lý"):]
    assert "Gửi phiếu yêu cầu" in history and user(db_session, "chuyenvien").full_name in history


# ---------------------------------------------------------------- the grid, seen again

def test_the_request_grid_seen_again_is_not_read_again_and_shows_a_change_at_once(
        app, login_as, db_session, statements):
    """The grid's page and its boxes are kept per version of the data: seen again, no request
    form is read or counted; a new request shows at the next look, in the list and in the
    box's count, and so does its withdrawal."""
    from app.request_forms.models import RequestForm

    def incoming_count(html):
        import re

        return int(re.search(r'inbox-incoming"><a [^>]*>[^<]*<span class="badge[^"]*">(\d+)<',
                             html).group(1))

    client = login_as("truongphong")
    first = client.get("/request/list/list/").get_data(as_text=True)
    statements.clear()
    again = client.get("/request/list/list/").get_data(as_text=True)
    assert [s for s in statements if "FROM request_form" in s] == []
    assert again.count("<tr") == first.count("<tr")

    subject = f"Phiếu xem lại lưới {uuid.uuid4().hex[:8]}"
    unit = user(db_session, "truongphong").department
    with app.test_request_context():
        item = services.create_request(db_session, user(db_session, "chuyenvien"), {
            "subject": subject, "content": "Đề nghị phối hợp.",
            "deadline": today_local() + timedelta(days=5),
            "target_department_id": unit.id}, [])
    after = client.get("/request/list/list/").get_data(as_text=True)
    assert subject in after
    assert incoming_count(after) == incoming_count(again) + 1

    with app.test_request_context():
        services.act(db_session, user(db_session, "chuyenvien"),
                     db_session.get(RequestForm, item.id), "withdraw")
    withdrawn = client.get("/request/list/list/").get_data(as_text=True)
    row = withdrawn[withdrawn.index(subject):]
    assert "Đã thu hồi" in row[:row.index("</tr>")]
    assert incoming_count(withdrawn) == incoming_count(again)
