"""The exchange worker: outside any request, every EXCHANGE_INTERVAL seconds, it queues what
must be sent (new issued documents, recalls, statuses), processes what was received, and
sends the outbox with retries and back-off: to each partner over HTTP (point to point) or,
for partners whose channel is "platform", through the national document exchange platform
(app.exchange.platform), which the round also polls for what it holds for us (when
EXCHANGE_PLATFORM_URL is set).

Never twice: like the weekly backup (app.ops.backup), every gunicorn worker starts the thread
and a non-blocking `flock` on INSTANCE_DIR/exchange.lock lets one of them run a round; within a
round each message is claimed by a conditional UPDATE (pending → sending, with a lease) before
it is sent, so even two machines sharing a PostgreSQL database never send one message twice.
A partner that receives a package twice anyway (a lost answer) stores it once."""
import json
import logging
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

from sqlalchemy import or_, select, update

from app.core.files import process_lock, start_worker
from app.core.timefmt import utcnow
from app.exchange import platform, services
from app.exchange.models import PENDING, PLATFORM, SENDING, ExchangeOutbox

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # a message claimed by a crashed worker is retried after this
TIMEOUT = 30  # seconds for one HTTP exchange with a partner
_started = threading.Event()


def round_lock(app):
    """True when this process holds the round lock (else another process is running one)."""
    return process_lock(Path(app.config["INSTANCE_DIR"]) / "exchange.lock")


def run_once(app, post=None) -> dict | None:
    """One round; None when another process holds the lock. `post(url, token, payload)` →
    (status code, body) is the transport (HTTP by default; tests may pass their own)."""
    from app.extensions import db

    with round_lock(app) as mine:
        if not mine:
            return None
        with app.app_context():
            session = db.session
            counts = {}
            if platform.configured(app):  # one process: under the round lock
                counts["platform"] = _poll_platform(session, app)
            counts.update({"received": services.process_received(session),
                      "queued": services.enqueue_issued(session),
                      "recalls": services.enqueue_recalls(session),
                      "statuses": services.sync_statuses(session)})
            counts["sent"] = send_due(session, post or http_post)
            return counts


def _poll_platform(session, app) -> dict:
    """What the platform holds for us; an outage of the platform never stops the round."""
    try:
        return platform.poll(session, app=app)
    except Exception as error:  # the platform down, or misconfigured: next round
        session.rollback()
        log.warning("Exchange platform poll: %s", error)
        return {"error": str(error)}


def claim(session, row_id) -> bool:
    now = utcnow()
    claimed = session.execute(
        update(ExchangeOutbox)
        .where(ExchangeOutbox.id == row_id, or_(
            ExchangeOutbox.state == PENDING,
            (ExchangeOutbox.state == SENDING) & (ExchangeOutbox.claimed_until < now)))
        .values(state=SENDING, claimed_until=now + LEASE)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return claimed == 1


def send_due(session, post) -> int:
    now = utcnow()
    ids = list(session.scalars(select(ExchangeOutbox.id).where(or_(
        (ExchangeOutbox.state == PENDING) & (ExchangeOutbox.next_attempt_at <= now),
        (ExchangeOutbox.state == SENDING) & (ExchangeOutbox.claimed_until < now)))
        .order_by(ExchangeOutbox.id)))
    sent = 0
    for row_id in ids:
        if not claim(session, row_id):
            continue
        row = session.get(ExchangeOutbox, row_id)
        session.refresh(row)
        partner = row.partner
        if partner.channel == PLATFORM:  # through the national / provincial platform
            ok, error, retry = platform.send(session, row)
            if ok:
                services.mark_sent(session, row)
                sent += 1
            else:
                services.mark_sent(session, row, error=error, retry=retry)
            continue
        try:
            code, body = post(partner.endpoint_url, partner.outbound_token or "", row.payload)
        except Exception as error:  # network down, partner off: try again later
            services.mark_sent(session, row, error=error)
            continue
        if 200 <= code < 300 or code == 409:  # 409: they had it already
            services.mark_sent(session, row)
            sent += 1
        else:
            # Refused (4xx other than auth/limits) will not pass by retrying; the rest may.
            permanent = 400 <= code < 500 and code not in (401, 403, 408, 429)
            services.mark_sent(session, row, error=f"HTTP {code}: {_reason(body)}",
                               retry=not permanent)
    return sent


def _reason(body: bytes) -> str:
    try:
        answer = json.loads(body)
        problems = answer.get("problems") or []
        return "; ".join([str(answer.get("message", "")), *problems]).strip("; ")
    except (ValueError, AttributeError):
        return body[:500].decode("utf-8", errors="replace")


def http_post(url: str, token: str, payload: str):
    request = urllib.request.Request(
        url, data=payload.encode("utf-8"), method="POST",
        headers={"Content-Type": "application/xml; charset=utf-8",
                 "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def start(app) -> threading.Thread | None:
    """Start the worker thread of a serving process: not when disabled, not in tests, not in
    a CLI command (as app.ops.backup.start_scheduler)."""
    return start_worker(app, "EXCHANGE_WORKER_ENABLED", _started, _loop, "eoffice-exchange")


def _loop(app, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    interval = int(app.config.get("EXCHANGE_INTERVAL", 60))
    stop.wait(min(interval, 30))
    while not stop.is_set():
        try:
            run_once(app)
        except Exception:
            log.exception("Exchange worker")
        stop.wait(interval)
