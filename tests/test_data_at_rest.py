"""Data at rest is the server user's alone, whatever the umask: the SQLite file, the instance
folder and its files (secret key, demo passwords, backups), DATA_DIR and every uploaded file,
and everything a restore writes — files 0600, folders 0700. And `check-deploy` names every
account whose password is still a demo password, not only the six of the README."""
import os
import stat
from pathlib import Path

import pytest

from app import create_app
from app.demo import _write_passwords
from tests.conftest import own_sqlite
from tests.test_backup import cli, register_documents

PASSWORD = "Mat-khau-thu-nghiem-2026"


@pytest.fixture
def open_umask():
    """The worst umask (0): every mode below comes from the code, not from the shell."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def instance_app(root: Path, **settings):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{root / 'eoffice.db'}", "SECRET_KEY": None,
        "INSTANCE_DIR": str(root), "DATA_DIR": str(root / "data"),
        "BACKUP_DIR": str(root / "backups"), "DEMO_PASSWORD": None, "TESTING": True,
        "RATELIMIT_ENABLED": False, **settings})


def modes(root: Path) -> dict[str, str]:
    """{path: mode} of the root and everything under it that is not owner-only."""
    loose = {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            loose[str(path.relative_to(root.parent))] = oct(mode)
    return loose


@own_sqlite
def test_instance_data_backups_and_restored_files_are_owner_only(tmp_path, open_umask):
    source = tmp_path / "source"
    app = instance_app(source)
    assert cli(app, "eoffice", "setup").exit_code == 0
    register_documents(app, 2, "quyền tệp")  # two uploaded PDFs through the service
    with app.app_context():
        _write_passwords(app, [("vanthu", PASSWORD)])
    result = cli(app, "backup", "create")
    assert result.exit_code == 0, result.output

    stored = list((source / "data" / "files").rglob("*.pdf"))
    assert len(stored) == 2
    for name in ("secret_key", "demo-passwords.txt", "eoffice.db"):
        assert (source / name).is_file(), name
    assert list((source / "backups").glob("eoffice-*.tar.gz"))
    assert modes(source) == {}

    target = tmp_path / "target"
    restored_app = instance_app(target)
    result = cli(restored_app, "backup", "restore", str(next((source / "backups").glob(
        "eoffice-*.tar.gz"))))
    assert result.exit_code == 0, result.output
    assert len(list((target / "data" / "files").rglob("*.pdf"))) == 2
    assert modes(target) == {}


@own_sqlite
def test_an_existing_loose_database_file_is_tightened_at_start(tmp_path):
    root = tmp_path / "old"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    database = root / "eoffice.db"
    database.write_bytes(b"")
    os.chmod(database, 0o644)
    instance_app(root)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


@own_sqlite
def test_check_deploy_names_every_account_still_on_a_demo_password(tmp_path):
    root = tmp_path / "deploy"
    app = instance_app(root)
    assert cli(app, "eoffice", "setup").exit_code == 0
    with app.app_context():
        from app.security.roles import OFFICER

        sm = app.appbuilder.sm
        for username, password in (("pgd.thanh", "Mot-mat-khau-mau-rieng-1"),
                                   ("cv.tcbc1", "Mot-mat-khau-mau-rieng-2"),
                                   ("ke.toan", "Mat-khau-chung-cua-demo-9")):
            sm.add_user(username=username, first_name="A", last_name="B",
                        email=f"{username}@example.vn", role=sm.find_role(OFFICER),
                        password=password)
        # The demo wrote the first two (not among the six main accounts) to its file.
        _write_passwords(app, [("pgd.thanh", "Mot-mat-khau-mau-rieng-1"),
                               ("cv.tcbc1", "Mot-mat-khau-mau-rieng-2")])

    result = cli(app, "check-deploy")
    assert result.exit_code == 1
    line = next(li for li in result.output.splitlines() if "mật khẩu mẫu" in li)
    assert "2 tài khoản" in line and "pgd.thanh" in line and "cv.tcbc1" in line
    assert "ke.toan" not in line

    # One changed their password: no longer named.
    with app.app_context():
        sm = app.appbuilder.sm
        sm.reset_password(sm.find_user(username="cv.tcbc1").id, "Mat-khau-moi-da-doi-2026")
    # DEMO_PASSWORD, when set, is checked against every account, demo or not.
    app.config["DEMO_PASSWORD"] = "Mat-khau-chung-cua-demo-9"
    result = cli(app, "check-deploy")
    line = next(li for li in result.output.splitlines() if "mật khẩu mẫu" in li)
    assert "2 tài khoản" in line and "pgd.thanh" in line and "ke.toan" in line
    assert "cv.tcbc1" not in line
