"""Demo accounts, configuration from the environment, and grids that refuse absurd paging."""
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

import config
from app import create_app
from tests.conftest import ACCOUNTS, api_token, login, own_sqlite


@pytest.mark.parametrize("username", list(ACCOUNTS.values()))
def test_each_demo_account_logs_in_on_the_web_and_the_api(app, username):
    client = app.test_client()
    html = login(client, username).get_data(as_text=True)
    assert "Đăng xuất" in html
    assert api_token(app.test_client(), username)


def test_wrong_password_is_refused_on_the_api(client):
    response = client.post("/api/v1/security/login", json={
        "username": "cv.vtlt", "password": "khong-dung", "provider": "db"})
    assert response.status_code == 401


def test_openapi_document_and_swagger_are_served(client, login_as, api_as):
    spec = client.get("/api/v1/_openapi", headers=api_as("quantri"))
    assert spec.status_code == 200
    paths = spec.get_json()["paths"]
    assert "/api/v1/document_type/" in paths and "/api/v1/agency/" in paths
    admin = login_as("quantri")
    assert admin.get("/swagger/v1").status_code == 200


@own_sqlite
def test_random_demo_passwords_are_kept_for_the_owner_only(tmp_path, accounts_only_demo):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}",
                      "SECRET_KEY": "x" * 40, "INSTANCE_DIR": str(tmp_path),
                      "DEMO_PASSWORD": None, "RATELIMIT_ENABLED": False})
    result = app.test_cli_runner().invoke(args=["eoffice", "setup", "--demo"])
    assert result.exit_code == 0, result.output
    password_file = tmp_path / "demo-passwords.txt"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    passwords = dict(line.split("\t") for line in password_file.read_text().splitlines())
    assert set(ACCOUNTS.values()) <= passwords.keys()
    assert len(set(passwords.values())) == len(passwords)  # one per account
    assert passwords["vanthu"] in result.output  # printed once
    assert "Đăng xuất" in login(app.test_client(), "vanthu", passwords["vanthu"]).get_data(
        as_text=True)
    # Running again creates nothing and prints no password.
    again = app.test_cli_runner().invoke(args=["eoffice", "setup", "--demo"])
    assert again.exit_code == 0 and passwords["vanthu"] not in again.output


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config.Config, "INSTANCE_DIR", str(tmp_path))  # as INSTANCE_DIR=…
    first = config.Config.resolve()["SECRET_KEY"]
    second = config.Config.resolve()["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config.Config.resolve()["SECRET_KEY"] == "from-the-environment"


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(config.Config, "INSTANCE_DIR", str(tmp_path))  # as INSTANCE_DIR=…
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.Config.resolve({"SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"] == \
        f"sqlite:///{tmp_path / 'eoffice.db'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/eoffice")
    assert config.Config.resolve({"SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"] == \
        "postgresql+psycopg://u@db:5432/eoffice"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_postgres_sessions_carry_the_planner_settings(app):
    """The application's PostgreSQL sessions run with POSTGRES_SESSION_SETTINGS: no JIT, index
    reads priced for memory, a page's joined references planned in the order written past
    four tables (docs/deploy.md)."""
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL settings")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(sa.text("SHOW jit")).scalar() == "off"
        assert conn.execute(sa.text("SHOW random_page_cost")).scalar() == "1.1"
        assert conn.execute(sa.text("SHOW join_collapse_limit")).scalar() == "4"


@pytest.mark.parametrize("query,expected", [
    ("psize_FieldView=100000", "psize_FieldView=200"),
    ("psize_FieldView=abc", "psize_FieldView=1"),
    ("page_FieldView=-3", "page_FieldView=0"),
])
def test_page_size_is_capped_and_never_a_500(login_as, query, expected):
    client = login_as("vanthu")
    response = client.get(f"/fieldview/list/?{query}")
    assert response.status_code == 302 and expected in response.headers["Location"]
    assert client.get(f"/fieldview/list/?{query}", follow_redirects=True).status_code == 200


def test_unknown_page_is_a_vietnamese_404(login_as):
    client = login_as("vanthu")
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)
    api = client.get("/api/v1/khong-co/")
    assert api.status_code == 404 and api.get_json()["message"] == "Không tìm thấy"


def test_stale_form_gets_a_clear_message_and_saves_nothing(login_as, db_session):
    from app.catalogs.models import Field

    client = login_as("vanthu")
    response = client.post("/fieldview/add", data={"csrf_token": "stale", "code": "STALE",
                                                   "name": "Lĩnh vực từ biểu mẫu cũ"})
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert db_session.query(Field).filter_by(code="STALE").count() == 0


def test_instance_files_are_not_world_readable(app):
    secret = os.path.join(app.config["INSTANCE_DIR"], "secret_key")
    if os.path.exists(secret):
        assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600


def test_malformed_json_gets_a_vietnamese_400(client):
    response = client.post("/api/v1/security/login", data="{không phải json",
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["message"] == "Nội dung JSON không hợp lệ."


def test_check_deploy_lists_unsafe_settings(app):
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code != 0
    assert "tài khoản mẫu" in result.output  # the demo accounts exist in the test database
    assert "RATELIMIT_ENABLED" in result.output  # tests turn the limit off


def test_check_deploy_passes_a_safe_configuration(tmp_path):
    import secrets

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
                      "SECRET_KEY": secrets.token_hex(32), "INSTANCE_DIR": str(tmp_path),
                      "WORKERS": 1, "RATELIMIT_ENABLED": True,
                      "TOTP_REQUIRED_ROLES": "Quản trị mạng,Lãnh đạo cơ quan"})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["eoffice", "setup"]).exit_code == 0
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output


def test_an_impossible_id_is_a_404_not_a_500(login_as):
    client = login_as("vanthu")
    for path in ("/incoming/99999999999999999999", "/drafts/99999999999999999999",
                 "/outgoing/99999999999999999999", "/documenttypeview/edit/99999999999999999"):
        assert client.get(path).status_code == 404, path


# Keys the frameworks define (Flask, FAB, Flask-Limiter): read by our code, not ours to declare.
FRAMEWORK_KEYS = {"DEBUG", "TESTING", "AUTH_DB_FAKE_PASSWORD_HASH_CHECK",
                  "FAB_ADD_SECURITY_VIEWS", "RATELIMIT_KEY_PREFIX",
                  "FAB_PASSWORD_HASH_METHOD", "FAB_PASSWORD_HASH_SALT_LENGTH"}


def test_every_setting_the_code_reads_is_declared_in_config():
    """One place for configuration: each key read in app/ is in config.Config (settable from
    the environment) and in the README's table, unless the framework defines it."""
    import re
    from pathlib import Path

    root = Path(config.__file__).parent
    read = set()
    for path in (root / "app").rglob("*.py"):
        read |= set(re.findall(r"""config(?:\.get\(|\[)["']([A-Z][A-Z0-9_]+)["']""",
                               path.read_text(encoding="utf-8")))
    declared = {key for key in dir(config.Config) if key.isupper()}
    assert read - declared - FRAMEWORK_KEYS == set()
    readme = (root / "README.md").read_text(encoding="utf-8")
    environment = set(re.findall(r'os\.environ\.get\("([A-Z][A-Z0-9_]+)"',
                                 Path(config.__file__).read_text(encoding="utf-8")))
    undocumented = {key for key in environment if f"`{key}`" not in readme}
    assert undocumented == set()


def test_no_setting_is_declared_twice_in_a_class_of_config():
    """A second assignment in the same class silently replaces the first: a key read from the
    environment then ignores it (CACHE_KEY_PREFIX did, until 07/12/2026)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(config.__file__).read_text(encoding="utf-8"))
    twice = []
    for klass in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
        seen = set()
        for statement in klass.body:
            targets = statement.targets if isinstance(statement, ast.Assign) else (
                [statement.target] if isinstance(statement, ast.AnnAssign) else [])
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    if target.id in seen:
                        twice.append(f"{klass.name}.{target.id}")
                    seen.add(target.id)
    assert twice == []


def test_the_cache_key_prefix_comes_from_the_environment(monkeypatch):
    import importlib

    monkeypatch.setenv("CACHE_KEY_PREFIX", "coquan2:")
    try:
        assert importlib.reload(config).Config.resolve()["CACHE_KEY_PREFIX"] == "coquan2:"
    finally:
        monkeypatch.delenv("CACHE_KEY_PREFIX")
        importlib.reload(config)
    assert config.Config.resolve()["CACHE_KEY_PREFIX"] == "eoffice:"


def test_a_restarted_worker_loads_the_templates_compiled_instead_of_compiling_them(
        app, tmp_path):
    """TEMPLATE_CACHE_DIR keeps the templates' compiled code, owner-only: a second process
    (another worker, or the same after a restart) draws the login page without compiling a
    template."""
    from tests.conftest import app_config

    settings = {**app_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance"),
                "TEMPLATE_CACHE_DIR": str(tmp_path / "compiled")}
    first = create_app(settings)
    assert first.test_client().get("/login/").status_code == 200
    kept = list((tmp_path / "compiled").iterdir())
    assert kept, "nothing kept"
    assert stat.S_IMODE((tmp_path / "compiled").stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in kept} == {0o600}

    second = create_app(settings)

    def compile_refused(*_args, **_kwargs):
        raise AssertionError("a template was compiled again")

    second.jinja_env.compile = compile_refused
    page = second.test_client().get("/login/")
    assert page.status_code == 200
    assert "Đăng nhập" in page.get_data(as_text=True)


def test_check_deploy_refuses_sqlite_with_several_app_servers(app, monkeypatch):
    monkeypatch.setitem(app.config, "APP_SERVERS", 2)
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    on_sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    assert ("SQLite chỉ dùng cho một máy chủ ứng dụng" in result.output) == on_sqlite


def test_a_server_process_freezes_the_objects_of_its_start_and_takes_gc_threshold(tmp_path):
    """run.py (gunicorn's workers, `make run`): the objects the start made are frozen out of
    the garbage collector's rounds, and GC_THRESHOLD is its thresholds (app.core.server)."""
    import subprocess
    import sys

    env = {**os.environ, "INSTANCE_DIR": str(tmp_path), "GC_THRESHOLD": "12345,10,10",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    for worker in ("EXCHANGE_WORKER", "BACKUP_SCHEDULE", "NOTICE_WORKER", "STATS_WARM", "OCR"):
        env[f"{worker}_ENABLED"] = "0"
    shown = subprocess.run(
        [sys.executable, "-c", "import gc, run; print(gc.get_freeze_count(), *gc.get_threshold())"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
        timeout=120, check=True).stdout.split()
    frozen, *threshold = (int(value) for value in shown)
    assert frozen > 100_000  # the modules, the framework, the app
    assert threshold == [12345, 10, 10]
