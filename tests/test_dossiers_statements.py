"""The dossier pages read what their rows need at once: a dossier's page does not read each
filed document (its issuer, its type) one by one, the plan's grid does not read each line's
dossiers one by one. The number of statements of a page does not grow with its rows."""
import uuid


from app.core.timefmt import today_local
from app.dossiers.models import DossierPlanItem
from tests.dossier_helpers import (
    abbreviation, field_id, link, make_draft, make_outgoing, new_dossier, pdf,
    register_incoming, retention_id, user,
)
from tests.conftest import page_statements




def starting(statements, *prefixes):
    return [s for s in statements if s.lstrip().startswith(prefixes)]


# ---------------------------------------------------------------- a dossier's page

def file_documents(app, session, dossier, incoming=2):
    """Files `incoming` new incoming documents (the first with no page count of its own: the
    contents count its files' pages), an outgoing document and a draft in the dossier."""
    documents = [register_incoming(app, session, excerpt=f"V/v hồ sơ nhiều văn bản "
                                                         f"{uuid.uuid4().hex[:8]}")
                 for _n in range(incoming)]
    documents[0].page_count = None
    session.commit()
    documents.append(make_outgoing(app, session, "lanhdaovp",
                                   scan=(pdf("Bản quét đã ký"), "ban-quet.pdf")))
    documents.append(make_draft(app, session, "lanhdaovp",
                                versions=[(pdf("Dự thảo lần 1"), "du-thao.pdf")]))
    kinds = ["incoming"] * incoming + ["outgoing", "draft"]
    for document, kind in zip(documents, kinds, strict=True):
        link(app, session, dossier, "lanhdaovp", kind, document.id)
    return documents


def test_a_dossiers_page_reads_its_documents_at_once(app, login_as, db_session, statements):
    dossier = new_dossier(app, db_session, "lanhdaovp")
    first = file_documents(app, db_session, dossier)
    client = login_as("lanhdaovp")
    url = f"/dossiers/{dossier.id}"
    before, _html = page_statements(client, url, statements)
    more = file_documents(app, db_session, dossier, incoming=4)
    after, html = page_statements(client, url, statements)

    assert len(after) == len(before), "\n".join(after)
    # the issuer and the type of each document come with the documents, not one by one
    assert starting(after, "SELECT agency.") == []
    assert len(starting(after, "SELECT document_type.")) <= 3  # the candidates' (per kind)
    assert len(starting(after, "SELECT draft_version.")) <= 1
    # … and the page shows them as before: number, issuer, type and excerpt, in order
    toc = html[html.index("dossier-toc"):html.index("link-documents")]
    assert toc.count("toc-row") == len(first) + len(more) == 10
    incoming = [d for d in first + more if hasattr(d, "agency")]
    for document in incoming:
        assert document.number_symbol in toc and document.excerpt in toc
        assert document.agency.name in toc and document.document_type.name in toc
    assert toc.index(incoming[0].number_symbol) < toc.index(incoming[-1].number_symbol)
    assert first[-2].number_symbol in toc and "Dự thảo" in toc
    history = html[html.index("Lịch sử hồ sơ"):]  # each step, and who took it
    assert history.count("Thêm văn bản vào hồ sơ") == 10
    assert user(db_session, "lanhdaovp").full_name in history


# ---------------------------------------------------------------- the plan's grid

def plan_line(session, heading, tag):
    line = DossierPlanItem(year=today_local().year, code=f"01.{abbreviation()}",
                           heading=heading, title=f"Hồ sơ kế hoạch {tag}",
                           retention_id=retention_id(session))
    session.add(line)
    session.commit()
    return line


def test_the_plans_grid_reads_the_lines_dossiers_at_once(app, login_as, db_session,
                                                         statements):
    """Each line shows the dossier opened from it: a link for a reader who may see it, its
    number only otherwise, a button to open it when there is none yet."""
    tag = uuid.uuid4().hex[:8]
    heading = f"Z. Đề mục thử {tag}"  # after the other tests' lines on the grid's first page
    url = f"/dossierplan/list/?_flt_0_heading={heading}"
    seen_line = plan_line(db_session, heading, tag)
    tccb = field_id(db_session, "TCCB")
    seen = new_dossier(app, db_session, "cv.tcbc1", plan_item_id=seen_line.id, field_id=tccb)
    client = login_as("cv.tcbc1")
    before, html = page_statements(client, url, statements)
    assert f'href="/dossiers/{seen.id}"' in html

    hidden_line, empty_line = plan_line(db_session, heading, tag), plan_line(db_session,
                                                                             heading, tag)
    # chuyenvien's, of the field CCHC: another unit, another field (app.dossiers.access)
    hidden = new_dossier(app, db_session, "chuyenvien", plan_item_id=hidden_line.id)
    more = [plan_line(db_session, heading, tag) for _n in range(3)]
    for line in more:
        new_dossier(app, db_session, "cv.tcbc1", plan_item_id=line.id, field_id=tccb)
    after, html = page_statements(client, url, statements)

    assert len(after) == len(before), "\n".join(after)
    assert len(starting(after, "SELECT dossier.")) <= 1
    assert html.count(f"Hồ sơ kế hoạch {tag}") == 6
    assert f'href="/dossiers/{seen.id}">{seen.code}</a>' in html
    assert hidden.code in html and f'href="/dossiers/{hidden.id}"' not in html
    assert f"/dossiers/new?plan_item_id={empty_line.id}" in html
    assert f"/dossiers/new?plan_item_id={seen_line.id}" not in html


# ---------------------------------------------------------------- the grid's boxes

def test_the_grids_boxes_are_counted_in_one_statement_each_its_own_count(
        app, login_as, db_session, statements):
    """The badges of the dossiers' grid: one statement for all the boxes, and each badge the
    number of dossiers its box lists."""
    from app.dossiers import services
    from app.dossiers.access import visible_dossier
    from app.dossiers.models import Dossier
    from sqlalchemy import func, select

    new_dossier(app, db_session, "chuyenvien")
    client = login_as("chuyenvien")
    seen, _html = page_statements(client, "/dossiers/list/list/", statements)
    assert len([s for s in seen if s.startswith("SELECT count(CASE WHEN")]) == 1, seen
    officer = user(db_session, "chuyenvien")
    counts = services.box_counts(db_session, officer)
    assert [key for key, _label, _n in counts] == [key for key, _label in services.BOXES]
    for key, _label, count in counts:
        assert count == db_session.scalar(select(func.count(Dossier.id)).where(
            visible_dossier(officer), services.box_condition(officer, key))), key
    assert any(count for _key, _label, count in counts)


# ---------------------------------------------------------------- the grid, seen again

def test_the_dossier_grid_seen_again_is_not_read_again_and_shows_a_change_at_once(
        app, login_as, db_session, statements):
    """The grid's page is kept per version of the data (count, ids, rows as drawn): seen
    again, no dossier is read; a new dossier and a document filed in one show at the next
    look (both are changes of the data)."""
    client = login_as("vanthu")
    client.get("/dossiers/list/list/")
    statements.clear()
    again = client.get("/dossiers/list/list/").get_data(as_text=True)
    assert starting(statements, "SELECT dossier.") == []
    assert "Hồ sơ công việc" in again

    title = f"Hồ sơ xem lại lưới {uuid.uuid4().hex[:8]}"
    dossier = new_dossier(app, db_session, "chuyenvien", title=title)
    after = client.get("/dossiers/list/list/").get_data(as_text=True)
    assert title in after
    row = after[after.index(title):]
    row = row[:row.index("</tr>")]
    assert ">0<" in row.replace(" ", "")  # no document filed yet
    link(app, db_session, dossier, "chuyenvien", "incoming",
         register_incoming(app, db_session).id)
    row = client.get("/dossiers/list/list/").get_data(as_text=True)
    row = row[row.index(title):]
    row = row[:row.index("</tr>")]
    assert ">1<" in row.replace(" ", "")
