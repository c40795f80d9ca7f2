"""Organisation: departments (agency → units), positions, and the user profile that extends
FAB's user with department, position, fields of responsibility and phone."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import relationship

from app.catalogs.models import Field
from app.core.model_mixins import CatalogRow, NamedRow, link_table, reference


class Department(CatalogRow, Model):
    """Cơ quan / đơn vị: the agency is the root, its units (phòng, ban) hang below it."""
    __tablename__ = "department"
    __label__ = _l("đơn vị")

    name = Column(String(200), nullable=False, unique=True)
    code = Column(String(20), nullable=False, unique=True)  # e.g. VP, TCCB: used in symbols
    parent_id = Column(Integer, ForeignKey("department.id", ondelete="RESTRICT"))
    parent = relationship("Department", remote_side="Department.id", backref="children")
    sort_order = Column(Integer, nullable=False, default=0)


class Position(NamedRow, Model):
    """Chức vụ: Giám đốc, Phó Giám đốc, Chánh Văn phòng, Trưởng phòng, Chuyên viên…"""
    __tablename__ = "position"
    __label__ = _l("chức vụ")

    name = Column(String(100), nullable=False, unique=True)
    is_leader = Column(Boolean, nullable=False, default=False)
    can_sign = Column(Boolean, nullable=False, default=False)
    sort_order = Column(Integer, nullable=False, default=0)


user_field = link_table("user_field", _l("người dùng phụ trách lĩnh vực"),
                        ("user_id", "ab_user", "CASCADE"), ("field_id", "field", "RESTRICT"))


class EofficeUser(User):
    """FAB's user (table ab_user) with the organisation profile."""
    __label__ = _l("người dùng")
    department_id, department = reference(Department)
    position_id, position = reference(Position)
    phone = Column(String(30))
    fields = relationship(Field, secondary=user_field, order_by=Field.name)
    # Accounts (app.security.accounts): every session carries the version it started with;
    # a password change, reset or report bumps it and so ends all other sessions.
    session_version = Column(Integer, nullable=False, default=1, server_default="1")
    must_change_password = Column(Boolean, nullable=False, default=False,
                                  server_default=false())
    locked_until = Column(DateTime)  # too many failed logins
    compromised_at = Column(DateTime)  # "Báo lộ mật khẩu": locked until the admin resets
    # Two-factor login (app.security.twofactor): the TOTP secret (None: not enabled) and the
    # last time step accepted, so a code is used once.
    otp_secret = Column(String(64))
    otp_last_step = Column(Integer)

    @property
    def full_name(self):
        # Vietnamese order: family and middle names, then the given name.
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def account_status(self):
        """What the administrator needs to know about the account, in the user list."""
        from flask_babel import gettext as _

        from app.core.timefmt import utcnow

        if self.compromised_at:
            return _("Báo lộ mật khẩu")
        if self.locked_until and self.locked_until > utcnow():
            return _("Đang khóa")
        if self.must_change_password:
            return _("Mật khẩu tạm thời")
        return ""

    @property
    def two_factor_status(self):
        from flask_babel import gettext as _

        return _("Đã bật") if self.otp_secret else _("Chưa bật")

    def get_full_name(self):  # FAB's navbar and panels call this
        return self.full_name

    def __repr__(self):
        return self.full_name
