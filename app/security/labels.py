"""What the network administrator reads in the security panel instead of FAB's internals: a
Vietnamese label for every permission name (`ab_permission.name`: can_list, menu_access…) and
every view or menu name (`ab_view_menu.name`: a view's class_permission_name or a menu name).

Every name that exists in the running application has a label of its own here
(tests/test_security_panel_vi.py checks the database against these tables: a new view or menu
without a label fails that test). A name unknown here still reads as words, never as a class
name (`_readable`), but that is a fallback, not a label.

Menu names read as the path the person follows in the menu ("Văn bản › Văn bản đến"), so that
the menu entry and the function behind it (both called "Văn bản đến") stay apart in the lists.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# ---------------------------------------------------------------- permissions (ab_permission)
PERMISSION_LABELS = {
    # FAB's pages (ModelView, SimpleFormView)
    "can_list": _l("Xem danh sách"),
    "can_show": _l("Xem chi tiết"),
    "can_add": _l("Thêm mới"),
    "can_edit": _l("Sửa"),
    "can_delete": _l("Xóa"),
    "can_download": _l("Tải tệp"),
    "can_this_form_get": _l("Mở biểu mẫu"),
    "can_this_form_post": _l("Gửi biểu mẫu"),
    "can_userinfo": _l("Xem thông tin cá nhân"),
    "userinfoedit": _l("Sửa thông tin cá nhân"),
    "resetmypassword": _l("Đổi mật khẩu của mình"),
    "resetpasswords": _l("Đặt lại mật khẩu"),
    "copyrole": _l("Sao chép vai trò"),
    # FAB's REST resources
    "can_get": _l("Đọc qua API"),
    "can_post": _l("Tạo mới qua API"),
    "can_put": _l("Sửa qua API"),
    "can_info": _l("Xem mô tả API"),
    # ours (app.core.views: one read and one write permission for the page and its API)
    "can_read": _l("Xem"),
    "can_write": _l("Thêm, sửa, xóa"),
    "menu_access": _l("Truy cập menu"),
    "can_approve": _l("Duyệt"),
    "can_compile": _l("Tổng hợp"),
    "can_report": _l("Báo lộ mật khẩu"),
    "can_sessions": _l("Xem và kết thúc phiên đăng nhập"),
    "can_twofactor": _l("Bật, tắt xác thực hai bước"),
    "can_reset_two_factor": _l("Đặt lại xác thực hai bước"),
    "can_unlock": _l("Mở khóa tài khoản"),
    # duties the domains ask for (app.security.roles.CAPABILITIES)
    "can_register": _l("Vào sổ"),
    "can_read_all": _l("Xem tất cả"),
    "can_read_unit": _l("Xem của đơn vị mình"),
    "can_submit": _l("Trình lãnh đạo"),
    "can_direct": _l("Chỉ đạo, giao xử lý"),
    "can_delegate": _l("Giao tiếp cho chuyên viên"),
    "can_read_registers": _l("Xem sổ đăng ký văn bản"),
    "can_review_unit": _l("Duyệt dự thảo của đơn vị"),
    "can_recall": _l("Thu hồi văn bản đã phát hành"),
    "can_sign": _l("Ký duyệt"),
    "can_lead_unit": _l("Sửa, đóng hồ sơ của đơn vị mình lãnh đạo"),
    "can_keep_all": _l("Sửa mọi hồ sơ, giao hồ sơ cho bất kỳ ai"),
    "can_check": _l("Kiểm tra thể thức trước khi phát hành"),
    "can_manage_all": _l("Quản lý của mọi người"),
}

# ---------------------------------------------------------------- views (class_permission_name)
VIEW_LABELS = {
    # FAB's own views
    "HomeView": _l("Trang chủ"),
    "UtilView": _l("Tiện ích chung (quay lại trang trước)"),
    "LocaleView": _l("Chọn ngôn ngữ"),
    "EofficeSecurityApi": _l("Đăng nhập qua API"),
    "EofficeAuthDBView": _l("Đăng nhập, đăng xuất"),
    "UserInfoEditView": _l("Sửa thông tin cá nhân"),
    "ResetPasswordView": _l("Đặt lại mật khẩu người dùng"),
    "ResetMyPasswordView": _l("Đổi mật khẩu của mình"),
    "EofficeUserView": _l("Người dùng"),
    "RoleModelView": _l("Vai trò"),
    "UserGroupModelView": _l("Nhóm người dùng"),
    "PermissionModelView": _l("Danh sách các loại quyền"),
    "ViewMenuModelView": _l("Danh sách chức năng và menu"),
    "PermissionViewModelView": _l("Danh sách quyền trên từng chức năng"),
    "OpenApi": _l("Mô tả API (OpenAPI)"),
    "SwaggerView": _l("Tài liệu API"),
    "MenuApi": _l("Menu qua API"),
    # ours
    "Account": _l("Tài khoản của tôi"),
    "Notification": _l("Thông báo"),
    "IncomingDocument": _l("Văn bản đến"),
    "Draft": _l("Dự thảo văn bản"),
    "OutgoingDocument": _l("Văn bản đi"),
    "Dossier": _l("Hồ sơ công việc"),
    "DossierPlan": _l("Danh mục hồ sơ"),
    "RequestForm": _l("Phiếu yêu cầu"),
    "Schedule": _l("Lịch công tác"),
    "AgencySchedule": _l("Lịch công tác cơ quan"),
    "ScheduleFeedView": _l("Nguồn lịch iCalendar"),
    "News": _l("Tin tức"),
    "Stats": _l("Bảng điều khiển thống kê"),
    "StatsReport": _l("Báo cáo thống kê"),
    "Department": _l("Cơ quan, đơn vị"),
    "Position": _l("Chức vụ"),
    "DocumentType": _l("Loại văn bản"),
    "Register": _l("Sổ văn bản"),
    "Agency": _l("Cơ quan, tổ chức"),
    "Field": _l("Lĩnh vực"),
    "Signer": _l("Người ký"),
    "UrgencyLevel": _l("Độ khẩn"),
    "SecrecyLevel": _l("Độ mật"),
    "RetentionPeriod": _l("Thời hạn bảo quản"),
    "MeetingRoom": _l("Phòng họp, địa điểm"),
    "NewsCategory": _l("Chuyên mục tin"),
    "Exchange": _l("Liên thông văn bản"),  # the view and its menu entry
    "ExchangePartner": _l("Cơ quan liên thông"),
    "Import": _l("Nhập từ Excel"),
    "LegacyText": _l("Chuyển mã TCVN3, VNI"),
    "AuditTrail": _l("Nhật ký hệ thống"),  # the view and its menu entry
    "Backup": _l("Sao lưu dữ liệu"),
    "PermissionMatrix": _l("Phân quyền theo chức năng"),  # its view and its menu entry
    "People": _l("Quản lý người dùng (nhập từ Excel, tài khoản không hoạt động)"),
    "Delegation": _l("Ủy quyền"),
    "SignatureCheck": _l("Kiểm tra chữ ký số"),
    "ElectronicCopy": _l("Bản sao điện tử (sao y)"),
    "Certificate": _l("Chứng thư số (tin cậy, cá nhân)"),
}

# ---------------------------------------------------------------- menus (menu_access)
_SECURITY = _l("Quản trị hệ thống")
_DOCUMENTS = _l("Văn bản")
_WORK = _l("Hồ sơ công việc")
_PORTAL = _l("Lịch và tin tức")
_STATS = _l("Thống kê")
_ORGANISATION = _l("Tổ chức")
_CATALOGS = _l("Danh mục")
_ADVANCED = _l("Nâng cao")


def _in(category, entry):
    return _l("%(category)s › %(entry)s", category=category, entry=entry)


MENU_LABELS = {
    "Security": _SECURITY,
    "List Users": _in(_SECURITY, _l("Người dùng")),
    "List Roles": _in(_SECURITY, _l("Vai trò")),
    "List Groups": _in(_SECURITY, _l("Nhóm người dùng")),
    "Base Permissions": _in(_SECURITY, _in(_ADVANCED, _l("Các loại quyền"))),
    "Views/Menus": _in(_SECURITY, _in(_ADVANCED, _l("Chức năng và menu"))),
    "Permission on Views/Menus": _in(_SECURITY, _in(_ADVANCED, _l("Quyền trên từng chức năng"))),
    "Backups": _in(_SECURITY, _l("Sao lưu dữ liệu")),
    "ImportUsers": _in(_SECURITY, _l("Nhập người dùng từ Excel")),
    "InactiveUsers": _in(_SECURITY, _l("Tài khoản không hoạt động")),
    "TrustAnchors": _in(_SECURITY, _l("Chứng thư số tin cậy")),
    "PersonalCertificates": _in(_SECURITY, _l("Chứng thư số cá nhân")),
    "Documents": _DOCUMENTS,
    "IncomingDocuments": _in(_DOCUMENTS, _l("Văn bản đến")),
    "IncomingRegister": _in(_DOCUMENTS, _l("Vào sổ văn bản đến")),
    "ElectronicCopies": _in(_DOCUMENTS, _l("Sổ sao văn bản điện tử")),
    "ElectronicCopyNew": _in(_DOCUMENTS, _l("Sao y điện tử")),
    "IncomingOverdue": _in(_DOCUMENTS, _l("Văn bản đến quá hạn")),
    "IncomingBook": _in(_DOCUMENTS, _l("Sổ đăng ký văn bản đến")),
    "Drafts": _in(_DOCUMENTS, _l("Văn bản dự thảo")),
    "NewDraft": _in(_DOCUMENTS, _l("Soạn dự thảo")),
    "DraftCheck": _in(_DOCUMENTS, _l("Kiểm tra trước phát hành")),
    "Delegations": _in(_DOCUMENTS, _l("Ủy quyền")),
    "OutgoingDocuments": _in(_DOCUMENTS, _l("Văn bản đi")),
    "OutgoingBook": _in(_DOCUMENTS, _l("Sổ đăng ký văn bản đi")),
    "ExchangeImport": _in(_DOCUMENTS, _l("Nhập gói tin edXML")),
    "ImportData": _in(_DOCUMENTS, _l("Nhập từ Excel")),
    "Work": _WORK,
    "Dossiers": _in(_WORK, _l("Hồ sơ công việc")),
    "DossierPlans": _in(_WORK, _l("Danh mục hồ sơ")),
    "RequestForms": _in(_WORK, _l("Phiếu yêu cầu")),
    "Portal": _PORTAL,
    "Schedules": _in(_PORTAL, _l("Lịch công tác tuần")),
    "AgencyScheduleCompile": _in(_PORTAL, _l("Soạn lịch cơ quan")),
    "AgencyScheduleApprove": _in(_PORTAL, _l("Duyệt lịch cơ quan")),
    "ScheduleFeeds": _in(_PORTAL, _l("Đồng bộ lịch (iCalendar)")),
    "NewsList": _in(_PORTAL, _l("Tin tức")),
    "NewsNew": _in(_PORTAL, _l("Viết tin")),
    "Statistics": _STATS,
    "StatsDashboard": _in(_STATS, _l("Bảng điều khiển")),
    "StatsReports": _in(_STATS, _l("Báo cáo thống kê")),
    "Organisation": _ORGANISATION,
    "Departments": _in(_ORGANISATION, _l("Cơ quan, đơn vị")),
    "Positions": _in(_ORGANISATION, _l("Chức vụ")),
    "Catalogs": _CATALOGS,
    "DocumentTypes": _in(_CATALOGS, _l("Loại văn bản")),
    "Registers": _in(_CATALOGS, _l("Sổ văn bản")),
    "Agencies": _in(_CATALOGS, _l("Cơ quan, tổ chức")),
    "Fields": _in(_CATALOGS, _l("Lĩnh vực")),
    "Signers": _in(_CATALOGS, _l("Người ký")),
    "UrgencyLevels": _in(_CATALOGS, _l("Độ khẩn")),
    "SecrecyLevels": _in(_CATALOGS, _l("Độ mật")),
    "RetentionPeriods": _in(_CATALOGS, _l("Thời hạn bảo quản")),
    "MeetingRooms": _in(_CATALOGS, _l("Phòng họp, địa điểm")),
    "NewsCategories": _in(_CATALOGS, _l("Chuyên mục tin")),
    "ExchangePartners": _in(_CATALOGS, _l("Cơ quan liên thông")),
}

RESOURCE_LABELS = {**MENU_LABELS, **VIEW_LABELS}


def _name_of(item):
    return getattr(item, "name", item)


def _words(name: str) -> str:
    """'IncomingDocumentView' -> 'incoming document'; 'can_foo_bar' -> 'foo bar'."""
    name = re.sub(r"^can_", "", name or "")
    name = re.sub(r"(?:Model)?(?:View|Api)$", "", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return re.sub(r"[_/]+", " ", name).strip().lower()


def permission_label(name) -> str:
    """'can_list' -> 'Xem danh sách' (a Permission or its name)."""
    name = _name_of(name)
    label = PERMISSION_LABELS.get(name)
    return str(label) if label is not None else _("Quyền «%(name)s»", name=_words(name))


def resource_label(name) -> str:
    """'IncomingDocument' -> 'Văn bản đến'; 'IncomingBook' -> 'Văn bản › Sổ đăng ký văn bản
    đến' (a ViewMenu or its name)."""
    name = _name_of(name)
    label = RESOURCE_LABELS.get(name)
    return str(label) if label is not None else _("Chức năng «%(name)s»", name=_words(name))


def permission_view_label(pv) -> str:
    """A permission on a view or menu: 'Xem — Văn bản đến', 'Truy cập menu — Văn bản › Sổ
    đăng ký văn bản đến'."""
    return _label_and_key(pv)[0]


def permission_view_sort_key(pv):
    """Grouped by function, then by permission, in Vietnamese order."""
    return _label_and_key(pv)[1]


# (language, permission, resource) → (label, sort key): the roles' list shows every role's
# permissions, some six thousand labels a page, each translated and keyed for sorting (60 ms
# of the page); the names and their labels do not change while the process runs.
_KNOWN: dict = {}
KNOWN_KINDS = 20_000


def _label_and_key(pv):
    from flask_babel import get_locale

    from app.core.text import vietnamese_sort_key

    key = (str(get_locale()), _name_of(pv.permission), _name_of(pv.view_menu))
    known = _KNOWN.get(key)
    if known is None:
        permission, resource = permission_label(pv.permission), resource_label(pv.view_menu)
        known = (_("%(permission)s — %(resource)s", permission=permission, resource=resource),
                 (vietnamese_sort_key(resource), vietnamese_sort_key(permission)))
        if len(_KNOWN) >= KNOWN_KINDS:
            _KNOWN.clear()
        _KNOWN[key] = known
    return known


def _register_in_the_trail():
    """A role's permissions read in the audit trail as they read in the panel."""
    from flask_appbuilder.security.sqla.models import PermissionView

    from app.audit.services import describe_as

    describe_as(PermissionView, permission_view_label)


_register_in_the_trail()
