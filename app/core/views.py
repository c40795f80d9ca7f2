"""Base classes for the generated grids and REST resources of every domain.

They carry the rules that must hold on every grid: read/write permissions shared by the web
view and the API, Vietnamese sort order, dates dd/mm/yyyy, uniqueness and "still in use"
messages in Vietnamese, and no 500 on bad input. Also what the pages written by hand repeat:
their permissions, a record or 404, a posted form's checks, a refused step flashed."""

import threading
from collections import OrderedDict
from datetime import date, datetime

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import ModelRestApi, ModelView, expose, has_access
from flask_appbuilder.models.sqla.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.widgets import SearchWidget
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import BooleanField, DateField, DateTimeField, IntegerField, StringField
from sqlalchemy import asc, desc, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from app.core.db import statement_key, unique_conflicts, usages_of, vi_order
from app.core import search
from app.core.errors import ERROR_MESSAGES, DomainError, FormErrors
from app.core.headers import csp_nonce
from app.core.text import fold, vietnamese_sort_key
from app.core.timefmt import format_date, format_datetime, today_local
from app.extensions import cache

# The web view and the REST resource of one thing share two permissions: can_read, can_write.
VIEW_METHOD_PERMISSIONS = {
    "list": "read", "show": "read", "download": "read", "api": "read", "api_read": "read",
    "choices": "read",
    "api_get": "read", "api_readvalues": "read",
    "add": "write", "edit": "write", "delete": "write", "action": "write",
    "action_post": "write", "api_column_add": "write", "api_column_edit": "write",
    "api_create": "write", "api_delete": "write", "api_update": "write", "muldelete": "write",
}
API_METHOD_PERMISSIONS = {
    "get": "read", "get_list": "read", "info": "read", "related": "read", "distinct": "read",
    "post": "write", "put": "write", "delete": "write", "bulk_delete": "write",
}


# A grid counts its rows up to this many; beyond, it says "more than" and pages next/previous
# (and to the last page, read backwards). A thousand rows is forty pages: nobody pages further,
# they filter; counting to ten thousand rows an officer may see cost 50 ms a page at a decade.
COUNT_CAP = 1_000
CHOICES_PAGE = 20  # entries per page of a filter's dropdown


class DrawnRows:
    """A versioned grid's page of rows as drawn (the table's HTML, its count and its number of
    rows), kept in the process for one reader, address, language, day and version of the data
    (EofficeModelView.page_version): a reader who looks at their box again, nothing having
    changed, is not sent the rows' loading, their deadline marks, their computed columns and
    FAB's list template again (half of a grid page's time). What is drawn for one request only
    stays out: the CSP nonce of the rows' scripts is put back at each look; the CSRF token is
    in the list's form, outside the rows. The newest KEPT pages are kept (a page is 40–70 KB)."""
    KEPT = 200
    START, END = "<!--grid-rows-->", "<!--/grid-rows-->"
    NONCE = "\x00nonce\x00"  # where the request's nonce goes

    def __init__(self):
        self._pages = OrderedDict()
        self._lock = threading.Lock()  # `make run`'s server answers in threads

    def get(self, key):
        with self._lock:
            drawn = self._pages.get(key)
            if drawn is not None:
                self._pages.move_to_end(key)
            return drawn

    def keep(self, key, count, row_count, unranked, page_html):
        """Keep the rows drawn in `page_html` (the list widget's HTML, between the markers)."""
        start, end = page_html.find(self.START), page_html.find(self.END)
        if start < 0 or end < start:
            return
        rows = page_html[start + len(self.START):end].replace(csp_nonce(), self.NONCE)
        with self._lock:
            self._pages[key] = (count, row_count, unranked, rows)
            self._pages.move_to_end(key)
            while len(self._pages) > self.KEPT:
                self._pages.popitem(last=False)

    def clear(self):
        with self._lock:
            self._pages.clear()

    @classmethod
    def shown(cls, rows: str) -> Markup:
        return Markup(cls.START + rows.replace(cls.NONCE, csp_nonce()) + cls.END)


def drawn_rows() -> DrawnRows:
    """This application's kept rows (one per app: tests run several apps, each its database,
    in one process)."""
    return current_app.extensions.setdefault("eoffice.drawn_rows", DrawnRows())


class _KeepingWidget:
    """The list widget of a page not yet kept: drawn as FAB draws it, then kept."""

    def __init__(self, widget, keep):
        self.widget, self.keep = widget, keep

    def __call__(self, **kwargs):
        html = self.widget(**kwargs)
        self.keep(str(html))
        return html

    def __getattr__(self, name):
        return getattr(self.widget, name)


class KeptSearchWidget(SearchWidget):
    """FAB's filter box, whose fields' inputs are drawn once per grid and language, not at
    every look (0.4 ms of every grid page): what FAB draws of each field is the same empty
    input whatever the request, when the field's input depends on nothing but its name —
    text, numbers, yes/no, dates, and the related-record filters filled on demand
    (ChoicesOnDemand). A grid with a field whose choices come from the database (FAB's
    QuerySelect fields; none of our grids has one today) draws its box at every look, as FAB.
    The filters chosen (`active_filters`) and the request's nonce are drawn every time."""
    STATIC_FIELDS = (StringField, IntegerField, BooleanField, DateField, DateTimeField)
    _lock = threading.Lock()

    def __call__(self, **kwargs):
        form, columns = self.template_args["form"], self.template_args["include_cols"]
        boxes = current_app.extensions.setdefault("eoffice.search_boxes", {})  # per app
        key = (request.script_root, self.template_args.get("route_base"), tuple(columns),
               str(get_locale()))
        kept = boxes.get(key)
        if kept is None:
            if request.method != "GET" or not all(
                    type(form[column]) in self.STATIC_FIELDS for column in columns):
                return super().__call__(**kwargs)
            filters = self.filters.get_search_filters()
            drawn = ({column: str(form[column].label.text) for column in columns},
                     {column: form[column]() for column in columns},
                     {column: [str(flt.name) for flt in filters[column]]
                      for column in columns})
            with self._lock:
                kept = boxes.setdefault(key, drawn)
        kwargs["label_columns"], kwargs["form_fields"], kwargs["search_filters"] = kept
        kwargs["active_filters"] = self.filters.get_filters_values_tojson()
        return super(SearchWidget, self).__call__(**kwargs)


def link_to(endpoint: str, key: str, text: str):
    """A computed grid column: the row's `text` as a link to `endpoint` (the row's id passed
    as `key`)."""
    return lambda row: Markup('<a href="{}">{}</a>').format(
        url_for(endpoint, **{key: row.id}), getattr(row, text))


class GridFilter(BaseFilter):
    """The base filter of a domain's grid: its visibility rule, the chosen box (`?box=`, an
    unknown box is a 404) and the search box (`?q=`). A grid makes its own with `of(...)`:
    `visible(user)` and `box(user, name)` give SQL conditions (`box` None or a DomainError for
    an unknown name); `ranked`: a model searched through app.core.search (best first), else
    `search(text)` gives a condition; `more(args)`: further conditions from the address."""
    name = arg_name = "visible"
    rules = {}

    @classmethod
    def of(cls, visible, box=None, ranked=None, search=None, more=None):
        return type("GridFilter", (cls,), {"rules": dict(
            visible=visible, box=box, ranked=ranked, search=search, more=more)})

    @classmethod
    def base(cls, visible, **rules):
        """A grid's `base_filters` (FAB's [column, filter, value] rows): the one of `of`."""
        return [["id", cls.of(visible, **rules), lambda: None]]

    def apply(self, query, _value):
        rules = self.rules
        query = query.filter(rules["visible"](g.user))
        box = request.args.get("box")
        if box and rules["box"] is not None:
            try:
                condition = rules["box"](g.user, box)
            except DomainError:
                condition = None
            if condition is None:
                abort(404)
            query = query.filter(condition)
        text = (request.args.get("q") or "").strip()
        if text and rules["ranked"] is not None:  # the matches, best first
            query, ranked = search.search(query, rules["ranked"], text,
                                          counting=g.get("grid_counting", False),
                                          dense=g.get("grid_rows", 0) > COUNT_CAP)
            g.search_unranked = not ranked  # the list says so
        elif text and rules["search"] is not None:
            query = query.filter(rules["search"](text))
        if rules["more"] is not None:
            query = query.filter(*rules["more"](request.args))
        return query


class VietnameseInterface(SQLAInterface):
    """SQLAInterface that sorts text columns in Vietnamese order (đ after d, ă after a), counts
    cheaply and loads the related rows a grid shows with the rows themselves.

    FAB counts `SELECT count(*) FROM (SELECT <every column> …)` on every page and loads each
    related row of each line by a query of its own; at a million rows both show."""

    list_joins = ()  # many-to-one relationships the grid shows (set by EofficeModelView)
    filter_converter_class = search.EscapedFilterConverter  # typed % and _ match themselves
    computed = {}  # columns a view computes from the row: name → function(row) (ditto)
    # session → the version of the data (EofficeModelView.page_version): a page's count and
    # ids are remembered per version; None: counted and selected at each look.
    version = None
    # session → the version that steps over the changes which only add rows (a registration:
    # EofficeModelView.growing_version): a count past COUNT_CAP stays past it until another
    # change, so "hơn 1.000" is not counted again after every registration. None: no such.
    growing_version = None

    def _get_attr_value(self, item, col):
        compute = self.computed.get(col)
        return compute(item) if compute else SQLAInterface._get_attr_value(item, col)

    def query(self, filters=None, order_column="", order_direction="", page=None,
              page_size=None, select_columns=None, outer_default_load=False):
        query = self.session.query(self.obj)
        # without paging (FAB's related-field choices) the rows themselves are the count
        count = self.capped_count(query, filters) if page_size else None
        g.grid_rows = count or 0  # for the filters building the page (GridFilter's search)
        try:
            query = self.apply_all(query, filters, order_column, order_direction, page,
                                   page_size, select_columns, outer_default_load)
        finally:
            g.pop("grid_rows", None)
        if page_size and self._rememberable(select_columns):
            rows = self._rows_of_remembered_page(query)
        else:
            rows = query.options(*self._joined()).all()
        if rows and hasattr(rows[0], self.obj.__name__):  # FAB's shape for selected columns
            rows = [getattr(row, self.obj.__name__) for row in rows]
        return len(rows) if count is None else count, rows

    def _joined(self) -> list:
        """The related rows the grid shows, loaded with the page's rows."""
        return [joinedload(getattr(self.obj, name)) for name in self.list_joins]

    def _rememberable(self, select_columns=None) -> bool:
        return self.version is not None and len(self.obj.__mapper__.primary_key) == 1 and \
            not (select_columns and self.exists_col_to_many(select_columns))

    def _digest(self, statement) -> str:
        """What `statement` reads: its SQL with its values (the reader's visibility, the
        filters, the order and the page are all in it)."""
        return statement_key(statement, self.session.get_bind().dialect)

    @staticmethod
    def _key(digest, version, what="grid") -> str:
        return ":".join((what, digest, str(version), today_local().isoformat()))

    def _remembered(self, statement, compute):
        """compute() for what `statement` reads, at this version of the data and this day,
        from the cache when it is there."""
        key = self._key(self._digest(statement), self.version(self.session))
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value)
        return value

    def _rows_of_remembered_page(self, query) -> list:
        """The page's rows: their ids in order remembered (app.extensions.cache), the rows
        themselves (and what the grid shows of their related rows) loaded by id."""
        pk = getattr(self.obj, self.get_pk_name())
        ids_query = query.with_entities(pk)
        ids = self._remembered(ids_query.statement,
                               lambda: [row[0] for row in ids_query.all()])
        if not ids:
            return []
        loaded = {getattr(row, pk.key): row
                  for row in self.session.query(self.obj).filter(pk.in_(ids))
                  .options(*self._joined())}
        return [loaded[i] for i in ids if i in loaded]

    def capped_count(self, query, filters=None) -> int:
        """The number of rows, counted up to COUNT_CAP + 1 on the filtered base table."""
        # filters may build a counting query differently (search; app.core.db.lines_exist):
        # the number of rows the count stops at
        g.grid_counting = COUNT_CAP + 1
        try:
            inner = self._apply_inner_all(query, filters, aliases_mapping={})
        finally:
            g.grid_counting = False
        if not self._rememberable():
            return self._capped_count(inner)
        statement = inner.limit(COUNT_CAP + 1).statement
        if self.growing_version is None:
            return self._remembered(statement, lambda: self._capped_count(inner))
        # Past the cap at a version that steps over registrations: still past it (the rows
        # added since can only add to any reader's, filter's or search's count).
        digest = self._digest(statement)
        current = self._key(digest, self.version(self.session))
        past = self._key(digest, self.growing_version(self.session), "grid-past-cap")
        count, was_past = cache.get_many(current, past)  # one round trip
        if count is None and was_past:
            count = COUNT_CAP + 1
        if count is None:
            count = self._capped_count(inner)
            cache.set(current, count)
            if count > COUNT_CAP:
                cache.set(past, True)
        return count

    def _capped_count(self, inner) -> int:
        from_index = search.count_from_index(inner, COUNT_CAP)
        if from_index is not None:
            return from_index
        inner = inner.with_entities(getattr(self.obj, self.get_pk_name())).order_by(None)
        inner = inner.limit(COUNT_CAP + 1)
        return self.session.scalar(select(func.count()).select_from(inner.subquery()))

    def apply_order_by(self, query, order_column, order_direction, aliases_mapping=None,
                       bypass_many_to_many=False, add_pk=False):
        direction = asc if order_direction == "asc" else desc
        pk = getattr(self.obj, self.get_pk_name())
        if order_column and "." not in order_column and self.is_string(order_column):
            column = vi_order(getattr(self.obj, order_column))
            return query.order_by(direction(column), pk)
        if order_column and "." not in order_column and \
                self.is_relation_many_to_one(order_column):
            # By the related row's name: an inner join when the link is required, so that the
            # database may walk the names in order and stop after one page.
            link = getattr(self.obj, order_column)
            related = link.property.mapper.class_
            optional = any(column.nullable for column in link.property.local_columns)
            query = query.outerjoin(link) if optional else query.join(link)
            # The related row's id between the name and ours: two agencies of one name stay
            # apart, and SQLite reads each agency's rows in id order from the foreign-key index
            # instead of sorting the first agency's (tens of thousands) again.
            related_pk = related.__mapper__.primary_key[0]
            return query.order_by(direction(vi_order(related.name)), direction(related_pk),
                                  direction(pk))
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


class ChoicesOnDemand:
    """The widget of a filter on a related record: an empty <select> that the browser fills
    as the reader types (static/js/ajax-choices.js, select2 with AJAX) from the grid's
    `choices` endpoint. FAB renders every related table as a dropdown on every page."""

    def __init__(self, view_name, column):
        self.view_name, self.column = view_name, column

    def __call__(self, field, **kwargs):
        url = url_for(f"{self.view_name}.choices", column=self.column)
        return Markup('<select class="form-control ajax-choices" id="{}" name="{}" '
                      'data-choices="{}"></select>').format(field.id, field.name, url)


class Formatters(dict):
    """FAB's templates ask formatters_columns.get(column): every column gets display_value
    unless the view gives its own formatter."""

    def get(self, key, default=None):
        return super().get(key, display_value)

    def __bool__(self):  # FAB replaces a falsy formatters_columns with {}
        return True


class EofficeModelView(ModelView):
    method_permission_name = VIEW_METHOD_PERMISSIONS
    search_widget = KeptSearchWidget
    page_size = 25
    # FAB's /download/<filename> serves UPLOAD_FOLDER without checking the row: we keep files
    # elsewhere and serve them through views that check visibility.
    exclude_route_methods = {"download"}
    # Grid columns computed by the view (a link, a badge): name → function(row). The models
    # stay free of presentation; FAB reads the values through the datamodel.
    computed_columns = {}
    # session → the version of the data, for a grid whose rows and filters read only records
    # that every change versions (app.audit.version.data_version): its pages' counts and ids
    # are remembered per version (VietnameseInterface.version). None: read at each look.
    page_version = None
    # session → the version of the data stepping over changes that only add rows (see
    # VietnameseInterface.growing_version); None: a count is kept per page_version only.
    growing_version = None

    def __init__(self, **kwargs):
        self.formatters_columns = Formatters(self.formatters_columns or {})
        self._optional_checkboxes()
        self._choices_on_demand()
        super().__init__(**kwargs)
        if isinstance(self.datamodel, VietnameseInterface):
            self.datamodel.list_joins = [c for c in self.list_columns
                                         if self.datamodel.is_relation_many_to_one(c)]
            self.datamodel.computed = dict(self.computed_columns)
            self.datamodel.version = self.page_version
            self.datamodel.growing_version = self.growing_version

    def prepare_rows(self, rows):
        """Load at once what the computed columns need for the page's rows (no query per row)."""

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="",
                         page=None, page_size=None, widgets=None, **kwargs):
        """FAB's list, with a "more than COUNT_CAP" count and a last page read backwards
        (`?last=1`: the first page of the reversed order, no OFFSET over the whole table)."""
        widgets = widgets or {}
        page_size = page_size or self.page_size
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        last = request.args.get("last") == "1" and bool(order_column)
        if last:
            order_direction = "asc" if order_direction == "desc" else "desc"
            page = 0
        key = self._drawn_rows_key(page_size)
        drawn = drawn_rows().get(key) if key else None
        if drawn is not None:  # the same rows, drawn at this version for this reader
            count, row_count, unranked, rows_html = drawn
            if unranked is not None:
                g.search_unranked = unranked
            rows, rows_html = [], DrawnRows.shown(rows_html)
        else:
            count, rows = self.datamodel.query(filters.get_joined_filters(self._base_filters),
                                               order_column, order_direction, page=page,
                                               page_size=page_size)
            if last:
                rows.reverse()
            self.prepare_rows(rows)
            row_count, rows_html = len(rows), None
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns, include_columns=self.list_columns,
            value_columns=self.datamodel.get_values(rows, self.list_columns),
            order_columns=self.order_columns, formatters_columns=self.formatters_columns,
            page=page, page_size=page_size, count=count,
            pks=[self._serialize_pk_if_composite(pk) for pk in self.datamodel.get_keys(rows)],
            actions=actions or self.actions, filters=filters,
            modelview_name=self.__class__.__name__, count_cap=COUNT_CAP, last_page=last,
            row_count=row_count, rows_html=rows_html, **kwargs)
        if key and drawn is None:
            unranked = g.get("search_unranked")
            widgets["list"] = _KeepingWidget(widgets["list"], lambda html: drawn_rows().keep(
                key, count, row_count, unranked, html))
        return widgets

    def _drawn_rows_key(self, page_size):
        """The key of this page's rows in `drawn_rows()` (None: not kept): the grid, the
        reader, their language, the address (box, search, filters, order, page), the page
        size, the count's cap and the ranking's limit, the day and the version of the data.
        Only for grids whose rows read only what every change versions (page_version), and
        on a GET."""
        if self.page_version is None or request.method != "GET" or \
                getattr(g, "user", None) is None or getattr(g.user, "id", None) is None:
            return None
        return (self.__class__.__name__, g.user.id, str(get_locale()), request.full_path,
                page_size, COUNT_CAP, search.RANK_WITHIN, today_local(),
                self.page_version(self.datamodel.session))

    def _related_search_columns(self):
        return [c for c in self.search_columns or ()
                if self.datamodel.is_relation_many_to_one(c)]

    def _choices_on_demand(self):
        """Filters on related records get their choices on demand (ChoicesOnDemand)."""
        related = self._related_search_columns()
        if not related:
            return
        extra = dict(self.search_form_extra_fields or {})
        for column in related:
            extra.setdefault(column, StringField(
                self.label_columns.get(column, column),
                widget=ChoicesOnDemand(self.__class__.__name__, column)))
        self.search_form_extra_fields = extra
        if self.include_route_methods is not None:
            self.include_route_methods = set(self.include_route_methods) | {"choices"}

    @expose("/choices/<column>")
    @has_access
    def choices(self, column):
        """Entries of a related-record filter, in select2's format: ?q= (any case and
        accents) and ?page=, or ?id= for the label of a chosen entry."""
        if column not in self._related_search_columns():
            abort(404)
        related = self.datamodel.get_related_model(column)
        session = self.datamodel.session
        wanted = request.args.get("id", "")
        if wanted:
            item = session.get(related, int(wanted)) if wanted.isdecimal() and \
                int(wanted) < 2**31 else None
            return jsonify(results=[{"id": item.id, "text": str(item)}] if item else [])
        typed = fold(request.args.get("q", ""))
        page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
        # Catalogs and people are hundreds of rows: read them on demand, match in Python
        # with the same folding as the search box, in Vietnamese order.
        entries = sorted(((str(item), item.id) for item in session.scalars(select(related))),
                         key=lambda entry: vietnamese_sort_key(entry[0]))
        matching = [(label, ident) for label, ident in entries if typed in fold(label)]
        start = (page - 1) * CHOICES_PAGE
        return jsonify(results=[{"id": ident, "text": label} for label, ident in
                                matching[start:start + CHOICES_PAGE]],
                       pagination={"more": len(matching) > start + CHOICES_PAGE})

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

    def _get_field_info(self, field, *args, **kwargs):
        """A column of `_info`: FAB translates a missing description (or label) as gettext(""),
        which is the catalog's header ("Project-Id-Version: …"). Only the descriptions we wrote
        (description_columns) are sent; the label is ours, or the column's name."""
        info = super()._get_field_info(field, *args, **kwargs)
        description = self.description_columns.get(field.name)
        if description:
            info["description"] = str(description)
        else:
            info.pop("description", None)
        info["label"] = str(self.label_columns.get(field.name) or field.name)
        return info

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


def grid_and_api(model, resource_name, titles, columns, base=EofficeModelView, listed=None,
                 api=None, **grid):
    """The grid and the REST resource of a reference table, declared once: <Model>View and
    <Model>Api on `model`, with the model's name as permission name. `titles`: (list and show,
    add, edit); `columns`: what a record is listed, added, edited and shown with (the API lists
    "id" and them, or `listed`); `base`: the grid's base class (a tuple for mixins); `grid` and
    `api`: the other attributes of each."""
    list_title, add_title, edit_title = titles
    shared = {"class_permission_name": model.__name__, "add_columns": columns,
              "edit_columns": columns}  # each its own datamodel: a grid sets its joins on it
    view = type(f"{model.__name__}View", base if isinstance(base, tuple) else (base,), {
        **shared, "datamodel": VietnameseInterface(model), "list_title": list_title,
        "show_title": list_title, "add_title": add_title, "edit_title": edit_title,
        "list_columns": columns, "show_columns": columns, **grid})
    listed = listed or ["id", *columns]
    resource = type(f"{model.__name__}Api", (EofficeApi,), {
        **shared, "datamodel": VietnameseInterface(model), "resource_name": resource_name,
        "list_columns": listed, "show_columns": listed, **(api or {})})
    return view, resource


class RecordGrid(EofficeModelView):
    """The grid of records handled on pages of their own (list only): the magnifier opens the
    record's `page`, (endpoint, argument), which checks visibility; the list template gets the
    chosen box and search text (`box`, `q`) and the view's `grid_context()`."""
    include_route_methods = {"list", "show"}
    page = ("", "")

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        endpoint, argument = self.page
        return redirect(url_for(endpoint, **{argument: pk}))

    def grid_context(self) -> dict:
        return {}

    def render_template(self, template, **kwargs):
        kwargs.update(box=request.args.get("box", ""), q=request.args.get("q", ""),
                      **self.grid_context())
        return super().render_template(template, **kwargs)


# ---------------------------------------------------------------- pages written by hand

def method_permissions(read=(), write=()) -> dict:
    """A page's `method_permission_name`: the methods that need can_read, those can_write."""
    return {**dict.fromkeys(read, "read"), **dict.fromkeys(write, "write")}


def or_404(record):
    """`record`, or a 404 when there is none (not found, or not visible to the user)."""
    if record is None:
        abort(404)
    return record


def posted_or_404(record):
    """`record` for a form posted on it: 404 when there is none, 400 when the form's CSRF
    token does not hold."""
    from flask_wtf import FlaskForm

    if record is None or not FlaskForm().validate():
        abort(404 if record is None else 400)
    return record


def posted_action(action, actions, form):
    """`form`, posted for `action` on a record: 404 for an action not among `actions`, 400
    when the form (its CSRF token) does not validate."""
    if action not in actions:
        abort(404)
    if not form.validate():
        abort(400)
    return form


def flash_error(error):
    """A refused step: nothing is saved (rollback) and its messages are flashed, each message
    of a FormErrors, else the error itself."""
    from app.extensions import db

    db.session.rollback()
    for messages in (error.errors if isinstance(error, FormErrors) else {"": [error]}).values():
        for message in messages:
            flash(str(message), "danger")


def urgency_badge(urgency):
    """A grid cell for a document's độ khẩn: urgent levels stand out."""
    if urgency is None:
        return ""
    if urgency.is_urgent:
        return Markup('<span class="label label-danger urgent">{}</span>').format(urgency.name)
    return urgency.name
