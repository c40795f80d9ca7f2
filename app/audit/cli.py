"""`flask audit verify`: is the audit trail whole? Walks the hash chain (app.audit.services)
and names the first row that is missing, changed or unlinked; exit status 1 then."""
import click
from flask.cli import with_appcontext


@click.group("audit")
def audit():
    """Nhật ký hệ thống: kiểm tra tính toàn vẹn."""


@audit.command("verify")
@click.pass_context
@with_appcontext
def verify_command(ctx):
    """Kiểm tra chuỗi mã băm của nhật ký hệ thống: báo dòng đầu tiên bị xóa hoặc bị sửa."""
    from app.audit.services import verify_chain
    from app.extensions import db

    with db.engine.connect() as connection:
        report = verify_chain(connection)
    if not report.ok:
        click.echo(f"Nhật ký hệ thống KHÔNG toàn vẹn: {report.problem}", err=True)
        click.echo(f"({report.rows} dòng trước đó hợp lệ.)", err=True)
        ctx.exit(1)
    click.echo(f"Nhật ký hệ thống toàn vẹn: {report.rows} dòng.")
    if report.last_hash:
        click.echo(f"Dòng cuối #{report.last_id}, mã băm {report.last_hash} (ghi lại ở nơi "
                   "khác để đối chiếu về sau).")
