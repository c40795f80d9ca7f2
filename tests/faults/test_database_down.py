"""The database cannot be reached (a PostgreSQL URL where nothing listens): web pages, the
login page and the login API answer 503 with a static Vietnamese page or JSON, never
gunicorn's bare "Internal Server Error" nor FAB's "Fatal error"."""
import pytest

from app import create_app

DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/x"
PAGE_TEXT = "Hệ thống tạm thời không kết nối được cơ sở dữ liệu"
API_MESSAGE = ("Hệ thống tạm thời không kết nối được cơ sở dữ liệu. Thao tác chưa được thực "
               "hiện; vui lòng thử lại sau ít phút.")


@pytest.fixture(scope="module")
def down_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("down")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": DOWN_URL,
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "INSTANCE_DIR": str(instance), "DATA_DIR": str(instance / "data"),
        "TESTING": True, "RATELIMIT_ENABLED": False})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: no test-client re-raise
    return app


def assert_static_page(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:500]
    assert response.headers["Retry-After"].isdecimal()
    assert response.mimetype == "text/html"
    assert PAGE_TEXT in html and "Internal Server Error" not in html
    assert "<link" not in html and "<script" not in html  # self-contained


@pytest.mark.parametrize("path", ["/login/", "/incoming/", "/backups/", "/khong-co-trang-nay"])
def test_pages_answer_the_static_503(down_app, path):
    assert_static_page(down_app.test_client().get(path))


def test_a_logged_in_person_gets_the_static_503(down_app):
    """A session cookie makes the user loader (before the view) read the database."""
    client = down_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
    assert_static_page(client.get("/incoming/"))
    assert_static_page(client.get("/"))


def test_the_web_login_answers_the_static_503(down_app):
    client = down_app.test_client()
    assert_static_page(client.post("/login/", data={"username": "vanthu", "password": "x"}))


def test_the_api_answers_json_503(down_app):
    client = down_app.test_client()
    login = client.post("/api/v1/security/login", json={
        "username": "vanthu", "password": "x", "provider": "db"})
    assert login.status_code == 503 and login.get_json() == {"message": API_MESSAGE}
    assert login.headers["Retry-After"].isdecimal()
    listing = client.get("/api/v1/incoming/", headers={"Authorization": "Bearer x.y.z"})
    assert listing.status_code in (401, 503)  # a bad token is refused before the database
    anonymous = client.get("/api/v1/incoming/")
    assert anonymous.status_code == 503 and anonymous.get_json() == {"message": API_MESSAGE}


def test_the_static_page_is_also_served_as_a_file(down_app):
    """The reverse proxy can show the same page when the application itself is down."""
    response = down_app.test_client().get("/static/errors/503.html")
    assert response.status_code == 200 and PAGE_TEXT in response.get_data(as_text=True)
