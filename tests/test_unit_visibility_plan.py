"""The documents a unit leader or an officer sees are the same whichever way PostgreSQL is told
to check "a line of mine (or my unit's) exists" (app.core.db.lines_exist: each document's lines
looked up by index for a person or unit with many lines, their lines hashed for a few). The
demo's people have few lines, so the threshold is lowered here to take the other way."""
import pytest
from sqlalchemy import select

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

