"""Shared fixtures: one migrated, seeded database per run (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), the demo accounts, and helpers that log in as a role would."""
import os
import concurrent.futures
import functools
import json
import re
import shutil
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app

DEMO_PASSWORD = "Mat-khau-thu-nghiem-2026"
ACCOUNTS = {  # role → demo account (README)
    "Quản trị mạng": "quantri",
    "Lãnh đạo cơ quan": "lanhdao",
    "Lãnh đạo văn phòng": "lanhdaovp",
    "Lãnh đạo đơn vị": "truongphong",
    "Chuyên viên": "chuyenvien",
    "Văn thư": "vanthu",
}


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian's fonts-dejavu-core


def user(session, username):
    """The demo account `username` (README)."""
    from app.org.models import EofficeUser

    return session.scalar(sa.select(EofficeUser).where(EofficeUser.username == username))


def pdf(text="Văn bản thử nghiệm", pages=1):
    """A small real PDF with Vietnamese text (the demo's generator)."""
    from app.core.pdf import make_demo_pdf

    return make_demo_pdf(text, ["Độc lập - Tự do - Hạnh phúc", text], font_path=FONT,
                         pages=pages)


# Tests that run on databases of their own (SQLite) do not depend on TEST_DATABASE_URL: the
# PostgreSQL pass of CI skips them instead of running them a second time.
own_sqlite = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="uses SQLite databases of its own: run once, on SQLite")
# Tests that bring their own servers (a PostgreSQL cluster, a gunicorn) run once, in the
# SQLite pass, for the same reason.
runs_once = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                               reason="brings its own servers: run once, in the SQLite pass")
# The browser tests run once too, but one journey (tests/e2e/conftest.py).


# The longest test files start first (`make test` runs two processes, a file in one of them):
# what is left at the end is short files that spread over both, instead of one process still
# running a long browser journey while the other waits. Only the order of files changes.
LONG_FILES = ("test_api_fuzz.py", "test_killed_upload.py", "test_notices_journey.py",
              "test_bench_generate.py", "test_accounts_and_config.py", "test_outgoing_journey.py",
              "test_news_journey.py", "test_incoming_journey.py", "test_incoming_demo.py",
              "test_overflow_sweep.py", "test_routing_journey.py", "test_schedule_journey.py",
              "test_surface.py", "test_postgres_restart.py", "test_admin_journey.py",
              "test_phone_journeys.py", "test_ocr_journey.py", "test_ocr_integration.py")


def pytest_collection_modifyitems(config, items):
    """Files that do not need the seeded `app` first (they run while it is being seeded), the
    long ones first within each group. Only the order of files changes."""
    rank = {name: index for index, name in enumerate(LONG_FILES)}
    needs_app = {item.path for item in items if "app" in item.fixturenames}
    items.sort(key=lambda item: (item.path in needs_app,
                                 rank.get(item.path.name, len(LONG_FILES))))


# --- The seeded demo, made once per run -----------------------------------------------------
# Under pytest-xdist the controller starts one seeding process (`setup --demo` into a template:
# a SQLite file or a PostgreSQL database, and its instance folder) while the workers run the
# files that need no `app`; each worker's `app` is then a copy of the template.
SEED_DIR = "seed"  # under the run's base temporary folder (the controller's)


def _under_xdist_controller(config) -> bool:
    return (not hasattr(config, "workerinput") and not config.option.collectonly
            and bool(getattr(config.option, "numprocesses", None))
            and getattr(config.option, "dist", "no") != "no")


def pytest_configure(config):
    # xdist orders files by their number of tests unless told not to: keep the order above.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_sessionstart(session):
    config = session.config
    if not _under_xdist_controller(config):
        return
    folder = config._tmp_path_factory.getbasetemp() / SEED_DIR
    folder.mkdir()
    root = Path(__file__).resolve().parents[1]
    log = open(folder / "log", "wb")
    config._seeder = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(root)!r}); "
         f"from tests.conftest import seed_template; seed_template({str(folder)!r})"],
        cwd=root, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    (folder / "pid").write_text(str(config._seeder.pid))


def pytest_unconfigure(config):
    seeder = getattr(config, "_seeder", None)
    if seeder is not None and seeder.poll() is None:  # the run was cut short
        seeder.terminate()
        seeder.wait(timeout=30)


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url else None


def named_database(url: str, name: str) -> str:
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)


def recreate_database(url: str, name: str, template: str | None = None) -> str:
    """A PostgreSQL database `name` made anew (empty, or a copy of `template`)."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'
                             + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return named_database(url, name)


def seed_template(folder):
    """The seeding process: the demo into `folder` (db/ and instance/), or into the PostgreSQL
    database TEST_DATABASE_URL's name + "_seed"; then a file "done", or "failed" with why."""
    folder = Path(folder)
    try:
        url = postgres_url()
        if url:
            url = recreate_database(url, f"{sa.engine.make_url(url).database}_{SEED_DIR}")
        else:
            (folder / "db").mkdir()
            url = f"sqlite:///{folder / 'db' / 'test.db'}"
        app = seeded_app(url, folder / "instance")
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        (folder / "done.tmp").write_text(url, encoding="utf-8")
        os.replace(folder / "done.tmp", folder / "done")  # whole, or not there
    except BaseException:
        (folder / "failed").write_text(traceback.format_exc(), encoding="utf-8")
        raise


def _running(pid: int) -> bool:
    """The process is alive (not gone, not a zombie its parent has yet to reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture(scope="session")
def seed_template_dir(tmp_path_factory, worker_id):
    """The controller's template, once it is ready; None without one (one process: the `app`
    fixture seeds its own database)."""
    if worker_id == "master":
        return None
    folder = tmp_path_factory.getbasetemp().parent / SEED_DIR
    if not folder.is_dir():
        return None
    pid = int((folder / "pid").read_text())
    while not (folder / "done").exists():
        if not _running(pid) and not (folder / "done").exists():
            failed = folder / "failed"
            pytest.fail("seeding the demo failed:\n"
                        + (failed.read_text() if failed.exists() else "")
                        + (folder / "log").read_text(errors="replace"), pytrace=False)
        time.sleep(0.5)
    return folder


def reset_postgres(url):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist (`make test` runs two workers) each worker has a database of its
    own: TEST_DATABASE_URL's name with the worker's id appended, created when missing."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("select 1 from pg_database where datname = :n"),
                           {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id, seed_template_dir):
    """The session's database: a copy of the seeded template when there is one, else empty
    (the `app` fixture seeds it)."""
    url = postgres_url()
    if url and seed_template_dir:
        seed = sa.engine.make_url((seed_template_dir / "done").read_text(encoding="utf-8"))
        return recreate_database(url, f"{sa.engine.make_url(url).database}_{worker_id}",
                                 template=seed.database)
    if url:
        if worker_id != "master":
            url = worker_database(url, worker_id)
        reset_postgres(url)
        return url
    path = tmp_path_factory.mktemp("db") / "test.db"
    if seed_template_dir:
        for file in (seed_template_dir / "db").iterdir():  # test.db and any -wal, -shm
            shutil.copy2(file, path.with_name(file.name))
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def worker_id(request):
    """xdist's worker id ("gw0", "gw1"…), "master" when the tests run in one process (xdist
    defines the same fixture when it is active)."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


# Tests do not measure the hash's cost: a cheap scrypt (the same code path) for every password
# the shared app hashes and checks, the demo's among them.
TEST_PASSWORD_HASH = "scrypt:1024:8:1"


def app_config(database_url, instance) -> dict:
    from werkzeug.security import generate_password_hash

    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "INSTANCE_DIR": str(instance),
        "DATA_DIR": str(instance / "data"),
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "EXCHANGE_ORGAN_ID": "000.00.04.H30",  # the demo agency, as `make run` sets it
        "TESTING": True,
        # Hundreds of logins from 127.0.0.1: the per-IP limit has its own tests.
        "RATELIMIT_ENABLED": False,
        # Never a real outside endpoint: signed PDFs from elsewhere name their CAs' CRL and
        # OCSP addresses; the checks of revocation fetching have their own local servers.
        "SIGNING_FETCH_TIMEOUT": 0,
        "FAB_PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
        # An unknown login still computes one hash, of the same cost as a known one.
        "AUTH_DB_FAKE_PASSWORD_HASH_CHECK": generate_password_hash(
            "no-such-password", method=TEST_PASSWORD_HASH),
    }


def seeded_app(database_url, instance, **config):
    """The app on `database_url`, set up with the demo (`flask eoffice setup --demo`)."""
    app = create_app({**app_config(database_url, instance), **config})
    result = app.test_cli_runner().invoke(args=["eoffice", "setup", "--demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory, seed_template_dir):
    instance = tmp_path_factory.mktemp("instance")
    if seed_template_dir is None:
        return seeded_app(database_url, instance)
    return copied_app(seed_template_dir / "instance", database_url, instance)


@pytest.fixture
def statements(app):
    """The SQL statements the app sends while the test runs, whitespace collapsed (a page's
    statements: clear the list, load the page, read it)."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def page_statements(client, url, statements):
    """(the page's statements, its HTML) at a second look (a first look reads once what it
    keeps: the session's people, caches), with the `statements` fixture."""
    assert client.get(url).status_code == 200
    statements.clear()
    response = client.get(url)
    assert response.status_code == 200
    return list(statements), response.get_data(as_text=True)


def first_look_statements(app, client, url, statements):
    """(the page's statements, its HTML) as drawn anew: after a look that fills what the
    process keeps, the app cache is emptied (a page kept per version of the data is read
    and drawn again), with the `statements` fixture."""
    from app.extensions import cache

    assert client.get(url).status_code == 200
    with app.app_context():
        cache.clear()
    statements.clear()
    response = client.get(url)
    assert response.status_code == 200
    return list(statements), response.get_data(as_text=True)


@pytest.fixture
def accounts_only_demo(monkeypatch):
    """`setup --demo` makes the agency, its units and people only (the first step): for a
    test of its own database that needs nobody's documents — the rest is a minute and a half."""
    from app import demo

    monkeypatch.setattr(demo, "STEP_CHECKS", demo.STEP_CHECKS[:1])


def own_demo_app(seed_template_dir, instance, **config):
    """The demo on a SQLite database of its own, for a test that may change it at will (the
    API fuzzer): a copy of the run's template when that is SQLite, else `setup --demo` anew.
    `config` adds to or replaces the shared app's configuration."""
    database = instance.with_name(f"{instance.name}-db")  # beside: the copy rewrites paths
    database.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{database / 'test.db'}"
    template_db = seed_template_dir / "db" if seed_template_dir else None
    if template_db is None or not template_db.is_dir():  # one process, or a PostgreSQL run
        return seeded_app(url, instance, **config)
    for file in template_db.iterdir():  # test.db and any -wal, -shm
        shutil.copy2(file, database / file.name)
    return copied_app(seed_template_dir / "instance", url, instance, **config)


def copied_app(template, database_url, instance, **config):
    """The app on a copy of the seeded template: its instance folder copied, the absolute
    paths written in its small files (the demo token's configuration) moved to the copy, and
    the demo's steps recorded for the copy's database."""
    from app.demo import STEPS_FILE, StepRecord

    shutil.copytree(template, instance, dirs_exist_ok=True)
    old, new = str(template).encode(), str(instance).encode()
    for path in instance.rglob("*"):
        if path.is_file() and path.relative_to(instance).parts[0] != "data" \
                and path.stat().st_size < 1_000_000:  # not the stored files
            content = path.read_bytes()
            if old in content:
                path.write_bytes(content.replace(old, new))
    record = instance / STEPS_FILE
    (entry,) = json.loads(record.read_text(encoding="utf-8")).values()
    record.unlink()
    app = create_app({**app_config(database_url, instance), **config})
    StepRecord(app).write(entry["done"])
    return app


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the kind the suite runs on (a PostgreSQL database of its
    own, dropped afterwards; a SQLite file otherwise)."""
    import uuid

    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"eoffice_empty_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def scratch_register(app):
    """make(name, direction, year) → the id of a register of the test's own. Afterwards it is
    made inactive: no later test's form offers it (as this year's register, say) by default."""
    from app.catalogs.models import Register
    from app.extensions import db

    made = []

    def make(name, direction, year):
        with app.app_context():
            register = Register(name=name, direction=direction, year=year)
            db.session.add(register)
            db.session.commit()
            made.append(register.id)
            return register.id

    yield make
    with app.app_context():
        db.session.execute(sa.update(Register).where(Register.id.in_(made))
                           .values(active=False))
        db.session.commit()


def off_the_loop(function):
    """pyHanko's synchronous calls (sign_pdf, validate_pdf_signature) use asyncio.run(), which
    fails where an event loop runs — in a test process after a browser test, Playwright's sync
    API keeps its loop in the main thread. Such a test helper runs in a thread of its own."""
    @functools.wraps(function)
    def in_a_thread(*args, **kwargs):
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(function, *args, **kwargs).result()
    return in_a_thread


@contextmanager
def app_settings(app, **values):
    """Some settings of the shared app for the time of a `with` block, then as they were."""
    saved = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    """A session of its own, outside any app context: test requests must not share the
    context (and its `g`, where the logged-in user lives) with the test body."""
    from sqlalchemy.orm import Session

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    session = Session(engine)
    yield session
    session.rollback()
    session.close()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username, password=DEMO_PASSWORD):
    page = client.get("/login/", follow_redirects=True)  # switching people: log out (POST)
    client.post("/logout/", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    page = client.get("/login/")
    return client.post("/login/", data={
        "username": username, "password": password,
        "csrf_token": csrf_token(page.get_data(as_text=True)),
    }, follow_redirects=True)


@pytest.fixture
def login_as(client):
    """login_as("vanthu") or login_as("Văn thư") → the test client, logged in as that demo
    account (a role name stands for its demo account in ACCOUNTS)."""
    def _login(role_or_username):
        username = ACCOUNTS.get(role_or_username, role_or_username)
        response = login(client, username)
        assert "Đăng xuất" in response.get_data(as_text=True), f"{username} could not log in"
        return client
    return _login


def api_token(client, username, password=DEMO_PASSWORD):
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


@pytest.fixture
def api_as(client):
    """api_as("vanthu") → headers with a JWT for that account."""
    def _headers(username):
        return {"Authorization": f"Bearer {api_token(client, username)}"}
    return _headers


def form_of(html: str, **values) -> dict:
    """The fields a submitted form carries: the page's CSRF token plus the given values."""
    return {"csrf_token": csrf_token(html), **values}
