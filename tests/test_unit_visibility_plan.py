"""The documents a unit leader or an officer sees are the same whichever way PostgreSQL is told
to check "a line of mine (or my unit's) exists" (app.core.db.lines_exist: each document's lines
looked up by index for a person or unit with many lines, their lines hashed for a few). The
demo's people have few lines, so the threshold is lowered here to take the other way."""
import pytest
from sqlalchemy import select, text

from app.core import db as core_db
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from app.outgoing.access import visible_outgoing
from app.outgoing.models import OutgoingDocument
from tests.conftest import user


def visible_ids(app, username, model=IncomingDocument, rule=visible_incoming):
    from app.extensions import db

    with app.test_request_context():
        session = db.session
        query = select(model.id).where(rule(user(session, username)))
        sql = str(query.compile(dialect=session.get_bind().dialect))
        return set(session.scalars(query)), sql


@pytest.mark.parametrize("username, model, rule", [
    ("truongphong", IncomingDocument, visible_incoming),
    ("chuyenvien", IncomingDocument, visible_incoming),  # the officer's own assignments
    ("truongphong", OutgoingDocument, visible_outgoing),
    ("chuyenvien", OutgoingDocument, visible_outgoing),  # documents sent to the officer's unit
])
def test_the_same_documents_either_way(app, monkeypatch, username, model, rule):
    hashed, hashed_sql = visible_ids(app, username, model, rule)
    monkeypatch.setattr(core_db, "PROBE_EACH_ROW_FROM", 1)
    probed, probed_sql = visible_ids(app, username, model, rule)
    assert hashed, f"the demo's {username} sees no {model.__tablename__}"
    assert probed == hashed
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert "OFFSET" not in hashed_sql  # the demo's unit is small: hashed
    assert ("OFFSET" in probed_sql) is postgres  # SQLite's plan needs no hint



def test_a_grid_count_probes_each_row_only_for_an_owner_of_many_lines(
        app, login_as, statements, monkeypatch):
    """A grid's count stops at its cap: PostgreSQL is told to look each document's lines up
    (OFFSET 0) when the reader owns so many lines that the count stops early — more than
    √(PROBE_COST_RATIO × cap × the table's rows) — and to hash them otherwise. The officer's
    count is the same either way. The demo's officer has a few drafts: the ratio is lowered
    here to take the other way."""
    from app.core.views import drawn_rows
    from app.extensions import cache, db
    from tests.test_search import record_count

    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    with app.app_context():
        if postgres:
            db.session.execute(text("ANALYZE outgoing_document"))  # its rows known to the plan
            db.session.commit()
    officer = login_as("chuyenvien")

    def counted():
        with app.app_context():  # counted afresh: no count remembered, no page kept drawn
            cache.clear()
            drawn_rows().clear()
        statements.clear()
        html = officer.get("/outgoing/list/list/").get_data(as_text=True)
        counts = [sql for sql in statements if sql.startswith(
            "SELECT count(*) AS count_1 FROM (SELECT outgoing_document.id")]
        assert len(counts) == 1, "the grid counted once"
        return record_count(html), counts[0]

    hashed, hashed_sql = counted()
    monkeypatch.setattr(core_db, "PROBE_COST_RATIO", 1e-9)
    probed, probed_sql = counted()
    assert hashed > 0, "the demo's officer sees outgoing documents"
    assert probed == hashed
    # the EXISTS with an OFFSET of its own (the count's subquery has one for its cap)
    assert "LIMIT ALL OFFSET" not in hashed_sql and "LIMIT -1 OFFSET" not in hashed_sql
    assert ("LIMIT ALL OFFSET" in probed_sql) is postgres  # SQLite's plan needs no hint
    assert "LIMIT -1 OFFSET" not in probed_sql
