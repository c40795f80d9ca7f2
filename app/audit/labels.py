"""The audit trail in the application's words: object types, field names and values as the
screens show them. The trail stores raw values (table names, field names, state codes, ids,
UTC ISO times); they are rendered here at display time, so old lines read as well as new ones.

Where the wording comes from, first found wins:
- object types: FAB_TYPE_LABELS (FAB's own tables), a model's `__label__`, the association
  tables' app.core.db.TABLE_LABELS, OTHER_TYPE_LABELS (objects that are not tables);
- field names: TABLE_FIELD_LABELS (a table's own wording), the label a screen or REST resource
  gives the field (`label_columns` of the views in appbuilder.baseviews, FAB's made-up English
  labels excepted), the column's `info["label"]`, FIELD_LABELS (the wording shared by every
  table), and for a foreign key `x_id` the label of its relationship `x`;
- values: VALUE_LABELS (state codes and the like), then by the column's type.

tests/test_audit_readable.py walks every audited column and relationship: a new field without
a Vietnamese label fails there."""
import json
import re
from datetime import date, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, Time, inspect, select
from sqlalchemy.orm import RelationshipProperty

FAB_TYPE_LABELS = {
    "ab_user": _l("người dùng"), "ab_role": _l("vai trò"),
    "ab_user_role": _l("vai trò của người dùng"), "ab_group": _l("nhóm người dùng"),
    "ab_user_group": _l("người dùng trong nhóm"), "ab_group_role": _l("vai trò của nhóm"),
    "ab_api_key": _l("khóa API"), "ab_permission": _l("quyền"),
    "ab_view_menu": _l("chức năng"), "ab_permission_view": _l("quyền trên chức năng"),
    "ab_permission_view_role": _l("quyền của vai trò"),
    "ab_register_user": _l("đăng ký tài khoản"),
}
# Objects of the trail that are not tables (record(object_type=…)).
OTHER_TYPE_LABELS = {
    "backup": _l("bản sao lưu"), "report": _l("báo cáo"),
    "import_template": _l("mẫu nhập dữ liệu"),
}

# The wording of a field name, whatever the table (a table's own wording is below).
FIELD_LABELS = {
    "functions": _l("Chức năng"), "id": _l("Mã số"), "name": _l("Tên"),
    "title": _l("Tiêu đề"), "code": _l("Mã"),
    "active": _l("Đang dùng"), "notes": _l("Ghi chú"), "note": _l("Ghi chú"),
    "description": _l("Mô tả"), "label": _l("Nhãn"), "kind": _l("Loại"),
    "level": _l("Cấp"), "position": _l("Vị trí"), "year": _l("Năm"), "month": _l("Tháng"),
    "number": _l("Số"), "symbol": _l("Ký hiệu"), "number_symbol": _l("Số, ký hiệu"),
    "number_symbol_key": _l("Số, ký hiệu (để tra cứu)"), "excerpt": _l("Trích yếu"),
    "content": _l("Nội dung"), "body": _l("Nội dung"), "summary": _l("Tóm tắt"),
    "state": _l("Trạng thái"), "status": _l("Trạng thái"), "version": _l("Phiên bản"),
    "created_at": _l("Thời điểm tạo"), "created_on": _l("Ngày tạo"),
    "created": _l("Ngày tạo"), "changed": _l("Ngày sửa"), "changed_on": _l("Ngày sửa"),
    "created_by": _l("Người tạo"), "created_by_id": _l("Người tạo"),
    "changed_by": _l("Người sửa"), "changed_by_fk": _l("Người sửa"),
    "created_by_fk": _l("Người tạo"),
    "at": _l("Thời điểm"), "action": _l("Thao tác"), "actor": _l("Người thực hiện"),
    "actor_id": _l("Người thực hiện"),
    "from_state": _l("Trạng thái trước"), "to_state": _l("Trạng thái sau"),
    "from_status": _l("Trạng thái trước"), "to_status": _l("Trạng thái sau"),
    "events": _l("Lịch sử"), "files": _l("Tệp đính kèm"), "file": _l("Tệp"),
    "file_id": _l("Tệp"), "items": _l("Các mục"), "versions": _l("Các phiên bản"),
    "revisions": _l("Các phiên bản"), "images": _l("Ảnh"), "children": _l("Đơn vị trực thuộc"),
    "parent": _l("Thuộc"), "parent_id": _l("Thuộc"),
    "department": _l("Đơn vị"), "department_id": _l("Đơn vị"),
    "user": _l("Người dùng"), "user_id": _l("Người dùng"), "users": _l("Người dùng"),
    "owner": _l("Người lập"), "owner_id": _l("Người lập"),
    "document": _l("Văn bản"), "document_id": _l("Văn bản"),
    "incoming": _l("Văn bản đến"), "incoming_id": _l("Văn bản đến"),
    "outgoing": _l("Văn bản đi"), "outgoing_id": _l("Văn bản đi"),
    "draft": _l("Dự thảo"), "draft_id": _l("Dự thảo"),
    "dossier": _l("Hồ sơ công việc"), "dossier_id": _l("Hồ sơ công việc"),
    "dossiers": _l("Hồ sơ công việc"),
    "secrecy": _l("Độ mật"), "secrecy_id": _l("Độ mật"),
    "urgency": _l("Độ khẩn"), "urgency_id": _l("Độ khẩn"),
    "agency": _l("Cơ quan"), "agency_id": _l("Cơ quan"),
    "replaces": _l("Thay thế cho"), "replaces_id": _l("Thay thế cho"),
    "uploaded_at": _l("Thời điểm tải lên"), "uploaded_by": _l("Người tải lên"),
    "uploaded_by_id": _l("Người tải lên"), "page_count": _l("Số trang"),
    "backfill_reason": _l("Lý do nhập bổ sung"), "entered_at": _l("Thời điểm nhập"),
    "completed_at": _l("Thời điểm hoàn thành"), "closed_at": _l("Thời điểm đóng"),
    "result_note": _l("Kết quả xử lý"), "deadline": _l("Hạn xử lý"),
    "published_at": _l("Thời điểm đăng"), "publish_at": _l("Hẹn giờ đăng"),
    "place": _l("Địa điểm"), "role": _l("Vai trò"), "roles": _l("Vai trò"),
    "groups": _l("Nhóm"), "group": _l("Nhóm"), "recipients": _l("Nơi nhận"),
    "signer_position": _l("Chức vụ người ký"), "signer_name": _l("Người ký"),
    "signer_authority": _l("Thẩm quyền ký"), "issued_at": _l("Thời điểm phát hành"),
    "issued_by": _l("Người phát hành"), "issued_by_id": _l("Người phát hành"),
    "api_keys": _l("Khóa API"), "permissions": _l("Quyền"),
    "week": _l("Tuần"), "week_id": _l("Lịch công tác tuần"), "day": _l("Ngày"),
}

# A table's own wording of a field, where the shared one would mislead.
TABLE_FIELD_LABELS = {
    "ab_user": {
        "compromised_at": _l("Báo lộ mật khẩu lúc"), "locked_until": _l("Khóa đến"),
        "must_change_password": _l("Phải đổi mật khẩu"),
        "otp_last_step": _l("Mã xác thực hai bước đã dùng"), "created": _l("Ngày tạo"),
        "changed": _l("Ngày sửa"),
    },
    "ab_role": {"user": _l("Người dùng"), "groups": _l("Nhóm")},
    "ab_group": {"name": _l("Tên nhóm"), "label": _l("Nhãn"), "description": _l("Mô tả"),
                 "roles": _l("Vai trò"), "users": _l("Người dùng")},
    "ab_api_key": {
        "name": _l("Tên khóa"), "uuid": _l("Mã định danh"), "key_hash": _l("Mã băm của khóa"),
        "key_prefix": _l("Đầu khóa"), "lookup_hash": _l("Mã băm tra cứu"),
        "scopes": _l("Phạm vi"), "active": _l("Đang dùng"), "created_on": _l("Ngày tạo"),
        "expires_on": _l("Hết hạn"), "revoked_on": _l("Thu hồi lúc"),
        "last_used_on": _l("Dùng lần cuối"),
    },
    "document_file": {
        "original_name": _l("Tên tệp"), "content_type": _l("Kiểu tệp"),
        "size": _l("Dung lượng (byte)"), "sha256": _l("Mã băm SHA-256"),
        "storage_name": _l("Tên lưu trữ"), "stamp_left_mm": _l("Dấu đến: cách lề trái (mm)"),
        "stamp_top_mm": _l("Dấu đến: cách lề trên (mm)"), "incoming": _l("Văn bản đến"),
        "signature_state": _l("Chữ ký số"), "signature_report": _l("Kết quả kiểm tra chữ ký số"),
        "signature_checked_at": _l("Kiểm tra chữ ký số lúc"),
        "ocr_state": _l("Nhận dạng chữ (OCR)"), "ocr_storage_name": _l("Tên lưu bản có lớp chữ"),
        "ocr_message": _l("Lý do không nhận dạng được chữ"),
        "ocr_at": _l("Nhận dạng chữ lúc"),
    },
    "incoming_document": {
        "arrival_year": _l("Năm đến"), "assignments": _l("Phân công xử lý"),
        "direction": _l("Ý kiến chỉ đạo"), "reply_reference": _l("Trả lời văn bản"),
        "signer_name": _l("Người ký"), "signer_position": _l("Chức vụ người ký"),
        "created_at": _l("Thời điểm vào sổ"), "created_by": _l("Người vào sổ"),
        "created_by_id": _l("Người vào sổ"),
        "submitted_to": _l("Trình lãnh đạo"), "submitted_to_id": _l("Trình lãnh đạo"),
    },
    "incoming_assignment": {
        "instruction": _l("Ý kiến chỉ đạo của dòng"),
        "assigned_at": _l("Thời điểm phân công"), "assigned_by": _l("Người phân công"),
        "assigned_by_id": _l("Người phân công"), "role": _l("Vai trò xử lý"),
        "user": _l("Người xử lý"), "user_id": _l("Người xử lý"),
        "department": _l("Đơn vị xử lý"), "department_id": _l("Đơn vị xử lý"),
        "parent_id": _l("Phân công cấp trên"), "progress_note": _l("Tiến độ xử lý"),
        "completed_entered_at": _l("Thời điểm nhập hoàn thành"),
        "completed_backfill_reason": _l("Lý do nhập bổ sung hoàn thành"),
    },
    "outgoing_document": {
        "archive_holder": _l("Lưu"), "copies": _l("Số bản"), "draft": _l("Dự thảo"),
        "recall_reason": _l("Lý do thu hồi"), "place": _l("Địa danh"),
        "replaces": _l("Thay thế văn bản"), "replaces_id": _l("Thay thế văn bản"),
    },
    "outgoing_recipient": {
        "kind": _l("Loại nơi nhận"), "status": _l("Trạng thái gửi"),
        "dispatched_at": _l("Thời điểm gửi"), "read_at": _l("Thời điểm đọc"),
        "user": _l("Người nhận"), "user_id": _l("Người nhận"),
    },
    "outgoing_file": {"role": _l("Loại tệp")},
    "draft": {
        "external_agencies": _l("Nơi nhận bên ngoài"), "internal_units": _l("Đơn vị nhận"),
        "internal_users": _l("Người nhận"), "outgoing": _l("Văn bản phát hành"),
        "reply_to": _l("Trả lời văn bản đến"), "reply_to_id": _l("Trả lời văn bản đến"),
        "replaces": _l("Thay thế văn bản"), "replaces_id": _l("Thay thế văn bản"),
    },
    "draft_version": {"number": _l("Số phiên bản"), "note": _l("Ghi chú phiên bản")},
    "dossier": {"handed_over_at": _l("Thời điểm nộp lưu"), "items": _l("Văn bản trong hồ sơ"),
                "created_by": _l("Người tạo"), "created_by_id": _l("Người tạo")},
    "dossier_item": {"added_at": _l("Thời điểm thêm"), "added_by": _l("Người thêm"),
                     "added_by_id": _l("Người thêm"), "position": _l("Số thứ tự"),
                     "sheets": _l("Số tờ")},
    "dossier_plan_item": {"dossiers": _l("Hồ sơ đã lập")},
    "request_form": {"assignee": _l("Người xử lý"), "assignee_id": _l("Người xử lý"),
                     "refusal_reason": _l("Lý do từ chối"), "content": _l("Nội dung yêu cầu")},
    "request_form_event": {"request": _l("Phiếu yêu cầu"), "request_id": _l("Phiếu yêu cầu")},
    "schedule_feed": {"revoked_at": _l("Thu hồi lúc")},
    "schedule_week": {
        "approved_by": _l("Người duyệt"), "approved_by_id": _l("Người duyệt"),
        "submitted_by": _l("Người trình"), "submitted_by_id": _l("Người trình"),
        "return_reason": _l("Lý do trả lại"), "level": _l("Cấp lịch"),
        "items": _l("Các mục lịch"), "owner": _l("Người có lịch"),
        "owner_id": _l("Người có lịch"), "week": _l("Tuần"),
    },
    "schedule_item": {
        "cancel_pending": _l("Sẽ hủy"), "chair": _l("Chủ trì"), "chair_id": _l("Chủ trì"),
        "chair_text": _l("Chủ trì (ghi rõ)"), "change": _l("Điều chỉnh"),
        "changed_at": _l("Thời điểm điều chỉnh"), "content": _l("Nội dung công việc"),
        "created_by_id": _l("Người tạo"), "day": _l("Ngày"), "start_time": _l("Giờ bắt đầu"),
        "end_time": _l("Giờ kết thúc"), "participants_text": _l("Thành phần (ghi rõ)"),
        "pending": _l("Sẽ bổ sung"), "people": _l("Thành phần"),
        "preparing_unit": _l("Đơn vị chuẩn bị"), "preparing_unit_id": _l("Đơn vị chuẩn bị"),
        "private": _l("Riêng tư"), "room": _l("Phòng họp"), "room_id": _l("Phòng họp"),
        "series": _l("Chuỗi lịch lặp"), "session": _l("Buổi"),
        "units": _l("Đơn vị tham dự"), "week_record": _l("Lịch công tác tuần"),
        "replaces": _l("Thay cho mục"), "replaces_id": _l("Thay cho mục"),
    },
    "news_item": {
        "author": _l("Tác giả"), "author_id": _l("Tác giả"), "category": _l("Chuyên mục"),
        "category_id": _l("Chuyên mục"), "cover_image": _l("Ảnh đại diện"),
        "cover_image_id": _l("Ảnh đại diện"), "featured": _l("Tin nổi bật"),
        "publisher": _l("Người đăng"), "publisher_id": _l("Người đăng"),
        "return_comment": _l("Ý kiến trả lại"), "summary": _l("Tóm tắt"),
    },
}


# (table, field) → the name of the dict, in the model's own module, that words its codes
# (found through the model class: the trail is below the domains and imports none of them).
VALUE_DICTS = {
    ("incoming_document", "state"): "STATES", ("incoming_document", "channel"): "CHANNELS",
    ("incoming_assignment", "state"): "ASSIGNMENT_STATES",
    ("incoming_assignment", "role"): "ASSIGNMENT_ROLES",
    ("draft", "state"): "DRAFT_STATES", ("outgoing_document", "state"): "OUTGOING_STATES",
    ("draft", "signing_method"): "SIGNING_METHODS", ("electronic_copy", "form"): "COPY_FORMS",
    ("outgoing_file", "role"): "FILE_ROLES", ("outgoing_recipient", "status"): "DISPATCH_STATES",
    ("document_type", "kind"): "DOCUMENT_KINDS",
    ("dossier", "status"): "STATUSES", ("dossier_event", "from_status"): "STATUSES",
    ("dossier_event", "to_status"): "STATUSES",
    ("news_item", "state"): "STATES",
    ("request_form", "state"): "STATES", ("request_form_event", "from_state"): "STATES",
    ("request_form_event", "to_state"): "STATES",
    ("schedule_week", "state"): "STATES", ("schedule_week", "level"): "LEVELS",
    ("schedule_item", "session"): "SESSIONS", ("schedule_item", "change"): "CHANGES",
}
# Codes no domain dict words.
VALUE_LABELS = {
    ("document_file", "signature_state"): {
        "valid": _l("Hợp lệ"), "invalid": _l("Không hợp lệ"), "unknown": _l("Không xác định"),
        "unsigned": _l("Không có chữ ký số")},
    ("document_file", "ocr_state"): {
        "waiting": _l("Đang chờ nhận dạng"), "done": _l("Đã nhận dạng"),
        "failed": _l("Không nhận dạng được"), "off": _l("Chưa bật nhận dạng chữ")},
    ("outgoing_recipient", "kind"): {"unit": _l("Đơn vị trong cơ quan"),
                                     "user": _l("Cá nhân trong cơ quan"),
                                     "external": _l("Cơ quan bên ngoài")},
}


def _value_labels(models):
    """(table, field) → {stored code: label}."""
    import sys

    found = dict(VALUE_LABELS)
    for (table, field), name in VALUE_DICTS.items():
        model = models.get(table)
        codes = getattr(sys.modules.get(getattr(model, "__module__", "")), name, None)
        if isinstance(codes, list | tuple):
            codes = dict(codes)
        if isinstance(codes, dict):
            found[(table, field)] = codes
    return found


# ---------------------------------------------------------------- the registry (computed once)

_REGISTRY = {}


def _fab_made_up(field, label) -> bool:
    """FAB fills every unlabelled column with its name in English Title Case."""
    return str(label) == re.sub("[._]", " ", field).title()


def _registry():
    """{"models": {table: model}, "fields": {table: {field: label}}, "values": {...}}: built
    once per process, from the models and the views registered (needs the application)."""
    from flask import current_app, has_app_context
    from flask_appbuilder import Model

    if not has_app_context() and _REGISTRY.get("stamp"):
        return _REGISTRY  # e.g. a script's session: the registry the application built
    appbuilder = getattr(current_app, "appbuilder", None) if has_app_context() else None
    baseviews = getattr(appbuilder, "baseviews", None) or ()
    # Rebuilt while the application is still being set up (models imported, views added).
    # Asked for each value of an export's lines: the stamp is two lengths (the registry's
    # public `mappers` builds a set of every mapper at each call; it is made of `_managers`).
    stamp = (len(Model.registry._managers), len(baseviews))
    if _REGISTRY.get("stamp") == stamp:
        return _REGISTRY

    models = {}
    for mapper in Model.registry.mappers:
        table = mapper.local_table.name
        known = models.get(table)
        if known is None or issubclass(mapper.class_, known):  # the app's User, not FAB's
            models[table] = mapper.class_
    views = {}
    for view in baseviews:
        datamodel = getattr(view, "datamodel", None)
        obj = getattr(datamodel, "obj", None)
        if obj is None or not hasattr(obj, "__table__"):
            continue
        for field, label in (getattr(view, "label_columns", None) or {}).items():
            if label and not _fab_made_up(field, label):
                views.setdefault(obj.__table__.name, {}).setdefault(field, label)
    fields = {}
    for table, model in models.items():
        mapper = inspect(model)
        own = TABLE_FIELD_LABELS.get(table, {})
        found = {}
        for attribute in mapper.attrs:
            key = attribute.key
            column = getattr(attribute, "columns", [None])[0]
            info = getattr(column, "info", None) or {}
            label = (own.get(key) or views.get(table, {}).get(key) or info.get("label")
                     or FIELD_LABELS.get(key))
            if label:
                found[key] = label
        for attribute in mapper.relationships:  # x_id: the label of x
            for column in attribute.local_columns:
                if column.key not in found and attribute.key in found:
                    found[column.key] = found[attribute.key]
        fields[table] = found
    values = _value_labels(models)
    _REGISTRY.update(models=models, fields=fields, values=values, stamp=stamp)
    return _REGISTRY


def model_of(table):
    return _registry()["models"].get(table)


def _capitalised(text):
    text = str(text)
    return text[:1].upper() + text[1:]


def type_label(table) -> str:
    """'ab_user' → 'Người dùng', 'incoming_assignment' → 'Phân công xử lý'."""
    from app.core.db import TABLE_LABELS

    if not table:
        return ""
    model = model_of(table)
    label = (FAB_TYPE_LABELS.get(table) or getattr(model, "__label__", None)
             or TABLE_LABELS.get(table) or OTHER_TYPE_LABELS.get(table))
    return _capitalised(label) if label else table


def type_choices():
    """[(object_type, label)] of every type the trail may name, in Vietnamese order."""
    from app.audit.services import NOT_AUDITED
    from app.core.text import vietnamese_sort_key

    types = {t for t in _registry()["models"] if t not in NOT_AUDITED}
    types |= set(OTHER_TYPE_LABELS) | {"audit_event"}
    return sorted(((t, type_label(t)) for t in types),
                  key=lambda pair: vietnamese_sort_key(pair[1]))


def field_label(table, field) -> str:
    """The Vietnamese name of a field (the raw name only if no label exists anywhere, which
    the tests forbid for audited tables)."""
    label = _registry()["fields"].get(table, {}).get(field)
    if label is None:  # not `or`: the truth of a lazy label translates it once more
        label = FIELD_LABELS.get(field)
    return str(label) if label is not None else field


def has_label(table, field) -> bool:
    return bool(_registry()["fields"].get(table, {}).get(field))


# ---------------------------------------------------------------- values

EMPTY = _l("(trống)")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")


def _column(table, field):
    model = model_of(table)
    if model is None:
        return None
    return inspect(model).columns.get(field)


def foreign_target(table, field):
    """The table a foreign-key column points at (a single-column key to an id), else None."""
    column = _column(table, field)
    if column is None or not column.foreign_keys or column.primary_key:
        return None
    return next(iter(column.foreign_keys)).column.table.name


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdecimal() and len(value) < 10:
        return int(value)
    return None


def value_text(table, field, value, names=None) -> str:
    """One stored value as the screens show it."""
    from app.core.timefmt import format_date, format_datetime

    if value is None or value == "" or value == []:
        return str(EMPTY)
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, list | tuple):
        return ", ".join(value_text(table, field, v, names) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(table, field, v, names)}" for k, v in value.items())
    codes = _registry()["values"].get((table, field))
    if codes is not None and value in codes:
        return str(codes[value])
    target = foreign_target(table, field)
    number = _number(value)
    if target and number is not None:
        name = (names or {}).get((target, number))
        return name or f"{type_label(target)} #{number}"
    column = _column(table, field)
    kind = type(column.type) if column is not None else None
    if isinstance(value, str):
        try:
            if ISO_DATETIME.match(value) and kind is not Date:
                return format_datetime(datetime.fromisoformat(value))
            if ISO_DATE.match(value):
                return format_date(date.fromisoformat(value))
            if kind is Time or (kind is None and re.match(r"^\d{2}:\d{2}:\d{2}$", value)):
                return time.fromisoformat(value).strftime("%H:%M")
        except ValueError:
            pass
        return value
    if kind is DateTime and isinstance(value, datetime):
        return format_datetime(value)
    return str(value)


def parse_changes(changes):
    if not changes:
        return {}
    try:
        data = json.loads(changes) if isinstance(changes, str) else changes
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def changes_lines(table, changes, names=None) -> list[tuple[str, str]]:
    """[(field label, "before → after" or "thêm: …; bỏ: …")] of one line's stored changes."""
    data = parse_changes(changes)
    if data is None:
        return [("", str(changes))]
    lines = []
    for field, change in data.items():
        relation = field[:-3] if field.endswith("_id") else None
        if relation and relation in data:  # "department" already says it, by name
            continue
        label = field_label(table, field)
        if isinstance(change, dict) and ("added" in change or "removed" in change):
            parts = []
            if change.get("added"):
                parts.append(_("thêm: %(items)s", items=value_text(
                    table, field, change["added"], names)))
            if change.get("removed"):
                parts.append(_("bỏ: %(items)s", items=value_text(
                    table, field, change["removed"], names)))
            lines.append((label, "; ".join(parts)))
        elif isinstance(change, list) and len(change) == 2:
            before, after = change
            lines.append((label, f"{value_text(table, field, before, names)} → "
                                 f"{value_text(table, field, after, names)}"))
        else:
            lines.append((label, value_text(table, field, change, names)))
    return lines


def changes_text(table, changes, names=None) -> str:
    return "; ".join(f"{label}: {text}" if label else text
                     for label, text in changes_lines(table, changes, names))


# Framework records named in English: the role of visitors not logged in.
FRAMEWORK_NAMES = {("ab_role", "Public"): _l("Khách (chưa đăng nhập)")}


def summary_text(row) -> str:
    """The stored summary, an old object repr replaced by the type label and the id."""
    summary = row.summary or ""
    if (row.object_type, summary) in FRAMEWORK_NAMES:
        return str(FRAMEWORK_NAMES[(row.object_type, summary)])
    if OBJECT_REPR.search(summary):
        named = f"{type_label(row.object_type)} #{row.object_id}" if row.object_id else \
            type_label(row.object_type)
        summary = OBJECT_REPR.sub(named, summary)
    return summary


def related_names(session, rows) -> dict:
    """{(table, id): name} of every record the rows' foreign-key values point at: one query
    per related table for the whole page. A secret document is named by its type and id."""
    wanted = {}
    for row in rows:
        data = parse_changes(row.changes) or {}
        for field, change in data.items():
            target = foreign_target(row.object_type, field)
            if not target:
                continue
            values = change if isinstance(change, list) else [change]
            for value in values:
                number = _number(value)
                if number is not None:
                    wanted.setdefault(target, set()).add(number)
    names = {}
    for target, ids in wanted.items():
        model = model_of(target)
        if model is None:
            continue
        key = inspect(model).primary_key[0]
        with session.no_autoflush:
            for item in session.scalars(select(model).where(key.in_(sorted(ids)))):
                number = getattr(item, key.key)
                names[(target, number)] = record_name(item)
    return names


def record_name(item) -> str:
    """How a record is named in the trail: its own wording when its model has one (a secret
    document: its type and id only), else its type label and id."""
    from app.audit.secrecy import DOCUMENT_TYPES, REDACTED

    table = inspect(item).mapper.local_table.name
    identity = inspect(item).identity
    number = ",".join(str(v) for v in identity) if identity else ""
    if table in DOCUMENT_TYPES and getattr(item, "is_secret", False):
        return f"{type_label(table)} #{number} {REDACTED}"
    if has_own_wording(item):
        text = str(item)
        if text and not OBJECT_REPR.search(text):
            return text
    return f"{type_label(table)} #{number}" if number else type_label(table)


def has_own_wording(item) -> bool:
    """The model (or a class of the application or FAB above it) defines __str__ or __repr__."""
    kind = type(item)
    return kind.__str__ is not object.__str__ or kind.__repr__ is not object.__repr__


def is_relationship(table, field) -> bool:
    model = model_of(table)
    return model is not None and isinstance(
        inspect(model).attrs.get(field), RelationshipProperty)
