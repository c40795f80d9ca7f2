"""`flask backup …`: create, list, verify and restore backups (Regulation Art. 10.2).

Messages are Vietnamese; a failure exits with status 1 and says what is wrong. `create`
prints the archive's path alone on standard output (scripts can use it), details on stderr.
"""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.core.timefmt import format_datetime
from app.ops import backup as ops


UNENCRYPTED_WARNING = ("Cảnh báo: bản sao lưu KHÔNG được mã hóa (chưa đặt "
                       "BACKUP_ENCRYPTION_KEY): ai đọc được tệp sẽ thấy mọi văn bản, mã băm mật "
                       "khẩu và khóa xác thực hai bước.")


def _fail(ctx: click.Context, message: str):
    click.echo(message, err=True)
    ctx.exit(1)


@click.group("backup")
def backup():
    """Sao lưu và khôi phục dữ liệu (cơ sở dữ liệu và các tệp đã lưu)."""


@backup.command("create")
@click.pass_context
@with_appcontext
def create_command(ctx):
    """Tạo một bản sao lưu trong BACKUP_DIR, kiểm tra nó, giữ BACKUP_KEEP bản mới nhất."""
    try:
        record = ops.run_backup(current_app, "cli")
    except ops.BackupError as error:
        _fail(ctx, str(error))
    if record["result"] != "ok":
        _fail(ctx, "Sao lưu thất bại: " + (record["error"] or ""))
    click.echo(record["path"])
    click.echo(f"Đã sao lưu và kiểm tra: {ops.human_size(record['size'])}.", err=True)
    if not current_app.config.get("BACKUP_ENCRYPTION_KEY"):
        click.echo(UNENCRYPTED_WARNING, err=True)
    if record["pruned"]:
        click.echo("Đã xóa bản cũ: " + ", ".join(record["pruned"]), err=True)


@backup.command("list")
@with_appcontext
def list_command():
    """Các bản sao lưu, mới nhất trước: tên, dung lượng, thời điểm, đã kiểm tra hay chưa."""
    directory = ops.backup_dir(current_app.config)
    archives = ops.list_backups(directory)
    if not archives:
        click.echo(f"Chưa có bản sao lưu nào trong {directory}.")
        return
    for archive in archives:
        state = {True: "✔ đã kiểm tra", False: "✘ kiểm tra lỗi",
                 None: "chưa kiểm tra"}[archive.verified]
        click.echo(f"{archive.name:36} {ops.human_size(archive.size):>10}  "
                   f"{format_datetime(archive.created_at)}  {state}")


@backup.command("verify")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@with_appcontext
def verify_command(ctx, path):
    """Kiểm tra một bản sao lưu: mã sha256 từng thành phần, manifest đầy đủ, bản sao cơ sở
    dữ liệu mở được."""
    try:
        key = ops.encryption_key(current_app.config)
    except ops.BackupError as error:
        _fail(ctx, str(error))
    verification = ops.verify_backup(path, key=key)
    ops.record_verification(ops.backup_dir(current_app.config), verification)
    if not verification.ok:
        _fail(ctx, f"Bản sao lưu KHÔNG hợp lệ: {path}\n"
              + "\n".join(f"  - {problem}" for problem in verification.problems))
    manifest = verification.manifest
    created = ops.parse_iso(manifest.get("created_at"))
    encrypted = "mã hóa AES-256-GCM" if ops.is_encrypted(path) else "không mã hóa"
    click.echo(f"Bản sao lưu hợp lệ ({encrypted}): {path}\n"
               f"  tạo lúc {format_datetime(created)}, cơ sở dữ liệu "
               f"{manifest['database']['kind']}, {manifest.get('files', 0)} tệp, "
               f"phiên bản lược đồ {manifest.get('alembic_revision') or '?'}")


@backup.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Ghi đè cả khi cơ sở dữ liệu hoặc thư mục dữ liệu đích không trống.")
@click.pass_context
@with_appcontext
def restore_command(ctx, path, force):
    """Khôi phục cơ sở dữ liệu và các tệp từ một bản sao lưu (sau khi kiểm tra) vào hệ thống
    đang cấu hình, vốn phải trống. Dừng ứng dụng trước khi khôi phục."""
    click.echo(f"Đang kiểm tra {path}…", err=True)
    try:
        restored = ops.restore_backup(current_app, path, force=force)
    except ops.BackupError as error:
        _fail(ctx, str(error))
    created = ops.parse_iso(restored.created_at)
    click.echo(f"Đã khôi phục bản sao lưu lúc {format_datetime(created)}: cơ sở dữ liệu "
               f"{restored.kind}, {restored.files} tệp.")
    if restored.kept_files:
        click.echo(f"Giữ nguyên {restored.kept_files} tệp đã có trong thư mục dữ liệu mà bản "
                   "sao lưu không có.")
    head = ops.head_revision(current_app)
    if head and restored.revision and head != restored.revision:
        click.echo(f"Lược đồ của bản sao lưu ({restored.revision}) khác phiên bản mã nguồn "
                   f"({head}): chạy `flask --app run.py eoffice setup` để nâng cấp.")


@click.group("files")
def files():
    """Kiểm tra các tệp đã lưu (DATA_DIR) đối chiếu với cơ sở dữ liệu."""


@files.command("check")
@click.option("--fix", is_flag=True,
              help="Chuyển các tệp thừa cũ hơn 1 giờ vào khu cách ly (không bao giờ xóa).")
@click.pass_context
@with_appcontext
def files_check_command(ctx, fix):
    """Liệt kê tệp trong DATA_DIR không thuộc bản ghi nào, bản ghi thiếu tệp và tệp sai mã
    kiểm tra sha256; trả mã lỗi 1 khi có phát hiện. --fix: chuyển tệp thừa cũ hơn 1 giờ vào
    FILES_QUARANTINE_DIR (mặc định: thư mục quarantine cạnh DATA_DIR)."""
    from app.extensions import db
    from app.ops import files_check

    report = files_check.run_check(db.session, current_app.config, fix=fix)
    data_dir = Path(current_app.config["DATA_DIR"]).resolve()
    for finding in report.findings:
        click.echo(files_check.describe(finding, data_dir))
    click.echo(files_check.summary(report))
    if not report.ok:
        ctx.exit(1)
