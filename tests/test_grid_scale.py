"""Grids that do not degrade with the data: a capped count ("more than N") with next/previous
and a last page read backwards, permissions read once per request, related rows loaded with
the page, and sorting by the issuing agency in Vietnamese order."""
import re
import uuid

from sqlalchemy import select

from app.core import views
from app.core.text import fold
from app.extensions import cache
from tests.dossier_helpers import register_incoming


def test_beyond_the_cap_the_count_says_more_than(login_as, monkeypatch):
    client = login_as("vanthu")
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    html = client.get("/incoming/list/list/").get_data(as_text=True)
    assert "hơn 2" in html and "capped-pager" in html
    last = client.get("/incoming/list/list/?last=1").get_data(as_text=True)
    assert last.count("Trang cuối") >= 1 and "capped-pager" in last


def test_a_list_page_reads_permissions_once_and_rows_in_one_query(app, login_as, statements):
    client = login_as("vanthu")
    client.get("/incoming/list/list/")
    with app.app_context():
        cache.clear()  # the grid's count and page are read again, not remembered
        views.drawn_rows().clear()
    statements.clear()
    assert client.get("/incoming/list/list/").status_code == 200
    permission_reads = [s for s in statements if "ab_permission_view" in s]
    assert len(permission_reads) <= 1, permission_reads
    agency_reads = [s for s in statements if s.lstrip().startswith("SELECT agency.")]
    assert agency_reads == []  # joined with the page's rows, not one query per row
    grid_counts = [s for s in statements if s.startswith("SELECT count(*)") and
                   "FROM (SELECT incoming_document.id AS id FROM" in s]
    assert grid_counts and all("LIMIT" in s for s in grid_counts)  # capped, id only


def test_a_page_seen_again_is_neither_counted_nor_sorted_again(login_as, statements):
    """At the same version of the data the page's count and ids are remembered: seen again,
    a decade is not counted and sorted; its rows are not even read (kept drawn, DrawnRows)."""
    client = login_as("chuyenvien")
    with client.application.app_context():
        views.drawn_rows().clear()
    first = client.get("/incoming/list/list/?box=to_process").get_data(as_text=True)
    statements.clear()
    again = client.get("/incoming/list/list/?box=to_process").get_data(as_text=True)
    grid = [s for s in statements if "FROM incoming_document" in s]
    assert not [s for s in grid if s.startswith("SELECT count(*)")]
    assert not [s for s in grid if "ORDER BY incoming_document.arrival_at" in s]
    assert not [s for s in grid if
                s.startswith("SELECT incoming_document.id AS incoming_document_id")]
    assert again.count("<tr") == first.count("<tr") > 1


def test_a_registration_shows_on_a_remembered_page_at_once(app, login_as, db_session):
    """The search for a word no document has yet is remembered empty; the document
    registered with it is found at the next look (the registration is a new version)."""
    client = login_as("vanthu")
    word = f"trangnho{uuid.uuid4().hex[:8]}"
    excerpt = f"V/v trang đã nhớ phải thấy văn bản mới {word}"
    before = client.get(f"/incoming/list/list/?q={word}").get_data(as_text=True)
    register_incoming(app, db_session, excerpt=excerpt)
    db_session.commit()
    after = client.get(f"/incoming/list/list/?q={word}").get_data(as_text=True)
    assert "Văn bản đến" in before and excerpt not in before
    assert excerpt in after


# ---------------------------------------------------------------- past the cap
# A registration only adds a document: a count past the cap ("hơn 1.000") stays past it, and
# an officer's grid or search is not counted again after each of the clerk's registrations.

GRID_COUNTED = "SELECT count(*) AS count_1 FROM (SELECT incoming_document.id"


def grid_counts(statements) -> list[str]:
    return [s for s in statements if s.startswith(GRID_COUNTED)]


def test_a_count_past_the_cap_is_not_counted_again_after_a_registration(
        app, login_as, statements, db_session, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    officer = login_as("chuyenvien")
    before = officer.get("/incoming/list/list/").get_data(as_text=True)
    assert "hơn 2" in before
    register_incoming(app, db_session)  # with its file: two lines of the trail
    db_session.commit()
    statements.clear()
    after = officer.get("/incoming/list/list/").get_data(as_text=True)
    assert grid_counts(statements) == []
    assert "hơn 2" in after and after.count("<tr") > 1


def test_a_search_past_the_cap_is_not_counted_again_after_a_registration(
        app, login_as, statements, db_session, monkeypatch):
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    officer = login_as("chuyenvien")
    url = "/incoming/list/list/?q=về"
    assert "hơn 2" in officer.get(url).get_data(as_text=True)
    register_incoming(app, db_session, files=[])
    db_session.commit()
    statements.clear()
    assert "hơn 2" in officer.get(url).get_data(as_text=True)
    assert grid_counts(statements) == []


def test_a_count_past_the_cap_is_counted_again_after_another_change(
        app, login_as, statements, db_session, monkeypatch):
    from app.catalogs.models import Agency

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    officer = login_as("chuyenvien")
    assert "hơn 2" in officer.get("/incoming/list/list/").get_data(as_text=True)
    agency = db_session.scalars(select(Agency).order_by(Agency.id).limit(1)).one()
    agency.phone = "0243" if agency.phone != "0243" else "0244"  # a change, audited
    db_session.commit()
    statements.clear()
    assert "hơn 2" in officer.get("/incoming/list/list/").get_data(as_text=True)
    assert len(grid_counts(statements)) == 1


def test_a_count_under_the_cap_counts_the_registered_document(app, login_as, db_session,
                                                              monkeypatch):
    """Under the cap the number is exact: one registration more, one more in the count."""
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    clerk = login_as("vanthu")
    word = f"duoitran{uuid.uuid4().hex[:8]}"
    url = f"/incoming/list/list/?q={word}"
    register_incoming(app, db_session, excerpt=f"V/v thứ nhất {word}")
    db_session.commit()
    first = clerk.get(url).get_data(as_text=True)
    register_incoming(app, db_session, excerpt=f"V/v thứ hai {word}")
    db_session.commit()
    second = clerk.get(url).get_data(as_text=True)
    register_incoming(app, db_session, excerpt=f"V/v thứ ba {word}")
    db_session.commit()
    third = clerk.get(url).get_data(as_text=True)
    assert "thứ nhất" in first and "thứ hai" not in first and "hơn 2" not in first
    assert "thứ hai" in second and "hơn 2" not in second
    assert "thứ ba" in third and "hơn 2" in third


def test_with_the_signature_filter_a_registration_with_a_file_counts_again(
        app, login_as, statements, db_session, monkeypatch):
    """A file added to a document can take it out of «chưa ký»: with that filter only a
    registration without files keeps a count past the cap."""
    monkeypatch.setattr(views, "COUNT_CAP", 0)
    clerk = login_as("vanthu")
    url = "/incoming/list/list/?signature=unsigned"
    assert "hơn 0" in clerk.get(url).get_data(as_text=True)
    register_incoming(app, db_session)
    db_session.commit()
    statements.clear()
    assert clerk.get(url).status_code == 200
    assert len(grid_counts(statements)) == 1
    register_incoming(app, db_session, files=[])
    db_session.commit()
    statements.clear()
    assert clerk.get(url).status_code == 200
    assert grid_counts(statements) == []


def test_readers_with_other_rules_never_share_a_remembered_page(app, login_as, db_session):
    """The clerk's page, remembered, is not what an officer who may not see a secret
    document is shown: the key is the page's SQL with the reader's rules in it."""
    from tests.incoming_helpers import ids

    known = ids(db_session)
    word = f"matnho{uuid.uuid4().hex[:8]}"
    excerpt = f"V/v văn bản mật không cho chuyên viên {word}"
    register_incoming(app, db_session, excerpt=excerpt, register_id=known["secret_register"],
                      secrecy_id=known["secret"])
    db_session.commit()
    url = f"/incoming/list/list/?q={word}"
    assert excerpt in login_as("vanthu").get(url).get_data(as_text=True)
    officer = login_as("chuyenvien").get(url).get_data(as_text=True)
    assert "Văn bản đến" in officer and excerpt not in officer


def test_sorted_by_agency_in_vietnamese_order(login_as):
    html = login_as("vanthu").get("/incoming/list/list/?_oc_IncomingView=agency"
                                  "&_od_IncomingView=asc").get_data(as_text=True)
    assert html.count("<tr") > 1


def test_a_list_page_takes_eleven_statements_and_no_catalog(login_as, statements):
    """user, the server-side session (open?), roles, groups, permissions, whom the person
    stands in for (ủy quyền), unread notices, inbox counts, capped count, rows, which of the
    rows have files and their deadline marks (one query for the page): the filters' catalogs
    are not read to render the page (their dropdowns fill on demand), nor the bulk panel's
    leaders and people (fetched when a row is ticked)."""
    client = login_as("vanthu")
    client.get("/incoming/list/list/")
    with client.application.app_context():
        views.drawn_rows().clear()  # the rows drawn again (their count and ids remembered)
    statements.clear()
    html = client.get("/incoming/list/list/").get_data(as_text=True)
    catalogs = [s for s in statements if s.lstrip().startswith(
        ("SELECT document_type.", "SELECT register.", "SELECT field.", "SELECT urgency_level.",
         "SELECT secrecy_level."))]
    assert catalogs == [] and len(statements) <= 11, statements
    assert sum("FROM document_file" in s for s in statements) == 1  # not one per row
    assert sum("FROM login_session" in s for s in statements) == 1
    assert 'data-choices=\\"/incoming/list/choices/document_type\\"' in html


def test_an_officers_page_reads_the_person_and_the_datas_version_once(login_as, statements):
    """The person with roles, groups and fields in one statement (not four), and the data's
    version once for the grid's count, its ids and the inbox's badges (it was read three
    times): an officer's grid at a version already seen takes eight statements."""
    client = login_as("chuyenvien")
    client.get("/incoming/list/list/")
    statements.clear()
    html = client.get("/incoming/list/list/").get_data(as_text=True)
    people = [s for s in statements if "FROM ab_user" in s]
    assert len(people) == 1 and "ab_user_role" in people[0], people
    assert not [s for s in statements if s.lstrip().startswith(
        ("SELECT ab_role.", "SELECT ab_group.", "SELECT field."))]
    assert sum("FROM audit_event" in s for s in statements) == 1
    assert len(statements) <= 8, statements
    assert "Văn bản đến" in html


def choices(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def test_filter_choices_on_demand(login_as, db_session):
    from app.catalogs.models import DocumentType

    client = login_as("chuyenvien")  # any reader of the grid
    decision = db_session.query(DocumentType).filter_by(name="Quyết định").one()
    found = choices(client, "/incoming/list/choices/document_type?q=QUYET dinh")
    assert {"id": decision.id, "text": "Quyết định"} in found["results"]
    assert all("quyet dinh" in fold(entry["text"]) for entry in found["results"])
    labelled = choices(client, f"/incoming/list/choices/document_type?id={decision.id}")
    assert labelled["results"] == [{"id": decision.id, "text": "Quyết định"}]
    first = choices(client, "/incoming/list/choices/document_type")
    second = choices(client, "/incoming/list/choices/document_type?page=2")
    total = db_session.query(DocumentType).count()
    assert len(first["results"]) == min(total, views.CHOICES_PAGE)
    assert first["pagination"]["more"] == (total > views.CHOICES_PAGE)
    assert not {e["id"] for e in first["results"]} & {e["id"] for e in second["results"]}
    for bad in ("nope", "excerpt", "state"):  # not a related-record filter of this grid
        assert client.get(f"/incoming/list/choices/{bad}").status_code == 404
    for unknown in ("99999999999", "²", "abc"):  # ² is a digit int() cannot read
        assert choices(client, f"/incoming/list/choices/document_type?id={unknown}")[
            "results"] == []
    for drill_down in ("unit", "person", "agency"):  # the dashboard's links, mistyped
        assert client.get(f"/incoming/list/list/?{drill_down}=²").status_code < 500
    chosen = client.get(f"/incoming/list/list/?_flt_0_document_type={decision.id}").get_data(
        as_text=True)
    assert "Quyết định" in chosen


def test_filter_choices_need_the_grid_permission(login_as):
    admin = login_as("quantri")  # the network administrator reads no documents
    response = admin.get("/incoming/list/choices/document_type")
    assert response.status_code == 403


def test_the_key_of_a_page_is_its_sql_with_its_values():
    """Two statements of one shape share the compiled SQL but not the key when a value differs
    (another reader's fields, another page); the same statement built twice has one key."""
    from sqlalchemy import column, select, table
    from sqlalchemy.dialects import sqlite

    from app.core.db import statement_key

    rows = table("incoming_document", column("id"), column("field_id"))

    def page(fields, offset):
        return select(rows.c.id).where(rows.c.field_id.in_(fields)).limit(25).offset(offset)

    dialect = sqlite.dialect()
    key = statement_key(page([1, 2], 0), dialect)
    assert key == statement_key(page([1, 2], 0), dialect)
    assert len({key, statement_key(page([1, 3], 0), dialect),
                statement_key(page([1, 2], 25), dialect),
                statement_key(page([1, 2, 3], 0), dialect)}) == 4


def test_a_documents_page_reads_its_catalog_entries_with_it(app, login_as, db_session,
                                                            statements):
    """The document's register, agency, type, field, urgency and secrecy come with the
    document (joined): no statement reads one of them by id; nor the fields of each leader it
    may be presented to (the one in charge of its field is proposed)."""
    document = register_incoming(app, db_session, excerpt="V/v trang văn bản đọc một lần")
    db_session.commit()
    client = login_as("vanthu")
    client.get(f"/incoming/{document.id}")
    statements.clear()
    html = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    by_id = [s for s in statements if s.startswith(tuple(
        f"SELECT {table}." for table in ("register", "agency", "document_type", "field",
                                         "urgency_level", "secrecy_level")))]
    assert by_id == [] and "V/v trang văn bản đọc một lần" in html


def test_an_officers_document_page_asks_once_whom_they_stand_in_for(login_as, statements):
    """Whom the reader acts for today, for the inbox and for signing (ủy quyền): one
    statement for both scopes, not one each (an officer's document page asked twice)."""
    client = login_as("chuyenvien")
    grid = client.get("/incoming/list/list/").get_data(as_text=True)
    document_id = re.findall(r'href="/incoming/(\d+)"', grid)[0]
    client.get(f"/incoming/{document_id}")
    statements.clear()
    page = client.get(f"/incoming/{document_id}")
    assert page.status_code == 200
    assert sum("FROM delegation" in s for s in statements) == 1, statements


def test_a_document_without_an_answer_is_looked_up_once_for_answers(app, login_as, db_session,
                                                                    statements):
    """The page of a document nobody answered yet: one look at the drafts' reply_to_id says
    so; neither the drafts nor the outgoing documents are read with the clerk's visibility."""
    document = register_incoming(app, db_session)
    db_session.commit()
    client = login_as("vanthu")
    client.get(f"/incoming/{document.id}")
    statements.clear()
    page = client.get(f"/incoming/{document.id}")
    assert page.status_code == 200
    assert sum("FROM draft" in s for s in statements) == 1, statements
    assert not [s for s in statements if "FROM outgoing_document" in s]


def test_the_users_list_reads_the_roles_of_its_page_at_once(login_as, statements):
    """The security panel's list shows each person's roles: read for the page in one
    statement, not one per person."""
    client = login_as("quantri")
    client.get("/users/list/")
    statements.clear()
    html = client.get("/users/list/").get_data(as_text=True)
    role_reads = [s for s in statements if "FROM ab_role" in s or "JOIN ab_role" in s]
    assert len([s for s in role_reads if "ab_user_role.user_id IN" in s]) == 1, role_reads
    assert not [s for s in role_reads if "= ab_user_role.user_id" in s]
    assert html.count("<tr") > 5 and "Văn thư" in html


def test_a_box_of_the_grid_tests_the_readers_visibility_once(login_as, statements):
    """An officer's box (?box=to_process): the grid's own visibility rule and the box's
    condition, not the box as a subquery carrying the visibility rule again (PostgreSQL
    tested it twice on each of the officer's documents)."""
    client = login_as("chuyenvien")
    with client.application.app_context():
        cache.clear()  # counted and selected again, not remembered
        views.drawn_rows().clear()
    statements.clear()
    html = client.get("/incoming/list/list/?box=to_process").get_data(as_text=True)
    grid = [s for s in statements if s.startswith("SELECT count(*)") and
            "FROM incoming_document" in s and "incoming_assignment.state" in s]
    assert grid, statements
    assert all(s.count("FROM incoming_assignment AS visible_line") == 1 for s in grid), grid
    assert "Văn bản đến" in html
