"""The "chuyển mã" button of text fields (static/js/legacy-convert.js, loaded on every page by
eoffice_base.html, adds it after every field carrying these attributes):
`StringField(..., render_kw=LEGACY_CONVERT)` in our own forms, `legacy_convert_columns` on a
FAB model view (LegacyConvertMixin)."""
from flask_babel import lazy_gettext as _l

LEGACY_CONVERT = {
    "data-legacy-convert": _l("Chuyển mã"),
    "data-legacy-convert-title": _l("Chuyển chữ gõ bằng phông TCVN3 (.VnTime) hoặc VNI sang "
                                    "Unicode"),
    "data-legacy-convert-same": _l("Không thấy chữ TCVN3/VNI."),
    "data-legacy-convert-choose": _l("Chưa chắc chữ được gõ bằng bảng mã nào; chọn cách đọc "
                                     "đúng:"),
}


class LegacyConvertMixin:
    """For a FAB model view: `legacy_convert_columns = ["name", ...]` gives those fields of its
    add and edit forms the button. FAB builds the form classes in _init_forms; their fields are
    still unbound there, so the attributes go into each field's render_kw."""
    legacy_convert_columns: list[str] = []

    def _init_forms(self):
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            for column in self.legacy_convert_columns:
                field = getattr(form, column, None)
                if field is not None:  # a column shown in one of the two forms only
                    field.kwargs["render_kw"] = {**LEGACY_CONVERT,
                                                 **(field.kwargs.get("render_kw") or {})}
