"""The e-office application: create_app() is the one place that wires everything."""
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, redirect, request
from flask_babel import get_locale
from flask_babel import gettext as _

from config import Config


def create_app(config: dict | None = None) -> Flask:
    import app.models  # noqa: F401  (all tables known before anything touches the database)

    app = Flask(__name__, instance_path=Config.resolve(config)["INSTANCE_DIR"])
    app.config.from_mapping(Config.resolve(config))
    init_files(app)
    init_request_hygiene(app)
    init_extensions(app)
    init_views(app)
    init_cli(app)
    return app


def init_files(app: Flask) -> None:
    """The instance folder, DATA_DIR and the SQLite file owner-only (created so, or tightened).
    Pillow refuses (a warning, then an error at twice) images beyond MAX_IMAGE_PIXELS, far
    below its default; app.core.files.check_image_size refuses them first, in Vietnamese."""
    from PIL import Image

    from app.core.files import secure_instance

    secure_instance(app.config)
    Image.MAX_IMAGE_PIXELS = app.config["MAX_IMAGE_PIXELS"]
    init_template_cache(app)
    from app.security.signature_checks import init_signature_checks  # PDFs' signatures

    init_signature_checks(app)


def init_template_cache(app: Flask) -> None:
    """The templates' compiled code kept on disk (TEMPLATE_CACHE_DIR, owner-only): a worker
    just started loads each page's template in a fraction of a millisecond instead of
    compiling it (10–400 ms; 1.5 s for all of them), so the first people after a restart do
    not wait for it. Jinja keys each file by the template's name and checks its source's
    checksum: an edited template is compiled again, and the file is replaced atomically."""
    from jinja2 import FileSystemBytecodeCache

    from app.core.files import PRIVATE_DIR, make_private, private_dir

    folder = private_dir(app.config.get("TEMPLATE_CACHE_DIR") or
                         Path(app.config["INSTANCE_DIR"]) / "template-cache")
    make_private(folder, PRIVATE_DIR)
    app.jinja_options = {**app.jinja_options,
                         "bytecode_cache": FileSystemBytecodeCache(str(folder))}


def init_request_hygiene(app: Flask) -> None:
    from app.core.errors import register_error_pages
    from app.core.headers import init_security_headers
    from app.core.i18n import init_wtforms_translations
    from app.core.requests import NfcRequest
    from app.core.static_cache import init_static_cache

    init_wtforms_translations()
    app.request_class = NfcRequest
    register_error_pages(app)
    init_security_headers(app)
    init_static_cache(app)  # scripts and styles addressed with their version, kept a year

    @app.before_request
    def cap_page_size():
        """FAB's grids accept any psize_/page_ value: clamp it instead of a 500 or a 42 s page.
        (The REST API caps its own page_size.)"""
        if request.path.startswith("/api/"):
            return None
        fixed, changed = {}, False
        for key in request.args:
            values = request.args.getlist(key)
            if key.startswith(("psize_", "page_")):
                ceiling = app.config["PAGE_SIZE_MAX"] if key.startswith("psize_") else 10**6
                low = 1 if key.startswith("psize_") else 0
                clean = []
                for value in values:
                    number = int(value) if value.strip().isdecimal() else low
                    clean.append(str(min(max(number, low), ceiling)))
                changed |= clean != values
                values = clean
            fixed[key] = values
        if changed:
            return redirect(f"{request.path}?{urlencode(fixed, doseq=True)}")
        return None

    @app.before_request
    def refuse_oversized_bodies():
        """A declared length over the limit is refused before anything reads the body (read
        inside FAB's @safe, werkzeug's 413 became a 500)."""
        from flask import abort

        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            abort(413)

    @app.before_request
    def refuse_impossible_ids():
        """An id beyond the database's integer range is simply not found (not a 500)."""
        from flask import abort

        for name, value in (request.view_args or {}).items():
            if isinstance(value, str) and name == "pk":  # FAB's routes: every key is an int
                if not value.isdecimal():
                    abort(404)
                value = int(value)
            if isinstance(value, int) and not -(2**31) < value < 2**31:
                abort(404)

    def fab_model_apis() -> set:
        """The blueprints of FAB's generic REST resources, whose `q` is rison (our own
        resources take `q` as a search text)."""
        if "_fab_model_apis" not in app.extensions:
            from flask_appbuilder.api import ModelRestApi

            app.extensions["_fab_model_apis"] = {
                view.blueprint.name for view in app.appbuilder.baseviews
                if isinstance(view, ModelRestApi) and getattr(view, "blueprint", None)}
        return app.extensions["_fab_model_apis"]

    @app.before_request
    def refuse_impossible_numbers():
        """Numbers in FAB's query arguments that would reach the database as an overflow or a
        type error (the rison `q` of the REST lists, the grids' `_flt_` filters): a 400 with a
        Vietnamese message, before FAB reads them. (Whole numbers read with
        `args.get(name, type=int)` go through app.core.numbers.db_int.)"""
        import prison

        from app.core.numbers import grid_filter_problem, rison_problem
        from app.core.requests import PlainBadRequest

        message = _("Tham số tìm kiếm, lọc hoặc phân trang không hợp lệ.")
        if grid_filter_problem(request.args):
            raise PlainBadRequest(message)
        if request.args.get("q") and request.blueprint in fab_model_apis():
            try:
                rison = prison.loads(request.args["q"])
            except Exception:  # not rison: FAB tries JSON, then answers 400 itself
                return None
            if rison_problem(rison):
                raise PlainBadRequest(message)
        return None

    @app.context_processor
    def template_helpers():
        from app.core.timefmt import format_date, format_datetime
        from app.core.ui import navbar_menu, select2_messages

        from app.audit.views import action_label, changes_text
        from app.notifications.views import unread_notifications
        from app.security.access import role_names, roles_of

        return {"html_lang": lambda: str(get_locale() or "vi"),
                "audit_action": action_label, "audit_changes": changes_text,
                "select2_messages": select2_messages, "navbar_menu": navbar_menu,
                "unread_notifications": unread_notifications,
                "roles_of": roles_of, "role_names": role_names,
                "format_date": format_date, "format_datetime": format_datetime}


def init_extensions(app: Flask) -> None:
    from flask_appbuilder import AppBuilder

    from app.extensions import cache, csrf, db, migrate
    from app.security.accounts import fab_password_validator
    from app.security.clients import choose_rate_limit_storage, init_client_address

    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", fab_password_validator)
    init_client_address(app)
    choose_rate_limit_storage(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    csrf.init_app(app)
    cache.init_app(app)
    with app.app_context():
        AppBuilder(update_perms=False).init_app(app, db.session)
    from app.core.ui import init_template_helpers
    from app.security.sessions import init_session_rules

    init_template_helpers(app)  # after Flask-Babel's templates' gettext, which it wraps

    init_session_rules(app)  # after FAB's before_request, which sets g.user


def init_views(app: Flask) -> None:
    from app.audit.views import register_views as audit
    from app.catalogs.views import register_views as catalogs
    from app.copies.views import register_views as copies
    from app.documents.views import register_views as documents
    from app.exchange.views import register_views as exchange
    from app.imports.views import register_views as imports
    from app.dossiers.views import register_views as dossiers
    from app.ops.views import register_views as ops
    from app.org.views import register_views as org
    from app.outgoing.views import register_views as outgoing
    from app.news.views import register_views as news
    from app.notifications.views import register_views as notifications
    from app.request_forms.views import register_views as request_forms
    from app.schedules.views import register_views as schedules
    from app.security.panel import register_views as panel
    from app.security.people import register_views as people
    from app.stats.views import register_views as stats

    appbuilder = app.appbuilder
    with app.app_context():
        documents(appbuilder)
        outgoing(appbuilder)
        dossiers(appbuilder)
        copies(appbuilder)
        request_forms(appbuilder)
        schedules(appbuilder)
        news(appbuilder)
        stats(appbuilder)
        notifications(appbuilder)
        org(appbuilder)
        catalogs(appbuilder)
        exchange(appbuilder)  # after the catalogs: its partner list joins that menu
        imports(appbuilder)
        audit(appbuilder)
        ops(appbuilder)
        panel(appbuilder)
        people(appbuilder)
        appbuilder.post_init()
    from app.core.pwa import init_pwa

    init_pwa(app)  # installable on a phone: manifest, icons, service worker, offline page
    from app.cli import start_notice_worker

    start_notice_worker(app)  # deadline notices and mail (app.notifications.worker)


def init_cli(app: Flask) -> None:
    from app.audit.cli import audit
    from app.cli import check_deploy_command, eoffice
    from app.exchange.cli import exchange
    from app.ops.cli import backup, files

    eoffice.add_command(exchange)  # flask eoffice exchange platform-…
    app.cli.add_command(eoffice)
    app.cli.add_command(audit)
    app.cli.add_command(backup)
    app.cli.add_command(files)
    app.cli.add_command(check_deploy_command)
