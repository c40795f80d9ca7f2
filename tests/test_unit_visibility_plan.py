"""A unit leader's incoming documents are the same whichever way PostgreSQL is told to check
"assigned to my unit" (app.documents.access: each document's lines looked up by index for a
unit with many lines, the unit's lines hashed for a small one). The demo's units are small, so
the threshold is lowered here to take the other way."""
from sqlalchemy import select

from app.documents import access
from app.documents.models import IncomingDocument
from tests.conftest import user


def visible_ids(app, username):
    from app.extensions import db

    with app.test_request_context():
        session = db.session
        rule = access.visible_incoming(user(session, username))
        query = select(IncomingDocument.id).where(rule)
        sql = str(query.compile(dialect=session.get_bind().dialect))
        return set(session.scalars(query)), sql


def test_the_unit_leader_sees_the_same_documents_either_way(app, monkeypatch):
    hashed, hashed_sql = visible_ids(app, "truongphong")
    monkeypatch.setattr(access, "PROBE_EACH_ROW_FROM", 1)
    probed, probed_sql = visible_ids(app, "truongphong")
    assert hashed, "the demo's unit leader sees no incoming document"
    assert probed == hashed
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert "OFFSET" not in hashed_sql  # the demo's unit is small: hashed
    assert ("OFFSET" in probed_sql) is postgres  # SQLite's plan needs no hint


def test_an_officer_without_a_unit_reading_right_is_not_touched(app, monkeypatch):
    monkeypatch.setattr(access, "PROBE_EACH_ROW_FROM", 1)
    ids, sql = visible_ids(app, "chuyenvien")
    assert ids and "OFFSET" not in sql
