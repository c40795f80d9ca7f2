"""What the templates share: the browser-side widgets' strings (FAB bundles them without
translations), the menu and the pages' fixed parts drawn once, the templates' translations."""
import secrets

from flask_babel import gettext as _


def select2_messages() -> dict:
    return {
        "errorLoading": _("Không tải được kết quả."),
        "inputTooLong": _("Vui lòng xóa bớt %d ký tự."),
        "inputTooShort": _("Vui lòng nhập thêm %d ký tự."),
        "loadingMore": _("Đang tải thêm…"),
        "maximumSelected": _("Chỉ có thể chọn tối đa %d mục."),
        "noResults": _("Không có kết quả"),
        "searching": _("Đang tìm…"),
        "removeAllItems": _("Xóa tất cả"),
        "removeItem": _("Bỏ mục này"),
        "search": _("Tìm kiếm"),
    }


# ---------------------------------------------------------------- the menu

# The menu's HTML per (the person's permission pairs, language, script root): the menu is the
# same for everyone with the same permissions, and drawing it asked 36 permission checks and
# rendered 60 entries on every page (5 ms of a page). Keyed by the pairs themselves, not by
# role: a role's permissions changed show at the next page. Emptied when it grows past
# MENU_KINDS (a new key per set of permissions, a handful in an agency).
_MENUS: dict = {}
MENU_KINDS = 256


def navbar_menu():
    """FAB's menu entries (appbuilder/navbar_menu.html) for the person of the request, drawn
    once per set of permissions. The built-in administrator role and anyone not logged in
    get it drawn each time, as FAB decides their access itself."""
    from flask import current_app, g, render_template, request
    from flask_babel import get_locale
    from flask_login import current_user
    from markupsafe import Markup

    appbuilder = current_app.appbuilder
    user = g.get("user")
    pairs = appbuilder.sm._permission_pairs(user) \
        if user is not None and current_user.is_authenticated else None
    if pairs is None:
        return Markup(render_template("appbuilder/navbar_menu.html", menu=appbuilder.menu))
    key = (pairs, str(get_locale()), request.script_root)
    html = _MENUS.get(key)
    if html is None:
        html = Markup(render_template("appbuilder/navbar_menu.html", menu=appbuilder.menu))
        if len(_MENUS) >= MENU_KINDS:
            _MENUS.clear()
        _MENUS[key] = html
    return html


# ---------------------------------------------------------------- the pages' fixed parts

# The scripts and styles every page names (FAB's and ours, each address with its file's
# version) and the words of their data- attributes: the same on every page for everyone in a
# language. Drawing them was about 40 url_for and 1 ms of every page; they are drawn once per
# process, language and script root (app/templates/_assets), a placeholder standing for the
# nonce, which each response then gets its own of. Emptied past FRAGMENT_KINDS (the script
# root comes with the request).
_FRAGMENTS: dict = {}
FRAGMENT_KINDS = 256
_NONCE = secrets.token_hex(16)  # the placeholder: unguessable, no page can hold it


def kept_fragment(name: str):
    """The template `name` (it takes `nonce` for its scripts) as drawn once, with this
    response's nonce. Drawn each time while templates are reloaded (development)."""
    from flask import current_app, has_request_context, render_template, request
    from flask_babel import get_locale
    from markupsafe import Markup

    from app.core.headers import csp_nonce

    key = (name, str(get_locale()), request.script_root if has_request_context() else "")
    html = _FRAGMENTS.get(key)
    if html is None or current_app.jinja_env.auto_reload:
        html = render_template(name, nonce=_NONCE, appbuilder=current_app.appbuilder)
        if len(_FRAGMENTS) >= FRAGMENT_KINDS:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = html
    return Markup(html.replace(_NONCE, csp_nonce()))


# ---------------------------------------------------------------- the templates' translations

# A template's _("…") without variables, translated and made Markup once per process and
# language: Jinja's call went through Flask-Babel's lookup of the request's catalog, Markup
# and a % on every call (a grid page makes about a hundred: 3 ms of its time). The catalogs do
# not change while the process runs (Flask-Babel keeps them for the app's life). Emptied when
# it grows past TRANSLATED_KINDS (a template may translate a value it is given).
_TRANSLATED: dict = {}
TRANSLATED_KINDS = 8192


def init_template_helpers(app):
    """The templates' gettext, memoized (it wraps the one Flask-Babel installed: Jinja's i18n,
    new style), and crud_buttons, a Jinja global: FAB renders its list widget without the
    context processors."""
    from flask_babel import get_locale
    from jinja2 import pass_context

    translate = app.jinja_env.globals["gettext"]

    @pass_context
    def gettext(context, string, **variables):
        if variables:
            return translate(context, string, **variables)
        key = (str(get_locale()), string, context.eval_ctx.autoescape)
        value = _TRANSLATED.get(key)
        if value is None:
            value = translate(context, string)
            if len(_TRANSLATED) >= TRANSLATED_KINDS:
                _TRANSLATED.clear()
            _TRANSLATED[key] = value
        return value

    app.jinja_env.globals["gettext"] = gettext
    app.jinja_env.globals["crud_buttons"] = crud_buttons
    app.jinja_env.globals["kept_fragment"] = kept_fragment


# ---------------------------------------------------------------- a grid row's buttons

_CRUD = (("show", "Show record", "Show", "fa-search"),  # (route, tooltip, label, icon)
         ("edit", "Edit record", "Edit", "fa-edit"))
_CRUD_WORDS: dict = {}  # language → the buttons' words, escaped


def _crud_words() -> dict:
    from flask_babel import get_locale
    from flask_babel import gettext as _
    from markupsafe import escape

    locale = str(get_locale())
    words = _CRUD_WORDS.get(locale)
    if words is None:
        texts = {text for _route, tooltip, label, _icon in _CRUD for text in (tooltip, label)}
        texts |= {"Delete record", "Delete", "Are you sure you want to delete this item?"}
        words = _CRUD_WORDS[locale] = {text: escape(_(text)) for text in texts}
    return words


_PK = "__row__"
_ROW_PATHS: dict = {}  # (endpoint, script root) → its path for the row _PK, or None: no route


def _row_path(endpoint):
    """A row route's path with _PK for the row's id, or None when the view has no such route
    (an officer may edit documents elsewhere than in the grid): asked once per process, as
    Werkzeug's answer to a missing route is slow (it looks for the closest rule)."""
    from flask import request, url_for

    key = (endpoint, request.script_root)
    if key not in _ROW_PATHS:
        try:
            _ROW_PATHS[key] = url_for(endpoint, pk=_PK)
        except Exception:  # noqa: BLE001 — FAB's safe_url_for: no such route, no button
            _ROW_PATHS[key] = None
    return _ROW_PATHS[key]


def crud_buttons(can_show, can_edit, can_delete, pk, modelview_name, filters):
    """A grid row's buttons, as FAB's lib.btn_crud draws them (view, edit, delete), in one
    call: the macro, its three inner macros and their six translations cost 2–3 ms of a grid
    page of 25 rows."""
    from flask import url_for
    from markupsafe import Markup, escape

    from app.core.headers import csp_nonce

    def path_of(route):
        pattern = _row_path(f"{modelview_name}.{route}")
        if pattern is None:
            return None
        if isinstance(pk, int):
            return pattern.replace(_PK, str(pk))
        return url_for(f"{modelview_name}.{route}", pk=pk)

    words = _crud_words()
    html = ['<div class="btn-group btn-group-xs" style="display: flex;">']
    for (route, tooltip, label, icon), allowed in zip(_CRUD, (can_show, can_edit), strict=True):
        path = path_of(route) if allowed else None
        if path:
            path = escape(path + _related_filters(filters))
            html.append(f'<a href="{path}" class="btn btn-sm btn-default" data-toggle="tooltip" '
                        f'rel="tooltip" title="{words[tooltip]}"><span class="sr-only">'
                        f'{words[label]}</span><i class="fa {icon}"></i></a>')
    path = path_of("delete") if can_delete else None
    if path:
        path = escape(path)
        html.append(
            f'<a id="btn-delete-{path}" href="#" class="btn btn-sm btn-default confirm" '
            f'rel="tooltip" title="{words["Delete record"]}"><span class="sr-only">'
            f'{words["Delete"]}</span><i class="fa fa-trash"></i></a>'
            f'<script nonce="{csp_nonce()}">document.getElementById("btn-delete-{path}")'
            '.addEventListener("click", function () { const adminAction = new AdminActions(); '
            "return adminAction.execute_single_delete("
            f"'{path}','{words['Are you sure you want to delete this item?']}'); }})</script>")
    html.append("</div>")
    return Markup("".join(html))


def _related_filters(filters) -> str:
    """FAB's set_link_filters: a related view's filters carried to the row's page."""
    link = ""
    for flt, value in filters.get_filters_values():
        if flt.is_related_view:
            link += ("&" if "?" in link else "?") + f"_flt_0_{flt.column_name}={value}"
    return link
