"""Notices for every step that waits for someone (issue 16, point 1): the draft chain, the
issued document, request forms, deadlines of incoming documents and overdue dossiers — each
told to the right person with a link, and done once that person (or whoever took the step)
acted. The page /notifications/ shows open and done notices."""
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.core.timefmt import add_working_days, local_now, today_local
from app.documents import services as incoming
from app.documents.reminders import remind_incoming
from app.dossiers.reminders import remind_dossiers
from app.notifications.models import Notification
from app.notifications.services import notify
from app.outgoing import services as outgoing
from app.request_forms import services as requests
from tests.conftest import form_of, user
from tests.dossier_helpers import act, link, new_dossier, visible_incoming_docs
from tests.incoming_helpers import entry
from tests.test_outgoing import issue, new_draft
from tests.test_request_forms import send


def notices(session, username, subject, kind=None):
    """The notices of `username` about `subject` (of `kind`), oldest first."""
    session.expire_all()
    query = select(Notification).where(Notification.user_id == user(session, username).id,
                                       Notification.subject == subject)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def only(session, username, subject, kind):
    found = notices(session, username, subject, kind)
    assert len(found) == 1, [(n.kind, n.message) for n in found]
    return found[0]


def step(app, session, username, draft, action, note=None):
    with app.test_request_context():
        outgoing.apply(session, user(session, username), draft, action, note)


# ---------------------------------------------------------------- the draft chain

def test_each_step_of_a_draft_tells_who_acts_next_and_is_done_when_they_act(app, db_session):
    with app.test_request_context():
        draft = new_draft(db_session)
    subject = f"draft:{draft.id}"
    step(app, db_session, "chuyenvien", draft, "submit")
    review = only(db_session, "truongphong", subject, "draft.review")
    assert review.url == f"/drafts/{draft.id}" and review.done_at is None
    assert "đang chờ bạn duyệt" in review.message and "Hoàng Thị Thủy" in review.message
    assert notices(db_session, "chuyenvien", subject) == []  # not told what they just did

    step(app, db_session, "truongphong", draft, "forward")
    assert only(db_session, "truongphong", subject, "draft.review").done_at is not None
    sign = only(db_session, "lanhdao", subject, "draft.sign")
    assert sign.done_at is None and "chờ bạn ký, duyệt" in sign.message

    step(app, db_session, "lanhdao", draft, "return", "Bổ sung số liệu quý IV.")
    assert only(db_session, "lanhdao", subject, "draft.sign").done_at is not None
    returned = only(db_session, "chuyenvien", subject, "draft.returned")
    assert "bị trả lại: Bổ sung số liệu quý IV." in returned.message
    assert returned.done_at is None and returned.url == f"/drafts/{draft.id}"

    step(app, db_session, "chuyenvien", draft, "submit")
    assert only(db_session, "chuyenvien", subject, "draft.returned").done_at is not None
    second = notices(db_session, "truongphong", subject, "draft.review")
    assert len(second) == 2 and second[-1].done_at is None
    step(app, db_session, "truongphong", draft, "forward")
    step(app, db_session, "lanhdao", draft, "approve")
    for clerk in ("vanthu", "vanthu2"):  # every clerk who issues is told
        to_issue = only(db_session, clerk, subject, "draft.to_issue")
        assert "đã được duyệt, chờ phát hành" in to_issue.message and to_issue.done_at is None

    with app.test_request_context():
        document = issue(db_session, draft)
        db_session.commit()
    for clerk in ("vanthu", "vanthu2"):  # one clerk issued it: nothing waits for either
        assert only(db_session, clerk, subject, "draft.to_issue").done_at is not None
    issued = db_session.scalars(select(Notification).where(  # for information: no subject
        Notification.user_id == user(db_session, "chuyenvien").id,
        Notification.kind == "draft.issued", Notification.url == f"/drafts/{draft.id}")).all()
    assert len(issued) == 1 and document.number_symbol in issued[0].message
    # The recipient unit (TCBC): its people are told, with the outgoing document's link.
    for person in ("tp.tcbc", "cv.tcbc1", "cv.tcbc2"):
        received = only(db_session, person, f"outgoing:{document.id}", "outgoing.received")
        assert received.url == f"/outgoing/{document.id}" and received.done_at is None
        assert "gửi đến đơn vị bạn" in received.message
    assert notices(db_session, "truongphong", f"outgoing:{document.id}") == []


def test_reading_the_issued_document_settles_the_recipients_notice(app, db_session,
                                                                   login_as):
    with app.test_request_context():
        draft = new_draft(db_session)
    for username, action in (("chuyenvien", "submit"), ("truongphong", "forward"),
                             ("lanhdao", "approve")):
        step(app, db_session, username, draft, action)
    with app.test_request_context():
        document = issue(db_session, draft)
        db_session.commit()
    subject = f"outgoing:{document.id}"
    browser = login_as("cv.tcbc1")
    waiting = browser.get("/notifications/?show=open").get_data(as_text=True)
    assert document.number_symbol in waiting and "Cần xử lý" in waiting
    assert browser.get(f"/outgoing/{document.id}").status_code == 200
    assert only(db_session, "cv.tcbc1", subject, "outgoing.received").done_at is not None
    # A colleague of the unit still has it to read.
    assert only(db_session, "cv.tcbc2", subject, "outgoing.received").done_at is None
    open_page = browser.get("/notifications/?show=open").get_data(as_text=True)
    assert document.number_symbol not in open_page
    everything = browser.get("/notifications/?show=all").get_data(as_text=True)
    assert document.number_symbol in everything and "Đã xử lý" in everything


# ---------------------------------------------------------------- request forms

def request_step(app, session, username, request, action, **kwargs):
    with app.test_request_context():
        requests.act(session, user(session, username), request, action, **kwargs)


def test_a_request_form_is_told_to_the_unit_leader_then_the_officer_then_the_sender(
        app, db_session):
    request = send(app, db_session, "chuyenvien", "d:TCBC")
    subject = f"request_form:{request.id}"
    received = only(db_session, "tp.tcbc", subject, "request_form.received")
    assert received.url == f"/request/{request.id}" and "gửi đến đơn vị bạn" in received.message
    assert notices(db_session, "cv.tcbc1", subject) == []  # the leader decides who handles it

    request_step(app, db_session, "tp.tcbc", request, "forward",
                 assignee_id=user(db_session, "cv.tcbc1").id)
    assert only(db_session, "tp.tcbc", subject, "request_form.received").done_at is not None
    passed = only(db_session, "cv.tcbc1", subject, "request_form.received")
    assert "được giao cho bạn xử lý" in passed.message and passed.done_at is None

    request_step(app, db_session, "cv.tcbc1", request, "accept")
    assert only(db_session, "cv.tcbc1", subject, "request_form.received").done_at is not None
    request_step(app, db_session, "cv.tcbc1", request, "complete",
                 note="Đã gửi số liệu biên chế.")
    db_session.expire_all()
    answered = db_session.scalars(select(Notification).where(
        Notification.user_id == user(db_session, "chuyenvien").id,
        Notification.kind == "request_form.answered",
        Notification.url == f"/request/{request.id}")).all()
    assert len(answered) == 1
    assert "đã được hoàn thành: Đã gửi số liệu biên chế." in answered[0].message
    assert answered[0].read_at is None


def test_a_withdrawn_request_waits_for_nobody(app, db_session):
    request = send(app, db_session, "chuyenvien", "cv.xdcq")
    subject = f"request_form:{request.id}"
    assert only(db_session, "cv.xdcq", subject, "request_form.received").done_at is None
    request_step(app, db_session, "chuyenvien", request, "withdraw")
    assert only(db_session, "cv.xdcq", subject, "request_form.received").done_at is not None
    db_session.expire_all()
    told = db_session.scalars(select(Notification).where(
        Notification.user_id == user(db_session, "cv.xdcq").id,
        Notification.kind == "request_form.withdrawn",
        Notification.url == f"/request/{request.id}")).all()
    assert len(told) == 1 and "đã được người gửi thu hồi" in told[0].message


# ---------------------------------------------------------------- deadlines

def assigned_document(app, session, lines, excerpt):
    """A document registered ten days ago, presented and assigned by the director."""
    now = local_now().replace(second=0, microsecond=0)
    with app.test_request_context():
        document = incoming.register_incoming(
            session, user(session, "vanthu"),
            entry(session, excerpt=excerpt, arrival_at=now - timedelta(days=10),
                  document_date=(now - timedelta(days=11)).date()),
            submit=True)
        incoming.assign(session, user(session, "lanhdao"), document, "", lines)
    return document


def test_deadline_notices_follow_the_definition_and_come_once(app, db_session):
    today = today_local()
    later = add_working_days(today, app.config["DUE_SOON_DAYS"] + 3)
    excerpt = f"V/v nhắc hạn thử nghiệm {uuid.uuid4().hex[:6]}"
    document = assigned_document(app, db_session, [
        {"role": "lead", "user_id": user(db_session, "chuyenvien").id,
         "deadline": today - timedelta(days=1)},
        {"role": "cooperate", "department_id": user(db_session, "tp.tcbc").department_id,
         "deadline": today},
        {"role": "cooperate", "user_id": user(db_session, "cv.xdcq").id, "deadline": later},
        {"role": "fyi", "user_id": user(db_session, "cv.cchc").id}], excerpt)
    subject = f"incoming:{document.id}"

    result = app.test_cli_runner().invoke(args=["eoffice", "notices", "--no-digest"])
    assert result.exit_code == 0, result.output
    assert "Nhắc hạn:" in result.output
    overdue = only(db_session, "chuyenvien", subject, "incoming.overdue")
    assert overdue.urgent and overdue.url == f"/incoming/{document.id}"
    assert "đã quá hạn xử lý" in overdue.message and excerpt in overdue.message
    # The unit's line, given to no one yet: its leader holds it.
    due_soon = only(db_session, "tp.tcbc", subject, "incoming.due_soon")
    assert "sắp đến hạn xử lý" in due_soon.message
    for person in ("cv.xdcq",  # far from its deadline
                   "cv.cchc"):  # "để biết" is not work with a deadline
        assert [n.kind for n in notices(db_session, person, subject)
                if n.kind in ("incoming.overdue", "incoming.due_soon")] == []

    with app.app_context():  # a second pass, or another process: nothing new
        assert remind_incoming(db_session, today) == 0
    assert len(notices(db_session, "chuyenvien", subject, "incoming.overdue")) == 1
    assert len(notices(db_session, "tp.tcbc", subject, "incoming.due_soon")) == 1


def test_the_scan_gives_nothing_twice(app, db_session):
    today = today_local()
    document = assigned_document(app, db_session, [
        {"role": "lead", "user_id": user(db_session, "cv.cchc").id,
         "deadline": today - timedelta(days=2)}], "V/v nhắc hạn hai lần")
    with app.app_context():
        first = remind_incoming(db_session, today)
        second = remind_incoming(db_session, today)
    assert first >= 1 and second == 0
    assert len(notices(db_session, "cv.cchc", f"incoming:{document.id}",
                       "incoming.overdue")) == 1


def test_an_overdue_dossier_is_told_to_its_keeper_once_and_closing_settles_it(app,
                                                                               db_session):
    dossier = new_dossier(app, db_session, title="Hồ sơ nhắc quá hạn thử nghiệm",
                          start_date=today_local() - timedelta(days=40),
                          deadline=today_local() - timedelta(days=2))
    subject = f"dossier:{dossier.id}"
    with app.app_context():
        remind_dossiers(db_session)
        remind_dossiers(db_session)
    told = only(db_session, "chuyenvien", subject, "dossier.overdue")
    assert told.urgent and told.url == f"/dossiers/{dossier.id}"
    assert dossier.code in told.message and "đã quá hạn" in told.message
    [document] = visible_incoming_docs(db_session, "chuyenvien", 1)
    link(app, db_session, dossier, "chuyenvien", "incoming", document.id)
    act(app, db_session, dossier, "truongphong", "close")  # the unit's leader closes it
    assert only(db_session, "chuyenvien", subject, "dossier.overdue").done_at is not None


# ---------------------------------------------------------------- the page

def test_the_page_shows_what_waits_and_what_is_done(app, db_session, login_as):
    person = user(db_session, "cv.vtlt")
    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        notify(db_session, [person], f"Việc đang chờ {tag}", "/incoming/list/list/",
               "test.task", subject=f"test:{tag}")
        notify(db_session, [person], f"Việc đã xong {tag}", "/incoming/list/list/",
               "test.task", subject=f"test:{tag}-done")
        notify(db_session, [person], f"Tin để biết {tag}", "/news/", "test.info")
        db_session.commit()
        from app.notifications.services import settle

        settle(db_session, person, f"test:{tag}-done")
        db_session.commit()
    browser = login_as("cv.vtlt")
    waiting = browser.get("/notifications/?show=open").get_data(as_text=True)
    assert f"Việc đang chờ {tag}" in waiting and f"Tin để biết {tag}" in waiting
    assert f"Việc đã xong {tag}" not in waiting
    everything = browser.get("/notifications/").get_data(as_text=True)
    assert f"Việc đã xong {tag}" in everything and "Đã xử lý" in everything
    # Opening the notice for information: read, so no longer waiting; off to its page.
    info = db_session.scalar(select(Notification).where(
        Notification.message == f"Tin để biết {tag}"))
    opened = browser.post(f"/notifications/{info.id}", data=form_of(waiting))
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/news/")
    waiting = browser.get("/notifications/?show=open").get_data(as_text=True)
    assert f"Tin để biết {tag}" not in waiting and f"Việc đang chờ {tag}" in waiting
