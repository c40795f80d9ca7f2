"""The "chuyển mã" button of text fields (static/js/legacy-convert.js adds it after every
field carrying these attributes): `StringField(..., render_kw=LEGACY_CONVERT)`."""
from flask_babel import lazy_gettext as _l

LEGACY_CONVERT = {
    "data-legacy-convert": _l("Chuyển mã"),
    "data-legacy-convert-title": _l("Chuyển chữ gõ bằng phông TCVN3 (.VnTime) hoặc VNI sang "
                                    "Unicode"),
    "data-legacy-convert-same": _l("Không thấy chữ TCVN3/VNI."),
}
