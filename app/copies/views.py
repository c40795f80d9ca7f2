"""Web pages of the electronic copies: "Sổ sao văn bản điện tử" (the book), the "Sao y điện tử"
form (`?incoming_id=` proposes the copy of an incoming document) and the copy's page with its
signature badge and files. Who sees what: app.copies.access; what is done: app.copies.services."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import object_session, selectinload
from wtforms import FileField, StringField, TextAreaField
from wtforms.validators import Optional

from app.copies import services
from app.copies.access import copy_of_file, get_visible, may_make
from app.copies.models import ElectronicCopy
from app.core import storage
from app.core.api import uploads
from app.core.errors import DomainError, FormErrors
from app.core.numbers import row_id
from app.core.views import method_permissions, or_404
from app.documents.access import get_visible as visible_incoming_document
from app.documents.access import visible_incoming
from app.documents.models import IncomingDocument
from app.extensions import db

PAGE_SIZE = 25
ACCEPT_SCANS = ".pdf,.jpg,.jpeg,.png,.tif,.tiff"
FILES = ("copy", "scan")  # the signed copy, the scan
OBJECT_TYPE = "electronic_copy"  # the audit trail's name of a copy (downloads, signing)


class CopyForm(FlaskForm):
    original = TextAreaField(_l("Bản gốc được sao"), validators=[Optional()])
    incoming_id = StringField(_l("Văn bản đến (số thứ tự trong hệ thống, không bắt buộc)"),
                              validators=[Optional()])
    recipients = TextAreaField(_l("Nơi nhận"), validators=[Optional()])
    file = FileField(_l("Tệp bản quét (PDF hoặc ảnh)"))


def send_copy_file(copy, which):
    """The signed copy ("copy") or the scan ("scan") of a copy the caller may see, audited."""
    record = copy.copy_file if which == "copy" else copy.source_file
    return storage.send_stored(record, OBJECT_TYPE, copy.id)


class ElectronicCopyView(BaseView):
    route_base = "/copies"
    class_permission_name = "ElectronicCopy"
    method_permission_name = method_permissions(read=("book", "show", "download"),
                                                write=("new",))
    default_view = "book"

    def _copy_or_404(self, copy_id):
        return or_404(get_visible(db.session, g.user, copy_id))

    @staticmethod
    def _incoming_url(copy):
        """A link to the copy's incoming document for those who may see it."""
        if copy.incoming_id is None or visible_incoming_document(
                db.session, g.user, copy.incoming_id) is None:
            return None
        return url_for("IncomingWorkView.show", document_id=copy.incoming_id)

    @staticmethod
    def _incoming_urls(copies):
        """{copy id: link to its incoming document} for the documents the reader may see
        (one query for the page)."""
        wanted = {c.incoming_id for c in copies if c.incoming_id is not None}
        seen = set(db.session.scalars(select(IncomingDocument.id).where(
            IncomingDocument.id.in_(wanted), visible_incoming(g.user)))) if wanted else set()
        return {c.id: url_for("IncomingWorkView.show", document_id=c.incoming_id)
                for c in copies if c.incoming_id in seen}

    # -- the book
    @expose("/")
    @has_access
    def book(self):
        page = row_id(request.args.get("page")) or 1
        query = services.visible_query(g.user)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(page, pages)
        copies = db.session.scalars(
            query.options(selectinload(ElectronicCopy.made_by),
                          selectinload(ElectronicCopy.incoming))
            .order_by(ElectronicCopy.made_at.desc(), ElectronicCopy.id.desc())
            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        return self.render_template(
            "copies/list.html", title=_("Sổ sao văn bản điện tử"), copies=copies, total=total,
            page=page, pages=pages, incoming_urls=self._incoming_urls(copies),
            can_make=may_make(g.user))

    # -- the form
    def _render_form(self, form, errors=None, status=200, incoming=None):
        return self.render_template(
            "copies/form.html", title=_("Sao y điện tử"), form=form, errors=errors or {},
            incoming=incoming, accept_scans=ACCEPT_SCANS, signing_problem=services.
            signing_problem(), next_number=services.peek_copy_number(
                db.session, services.current_year()),
            symbol=services.copy_symbol(db.session)), status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = CopyForm()
        if request.method == "GET":
            incoming = None
            if request.args.get("incoming_id"):
                incoming = visible_incoming_document(db.session, g.user,
                                                     row_id(request.args["incoming_id"]))
                if incoming is not None:
                    form.incoming_id.data = str(incoming.id)
                    form.original.data = services.suggested_original(incoming)
            return self._render_form(form, incoming=incoming)
        if not form.validate():  # the CSRF token
            return self._render_form(form, {k: list(v) for k, v in form.errors.items()}, 400)
        try:
            copy = services.make_copy(
                db.session, g.user, original=form.original.data,
                uploads=uploads("file"), incoming_id=form.incoming_id.data,
                recipients=form.recipients.data)
        except FormErrors as error:
            db.session.rollback()
            return self._render_form(form, error.errors, 422)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return self._render_form(form, status=422)
        flash(_("Đã sao y điện tử: bản sao số %(n)s.", n=copy.number_symbol), "success")
        return redirect(url_for(".show", copy_id=copy.id))

    # -- the copy's page and files
    @expose("/<int:copy_id>")
    @has_access
    def show(self, copy_id):
        copy = self._copy_or_404(copy_id)
        return self.render_template("copies/show.html", title=_("Bản sao điện tử"), copy=copy,
                                    incoming_url=self._incoming_url(copy))

    @expose("/<int:copy_id>/files/<which>")
    @has_access
    def download(self, copy_id, which):
        if which not in FILES:
            abort(404)
        return send_copy_file(self._copy_or_404(copy_id), which)


def register_views(appbuilder):
    """Add the copies' pages, REST API and the owner of their files (signature checks)."""
    from app.copies.api import ElectronicCopyApi
    from app.security.signature_checks import register_file_owner

    def session_of(record):
        return object_session(record) or db.session

    register_file_owner(  # Chữ ký số: a copy's stored check, for those who see the copy
        "electronic_copy",
        owns=lambda record: copy_of_file(session_of(record), record) is not None,
        find=lambda session, user, record: get_visible(
            session, user, getattr(copy_of_file(session, record), "id", None)),
        resource="ElectronicCopy",
        page=lambda copy: url_for("ElectronicCopyView.show", copy_id=copy.id))
    appbuilder.add_api(ElectronicCopyApi)
    appbuilder.add_view(ElectronicCopyView, "ElectronicCopies",
                        label=_l("Sổ sao văn bản điện tử"), icon="fa-copy",
                        category="Documents", href="/copies/")
    appbuilder.add_link("ElectronicCopyNew", label=_l("Sao y điện tử"), href="/copies/new",
                        icon="fa-stamp", category="Documents")
