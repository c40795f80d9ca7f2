"""Sessions kept on the server: every web login gets a row; the browser's cookie carries only
its random id. Logout, "Báo lộ mật khẩu", a password change or reset end the rows, so a cookie
copied before that is dead on every channel (web pages and the REST API alike)."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String

from app.core.timefmt import utcnow


class LoginSession(Model):
    __tablename__ = "login_session"
    __label__ = _l("phiên đăng nhập")
    __table_args__ = (Index("ix_login_session_user", "user_id", "ended_at"),)

    id = Column(String(64), primary_key=True)  # secrets.token_urlsafe(32), in the cookie
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    started_at = Column(DateTime, nullable=False, default=utcnow)  # UTC
    ended_at = Column(DateTime)  # set: the session is over, whatever the cookie says
    ip = Column(String(45))
    user_agent = Column(String(300))


class PermissionStamp(Model):
    """The version of the roles' permissions: one row (id 1), raised by the database's
    triggers on every change of a role, a permission, a function or their links (migration
    0035), whatever makes the change. Each process keeps the permissions it read under the
    version they were read at (app.security.access.permissions_of)."""
    __tablename__ = "permission_stamp"
    __label__ = _l("phiên bản phân quyền")

    id = Column(Integer, primary_key=True, autoincrement=False)
    version = Column(Integer, nullable=False)
