"""The demo is made in steps, each recorded when it finishes (INSTANCE_DIR/demo-steps.json): a run
that stopped in the middle of a step (a full disk) is refused clearly on the next run instead of
leaving a half demo for good; a finished demo is left alone; a demo made before the record
starts normally. The heavy domain steps are replaced by small fakes (one department each)."""
import json
import shutil

import pytest
import sqlalchemy as sa

from app import create_app
from app import demo as demo_module
from tests.conftest import DEMO_PASSWORD, own_sqlite

pytestmark = own_sqlite


def _fake_exists(name):
    def exists(session):
        from app.org.models import Department

        return bool(session.scalar(sa.select(sa.func.count(Department.id)).where(
            Department.code == f"FAKE-{name}")))
    return exists


def fake_step(name):
    """A small step: one department, committed, as the domain steps commit as they go; nothing
    when it is there (as the domain steps skip what exists)."""
    def run(app):
        from app.extensions import db
        from app.org.models import Department

        if _fake_exists(name)(db.session):
            return
        db.session.add(Department(name=f"Bước mẫu {name}", code=f"FAKE-{name}", sort_order=99))
        db.session.commit()
    return run


@pytest.fixture
def fake_steps(monkeypatch):
    """STEP_CHECKS with the real accounts step and a fake for every domain step; returns
    {name: the fake's function}, to be replaced by a test."""
    steps, fakes = [], {}
    for step in demo_module.STEP_CHECKS:
        if step.name == "accounts":
            steps.append(step)
            continue
        fakes[step.name] = fake_step(step.name)
        steps.append(step._replace(function=f"{__name__}:_run_fake_{step.name}",
                                   exists=_fake_exists(step.name)))
    import sys

    module = sys.modules[__name__]
    for name in fakes:
        monkeypatch.setattr(module, f"_run_fake_{name}",
                            lambda app, name=name: fakes[name](app), raising=False)
    monkeypatch.setattr(demo_module, "STEP_CHECKS", steps)
    return fakes


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """An empty database with the schema, roles and catalogs (`eoffice setup`), copied by each
    test: migrating once is much faster."""
    folder = tmp_path_factory.mktemp("demo-template")
    app = new_app(folder)
    result = app.test_cli_runner().invoke(args=["eoffice", "setup"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return folder / "eoffice.db"


def new_app(folder):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'eoffice.db'}",
        "SECRET_KEY": "demo-resume-secret-key-0123456789abcdef0123456789",
        "INSTANCE_DIR": str(folder), "DATA_DIR": str(folder / "data"),
        "DEMO_PASSWORD": DEMO_PASSWORD, "EXCHANGE_ORGAN_ID": "000.00.04.H30",
        "TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def fresh(migrated, tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    shutil.copy(migrated, folder / "eoffice.db")
    return new_app(folder), folder


def run_demo(app):
    return app.test_cli_runner().invoke(args=["eoffice", "demo"])


def recorded(folder):
    data = json.loads((folder / "demo-steps.json").read_text(encoding="utf-8"))
    (entry,) = data.values()
    return entry["done"]


def counts(app):
    from app.extensions import db
    from app.org.models import Department, EofficeUser

    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count(Department.id))),
                db.session.scalar(sa.select(sa.func.count(EofficeUser.id))))


ALL = [step.name for step in demo_module.STEP_CHECKS]


def test_a_step_cut_off_by_a_full_disk_is_refused_on_the_next_run(fresh, fake_steps):
    app, folder = fresh

    def half_then_disk_full(app):
        from app.extensions import db
        from app.org.models import Department

        db.session.add(Department(name="Nửa bước", code="FAKE-outgoing", sort_order=99))
        db.session.commit()
        raise OSError(28, "No space left on device")

    fake_steps["outgoing"] = half_then_disk_full
    first = run_demo(app)
    assert first.exit_code != 0
    assert "«Văn bản đi mẫu»" in first.output and "hết dung lượng đĩa" in first.output
    assert recorded(folder) == ["accounts", "incoming"]  # the steps before it are recorded

    fake_steps["outgoing"] = fake_step("outgoing")  # the disk has room again
    before = counts(app)
    second = run_demo(app)
    assert second.exit_code != 0
    assert ("Dữ liệu mẫu «Văn bản đi mẫu» dừng giữa chừng ở lần chạy trước (có thể do hết dung "
            "lượng đĩa)") in second.output
    assert str(folder / "eoffice.db") in second.output and "make run" in second.output
    assert "Traceback" not in second.output
    assert counts(app) == before  # nothing more was made on the half demo
    assert recorded(folder) == ["accounts", "incoming"]

    # `make run` stops there too (setup --demo), with the same words.
    setup = app.test_cli_runner().invoke(args=["eoffice", "setup", "--demo"])
    assert setup.exit_code != 0 and "dừng giữa chừng" in setup.output


def test_a_crash_in_the_first_step_is_refused_too(fresh, monkeypatch):
    """The record is written before any data: a run cut off in the accounts is not mistaken
    for a demo made before the record."""
    app, folder = fresh
    real_add_user = app.appbuilder.sm.add_user
    made = []

    def add_user(**kwargs):
        if len(made) == 3:
            raise OSError(28, "No space left on device")
        made.append(kwargs["username"])
        return real_add_user(**kwargs)

    monkeypatch.setattr(app.appbuilder.sm, "add_user", add_user)
    assert run_demo(app).exit_code != 0
    assert recorded(folder) == []
    monkeypatch.undo()
    second = run_demo(app)
    assert second.exit_code != 0
    assert "«Cơ quan, đơn vị và tài khoản mẫu» dừng giữa chừng" in second.output


def test_a_finished_demo_is_recorded_and_left_alone(fresh, fake_steps):
    app, folder = fresh
    first = run_demo(app)
    assert first.exit_code == 0, first.output
    assert recorded(folder) == ALL
    before = counts(app)

    calls = []
    for name in list(fake_steps):
        fake_steps[name] = lambda app, name=name: calls.append(name)
    second = run_demo(app)
    assert second.exit_code == 0, second.output
    assert calls == ["schedules"]  # only the step that follows the date runs again
    assert second.output == ""  # the recorded steps are skipped silently
    assert counts(app) == before and recorded(folder) == ALL


def test_a_step_that_made_nothing_is_tried_again(fresh, fake_steps):
    """The exchange demo without EXCHANGE_ORGAN_ID makes nothing: not recorded, so a later run
    with the ID makes it."""
    app, folder = fresh
    fake_steps["exchange"] = lambda app: None
    assert run_demo(app).exit_code == 0
    assert recorded(folder) == ALL[:-1]
    fake_steps["exchange"] = fake_step("exchange")
    again = run_demo(app)
    assert again.exit_code == 0, again.output
    assert recorded(folder) == ALL


def test_a_demo_made_before_the_record_starts_normally(fresh, fake_steps):
    app, folder = fresh
    assert run_demo(app).exit_code == 0
    (folder / "demo-steps.json").unlink()  # as a database made before this change
    before = counts(app)
    again = run_demo(app)
    assert again.exit_code == 0, again.output
    assert recorded(folder) == ALL and counts(app) == before


def test_a_database_made_anew_gets_the_whole_demo(fresh, fake_steps, migrated):
    """The refusal says: delete the database. The record of the old one must not skip the
    steps of the new one."""
    app, folder = fresh
    assert run_demo(app).exit_code == 0
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    shutil.copy(migrated, folder / "eoffice.db")  # deleted and made again by `make run`
    again = run_demo(app)
    assert again.exit_code == 0, again.output
    assert recorded(folder) == ALL
    assert counts(app)[1] >= 21  # the people were made again


def test_the_full_demo_of_the_suite_is_recorded_and_adopted_without_its_record(app):
    """The session's database has the real demo (conftest: `setup --demo`): every step was
    recorded; without the record (a database made before this change) it starts normally."""
    folder = app.config["INSTANCE_DIR"]
    from pathlib import Path

    path = Path(folder) / "demo-steps.json"
    saved = path.read_bytes()
    entry = demo_module.StepRecord(app).read()
    assert entry == ALL
    try:
        path.unlink()
        with app.app_context():
            from app.extensions import db

            present = {s.name: s.exists(db.session) for s in demo_module.STEP_CHECKS}
            db.session.rollback()
        assert all(present.values()), present
        result = run_demo(app)
        assert result.exit_code == 0, result.output
        assert demo_module.StepRecord(app).read() == ALL
    finally:
        path.write_bytes(saved)
