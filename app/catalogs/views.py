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
from app.core.views import EofficeModelView, GridFilter, grid_and_api

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
        cls.base_filters = GridFilter.base(
            visible=lambda _user: true(),
            search=lambda text: search.folded_contains(datamodel.session, datamodel.obj,
                                                       columns, text))

    def render_template(self, template, **kwargs):
        labels = [str(self.label_columns.get(c, c)) for c in self.quick_search_columns]
        labels = ", ".join(label[:1].lower() + label[1:] for label in labels)
        kwargs.update(q=request.args.get("q", ""),
                      q_placeholder=_("Tìm theo %(columns)s (gõ có dấu hay không dấu đều được)",
                                      columns=labels))
        return super().render_template(template, **kwargs)


# The choices of the add and edit forms (FAB would offer a text box).
KIND_FIELD = {"kind": SelectField(_l("Nhóm"), coerce=int,
                                  choices=[(k, v) for k, v in m.DOCUMENT_KINDS.items()])}
AUTHORITY_FIELD = {"authority": SelectField(_l("Thẩm quyền ký"), choices=m.SIGNING_AUTHORITIES)}
DIRECTION_FIELD = {"direction": SelectField(_l("Loại sổ"), choices=m.Register.DIRECTIONS)}

# Each catalog's grid and REST resource (app.core.views.grid_and_api): one permission name.

DocumentTypeView, DocumentTypeApi = grid_and_api(
    m.DocumentType, "document_type",
    (_l("Loại văn bản"), _l("Thêm loại văn bản"), _l("Sửa loại văn bản")),
    ["name", "abbreviation", "kind", "processing_days", "sort_order", "active"],
    base=(LegacyConvertMixin, CatalogView), legacy_convert_columns=["name"],
    list_columns=["name", "abbreviation", "kind", "active"],
    search_columns=["name", "abbreviation", "kind", "active"],
    quick_search_columns=("name", "abbreviation"), base_order=("sort_order", "asc"),
    label_columns={"name": _l("Tên loại văn bản"), "abbreviation": _l("Viết tắt"),
                   "kind": _l("Nhóm"), "sort_order": _l("Thứ tự"), "active": ACTIVE,
                   "processing_days": PROCESSING_DAYS},
    description_columns={"abbreviation": _l("Ví dụ QĐ, TB, KH; để trống với Công văn."),
                         "processing_days": PROCESSING_DAYS_HELP},
    formatters_columns={"kind": lambda k: str(m.DOCUMENT_KINDS.get(k, k))},
    add_form_extra_fields=KIND_FIELD, edit_form_extra_fields=KIND_FIELD,
    api={"order_columns": ["name", "abbreviation", "sort_order"]})

AgencyView, AgencyApi = grid_and_api(
    m.Agency, "agency", (_l("Cơ quan, tổ chức"), _l("Thêm cơ quan"), _l("Sửa cơ quan")),
    ["name", "short_name", "electronic_id", "legacy_code", "address", "email", "phone",
     "active"],
    base=(LegacyConvertMixin, CatalogView),
    legacy_convert_columns=["name", "short_name", "address"],
    list_columns=["name", "short_name", "electronic_id", "email", "active"],
    search_columns=["name", "short_name", "electronic_id", "legacy_code", "email"],
    quick_search_columns=("name", "short_name", "electronic_id", "legacy_code", "email"),
    base_order=("name", "asc"),
    label_columns={"name": _l("Tên cơ quan"), "short_name": _l("Tên viết tắt"),
                   "electronic_id": _l("Mã định danh điện tử"),
                   "legacy_code": _l("Mã cũ (QCVN 102)"), "address": _l("Địa chỉ"),
                   "email": _l("Thư điện tử"), "phone": _l("Điện thoại"), "active": ACTIVE},
    description_columns={"electronic_id": _l("13 ký tự, ví dụ 000.00.00.H30")},
    validators_columns={"electronic_id": [form_validator(m.check_electronic_id)]},
    api={"order_columns": ["name", "short_name", "electronic_id"],
         "validators_columns": {"electronic_id": api_validator(m.check_electronic_id)}})

FieldView, FieldApi = grid_and_api(
    m.Field, "field", (_l("Lĩnh vực"), _l("Thêm lĩnh vực"), _l("Sửa lĩnh vực")),
    ["code", "name", "active"], base=(LegacyConvertMixin, CatalogView),
    legacy_convert_columns=["name"], search_columns=["code", "name"],
    quick_search_columns=("name", "code"), base_order=("name", "asc"),
    label_columns={"code": _l("Mã"), "name": _l("Tên lĩnh vực"), "active": ACTIVE},
    api={"order_columns": ["code", "name"]})

UrgencyLevelView, UrgencyLevelApi = grid_and_api(
    m.UrgencyLevel, "urgency", (_l("Độ khẩn"), _l("Thêm độ khẩn"), _l("Sửa độ khẩn")),
    ["name", "priority", "is_urgent", "processing_days"], CatalogView,
    base_order=("priority", "asc"),
    label_columns={"name": _l("Độ khẩn"), "priority": _l("Mức ưu tiên (edXML)"),
                   "is_urgent": _l("Xử lý ngay"), "processing_days": PROCESSING_DAYS},
    description_columns={"processing_days": PROCESSING_DAYS_HELP})

SecrecyLevelView, SecrecyLevelApi = grid_and_api(
    m.SecrecyLevel, "secrecy", (_l("Độ mật"), _l("Thêm độ mật"), _l("Sửa độ mật")),
    ["name", "level"], CatalogView, base_order=("level", "asc"),
    label_columns={"name": _l("Độ mật"), "level": _l("Cấp độ")})

SignerView, SignerApi = grid_and_api(
    m.Signer, "signer", (_l("Người ký"), _l("Thêm người ký"), _l("Sửa người ký")),
    ["full_name", "position_title", "authority", "user", "active"],
    base=(LegacyConvertMixin, CatalogView), legacy_convert_columns=["full_name", "position_title"],
    listed=["id", "full_name", "position_title", "authority", "user.id", "active"],
    list_columns=["full_name", "position_title", "authority", "active"],
    search_columns=["full_name", "position_title", "authority"],
    quick_search_columns=("full_name", "position_title"), base_order=("full_name", "asc"),
    label_columns={"full_name": _l("Họ và tên"), "position_title": _l("Chức vụ"),
                   "authority": _l("Thẩm quyền ký"), "user": _l("Tài khoản"),
                   "active": ACTIVE},
    add_form_extra_fields=AUTHORITY_FIELD, edit_form_extra_fields=AUTHORITY_FIELD,
    api={"validators_columns": {"authority": api_validator(m.check_authority)}})

RegisterView, RegisterApi = grid_and_api(
    m.Register, "register", (_l("Sổ văn bản"), _l("Thêm sổ văn bản"), _l("Sửa sổ văn bản")),
    ["name", "direction", "year", "is_secret", "document_type", "active"], CatalogView,
    listed=["id", "name", "direction", "year", "is_secret", "document_type.id",
            "document_type.name", "active"],
    search_columns=["name", "direction", "year", "is_secret"], base_order=("year", "desc"),
    label_columns={"name": _l("Tên sổ"), "direction": _l("Loại sổ"), "year": _l("Năm"),
                   "is_secret": _l("Sổ văn bản mật"),
                   "document_type": _l("Chỉ dùng cho loại văn bản"), "active": ACTIVE},
    formatters_columns={"direction": lambda d: str(dict(m.Register.DIRECTIONS).get(d, d))},
    add_form_extra_fields=DIRECTION_FIELD, edit_form_extra_fields=DIRECTION_FIELD,
    validators_columns={"year": [form_validator(m.check_register_year)]},
    api={"order_columns": ["name", "year"],
         "validators_columns": {"year": api_validator(m.check_register_year)}})

RetentionPeriodView, RetentionPeriodApi = grid_and_api(
    m.RetentionPeriod, "retention",
    (_l("Thời hạn bảo quản"), _l("Thêm thời hạn bảo quản"), _l("Sửa thời hạn bảo quản")),
    ["name", "years"], CatalogView, base_order=("years", "asc"),
    label_columns={"name": _l("Thời hạn"), "years": _l("Số năm (để trống nếu vĩnh viễn)")})

MeetingRoomView, MeetingRoomApi = grid_and_api(
    m.MeetingRoom, "meeting_room",
    (_l("Phòng họp, địa điểm"), _l("Thêm phòng họp"), _l("Sửa phòng họp")),
    ["name", "location", "capacity", "active"], CatalogView,
    search_columns=["name", "location"], quick_search_columns=("name", "location"),
    base_order=("name", "asc"),
    label_columns={"name": _l("Tên phòng họp"), "location": _l("Vị trí"),
                   "capacity": _l("Sức chứa (người)"), "active": ACTIVE})

NewsCategoryView, NewsCategoryApi = grid_and_api(
    m.NewsCategory, "news_category",
    (_l("Chuyên mục tin"), _l("Thêm chuyên mục tin"), _l("Sửa chuyên mục tin")),
    ["name", "sort_order", "active"], CatalogView, base_order=("sort_order", "asc"),
    label_columns={"name": _l("Tên chuyên mục"), "sort_order": _l("Thứ tự"), "active": ACTIVE})


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
