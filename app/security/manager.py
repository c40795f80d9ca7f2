"""The security manager: FAB's, with our user model and the profile in the security panel."""
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l

from app.core.views import Formatters
from app.org.models import EofficeUser

PROFILE_COLUMNS = ["department", "position", "fields", "phone"]
PROFILE_LABELS = {
    "first_name": _l("Tên"),
    "last_name": _l("Họ và tên đệm"),
    "full_name": _l("Họ và tên"),
    "department": _l("Đơn vị"),
    "position": _l("Chức vụ"),
    "fields": _l("Lĩnh vực phụ trách"),
    "phone": _l("Điện thoại"),
}
ACCOUNT_COLUMNS = ["last_name", "first_name", "username", "active", "email", "roles"]


class EofficeUserView(UserDBModelView):
    """Users in the security panel, with department, position, fields and phone."""
    label_columns = {**UserDBModelView.label_columns, **PROFILE_LABELS}
    list_columns = ["full_name", "username", "department", "position", "roles", "active"]
    order_columns = ["username", "active"]
    search_columns = ["first_name", "last_name", "username", "email", "active", "roles",
                      "department", "position", "fields", "last_login"]
    add_columns = ACCOUNT_COLUMNS + PROFILE_COLUMNS + ["password", "conf_password"]
    edit_columns = ACCOUNT_COLUMNS + PROFILE_COLUMNS
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Personal Info"), {"fields": ["last_name", "first_name", "email", "phone"],
                               "expanded": True}),
        (_l("Công tác"), {"fields": PROFILE_COLUMNS[:3], "expanded": True}),
        (_l("Audit Info"), {"fields": ["last_login", "fail_login_count", "created_on",
                                       "created_by", "changed_on", "changed_by"],
                            "expanded": False}),
    ]
    user_show_fieldsets = show_fieldsets[:3]
    base_order = ("username", "asc")
    # Public is the role of anonymous visitors, never of a person.
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "roles": [["name", FilterNotEqual, "Public"]],
    }

    def __init__(self, **kwargs):
        self.formatters_columns = Formatters()
        super().__init__(**kwargs)


class EofficeSecurityManager(SecurityManager):
    user_model = EofficeUser
    userdbmodelview = EofficeUserView
    userstatschartview = None  # FAB's chart loads Google's loader from the internet
