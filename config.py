"""Configuration, read from the environment with documented defaults (see README).

`create_app(config)` layers a dict of overrides (tests) on top of this.
"""
import os
import secrets
from pathlib import Path

from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def _secret_key(instance_dir=INSTANCE_PATH) -> str:
    """SECRET_KEY from the environment, else generated once and kept in the instance folder
    (the folder 0700, the file 0600, whatever the umask)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    instance_dir = Path(instance_dir)
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        if not instance_dir.exists():
            instance_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(instance_dir, 0o700)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker wrote it meanwhile
            return key_file.read_text().strip()
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _database_url(instance_dir=INSTANCE_PATH) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(instance_dir) / 'eoffice.db'}"
    # Heroku-style URLs and the plain driver name both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    APP_NAME = "Văn phòng điện tử"
    INSTANCE_DIR = str(INSTANCE_PATH)
    SECRET_KEY = None  # filled lazily in create_app, so importing config writes nothing
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    DATA_DIR = os.environ.get("DATA_DIR", str(INSTANCE_PATH / "data"))
    # Where `flask files check --fix` moves stored files no row references (never deleted);
    # empty: a folder "quarantine" beside DATA_DIR (app/ops/files_check.py).
    FILES_QUARANTINE_DIR = os.environ.get("FILES_QUARANTINE_DIR", "")
    # The templates' compiled code (app.init_template_cache); empty: INSTANCE_DIR/template-cache.
    TEMPLATE_CACHE_DIR = os.environ.get("TEMPLATE_CACHE_DIR", "")
    # The garbage collector's thresholds in a server process (app.core.server.settle), as
    # "gen0,gen1,gen2"; empty: Python's (700,10,10).
    GC_THRESHOLD = tuple(int(part) for part in
                         os.environ.get("GC_THRESHOLD", "20000,10,10").split(",") if part.strip())
    PORT = int(os.environ.get("PORT", "8080"))
    WORKERS = int(os.environ.get("WORKERS", "2"))  # gunicorn workers (check-deploy reads it)
    BEHIND_HTTPS = os.environ.get("BEHIND_HTTPS", "0") == "1"
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD")
    MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_MB", "30")) * 1024 * 1024  # per file
    MAX_CONTENT_LENGTH = 4 * MAX_UPLOAD_BYTES  # a whole request, several files
    # Largest image accepted or rendered, in pixels (width × height of each frame), checked
    # from the header before decoding: decompression bombs are refused (Pillow's own: 179 M).
    MAX_IMAGE_PIXELS = int(os.environ.get("MAX_IMAGE_PIXELS", "40000000"))
    PDF_FONT_PATH = os.environ.get(
        "PDF_FONT_PATH", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    )
    TIMEZONE = "Asia/Ho_Chi_Minh"
    AGENCY_NAME = os.environ.get("AGENCY_NAME", "Sở Nội vụ tỉnh Hà Nam")
    ISSUE_PLACE = os.environ.get("ISSUE_PLACE", "Hà Nam")  # "Hà Nam, ngày … tháng … năm …"
    AGENCY_CODE = os.environ.get("AGENCY_CODE", "CQ")  # symbols' abbreviation, without units
    APP_SERVERS = int(os.environ.get("APP_SERVERS", "1"))  # application servers (check-deploy)
    # Liên thông văn bản (app/exchange): our electronic ID (000.00.00.H30) and the worker.
    EXCHANGE_ORGAN_ID = os.environ.get("EXCHANGE_ORGAN_ID", "")
    # Our address, email and phone as packages state them (edXML From).
    EXCHANGE_ORGAN_ADDRESS = os.environ.get("EXCHANGE_ORGAN_ADDRESS", "")
    EXCHANGE_ORGAN_EMAIL = os.environ.get("EXCHANGE_ORGAN_EMAIL", "")
    EXCHANGE_ORGAN_PHONE = os.environ.get("EXCHANGE_ORGAN_PHONE", "")
    # Largest package accepted (default: a request's limit) and sending attempts before a
    # package is marked failed.
    EXCHANGE_MAX_BYTES = int(os.environ.get("EXCHANGE_MAX_BYTES", str(MAX_CONTENT_LENGTH)))
    EXCHANGE_MAX_ATTEMPTS = int(os.environ.get("EXCHANGE_MAX_ATTEMPTS", "8"))
    # XML-DSig (app/exchange/xmldsig.py): our signing key, PEM key + certificate or PKCS#12
    # (empty: packages go out unsigned), and the PEM bundle of trusted CAs (root and
    # intermediate) a partner's signature must chain to to be "valid".
    EXCHANGE_SIGNING_KEY_FILE = os.environ.get("EXCHANGE_SIGNING_KEY_FILE", "")
    EXCHANGE_SIGNING_CERT_FILE = os.environ.get("EXCHANGE_SIGNING_CERT_FILE", "")
    EXCHANGE_SIGNING_P12_FILE = os.environ.get("EXCHANGE_SIGNING_P12_FILE", "")
    EXCHANGE_SIGNING_P12_PASSWORD = os.environ.get("EXCHANGE_SIGNING_P12_PASSWORD", "")
    EXCHANGE_TRUST_FILE = os.environ.get("EXCHANGE_TRUST_FILE", "")
    # Ký số (PAdES, app/core/pades.py and app/security/signing.py). The agency's key: on a
    # PKCS#11 token or HSM (module, token label, PIN, key label; the certificate is found by
    # the same label) or, for small setups and the demo, in a PKCS#12 file.
    SIGNING_AGENCY_PKCS11_MODULE = os.environ.get("SIGNING_AGENCY_PKCS11_MODULE", "")
    SIGNING_AGENCY_PKCS11_TOKEN = os.environ.get("SIGNING_AGENCY_PKCS11_TOKEN", "")
    SIGNING_AGENCY_PKCS11_PIN = os.environ.get("SIGNING_AGENCY_PKCS11_PIN", "")
    SIGNING_AGENCY_PKCS11_KEY_LABEL = os.environ.get("SIGNING_AGENCY_PKCS11_KEY_LABEL", "")
    SIGNING_AGENCY_P12_FILE = os.environ.get("SIGNING_AGENCY_P12_FILE", "")
    SIGNING_AGENCY_P12_PASSWORD = os.environ.get("SIGNING_AGENCY_P12_PASSWORD", "")
    # RFC 3161 time-stamping authority (PAdES-B-T); empty: signatures are PAdES-B-B, and the
    # document page says so.
    SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "")
    # Remote signing service of the signers (Cloud Signature Consortium API, the v1 calls
    # pyHanko's client speaks): its base URL (…/csc/v1 is appended), the bearer token the
    # e-office presents to it, and how long one call may take (seconds).
    SIGNING_CSC_URL = os.environ.get("SIGNING_CSC_URL", "")
    SIGNING_CSC_TOKEN = os.environ.get("SIGNING_CSC_TOKEN", "")
    SIGNING_CSC_TIMEOUT = int(os.environ.get("SIGNING_CSC_TIMEOUT", "30"))
    # Revocation (CRL/OCSP) of the certificates in received PDFs: fetched from the addresses
    # the certificates name, waiting this many seconds; 0 does not fetch (an intranet without
    # access to the CAs): such signatures are "Không xác định", never a false "Hợp lệ".
    SIGNING_FETCH_TIMEOUT = int(os.environ.get("SIGNING_FETCH_TIMEOUT", "5"))
    # The demo's personal keys (`make run` only): each demo leader signs with a key of the
    # demo CA kept on the server, marked "chỉ để thử nghiệm". Never on in production.
    SIGNING_DEMO_PERSONAL_KEYS = os.environ.get("SIGNING_DEMO_PERSONAL_KEYS", "0") == "1"
    # Files chosen in a form sent back with an error are kept on the server for the next
    # round (app/core/kept_uploads.py, DATA_DIR/kept) this many hours, then deleted.
    KEPT_UPLOAD_HOURS = int(os.environ.get("KEPT_UPLOAD_HOURS", "24"))
    # Spreadsheets imported (app/imports): largest file.
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
    # Nhập bù (Art. 5.4): an arrival older than BACKFILL_AFTER_HOURS, or a routing step dated
    # more than BACKFILL_STEP_MINUTES back, is entered after an outage and needs a reason.
    BACKFILL_AFTER_HOURS = int(os.environ.get("BACKFILL_AFTER_HOURS", "24"))
    BACKFILL_STEP_MINUTES = int(os.environ.get("BACKFILL_STEP_MINUTES", "10"))
    # Decree 30/2020 (Art. 28–31): dossiers kept this many years or more go to the archive.
    DOSSIER_HANDOVER_MIN_YEARS = int(os.environ.get("DOSSIER_HANDOVER_MIN_YEARS", "5"))
    EXCHANGE_LEGACY_ID = os.environ.get("EXCHANGE_LEGACY_ID", "")  # older QCVN 102 code
    EXCHANGE_WORKER_ENABLED = os.environ.get("EXCHANGE_WORKER_ENABLED", "1") == "1"
    EXCHANGE_INTERVAL = int(os.environ.get("EXCHANGE_INTERVAL", "60"))  # seconds
    # Trục liên thông văn bản quốc gia (VDXP) or a provincial LGSP axis (app/exchange/platform.py):
    # its base URL (empty: not used), the system ID and secret it issued to us, and seconds
    # to wait for one answer.
    EXCHANGE_PLATFORM_URL = os.environ.get("EXCHANGE_PLATFORM_URL", "")
    EXCHANGE_PLATFORM_SYSTEM_ID = os.environ.get("EXCHANGE_PLATFORM_SYSTEM_ID", "")
    EXCHANGE_PLATFORM_SECRET = os.environ.get("EXCHANGE_PLATFORM_SECRET", "")
    EXCHANGE_PLATFORM_TIMEOUT = float(os.environ.get("EXCHANGE_PLATFORM_TIMEOUT", "30"))
    EXCHANGE_PLATFORM_RETRIES = int(os.environ.get("EXCHANGE_PLATFORM_RETRIES", "3"))
    EXCHANGE_PLATFORM_BACKOFF = float(os.environ.get("EXCHANGE_PLATFORM_BACKOFF", "0.5"))
    # Incoming documents: default processing deadline when neither the type nor the urgency
    # sets one, and how many working days before a deadline a document is "due soon".
    DEFAULT_PROCESSING_DAYS = int(os.environ.get("DEFAULT_PROCESSING_DAYS", "10"))
    DUE_SOON_DAYS = int(os.environ.get("DUE_SOON_DAYS", "2"))
    # The office leader's check of a draft (Art. 7.1d, /drafts/check): 1 = a draft must be
    # marked "Đã kiểm tra" before its signer approves it and the clerk issues it.
    OFFICE_CHECK_REQUIRED = os.environ.get("OFFICE_CHECK_REQUIRED", "0") == "1"
    # Where the "ĐẾN" box goes on the first page: a blank space of the top half found by
    # app.core.stamp_place (ARRIVAL_STAMP_AUTO=0: never looked for), else this position,
    # millimetres from the left and from the top; the clerk may move it on the preview.
    ARRIVAL_STAMP_POSITION = tuple(
        float(x) for x in os.environ.get("ARRIVAL_STAMP_POSITION", "15,45").split(","))
    ARRIVAL_STAMP_AUTO = os.environ.get("ARRIVAL_STAMP_AUTO", "1") == "1"
    # Backups (Art. 10.2, app/ops): archives in BACKUP_DIR (empty: INSTANCE_DIR/backups), made
    # every week on BACKUP_WEEKDAY (0 = Monday … 6 = Sunday) after BACKUP_TIME (Vietnam time),
    # the BACKUP_KEEP newest kept. The schedule never runs in tests (TESTING) or CLI commands.
    BACKUP_DIR = os.environ.get("BACKUP_DIR", "")
    BACKUP_WEEKDAY = int(os.environ.get("BACKUP_WEEKDAY", "6"))
    BACKUP_TIME = os.environ.get("BACKUP_TIME", "02:00")
    BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP", "8"))
    BACKUP_SCHEDULE_ENABLED = os.environ.get("BACKUP_SCHEDULE_ENABLED", "1") == "1"
    # Archives encrypted with AES-256-GCM when set: 32 random bytes in base64
    # (`python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"`).
    # Keep it off the machine too: without it no encrypted archive can be restored.
    BACKUP_ENCRYPTION_KEY = os.environ.get("BACKUP_ENCRYPTION_KEY", "")
    # Notices (app/notifications): the daily deadline notices and the mail, run by a worker
    # of the serving process every NOTICE_INTERVAL seconds (`flask eoffice notices` by hand).
    # Email through the agency's SMTP relay: MAIL_SERVER empty = no email at all. MAIL_SECURITY
    # none | starttls | ssl (MAIL_PORT defaults 25 | 587 | 465); MAIL_USERNAME empty = no
    # login. Urgent notices are mailed at once; the rest in one digest a day per person after
    # MAIL_DIGEST_HOUR (Vietnam time). Links in mails start with PUBLIC_URL (https://vpdt.…).
    NOTICE_WORKER_ENABLED = os.environ.get("NOTICE_WORKER_ENABLED", "1") == "1"
    NOTICE_INTERVAL = int(os.environ.get("NOTICE_INTERVAL", "60"))
    # The leaders' dashboards counted in the background after a restart, a new day or a
    # person moved between units (app.stats.warmer), looked at every STATS_WARM_INTERVAL s.
    STATS_WARM_ENABLED = os.environ.get("STATS_WARM_ENABLED", "1") == "1"
    STATS_WARM_INTERVAL = int(os.environ.get("STATS_WARM_INTERVAL", "60"))
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "0"))
    MAIL_SECURITY = os.environ.get("MAIL_SECURITY", "starttls")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "")
    MAIL_DIGEST_HOUR = int(os.environ.get("MAIL_DIGEST_HOUR", "7"))
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "30"))  # seconds
    # The bell asks for its number every BELL_POLL_SECONDS while the page is open (0: never).
    BELL_POLL_SECONDS = int(os.environ.get("BELL_POLL_SECONDS", "60"))
    # Nhận dạng chữ (OCR) of scanned incoming files (app/documents/ocr_jobs.py; Tesseract with
    # its Vietnamese model, Debian tesseract-ocr and tesseract-ocr-vie): OCR_ENABLED=0 turns it
    # off; OCR_LANGUAGE the Tesseract model(s) ("vie", "vie+eng"); a file of more pages than
    # OCR_MAX_PAGES is not read; pages are rendered at OCR_DPI; a worker of the serving process
    # reads the waiting files every OCR_INTERVAL seconds (`flask eoffice ocr` by hand).
    OCR_ENABLED = os.environ.get("OCR_ENABLED", "1") == "1"
    OCR_LANGUAGE = os.environ.get("OCR_LANGUAGE", "vie")
    OCR_MAX_PAGES = int(os.environ.get("OCR_MAX_PAGES", "50"))
    OCR_DPI = int(os.environ.get("OCR_DPI", "300"))
    OCR_INTERVAL = int(os.environ.get("OCR_INTERVAL", "30"))

    # Flask-AppBuilder
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Quản trị mạng"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    FAB_CREATE_DB = False  # schema comes from migrations only
    FAB_UPDATE_PERMS = False  # permissions are synced by `flask eoffice sync-roles`
    FAB_ADD_SECURITY_API = False  # its permission-view API fails to build on FAB 5.3
    FAB_API_SWAGGER_UI = True
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.EofficeSecurityManager"
    FAB_INDEX_VIEW = "app.views.HomeView"
    FAB_BASE_TEMPLATE = "eoffice_base.html"
    APP_THEME = ""  # the default theme: the bootswatch ones @import Google Fonts
    PAGE_SIZE_MAX = 200

    # Language: Vietnamese first, English second
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "vi": {"flag": "vn", "name": "Tiếng Việt"},
        "en": {"flag": "gb", "name": "English"},
    }

    # Sessions and CSRF
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE",
                                           os.environ.get("BEHIND_HTTPS", "0")) == "1"
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))

    # Passwords and lockout (ASVS 2.1, 2.2.1)
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    # FAB_PASSWORD_COMPLEXITY_VALIDATOR is set in create_app (app.security.accounts)
    LOCKOUT_ATTEMPTS = int(os.environ.get("LOCKOUT_ATTEMPTS", "5"))
    LOCKOUT_WINDOW_MINUTES = int(os.environ.get("LOCKOUT_WINDOW_MINUTES", "15"))
    LOCKOUT_MINUTES = int(os.environ.get("LOCKOUT_MINUTES", "15"))
    # Roles that must use two-factor login (comma-separated names, e.g.
    # "Quản trị mạng,Lãnh đạo cơ quan"); anyone may enable it for themselves.
    TOTP_REQUIRED_ROLES = os.environ.get("TOTP_REQUIRED_ROLES", "")
    # Per-IP rate limit of the login form and /api/v1/security/login (app.security.clients):
    # counted in Redis (REDIS_URL) when it answers at start, shared by every worker; else per
    # process (memory://). RATELIMIT_STORAGE_URI forces one.
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "20 per minute")
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    # Reverse proxies of our own in front of the application (docs/deploy.md): their
    # X-Forwarded-For gives the client address (login limit, audit trail). 0: none, ignored.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Cache of the dashboard's figures (app.stats.cache): per process by default; with several
    # workers or servers, share it: CACHE_REDIS_URL=redis://127.0.0.1:6379/1.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
    CACHE_TYPE = "RedisCache" if CACHE_REDIS_URL else "SimpleCache"
    # The cache's own keys in that Redis (two instances sharing one Redis database need two
    # prefixes); `backup restore` empties these keys only.
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "eoffice:")
    CACHE_DEFAULT_TIMEOUT = 24 * 3600
    # PostgreSQL settings of the application's own sessions, as name=value words. The defaults
    # are for a database that fits in memory (most agencies: a decade is a few GB): index
    # reads cost about what a sequential read costs (random_page_cost), and no JIT (it
    # compiled the dashboard's grouped queries for 30–70 ms each, longer than running them),
    # and explicit joins taken in the order written past four tables (join_collapse_limit):
    # a list of drafts with its nine references joined was planned for 27–45 ms, and run in 2.
    # Empty: the server's own settings.
    POSTGRES_SESSION_SETTINGS = os.environ.get("POSTGRES_SESSION_SETTINGS",
                                               "jit=off random_page_cost=1.1 join_collapse_limit=4")
    # How many entries the per-process cache keeps (the dashboard keeps each month's counts
    # per reader's rules and unit: about 170 entries for a year's dashboard).
    CACHE_THRESHOLD = int(os.environ.get("CACHE_THRESHOLD", "20000"))

    @classmethod
    def resolve(cls, overrides: dict | None = None) -> dict:
        """The settings as a dict: class values, then lazily computed ones, then overrides."""
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        values.update(overrides or {})
        if not values.get("SECRET_KEY"):
            values["SECRET_KEY"] = _secret_key(values.get("INSTANCE_DIR") or INSTANCE_PATH)
        if values.get("SESSION_COOKIE_SECURE") and not values.get("SESSION_COOKIE_NAME"):
            # Over HTTPS: a cookie no other host or path can set or shadow (ASVS 3.4.4).
            values["SESSION_COOKIE_NAME"] = "__Host-session"
        if not values.get("SQLALCHEMY_DATABASE_URI"):
            values["SQLALCHEMY_DATABASE_URI"] = _database_url(values.get("INSTANCE_DIR") or
                                                              INSTANCE_PATH)
        if values["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            # No server-side prepared statements: after five runs psycopg would prepare a
            # query and PostgreSQL may then plan it once for any value — a search for a rare
            # symbol walked the whole register (290 ms instead of 13). Also safe behind
            # PgBouncer in transaction mode.
            options = dict(values.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
            options["connect_args"] = {"prepare_threshold": None,
                                       **options.get("connect_args", {})}
            # The planner's settings of our sessions (POSTGRES_SESSION_SETTINGS).
            settings = " ".join(f"-c {item}" for item in
                                (values.get("POSTGRES_SESSION_SETTINGS") or "").split())
            if settings and "options" not in options["connect_args"]:
                options["connect_args"]["options"] = settings
            # A pooled connection is checked before use: after a database restart nobody saw,
            # the first request reconnects instead of failing (tests/faults).
            options.setdefault("pool_pre_ping", True)
            values["SQLALCHEMY_ENGINE_OPTIONS"] = options
        return values
