"""No object reaches someone who may not see it, whatever URL they type (OWASP ASVS 4.2.1).

For each kind of object with per-object visibility, the test finds — with the module's own
visibility rule — an object one demo account sees and another does not, then calls every URL
of that object (web pages, downloads, actions, REST reads, writes and actions; taken from the
application's URL map, not from a list) as the other account: each answers 403 or 404, says
nothing of the object, and changes nothing."""
import html
import json
import re
from datetime import date, time
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from app.demo import PEOPLE
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from app.documents.workflow import TRANSITIONS as INCOMING_FLOW
from app.dossiers.access import visible_dossier
from app.dossiers.models import Dossier
from app.dossiers.workflow import TRANSITIONS as DOSSIER_FLOW
from app.news.access import visible_news
from app.news.models import NewsItem
from app.news.workflow import TRANSITIONS as NEWS_FLOW
from app.org.models import EofficeUser
from app.outgoing.access import visible_draft, visible_outgoing
from app.outgoing.models import Draft, OutgoingDocument
from app.outgoing.workflow import TRANSITIONS as DRAFT_FLOW
from app.request_forms.access import visible_requests
from app.request_forms.models import RequestForm
from app.request_forms.workflow import TRANSITIONS as REQUEST_FLOW
from app.schedules.access import can_see_week
from app.schedules.models import DRAFT, UNIT, ScheduleItem, ScheduleWeek
from app.schedules.workflow import TRANSITIONS as SCHEDULE_FLOW
from tests.conftest import ACCOUNTS, csrf_token


def actions(transitions):
    return sorted({action for _state, action in transitions})


@dataclass
class Kind:
    name: str
    model: type
    text: str  # the attribute that must not leak
    prefixes: tuple  # the URL rules of one object: their first variable is its id
    actions: list
    visible: object = None  # user -> SQL condition
    sees: object = None  # (user, object) -> bool, for rules written in Python
    children: dict = field(default_factory=dict)  # URL variable -> object -> ids
    state: str = "state"


KINDS = [
    Kind("incoming", IncomingDocument, "excerpt",
         ("/incoming/<int:document_id>", "/incoming/list/show/<int:pk>",
          "/api/v1/incoming/<int:pk>"), actions(INCOMING_FLOW), visible=visible_incoming,
         children={"file_id": lambda d: [f.id for f in d.files]}),
    Kind("draft", Draft, "excerpt",
         ("/drafts/<int:draft_id>", "/drafts/list/show/<int:pk>", "/api/v1/draft/<int:pk>"),
         actions(DRAFT_FLOW), visible=visible_draft,
         children={"version_id": lambda d: [v.id for v in d.versions]}),
    Kind("outgoing", OutgoingDocument, "excerpt",
         ("/outgoing/<int:document_id>", "/outgoing/list/show/<int:pk>",
          "/api/v1/outgoing/<int:pk>"), [], visible=visible_outgoing,
         children={"file_id": lambda d: [f.id for f in d.files],
                   "recipient_id": lambda d: [r.id for r in d.recipients]}),
    Kind("dossier", Dossier, "title",
         ("/dossiers/<int:dossier_id>", "/dossiers/list/show/<int:pk>",
          "/api/v1/dossier/<int:pk>"), actions(DOSSIER_FLOW), visible=visible_dossier,
         children={"item_id": lambda d: [i.id for i in d.items]}, state="status"),
    Kind("request", RequestForm, "subject",
         ("/request/<int:request_id>", "/request/list/show/<int:pk>",
          "/api/v1/request/<int:pk>"), actions(REQUEST_FLOW), visible=visible_requests,
         children={"file_id": lambda r: [f.id for f in r.files]}),
    Kind("news", NewsItem, "title", ("/news/<int:news_id>", "/api/v1/news/<int:pk>"),
         actions(NEWS_FLOW), visible=visible_news),
    Kind("schedule week", ScheduleWeek, None,
         ("/schedule/week/<int:week_id>", "/api/v1/schedule/week/<int:pk>"),
         actions(SCHEDULE_FLOW), sees=can_see_week),
    Kind("schedule item", ScheduleItem, "content",
         ("/schedule/item/<int:item_id>", "/api/v1/schedule/<int:pk>"), [],
         sees=lambda user, item: can_see_week(user, item.week_record), state="content"),
]


@pytest.fixture
def unpublished_unit_week(app, db_session):
    """A unit's week still being prepared (the demo data publishes its weeks): only the
    unit's leaders and the agency's leaders see it."""
    leader = db_session.scalar(select(EofficeUser).where(EofficeUser.username == "truongphong"))
    week = db_session.scalar(select(ScheduleWeek).where(
        ScheduleWeek.level == UNIT, ScheduleWeek.department_id == leader.department_id,
        ScheduleWeek.year == 2040, ScheduleWeek.week == 10))
    if week is None:
        week = ScheduleWeek(level=UNIT, department_id=leader.department_id, year=2040, week=10,
                            state=DRAFT)
        week.items.append(ScheduleItem(day=date(2040, 3, 6), session="morning",
                                       start_time=time(8), content="Họp kín về nhân sự IDOR"))
        db_session.add(week)
        db_session.commit()
    return week


def demo_users(db_session):
    """The six demo accounts first, then the other people of the demo agency."""
    first = [db_session.scalar(select(EofficeUser).where(EofficeUser.username == name))
             for name in ACCOUNTS.values()]
    others = db_session.scalars(select(EofficeUser).where(
        EofficeUser.username.in_([p[0] for p in PEOPLE[6:]])).order_by(EofficeUser.id)).all()
    return first + list(others)


def has_children(kind, obj):
    return all(ids(obj) for ids in kind.children.values())


def sees_some(db_session, kind, user):
    if kind.visible is not None:
        return db_session.scalar(select(kind.model.id).where(kind.visible(user)).limit(1))
    return any(kind.sees(user, o) for o in db_session.scalars(select(kind.model)))


def find_case(db_session, kind):
    """(object, viewer, outsider): preferably an object with files (or items) to download."""
    users = demo_users(db_session)
    found = None
    # The outsider must see other objects of the kind: then the module's permission lets
    # them in and only the per-object rule keeps them out.
    for outsider in [u for u in users if sees_some(db_session, kind, u)]:
        for viewer in users:
            if viewer is outsider:
                continue
            if kind.visible is not None:
                # not_in, not NOT(...): the rules compare nullable columns (NULL is not false)
                seen_by_outsider = select(kind.model.id).where(kind.visible(outsider))
                objects = db_session.scalars(select(kind.model).where(
                    kind.visible(viewer), kind.model.id.not_in(seen_by_outsider)).order_by(
                    kind.model.id).limit(50)).all()
            else:
                objects = [o for o in db_session.scalars(select(kind.model).order_by(
                    kind.model.id)) if kind.sees(viewer, o) and not kind.sees(outsider, o)]
            for obj in objects:
                if has_children(kind, obj):
                    return obj, viewer, outsider
                found = found or (obj, viewer, outsider)
    return found


def object_requests(app, kind, obj):
    """(method, path, action) for every URL of the object in the URL map."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(kind.prefixes):
            continue
        names = rule.arguments
        values = [{}]
        first = rule.rule.split("<", 1)[1].split(">", 1)[0].split(":")[-1]
        for name in names:
            if name == first:
                choices = [obj.id]
            elif name in kind.children:
                choices = kind.children[name](obj)[:2] or [1]
            elif name in ("action", "direction"):
                choices = kind.actions or ["up"]
            else:
                choices = [1]
            values = [dict(v, **{name: c}) for v in values for c in choices]
        for method in sorted(rule.methods & {"GET", "POST", "PUT", "DELETE"}):
            for value in values:
                path = rule.rule
                for name, chosen in value.items():
                    path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(chosen), path)
                yield method, path, value.get("action")


def leaks(response, text):
    if not text:
        return False
    body = response.get_data(as_text=True)
    if text in body or html.escape(text) in body:
        return True
    data = response.get_json(silent=True)
    return data is not None and text in json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_an_object_is_closed_to_those_who_may_not_see_it(app, client, login_as, api_as,
                                                        db_session, kind, request):
    if kind.name.startswith("schedule"):
        request.getfixturevalue("unpublished_unit_week")
    case = find_case(db_session, kind)
    assert case, f"the demo data has no {kind.name} that one account sees and another not"
    obj, viewer, outsider = case
    text = getattr(obj, kind.text)[:60] if kind.text else None
    state_before = getattr(obj, kind.state)
    requests = list(object_requests(app, kind, obj))
    assert {path.startswith("/api/") for _method, path, _action in requests} == {True, False}

    if kind.text and kind.model is not ScheduleItem:  # the viewer sees it: the right object
        page = login_as(viewer.username).get(f"{kind.prefixes[0].split('<')[0]}{obj.id}")
        assert page.status_code == 200 and leaks(page, text)

    headers = api_as(outsider.username)
    login_as(outsider.username)
    token = csrf_token(client.get("/").get_data(as_text=True))
    answered = []
    for method, path, action in requests:
        if path.startswith("/api/"):
            response = client.open(path, method=method, headers=headers, json={})
        else:
            response = client.open(path, method=method, data={
                "csrf_token": token, "action": action or "", "note": "x"})
        if response.status_code == 302 and method == "GET":  # FAB's show → our page
            assert "/login" not in response.location, path
            response = client.get(response.location)
        answered.append((method, path, response.status_code))
        assert response.status_code in (403, 404), (outsider.username, method, path,
                                                   response.status_code)
        assert not leaks(response, text), (method, path)
    db_session.expire_all()
    assert getattr(db_session.get(kind.model, obj.id), kind.state) == state_before
    assert len(answered) >= 2


def test_a_week_being_prepared_does_not_show_in_the_week_views(app, login_as, api_as,
                                                              unpublished_unit_week):
    week, item = unpublished_unit_week, unpublished_unit_week.items[0]
    query = f"scope=unit-{week.department_id}&year=2040&week=10"
    leader = login_as("truongphong")
    assert item.content in leader.get(f"/schedule/week?{query}").get_data(as_text=True)
    officer = login_as("chuyenvien")
    for path in (f"/schedule/week?{query}", "/schedule/week?scope=all&year=2040&week=10",
                 f"/schedule/print?{query}"):
        assert item.content not in officer.get(path).get_data(as_text=True), path
    api = officer.get(f"/api/v1/schedule/?{query}", headers=api_as("chuyenvien"))
    assert api.status_code == 200 and not leaks(api, item.content)
