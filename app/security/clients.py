"""Who the client is: the real address behind the documented reverse proxy, and the per-IP
login limit shared by every worker.

- TRUSTED_PROXIES = n (default 0): the application is reached through n reverse proxies of
  our own (docs/deploy.md: nginx, 1). Their X-Forwarded-For/-Proto/-Host are believed, and only
  theirs: the client address seen by the login limit and written in the audit trail is the
  real one, and a client cannot forge it (with 0, the header is ignored).
- RATELIMIT_STORAGE_URI: where the login limit counts. Unset, the limit is kept in Redis
  (REDIS_URL, default redis://127.0.0.1:6379/0) when it answers at start, so that every
  gunicorn worker counts the same attempts; otherwise in each process's memory (a worker then
  allows the limit on its own), which `flask check-deploy` reports."""
import hashlib
import logging
import socket
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)


def init_client_address(app) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies, x_port=proxies)


def choose_rate_limit_storage(config: dict) -> None:
    """Before the security manager creates its limiter: Redis when it answers, else memory.
    The keys carry a prefix of this installation (secret key and database), so that two
    installations, or two test databases, sharing one Redis never count each other's
    attempts."""
    if not config.get("RATELIMIT_STORAGE_URI"):
        url = config.get("REDIS_URL") or ""
        if url and config.get("RATELIMIT_ENABLED", True) and _answers(url):
            config["RATELIMIT_STORAGE_URI"] = url
        else:
            if url and config.get("RATELIMIT_ENABLED", True):
                log.warning("Redis (%s) không trả lời: giới hạn đăng nhập theo địa chỉ được "
                            "đếm riêng trong từng tiến trình.", url)
            config["RATELIMIT_STORAGE_URI"] = "memory://"
    if not config.get("RATELIMIT_KEY_PREFIX"):
        installation = f"{config.get('SECRET_KEY')}|{config.get('SQLALCHEMY_DATABASE_URI')}"
        config["RATELIMIT_KEY_PREFIX"] = "eoffice-login-" + hashlib.sha256(
            installation.encode()).hexdigest()[:12]


def _answers(url: str) -> bool:
    """A Redis server listens at the URL (a quick PING, 0.3 s at most)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return True  # another storage (memcached://…): trust the configuration
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379),
                                      timeout=0.3) as conn:
            conn.settimeout(0.3)
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False
