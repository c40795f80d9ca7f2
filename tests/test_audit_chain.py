"""Audit trail tamper evidence: every row is chained by hash to the one before it, also when
several workers write at once; `flask audit verify` says OK with the row count, or names the
first row deleted or changed behind the application's back (triggers dropped first)."""
import os
import threading

import pytest
import sqlalchemy as sa

from app import create_app

PG_URL = os.environ.get("TEST_DATABASE_URL")
KIND = "postgresql" if PG_URL else "sqlite"


@pytest.fixture
def fresh_url(empty_database_url):
    return empty_database_url


def make_app(url, root):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "chain-test-secret-key-0123456789abcdef",
        "INSTANCE_DIR": str(root), "DATA_DIR": str(root / "data"), "TESTING": True,
        "RATELIMIT_ENABLED": False})


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def execute(url, *statements):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, {})
                conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def scalar(url, statement):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(statement)).scalar()
    finally:
        engine.dispose()


def drop_append_only_triggers(url):
    """What someone with the database's password could do (see migration 0006)."""
    if KIND == "postgresql":
        execute(url, "DROP TRIGGER audit_event_no_change ON audit_event")
    else:
        execute(url, "DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete")


def add_events(app, count, label):
    from app.audit.services import record
    from app.extensions import db

    with app.app_context():
        for index in range(count):
            record(db.session, "login_failed", object_type="ab_user", object_id=index,
                   summary=f"{label} {index} — Nguyễn Văn Hùng")
            db.session.commit()
        db.session.remove()


@pytest.fixture
def instance(fresh_url, tmp_path):
    app = make_app(fresh_url, tmp_path)
    result = cli(app, "eoffice", "setup")
    assert result.exit_code == 0, result.output
    add_events(app, 6, "lần")
    return app, fresh_url


def test_verify_passes_then_names_the_changed_and_the_deleted_row(instance):
    app, url = instance
    total = scalar(url, "SELECT count(*) FROM audit_event")
    assert total >= 6
    assert scalar(url, "SELECT count(*) FROM audit_event WHERE row_hash IS NULL") == 0
    result = cli(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"toàn vẹn: {total} dòng" in result.output

    # The database refuses on its own first…
    with pytest.raises(sa.exc.DBAPIError):
        execute(url, "UPDATE audit_event SET summary = 'x'")
    drop_append_only_triggers(url)
    target = scalar(url, "SELECT min(id) FROM audit_event WHERE action = 'login_failed'") + 2
    original = scalar(url, f"SELECT summary FROM audit_event WHERE id = {target}")
    execute(url, f"UPDATE audit_event SET summary = 'Không có gì' WHERE id = {target}")
    result = cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"Dòng #{target} đã bị sửa" in result.output
    assert "KHÔNG toàn vẹn" in result.output

    # Put back exactly as it was: whole again (the hash is over the content, not a flag).
    execute(url, ("UPDATE audit_event SET summary = :s WHERE id = :i",
                  {"s": original, "i": target}))
    assert cli(app, "audit", "verify").exit_code == 0

    execute(url, f"DELETE FROM audit_event WHERE id = {target}")
    result = cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"từ #{target} đến #{target} đã bị xóa" in result.output

    # Deleting the first rows is seen too (the first left still links to a deleted one).
    execute(url, f"DELETE FROM audit_event WHERE id <= {target}")
    first = scalar(url, "SELECT min(id) FROM audit_event")
    result = cli(app, "audit", "verify")
    assert result.exit_code == 1 and f"các dòng trước #{first} đã bị xóa" in result.output


def test_the_chain_holds_when_workers_write_at_once(instance):
    app, url = instance
    before = scalar(url, "SELECT count(*) FROM audit_event")
    barrier = threading.Barrier(6)
    errors = []

    def worker(number):
        try:
            barrier.wait()
            add_events(app, 8, f"luồng {number}")
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert scalar(url, "SELECT count(*) FROM audit_event") == before + 48
    # No two rows chained to the same predecessor.
    assert scalar(url, "SELECT count(*) - count(DISTINCT prev_hash) FROM audit_event "
                       "WHERE prev_hash IS NOT NULL") == 0
    result = cli(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"{before + 48} dòng" in result.output


def test_the_migration_chains_the_rows_already_there(fresh_url, tmp_path):
    app = make_app(fresh_url, tmp_path)
    result = cli(app, "db", "upgrade", "0016_login_sessions")
    assert result.exit_code == 0, result.output
    execute(fresh_url, *[
        "INSERT INTO audit_event (id, at, action, actor_name, summary, changes) VALUES "
        f"({n}, '2026-01-0{n} 08:00:00.123456', 'update', 'vanthu', 'Sửa {n}', "
        """'{"excerpt": ["a", "b"]}')""" for n in (1, 2, 4)])  # 3: a rolled-back id
    result = cli(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    result = cli(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "toàn vẹn: 3 dòng" in result.output
    add_events(app, 2, "sau nâng cấp")
    assert scalar(fresh_url, "SELECT max(id) FROM audit_event") == 6
    result = cli(app, "audit", "verify")
    assert result.exit_code == 0 and "5 dòng" in result.output, result.output
