"""The dashboard counts each month once and counts again only the months that changed
(app.stats.stamps, app.stats.partials): what a leader reads after any change must be what a
count from nothing gives, and work turns overdue on the day after its deadline even when
nothing in the data changed."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.timefmt import to_local, today_local, utcnow
from app.documents import deadlines
from app.documents.models import (
    DONE, IN_PROGRESS, OPEN, WORK_ROLES, IncomingAssignment, IncomingDocument,
)
from app.extensions import cache
from app.org.models import Department, EofficeUser
from app.stats import figures, stamps
from dossier_helpers import register_incoming
from tests.conftest import user


def version_of(session, kind, month):
    return stamps.versions(session, (kind,), [month]).get((kind, month), 0)


def versions_of(session, *stamped):
    """The versions of these (kind, month) pairs, in order."""
    return tuple(version_of(session, kind, month) for kind, month in stamped)


def month_of(moment):
    return to_local(moment).strftime("%Y-%m")


def dashboard(app, session, username, today=None, **args):
    """Every figure and the headline numbers as the dashboard computes them (the kept months
    of the cache used)."""
    with app.test_request_context():
        reader = user(session, username)
        scope = figures.Scope.for_user(session, reader, args)
        if today is not None:
            scope = figures.Scope(scope.user, scope.unit_id, scope.period, today)
        shown = {name: build(session, scope).as_dict() for name, build in
                 figures.FIGURES.items()}
        shown["summary"] = figures.summary(session, scope)
        return shown


def counted_afresh(app, session, username, today=None, **args):
    with app.app_context():
        cache.clear()
    return dashboard(app, session, username, today, **args)


def older_open_line(session, unit_id=None):
    """An open work line given to a person (of the unit) on a document being processed that
    arrived in an earlier month of the default period (not this month)."""
    first_of_month = today_local().replace(day=1)
    query = (select(IncomingAssignment).join(IncomingDocument)
             .join(EofficeUser, EofficeUser.id == IncomingAssignment.user_id)
             .where(IncomingAssignment.state == OPEN, IncomingAssignment.role.in_(WORK_ROLES),
                    IncomingDocument.state == IN_PROGRESS,
                    IncomingDocument.arrival_at < first_of_month - timedelta(days=40)))
    if unit_id is not None:
        query = query.where(EofficeUser.department_id == unit_id)
    line = session.scalars(query.order_by(IncomingDocument.arrival_at.desc())).first()
    assert line is not None, "the demo has older open work"
    return line


def recounted(statements):
    """The statements that counted a unit's months of documents or work from nothing."""
    return [sql for sql in statements if "period_documents" in sql or "period_lines" in sql]


# ---------------------------------------------------------------- the stamps

def test_a_registration_stamps_its_month_of_arrival(app, db_session):
    month = today_local().strftime("%Y-%m")
    before = version_of(db_session, stamps.INCOMING, month)
    document = register_incoming(app, db_session)
    assert month_of(document.arrival_at) == month
    assert version_of(db_session, stamps.INCOMING, month) > before


def test_a_change_stamps_the_month_before_and_the_month_after(app, db_session):
    document = db_session.scalars(select(IncomingDocument).where(
        IncomingDocument.arrival_at < utcnow() - timedelta(days=100))
        .order_by(IncomingDocument.id)).first()
    old = month_of(document.arrival_at)
    new_arrival = document.arrival_at + timedelta(days=45)
    new = month_of(new_arrival)
    assert old != new
    stamped = ((stamps.INCOMING, old), (stamps.INCOMING, new))
    before = versions_of(db_session, *stamped)
    document.arrival_at = new_arrival
    db_session.commit()
    assert versions_of(db_session, *stamped) == (before[0] + 1, before[1] + 1)


def test_completed_work_stamps_the_document_and_the_month_of_completion(app, db_session):
    line = older_open_line(db_session)
    arrival = month_of(line.document.arrival_at)
    this_month = today_local().strftime("%Y-%m")
    stamped = ((stamps.INCOMING, arrival), (stamps.ACTIVITY, this_month))
    before = versions_of(db_session, *stamped)
    line.state, line.completed_at = DONE, utcnow()
    db_session.commit()
    assert versions_of(db_session, *stamped) == (before[0] + 1, before[1] + 1)


def test_a_rolled_back_change_leaves_the_stamps_as_they_were(app, db_session):
    line = older_open_line(db_session)
    arrival = month_of(line.document.arrival_at)
    before = version_of(db_session, stamps.INCOMING, arrival)
    line.state = DONE
    db_session.flush()
    db_session.rollback()
    assert version_of(db_session, stamps.INCOMING, arrival) == before
    db_session.commit()  # nothing noted before the rollback is stamped later
    assert version_of(db_session, stamps.INCOMING, arrival) == before


def test_moving_a_person_to_another_unit_stamps_the_people(app, db_session):
    """The agency's people and the people of the two units move; a third unit's do not."""
    person = user(db_session, "chuyenvien")
    home = person.department_id
    other, third = db_session.scalars(select(Department.id).where(
        Department.id != home, Department.parent_id.is_not(None)).order_by(Department.id)
    ).all()[:2]
    people = [(stamps.PEOPLE, stamps.NO_MONTH)] + [
        (stamps.PEOPLE, stamps.unit_month(unit)) for unit in (home, other, third)]
    before = versions_of(db_session, *people)
    person.department_id = other
    db_session.commit()
    try:
        moved = (before[0] + 1, before[1] + 1, before[2] + 1, before[3])
        assert versions_of(db_session, *people) == moved
        person.last_login = utcnow()  # not who is where: no new version
        db_session.commit()
        assert versions_of(db_session, *people) == moved
    finally:
        person.department_id = home
        db_session.commit()


# ---------------------------------------------------------------- what the leaders read

@pytest.mark.parametrize("username", ["lanhdao", "truongphong"])
def test_after_each_change_the_dashboard_reads_what_a_fresh_count_gives(
        app, db_session, username):
    """Registration, completed work on an older document, a person moved between units: the
    months kept from before are right only if each change stamped what it touched."""
    dashboard(app, db_session, username)  # every month counted and kept
    register_incoming(app, db_session)
    assert dashboard(app, db_session, username) == counted_afresh(app, db_session, username)

    unit = user(db_session, username).department_id if username == "truongphong" else None
    line = older_open_line(db_session, unit)
    line.state, line.completed_at, line.result_note = DONE, utcnow(), "Đã xử lý xong."
    db_session.commit()
    assert dashboard(app, db_session, username) == counted_afresh(app, db_session, username)

    # work given straight to a person (no unit's line above it) counts for the person's unit
    direct = older_open_line(db_session, unit)
    direct.parent_id = direct.department_id = None
    db_session.commit()
    dashboard(app, db_session, username)
    worker = direct.user
    home = worker.department_id
    other = db_session.scalars(select(Department.id).where(
        Department.id != home, Department.parent_id.is_not(None))).first()
    worker.department_id = other
    db_session.commit()
    try:
        assert dashboard(app, db_session, username) == \
            counted_afresh(app, db_session, username)
    finally:
        worker.department_id = home
        db_session.commit()


def test_a_move_between_two_other_units_leaves_a_unit_leaders_counts_kept(
        app, db_session, statements):
    """Someone moves between two units that are not the unit leader's: the leader's
    dashboard is not counted again (the counts of one unit follow its own people), and it
    still reads what a count from nothing gives."""
    unit = user(db_session, "truongphong").department_id
    # someone of another unit who holds work of the period, given straight to them
    line = db_session.scalars(
        select(IncomingAssignment).join(IncomingDocument)
        .join(EofficeUser, EofficeUser.id == IncomingAssignment.user_id)
        .where(EofficeUser.department_id.is_not(None), EofficeUser.department_id != unit,
               IncomingAssignment.role.in_(WORK_ROLES),
               IncomingAssignment.state.in_((OPEN, DONE)),
               IncomingDocument.arrival_at >= utcnow() - timedelta(days=200))
        .order_by(IncomingAssignment.id)).first()
    assert line is not None, "the demo has work of other units"
    line.parent_id = line.department_id = None
    db_session.commit()
    mover = line.user
    home = mover.department_id
    other = db_session.scalars(select(Department.id).where(
        Department.id.not_in([unit, home]), Department.parent_id.is_not(None))).first()
    kept = dashboard(app, db_session, "truongphong")
    mover.department_id = other
    db_session.commit()
    try:
        statements.clear()
        assert dashboard(app, db_session, "truongphong") == kept
        assert not recounted(statements)
        assert kept == counted_afresh(app, db_session, "truongphong")
        # the agency's counts by unit do change with it: the two units' counts, from the
        # mover's documents
        dashboard(app, db_session, "lanhdao")
        statements.clear()
        mover.department_id = home
        db_session.commit()
        agency = dashboard(app, db_session, "lanhdao")
        assert not recounted(statements)
        assert [sql for sql in statements if "moved_lines" in sql]
        assert agency == counted_afresh(app, db_session, "lanhdao")
    finally:
        mover.department_id = home
        db_session.commit()


def a_move(session):
    """(someone of a unit, their unit, another unit, every unit's id)."""
    mover = session.scalars(select(EofficeUser).where(
        EofficeUser.department_id.is_not(None), EofficeUser.active.is_(True))
        .order_by(EofficeUser.id)).first()
    other = session.scalars(select(Department.id).where(
        Department.id != mover.department_id, Department.parent_id.is_not(None))
        .order_by(Department.id)).first()
    return mover, mover.department_id, other, list(session.scalars(select(Department.id)))


def test_the_agencys_counts_by_unit_count_again_only_the_units_a_move_changed(
        app, db_session):
    """The agency's counts by unit are kept unit by unit: nothing counted yet, every month of
    every unit in one go; a person moved from one unit to another, the two units' months
    only; a registration, this month of every unit."""
    from app.stats import partials

    mover, home, other, units = a_move(db_session)
    assert len(units) > 3, "the demo has more units than the two of the move"
    asked = []

    def count(months, chosen):
        asked.append(([key for key, _a, _b in months], chosen))
        return {key: {unit: unit * 10 for unit in chosen or units} for key, _a, _b in months}

    def counts():
        with app.test_request_context():
            scope = figures.Scope.for_user(db_session, user(db_session, "lanhdao"), {})
            return partials.monthly_by_unit(
                db_session, scope, "test-units", reader="r", kinds=(stamps.INCOMING,),
                months=scope.period.months(), units=units, compute=count)

    with app.app_context():
        cache.clear()
    first = counts()
    every_month = [key for key in first]
    assert asked == [(every_month, None)]
    assert counts() == first and len(asked) == 1  # kept
    mover.department_id = other
    db_session.commit()
    try:
        assert counts() == first
        assert asked[1] == (every_month, sorted([home, other]))
        register_incoming(app, db_session)
        assert counts() == first
        assert asked[2] == ([today_local().strftime("%Y-%m")], None)
        assert len(asked) == 3
    finally:
        mover.department_id = home
        db_session.commit()


def test_the_agencys_counts_by_unit_after_a_move_are_counted_from_the_moved_persons(
        app, db_session):
    """With `moved`, a person moved from one unit to another has the two units' kept counts
    brought up to date by `moved` (the unit, what was kept, its people before and now), not
    counted again; the other units' counts stay as kept."""
    from app.stats import partials

    mover, home, other, units = a_move(db_session)
    asked = []

    def count(months, chosen):
        asked.append(("count", len(months), chosen))
        return {key: {unit: {"n": 1} for unit in chosen or units} for key, _a, _b in months}

    def moved(unit, months, kept, before, now):
        assert [key for key, _a, _b in months] == list(kept)
        asked.append(("moved", unit, len(kept), sorted(set(before) ^ set(now))))
        return {key: {"n": value["n"] + 1} for key, value in kept.items()}

    def counts():
        with app.test_request_context():
            scope = figures.Scope.for_user(db_session, user(db_session, "lanhdao"), {})
            return partials.monthly_by_unit(
                db_session, scope, "test-units-moved", reader="r", kinds=(stamps.INCOMING,),
                months=scope.period.months(), units=units, compute=count, moved=moved)

    with app.app_context():
        cache.clear()
    first = counts()
    months = len(first)
    assert asked == [("count", months, None)]
    mover.department_id = other
    db_session.commit()
    try:
        after = counts()
        assert sorted(asked[1:]) == [("moved", home, months, [mover.id]),
                                     ("moved", other, months, [mover.id])]
        for key, by_unit in after.items():
            assert by_unit == {unit: {"n": 2 if unit in (home, other) else 1}
                               for unit in units}, key
    finally:
        mover.department_id = home
        db_session.commit()


def test_a_person_leaving_or_joining_the_unit_counts_only_their_documents(
        app, db_session, statements):
    """Someone of the unit leader's unit leaves it, then comes back. Each time the leader's
    incoming figures, work and overdue headline are counted from that person's documents
    (moved_lines), not from the unit's year again; the unit's outgoing documents (those it
    drafted) and the people's activity (per person) are not counted at all; and the
    dashboard reads what a count from nothing gives: without the person, then with them
    again as before."""
    unit = user(db_session, "truongphong").department_id
    line = older_open_line(db_session, unit)
    # given straight to the person (no unit's line above it) and overdue: it counts for the
    # unit only while its holder is in it
    line.parent_id = line.department_id = None
    line.deadline = today_local() - timedelta(days=5)
    db_session.commit()
    mover = line.user
    assert mover.username != "truongphong"
    name = f"{mover.last_name} {mover.first_name}"
    other = db_session.scalars(select(Department.id).where(
        Department.id != unit, Department.parent_id.is_not(None))).first()
    before = dashboard(app, db_session, "truongphong")
    assert name in before["processing_by_person"]["labels"]
    try:
        for moved_to in (other, unit):
            mover.department_id = moved_to
            db_session.commit()
            statements.clear()
            moved = dashboard(app, db_session, "truongphong")
            assert not recounted(statements)
            assert [sql for sql in statements if "moved_lines" in sql]
            assert not [sql for sql in statements if "outgoing_document" in sql
                        and "GROUP BY" in sql]
            assert not [sql for sql in statements if "FROM draft" in sql]  # activity
            assert moved == counted_afresh(app, db_session, "truongphong")
            assert moved["summary"]["overdue_documents"] == deadlines.overdue_count(
                db_session, user(db_session, "truongphong"), unit_id=unit)
            people = moved["processing_by_person"]["labels"]
            if moved_to == other:
                assert name not in people
            else:
                assert name in people
                assert moved == before
    finally:
        mover.department_id = unit
        db_session.commit()


def test_one_leaves_and_another_joins_in_one_change(app, db_session, statements):
    """Someone of the unit leader's unit leaves it while someone of another unit joins it, in
    one commit: both leaders' dashboards are brought up to date from the two people's
    documents and read what a count from nothing gives."""
    unit = user(db_session, "truongphong").department_id
    leaving = older_open_line(db_session, unit).user
    joining = db_session.scalars(select(EofficeUser).where(
        EofficeUser.department_id.is_not(None), EofficeUser.department_id != unit,
        EofficeUser.active.is_(True)).order_by(EofficeUser.id)).first()
    homes = {leaving: unit, joining: joining.department_id}
    assert leaving.username != "truongphong" and joining.department_id != unit
    for username in ("truongphong", "lanhdao"):
        dashboard(app, db_session, username)
    leaving.department_id, joining.department_id = joining.department_id, unit
    db_session.commit()
    try:
        moved = {}
        for username in ("truongphong", "lanhdao"):
            statements.clear()
            moved[username] = dashboard(app, db_session, username)
            assert not recounted(statements), username
        for username in ("truongphong", "lanhdao"):  # each empties the cache
            assert moved[username] == counted_afresh(app, db_session, username), username
    finally:
        for person, home in homes.items():
            person.department_id = home
        db_session.commit()


def test_many_people_moved_count_the_units_months_again(app, db_session):
    """partials.monthly: the same people, the kept counts; one person came, what changed is
    counted from the kept counts (`moved`); more than MOVED_AT_MOST came, the months are
    counted again."""
    from app.stats import partials

    unit = user(db_session, "truongphong").department_id
    asked = []

    def count(months):
        asked.append(("count", len(months)))
        return {key: 1 for key, _a, _b in months}

    def moved(months, kept, people_before, people_now):
        assert [key for key, _a, _b in months] == list(kept)
        asked.append(("moved", len(kept), len(set(people_before) ^ set(people_now))))
        return {key: value + 1 for key, value in kept.items()}

    def counts():
        with app.test_request_context():
            scope = figures.Scope.for_user(db_session, user(db_session, "truongphong"), {})
            return partials.monthly(
                db_session, scope, "test-moved", reader="r", kinds=(stamps.INCOMING,),
                months=scope.period.months(), compute=count, empty=0, moved=moved)

    others = list(db_session.scalars(select(EofficeUser).where(
        EofficeUser.department_id != unit).order_by(EofficeUser.id)))
    assert len(others) > partials.MOVED_AT_MOST + 1, "the demo has people in other units"
    homes = {person: person.department_id for person in others}
    with app.app_context():
        cache.clear()
    first = counts()
    months = len(first)
    assert asked == [("count", months)]
    assert counts() == first and len(asked) == 1  # kept
    try:
        others[0].department_id = unit
        db_session.commit()
        assert counts() == {key: 2 for key in first}
        assert asked[1] == ("moved", months, 1)
        for person in others[1:partials.MOVED_AT_MOST + 2]:
            person.department_id = unit
        db_session.commit()
        assert counts() == first
        assert asked[2:] == [("count", months)]
    finally:
        for person, home in homes.items():
            person.department_id = home
        db_session.commit()


def test_a_unit_chosen_by_the_leader_is_counted_apart(app, db_session):
    unit = user(db_session, "truongphong").department_id
    whole = dashboard(app, db_session, "lanhdao")
    of_unit = dashboard(app, db_session, "lanhdao", unit=str(unit))
    assert of_unit["summary"]["incoming"] < whole["summary"]["incoming"]
    assert of_unit == counted_afresh(app, db_session, "lanhdao", unit=str(unit))


def test_work_turns_overdue_the_day_after_its_deadline_with_nothing_changed(
        app, db_session):
    """A line due today is in time today and overdue tomorrow: the kept month is counted
    again on that day although no record changed."""
    document = older_open_line(db_session).document
    today = today_local()
    document.deadline = today  # due today, through each of its open lines
    for line in document.assignments:
        line.deadline = today
    db_session.commit()
    tomorrow = today + timedelta(days=1)
    leader = user(db_session, "lanhdao")

    on_the_day = dashboard(app, db_session, "lanhdao", today)  # kept for today
    day_after = dashboard(app, db_session, "lanhdao", tomorrow)
    assert day_after == counted_afresh(app, db_session, "lanhdao", tomorrow)
    assert day_after["summary"]["overdue_documents"] == \
        deadlines.overdue_count(db_session, leader, tomorrow)
    assert on_the_day["summary"]["overdue_documents"] == \
        deadlines.overdue_count(db_session, leader, today)
    assert day_after["summary"]["overdue_documents"] > \
        on_the_day["summary"]["overdue_documents"]


def test_readers_with_other_values_in_their_rules_do_not_share_counts():
    """The key of a reader's counts is their rules with the values in them; a value SQL
    cannot write inline still tells two readers apart."""
    from sqlalchemy import PickleType, column
    from sqlalchemy.dialects import sqlite

    from app.core.db import sql_with_values

    dialect = sqlite.dialect()
    assert sql_with_values(column("field_id").in_([1, 2]), dialect) != \
        sql_with_values(column("field_id").in_([1, 3]), dialect)
    assert sql_with_values(column("p", PickleType) == {"a": 1}, dialect) != \
        sql_with_values(column("p", PickleType) == {"a": 2}, dialect)
