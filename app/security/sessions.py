"""One session model on every channel (docs/security.md).

A web login starts a session kept on the server (`LoginSession`); the browser's cookie carries
its random id. The same checks run on every request that a session cookie authenticates — web
pages and the REST API alike: the session is still open on the server (not logged out, not
ended by a password change, reset or "Báo lộ mật khẩu"), the session version matches, it has
not been idle longer than SESSION_IDLE_MINUTES nor open longer than SESSION_ABSOLUTE_HOURS; a
temporary password must be changed first, and two-factor login enabled first by those whose
role requires it (TOTP_REQUIRED_ROLES). On the API a cookie also needs the CSRF token in the
X-CSRFToken header to write, and a body must be JSON (or multipart where files are sent).

A request with `Authorization: Bearer` is a token request: the cookie is ignored, the token
carries the session version (app.security.manager), and a temporary password cannot get one."""
import hashlib
import secrets

from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_logged_in
from flask_wtf.csrf import validate_csrf
from sqlalchemy import bindparam, exists, select, update
from wtforms.validators import ValidationError

from app.core import request_facts
from app.core.timefmt import utcnow
from app.security import twofactor
from app.security.models import LoginSession

# What a person with a temporary password may still open.
ALLOWED_WITH_TEMPORARY_PASSWORD = {"EofficeResetMyPasswordView.this_form_get",
                                   "EofficeResetMyPasswordView.this_form_post",
                                   "EofficeAuthDBView.logout", "AuthDBView.logout", "static",
                                   "appbuilder.static", "LocaleView.index"}
# What a person who must enable two-factor login may still open.
ALLOWED_BEFORE_ENROLMENT = ALLOWED_WITH_TEMPORARY_PASSWORD | {
    "AccountView.two_factor", "AccountView.enable_two_factor"}
# Requests a page makes by itself in the background (the bell's count): not the person's
# activity, so they never keep an idle session alive (SESSION_IDLE_MINUTES).
PASSIVE_ENDPOINTS = {"NotificationView.count"}
# The page's own assets (scripts, styles, icons, the service worker and its manifest): public,
# so no session check, and above all no new session cookie. A browser fetches them while a
# form's POST is under way; an answer that rewrote the cookie from the older one it was sent
# with would erase what the POST put there ("Đã ghi nhận.", the next step's message).
ASSET_ENDPOINTS = {"static", "appbuilder.static", "pwa.manifest", "pwa.icon_svg",
                   "pwa.icon_png", "pwa.icon_maskable", "pwa.offline", "pwa.service_worker"}
# The last activity is written to the cookie at most once a minute: fewer rewritten cookies,
# so fewer answers racing each other, and the idle limit counts in minutes anyway.
LAST_SEEN_STEP = 60
LOGIN_API = "EofficeSecurityApi."  # /api/v1/security/login and /refresh
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Bodies the REST API reads: JSON; multipart where files are sent; edXML packages.
API_BODY_TYPES = {"application/json", "multipart/form-data", "application/xml", "text/xml"}
# Other systems' edXML packages come as whatever their HTTP library sends (a partner token).
ANY_BODY_ENDPOINTS = {"ExchangeApi.inbox"}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def is_token_request() -> bool:
    return is_api_request() and bool(request.headers.get("Authorization"))


# ---------------------------------------------------------------- the server-side session

def start(user) -> None:
    """A web login: a new server-side session, its id in the cookie."""
    from app.extensions import db

    sid = secrets.token_urlsafe(32)
    db.session.add(LoginSession(id=sid, user_id=user.id, started_at=utcnow(),
                                ip=request.remote_addr,
                                user_agent=(request.user_agent.string or "")[:300]))
    db.session.commit()
    now = utcnow().timestamp()
    session["sid"] = sid
    session["sv"] = user.session_version
    session["login_at"] = session["last_seen"] = now


def end_current() -> None:
    """Logout: this session is over on the server too (a copied cookie is dead)."""
    from app.extensions import db

    sid = session.pop("sid", None)
    if sid:
        db.session.execute(update(LoginSession).where(
            LoginSession.id == sid, LoginSession.ended_at.is_(None)).values(ended_at=utcnow()))


def end_all(db_session, user, keep: str | None = None) -> None:
    """Every open session of the person ends, but `keep` (the one changing its password).
    The caller commits."""
    query = update(LoginSession).where(LoginSession.user_id == user.id,
                                       LoginSession.ended_at.is_(None))
    if keep:
        query = query.where(LoginSession.id != keep)
    db_session.execute(query.values(ended_at=utcnow()))


def open_sessions(db_session, user) -> list[LoginSession]:
    return list(db_session.scalars(select(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .order_by(LoginSession.started_at.desc())))


def handle(row: LoginSession) -> str:
    """How a page names a session: not its id, which is the cookie's secret half."""
    return hashlib.sha256(row.id.encode()).hexdigest()[:16]


def end_own(db_session, user, which: str | None, everyone: bool = False) -> int:
    """The person ends one of their other sessions (by its handle), or all of them but this
    one (one unit of work). The number ended."""
    ids = [row.id for row in open_sessions(db_session, user)
           if row.id != current_sid() and (everyone or handle(row) == which)]
    if not ids:
        return 0
    count = db_session.execute(update(LoginSession).where(LoginSession.id.in_(ids))
                               .values(ended_at=utcnow())).rowcount
    db_session.commit()
    return count


def current_sid() -> str | None:
    return session.get("sid")


def _cookie_session():
    """The question's parameter: the cookie's login session (None: no cookie session)."""
    sid = session.get("sid")
    if not sid or not isinstance(sid, str) or is_token_request():
        return None
    return {"fact_sid": sid}


@request_facts.fact("login_session_open", applies=_cookie_session)
def _open_column():
    """The cookie's login session is open and the person's (read with the person)."""
    return exists().where(LoginSession.id == bindparam("fact_sid"),
                          LoginSession.user_id == request_facts.person_id(),
                          LoginSession.ended_at.is_(None))


def _is_open(user) -> bool:
    from app.extensions import db

    sid = session.get("sid")
    if not sid or not isinstance(sid, str):
        return False
    answer = request_facts.known("login_session_open", user.id)
    if answer is not request_facts.MISSING:
        return bool(answer)
    row = db.session.get(LoginSession, sid)
    return row is not None and row.ended_at is None and row.user_id == user.id


def ended_reason(user) -> str | None:
    """Why this cookie's session is over, or None while it is valid."""
    now = utcnow().timestamp()
    config = current_app.config
    if session.get("sv") != user.session_version or not _is_open(user):
        return _("Phiên làm việc đã kết thúc (đã đăng xuất, đổi mật khẩu hoặc tài khoản bị "
                 "khóa). Vui lòng đăng nhập lại.")
    if now - session.get("last_seen", 0) > config["SESSION_IDLE_MINUTES"] * 60:
        return _("Phiên làm việc đã hết hạn sau thời gian không sử dụng. Vui lòng đăng nhập "
                 "lại.")
    if now - session.get("login_at", 0) > config["SESSION_ABSOLUTE_HOURS"] * 3600:
        return _("Phiên làm việc đã quá thời gian cho phép. Vui lòng đăng nhập lại.")
    return None


# ---------------------------------------------------------------- the rules, every request

def init_session_rules(app):
    def on_login(_sender, user, **_extra):
        start(user)

    user_logged_in.connect(on_login, app, weak=False)
    app.before_request(refuse_non_json_bodies)

    @app.before_request
    def enforce_session_rules():
        if is_token_request():
            _ignore_cookie()  # a token request is the token's bearer, whatever the cookie
            return None
        if request.endpoint in ASSET_ENDPOINTS:
            return None
        if str(request.endpoint).startswith(LOGIN_API):
            return None  # credentials in the body, not the cookie, are what counts there
        if not current_user.is_authenticated:
            return None
        return check_cookie_session(current_user)


def _ignore_cookie():
    anonymous = current_app.login_manager.anonymous_user()
    g._login_user = anonymous
    g.user = anonymous


def check_cookie_session(user):
    api = is_api_request()
    ended = ended_reason(user)
    if ended:
        end_current()
        logout_user()
        session.clear()
        from app.extensions import db

        db.session.commit()
        g.user = current_user
        if api:
            return jsonify(message=ended), 401
        flash(ended, "warning")
        return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))
    now = utcnow().timestamp()
    if (request.endpoint not in PASSIVE_ENDPOINTS
            and now - session.get("last_seen", 0) >= LAST_SEEN_STEP):
        session["last_seen"] = now
    if user.must_change_password and request.endpoint not in ALLOWED_WITH_TEMPORARY_PASSWORD:
        return _first_do(api, _("Bạn đang dùng mật khẩu tạm thời: hãy đổi mật khẩu trên giao "
                                "diện web trước khi tiếp tục."),
                         "EofficeResetMyPasswordView.this_form_get")
    if request.endpoint not in ALLOWED_BEFORE_ENROLMENT and twofactor.must_enrol(user):
        return _first_do(api, _("Vai trò của bạn bắt buộc dùng xác thực hai bước: hãy bật "
                                "trước khi tiếp tục."), "AccountView.two_factor")
    if api and request.method in WRITE_METHODS:
        return _refuse_api_write_without_csrf()
    return None


def _first_do(api: bool, message: str, endpoint: str):
    """Something must be done before anything else: JSON 403 on the API, else the page."""
    if api:
        return jsonify(message=message), 403
    flash(message, "warning")
    return redirect(url_for(endpoint))


def _refuse_api_write_without_csrf():
    """A cookie is sent by the browser with any cross-site request: a write through the API
    with the cookie must prove it comes from our pages (the CSRF token in X-CSRFToken, which
    another site cannot read nor send without a CORS preflight)."""
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except ValidationError:
        return jsonify(message=_("Thiếu hoặc sai mã chống giả mạo (CSRF): ghi qua API bằng "
                                 "phiên trình duyệt cần tiêu đề X-CSRFToken; hoặc dùng mã "
                                 "truy cập (Authorization: Bearer).")), 403
    return None


def refuse_non_json_bodies():
    """JSON endpoints read JSON: a form or text/plain body (what another site's form can send
    without a preflight) is refused before anything reads it."""
    if not is_api_request() or request.method not in WRITE_METHODS:
        return None
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return None
    if request.mimetype in API_BODY_TYPES or request.endpoint in ANY_BODY_ENDPOINTS:
        return None
    return jsonify(message=_("Nội dung yêu cầu phải là JSON (Content-Type: "
                             "application/json), hoặc multipart/form-data khi gửi tệp.")), 415
