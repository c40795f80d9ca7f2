"""The server is killed (`kill -9` of gunicorn's master and workers) while a clerk's upload is
in flight — early in the body, halfway, and while the request is processed after its body
arrived. Whatever the moment, after a restart on the same database and DATA_DIR:

- `flask --app run.py files check` finds no final file without its row and no row without its
  file (a cut-off upload can leave only a `.upload-…` temporary file), nothing mismatched;
- the SQLite database is sound and the arrival numbers of the register run on with no gap and
  no duplicate (the next registration gets the next number);
- `files check --fix` (once the temporary files are older than an hour) moves the leftovers to
  the quarantine and leaves DATA_DIR clean.
"""
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.files import UPLOAD_PREFIX
from app.documents.models import IncomingDocument
from tests.conftest import csrf_token, pdf, runs_once
from tests.faults.conftest import DEMO_PASSWORD, SITE_SECRET_KEY, free_port
from tests.test_incoming import web_form

pytestmark = runs_once

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
FLASK = Path(sys.executable).parent / "flask"
CHUNK = 16 * 1024
PAUSE = 0.02  # seconds between chunks: a slow client
ORPHAN_LINE = "Tệp không thuộc bản ghi nào"
MISSING_LINE = "Thiếu tệp của bản ghi"
MISMATCH_LINE = "Tệp sai mã kiểm tra"
TEMPORARY_LINE = "Tệp tạm của lần tải lên dở dang"


class Site:
    """A database and DATA_DIR of their own, served by gunicorn started by the test."""

    def __init__(self, app, base: Path):
        self.app, self.base = app, base
        self.db_file = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        self.data_dir = Path(app.config["DATA_DIR"])
        self.env = {**os.environ,
                    "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "INSTANCE_DIR": app.config["INSTANCE_DIR"],
                    "DATA_DIR": str(self.data_dir), "SECRET_KEY": SITE_SECRET_KEY,
                    "DEMO_PASSWORD": DEMO_PASSWORD, "RATELIMIT_ENABLED": "0", "REDIS_URL": "",
                    "EXCHANGE_WORKER_ENABLED": "0", "BACKUP_SCHEDULE_ENABLED": "0",
                    "FILES_QUARANTINE_DIR": str(base / "quarantine")}
        self.env.pop("TEST_DATABASE_URL", None)
        self.port = None
        self.server = None

    # ------------------------------------------------------------ the server

    def start(self):
        self.port = free_port()
        log = open(self.base / "gunicorn.log", "ab")
        self.server = subprocess.Popen(
            [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "60", "run:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.server.poll() is None, self.log_tail()
            try:
                if requests.get(self.url("/login/"), timeout=10).status_code == 200:
                    return
            except requests.RequestException:  # not listening, or workers booting
                pass
            time.sleep(0.3)
        pytest.fail("gunicorn did not answer within 60 s\n" + self.log_tail())

    def kill(self):
        """kill -9 of the master and every worker (its process group)."""
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(timeout=30)

    def stop(self):
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(timeout=30)

    def log_tail(self):
        path = self.base / "gunicorn.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    # ------------------------------------------------------------ the clerk

    def login(self):
        browser = requests.Session()
        page = browser.get(self.url("/login/"), timeout=10).text
        response = browser.post(self.url("/login/"), data={
            "username": "vanthu", "password": DEMO_PASSWORD, "csrf_token": csrf_token(page)},
            timeout=30)
        assert "Đăng xuất" in response.text, self.log_tail()
        return browser

    def register_form(self, browser):
        """The register form's fields as the browser posts them, a unique number/symbol."""
        page = browser.get(self.url("/incoming/register"), timeout=30)
        assert page.status_code == 200, page.text[:300]
        with Session(self.engine()) as session:
            fields = web_form(session, number_symbol=f"{uuid.uuid4().int % 10**9}/UBND-KILL")
        return {"csrf_token": csrf_token(page.text), "submit_now": "y", **fields}

    def engine(self):
        from app.extensions import db

        with self.app.app_context():
            return db.engine

    # ------------------------------------------------------------ the checks

    def files_check(self, *options):
        result = subprocess.run([str(FLASK), "--app", "run.py", "files", "check", *options],
                                cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=120)
        return result.returncode, result.stdout + result.stderr

    def final_files(self):
        return sorted(p.name for p in (self.data_dir / "files").rglob("*")
                      if p.is_file() and not p.name.startswith(UPLOAD_PREFIX))

    def temporary_files(self):
        return sorted(p for p in self.data_dir.rglob(f"{UPLOAD_PREFIX}*") if p.is_file())

    def arrival_numbers(self, register_id, year):
        with Session(self.engine()) as session:
            return list(session.scalars(select(IncomingDocument.arrival_number).where(
                IncomingDocument.register_id == register_id,
                IncomingDocument.arrival_year == year,
                IncomingDocument.arrival_number.is_not(None)).order_by(
                    IncomingDocument.arrival_number)))

    def document(self, number_symbol):
        with Session(self.engine()) as session:
            return session.execute(select(
                IncomingDocument.id, IncomingDocument.register_id,
                IncomingDocument.arrival_year, IncomingDocument.arrival_number).where(
                    IncomingDocument.number_symbol == number_symbol)).one_or_none()


def multipart(fields: dict, filename: str, content: bytes) -> tuple[str, bytes]:
    boundary = f"----fault{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                 f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
                 + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def slow_post(site, browser, body_type, body, *, stop_after=None, on_sent=None):
    """POST /incoming/register over a raw connection, the body CHUNK by CHUNK with pauses.
    stop_after=n: call on_sent() once n bytes are sent (then keep sending if still possible).
    Without stop_after, on_sent() is called when the whole body is sent. Returns
    (status or None, seconds from the body sent to the answer)."""
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=60)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    try:
        connection.putrequest("POST", "/incoming/register")
        connection.putheader("Content-Type", body_type)
        connection.putheader("Content-Length", str(len(body)))
        connection.putheader("Cookie", cookie)
        connection.putheader("Referer", site.url("/incoming/register"))
        connection.endheaders()
        sent = 0
        while sent < len(body):
            connection.send(body[sent:sent + CHUNK])
            sent += CHUNK
            if stop_after is not None and sent >= stop_after:
                on_sent()
                return None, None
            time.sleep(PAUSE)
        done = time.monotonic()
        if on_sent is not None:
            on_sent()
            return None, None
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - done
    except (ConnectionError, http.client.HTTPException, OSError):
        return None, None
    finally:
        connection.close()


def assert_sound(site, register_id, year, expected_count):
    """No final orphan, no missing file, no mismatch; the database intact; numbers 1…n."""
    code, output = site.files_check()
    assert ORPHAN_LINE not in output and MISSING_LINE not in output, output
    assert MISMATCH_LINE not in output, output
    if site.temporary_files():
        assert code == 1 and TEMPORARY_LINE in output, output
    else:
        assert code == 0, output
    with site.engine().connect() as conn:  # the application's collations registered
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    numbers = site.arrival_numbers(register_id, year)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
    assert len(numbers) == expected_count, numbers
    return output


@pytest.fixture
def site(own_site, tmp_path):
    if not GUNICORN.exists() and shutil.which("gunicorn") is None:
        pytest.skip("the killed-upload test starts gunicorn: not installed in this venv")
    app = own_site(f"sqlite:///{tmp_path / 'instance' / 'eoffice.db'}", tmp_path / "instance")
    site = Site(app, tmp_path)
    yield site
    site.stop()


def test_a_server_killed_mid_upload_leaves_nothing_half_done(site):
    big = pdf("Văn bản lớn gửi chậm, máy chủ bị tắt giữa chừng", pages=400)
    site.start()
    browser = site.login()

    # A complete upload first: it is saved with its file, and how long its processing takes
    # after the body has arrived tells where to aim the last kill.
    fields = site.register_form(browser)
    status, processing = slow_post(site, browser, *multipart(fields, "cong-van.pdf", big))
    assert status in (302, 303), site.log_tail()
    first = site.document(fields["number_symbol"])
    assert first is not None and first.arrival_number is not None
    register_id, year = first.register_id, first.arrival_year
    registered = 1
    print(f"complete upload: answered {processing:.2f} s after its body")
    assert len(site.final_files()) == 1
    assert_sound(site, register_id, year, registered)

    moments = {
        "early": {"stop_after": 2 * CHUNK},
        "mid-body": {"stop_after": None},  # set below: half of the body
        "after the body": {},
    }
    for moment, how in moments.items():
        fields = site.register_form(browser)
        body_type, body = multipart(fields, "cong-van.pdf", big)
        if moment == "mid-body":
            how = {"stop_after": len(body) // 2}
        # Aimed at the writing and the commit (at 0.5 nothing is written yet, at 0.9 the
        # request is done): the exact moment varies, the invariant holds at every one.
        delay = processing * 0.75 if moment == "after the body" else 0

        def kill(delay=delay):
            time.sleep(delay)
            site.kill()

        status, _ = slow_post(site, browser, body_type, body, on_sent=kill, **how)
        assert status is None and site.server.poll() is not None, moment
        cut = site.document(fields["number_symbol"])
        if moment != "after the body":
            assert cut is None, f"{moment}: a document registered from half a body"
        registered += cut is not None  # committed before the kill: then with its file
        output = assert_sound(site, register_id, year, registered)
        print(f"{moment}: {'saved' if cut else 'not saved'}; "
              f"{len(site.temporary_files())} temporary file(s)\n{output}")

        # Restarted on the same database and DATA_DIR, the clerk goes on: the next number.
        site.start()
        browser = site.login()
        again = site.register_form(browser)
        status, _ = slow_post(site, browser, *multipart(again, "cong-van.pdf", pdf()))
        assert status in (302, 303), site.log_tail()
        registered += 1
        assert site.document(again["number_symbol"]).arrival_number == \
            max(site.arrival_numbers(register_id, year))
        assert_sound(site, register_id, year, registered)

    site.stop()
    # An hour later (the temporary files aged), --fix moves the leftovers to the quarantine.
    leftovers = site.temporary_files()
    old = time.time() - 2 * 3600
    for path in leftovers:
        os.utime(path, (old, old))
    code, output = site.files_check("--fix")
    assert ORPHAN_LINE not in output and MISSING_LINE not in output, output
    code, output = site.files_check()
    assert code == 0 and "không phát hiện vấn đề" in output, output
    assert site.temporary_files() == []
    quarantined = sorted(p.name for p in (site.base / "quarantine").rglob("*") if p.is_file())
    assert quarantined == sorted(p.name for p in leftovers)
    assert all(re.match(re.escape(UPLOAD_PREFIX), name) for name in quarantined)
    assert len(site.final_files()) == registered  # each document with its one file
