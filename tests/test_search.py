"""Vietnamese full-text search (app.core.search): the same cases on SQLite (FTS5) and on
PostgreSQL (tsvector): accents, case, NFD, đ, hòa/hoà, number/symbol, agency; ranking;
visibility; the index following inserts, updates, deletes and attachment text."""
import re
import unicodedata
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import search, views
from app.core.timefmt import local_now
from app.documents import services
from app.documents.models import IncomingDocument
from app.outgoing.models import OutgoingDocument
from tests.incoming_helpers import ids
from tests.test_incoming import pdf, register_as_clerk, user


def found(session, text, model=IncomingDocument):
    """Ids of the matches, in rank order (newest first among equals)."""
    session.expire_all()
    query = select(model.id).where(search.matches(model, text)).order_by(
        *search.rank(model, text), model.id.desc())
    return list(session.scalars(query))


def marker():
    return "m" + uuid.uuid4().hex[:10]  # one word no other document has


@pytest.fixture
def land(app, db_session):
    """Documents whose excerpts differ only in diacritics and tone placement."""
    tag = marker()
    made = {}
    with app.test_request_context():
        for key, excerpt in (("dat_dai", f"V/v thu hồi đất đai xã Liêm Tuyền {tag}"),
                             ("hoa_old", f"V/v hòa giải tranh chấp {tag}"),
                             ("hoa_new", f"V/v hoà giải ở cơ sở {tag}"),
                             ("upper", f"KẾ HOẠCH ĐẶC BIỆT VỀ ĐẤT ĐAI {tag}")):
            made[key] = register_as_clerk(db_session, excerpt=excerpt, number_symbol=(
                f"{uuid.uuid4().int % 10**9}/UBND-NC")).id  # never a duplicate entry
    return tag, made


@pytest.mark.parametrize("query, keys", [
    ("dat dai", {"dat_dai", "upper"}),
    ("ĐẤT ĐAI", {"dat_dai", "upper"}),
    ("Đất Đai", {"dat_dai", "upper"}),
    (unicodedata.normalize("NFD", "đất đai"), {"dat_dai", "upper"}),  # macOS input
    ("hoa giai", {"hoa_old", "hoa_new"}),  # both tone placements
    ("hòa giải", {"hoa_old", "hoa_new"}),
    ("hoà giải", {"hoa_old", "hoa_new"}),
    ("dac biet", {"upper"}),
])
def test_accent_and_case_insensitive(db_session, land, query, keys):
    tag, made = land
    assert set(found(db_session, f"{query} {tag}")) == {made[k] for k in keys}


def test_a_word_is_a_whole_word(db_session, land):
    """'hoa' finds hòa and hoà (the attached PDFs all say "Cộng hòa"), not "hoạch" alone."""
    tag, made = land
    assert {made["hoa_old"], made["hoa_new"]} <= set(found(db_session, f"hoa {tag}"))
    assert found(db_session, f"hoac {tag}") == []
    assert set(found(db_session, f"hoach {tag}")) == {made["upper"]}


def test_exact_diacritics_rank_first(db_session, land):
    tag, made = land
    assert found(db_session, f"hoà {tag}")[0] == made["hoa_new"]
    assert found(db_session, f"hòa {tag}")[0] == made["hoa_old"]


def test_number_symbol_and_agency(app, db_session):
    tag = marker()
    number = f"{uuid.uuid4().int % 90000 + 1000}"
    with app.test_request_context():
        exact = register_as_clerk(db_session, number_symbol=f"{number}/QĐ-UBND",
                                  excerpt=f"V/v phê duyệt quy hoạch {tag}").id
        # a newer document quoting that number in its excerpt ranks after the document itself
        quoting = register_as_clerk(db_session, excerpt=f"V/v thực hiện Quyết định số "
                                                         f"{number}/QĐ-UBND {tag}",
                                    number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-NC").id
    for query in (f"{number}/QD", f"{number}/QĐ-UBND", f"Số {number}/qđ-ubnd",
                  f"{number}/QĐ-UB"):
        result = found(db_session, query)
        assert result[:2] == [exact, quoting], query
    # the seeded agency of these documents is "UBND tỉnh Hà Nam"
    assert exact in found(db_session, f"ubnd ha nam {tag}")
    assert exact in found(db_session, f"UBND tỉnh Hà Nam {tag}")
    assert not found(db_session, f"ubnd ha noi {tag}")


def test_index_follows_inserts_updates_deletes_and_files(app, db_session):
    first, second, in_file = marker(), marker(), marker()
    with app.test_request_context():
        document = register_as_clerk(db_session, excerpt=f"V/v kiểm tra {first}")
    assert found(db_session, first) == [document.id]
    clerk = user(db_session, "vanthu")
    with app.test_request_context():
        data = {k: getattr(document, k) for k in services.FIELDS}
        data.update(excerpt=f"V/v kiểm tra lại {second}",
                    arrival_at=local_now().replace(second=0, microsecond=0) -
                    timedelta(minutes=1))
        services.update_incoming(db_session, clerk, document, data, confirm_duplicate=True)
        db_session.commit()
    assert found(db_session, first) == []
    assert found(db_session, second) == [document.id]
    with app.test_request_context():
        services.attach_files(db_session, clerk, document,
                              [(pdf(f"Nội dung tệp đính kèm {in_file}"), "phu-luc.pdf")])
        db_session.commit()
    assert found(db_session, f"noi dung tep {in_file}") == [document.id]
    db_session.delete(document)
    db_session.commit()
    assert found(db_session, second) == [] and found(db_session, in_file) == []


def test_search_applies_visibility_in_grid_and_api(app, login_as, api_as, db_session):
    tag = marker()
    with app.test_request_context():
        hidden = register_as_clerk(db_session, field_id=ids(db_session)["field_tp"],
                                   excerpt=f"V/v hồ sơ tư pháp {tag}", submit=True)
    clerk = login_as("vanthu").get("/incoming/list/list/", query_string={"q": tag})
    assert f"hồ sơ tư pháp {tag}" in clerk.get_data(as_text=True)
    officer = login_as("chuyenvien").get("/incoming/list/list/", query_string={"q": tag})
    assert f"hồ sơ tư pháp {tag}" not in officer.get_data(as_text=True)
    api = app.test_client()
    result = api.get("/api/v1/incoming/", query_string={"q": f"ho so tu phap {tag}"},
                     headers=api_as("vanthu")).get_json()["result"]
    assert [row["id"] for row in result] == [hidden.id]
    result = api.get("/api/v1/incoming/", query_string={"q": tag},
                     headers=api_as("chuyenvien")).get_json()["result"]
    assert result == []


def record_count(html):
    """The grid's "Số bản ghi: N" (0 when the grid says there are none)."""
    found = re.search(r"Số bản ghi:\s*(?:<[^>]+>\s*)*([\d.]+)", html)
    return int(found.group(1).replace(".", "")) if found else 0


def test_grid_count_of_matches_follows_visibility(app, login_as, db_session):
    """The clerk's count comes from the index alone (nothing else narrows it); an officer's
    counts only what they may see."""
    tag = marker()
    with app.test_request_context():
        for _i in range(3):
            register_as_clerk(db_session, field_id=ids(db_session)["field_tp"],
                              excerpt=f"V/v hồ sơ tư pháp {tag}", submit=True,
                              number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-NC")
    clerk = login_as("vanthu").get("/incoming/list/list/", query_string={"q": tag})
    assert record_count(clerk.get_data(as_text=True)) == 3
    officer = login_as("chuyenvien").get("/incoming/list/list/", query_string={"q": tag})
    assert record_count(officer.get_data(as_text=True)) == 0
    filtered = login_as("vanthu").get("/incoming/list/list/", query_string={
        "q": tag, "_flt_0_state": "nope"})  # another condition: counted row by row
    assert record_count(filtered.get_data(as_text=True)) == 0


def test_an_officers_count_of_matches_is_what_they_may_see(app, login_as, db_session):
    """On SQLite the index of matches drives an officer's count (each match tested against
    their visibility): the count is the documents of their field, not the others'."""
    tag = marker()
    officer = user(db_session, "chuyenvien")
    theirs = officer.fields[0].id
    other = next(field for key, field in ids(db_session).items()
                 if key.startswith("field_") and field not in {f.id for f in officer.fields})
    with app.test_request_context():
        for field_id in (theirs, theirs, other, other, other):
            register_as_clerk(db_session, field_id=field_id, excerpt=f"V/v đất đai {tag}",
                              submit=True,
                              number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-ĐĐ")
    page = login_as("chuyenvien").get("/incoming/list/list/", query_string={"q": tag})
    assert record_count(page.get_data(as_text=True)) == 2
    clerk = login_as("vanthu").get("/incoming/list/list/", query_string={"q": tag})
    assert record_count(clerk.get_data(as_text=True)) == 5


def test_grid_search_ranks_the_number_first(app, login_as, db_session):
    tag = marker()
    number = f"{uuid.uuid4().int % 90000 + 1000}"
    with app.test_request_context():
        register_as_clerk(db_session, number_symbol=f"{number}/TB-UBND",
                          excerpt=f"V/v thông báo {tag}")
        register_as_clerk(db_session, excerpt=f"V/v thực hiện Thông báo {number}/TB-UBND {tag}",
                          number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-NC")
    html = login_as("vanthu").get("/incoming/list/list/", query_string={
        "q": f"{number}/tb"}).get_data(as_text=True)
    assert html.index(f"V/v thông báo {tag}") < html.index("V/v thực hiện Thông báo")


def test_many_matches_keep_the_grid_order_and_say_so(app, login_as, db_session,
                                                     monkeypatch):
    """Beyond RANK_WITHIN matches the grid shows them newest first (read from its sort
    index) and tells the reader; within it, the exact diacritics come first."""
    tag = marker()
    with app.test_request_context():
        exact = register_as_clerk(db_session, excerpt=f"V/v hòa giải {tag}",
                                  number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-NC")
        newer = register_as_clerk(db_session, excerpt=f"V/v hoá đơn {tag}",
                                  number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-NC")
    clerk = login_as("vanthu")

    def grid():
        html = clerk.get("/incoming/list/list/", query_string={"q": f"hòa {tag}"}).get_data(
            as_text=True)
        return html.index(f"V/v hòa giải {tag}") < html.index(f"V/v hoá đơn {tag}"), html

    exact_first, html = grid()
    assert exact_first and "search-unranked" not in html
    monkeypatch.setattr(search, "RANK_WITHIN", 1)
    exact_first, html = grid()
    assert not exact_first and "search-unranked" in html and "Nhiều kết quả" in html
    assert newer.arrival_at >= exact.arrival_at  # newest first: the later registration
    # A reader who sees more than a grid counts (PostgreSQL then walks the sort index with
    # the match tested row by row): the same rows, in the same order.
    monkeypatch.setattr(views, "COUNT_CAP", 0)
    exact_first, html = grid()
    assert not exact_first and "search-unranked" in html


@pytest.mark.parametrize("walk", [True, False])
def test_the_walking_match_finds_what_the_index_finds(app, db_session, land, walk):
    """The two forms of the condition (the index's, and the one tested row by row while a
    grid walks its sort index) select the same documents on either database."""
    tag, made = land
    query = select(IncomingDocument.id).where(
        search._Match(IncomingDocument, search.terms(f"dat dai {tag}"), walk=walk))
    assert set(db_session.scalars(query)) == {made["dat_dai"], made["upper"]}


def test_outgoing_search(app, login_as, db_session):
    from tests.test_outgoing import approved_draft, issue

    tag = marker()
    with app.test_request_context():
        document = issue(db_session, approved_draft(
            db_session, excerpt=f"V/v giải phóng mặt bằng đất đai {tag}"))
        db_session.commit()
    assert found(db_session, f"giai phong mat bang {tag}", OutgoingDocument) == [document.id]
    assert found(db_session, f"{document.number_symbol}", OutgoingDocument)[0] == document.id
    html = login_as("vanthu").get("/outgoing/list/list/", query_string={
        "q": f"GIẢI PHÓNG {tag}"}).get_data(as_text=True)
    assert tag in html


@pytest.mark.parametrize("query", ["", "   ", "!!!", "\"", "*", "a AND", "NOT OR", "x:y",
                                   "(((", "' OR 1=1 --", "ー"])
def test_odd_input_is_harmless(db_session, query):
    found(db_session, query)  # no syntax error from either index


def test_query_syntax_is_the_same_on_both_databases():
    words = search.terms("Đất đai 123/QĐ-UB")
    assert words == [["dat"], ["dai"], ["123", "qd", "ub"]]
    assert search.sqlite_query(words) == '"dat" AND "dai" AND "123 qd ub"*'
    assert search.postgres_query(words) == "dat & dai & (123 <-> qd <-> ub:*)"
    whole = search.terms("123/QĐ-UBND")  # a finished symbol: no prefix expansion
    assert search.sqlite_query(whole) == '"123 qd ubnd"'
    assert search.postgres_query(whole) == "(123 <-> qd <-> ubnd)"


def test_searches_one_after_another_each_find_their_own(app, login_as, db_session):
    """A search statement is kept compiled and its page remembered per words: two searches
    of one shape, one after the other and again, each count and list their own documents."""
    first, second = marker(), marker()
    made = {}
    with app.test_request_context():
        for tag, copies in ((first, 1), (second, 2)):
            made[tag] = {register_as_clerk(
                db_session, excerpt=f"V/v kế hoạch {tag}",
                number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-KH").id for _i in range(copies)}
    clerk = login_as("vanthu")
    for tag in (first, second, first, second):
        html = clerk.get("/incoming/list/list/", query_string={"q": tag}).get_data(as_text=True)
        assert record_count(html) == len(made[tag])
        shown = {int(i) for i in re.findall(r'href="/incoming/(\d+)"', html)}
        assert shown == made[tag]
