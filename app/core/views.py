"""Base classes for the generated grids and REST resources of every domain.

They carry the rules that must hold on every grid: read/write permissions shared by the web
view and the API, Vietnamese sort order, dates dd/mm/yyyy, uniqueness and "still in use"
messages in Vietnamese, and no 500 on bad input."""

from datetime import date, datetime

from flask import flash, request
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from wtforms import BooleanField
from sqlalchemy import asc, desc
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import unique_conflicts, usages_of, vi_order
from app.core.errors import ERROR_MESSAGES, DomainError
from app.core.timefmt import format_date, format_datetime

# The web view and the REST resource of one thing share two permissions: can_read, can_write.
VIEW_METHOD_PERMISSIONS = {
    "list": "read", "show": "read", "download": "read", "api": "read", "api_read": "read",
    "api_get": "read", "api_readvalues": "read",
    "add": "write", "edit": "write", "delete": "write", "action": "write",
    "action_post": "write", "api_column_add": "write", "api_column_edit": "write",
    "api_create": "write", "api_delete": "write", "api_update": "write", "muldelete": "write",
}
API_METHOD_PERMISSIONS = {
    "get": "read", "get_list": "read", "info": "read", "related": "read", "distinct": "read",
    "post": "write", "put": "write", "delete": "write", "bulk_delete": "write",
}


class VietnameseInterface(SQLAInterface):
    """SQLAInterface that sorts text columns in Vietnamese order (đ after d, ă after a)."""

    def apply_order_by(self, query, order_column, order_direction, aliases_mapping=None,
                       bypass_many_to_many=False, add_pk=False):
        if order_column and "." not in order_column and self.is_string(order_column):
            direction = asc if order_direction == "asc" else desc
            column = vi_order(getattr(self.obj, order_column))
            return query.order_by(direction(column), getattr(self.obj, self.get_pk_name()))
        return super().apply_order_by(query, order_column, order_direction, aliases_mapping,
                                      bypass_many_to_many, add_pk)


def in_use_message(session, item) -> str | None:
    usages = usages_of(session, item)
    if not usages:
        return None
    where = ", ".join(f"{count} {label}" for label, count in usages)
    return _("Không thể xóa «%(item)s»: đang được dùng trong %(where)s.", item=item, where=where)


def duplicate_message(columns) -> str:
    return _("Đã có một mục khác với cùng %(columns)s.", columns=", ".join(columns))


def display_value(value):
    """How a value reads in a grid or a show page: dates dd/mm/yyyy (HH:mm) in Vietnam time,
    Có/Không for yes/no, nothing for an empty value, lists joined by commas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return value


class Formatters(dict):
    """FAB's templates ask formatters_columns.get(column): every column gets display_value
    unless the view gives its own formatter."""

    def get(self, key, default=None):
        return super().get(key, display_value)

    def __bool__(self):  # FAB replaces a falsy formatters_columns with {}
        return True


class EofficeModelView(ModelView):
    method_permission_name = VIEW_METHOD_PERMISSIONS
    page_size = 25
    # FAB's /download/<filename> serves UPLOAD_FOLDER without checking the row: we keep files
    # elsewhere and serve them through views that check visibility.
    exclude_route_methods = {"download"}

    def __init__(self, **kwargs):
        self.formatters_columns = Formatters(self.formatters_columns or {})
        self._optional_checkboxes()
        super().__init__(**kwargs)

    def _optional_checkboxes(self):
        """FAB makes a NOT NULL boolean a required checkbox, which cannot be left unticked:
        give every yes/no column a plain checkbox (ticked by default when the column is)."""
        for form in ("add_form_extra_fields", "edit_form_extra_fields"):
            extra = dict(getattr(self, form) or {})
            for column in self.datamodel.get_columns_list():
                if self.datamodel.is_boolean(column) and column not in extra:
                    default = getattr(self.datamodel.obj.__table__.c[column].default, "arg", None)
                    extra[column] = BooleanField(self.label_columns.get(column, column),
                                                 default=bool(default))
            setattr(self, form, extra)

    def _check_unique(self, item):
        columns = unique_conflicts(self.datamodel.session, item)
        if columns:
            labels = [str(self.label_columns.get(c, c)) for c in columns]
            raise DomainError(duplicate_message(labels))

    def pre_add(self, item):
        self._check_unique(item)

    def pre_update(self, item):
        self._check_unique(item)

    def pre_delete(self, item):
        message = in_use_message(self.datamodel.session, item)
        if message:
            raise DomainError(message)

    def _delete(self, pk):
        # FAB flashes a generic message on a database error; say what happened instead.
        try:
            return super()._delete(pk)
        except DomainError as error:
            flash(str(error), "danger")


class EofficeApi(ModelRestApi):
    method_permission_name = API_METHOD_PERMISSIONS
    allow_browser_login = True

    def response_500(self, message=None):
        # FAB's @safe answers "Fatal error" in English; nothing was saved, say so in Vietnamese.
        self.datamodel.session.rollback()
        return super().response_500(message=str(ERROR_MESSAGES[500]))

    def _unprocessable(self, error):
        self.datamodel.session.rollback()
        field = getattr(error, "field", None)
        return self.response_422(message={field: [str(error)]} if field else str(error))

    def pre_add(self, item):
        columns = unique_conflicts(self.datamodel.session, item)
        if columns:
            raise DomainError(duplicate_message(columns), field=columns[0])

    pre_update = pre_add

    def post_headless(self):
        return self._write(super().post_headless)

    def put_headless(self, pk):
        return self._write(super().put_headless, pk)

    def _write(self, write, *args):
        """FAB's generic create/update, minus what the API fuzzing found: a related record
        sent as an object (marshmallow-sqlalchemy builds a new one from it — a 500, or a row
        of a kind the caller may not create) and values the database refuses (CHECK,
        integer range, characters): a 500 on create, an English SQL message on update."""
        body = request.get_json(silent=True)
        for key, value in (body.items() if isinstance(body, dict) else ()):
            values = value if isinstance(value, list) else [value]
            if self.datamodel.is_relation(key) and any(isinstance(v, dict | list)
                                                       for v in values):
                return self.response_422(message={key: [_("Chỉ nhận mã số (id) của bản ghi "
                                                          "liên quan.")]})
        try:
            response = write(*args)
        except DomainError as error:
            return self._unprocessable(error)
        except (SQLAlchemyError, OverflowError, UnicodeError):
            response = None
        if response is None or (response.status_code == 422 and "Database exception" in
                                str((response.get_json(silent=True) or {}).get("message"))):
            self.datamodel.session.rollback()
            return self.response_422(message=_("Dữ liệu không hợp lệ: giá trị vượt giới hạn, "
                                               "có ký tự không hợp lệ hoặc trái ràng buộc."))
        return response

    def delete_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            message = in_use_message(self.datamodel.session, item)
            if message:
                return self.response_422(message=message)
        return super().delete_headless(pk)


