"""The overdue page counts the months before this one once and this month at each change
(app.documents.services._overdue_opening, app.documents.arrival_months): what a reader sees
after any change must be what a count of every month at once gives, in the same order."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.catalogs.models import Agency
from app.core.timefmt import local_now, today_local, utcnow
from app.documents import services
from app.documents.access import visible_incoming
from app.extensions import cache
from app.org.models import Department, EofficeUser
from dossier_helpers import register_incoming
from tests.conftest import user
from tests.test_stats_months import older_open_line

OVERDUE_STATEMENT = "overdue_items AS MATERIALIZED"


def opening(app, session, username, unit_id=None):
    """(total, groups, first page) as the overdue page opens (what is kept used)."""
    with app.test_request_context():
        return services._overdue_opening(session, user(session, username), unit_id,
                                         today_local())


def counted_whole(app, session, username, unit_id=None):
    """The same counted over every month at once, in one statement."""
    with app.test_request_context():
        reader = user(session, username)
        return services._plain_opening(services._overdue_counted(
            session, reader, unit_id, today_local(), visible_incoming(reader)))


def same(kept, whole):
    """Equal, the groups in any order (the page orders them: overdue_summary)."""
    return kept[0] == whole[0] and sorted(kept[1], key=repr) == sorted(whole[1], key=repr) \
        and kept[2] == whole[2]


@pytest.mark.parametrize("username", ["vanthu", "truongphong", "chuyenvien"])
def test_the_page_in_two_parts_is_the_page_counted_whole(app, db_session, username):
    with app.app_context():
        cache.clear()
    kept = opening(app, db_session, username)
    assert kept[0] > 0 and kept[2], f"the demo has overdue work {username} sees"
    assert same(kept, counted_whole(app, db_session, username))


def test_a_registration_counts_this_month_again_not_the_months_before(
        app, db_session, statements):
    opening(app, db_session, "lanhdao")
    register_incoming(app, db_session)
    statements.clear()
    after = opening(app, db_session, "lanhdao")
    this_month = [sql for sql in statements if OVERDUE_STATEMENT in sql]
    assert len(this_month) == 1
    # reached from this month's documents, not from every open line of the decade
    assert "incoming_assignment.document_id IN (SELECT" in this_month[0]
    assert same(after, counted_whole(app, db_session, "lanhdao"))


def test_a_catalogs_edit_counts_this_month_again_not_the_months_before(
        app, db_session, statements):
    """The overdue work does not read the issuing agencies: an agency's telephone changed,
    the months before this one are kept."""
    agency = db_session.scalars(select(Agency).order_by(Agency.id)).first()
    opening(app, db_session, "truongphong")
    agency.phone = "0243" if agency.phone != "0243" else "0244"
    db_session.commit()
    statements.clear()
    after = opening(app, db_session, "truongphong")
    assert len([sql for sql in statements if OVERDUE_STATEMENT in sql]) == 1
    assert same(after, counted_whole(app, db_session, "truongphong"))


def test_a_unit_renamed_or_a_person_moved_reorders_the_kept_months(app, db_session):
    """The page is ordered by the units' order and names and grouped by the holders' unit:
    renaming the first unit of the page and moving one of its people count the months
    before this one again."""
    # the first unit on the page (it may open on documents waiting for a direction)
    first_unit = next(row[3] for row in opening(app, db_session, "lanhdao")[2]
                      if row[3] is not None)
    unit = db_session.get(Department, first_unit)
    name, order = unit.name, unit.sort_order
    unit.name, unit.sort_order = "Ω " + name, 10_000  # now last
    db_session.commit()
    try:
        renamed = opening(app, db_session, "lanhdao")
        assert same(renamed, counted_whole(app, db_session, "lanhdao"))
        worker = db_session.scalars(select(EofficeUser).where(
            EofficeUser.department_id == first_unit).order_by(EofficeUser.id)).first()
        other = db_session.scalars(select(Department.id).where(
            Department.id != first_unit, Department.parent_id.is_not(None))).first()
        worker.department_id = other
        db_session.commit()
        try:
            assert same(opening(app, db_session, "lanhdao"),
                        counted_whole(app, db_session, "lanhdao"))
        finally:
            worker.department_id = first_unit
            db_session.commit()
    finally:
        unit.name, unit.sort_order = name, order
        db_session.commit()


def test_a_registration_dated_in_an_earlier_month_and_already_late_shows_at_once(
        app, db_session):
    """Nhập bù: a document that arrived 40 days ago, due 35 days ago, waits to be presented
    and is overdue from the moment it is registered."""
    before = opening(app, db_session, "lanhdao")
    arrived = local_now().replace(second=0, microsecond=0) - timedelta(days=40)
    register_incoming(app, db_session, arrival_at=arrived,
                      document_date=(arrived - timedelta(days=1)).date(),
                      deadline=(arrived + timedelta(days=5)).date(),
                      backfill_reason="Mất điện, nhập bù sau sự cố.")
    after = opening(app, db_session, "lanhdao")
    assert after[0] == before[0] + 1
    assert same(after, counted_whole(app, db_session, "lanhdao"))


def test_work_completed_on_an_older_document_leaves_the_page(app, db_session):
    unit = user(db_session, "truongphong").department_id
    opening(app, db_session, "truongphong")
    opening(app, db_session, "truongphong", unit)
    line = older_open_line(db_session, unit)
    document = line.document
    document.deadline = today_local() - timedelta(days=3)  # late, through its open lines
    for each in document.assignments:
        each.deadline = None
    db_session.commit()
    late = opening(app, db_session, "truongphong")
    assert same(late, counted_whole(app, db_session, "truongphong"))
    for each in document.assignments:
        each.state, each.completed_at = "done", utcnow()
    db_session.commit()
    for unit_id in (None, unit):
        assert same(opening(app, db_session, "truongphong", unit_id),
                    counted_whole(app, db_session, "truongphong", unit_id))
