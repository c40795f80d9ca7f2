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
