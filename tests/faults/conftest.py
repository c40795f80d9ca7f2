"""Fixtures of the fault suite: a tiny tmpfs to fill (we are root in CI; elsewhere the disk-full
cases are skipped with the reason)."""
import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest


def mount_tmpfs(path: Path, size: str = "64k") -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("disk-full tests need a tmpfs: run as root (as CI does), mount is not "
                    "permitted for this user")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                             str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"disk-full tests need a tmpfs; mount is not permitted here: "
                    f"{result.stderr.strip()}")


def fill(path: Path, leave: int = 0) -> None:
    """Write into `path` until the disk is full (then free `leave` bytes)."""
    filler = path / f".filler-{uuid.uuid4().hex[:6]}"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
    if leave:
        size = filler.stat().st_size
        os.truncate(filler, max(size - leave, 0))


@pytest.fixture
def tiny_disk(tmp_path):
    """tiny_disk(name, size="64k", full=True) → a folder on a tmpfs of its own, full when asked;
    unmounted afterwards."""
    mounted = []

    def make(name="disk", size="64k", full=True, leave=0):
        path = tmp_path / name
        mount_tmpfs(path, size)
        mounted.append(path)
        if full:
            fill(path, leave)
        return path

    yield make
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


# ---------------------------------------------------------------- sites of their own

DEMO_PASSWORD = "Mat-khau-thu-nghiem-2026"  # tests.conftest.DEMO_PASSWORD
SITE_SECRET_KEY = "fault-suite-secret-key-0123456789abcdef0123"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_site():
    """own_site(url, instance) → an application on a database of its own, ready as `make run`
    leaves it but without the sample documents (fast): migrated, roles synced, catalogs
    seeded, the demo agency and its accounts (password DEMO_PASSWORD). Engines are disposed of
    afterwards."""
    from app import create_app

    made = []

    def make(url, instance, **config):
        instance = Path(instance)
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SITE_SECRET_KEY,
            "INSTANCE_DIR": str(instance), "DATA_DIR": str(instance / "data"),
            "DEMO_PASSWORD": DEMO_PASSWORD, "TESTING": True, "RATELIMIT_ENABLED": False,
            "REDIS_URL": "", "EXCHANGE_WORKER_ENABLED": False, **config})
        made.append(app)
        result = app.test_cli_runner().invoke(args=["eoffice", "setup"])
        assert result.exit_code == 0, result.output
        from app.demo import create_accounts_demo

        with app.app_context():
            create_accounts_demo(app)
        return app

    yield make
    from app.extensions import db

    for app in made:
        with app.app_context():
            db.engine.dispose()


class Cluster:
    """A PostgreSQL cluster of the test's own (Debian's pg_createcluster), on its own port."""

    def __init__(self, version: str, name: str, port: int):
        self.version, self.name, self.port = version, name, port

    def url(self, database="postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def ctl(self, action: str) -> None:
        result = subprocess.run(["pg_ctlcluster", self.version, self.name, action],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"pg_ctlcluster {action}: {result.stderr}"

    def stop(self) -> None:
        self.ctl("stop")  # fast mode: sessions are terminated (57P01)

    def start(self) -> None:
        self.ctl("start")

    def status(self) -> str:
        result = subprocess.run(["pg_lsclusters", "--no-header", self.version, self.name],
                                capture_output=True, text=True)
        return result.stdout

    def create_database(self, name: str) -> str:
        import sqlalchemy as sa

        admin = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)


@pytest.fixture
def pg_cluster():
    """A throwaway PostgreSQL cluster (never the main one on 5432), started, trust auth on
    127.0.0.1; stopped and dropped afterwards. Skipped when not root or without Debian's
    postgresql-common tools."""
    import shutil

    if os.geteuid() != 0:
        pytest.skip("the PostgreSQL restart test makes a cluster of its own with "
                    "pg_createcluster: run as root (as CI does)")
    tools = ["pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_lsclusters"]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the PostgreSQL restart test needs Debian's postgresql-common "
                    f"({', '.join(missing)} not found)")
    versions = sorted((p.name for p in Path("/usr/lib/postgresql").glob("*")
                       if (p / "bin" / "postgres").exists()), key=int) \
        if Path("/usr/lib/postgresql").is_dir() else []
    if not versions:
        pytest.skip("the PostgreSQL restart test needs a PostgreSQL server "
                    "(/usr/lib/postgresql/<version>/bin/postgres not found)")
    cluster = Cluster(versions[-1], f"faults_{uuid.uuid4().hex[:8]}", free_port())
    result = subprocess.run(
        ["pg_createcluster", cluster.version, cluster.name, "-p", str(cluster.port),
         "--start-conf=manual", "-o", "fsync=off",
         "-o", "full_page_writes=off", "--", "--auth=trust"],
        capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.skip(f"pg_createcluster failed: {result.stderr.strip()}")
    try:
        cluster.start()
        yield cluster
    finally:
        subprocess.run(["pg_dropcluster", "--stop", cluster.version, cluster.name],
                       capture_output=True, timeout=120)
