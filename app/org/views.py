"""Grids and REST resources for the organisation: departments and positions."""
from flask_babel import lazy_gettext as _l

from app.core.legacy_fields import LegacyConvertMixin
from app.core.views import EofficeModelView, grid_and_api
from app.org.models import Department, Position


DepartmentView, DepartmentApi = grid_and_api(
    Department, "department", (_l("Cơ quan, đơn vị"), _l("Thêm đơn vị"), _l("Sửa đơn vị")),
    ["name", "code", "parent", "sort_order", "active"],
    base=(LegacyConvertMixin, EofficeModelView), legacy_convert_columns=["name"],
    listed=["id", "name", "code", "parent.id", "parent.name", "sort_order", "active"],
    list_columns=["name", "code", "parent", "active"],
    search_columns=["name", "code", "parent", "active"], base_order=("sort_order", "asc"),
    label_columns={"name": _l("Tên đơn vị"), "code": _l("Mã, viết tắt"),
                   "parent": _l("Thuộc"), "sort_order": _l("Thứ tự"),
                   "active": _l("Đang dùng")},
    description_columns={"code": _l("Dùng trong ký hiệu văn bản, ví dụ VP, TCCB.")})

PositionView, PositionApi = grid_and_api(
    Position, "position", (_l("Chức vụ"), _l("Thêm chức vụ"), _l("Sửa chức vụ")),
    ["name", "is_leader", "can_sign", "sort_order"],
    base=(LegacyConvertMixin, EofficeModelView), legacy_convert_columns=["name"],
    base_order=("sort_order", "asc"),
    label_columns={"name": _l("Tên chức vụ"), "is_leader": _l("Là lãnh đạo"),
                   "can_sign": _l("Có thẩm quyền ký"), "sort_order": _l("Thứ tự")})


def register_views(appbuilder):
    appbuilder.add_view(DepartmentView, "Departments", label=_l("Cơ quan, đơn vị"),
                        icon="fa-sitemap", category="Organisation",
                        category_label=_l("Tổ chức"), category_icon="fa-sitemap")
    appbuilder.add_view(PositionView, "Positions", label=_l("Chức vụ"), icon="fa-id-badge",
                        category="Organisation")
    appbuilder.add_api(DepartmentApi)
    appbuilder.add_api(PositionApi)
