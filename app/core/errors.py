"""Domain errors (a translatable message, optionally tied to a form field) and error pages.

Faults of the machine (app.core.faults) have answers of their own: a full disk is a 507 with
DISK_FULL_MESSAGE (the administrators are told); an unreachable database a 503 with
Retry-After and a static page (static/errors/503.html) that needs neither the database nor the
application's layout. Under /api/ both are JSON {"message": …}, also from inside FAB's @safe
(which would answer 500 "Fatal error")."""
from flask_babel import lazy_gettext as _l

ERROR_MESSAGES = {
    400: _l("Yêu cầu không hợp lệ."),
    403: _l("Không có quyền truy cập"),
    404: _l("Không tìm thấy"),
    405: _l("Thao tác không được hỗ trợ."),
    413: _l("Tệp tải lên quá lớn."),
    500: _l("Đã có lỗi trong hệ thống. Thao tác chưa được thực hiện; vui lòng thử lại."),
    503: _l("Hệ thống tạm thời không kết nối được cơ sở dữ liệu. Thao tác chưa được thực hiện; "
            "vui lòng thử lại sau ít phút."),
    507: _l("Không còn dung lượng lưu trữ — đã báo quản trị mạng; chưa có gì được lưu."),
}
DISK_FULL_MESSAGE = ERROR_MESSAGES[507]
DATABASE_DOWN_MESSAGE = ERROR_MESSAGES[503]
RETRY_AFTER_SECONDS = 60  # Retry-After of a 503: a database restart usually takes less


class DomainError(ValueError):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


class FormErrors(DomainError):
    """Several messages, each next to its field (`errors`: {field: [message]}). Nothing has
    been saved."""

    def __init__(self, errors: dict, duplicates=None):
        super().__init__(_l("Vui lòng sửa các lỗi được đánh dấu."))
        self.errors = errors
        self.duplicates = duplicates or []


def register_error_pages(app):
    """Errors in Vietnamese, in the application's layout (JSON under /api/)."""
    from flask import g, jsonify, render_template, request
    from flask_login import current_user
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException

    from app.core import faults

    messages = ERROR_MESSAGES

    def render(code, message):
        if request.path.startswith("/api/"):
            return jsonify(message=str(message)), code
        try:
            if not hasattr(g, "user"):  # the error came before FAB's before_request (CSRF)
                g.user = current_user
            return render_template("error.html", code=code, message=message,
                                   appbuilder=app.appbuilder,
                                   base_template=app.appbuilder.base_template), code
        except Exception as error:  # the layout reads the database (menu, user, notices)
            _rollback_quietly()
            kind = faults.kind_of(error)
            if kind == faults.DATABASE_DOWN:
                return fault_response(error, kind)
            if kind == faults.DISK_FULL:
                if code != 507:
                    faults.report_disk_full(app, error)
                return static_page(app, 507)
            app.logger.exception("The error page failed: %s", error)
            return static_page(app, 500 if code >= 500 else code, code)

    def fault_response(error, kind):
        """507 for a full disk, 503 for an unreachable database (see the module's docstring);
        the transaction is rolled back first."""
        _rollback_quietly()
        api = request.path.startswith("/api/")
        if kind == faults.DISK_FULL:
            faults.report_disk_full(app, error)
            return render(507, DISK_FULL_MESSAGE)
        app.logger.error("Database unreachable (%s %s): %s", request.method, request.path,
                         error)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if api:
            return jsonify(message=str(DATABASE_DOWN_MESSAGE)), 503, headers
        return static_page(app, 503, headers=headers)

    app.extensions["eoffice_fault_response"] = fault_response
    _answer_faults_inside_fab_safe()

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render(400, _l("Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang "
                              "và thử lại."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        from app.core.requests import PlainBadRequest

        if isinstance(error, PlainBadRequest):  # a Vietnamese message of ours: say it
            return render(error.code, error.description)
        original = getattr(error, "original_exception", None)
        kind = faults.kind_of(original)
        if kind:  # an unhandled error reported as a 500 (e.g. one raised by an error page)
            return fault_response(original, kind)
        if error.code in (401, 403):  # access-control refusals are logged (ASVS 7.2.2)
            app.logger.warning("Refused %s %s %s for user %s from %s", error.code,
                               request.method, request.path,
                               getattr(current_user, "id", None), request.remote_addr)
        return render(error.code, messages.get(error.code, error.description))

    @app.errorhandler(Exception)
    def unexpected_error(error):
        kind = faults.kind_of(error)
        if kind:
            return fault_response(error, kind)
        app.logger.exception("Unhandled error: %s", error)
        # On PostgreSQL a failed statement aborts the transaction: the error page's own
        # queries would fail with it.
        _rollback_quietly()
        return render(500, messages[500])


def _rollback_quietly():
    """Roll the request's transaction back; with the database gone, there is nothing to."""
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:
        pass


_STATIC_PAGES: dict = {}


def static_page(app, code: int, shown: int | None = None, headers=None):
    """static/errors/<code>.html as it is on the disk: no database, no template, no session
    (also what the reverse proxy may serve when the application is down)."""
    from pathlib import Path

    from flask import make_response

    path = Path(app.static_folder) / "errors" / f"{code}.html"
    if path not in _STATIC_PAGES:
        try:
            _STATIC_PAGES[path] = path.read_bytes()
        except OSError:
            _STATIC_PAGES[path] = ("<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\">"
                                   f"<title>{code}</title><p>{messages_plain(code)}</p>"
                                   "</html>").encode()
    response = make_response(_STATIC_PAGES[path], shown or code)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def messages_plain(code: int) -> str:
    from markupsafe import escape

    return str(escape(str(ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]))))


def _answer_faults_inside_fab_safe():
    """FAB's @safe turns every exception of a REST endpoint (the login API too) into
    response_500 "Fatal error", called while the exception is being handled: there a full disk
    becomes our 507 and an unreachable database our 503 (once for every BaseApi)."""
    import sys

    from flask import current_app
    from flask_appbuilder.api import BaseApi

    from app.core import faults

    if getattr(BaseApi.response_500, "_eoffice_faults", False):
        return
    fab_response_500 = BaseApi.response_500

    def response_500(self, message=None):
        error = sys.exc_info()[1]
        kind = faults.kind_of(error)
        answer = current_app.extensions.get("eoffice_fault_response") if kind else None
        if answer is not None:
            return answer(error, kind)
        return fab_response_500(self, message)

    response_500._eoffice_faults = True
    BaseApi.response_500 = response_500
