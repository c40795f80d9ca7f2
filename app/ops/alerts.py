"""Telling the administrators (Quản trị mạng) about a fault of the machine: a notice in the
application for each active administrator, in a transaction of its own (the request's has been
rolled back). With the database on the full disk the notice cannot be written either: the
failure is logged, the request is answered all the same (app.core.faults calls this at most
once an hour)."""
import logging

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def administrators(session) -> list[int]:
    from app.org.models import EofficeUser
    from app.security.access import held_roles
    from app.security.roles import ADMIN
    from flask_appbuilder.security.sqla.models import Role

    held = held_roles()  # the role of their own or a group's
    return session.scalars(sa.select(EofficeUser.id).where(
        EofficeUser.active.is_(True), EofficeUser.id.in_(
            sa.select(held.c.user_id).join(Role, Role.id == held.c.role_id)
            .where(Role.name == ADMIN)))).all()


def notify_disk_full(app, error) -> int:
    """One notice per active administrator; returns how many. Raises when the database
    cannot take it (the caller logs and goes on)."""
    from app.extensions import db
    from app.notifications.services import notify

    with app.app_context():
        engine = db.engine
    with Session(engine) as session:
        try:
            count = notify(session, administrators(session), _(
                "Không còn dung lượng lưu trữ: một thao tác vừa bị từ chối vì ổ đĩa (thư mục dữ "
                "liệu hoặc cơ sở dữ liệu) đã đầy. Hãy giải phóng dung lượng hoặc mở rộng ổ "
                "đĩa; xem docs/operations.md."), kind="ops.disk_full")
            session.commit()
        except Exception:
            session.rollback()
            raise
    log.warning("Disk full: %s administrator(s) notified (%s)", count, error)
    return count


def init_alerts(app) -> None:
    from app.core.faults import on_disk_full

    if notify_disk_full not in app.extensions.get("eoffice_disk_full_listeners", []):
        on_disk_full(app, notify_disk_full)
