"""The data's version (app.audit.version): what is remembered per version — a grid's count and
ids, the inbox's badges, the dashboard's figures — stays remembered when someone logs in or
reads a file, and is computed again when a record changes. The figures that count logins
follow every line of the trail."""
from sqlalchemy import and_, func, select

from app.audit import version
from app.audit.models import AuditEvent
from app.catalogs.models import Agency
from app.core.models import DocumentFile
from app.documents.models import LEAD
from app.documents.services import REGISTRATION
from tests.conftest import login, user
from tests.dossier_helpers import register_incoming
from tests.test_deadlines_one_truth import grid_badge
from tests.test_routing import directed, registered

GRID = "/incoming/list/list/?box=to_process"
COUNTED = "SELECT count(*) AS count_1 FROM (SELECT incoming_document.id"


def counted(statements) -> list[str]:
    """The officer's grid counted its rows (its count was not remembered)."""
    return [s for s in statements if s.startswith(COUNTED)]


def newest_actions(db_session, after: int) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.id > after)
                                   .order_by(AuditEvent.id)))


def test_logins_and_file_reads_keep_the_grid_remembered(app, login_as, statements,
                                                       db_session):
    officer = login_as("chuyenvien")
    assert officer.get(GRID).status_code == 200
    mark = db_session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    clerk = app.test_client()
    login(clerk, "vanthu")
    stored = db_session.scalars(select(DocumentFile).where(
        DocumentFile.incoming_id.is_not(None)).limit(1)).one()
    read = clerk.get(f"/incoming/{stored.incoming_id}/files/{stored.id}")
    assert read.status_code == 200
    db_session.commit()  # see the lines written since
    actions = newest_actions(db_session, mark)
    assert "login" in actions and "download" in actions, actions

    statements.clear()
    assert officer.get(GRID).status_code == 200
    assert counted(statements) == []

    agency = db_session.scalars(select(Agency).order_by(Agency.id).limit(1)).one()
    agency.phone = "0243" if agency.phone != "0243" else "0244"  # a change, audited
    db_session.commit()
    statements.clear()
    assert officer.get(GRID).status_code == 200
    assert len(counted(statements)) == 1


def logins_shown(client, headers) -> int:
    response = client.get("/api/v1/stats/logins_by_day", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return sum(sum(series["data"]) for series in response.get_json()["result"]["series"])


def test_a_login_counts_at_once_in_the_logins_figure(app, client, api_as):
    leader = api_as("lanhdao")
    before = logins_shown(client, leader)
    assert logins_shown(client, leader) == before  # remembered: nothing happened
    login(app.test_client(), "vanthu")
    assert logins_shown(client, leader) == before + 1


# ---------------------------------------------------------------- boxes of one's own lines
# A registration gives the new document no work line: an officer's boxes (made of the lines
# they hold) are not counted again for it, the clerk's «Chờ trình» is.

def badges_counted(statements) -> list[str]:
    """The box bar's work badges counted in their one pass over the person's lines."""
    return [s for s in statements if "min(CASE WHEN" in s]


def test_a_registration_with_its_file_keeps_an_officers_badges_remembered(
        app, login_as, statements, db_session):
    officer = login_as("chuyenvien")
    assert officer.get(GRID).status_code == 200
    registered(app, db_session)  # with a PDF: two lines of the trail
    db_session.commit()
    statements.clear()
    assert officer.get(GRID).status_code == 200
    assert badges_counted(statements) == []
    assert len(counted(statements)) == 1  # the rows show whether a document has a file


def test_a_registration_without_files_keeps_an_officers_box_page_remembered(
        app, login_as, statements, db_session):
    officer = login_as("chuyenvien")
    assert officer.get(GRID).status_code == 200
    register_incoming(app, db_session, files=[])
    db_session.commit()
    statements.clear()
    assert officer.get(GRID).status_code == 200
    assert counted(statements) == [] and badges_counted(statements) == []


def test_a_registration_shows_at_once_in_the_clerks_box_to_present(app, login_as, db_session):
    clerk = login_as("vanthu")
    before = grid_badge(clerk.get("/incoming/list/list/?box=to_submit").get_data(as_text=True),
                       "to_submit")
    registered(app, db_session)
    db_session.commit()
    after = clerk.get("/incoming/list/list/?box=to_submit").get_data(as_text=True)
    assert grid_badge(after, "to_submit") == before + 1


def test_a_line_given_to_an_officer_shows_at_once_in_their_box(app, login_as, db_session):
    officer = login_as("cv.cchc")
    box = "/incoming/list/list/?box=to_process"
    before = officer.get(box).get_data(as_text=True)
    document = directed(app, db_session, [{"role": LEAD, "user_id": user(db_session,
                                                                         "cv.cchc").id}])
    db_session.commit()
    after = officer.get(box).get_data(as_text=True)
    assert f'href="/incoming/{document.id}"' not in before
    assert f'href="/incoming/{document.id}"' in after
    assert grid_badge(after, "to_process") == grid_badge(before, "to_process") + 1


def test_a_registration_keeps_an_officers_home_counters_remembered(app, login_as, statements,
                                                                  db_session):
    """The home page's tiles of the incoming boxes and of the other modules' lists (drafts,
    request forms, dossiers, news) count nothing a registration changes for an officer."""
    officer = login_as("chuyenvien")
    assert officer.get("/").status_code == 200
    registered(app, db_session)
    db_session.commit()
    statements.clear()
    assert officer.get("/").status_code == 200
    assert badges_counted(statements) == []
    assert not [s for s in statements if "count(draft.id)" in s], statements


def test_the_version_past_many_registrations_is_found_beyond_the_recent_changes(
        app, db_session, monkeypatch):
    """The versions of a page are read from the newest changes at once (RECENT_CHANGES); when
    all of those are registrations, the version that steps over them is looked up further."""
    monkeypatch.setattr(version, "RECENT_CHANGES", 2)
    last_other = db_session.scalar(select(func.max(AuditEvent.id)).where(
        AuditEvent.action.not_in(version.READING_ACTIONS),
        ~and_(AuditEvent.action == "create", AuditEvent.object_type == "incoming_document")))
    for _ in range(3):
        register_incoming(app, db_session, files=[])
    db_session.commit()
    newest = db_session.scalar(select(func.max(AuditEvent.id)))
    with app.test_request_context():
        assert version.data_version(db_session) == newest
        assert version.data_version(db_session, REGISTRATION) == last_other
