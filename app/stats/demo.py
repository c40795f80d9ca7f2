"""Demo logins for the usage figures (Art. 5.2: everybody logs in every day): the last
LOGIN_DAYS working days of the demo people, in the audit trail as real logins are, with a few
people who skip days and two who have not logged in for weeks. Deterministic and idempotent
(nothing is added once the trail has a login older than today)."""
import random
from datetime import datetime, time, timedelta

import click
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.core.timefmt import local_to_utc, today_local
from app.extensions import db
from app.org.models import EofficeUser

SEED = 2026
LOGIN_DAYS = 30
# username → how likely they log in on a working day (everybody else: 0.9)
HABITS = {"cv.thanhtra": 0.5, "tdkt": 0.6, "cv.xdcq": 0.7, "vanthu2": 0.0, "pgd.thanh": 0.0}
IDLE_SINCE = 21  # the two who stopped logging in did so this many days ago


def create_usage_demo(app) -> int:
    session = db.session
    today = today_local()
    start = local_to_utc(datetime.combine(today, time.min))
    if session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "login", AuditEvent.at < start)):
        click.echo("Lượt đăng nhập mẫu: đã có dữ liệu, bỏ qua.")
        return 0
    rng = random.Random(SEED)
    people = list(session.scalars(select(EofficeUser).where(EofficeUser.active.is_(True))
                                  .order_by(EofficeUser.id)))
    count = 0
    for back in range(LOGIN_DAYS, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for person in people:
            chance = HABITS.get(person.username, 0.9)
            if chance == 0.0 and back > IDLE_SINCE:
                chance = 0.9  # they logged in as usual until they stopped
            if rng.random() >= chance:
                continue
            moment = local_to_utc(datetime.combine(day, time(7, 30)) + timedelta(
                minutes=rng.randint(0, 90)))
            session.add(AuditEvent(at=moment, actor_id=person.id, actor_name=person.username,
                                   ip="127.0.0.1", action="login", object_type="ab_user",
                                   object_id=str(person.id), summary=person.username))
            if person.last_login is None or person.last_login < moment:
                person.last_login = moment
            count += 1
    session.commit()
    click.echo(f"Lượt đăng nhập mẫu: {count} lượt trong {LOGIN_DAYS} ngày qua.")
    return count
