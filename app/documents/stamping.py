"""Where the arrival stamp ("ĐẾN") goes on an incoming PDF, seen and chosen by the clerk.

The stamped copy (registers.stamped_copy) is made when it is downloaded; before that, the
clerk opens *Đặt vị trí dấu ĐẾN*: the first page with the stamp's box where it will be printed
(a blank space found by app.core.stamp_place, the place chosen before, or the setting), drags
the box elsewhere and saves. The position (mm from the top-left corner of the page as
displayed) is kept on the file; *Để hệ thống tự tìm* forgets it.
"""
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from app.core import stamp_place
from app.core.downloads import file_missing, send_download
from app.core.errors import DomainError
from app.core.files import file_path
from app.core.models import DocumentFile
from app.core.pdf import STAMP_MM, open_pdf, stamp_placement
from app.documents import registers, workflow
from app.documents.access import get_visible
from app.extensions import db

NOT_CLERK = _l("Chỉ văn thư được đặt vị trí dấu ĐẾN.")


# ---------------------------------------------------------------- service

def stampable_file(session, user, document_id, file_id):
    """(document, file) when `user` sees the document and the file is one of its PDFs and the
    document has its arrival number; else None."""
    document = get_visible(session, user, document_id)
    if document is None or document.arrival_number is None:
        return None
    record = session.get(DocumentFile, file_id)
    if record is None or record.incoming_id != document.id or not record.is_pdf:
        return None
    return document, record


def save_stamp_position(session, user, document, record, left_mm, top_mm, data: bytes):
    """Keep where the clerk put the stamp on `record` (`data`: its content), the whole stamp on
    the first page; DomainError (Vietnamese) otherwise. One unit of work."""
    if not workflow.registers(user, document):
        raise DomainError(NOT_CLERK)
    page = open_pdf(data).pages[0]
    left, top = stamp_place.check_position(left_mm, top_mm, stamp_place.size_mm(page), STAMP_MM)
    record.stamp_left_mm, record.stamp_top_mm = left, top
    session.commit()


def forget_stamp_position(session, user, document, record):
    """Back to the place the application finds. One unit of work."""
    if not workflow.registers(user, document):
        raise DomainError(NOT_CLERK)
    record.stamp_left_mm = record.stamp_top_mm = None
    session.commit()


# ---------------------------------------------------------------- web

class StampForm(FlaskForm):
    left_mm = StringField(_l("Cách lề trái (mm)"))
    top_mm = StringField(_l("Cách lề trên (mm)"))


class IncomingStampView(BaseView):
    """The preview of the stamp on the first page, and the clerk's choice of its place."""
    route_base = "/incoming"
    class_permission_name = "IncomingDocument"
    # Placing the stamp is the clerk's (who registers): the permission to write entries.
    method_permission_name = {"stamp": "write", "first_page": "write"}
    default_view = "stamp"

    def _file_or_404(self, document_id, file_id):
        found = stampable_file(db.session, g.user, document_id, file_id)
        if found is None:
            abort(404)
        if not workflow.registers(g.user, found[0]):
            abort(403)
        return found

    @staticmethod
    def _read(record) -> bytes | None:
        path = file_path(current_app.config["DATA_DIR"], record.storage_name)
        return path.read_bytes() if path.is_file() else None

    @expose("/<int:document_id>/stamp/<int:file_id>", methods=["GET", "POST"])
    @has_access
    def stamp(self, document_id, file_id):
        document, record = self._file_or_404(document_id, file_id)
        data = self._read(record)
        if data is None:
            return file_missing()
        form = StampForm()
        status = 200
        if request.method == "POST":
            if not form.validate():
                abort(400)
            try:
                if request.form.get("action") == "auto":
                    forget_stamp_position(db.session, g.user, document, record)
                    flash(_("Dấu ĐẾN sẽ được đặt vào chỗ trống do hệ thống tìm."), "success")
                else:
                    save_stamp_position(db.session, g.user, document, record,
                                        form.left_mm.data, form.top_mm.data, data)
                    flash(_("Đã lưu vị trí dấu ĐẾN."), "success")
                return redirect(url_for(".stamp", document_id=document.id, file_id=record.id))
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "danger")
                status = 422
        try:
            reader = open_pdf(data)
            placement = stamp_placement(data, reader, **registers.stamp_where(record))
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for("IncomingWorkView.show", document_id=document.id))
        page_mm = stamp_place.size_mm(reader.pages[0])
        if status != 200:  # show where the clerk was, with the message
            form_position = (form.left_mm.data, form.top_mm.data)
        else:
            form_position = (_mm(placement.left_mm), _mm(placement.top_mm))
        return self.render_template(
            "incoming/stamp.html", title=_("Đặt vị trí dấu ĐẾN"), document=document,
            record=record, form=form, placement=placement, form_position=form_position,
            page_mm=(round(page_mm[0], 2), round(page_mm[1], 2)), stamp_mm=STAMP_MM,
            has_picture=stamp_place.can_render(),
            max_left=_mm(max(0.0, page_mm[0] - STAMP_MM[0])),
            max_top=_mm(max(0.0, page_mm[1] - STAMP_MM[1]))), status

    @expose("/<int:document_id>/files/<int:file_id>/first-page.png")
    @has_access
    def first_page(self, document_id, file_id):
        """A picture of the first page for the preview (made by pdftoppm, never stored): the
        document's content leaving the application, so a download in the audit trail."""
        document, record = self._file_or_404(document_id, file_id)
        data = self._read(record)
        if data is None:
            return file_missing()
        picture = stamp_place.page_png(data)
        if picture is None:
            abort(404)
        return send_download(data=picture, filename=f"trang-1-{record.original_name}.png",
                             mimetype="image/png", object_type="incoming_document",
                             object_id=document.id, inline=True)


def _mm(value: float) -> str:
    """Millimetres as typed in Vietnamese: 12,5 (a decimal comma), 40."""
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
