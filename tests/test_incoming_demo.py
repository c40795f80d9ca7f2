"""The demo incoming documents (app.documents.demo) as `eoffice setup --demo` leaves them: about
two hundred documents over four months and a hundred over the year before, numbered without
gaps, each with a searchable PDF, in every state of the routing, with overdue work, urgent and
secret ones."""
import random
import re
from collections import Counter, defaultdict
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.core.files import file_path
from app.core.text import fold
from app.core.timefmt import add_working_days, local_now, to_local, today_local, utcnow
from app.documents import demo as demo_module
from app.documents import services
from app.documents.demo import DEFAULT_COUNT, create_incoming_demo, make_plan, plan_arrivals
from app.documents.models import (
    COMPLETED, COOPERATE, DONE, FYI, IN_PROGRESS, LEAD, OPEN, PENDING, REGISTERED, SUBMITTED,
    IncomingAssignment, IncomingDocument,
)
from tests.conftest import own_sqlite, user


@pytest.fixture
def docs(db_session):
    """The demo's documents: the first ones in the database, made by setup before any test."""
    return list(db_session.scalars(
        select(IncomingDocument).order_by(IncomingDocument.id).limit(DEFAULT_COUNT)))


def test_about_two_hundred_documents_in_every_state(docs):
    assert len(docs) == DEFAULT_COUNT
    assert {d.created_by.username for d in docs} == {"vanthu"}
    states = Counter(d.state for d in docs)
    assert 3 <= states[PENDING] <= 5
    assert states[REGISTERED] >= 2 and states[SUBMITTED] >= 3  # Chờ trình, Chờ chỉ đạo
    assert states[IN_PROGRESS] >= 20 and states[COMPLETED] >= 100
    for document in docs:
        if document.state == PENDING:  # arrived electronically, not yet numbered
            assert document.arrival_number is None and document.arrival_year is None
            assert document.channel in ("electronic", "exchange")
            assert [e.action for e in document.events] == ["receive"]
    assert {"paper", "electronic"} <= {d.channel for d in docs}


def test_arrivals_are_past_office_hours_within_four_months(docs):
    now, today = local_now(), today_local()
    for document in docs:
        arrival = to_local(document.arrival_at).replace(tzinfo=None)
        oldest = today - timedelta(days=demo_module.WINDOW_DAYS + demo_module.HISTORY_DAYS + 5)
        assert arrival <= now and arrival.date() >= oldest
        assert arrival.weekday() < 5 and time(7, 30) <= arrival.time() <= time(16, 45)
        assert timedelta(0) <= arrival.date() - document.document_date <= timedelta(days=9)
        assert document.register.year == arrival.year
        if document.arrival_number:
            assert document.arrival_year == arrival.year


def test_numbers_are_consecutive_per_register_and_year(docs):
    numbers = defaultdict(list)
    for document in sorted(docs, key=lambda d: d.arrival_at):
        if document.arrival_number:
            numbers[(document.register_id, document.arrival_year)].append(
                document.arrival_number)
    assert numbers
    for series in numbers.values():
        assert series == list(range(1, len(series) + 1))  # in order of arrival, no gap


def test_number_symbol_matches_type_and_agency(docs):
    for document in docs:
        abbreviation = document.document_type.abbreviation
        if abbreviation:  # 56/QĐ-UBND, 12/KH-STC
            assert re.fullmatch(rf"\d+/{abbreviation}-[^-/]+", document.number_symbol)
        else:  # Công văn: 1234/UBND-NC, 89/BNV-TCBC
            assert document.document_type.name == "Công văn"
            assert re.fullmatch(r"\d+/[^-/]+-[^-/]+", document.number_symbol)
            assert document.excerpt.startswith("V/v ")
        assert document.signer_name and document.signer_position
    types = Counter(d.document_type.name for d in docs)
    assert types.most_common(1)[0][0] == "Công văn"
    assert {"Quyết định", "Kế hoạch", "Thông báo", "Tờ trình"} <= types.keys()
    assert len({d.agency_id for d in docs}) >= 10


def test_every_document_has_a_pdf_whose_text_is_searchable(app, docs, db_session):
    for document in docs:
        assert len(document.files) == 1
        pdf = document.files[0]
        assert pdf.is_pdf and pdf.page_count == 1 and document.page_count == 1
        assert file_path(app.config["DATA_DIR"], pdf.storage_name).is_file()
        assert document.number_symbol in pdf.text
        assert fold(document.excerpt) in fold(pdf.text)
    # Words only the file carries are found by the search.
    found = db_session.scalars(services.visible_query(user(db_session, "lanhdao")).where(
        services.search_condition("kinh gui so noi vu"))).all()
    assert len(found) >= 100
    sample = docs[17]
    assert sample in db_session.scalars(select(IncomingDocument).where(
        services.search_condition(sample.number_symbol))).all()


def test_routing_went_through_the_roles(docs):
    completed = [d for d in docs if d.state == COMPLETED]
    for document in completed:
        lead = [a for a in document.assignments if a.role == LEAD and a.parent_id is None]
        assert len(lead) == 1 and lead[0].state == DONE
        assert document.completed_at and document.result_note and document.direction
        assert "document_completed" in [e.action for e in document.events]
    for document in docs:
        if document.state == IN_PROGRESS:
            assert [a for a in document.assignments if a.role == LEAD and a.parent_id is None
                    and a.state == OPEN]
        if document.state in (PENDING, REGISTERED, SUBMITTED):
            assert not document.assignments
    assert sum(1 for d in completed if d.reply_reference) >= 20
    lines = [a for d in docs for a in d.assignments]
    roles = Counter(a.role for a in lines if a.parent_id is None)
    assert roles[COOPERATE] >= 10 and roles[FYI] >= 10
    delegated = [a for a in lines if a.parent_id is not None]
    assert len(delegated) >= 60
    assigners = Counter(a.assigned_by.username for a in lines if a.parent_id is None)
    assert {"lanhdao", "pgd.thanh", "pgd.nga"} <= assigners.keys()
    assert {"truongphong", "tp.tcbc"} <= {a.assigned_by.username for a in delegated}
    actions = Counter(e.action for d in docs for e in d.events)
    assert actions["progress"] >= 20 and actions["acknowledge"] >= 5


def test_history_reads_as_a_timeline(docs):
    now = utcnow()
    for document in docs:
        moments = [e.at for e in document.events]
        assert moments == sorted(moments)
        assert document.arrival_at <= moments[0] and moments[-1] <= now
        if document.completed_at:
            assert document.completed_at == moments[-1]
    completed = [d for d in docs if d.state == COMPLETED]
    late = [d for d in completed if to_local(d.completed_at).date() > d.deadline]
    assert 0 < len(late) < len(completed) / 3  # mostly on time, some late


def test_overdue_and_due_soon_work(app, docs, db_session):
    today = today_local()
    open_docs = [d for d in docs if d.state == IN_PROGRESS]
    overdue = [d for d in open_docs if d.deadline < today]
    assert len(overdue) >= 5
    assert all(services.is_overdue(d) for d in overdue)
    due_soon_until = add_working_days(today, app.config["DUE_SOON_DAYS"])
    assert [d for d in open_docs if today <= d.deadline <= due_soon_until]
    assert [d for d in open_docs if d.deadline > due_soon_until]
    chuyenvien = user(db_session, "chuyenvien")
    late_lines = services.overdue_lines(db_session, user(db_session, "lanhdao"))
    assert sum(1 for _dep, person, *_ in late_lines if person == chuyenvien) >= 2
    demo_ids = {d.id for d in docs}
    with app.app_context():  # the inboxes read the configuration
        mine = db_session.scalars(services.inbox_query(chuyenvien, "overdue")).all()
    assert len({d.id for d in mine} & demo_ids) >= 2


def test_chuyenvien_has_work(docs, db_session):
    chuyenvien = user(db_session, "chuyenvien")
    held = [a for d in docs for a in d.assignments if a.user_id == chuyenvien.id]
    assert len(held) >= 10
    assert {a.state for a in held} >= {OPEN, DONE}
    assert {a.assigned_by.username for a in held} == {"truongphong"}


def test_urgent_and_secret_documents(docs):
    registered = [d for d in docs if d.state != PENDING]
    urgent = [d for d in registered if d.is_urgent]
    assert 0.08 * len(registered) <= len(urgent) <= 0.16 * len(registered)
    assert {"Khẩn", "Thượng khẩn", "Hỏa tốc"} <= {d.urgency.name for d in urgent}
    secret = [d for d in docs if d.is_secret]
    assert 3 <= len(secret) <= 6
    for document in docs:
        assert document.register.is_secret == document.is_secret
    assert {d.channel for d in secret} == {"paper"}
    assert all(not any(a.role == FYI for a in d.assignments) for d in secret)


def test_running_again_adds_nothing(app, db_session):
    before = db_session.scalar(select(func.count(IncomingDocument.id)))
    lines = db_session.scalar(select(func.count(IncomingAssignment.id)))
    with app.app_context():  # as `flask eoffice demo` runs it
        assert create_incoming_demo(app) == {}
    assert db_session.scalar(select(func.count(IncomingDocument.id))) == before
    assert db_session.scalar(select(func.count(IncomingAssignment.id))) == lines


def test_the_plan_keeps_its_promises_across_the_new_year():
    now = datetime(2027, 1, 20, 10, 0)
    arrivals = plan_arrivals(random.Random(7), 150, now)
    assert arrivals == sorted(arrivals) and arrivals[-1] <= now
    assert {a.year for a in arrivals} == {2026, 2027}
    assert all(a.weekday() < 5 for a in arrivals)
    plans = make_plan(random.Random(7), 150, now)
    assert len(plans) == 150
    assert sum(1 for p in plans if p.timing == "overdue") >= 5
    assert sum(1 for p in plans if p.officer == "chuyenvien") >= 10
    assert make_plan(random.Random(7), 150, now) == plans  # deterministic


@own_sqlite
def test_previous_year_documents_go_to_the_previous_year_registers(tmp_path,
                                                                   accounts_only_demo):
    """When the four months reach into last year, last year's registers are made and used."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'year.db'}",
                        "SECRET_KEY": "x" * 40, "INSTANCE_DIR": str(tmp_path),
                        "DATA_DIR": str(tmp_path / "data"), "DEMO_PASSWORD": "Mat-khau-2026-abc",
                        "TESTING": True})
    result = other.test_cli_runner().invoke(args=["eoffice", "setup"])
    assert result.exit_code == 0, result.output
    from app.demo import create_demo
    from app.extensions import db

    with other.app_context():
        create_demo(other)  # the accounts only (accounts_only_demo)
        now = min(datetime(local_now().year, 2, 10, 10, 0), local_now())
        summary = create_incoming_demo(other, count=40, now=now)
        assert sum(summary.values()) == 40
        documents = db.session.scalars(select(IncomingDocument)).all()
        years = {to_local(d.arrival_at).year for d in documents}
        assert now.year - 1 in years and years <= {now.year - 1, now.year}
        numbers = defaultdict(list)
        for document in sorted(documents, key=lambda d: d.arrival_at):
            assert document.register.year == to_local(document.arrival_at).year
            if document.arrival_number:
                numbers[(document.register.name, document.arrival_year)].append(
                    document.arrival_number)
        assert numbers
        for series in numbers.values():
            assert series == list(range(1, len(series) + 1))
        db.session.remove()
