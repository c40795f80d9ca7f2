"""The benchmark's data generator, small: its rows are those the app would write (the grid
lists them, the search index finds them, numbering goes on after them)."""
from sqlalchemy import func, select

from bench import generate
from tests.conftest import own_sqlite
from app.core import search
from app.core.files import file_path
from app.documents.models import IncomingAssignment, IncomingDocument
from app.outgoing.models import Draft, OutgoingDocument


@own_sqlite
def test_generator_fills_a_database_the_app_reads(tmp_path, accounts_only_demo):
    """The generator needs the schema, roles, catalogs and the demo's people: nothing more."""
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    app = generate.bench_app(url, data=tmp_path, server=False)
    assert app.test_cli_runner().invoke(args=["eoffice", "setup", "--demo"]).exit_code == 0
    from app.extensions import db

    with app.app_context():
        before = db.session.scalar(select(func.count(IncomingDocument.id)))
    generate.fill(app, 2000, 600, progress=False)
    with app.app_context():
        session = db.session
        assert session.scalar(select(func.count(IncomingDocument.id))) == before + 2000
        assert session.scalar(select(func.count(OutgoingDocument.id))) >= 600
        assert session.scalar(select(func.count(IncomingAssignment.id))) > 1000
        # every generated outgoing document comes from its draft; a few drafts are on their way
        generated = select(OutgoingDocument).where(OutgoingDocument.issued_by_id.isnot(None))
        assert not session.scalar(select(func.count()).select_from(
            generated.where(OutgoingDocument.draft_id.is_(None)).subquery()))
        assert session.scalar(select(func.count(Draft.id)).where(
            Draft.state.in_(generate.OPEN_STATES))) >= 3
        # an open draft holds what the chain left: its versions (files on disk), its history
        # ending in its state, its internal recipients, its intended signer
        newest = session.scalar(select(Draft).order_by(Draft.id.desc()))
        assert newest.state in generate.OPEN_STATES and newest.versions
        assert [v.number for v in newest.versions] == list(range(1, len(newest.versions) + 1))
        assert file_path(app.config["DATA_DIR"], newest.latest_version.file.storage_name).is_file()
        history = sorted(newest.events, key=lambda e: e.at)
        assert history[0].action == "create" and history[-1].to_state == newest.state
        assert newest.internal_units and newest.signer is not None
        drafter, draft_id = newest.drafter.username, newest.id
        version = newest.latest_version.file.original_name
        years = session.scalars(select(IncomingDocument.arrival_year).distinct()).all()
        assert len(set(years) - {None}) == generate.YEARS
        hits = session.scalar(select(func.count()).select_from(IncomingDocument).where(
            search.matches(IncomingDocument, "ĐẤT ĐAI")))
        assert hits > 0
        sample = session.scalar(select(IncomingDocument).order_by(IncomingDocument.id.desc()))
        assert sample.id in session.scalars(select(IncomingDocument.id).where(
            search.matches(IncomingDocument, sample.number_symbol))).all()
    drafter_client = app.test_client()
    drafter_client.post("/login/", data={"username": drafter,
                                         "password": generate.DEMO_PASSWORD})
    page = drafter_client.get(f"/drafts/{draft_id}")
    assert page.status_code == 200 and version in page.get_data(as_text=True)
    client = app.test_client()
    client.post("/login/", data={"username": "vanthu", "password": generate.DEMO_PASSWORD})
    page = client.get("/incoming/list/list/", query_string={"q": "dat dai"})
    assert page.status_code == 200 and "đất đai" in page.get_data(as_text=True)
    assert client.get("/incoming/list/list/?last=1").status_code == 200
