"""The functions of the permission matrix: what a network administrator gives a role, in the
words of the regulation, each made of the permissions (permission, resource) it needs.

A row is all or nothing: a role has a function when it has every permission of it. The six
built-in roles (app.security.roles) are read-only columns, their functions follow from their
declaration; a role made in the matrix gets exactly the permissions of its ticked functions,
plus the menu categories that hold its pages (computed from the application's menu). A test
(tests/test_functions.py) checks that every permission of every built-in role belongs to a
row and that no built-in role holds part of a row."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.security import roles as r


@dataclass(frozen=True)
class Function:
    key: str
    module: object  # a lazy Vietnamese string
    label: object
    pairs: frozenset  # {(permission, resource)}
    admin: bool = False  # a function of the security panel (separation of duties)


def _pairs(grant):
    return frozenset((permission, resource) for resource, permissions in grant.items()
                     for permission in permissions)


def _menus(*names):
    return {name: r.MENU for name in names}


INCOMING = _l("Văn bản đến")
OUTGOING = _l("Văn bản đi và dự thảo")
DELEGATION = _l("Ủy quyền")
DOSSIERS = _l("Hồ sơ công việc")
REQUESTS = _l("Phiếu yêu cầu")
SCHEDULES = _l("Lịch công tác")
NEWS = _l("Tin tức nội bộ")
STATS = _l("Thống kê, báo cáo")
EXCHANGE = _l("Liên thông văn bản")
CATALOGS = _l("Danh mục")
OWN = _l("Tài khoản cá nhân")
ADMIN = _l("Quản trị hệ thống")

_CATALOG_LABELS = {
    "DocumentType": (_l("Loại văn bản"), "DocumentTypes"),
    "Register": (_l("Sổ đăng ký văn bản"), "Registers"),
    "Agency": (_l("Cơ quan ban hành, nơi nhận"), "Agencies"),
    "Field": (_l("Lĩnh vực"), "Fields"),
    "Signer": (_l("Người ký"), "Signers"),
    "UrgencyLevel": (_l("Độ khẩn"), "UrgencyLevels"),
    "SecrecyLevel": (_l("Độ mật"), "SecrecyLevels"),
    "RetentionPeriod": (_l("Thời hạn bảo quản"), "RetentionPeriods"),
    "MeetingRoom": (_l("Phòng họp"), "MeetingRooms"),
    "NewsCategory": (_l("Chuyên mục tin"), "NewsCategories"),
}


def _function(key, module, label, *grants, admin=False):
    merged = {}
    for grant in grants:
        for resource, permissions in grant.items():
            merged.setdefault(resource, []).extend(permissions)
    return Function(key, module, label, _pairs(merged), admin)


FUNCTIONS = [
    # -- Văn bản đến (Decree 30 Art. 20–24; QĐ 20/2007 Art. 6–9)
    _function("incoming.read", INCOMING,
              _l("Xem văn bản đến thuộc lĩnh vực phụ trách và được giao"),
              {"IncomingDocument": ["can_read"]},
              _menus("IncomingDocuments", "IncomingOverdue")),
    _function("incoming.read_unit", INCOMING, _l("Xem văn bản đến giao cho đơn vị mình"),
              {"IncomingDocument": ["can_read_unit"]}),
    _function("incoming.read_all", INCOMING, _l("Xem mọi văn bản đến của cơ quan"),
              {"IncomingDocument": ["can_read_all"]}),
    _function("incoming.register", INCOMING,
              _l("Tiếp nhận, vào sổ, sửa thông tin và đóng dấu đến"),
              {"IncomingDocument": ["can_write"]}, _menus("IncomingRegister")),
    _function("incoming.submit", INCOMING, _l("Trình lãnh đạo văn bản đã vào sổ"),
              {"IncomingDocument": ["can_submit"]}),
    _function("incoming.direct", INCOMING,
              _l("Cho ý kiến chỉ đạo, giao đơn vị/cá nhân xử lý, mở lại"),
              {"IncomingDocument": ["can_direct"]}),
    _function("incoming.delegate", INCOMING,
              _l("Giao chuyên viên xử lý việc của đơn vị mình"),
              {"IncomingDocument": ["can_delegate"]}),
    _function("registers", INCOMING,
              _l("Xem, in, xuất sổ đăng ký văn bản đến, đi và sổ theo dõi giải quyết"),
              {"IncomingDocument": ["can_read_registers"]},
              _menus("IncomingBook", "OutgoingBook")),
    _function("copies.read", INCOMING,
              _l("Xem bản sao điện tử (sao y) của văn bản đến được xem"),
              {"ElectronicCopy": ["can_read"]}, _menus("ElectronicCopies")),
    _function("copies.make", INCOMING,
              _l("Sao y điện tử bản giấy, ký số của cơ quan; xem mọi bản sao"),
              {"ElectronicCopy": ["can_write"]}, _menus("ElectronicCopyNew")),
    # -- Văn bản đi, dự thảo (Decree 30 Art. 10–18)
    _function("drafts.work", OUTGOING, _l("Xem, xử lý dự thảo trong phạm vi của mình"),
              {"Draft": r.READ_WRITE}, _menus("Drafts")),
    _function("drafts.new", OUTGOING, _l("Soạn dự thảo mới, trình duyệt"),
              _menus("NewDraft")),
    _function("drafts.read_unit", OUTGOING, _l("Xem dự thảo của đơn vị mình"),
              {"Draft": ["can_read_unit"]}),
    _function("drafts.review_unit", OUTGOING,
              _l("Duyệt hoặc trả lại dự thảo của đơn vị mình"),
              {"Draft": ["can_review_unit"]}),
    _function("drafts.read_all", OUTGOING, _l("Xem mọi dự thảo, theo dõi dự thảo đang trình"),
              {"Draft": ["can_read_all"]}),
    _function("drafts.check_list", OUTGOING,
              _l("Xem danh sách kiểm tra dự thảo trước khi phát hành"),
              _menus("DraftCheck")),
    _function("drafts.check", OUTGOING,
              _l("Kiểm tra thể thức, kỹ thuật trình bày dự thảo, trả lại người soạn thảo "
                 "(Điều 7.1d)"),
              {"Draft": ["can_check"]}),
    _function("outgoing.read", OUTGOING,
              _l("Xem văn bản đi đã soạn, được gửi đến mình và thuộc lĩnh vực phụ trách"),
              {"OutgoingDocument": ["can_read"]}, _menus("OutgoingDocuments")),
    _function("outgoing.read_unit", OUTGOING, _l("Xem văn bản đi do đơn vị mình soạn"),
              {"OutgoingDocument": ["can_read_unit"]}),
    _function("outgoing.read_all", OUTGOING, _l("Xem mọi văn bản đi của cơ quan"),
              {"OutgoingDocument": ["can_read_all"]}),
    _function("outgoing.issue", OUTGOING,
              _l("Cấp số, phát hành văn bản đi, gửi lại cho nơi nhận"),
              {"OutgoingDocument": ["can_write"]}),
    _function("outgoing.recall", OUTGOING, _l("Thu hồi văn bản đã phát hành"),
              {"OutgoingDocument": ["can_recall"]}),
    # -- Ủy quyền
    _function("delegation.own", DELEGATION,
              _l("Ủy quyền xử lý văn bản, ký văn bản của mình cho cấp phó khi vắng mặt"),
              {"Delegation": r.READ_WRITE}, _menus("Delegations")),
    _function("delegation.manage_all", DELEGATION,
              _l("Ghi nhận, thu hồi ủy quyền cho mọi người (văn phòng)"),
              {"Delegation": ["can_manage_all"]}),
    # -- Hồ sơ công việc
    _function("dossiers.work", DOSSIERS, _l("Lập, cập nhật hồ sơ công việc; xem danh mục hồ sơ"),
              {"Dossier": r.READ_WRITE, "DossierPlan": r.READ},
              _menus("Dossiers", "DossierPlans")),
    _function("dossiers.read_unit", DOSSIERS, _l("Xem hồ sơ của đơn vị mình, giao hồ sơ cho "
                                                 "người trong đơn vị"),
              {"Dossier": ["can_read_unit"]}),
    _function("dossiers.lead_unit", DOSSIERS, _l("Sửa, đóng hồ sơ của đơn vị mình lãnh đạo"),
              {"Dossier": ["can_lead_unit"]}),
    _function("dossiers.read_all", DOSSIERS, _l("Xem mọi hồ sơ của cơ quan"),
              {"Dossier": ["can_read_all"]}),
    _function("dossiers.keep_all", DOSSIERS,
              _l("Sửa mọi hồ sơ, giao hồ sơ cho bất kỳ ai (văn phòng)"),
              {"Dossier": ["can_keep_all"]}),
    _function("dossiers.plan", DOSSIERS, _l("Lập danh mục hồ sơ của cơ quan"),
              {"DossierPlan": ["can_write"]}),
    # -- Phiếu yêu cầu
    _function("requests.work", REQUESTS, _l("Gửi, trả lời phiếu yêu cầu"),
              {"RequestForm": r.READ_WRITE}, _menus("RequestForms")),
    # -- Lịch công tác
    _function("schedules.work", SCHEDULES,
              _l("Xem lịch tuần, đăng ký lịch của mình và của đơn vị"),
              {"Schedule": r.READ_WRITE}, _menus("Schedules", "ScheduleFeeds")),
    _function("schedules.compile", SCHEDULES, _l("Tổng hợp lịch công tác cơ quan"),
              {"AgencySchedule": ["can_compile"]}, _menus("AgencyScheduleCompile")),
    _function("schedules.approve", SCHEDULES, _l("Duyệt lịch công tác cơ quan"),
              {"AgencySchedule": ["can_approve"]}, _menus("AgencyScheduleApprove")),
    # -- Tin tức
    _function("news.read", NEWS, _l("Đọc tin tức nội bộ"), {"News": r.READ},
              _menus("NewsList")),
    _function("news.write", NEWS, _l("Viết, biên tập, duyệt tin theo vai trò"),
              {"News": ["can_write"]}, _menus("NewsNew")),
    # -- Thống kê
    _function("stats.reports", STATS, _l("Lập báo cáo thống kê"), {"StatsReport": r.READ},
              _menus("StatsReports")),
    _function("stats.whole_agency", STATS, _l("Xem số liệu của toàn cơ quan và mọi đơn vị"),
              {"StatsReport": ["can_read_all"]}),
    _function("stats.dashboard", STATS, _l("Xem bảng điều hành của lãnh đạo"),
              {"Stats": r.READ}, _menus("StatsDashboard")),
    # -- Liên thông văn bản
    _function("exchange.read", EXCHANGE, _l("Xem văn bản gửi, nhận liên thông và trạng thái"),
              {"Exchange": ["can_read", "menu_access"]}),
    _function("exchange.work", EXCHANGE,
              _l("Tiếp nhận, trả lại, gửi liên thông; quản lý danh mục đối tác"),
              {"Exchange": ["can_write"], "ExchangePartner": r.READ_WRITE},
              _menus("ExchangeImport", "ExchangePartners")),
    # -- Danh mục, nhập dữ liệu
    *[_function(f"catalog.{resource}", CATALOGS, _l("Quản lý danh mục: %(name)s", name=label),
                {resource: r.READ_WRITE}, _menus(menu))
      for resource, (label, menu) in _CATALOG_LABELS.items()],
    _function("import", CATALOGS, _l("Nhập sổ và danh mục từ Excel"),
              {"Import": ["can_write"]}, _menus("ImportData")),
    _function("org.read", CATALOGS, _l("Xem danh sách đơn vị, chức vụ"),
              {"Department": r.READ, "Position": r.READ}),
    # -- Tài khoản cá nhân
    _function("own.account", OWN,
              _l("Tài khoản của mình: xem, đổi mật khẩu, xác thực hai bước, phiên đăng nhập, "
                 "thông báo"), r.OWN_ACCOUNT),
    _function("legacy_text", OWN, _l("Chuyển mã chữ TCVN3/VNI sang Unicode"),
              {"LegacyText": r.READ}),
    _function("signatures.read", OWN,
              _l("Kiểm tra chữ ký số của tệp PDF; xem kết quả kiểm tra chữ ký số của tệp "
                 "được xem"), {"SignatureCheck": r.READ}),
    _function("signatures.recheck", OWN,
              _l("Kiểm tra lại chữ ký số của tệp đã lưu (khi đã thêm chứng thư tin cậy)"),
              {"SignatureCheck": ["can_write"]}),
    # -- Quản trị hệ thống (Art. 10): only on accounts without a document role
    _function("admin.users", ADMIN,
              _l("Quản lý người dùng: thêm, sửa, vô hiệu hóa, đặt lại mật khẩu, mở khóa"),
              {"EofficeUserView": ["can_list", "can_show", "can_add", "can_edit",
                                   "resetpasswords", "can_reset_two_factor",
                                   "can_unlock"],
               "ResetPasswordView": ["can_this_form_get", "can_this_form_post"]},
              _menus("List Users"), admin=True),
    _function("admin.people", ADMIN,
              _l("Nhập người dùng từ Excel, theo dõi tài khoản không hoạt động"),
              {"People": r.READ_WRITE}, _menus("ImportUsers", "InactiveUsers"), admin=True),
    _function("admin.roles", ADMIN, _l("Quản lý vai trò, nhóm và phân quyền"),
              {"PermissionMatrix": ["can_read", "can_write", "menu_access"],
               "RoleModelView": ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                                 "copyrole"],
               "UserGroupModelView": ["can_list", "can_show", "can_add", "can_edit",
                                      "can_delete"],
               "PermissionModelView": ["can_list"], "ViewMenuModelView": ["can_list"],
               "PermissionViewModelView": ["can_list"]},
              _menus("List Roles", "List Groups", "Base Permissions", "Views/Menus",
                     "Permission on Views/Menus"), admin=True),
    _function("admin.api_docs", ADMIN, _l("Xem tài liệu giao diện lập trình (API)"),
              {"OpenApi": ["can_get"], "SwaggerView": ["can_show"]}, admin=True),
    _function("admin.org", ADMIN, _l("Quản lý đơn vị, chức vụ"),
              {"Department": ["can_write"], "Position": ["can_write"]},
              _menus("Departments", "Positions"), admin=True),
    _function("admin.backups", ADMIN, _l("Sao lưu dữ liệu"), {"Backup": r.READ_WRITE},
              _menus("Backups"), admin=True),
    _function("admin.certificates", ADMIN,
              _l("Quản lý chứng thư số: chứng thư tin cậy, chứng thư số cá nhân"),
              {"Certificate": r.READ_WRITE},
              _menus("TrustAnchors", "PersonalCertificates"), admin=True),
    _function("audit", ADMIN, _l("Xem nhật ký hệ thống"),
              {"AuditTrail": ["can_read", "menu_access"]}),
]
BY_KEY = {function.key: function for function in FUNCTIONS}
MODULES = []  # in the rows' order (compared by identity: a lazy string is read at request time)
for _function_row in FUNCTIONS:
    if not any(module is _function_row.module for module in MODULES):
        MODULES.append(_function_row.module)


def menu_categories(appbuilder) -> dict[str, set[str]]:
    """{category menu name: names of the menu entries under it} of the application's menu."""
    return {item.name: {child.name for child in item.childs if child.name != "-"}
            for item in appbuilder.menu.get_list() if item.childs}


def pairs_for(keys, appbuilder) -> set[tuple[str, str]]:
    """The permissions a role with these functions gets: theirs, and the categories of the
    menu that hold one of their menu entries."""
    pairs = set().union(*(BY_KEY[key].pairs for key in keys)) if keys else set()
    menus = {resource for permission, resource in pairs if permission == "menu_access"}
    for category, children in menu_categories(appbuilder).items():
        if menus & children:
            pairs.add(("menu_access", category))
    return pairs


def functions_of(pairs) -> list[Function]:
    """The functions whose every permission is in `pairs`."""
    pairs = set(pairs)
    return [function for function in FUNCTIONS if function.pairs <= pairs]
