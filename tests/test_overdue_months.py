"""The overdue page counts the months before this one once and this month at each change
(app.documents.services._overdue_opening, app.documents.arrival_months): what a reader sees
after any change must be what a count of every month at once gives, in the same order."""
from datetime import timedelta

import pytest

from app.core.timefmt import local_now, today_local, utcnow
from app.documents import services
from app.documents.access import visible_incoming
from app.extensions import cache
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
    assert len([sql for sql in statements if OVERDUE_STATEMENT in sql]) == 1
    assert same(after, counted_whole(app, db_session, "lanhdao"))


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
