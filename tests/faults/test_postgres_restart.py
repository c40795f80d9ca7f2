"""PostgreSQL restarts under a running application (a cluster of the test's own, stopped and
started with pg_ctlcluster): while it is down a page and the REST API answer 503 (the static
Vietnamese page, the JSON message) and nothing is saved; once it is back the same browser
session works again without restarting the application, and the next document registered
gets the next arrival number — no gap, no duplicate."""
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.documents.models import IncomingDocument
from tests.conftest import DEMO_PASSWORD, csrf_token, form_of, login, pdf, runs_once
from tests.faults.test_database_down import API_MESSAGE, assert_static_page
from tests.test_incoming import web_form

pytestmark = runs_once


def engine_of(app):
    from app.extensions import db

    with app.app_context():
        return db.engine


def arrival(app, number_symbol):
    with Session(engine_of(app)) as session:
        return session.execute(select(
            IncomingDocument.register_id, IncomingDocument.arrival_year,
            IncomingDocument.arrival_number).where(
                IncomingDocument.number_symbol == number_symbol)).one_or_none()


def documents(app):
    with Session(engine_of(app)) as session:
        return session.scalar(select(func.count(IncomingDocument.id)))


def register(client, app):
    """The clerk registers a paper document with a PDF on the web form; its number/symbol."""
    import io

    page = client.get("/incoming/register")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    with Session(engine_of(app)) as session:
        fields = web_form(session, number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-KS")
    data = form_of(page.get_data(as_text=True), submit_now="y", **fields)
    data["files"] = [(io.BytesIO(pdf("Khởi động lại máy chủ CSDL")), "cong-van.pdf")]
    response = client.post("/incoming/register", data=data, content_type="multipart/form-data")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[-1500:]
    return fields["number_symbol"]


def test_a_postgresql_restart_is_survived(pg_cluster, own_site, tmp_path):
    app = own_site(pg_cluster.create_database("eoffice"), tmp_path / "instance")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: no test-client re-raise
    client = app.test_client()
    assert "Đăng xuất" in login(client, "vanthu").get_data(as_text=True)
    token = client.post("/api/v1/security/login", json={
        "username": "vanthu", "password": DEMO_PASSWORD, "provider": "db"}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/v1/incoming/", headers=headers).status_code == 200

    first = arrival(app, register(client, app))
    assert first is not None and first.arrival_number is not None
    before = documents(app)
    form_page = client.get("/incoming/register").get_data(as_text=True)
    with Session(engine_of(app)) as session:  # the form sent while it is down, made before
        refused = web_form(session, number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-KS")

    pg_cluster.stop()
    assert "down" in pg_cluster.status()
    try:
        assert_static_page(client.get("/incoming/list/list/"))  # the pooled connections were cut
        assert_static_page(client.get("/"))
        response = client.get("/api/v1/incoming/", headers=headers)
        assert response.status_code == 503 and response.get_json() == {"message": API_MESSAGE}
        response = client.post("/api/v1/security/login", json={
            "username": "vanthu", "password": DEMO_PASSWORD, "provider": "db"})
        assert response.status_code == 503 and response.get_json() == {"message": API_MESSAGE}
        assert_static_page(client.post("/incoming/register", data=form_of(
            form_page, submit_now="y", **refused)))
    finally:
        pg_cluster.start()
    assert "online" in pg_cluster.status()

    # The same browser session, the same token, the same application: no restart needed.
    page = client.get("/incoming/list/list/")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    assert "Đăng xuất" in page.get_data(as_text=True)
    assert client.get("/api/v1/incoming/", headers=headers).status_code == 200
    assert documents(app) == before  # nothing was saved by the refused registration

    second = arrival(app, register(client, app))
    assert (second.register_id, second.arrival_year) == (first.register_id, first.arrival_year)
    assert second.arrival_number == first.arrival_number + 1  # no gap, no duplicate
    assert documents(app) == before + 1
    assert csrf_token(client.get("/incoming/register").get_data(as_text=True))


def test_the_first_request_after_an_unnoticed_restart_works(pg_cluster, own_site, tmp_path):
    app = own_site(pg_cluster.create_database("eoffice"), tmp_path / "instance")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    assert "Đăng xuất" in login(client, "vanthu").get_data(as_text=True)
    first = arrival(app, register(client, app))
    pg_cluster.stop()  # and started again before anyone asked anything
    pg_cluster.start()
    page = client.get("/incoming/list/list/")
    assert page.status_code == 200, page.status_code
    second = arrival(app, register(client, app))
    assert second.arrival_number == first.arrival_number + 1
