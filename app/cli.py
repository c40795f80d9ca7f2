"""`flask eoffice …`: the commands that prepare and maintain an instance."""
import click
from flask import current_app
from flask.cli import with_appcontext


@click.group()
def eoffice():
    """Văn phòng điện tử: quản trị từ dòng lệnh."""


@eoffice.command("sync-roles")
@with_appcontext
def sync_roles_command():
    """Create the permissions of every view and set the six roles to their declaration."""
    from app.security.roles import sync_roles

    sync_roles(current_app.appbuilder)
    click.echo("Đã đồng bộ vai trò và quyền.")


@eoffice.command("seed")
@with_appcontext
def seed_command():
    """Fill the catalogs with the values of Decree 30/2020 (idempotent)."""
    from app.catalogs.seed import seed_catalogs
    from app.extensions import db

    counts = seed_catalogs(db.session)
    db.session.commit()
    click.echo("Danh mục: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))


@eoffice.command("demo")
@with_appcontext
def demo_command():
    """Create the demo agency, its people and documents, step by step: the finished steps are
    recorded (INSTANCE_DIR/demo-steps.json) and skipped; a step cut off earlier is refused."""
    from app.demo import create_demo

    create_demo(current_app)


@eoffice.command("setup")
@click.option("--demo/--no-demo", default=False, help="Thêm dữ liệu mẫu.")
@click.pass_context
@with_appcontext
def setup_command(ctx, demo):
    """Everything an instance needs before it serves: schema, roles, catalogs (and demo)."""
    from flask_migrate import upgrade

    upgrade()
    ctx.invoke(sync_roles_command)
    ctx.invoke(seed_command)
    if demo:
        ctx.invoke(demo_command)


def notice_scans():
    """The daily deadline scans of the notice worker (app.notifications.worker): the wiring
    knows the domains, the notifications do not."""
    from app.documents.reminders import remind_incoming
    from app.dossiers.reminders import remind_dossiers

    return (remind_incoming, remind_dossiers)


def start_notice_worker(app):
    from app.notifications.worker import start

    return start(app, notice_scans())


@eoffice.command("notices")
@click.option("--digest/--no-digest", default=None,
              help="Gửi ngay (hoặc không gửi) thư tổng hợp hằng ngày; mặc định: sau giờ "
                   "MAIL_DIGEST_HOUR.")
@with_appcontext
def notices_command(digest):
    """Nhắc hạn xử lý (sắp đến hạn, quá hạn) và gửi email thông báo ngay bây giờ."""
    from app.notifications.worker import run_once

    counts = run_once(current_app, notice_scans(), scan=True, digest=digest)
    if counts is None:
        click.echo("Một tiến trình khác đang gửi thông báo; thử lại sau.")
        raise SystemExit(1)
    click.echo(f"Nhắc hạn: {counts['reminders']} thông báo mới; email khẩn: {counts['urgent']};"
               f" thư tổng hợp: {counts['digests']}.")
    if counts["mail_error"]:
        click.echo(f"Không gửi được email (sẽ thử lại): {counts['mail_error']}")
        raise SystemExit(1)


@eoffice.command("ocr")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="Số tệp đọc tối đa trong lần chạy này.")
@click.option("--file", "file_ids", multiple=True, type=click.IntRange(1, 2**31 - 1),
              help="Chỉ đọc tệp có mã này (có thể lặp lại).")
@with_appcontext
def ocr_command(limit, file_ids):
    """Nhận dạng chữ (OCR) các bản quét văn bản đến đang chờ, ngay bây giờ."""
    from app.documents.ocr_jobs import run_ocr_once

    counts = run_ocr_once(current_app, limit=limit, file_ids=file_ids or None)
    if counts is None:
        click.echo("Một tiến trình khác đang nhận dạng chữ; thử lại sau.")
        raise SystemExit(1)
    if counts["off_reason"]:
        click.echo(f"Nhận dạng chữ (OCR) chưa bật: {counts['off_reason']}")
        raise SystemExit(1)
    click.echo(f"Đã nhận dạng: {counts['done']} tệp; không nhận dạng được: {counts['failed']}"
               f" tệp{'; còn tệp đang chờ' if counts['left'] else ''}.")


# Secret keys that must never reach production (docs, examples, tests).
KNOWN_WEAK_KEYS = {"", "x", "secret", "changeme", "dev",
                   "test-secret-key-0123456789abcdef0123456789"}


def deployment_problems(app) -> list[str]:
    """Unsafe settings for production (the spirit of Django's `check --deploy`)."""
    from sqlalchemy import func, select

    from app.demo import DEMO_ACCOUNTS
    from app.extensions import db
    from app.org.models import EofficeUser

    config = app.config
    problems = []
    if app.debug or config.get("DEBUG"):
        problems.append("DEBUG đang bật.")
    key = config.get("SECRET_KEY") or ""
    if key in KNOWN_WEAK_KEYS or len(key) < 32:
        problems.append("SECRET_KEY yếu hoặc là giá trị mặc định (cần ít nhất 32 ký tự ngẫu "
                        "nhiên).")
    if config.get("BEHIND_HTTPS") and not config.get("SESSION_COOKIE_SECURE"):
        problems.append("Chạy sau HTTPS nhưng cookie phiên chưa đặt Secure "
                        "(SESSION_COOKIE_SECURE=1).")
    workers = int(config.get("WORKERS", 1) or 1)
    storage = config.get("RATELIMIT_STORAGE_URI", "memory://")
    if workers > 1 and storage.startswith("memory"):
        problems.append("Giới hạn đăng nhập lưu trong bộ nhớ trong khi chạy nhiều tiến trình: "
                        "chạy Redis (REDIS_URL) hoặc đặt RATELIMIT_STORAGE_URI=redis://…")
    if not config.get("RATELIMIT_ENABLED"):
        problems.append("Giới hạn số lần đăng nhập theo địa chỉ đang tắt (RATELIMIT_ENABLED).")
    if not config.get("WTF_CSRF_ENABLED", True):
        problems.append("Chống giả mạo biểu mẫu (CSRF) đang tắt.")
    if config.get("SQLALCHEMY_DATABASE_URI", "").startswith("sqlite") and \
            config.get("APP_SERVERS", 1) > 1:
        problems.append("SQLite chỉ dùng cho một máy chủ ứng dụng: dùng PostgreSQL.")
    # The administrator holds the keys to everything (roles, password and 2FA resets,
    # restores): a stolen password alone must not be enough (ASVS 2.2.3, L2).
    from app.security.roles import ADMIN

    required = {name.strip() for name in (config.get("TOTP_REQUIRED_ROLES") or "").split(",")}
    if ADMIN not in required:
        problems.append(f"Chưa bắt buộc xác thực hai bước cho vai trò {ADMIN} "
                        f"(TOTP_REQUIRED_ROLES).")
    if "BACKUP_SCHEDULE_ENABLED" in config and not config["BACKUP_SCHEDULE_ENABLED"]:
        problems.append("Chưa bật sao lưu định kỳ hằng tuần (BACKUP_SCHEDULE_ENABLED).")
    if config.get("MAIL_SERVER") and not config.get("PUBLIC_URL"):
        problems.append("Đã cấu hình gửi email (MAIL_SERVER) nhưng chưa đặt PUBLIC_URL: liên "
                        "kết trong thư sẽ thiếu địa chỉ trang.")
    with app.app_context():
        demo = db.session.scalar(select(func.count(EofficeUser.id)).where(
            EofficeUser.username.in_(DEMO_ACCOUNTS), EofficeUser.active.is_(True)))
    if demo:
        problems.append(f"Còn {demo} tài khoản mẫu đang hoạt động ({', '.join(DEMO_ACCOUNTS)}).")
    with app.app_context():
        still_demo = accounts_with_demo_password(app)
    if still_demo:
        problems.append(f"{len(still_demo)} tài khoản vẫn dùng mật khẩu mẫu (DEMO_PASSWORD hoặc "
                        f"instance/demo-passwords.txt): {', '.join(still_demo)}. Đổi mật khẩu "
                        "hoặc khóa các tài khoản này.")
    return problems


def demo_passwords(app) -> dict[str, set[str]]:
    """{user name: passwords given by the demo}; "*" holds DEMO_PASSWORD, which every account
    made while it was set received."""
    from pathlib import Path

    known: dict[str, set[str]] = {}
    if app.config.get("DEMO_PASSWORD"):
        known.setdefault("*", set()).add(app.config["DEMO_PASSWORD"])
    path = Path(app.config["INSTANCE_DIR"]) / "demo-passwords.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        username, tab, password = line.partition("\t")
        if tab and username.strip() and password:
            known.setdefault(username.strip(), set()).add(password)
    return known


def accounts_with_demo_password(app) -> list[str]:
    """Every account (not only the six of the README) whose password hash still matches a
    demo password. Slow by design (one scrypt per account and password): a deployment check."""
    from sqlalchemy import select
    from werkzeug.security import check_password_hash

    from app.extensions import db
    from app.org.models import EofficeUser

    known = demo_passwords(app)
    if not known:
        return []
    everyone = known.get("*", set())
    found = []
    for username, hashed in db.session.execute(select(
            EofficeUser.username, EofficeUser.password).order_by(EofficeUser.username)):
        candidates = everyone | known.get(username, set())
        if hashed and any(check_password_hash(hashed, p) for p in candidates):
            found.append(username)
    return found


@click.command("check-deploy")
@with_appcontext
def check_deploy_command():
    """Liệt kê các cấu hình không an toàn khi triển khai thật; mã thoát khác 0 nếu có."""
    problems = deployment_problems(current_app)
    for problem in problems:
        click.echo(f"- {problem}")
    if problems:
        raise SystemExit(1)
    click.echo("Không phát hiện cấu hình không an toàn.")
