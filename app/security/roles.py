"""The six roles of the regulation (Quyết định 20/2007/QĐ-UBND) and their permissions.

This module is the one place that says who may do what. Deny by default: a role has exactly
the permissions listed here. `sync_roles` makes the database match it; it runs at every start
(`flask eoffice setup`) and is idempotent. Roles with other names, created by the network
administrator in the security panel, are left as they are.

A grant is {resource: permissions}; a resource is a view's `class_permission_name` or a menu
name (permission `menu_access`). Besides the permissions its routes check, a resource has the
duties of CAPABILITIES, which the domains ask for (app.security.access.may) instead of a role's
name: so a role made by the network administrator in the permission matrix (app.security.panel,
the rows of app.security.functions) works exactly like the built-in ones.
"""
from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu

ADMIN = "Quản trị mạng"
AGENCY_LEADER = "Lãnh đạo cơ quan"
OFFICE_LEADER = "Lãnh đạo văn phòng"
UNIT_LEADER = "Lãnh đạo đơn vị"
OFFICER = "Chuyên viên"
CLERK = "Văn thư"
ROLES = [ADMIN, AGENCY_LEADER, OFFICE_LEADER, UNIT_LEADER, OFFICER, CLERK]
# Roles that read every document or direct the work: never on an administrator's account
# (separation of duties, app.security.manager.check_separation_of_duties).
DOCUMENT_ROLES = [CLERK, AGENCY_LEADER, OFFICE_LEADER, UNIT_LEADER]

READ = ["can_read"]
READ_WRITE = ["can_read", "can_write"]
MENU = ["menu_access"]

CATALOGS = ["DocumentType", "Register", "Agency", "Field", "Signer", "UrgencyLevel",
            "SecrecyLevel", "RetentionPeriod", "MeetingRoom", "NewsCategory"]
CATALOG_MENUS = ["Catalogs", "DocumentTypes", "Registers", "Agencies", "Fields", "Signers",
                 "UrgencyLevels", "SecrecyLevels", "RetentionPeriods", "MeetingRooms",
                 "NewsCategories"]
ORGANISATION = ["Department", "Position"]
INCOMING = ["IncomingDocument"]
INCOMING_MENUS = ["Documents", "IncomingDocuments", "IncomingOverdue"]
ORGANISATION_MENUS = ["Organisation", "Departments", "Positions"]

# Duties no route checks by itself: the domains ask for them (app.security.access.may).
CAPABILITIES = {
    "IncomingDocument": [
        "can_read_all",        # every incoming document (otherwise: fields and assignments)
        "can_read_unit",       # the documents assigned to one's unit
        "can_submit",          # present a registered document to the leader (Art. 23.1c)
        "can_direct",          # direct and assign the processing, reopen (Art. 6.1a)
        "can_delegate",        # pass the unit's line on to its officers (Art. 7.1b)
        "can_read_registers",  # the registers: incoming, outgoing, tracking (Art. 9.1)
    ],
    "Draft": [
        "can_read_all",        # every draft
        "can_read_unit",       # the drafts of one's unit
        "can_review_unit",     # approve or return the unit's drafts (Art. 7.1a)
        "can_check",           # the office's check of form before issuance (Art. 7.1d)
    ],
    "Delegation": ["can_manage_all"],  # record and revoke delegations for anyone (the office)
    "Dossier": [
        "can_read_all",        # every dossier
        "can_read_unit",       # the dossiers of one's unit; give one to its people
        "can_lead_unit",       # change and close the dossiers of the unit one leads
        "can_keep_all",        # change any dossier, give it to anyone (the office leader)
    ],
    "StatsReport": ["can_read_all"],  # the figures of the whole agency and of any unit
    "OutgoingDocument": [
        "can_read_all",        # every outgoing document (otherwise: drafted, received, fields)
        "can_read_unit",       # the documents one's unit drafted
        "can_recall",          # recall an issued document (Decree 30 Art. 18)
    ],
}

# Art. 3: everyone has their own account, sees it and changes their password.
OWN_ACCOUNT = {
    "EofficeUserView": ["can_userinfo", "resetmypassword", "userinfoedit"],
    "ResetMyPasswordView": ["can_this_form_get", "can_this_form_post"],
    "UserInfoEditView": ["can_this_form_get", "can_this_form_post"],
    "MenuApi": ["can_get"],
    # report a compromised password; 2FA; see and end one's own sessions
    "Account": ["can_report", "can_twofactor", "can_sessions"],
    "Notification": ["can_read"],  # their own notices
}

# Art. 10.1a, 10.3: the network administrator assigns rights and keeps the user list current.
SECURITY_PANEL = {
    "EofficeUserView": ["can_list", "can_show", "can_add", "can_edit",
                        "resetpasswords", "can_reset_two_factor", "can_unlock"],
    "ResetPasswordView": ["can_this_form_get", "can_this_form_post"],
    "PermissionMatrix": ["can_read", "can_write", "menu_access"],
    "RoleModelView": ["can_list", "can_show", "can_add", "can_edit", "can_delete", "copyrole"],
    "UserGroupModelView": ["can_list", "can_show", "can_add", "can_edit", "can_delete"],
    "PermissionModelView": ["can_list"],
    "ViewMenuModelView": ["can_list"],
    "PermissionViewModelView": ["can_list"],
    "OpenApi": ["can_get"],
    "SwaggerView": ["can_show"],
    "Security": MENU, "List Users": MENU, "List Roles": MENU, "List Groups": MENU,
    "Base Permissions": MENU, "Views/Menus": MENU, "Permission on Views/Menus": MENU,
    "People": ["can_read", "can_write"],
    "ImportUsers": ["menu_access"],
    "InactiveUsers": ["menu_access"],
    # Chứng thư số (ký số): trust anchors and people's certificates
    "Certificate": ["can_read", "can_write"],
    "TrustAnchors": MENU, "PersonalCertificates": MENU,
}
# Art. 10.3 / ASVS 7: the administrator and the leaders read the audit trail.
AUDIT = {"AuditTrail": ["can_read", "menu_access"], "Security": MENU}


def _grant(resources, permissions):
    return {resource: list(permissions) for resource in resources}


def _merge(*grants):
    merged = {}
    for grant in grants:
        for resource, permissions in grant.items():
            merged.setdefault(resource, [])
            merged[resource] += [p for p in permissions if p not in merged[resource]]
    return merged


# Art. 6.1, 7.1b, 8.1b: leaders and officers read incoming documents (which ones: the rule in
# app.documents.access) and act on them as app.documents.workflow allows.
READS_INCOMING = _merge(_grant(INCOMING, READ), _grant(INCOMING_MENUS, MENU))
# The registers (incoming, outgoing, tracking): the clerk who keeps them, the leaders who see
# every document (app.documents.access.may_read_registers).
REGISTERS = _merge({"IncomingDocument": ["can_read_registers"]},
                   _grant(["IncomingBook"], MENU))

# Drafts and outgoing documents (Art. 7.1a, 8.1a, 9.1b): filled by the outgoing module.
_DRAFTS = _merge(_grant(["Draft"], READ_WRITE), _grant(["OutgoingDocument"], READ),
                 _grant(["Drafts", "NewDraft", "OutgoingDocuments"], MENU))
OUTGOING_GRANTS = {
    ADMIN: {},
    AGENCY_LEADER: _merge(_DRAFTS, _grant(["DraftCheck", "OutgoingBook"], MENU),
                          {"Draft": ["can_read_all"],
                           "OutgoingDocument": ["can_read_all", "can_recall"]}),
    OFFICE_LEADER: _merge(_DRAFTS, _grant(["DraftCheck", "OutgoingBook"], MENU),
                          {"Draft": ["can_read_all", "can_review_unit", "can_check"],
                           "OutgoingDocument": ["can_read_all"]}),
    UNIT_LEADER: _merge(_DRAFTS, {"Draft": ["can_read_unit", "can_review_unit"],
                                  "OutgoingDocument": ["can_read_unit"]}),
    OFFICER: _DRAFTS,
    # Art. 9.1b: the clerk issues approved drafts and keeps the outgoing register.
    CLERK: _merge(_grant(["Draft", "OutgoingDocument"], READ_WRITE),
                  _grant(["Drafts", "DraftCheck", "OutgoingDocuments", "OutgoingBook"], MENU),
                  {"OutgoingDocument": ["can_read_all", "can_recall"]}),
}
# Work dossiers (Art. 7.1a, 8.1a) and the dossier plan: everyone who works on documents keeps
# dossiers (which ones: app.dossiers.access; close, hand over, reopen: the transition table in
# app.dossiers.services); the office (office leader, clerk) keeps the year's dossier plan.
DOSSIER_GRANTS = {
    role: {} if role == ADMIN else _merge(
        _grant(["Dossier"], READ_WRITE),
        _grant(["DossierPlan"], READ_WRITE if role in (OFFICE_LEADER, CLERK) else READ),
        _grant(["Work", "Dossiers", "DossierPlans"], MENU),
        {"Dossier": {AGENCY_LEADER: ["can_read_all"], CLERK: ["can_read_all"],
                     OFFICE_LEADER: ["can_read_all", "can_lead_unit", "can_keep_all"],
                     UNIT_LEADER: ["can_read_unit", "can_lead_unit"]}.get(role, [])})
    for role in ROLES
}
# Request forms (Art. 7.1a, 8.1a): filled by the request-forms module.
REQUEST_GRANTS = {
    role: {} if role == ADMIN else _merge(_grant(["RequestForm"], READ_WRITE),
                                          _grant(["Work", "RequestForms"], MENU))
    # Unit leaders and officers create request forms (7.1a, 8.1a); agency and office leaders
    # send them too and answer those addressed to them; the clerk answers the office's. Who
    # sees and does what to which form: app.request_forms.access and .workflow.
    for role in ROLES
}

# Weekly work schedules (Art. 6.2, 7.2, 8.2): everyone reads the published weeks and keeps
# their own; unit leaders build their unit's (who builds which week: app.schedules.access).
# The office leader compiles the agency's week and the agency leader approves it; the
# administrator can delegate "compile" to someone else with a role of their own.
_SCHEDULES = _merge(_grant(["Schedule"], READ_WRITE),
                    _grant(["Portal", "Schedules", "ScheduleFeeds"], MENU))
SCHEDULE_GRANTS = {role: _SCHEDULES for role in ROLES}
SCHEDULE_GRANTS[OFFICE_LEADER] = _merge(_SCHEDULES, {"AgencySchedule": ["can_compile"]},
                                        _grant(["AgencyScheduleCompile"], MENU))
SCHEDULE_GRANTS[AGENCY_LEADER] = _merge(_SCHEDULES, {"AgencySchedule": ["can_approve"]},
                                        _grant(["AgencyScheduleApprove"], MENU))
# Internal news (Art. 6.2c, 7.2c, 8.2c): everybody reads the published news (the network
# administrator too: staff); all others write news and act on it as app.news.workflow allows
# (officer and clerk write, unit leader edits, agency leader publishes); which item:
# app.news.access.
NEWS_GRANTS = {
    role: _merge(_grant(["News"], READ), _grant(["Portal", "NewsList"], MENU)) if role == ADMIN
    else _merge(_grant(["News"], READ_WRITE), _grant(["Portal", "NewsList", "NewsNew"], MENU))
    for role in ROLES
}
# Statistics, reports and the leaders' dashboard (Art. 6.1b, 9.1d, 5.2): leaders read the
# dashboard (and its REST API) and the reports — agency and office leaders for the whole
# agency, a unit leader for their unit (the scope: app.stats.figures.Scope). The clerk makes
# the reports on the leaders' request (Art. 9.1d) but has no dashboard; officers and the
# administrator neither (the administrator follows logins in the audit trail).
_REPORTS = _merge(_grant(["StatsReport"], READ), _grant(["Statistics", "StatsReports"], MENU))
_DASHBOARD = _merge(_REPORTS, _grant(["Stats"], READ), _grant(["StatsDashboard"], MENU))
_WHOLE_AGENCY = {"StatsReport": ["can_read_all"]}
STATS_GRANTS = {role: {} for role in ROLES} | {
    AGENCY_LEADER: _merge(_DASHBOARD, _WHOLE_AGENCY),
    OFFICE_LEADER: _merge(_DASHBOARD, _WHOLE_AGENCY), UNIT_LEADER: _DASHBOARD,
    CLERK: _merge(_REPORTS, _WHOLE_AGENCY),
}

# Liên thông văn bản (Art. 9.1a, 9.1b, 10.1d): the clerk keeps the partner catalog, imports
# packages received by other means, returns or resends; leaders read what was sent and received
# and the statuses. The network administrator keeps the connection (their settings, the logs)
# but handles no documents.
_EXCHANGE_READ = _merge(_grant(["Exchange"], READ), _grant(["Exchange"], MENU))
EXCHANGE_GRANTS = {role: {} for role in ROLES} | {
    AGENCY_LEADER: _EXCHANGE_READ, OFFICE_LEADER: _EXCHANGE_READ,
    CLERK: _merge(_grant(["Exchange", "ExchangePartner"], READ_WRITE),
                  _grant(["Exchange", "ExchangeImport", "ExchangePartners"], MENU)),
}
# Nhập từ Excel (issue 9): the clerk imports paper registers and catalogs; everyone who types
# in the forms may convert legacy TCVN3/VNI text ("chuyển mã").
IMPORT_GRANTS = {role: {"LegacyText": ["can_read"]} for role in ROLES}
IMPORT_GRANTS[CLERK] = _merge(IMPORT_GRANTS[CLERK], {"Import": ["can_write"]},
                              _grant(["ImportData"], MENU))

# Ủy quyền (app.security.delegation): a leader away delegates their inbox and signing to a
# deputy for a period; the office records and revokes them for anyone.
_DELEGATES = _merge(_grant(["Delegation"], READ_WRITE), _grant(["Delegations"], MENU))
DELEGATION_GRANTS = {role: {} for role in ROLES} | {
    AGENCY_LEADER: _DELEGATES, UNIT_LEADER: _DELEGATES,
    OFFICE_LEADER: _merge(_DELEGATES, {"Delegation": ["can_manage_all"]}),
}
# Chữ ký số (app.security.signature_checks, Decree 30 Art. 21.2): everyone may have a PDF's
# signatures verified and read the stored result of a file they see; the clerk, who receives,
# checks a stored file again (e.g. after a trust anchor was added).
SIGNATURE_GRANTS = {role: {"SignatureCheck": ["can_read"]} for role in ROLES}
SIGNATURE_GRANTS[CLERK] = {"SignatureCheck": READ_WRITE}

# Sao y điện tử (Decree 30 Art. 25–27): the clerk digitises paper originals into signed copies
# and keeps their book; whoever reads incoming documents reads the copies of those they see
# (which ones: app.copies.access).
_COPIES_READ = _merge(_grant(["ElectronicCopy"], READ), _grant(["ElectronicCopies"], MENU))
COPY_GRANTS = {role: {} if role == ADMIN else _COPIES_READ for role in ROLES}
COPY_GRANTS[CLERK] = _merge(_grant(["ElectronicCopy"], READ_WRITE),
                            _grant(["ElectronicCopies", "ElectronicCopyNew"], MENU))

ROLE_PERMISSIONS = {
    ADMIN: _merge(OWN_ACCOUNT, SECURITY_PANEL, AUDIT,
                  _grant(ORGANISATION, READ_WRITE), _grant(ORGANISATION_MENUS, MENU),
                  _grant(["Backup"], READ_WRITE), _grant(["Backups"], MENU)),  # Art. 10.2
    AGENCY_LEADER: _merge(OWN_ACCOUNT, READS_INCOMING, REGISTERS, AUDIT, {
        "IncomingDocument": ["can_read_all", "can_direct"]}),
    OFFICE_LEADER: _merge(OWN_ACCOUNT, READS_INCOMING, REGISTERS, AUDIT, {
        "IncomingDocument": ["can_read_all", "can_delegate"]}),
    UNIT_LEADER: _merge(OWN_ACCOUNT, READS_INCOMING, {
        "IncomingDocument": ["can_read_unit", "can_delegate"]}),
    OFFICER: _merge(OWN_ACCOUNT, READS_INCOMING),
    # Art. 9.1a: the clerk registers incoming documents; 9.1c: keeps the catalogs.
    CLERK: _merge(OWN_ACCOUNT, _grant(CATALOGS, READ_WRITE), _grant(CATALOG_MENUS, MENU),
                  _grant(ORGANISATION, READ), _grant(INCOMING, READ_WRITE), REGISTERS,
                  {"IncomingDocument": ["can_read_all", "can_submit"]},
                  _grant(INCOMING_MENUS + ["IncomingRegister"], MENU)),
}
for _grants in (OUTGOING_GRANTS, DOSSIER_GRANTS, REQUEST_GRANTS, SCHEDULE_GRANTS, NEWS_GRANTS,
                STATS_GRANTS, EXCHANGE_GRANTS, IMPORT_GRANTS, DELEGATION_GRANTS,
                SIGNATURE_GRANTS, COPY_GRANTS):
    for _role, _grant_of_role in _grants.items():
        ROLE_PERMISSIONS[_role] = _merge(ROLE_PERMISSIONS[_role], _grant_of_role)


def permission_pairs(role_name):
    """{(permission, resource)} declared for a role."""
    return {(p, resource) for resource, perms in ROLE_PERMISSIONS[role_name].items()
            for p in perms}


def sync_roles(appbuilder):
    """Register every view's permissions, drop stale ones, and set each declared role's
    permissions to exactly its declaration."""
    sm = appbuilder.sm
    session = sm.session
    for role_name in ROLES + [sm.auth_role_public]:
        if sm.find_role(role_name) is None:
            sm.add_role(role_name)
    for view in appbuilder.baseviews:  # the duties join the resource's own permissions
        duties = CAPABILITIES.get(getattr(view, "class_permission_name", None))
        if duties and view.base_permissions is not None:
            view.base_permissions = sorted(set(view.base_permissions) | set(duties))
    appbuilder.add_permissions(update_perms=True)
    sm.security_cleanup(appbuilder.baseviews, appbuilder.menu)

    existing = {
        (pv.permission.name, pv.view_menu.name): pv
        for pv in session.query(PermissionView).join(Permission).join(ViewMenu)
    }
    for role_name in ROLES:
        wanted = permission_pairs(role_name)
        missing = wanted - existing.keys()
        if missing:
            raise RuntimeError(f"{role_name}: declared permissions that no view has: {missing}")
        role = session.query(Role).filter_by(name=role_name).one()
        role.permissions = sorted((existing[pair] for pair in wanted), key=lambda pv: pv.id)
    public = session.query(Role).filter_by(name=sm.auth_role_public).one()
    public.permissions = []
    session.commit()
