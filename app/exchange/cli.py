"""`flask eoffice exchange …`: the national document exchange platform (app.exchange.platform)
from the command line: sync its agency list, register our agency, poll it now."""
import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("exchange")
def exchange():
    """Liên thông văn bản: trục liên thông văn bản quốc gia và trục tỉnh."""


def _fail(error):
    click.echo(f"Lỗi: {error}", err=True)
    raise SystemExit(1)


@exchange.command("platform-agencies")
@with_appcontext
def platform_agencies_command():
    """Đồng bộ danh sách cơ quan trên trục vào danh mục cơ quan và cơ quan liên thông."""
    from app.core.errors import DomainError
    from app.exchange import platform
    from app.extensions import db

    try:
        counts = platform.sync_agencies(db.session)
    except DomainError as error:
        _fail(error)
    click.echo(f"Trục liên thông: {counts['agencies']} cơ quan; thêm mới {counts['created']}, "
               f"cập nhật {counts['updated']}, bỏ qua {counts['skipped']}; "
               f"thêm {counts['partners']} cơ quan liên thông qua trục.")


@exchange.command("platform-register")
@with_appcontext
def platform_register_command():
    """Đăng ký (hoặc cập nhật) cơ quan mình trên trục liên thông."""
    from app.core.errors import DomainError
    from app.exchange import platform, services

    try:
        platform.register_agency()
        organ = services.our_organ()
    except DomainError as error:
        _fail(error)
    click.echo(f"Đã đăng ký cơ quan {organ.name} ({organ.organ_id}) trên trục liên thông.")


@exchange.command("platform-poll")
@with_appcontext
def platform_poll_command():
    """Nhận ngay các gói tin trục liên thông đang giữ cho cơ quan mình."""
    from app.core.errors import DomainError
    from app.exchange import platform, worker
    from app.extensions import db

    app = current_app._get_current_object()
    with worker.round_lock(app) as mine:
        if not mine:
            click.echo("Một tiến trình khác đang gửi, nhận liên thông; thử lại sau.")
            raise SystemExit(1)
        try:
            counts = platform.poll(db.session, app=app)
        except DomainError as error:
            _fail(error)
    click.echo(f"Trục liên thông: nhận {counts['received']} gói tin, {counts['duplicates']} "
               f"gói đã có, trả lại {counts['refused']}, lỗi {counts['errors']}.")
