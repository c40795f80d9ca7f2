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
    """Create the demo agency, its units and people, and one account per role (idempotent)."""
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
