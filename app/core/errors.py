"""Domain errors (a translatable message, optionally tied to a form field) and error pages."""
from flask_babel import lazy_gettext as _l

ERROR_MESSAGES = {
    400: _l("Yêu cầu không hợp lệ."),
    403: _l("Không có quyền truy cập"),
    404: _l("Không tìm thấy"),
    405: _l("Thao tác không được hỗ trợ."),
    413: _l("Tệp tải lên quá lớn."),
    500: _l("Đã có lỗi trong hệ thống. Thao tác chưa được thực hiện; vui lòng thử lại."),
}


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

    messages = ERROR_MESSAGES

    def render(code, message):
        if request.path.startswith("/api/"):
            return jsonify(message=str(message)), code
        if not hasattr(g, "user"):  # the error came before FAB's before_request (e.g. CSRF)
            g.user = current_user
        return render_template("error.html", code=code, message=message,
                               appbuilder=app.appbuilder,
                               base_template=app.appbuilder.base_template), code

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render(400, _l("Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang "
                              "và thử lại."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        from app.core.requests import PlainBadRequest

        if isinstance(error, PlainBadRequest):  # a Vietnamese message of ours: say it
            return render(error.code, error.description)
        if error.code in (401, 403):  # access-control refusals are logged (ASVS 7.2.2)
            app.logger.warning("Refused %s %s %s for user %s from %s", error.code,
                               request.method, request.path,
                               getattr(current_user, "id", None), request.remote_addr)
        return render(error.code, messages.get(error.code, error.description))

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("Unhandled error: %s", error)
        from app.extensions import db

        db.session.rollback()  # on PostgreSQL a failed statement aborts the transaction: the
        return render(500, messages[500])  # error page's own queries would fail with it
