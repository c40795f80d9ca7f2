"""The notice worker: outside any request, every NOTICE_INTERVAL seconds, one pass —
the day's deadline scans (once a day; each scan is idempotent), the urgent notices mailed at
once, and after MAIL_DIGEST_HOUR (Vietnam time) one digest a day per person of their open
notices.

One process at a time: like the exchange worker (app.exchange.worker), every gunicorn worker
starts the thread and a non-blocking `flock` on INSTANCE_DIR/notices.lock lets one of them run
a pass. Each mail is claimed in the database before it is sent (a notice's `emailed_at`, a
person's `last_digest_on`, set by a conditional UPDATE) and released if the relay refuses it:
even two machines sharing a PostgreSQL database never send it twice, and a relay that is down
is tried again at the next pass, never at the cost of a request (mail is never sent inside one).

The scans come from the wiring (app.cli.notice_scans): this domain does not import the
documents or the dossiers, they call it."""
import logging
import smtplib
import threading
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, or_, select, update

from app.core.files import may_start_worker, process_lock
from app.core.timefmt import VIETNAM, utcnow
from app.notifications import mail
from app.notifications.models import Notification, NotificationMail
from app.notifications.services import is_open

log = logging.getLogger(__name__)
URGENT_WITHIN = timedelta(days=3)  # an urgent notice not mailed by then is left to the digest
DIGEST_LIMIT = 100  # newest open notices listed in one digest
_started = threading.Event()
_scanned_on = {}  # {id(app): the Vietnam date of this process's last scan}


def pass_lock(app):
    """True when this process holds the lock (else another process is running a pass)."""
    return process_lock(Path(app.config["INSTANCE_DIR"]) / "notices.lock")


def run_once(app, scans=(), *, now=None, scan=None, digest=None) -> dict | None:
    """One pass; None when another process holds the lock. `scans`: functions
    (session, today) → notices added. `scan`: True forces the scans, False skips them, None
    runs them once a day. `digest`: True sends the digests whatever the hour, False never,
    None after MAIL_DIGEST_HOUR. Returns the counts; `mail_error` when the relay failed (the
    rest is tried again at the next pass)."""
    from app.extensions import db

    now = now or datetime.now(VIETNAM)
    today = now.astimezone(VIETNAM).date()
    with pass_lock(app) as mine:
        if not mine:
            return None
        with app.app_context():
            session = db.session
            counts = {"reminders": 0, "urgent": 0, "digests": 0, "mail_error": None}
            if scan or (scan is None and _scanned_on.get(id(app)) != today):
                for function in scans:
                    counts["reminders"] += function(session, today)
                _scanned_on[id(app)] = today
            if not mail.configured(app.config):
                return counts
            due = digest if digest is not None else \
                now.astimezone(VIETNAM).hour >= app.config["MAIL_DIGEST_HOUR"]
            postman = mail.Postman(app.config)
            try:
                counts["urgent"] = send_urgent(session, app.config, postman)
                if due:
                    counts["digests"] = send_digests(session, app.config, postman, today)
            except (smtplib.SMTPException, OSError) as error:
                session.rollback()
                counts["mail_error"] = str(error) or error.__class__.__name__
                log.warning("Notice mail: the relay %s:%s failed, retried at the next pass: "
                            "%s", app.config["MAIL_SERVER"], app.config.get("MAIL_PORT"),
                            counts["mail_error"])
            finally:
                postman.close()
            return counts


def _reachable():
    """People who may receive mail: active, with an address."""
    from app.org.models import EofficeUser

    return and_(EofficeUser.active.is_(True), EofficeUser.email.is_not(None),
                func.trim(EofficeUser.email) != "")


def send_urgent(session, config, postman) -> int:
    """Each urgent notice not yet mailed, read or done, of the last days, to a person who did
    not opt out."""
    from app.org.models import EofficeUser

    rows = session.execute(
        select(Notification.id, Notification.user_id)
        .join(EofficeUser, EofficeUser.id == Notification.user_id)
        .outerjoin(NotificationMail, NotificationMail.user_id == Notification.user_id)
        .where(Notification.urgent.is_(True), Notification.emailed_at.is_(None),
               Notification.read_at.is_(None), Notification.done_at.is_(None),
               Notification.created_at >= utcnow() - URGENT_WITHIN, _reachable(),
               func.coalesce(NotificationMail.urgent, True).is_(True))
        .order_by(Notification.id)).all()
    sent = 0
    for notice_id, user_id in rows:
        if not _claim(session, Notification, Notification.id == notice_id,
                      Notification.emailed_at.is_(None), emailed_at=utcnow()):
            continue
        notice, person = session.get(Notification, notice_id), session.get(EofficeUser, user_id)
        try:
            postman.send(mail.urgent(config, person, notice))
        except Exception:
            _release(session, Notification, Notification.id == notice_id, emailed_at=None)
            raise
        sent += 1
    return sent


def send_digests(session, config, postman, today) -> int:
    """One digest today for each person with open notices who did not opt out."""
    from app.org.models import EofficeUser

    people = session.scalars(
        select(Notification.user_id).distinct()
        .join(EofficeUser, EofficeUser.id == Notification.user_id)
        .outerjoin(NotificationMail, NotificationMail.user_id == Notification.user_id)
        .where(is_open(), _reachable(), func.coalesce(NotificationMail.digest, True).is_(True),
               or_(NotificationMail.last_digest_on.is_(None),
                   NotificationMail.last_digest_on < today))
        .order_by(Notification.user_id)).all()
    sent = 0
    for user_id in people:
        settings = session.get(NotificationMail, user_id)
        if settings is None:
            session.add(NotificationMail(user_id=user_id))
            session.commit()
        before = session.get(NotificationMail, user_id).last_digest_on
        mine = NotificationMail.user_id == user_id
        if not _claim(session, NotificationMail, mine, or_(
                NotificationMail.last_digest_on.is_(None),
                NotificationMail.last_digest_on < today), last_digest_on=today):
            continue
        notices = session.scalars(select(Notification).where(
            Notification.user_id == user_id, is_open()).order_by(Notification.id.desc())
            .limit(DIGEST_LIMIT)).all()
        if not notices:  # done meanwhile
            _release(session, NotificationMail, mine, last_digest_on=before)
            continue
        try:
            postman.send(mail.digest(config, session.get(EofficeUser, user_id), notices,
                                     today))
        except Exception:
            _release(session, NotificationMail, mine, last_digest_on=before)
            raise
        session.execute(update(Notification).where(
            Notification.id.in_([n.id for n in notices]), Notification.emailed_at.is_(None))
            .values(emailed_at=utcnow()).execution_options(synchronize_session=False))
        session.commit()
        sent += 1
    return sent


def _claim(session, model, *conditions, **values) -> bool:
    claimed = session.execute(update(model).where(*conditions).values(**values)
                              .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return claimed == 1


def _release(session, model, condition, **values) -> None:
    session.rollback()
    session.execute(update(model).where(condition).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()


def start(app, scans) -> threading.Thread | None:
    """Start the worker thread of a serving process: not when disabled, not in tests, not in
    a CLI command (as app.ops.backup.start_scheduler). A wrong mail setting fails at start."""
    if not may_start_worker(app, "NOTICE_WORKER_ENABLED", _started):
        return None
    with app.app_context():
        mail.check_settings(app.config)
    thread = threading.Thread(target=_loop, args=(app, scans), name="eoffice-notices",
                              daemon=True)
    thread.start()
    return thread


def _loop(app, scans, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    interval = int(app.config.get("NOTICE_INTERVAL", 60))
    stop.wait(min(interval, 30))
    while not stop.is_set():
        try:
            run_once(app, scans)
        except Exception:
            log.exception("Notice worker")
        stop.wait(interval)
