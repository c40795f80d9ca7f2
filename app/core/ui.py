"""Strings for the browser-side widgets that FAB bundles without translations."""
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
