"""Grids (web) and REST resources for the catalogs. Each pair shares one permission name."""
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import true
from wtforms import SelectField

from app.catalogs import models as m
from app.core import search
from app.core.legacy_fields import LegacyConvertMixin
from app.core.validation import api_validator, form_validator
from app.core.views import EofficeApi, EofficeModelView, GridFilter, VietnameseInterface

ACTIVE = _l("Đang dùng")
PROCESSING_DAYS = _l("Hạn xử lý mặc định (ngày làm việc)")
PROCESSING_DAYS_HELP = _l("Hạn xử lý văn bản đến được gợi ý khi vào sổ; để trống để dùng hạn "
                          "chung. Khi loại văn bản và độ khẩn cùng có hạn, hạn ngắn hơn được dùng.")


class CatalogView(EofficeModelView):
    """A catalog's grid: one search box above it (`?q=`), "contains", whatever the case and
    the accents ('giay' and 'GIẤY' find 'Giấy mời'), over `quick_search_columns` (folded as
    the document search folds: app.core.search.folded_contains). FAB's filters stay below it,
    folded away, for those who want them."""
    list_template = "catalogs/list.html"
    quick_search_columns = ("name",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        datamodel, columns = cls.datamodel, tuple(cls.quick_search_columns)
        cls.base_filters = [["id", GridFilter.of(
            visible=lambda _user: true(),
            search=lambda text: search.folded_contains(datamodel.session, datamodel.obj,
                                                       columns, text)), lambda: None]]

    def render_template(self, template, **kwargs):
        labels = [str(self.label_columns.get(c, c)) for c in self.quick_search_columns]
        labels = ", ".join(label[:1].lower() + label[1:] for label in labels)
        kwargs.update(q=request.args.get("q", ""),
                      q_placeholder=_("Tìm theo %(columns)s (gõ có dấu hay không dấu đều được)",
                                      columns=labels))
        return super().render_template(template, **kwargs)


class DocumentTypeView(LegacyConvertMixin, CatalogView):
    datamodel = VietnameseInterface(m.DocumentType)
    class_permission_name = "DocumentType"
    legacy_convert_columns = ["name"]
    list_title = show_title = _l("Loại văn bản")
    add_title = _l("Thêm loại văn bản")
    edit_title = _l("Sửa loại văn bản")
    list_columns = ["name", "abbreviation", "kind", "active"]
    add_columns = edit_columns = show_columns = ["name", "abbreviation", "kind",
                                                 "processing_days", "sort_order", "active"]
    search_columns = ["name", "abbreviation", "kind", "active"]
    quick_search_columns = ("name", "abbreviation")
    base_order = ("sort_order", "asc")
    label_columns = {"name": _l("Tên loại văn bản"), "abbreviation": _l("Viết tắt"),
                     "kind": _l("Nhóm"), "sort_order": _l("Thứ tự"), "active": ACTIVE,
                     "processing_days": PROCESSING_DAYS}
    description_columns = {"abbreviation": _l("Ví dụ QĐ, TB, KH; để trống với Công văn."),
                           "processing_days": PROCESSING_DAYS_HELP}
    formatters_columns = {"kind": lambda k: str(m.DOCUMENT_KINDS.get(k, k))}
    edit_form_extra_fields = add_form_extra_fields = {
        "kind": SelectField(_l("Nhóm"), coerce=int,
                            choices=[(k, v) for k, v in m.DOCUMENT_KINDS.items()]),
    }


class DocumentTypeApi(EofficeApi):
    resource_name = "document_type"
    datamodel = VietnameseInterface(m.DocumentType)
    class_permission_name = "DocumentType"
    list_columns = show_columns = ["id", "name", "abbreviation", "kind", "processing_days",
                                   "sort_order", "active"]
    add_columns = edit_columns = ["name", "abbreviation", "kind", "processing_days",
                                  "sort_order", "active"]
    order_columns = ["name", "abbreviation", "sort_order"]


AGENCY_COLUMNS = ["name", "short_name", "electronic_id", "legacy_code", "address", "email",
                  "phone", "active"]


class AgencyView(LegacyConvertMixin, CatalogView):
    datamodel = VietnameseInterface(m.Agency)
    class_permission_name = "Agency"
    legacy_convert_columns = ["name", "short_name", "address"]
    list_title = show_title = _l("Cơ quan, tổ chức")
    add_title = _l("Thêm cơ quan")
    edit_title = _l("Sửa cơ quan")
    list_columns = ["name", "short_name", "electronic_id", "email", "active"]
    add_columns = edit_columns = show_columns = AGENCY_COLUMNS
    search_columns = ["name", "short_name", "electronic_id", "legacy_code", "email"]
    quick_search_columns = ("name", "short_name", "electronic_id", "legacy_code", "email")
    base_order = ("name", "asc")
    label_columns = {"name": _l("Tên cơ quan"), "short_name": _l("Tên viết tắt"),
                     "electronic_id": _l("Mã định danh điện tử"),
                     "legacy_code": _l("Mã cũ (QCVN 102)"), "address": _l("Địa chỉ"),
                     "email": _l("Thư điện tử"), "phone": _l("Điện thoại"), "active": ACTIVE}
    description_columns = {"electronic_id": _l("13 ký tự, ví dụ 000.00.00.H30")}
    validators_columns = {"electronic_id": [form_validator(m.check_electronic_id)]}


class AgencyApi(EofficeApi):
    resource_name = "agency"
    datamodel = VietnameseInterface(m.Agency)
    class_permission_name = "Agency"
    list_columns = show_columns = ["id"] + AGENCY_COLUMNS
    add_columns = edit_columns = AGENCY_COLUMNS
    order_columns = ["name", "short_name", "electronic_id"]
    validators_columns = {"electronic_id": api_validator(m.check_electronic_id)}


class FieldView(LegacyConvertMixin, CatalogView):
    datamodel = VietnameseInterface(m.Field)
    class_permission_name = "Field"
    legacy_convert_columns = ["name"]
    list_title = show_title = _l("Lĩnh vực")
    add_title = _l("Thêm lĩnh vực")
    edit_title = _l("Sửa lĩnh vực")
    list_columns = add_columns = edit_columns = show_columns = ["code", "name", "active"]
    search_columns = ["code", "name"]
    quick_search_columns = ("name", "code")
    base_order = ("name", "asc")
    label_columns = {"code": _l("Mã"), "name": _l("Tên lĩnh vực"), "active": ACTIVE}


class FieldApi(EofficeApi):
    resource_name = "field"
    datamodel = VietnameseInterface(m.Field)
    class_permission_name = "Field"
    list_columns = show_columns = ["id", "code", "name", "active"]
    add_columns = edit_columns = ["code", "name", "active"]
    order_columns = ["code", "name"]


class UrgencyLevelView(CatalogView):
    datamodel = VietnameseInterface(m.UrgencyLevel)
    class_permission_name = "UrgencyLevel"
    list_title = show_title = _l("Độ khẩn")
    add_title = _l("Thêm độ khẩn")
    edit_title = _l("Sửa độ khẩn")
    list_columns = add_columns = edit_columns = show_columns = ["name", "priority", "is_urgent",
                                                                "processing_days"]
    base_order = ("priority", "asc")
    label_columns = {"name": _l("Độ khẩn"), "priority": _l("Mức ưu tiên (edXML)"),
                     "is_urgent": _l("Xử lý ngay"), "processing_days": PROCESSING_DAYS}
    description_columns = {"processing_days": PROCESSING_DAYS_HELP}


class UrgencyLevelApi(EofficeApi):
    resource_name = "urgency"
    datamodel = VietnameseInterface(m.UrgencyLevel)
    class_permission_name = "UrgencyLevel"
    list_columns = show_columns = ["id", "name", "priority", "is_urgent", "processing_days"]
    add_columns = edit_columns = ["name", "priority", "is_urgent", "processing_days"]


class SecrecyLevelView(CatalogView):
    datamodel = VietnameseInterface(m.SecrecyLevel)
    class_permission_name = "SecrecyLevel"
    list_title = show_title = _l("Độ mật")
    add_title = _l("Thêm độ mật")
    edit_title = _l("Sửa độ mật")
    list_columns = add_columns = edit_columns = show_columns = ["name", "level"]
    base_order = ("level", "asc")
    label_columns = {"name": _l("Độ mật"), "level": _l("Cấp độ")}


class SecrecyLevelApi(EofficeApi):
    resource_name = "secrecy"
    datamodel = VietnameseInterface(m.SecrecyLevel)
    class_permission_name = "SecrecyLevel"
    list_columns = show_columns = ["id", "name", "level"]
    add_columns = edit_columns = ["name", "level"]


SIGNER_COLUMNS = ["full_name", "position_title", "authority", "user", "active"]


class SignerView(LegacyConvertMixin, CatalogView):
    datamodel = VietnameseInterface(m.Signer)
    class_permission_name = "Signer"
    legacy_convert_columns = ["full_name", "position_title"]
    list_title = show_title = _l("Người ký")
    add_title = _l("Thêm người ký")
    edit_title = _l("Sửa người ký")
    list_columns = ["full_name", "position_title", "authority", "active"]
    add_columns = edit_columns = show_columns = SIGNER_COLUMNS
    search_columns = ["full_name", "position_title", "authority"]
    quick_search_columns = ("full_name", "position_title")
    base_order = ("full_name", "asc")
    label_columns = {"full_name": _l("Họ và tên"), "position_title": _l("Chức vụ"),
                     "authority": _l("Thẩm quyền ký"), "user": _l("Tài khoản"),
                     "active": ACTIVE}
    edit_form_extra_fields = add_form_extra_fields = {
        "authority": SelectField(_l("Thẩm quyền ký"), choices=m.SIGNING_AUTHORITIES),
    }


class SignerApi(EofficeApi):
    resource_name = "signer"
    datamodel = VietnameseInterface(m.Signer)
    class_permission_name = "Signer"
    list_columns = show_columns = ["id", "full_name", "position_title", "authority", "user.id",
                                   "active"]
    add_columns = edit_columns = ["full_name", "position_title", "authority", "user", "active"]
    validators_columns = {"authority": api_validator(m.check_authority)}


REGISTER_COLUMNS = ["name", "direction", "year", "is_secret", "document_type", "active"]


class RegisterView(CatalogView):
    datamodel = VietnameseInterface(m.Register)
    class_permission_name = "Register"
    list_title = show_title = _l("Sổ văn bản")
    add_title = _l("Thêm sổ văn bản")
    edit_title = _l("Sửa sổ văn bản")
    list_columns = add_columns = edit_columns = show_columns = REGISTER_COLUMNS
    search_columns = ["name", "direction", "year", "is_secret"]
    base_order = ("year", "desc")
    label_columns = {"name": _l("Tên sổ"), "direction": _l("Loại sổ"), "year": _l("Năm"),
                     "is_secret": _l("Sổ văn bản mật"),
                     "document_type": _l("Chỉ dùng cho loại văn bản"), "active": ACTIVE}
    formatters_columns = {"direction": lambda d: str(dict(m.Register.DIRECTIONS).get(d, d))}
    edit_form_extra_fields = add_form_extra_fields = {
        "direction": SelectField(_l("Loại sổ"), choices=m.Register.DIRECTIONS),
    }
    validators_columns = {"year": [form_validator(m.check_register_year)]}


class RegisterApi(EofficeApi):
    resource_name = "register"
    datamodel = VietnameseInterface(m.Register)
    class_permission_name = "Register"
    list_columns = show_columns = ["id", "name", "direction", "year", "is_secret",
                                   "document_type.id", "document_type.name", "active"]
    add_columns = edit_columns = REGISTER_COLUMNS
    order_columns = ["name", "year"]
    validators_columns = {"year": api_validator(m.check_register_year)}


class RetentionPeriodView(CatalogView):
    datamodel = VietnameseInterface(m.RetentionPeriod)
    class_permission_name = "RetentionPeriod"
    list_title = show_title = _l("Thời hạn bảo quản")
    add_title = _l("Thêm thời hạn bảo quản")
    edit_title = _l("Sửa thời hạn bảo quản")
    list_columns = add_columns = edit_columns = show_columns = ["name", "years"]
    base_order = ("years", "asc")
    label_columns = {"name": _l("Thời hạn"), "years": _l("Số năm (để trống nếu vĩnh viễn)")}


class RetentionPeriodApi(EofficeApi):
    resource_name = "retention"
    datamodel = VietnameseInterface(m.RetentionPeriod)
    class_permission_name = "RetentionPeriod"
    list_columns = show_columns = ["id", "name", "years"]
    add_columns = edit_columns = ["name", "years"]


class MeetingRoomView(CatalogView):
    datamodel = VietnameseInterface(m.MeetingRoom)
    class_permission_name = "MeetingRoom"
    list_title = show_title = _l("Phòng họp, địa điểm")
    add_title = _l("Thêm phòng họp")
    edit_title = _l("Sửa phòng họp")
    list_columns = add_columns = edit_columns = show_columns = ["name", "location", "capacity",
                                                                "active"]
    search_columns = ["name", "location"]
    quick_search_columns = ("name", "location")
    base_order = ("name", "asc")
    label_columns = {"name": _l("Tên phòng họp"), "location": _l("Vị trí"),
                     "capacity": _l("Sức chứa (người)"), "active": ACTIVE}


class MeetingRoomApi(EofficeApi):
    resource_name = "meeting_room"
    datamodel = VietnameseInterface(m.MeetingRoom)
    class_permission_name = "MeetingRoom"
    list_columns = show_columns = ["id", "name", "location", "capacity", "active"]
    add_columns = edit_columns = ["name", "location", "capacity", "active"]


class NewsCategoryView(CatalogView):
    datamodel = VietnameseInterface(m.NewsCategory)
    class_permission_name = "NewsCategory"
    list_title = show_title = _l("Chuyên mục tin")
    add_title = _l("Thêm chuyên mục tin")
    edit_title = _l("Sửa chuyên mục tin")
    list_columns = add_columns = edit_columns = show_columns = ["name", "sort_order", "active"]
    base_order = ("sort_order", "asc")
    label_columns = {"name": _l("Tên chuyên mục"), "sort_order": _l("Thứ tự"),
                     "active": ACTIVE}


class NewsCategoryApi(EofficeApi):
    resource_name = "news_category"
    datamodel = VietnameseInterface(m.NewsCategory)
    class_permission_name = "NewsCategory"
    list_columns = show_columns = ["id", "name", "sort_order", "active"]
    add_columns = edit_columns = ["name", "sort_order", "active"]


# (menu name, label, icon, view, api) in menu order
CATALOGS = [
    ("DocumentTypes", _l("Loại văn bản"), "fa-file-lines", DocumentTypeView, DocumentTypeApi),
    ("Registers", _l("Sổ văn bản"), "fa-book", RegisterView, RegisterApi),
    ("Agencies", _l("Cơ quan, tổ chức"), "fa-building", AgencyView, AgencyApi),
    ("Fields", _l("Lĩnh vực"), "fa-tags", FieldView, FieldApi),
    ("Signers", _l("Người ký"), "fa-signature", SignerView, SignerApi),
    ("UrgencyLevels", _l("Độ khẩn"), "fa-bolt", UrgencyLevelView, UrgencyLevelApi),
    ("SecrecyLevels", _l("Độ mật"), "fa-user-secret", SecrecyLevelView, SecrecyLevelApi),
    ("RetentionPeriods", _l("Thời hạn bảo quản"), "fa-box-archive", RetentionPeriodView,
     RetentionPeriodApi),
    ("MeetingRooms", _l("Phòng họp, địa điểm"), "fa-door-open", MeetingRoomView,
     MeetingRoomApi),
    ("NewsCategories", _l("Chuyên mục tin"), "fa-newspaper", NewsCategoryView,
     NewsCategoryApi),
]


def register_views(appbuilder):
    for name, label, icon, view, api in CATALOGS:
        # The API's columns carry the grid's Vietnamese labels (its `_info`, its errors).
        api.label_columns = {"id": _l("Mã số"), **view.label_columns, **(api.label_columns or {})}
        appbuilder.add_view(view, name, label=label, icon=icon, category="Catalogs",
                            category_label=_l("Danh mục"), category_icon="fa-list")
        appbuilder.add_api(api)
