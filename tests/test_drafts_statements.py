"""The office's check page (/drafts/check) reads what its rows show with the rows: the
statements of a page do not grow with the number of drafts listed (no query a row for each
draft's versions, recipients, type, signer, people…), and the rows still show what they did."""
import re


from app.outgoing import services
from app.outgoing.models import Draft
from tests.conftest import first_look_statements, page_statements, user
from tests.test_outgoing import new_draft

OFFICE_LEADER = "lanhdaovp"


def submitted_drafts(app, db_session, count, **overrides):
    """`count` drafts of chuyenvien submitted to the unit leader (in the office's check)."""
    with app.test_request_context():
        drafts = []
        for _ in range(count):
            draft = new_draft(db_session, **overrides)
            services.apply(db_session, user(db_session, "chuyenvien"), draft, "submit")
            drafts.append(draft)
        return [(d.id, d.excerpt) for d in drafts]




def test_the_check_page_reads_its_rows_with_the_rows(app, login_as, db_session, statements):
    first = submitted_drafts(app, db_session, 2)
    client = login_as(OFFICE_LEADER)
    before, page = page_statements(client, "/drafts/check", statements)
    assert all(excerpt in page for _id, excerpt in first)

    # more drafts, of other kinds: checked (by someone), without field and recipients
    more = submitted_drafts(app, db_session, 2)
    gaps = submitted_drafts(app, db_session, 2, field_id=None, internal_unit_ids=[],
                            external_agency_ids=[])
    with app.test_request_context():
        checked = db_session.get(Draft, more[0][0])
        services.act(db_session, user(db_session, OFFICE_LEADER), checked, "check")
    after, page = page_statements(client, "/drafts/check", statements)

    assert len(after) == len(before), "\n".join(after)
    # no lazy load of a draft's lists (versions, recipients) nor of a row by its id (its type,
    # signer, unit, people…): only the logged-in person, read by id once
    lists = [s for s in after if re.search(r"WHERE \? = \w+\.draft_id", s)]
    assert lists == [], lists
    by_id = [s for s in after if re.search(
        r"FROM (document_type|signer|urgency_level|secrecy_level|field|department|ab_user"
        r"|outgoing_document) WHERE \1\.id = \?", s)]
    assert len(by_id) <= 1 and all(s.startswith("SELECT ab_user.") for s in by_id), by_id
    assert len([s for s in after if "FROM draft_version" in s]) == 1

    # the rows show what they showed: excerpt, type, unit, drafter, signer, gaps, the check
    for draft_id, excerpt in first + more + gaps:
        row = re.search(rf'data-draft="{draft_id}".*?</tr>', page, re.S).group(0)
        assert f"Công văn: {excerpt}" in row and "Phòng Cải cách hành chính" in row
        assert "Hoàng Thị Thủy" in row and "Người ký: Giám đốc – Trần Quốc Đạt" in row
        assert "Chờ lãnh đạo đơn vị" in row
    gap_row = re.search(rf'data-draft="{gaps[0][0]}".*?</tr>', page, re.S).group(0)
    assert "Chưa chọn lĩnh vực." in gap_row and "Chưa có nơi nhận." in gap_row
    complete_row = re.search(rf'data-draft="{more[1][0]}".*?</tr>', page, re.S).group(0)
    assert "Đủ" in complete_row and "Chưa kiểm tra" in complete_row
    checked_row = re.search(rf'data-draft="{more[0][0]}".*?</tr>', page, re.S).group(0)
    assert "Lê Thị Hòa" in checked_row and "phiên bản 1" in checked_row


def _badges(page):
    """{box: the number on its badge} of the drafts' grid."""
    return {key: int(count) for key, count in re.findall(
        r'inbox-(\w+)"><a [^>]*>[^<]*<span class="badge[^"]*">(\d+)</span>', page)}


def _counted_one_by_one(app, db_session, username):
    """Each box's drafts counted on their own, with the grid's visibility."""
    from sqlalchemy import func, select

    from app.outgoing.access import visible_draft

    with app.test_request_context():
        person = user(db_session, username)
        return {key: db_session.scalar(select(func.count(Draft.id)).where(
            visible_draft(person), condition))
            for key, _label, condition in services.draft_boxes(person)}


def test_the_drafts_grid_seen_again_reads_no_draft_and_shows_a_change_at_once(
        app, login_as, db_session, statements):
    """Its boxes and its page are kept per version of the data: seen again, no statement reads
    a draft; a draft submitted meanwhile shows at the next look, in the list and its box."""
    client = login_as("truongphong")
    before = client.get("/drafts/list/list/").get_data(as_text=True)
    statements.clear()
    again = client.get("/drafts/list/list/").get_data(as_text=True)
    assert [s for s in statements if "FROM draft" in s] == []
    assert _badges(again) == _badges(before)

    (_draft_id, excerpt), = submitted_drafts(app, db_session, 1)
    after = client.get("/drafts/list/list/").get_data(as_text=True)
    assert excerpt in after
    assert _badges(after)["unit_review"] == _badges(before)["unit_review"] + 1


def test_the_drafts_boxes_are_counted_in_one_statement(app, login_as, db_session, statements):
    """The badges of the drafts' grid, for the unit leader and the office leader: one count
    for all the boxes, each badge what its box holds, a submitted draft counted where it
    waits."""
    submitted_drafts(app, db_session, 1)
    for username, waits_in in (("truongphong", "unit_review"), (OFFICE_LEADER, "to_check")):
        client = login_as(username)
        found, page = first_look_statements(app, client, "/drafts/list/list/", statements)
        # the badges' counts (not the grid's own count of its rows, over a subquery)
        counts = [s for s in found if "count(" in s and "FROM draft" in s
                  and not s.startswith("SELECT count(*) AS count_1 FROM (SELECT draft.id")]
        assert len(counts) == 1, counts
        before = _badges(page)
        assert before == _counted_one_by_one(app, db_session, username)
        assert {"mine", waits_in} <= set(before)

        submitted_drafts(app, db_session, 1)
        after = _badges(client.get("/drafts/list/list/").get_data(as_text=True))
        assert after[waits_in] == before[waits_in] + 1
        assert after["mine"] == before["mine"]  # chuyenvien's draft, not theirs
