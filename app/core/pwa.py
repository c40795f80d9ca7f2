"""Installable on a phone (issue 22): the web app manifest, its icons, a service worker and the
page it shows when the server cannot be reached.

Everything here is public (a browser fetches the manifest, the worker and the icons without the
person's session) and none of it holds anybody's data: the agency's name (AGENCY_NAME), the
application's name, drawings made here. The service worker keeps only the static shell —
our own and FAB's styles, scripts and fonts, the icons and the offline page — and never a
document, a page with data or an API answer: pages always come from the network, and when the
network fails a navigation gets the offline page instead.

Served from the site root (/sw.js): a service worker's scope is its URL's directory."""
import hashlib
import io
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_babel import gettext as _

pwa = Blueprint("pwa", __name__)

THEME_COLOR = "#1f4e79"
BACKGROUND_COLOR = "#ffffff"
PNG_SIZES = (192, 512)

# The shell every page loads (templates/appbuilder/init.html and eoffice_base.html): fetched
# when the worker installs, so that the app opens from the phone's cache on a slow link.
FAB_SHELL = [
    "css/bootstrap.min.css", "css/fontawesome/fontawesome.min.css",
    "css/fontawesome/regular.min.css", "css/fontawesome/solid.min.css",
    "css/fontawesome/brands.min.css", "css/fontawesome/v4-shims.min.css",
    "css/bootstrap-datepicker/bootstrap-datepicker3.min.css", "css/select2/select2.min.css",
    "css/select2/select2-bootstrap.min.css", "css/flags/flags16.css", "css/ab.css",
    "js/jquery-latest.js", "js/ab_filters.js", "js/ab_actions.js", "js/bootstrap.min.js",
    "js/bootstrap-datepicker/bootstrap-datepicker.min.js", "js/select2/select2.min.js",
    "js/ab.js",
]
OUR_SHELL = [
    "css/eoffice.css", "css/mobile.css", "favicon.svg", "js/select2-vi.js", "js/confirm.js",
    "js/legacy-convert.js", "js/ajax-choices.js", "js/form-guard.js", "js/mobile.js",
]


def init_pwa(app) -> None:
    app.register_blueprint(pwa)


def _names() -> tuple[str, str]:
    """(name, short_name) of the installed app: the agency's name and the application's."""
    config = current_app.config
    agency = (config.get("AGENCY_NAME") or "").strip()
    app_name = (config.get("APP_NAME") or _("Văn phòng điện tử")).strip()
    name = f"{app_name} – {agency}" if agency else app_name
    return name, _("VP điện tử")


def shell_urls() -> list[str]:
    """The URLs of the static shell, in the order the worker fetches them."""
    urls = [url_for("appbuilder.static", filename=name) for name in FAB_SHELL]
    theme = getattr(current_app.appbuilder, "app_theme", "")
    if theme:
        urls.append(url_for("appbuilder.static", filename=f"css/themes/{theme}"))
    urls += [url_for("static", filename=name) for name in OUR_SHELL]
    urls += [url_for("pwa.icon_svg")]
    urls += [url_for("pwa.icon_png", size=size) for size in PNG_SIZES]
    return urls


def _shell_version(urls: list[str]) -> str:
    """Changes whenever a file of the shell (or the offline page's words) changes, so that an
    installed worker replaces its cache after an upgrade: the URLs carry each file's version
    (app.core.static_cache), FAB's files included."""
    digest = hashlib.sha256()
    for name in OUR_SHELL:
        path = Path(current_app.static_folder) / name
        digest.update(name.encode())
        if path.is_file():
            stat = path.stat()
            digest.update(f"{stat.st_mtime_ns}:{stat.st_size}".encode())
    digest.update("\n".join(urls).encode())
    digest.update(_offline_html().encode())
    return digest.hexdigest()[:12]


@pwa.route("/manifest.webmanifest")
def manifest():
    name, short_name = _names()
    body = {
        "name": name,
        "short_name": short_name,
        "description": _("Văn phòng điện tử: văn bản đến, văn bản đi, lịch công tác, tin tức."),
        "lang": "vi",
        "dir": "ltr",
        "id": url_for("HomeView.index"),
        "start_url": url_for("HomeView.index"),
        "scope": url_for("HomeView.index"),
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": url_for("pwa.icon_svg"), "sizes": "any", "type": "image/svg+xml",
             "purpose": "any"},
            *({"src": url_for("pwa.icon_png", size=size), "sizes": f"{size}x{size}",
               "type": "image/png", "purpose": "any"} for size in PNG_SIZES),
            {"src": url_for("pwa.icon_maskable", size=512), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False, indent=1),
                    mimetype="application/manifest+json")


# ---------------------------------------------------------------- icons

def icon_svg_text() -> str:
    """A white page with its corner folded and three lines of text, on the theme's blue."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" '
        'height="512">'
        f'<rect width="512" height="512" rx="96" fill="{THEME_COLOR}"/>'
        '<path d="M150 96h150l62 62v258H150z" fill="#ffffff"/>'
        '<path d="M300 96v62h62z" fill="#c9d9ea"/>'
        f'<rect x="190" y="210" width="132" height="18" rx="9" fill="{THEME_COLOR}"/>'
        f'<rect x="190" y="260" width="132" height="18" rx="9" fill="{THEME_COLOR}"/>'
        '<rect x="190" y="310" width="90" height="18" rx="9" fill="#d9534f"/>'
        '</svg>')


@lru_cache(maxsize=8)
def icon_png_bytes(size: int, maskable: bool = False) -> bytes:
    """The same drawing as the SVG, made with Pillow (a maskable icon keeps the page inside
    the safe zone and fills the whole square)."""
    from PIL import Image, ImageDraw

    scale = 4  # drawn larger, then reduced: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = big / 512

    def box(x0, y0, x1, y1):
        if maskable:  # the drawing in the central 80 % (the safe zone of a maskable icon)
            centre = big / 2
            return [centre + (v * unit - centre) * 0.8 for v in (x0, y0, x1, y1)]
        return [v * unit for v in (x0, y0, x1, y1)]

    if maskable:
        draw.rectangle([0, 0, big, big], fill=THEME_COLOR)
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=96 * unit, fill=THEME_COLOR)
    x0, y0, x1, y1 = box(150, 96, 362, 416)
    fold = box(300, 96, 362, 158)
    draw.polygon([(x0, y0), (fold[0], y0), (x1, fold[3]), (x1, y1), (x0, y1)], fill="#ffffff")
    draw.polygon([(fold[0], fold[1]), (fold[0], fold[3]), (fold[2], fold[3])], fill="#c9d9ea")
    for top, width, colour in ((210, 132, THEME_COLOR), (260, 132, THEME_COLOR),
                               (310, 90, "#d9534f")):
        line = box(190, top, 190 + width, top + 18)
        draw.rounded_rectangle(line, radius=9 * unit * (0.8 if maskable else 1), fill=colour)
    image = image.resize((size, size), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@pwa.route("/pwa/icon.svg")
def icon_svg():
    return Response(icon_svg_text(), mimetype="image/svg+xml")


@pwa.route("/pwa/icon-<int:size>.png")
def icon_png(size):
    if size not in PNG_SIZES:
        abort(404)
    return Response(icon_png_bytes(size), mimetype="image/png")


@pwa.route("/pwa/maskable-<int:size>.png")
def icon_maskable(size):
    if size not in PNG_SIZES:
        abort(404)
    return Response(icon_png_bytes(size, maskable=True), mimetype="image/png")


# ---------------------------------------------------------------- offline page and worker

def _offline_html() -> str:
    name, _short = _names()
    return render_template("pwa/offline.html", app_name=name,
                           agency=current_app.config.get("AGENCY_NAME") or "")


@pwa.route("/offline")
def offline():
    """The page a navigation gets when the server cannot be reached (kept by the worker)."""
    return _offline_html()


@pwa.route("/sw.js")
def service_worker():
    urls = shell_urls()
    offline_url = url_for("pwa.offline")
    static_prefixes = sorted({url_for("static", filename=""),
                              url_for("appbuilder.static", filename=""),
                              url_for("pwa.icon_svg").rsplit("/", 1)[0] + "/"})
    script = render_template(
        "pwa/sw.js", version=_shell_version(urls), shell=json.dumps(urls + [offline_url]),
        offline=json.dumps(offline_url), prefixes=json.dumps(static_prefixes))
    response = Response(script, mimetype="text/javascript")
    # the worker is looked at again on every visit (app.core.headers sets no-store too)
    response.headers["Service-Worker-Allowed"] = url_for("HomeView.index")
    return response
