"""Grids and REST resources for the organisation: departments and positions."""
from flask_babel import lazy_gettext as _l

from app.core.legacy_fields import LegacyConvertMixin
from app.core.views import EofficeApi, EofficeModelView, VietnameseInterface
from app.org.models import Department, Position


class DepartmentView(LegacyConvertMixin, EofficeModelView):
    datamodel = VietnameseInterface(Department)
    class_permission_name = "Department"
    legacy_convert_columns = ["name"]
    list_title = show_title = _l("Cơ quan, đơn vị")
    add_title = _l("Thêm đơn vị")
    edit_title = _l("Sửa đơn vị")
    list_columns = ["name", "code", "parent", "active"]
    add_columns = edit_columns = show_columns = ["name", "code", "parent", "sort_order", "active"]
    search_columns = ["name", "code", "parent", "active"]
    base_order = ("sort_order", "asc")
    label_columns = {"name": _l("Tên đơn vị"), "code": _l("Mã, viết tắt"),
                     "parent": _l("Thuộc"), "sort_order": _l("Thứ tự"),
                     "active": _l("Đang dùng")}
    description_columns = {"code": _l("Dùng trong ký hiệu văn bản, ví dụ VP, TCCB.")}


class DepartmentApi(EofficeApi):
    resource_name = "department"
    datamodel = VietnameseInterface(Department)
    class_permission_name = "Department"
    list_columns = show_columns = ["id", "name", "code", "parent.id", "parent.name",
                                   "sort_order", "active"]
    add_columns = edit_columns = ["name", "code", "parent", "sort_order", "active"]


class PositionView(LegacyConvertMixin, EofficeModelView):
    datamodel = VietnameseInterface(Position)
    class_permission_name = "Position"
    legacy_convert_columns = ["name"]
    list_title = show_title = _l("Chức vụ")
    add_title = _l("Thêm chức vụ")
    edit_title = _l("Sửa chức vụ")
    list_columns = add_columns = edit_columns = show_columns = ["name", "is_leader", "can_sign",
                                                                "sort_order"]
    base_order = ("sort_order", "asc")
    label_columns = {"name": _l("Tên chức vụ"), "is_leader": _l("Là lãnh đạo"),
                     "can_sign": _l("Có thẩm quyền ký"), "sort_order": _l("Thứ tự")}


class PositionApi(EofficeApi):
    resource_name = "position"
    datamodel = VietnameseInterface(Position)
    class_permission_name = "Position"
    list_columns = show_columns = ["id", "name", "is_leader", "can_sign", "sort_order"]
    add_columns = edit_columns = ["name", "is_leader", "can_sign", "sort_order"]


def register_views(appbuilder):
    appbuilder.add_view(DepartmentView, "Departments", label=_l("Cơ quan, đơn vị"),
                        icon="fa-sitemap", category="Organisation",
                        category_label=_l("Tổ chức"), category_icon="fa-sitemap")
    appbuilder.add_view(PositionView, "Positions", label=_l("Chức vụ"), icon="fa-id-badge",
                        category="Organisation")
    appbuilder.add_api(DepartmentApi)
    appbuilder.add_api(PositionApi)
