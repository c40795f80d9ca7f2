"""Our own and FAB's static files kept by the browser: a page's scripts, styles and icons are
addressed with their content's version (`?v=`), and a file asked for with its current version
is answered with a year's `Cache-Control: immutable`. A page after the first asks the server
for none of them.

Before, every page made its 28 scripts and styles be asked again (answered `304 Not Modified`):
on a plain-HTTP intranet, where browsers run no service worker, that was 28 requests per page
and person, and the service worker of an installed app refreshed each of them in the
background at every page too.

The version is a digest of the file's content, read once per process: it changes with the
file (an upgrade), and is the same on every server of the agency. A file asked for without its
version, or with another one, is answered as before (`no-cache`: the browser asks whether it
changed); files a stylesheet or a script names by a relative address (fonts, PDF.js's modules)
are asked for so, which keeps them in step with what names them."""
import hashlib

from flask import current_app, request
from werkzeug.security import safe_join

from app.core.headers import STATIC_ENDPOINTS

VERSION_ARG = "v"
YEAR = 365 * 24 * 3600


def init_static_cache(app) -> None:
    versions: dict[tuple[str, str], str | None] = {}  # (endpoint, filename) → version

    def version_of(endpoint: str, filename: str) -> str | None:
        key = (endpoint, filename)
        if key not in versions:
            versions[key] = _digest(_folder(endpoint), filename)
        return versions[key]

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint in STATIC_ENDPOINTS and values.get("filename") \
                and VERSION_ARG not in values:
            version = version_of(endpoint, values["filename"])
            if version:
                values[VERSION_ARG] = version

    @app.after_request
    def keep_versioned(response):
        if request.endpoint in STATIC_ENDPOINTS and response.status_code == 200:
            asked = request.args.get(VERSION_ARG)
            filename = (request.view_args or {}).get("filename")
            if asked and filename and asked == version_of(request.endpoint, filename):
                response.cache_control.no_cache = None
                response.cache_control.public = True
                response.cache_control.max_age = YEAR
                response.cache_control.immutable = True
        return response


def _folder(endpoint: str) -> str | None:
    app = current_app
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


def _digest(folder: str | None, filename: str) -> str | None:
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            return hashlib.sha256(file.read()).hexdigest()[:12]
    except OSError:  # a folder (PDF.js's base address), a missing file
        return None
