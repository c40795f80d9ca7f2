"""Pages of the import from spreadsheets (the clerk): upload → columns → preview → confirm →
summary; a progress endpoint polled while a large file is checked or written; a blank
template per kind. And the JSON endpoint behind the "chuyển mã" buttons of text fields."""
import io

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from app.core.downloads import send_download
from app.core.errors import DomainError
from app.core.legacy_text import ENCODINGS, detect, to_unicode
from app.core.xlsx import append_row
from app.extensions import db
from app.core import upload_store as store
from app.imports import services
from app.core.sheets import XLSX, Table, text_of

ENCODING_LABELS = {
    "auto": _l("Tự nhận biết"), "unicode": _l("Unicode"), "tcvn3": _l("TCVN3 (ABC, .VnTime)"),
    "tcvn3h": _l("TCVN3 chữ hoa (.VnTimeH)"), "vni": _l("VNI (VNI-Times)"),
}
# Where the imported rows are seen afterwards.
LISTS = {"incoming": "IncomingView.list", "outgoing": "OutgoingView.list",
         "agencies": "AgencyView.list", "signers": "SignerView.list"}
SAMPLE_ROWS = 5
TEXT_LIMIT = 100_000


def _max_bytes():
    return current_app.config.get("IMPORT_MAX_BYTES", services.MAX_BYTES)


def _table(meta, data) -> Table:
    return Table(data, meta["filename"], max_bytes=_max_bytes(),
                 encoding=meta.get("encoding", "auto"))


class ImportView(BaseView):
    route_base = "/imports"
    class_permission_name = "Import"
    method_permission_name = {m: "write" for m in (
        "upload", "mapping", "encoding", "confirm", "result", "progress", "template")}
    default_view = "upload"

    def _upload_or_404(self, token):
        meta = store.load(g.user, token)
        if meta is None:
            abort(404)
        return meta

    def _render_upload(self, form, problems=(), status=200):
        return self.render_template(
            "imports/upload.html", title=_("Nhập từ Excel"), form=form, problems=problems,
            kinds=services.KINDS, encodings=ENCODING_LABELS,
            max_mb=_max_bytes() // (1024 * 1024), max_rows=services.number(services.MAX_ROWS)), \
            status

    @expose("/", methods=["GET", "POST"])
    @has_access
    def upload(self):
        form = FlaskForm()
        if request.method == "GET":
            store.purge()
            return self._render_upload(form)
        if not form.validate():
            abort(400)
        kind = request.form.get("kind")
        encoding = request.form.get("encoding", "auto")
        upload = request.files.get("file")
        data = upload.read(_max_bytes() + 1) if upload and upload.filename else b""
        problems = []
        if kind not in services.KINDS:
            problems.append(_("Chọn loại dữ liệu cần nhập."))
        if encoding not in ENCODINGS:
            problems.append(_("Chọn bảng mã."))
        if not data:
            problems.append(_("Chọn tệp .xlsx hoặc .csv."))
        if not problems:
            try:
                table = Table(data, upload.filename, max_bytes=_max_bytes(), encoding=encoding)
                services.find_header(table, services.KINDS[kind])
            except DomainError as error:
                problems.append(str(error))
        if problems:
            return self._render_upload(form, problems, 422)
        token = store.save(g.user, kind, upload.filename, data)
        store.update(token, {"encoding": encoding})
        return redirect(url_for(".mapping", token=token))

    @expose("/<token>/mapping", methods=["GET", "POST"])
    @has_access
    def mapping(self, token):
        meta = self._upload_or_404(token)
        data = store.data_of(token)
        if data is None or meta.get("result"):
            flash(_("Tệp này đã được nhập hoặc đã hết hạn; tải tệp lên lại."), "warning")
            return redirect(url_for(".upload"))
        kind = services.KINDS[meta["kind"]]
        try:
            table = _table(meta, data)
            choices = encoding_choices(table)
            header_line, headers = services.find_header(table, kind)
            sample, total = [], 0
            for line, cells in table.rows():
                if line > header_line:
                    total += 1
                    if len(sample) < SAMPLE_ROWS:
                        sample.append(cells)
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for(".upload"))
        form = FlaskForm()
        if request.method == "GET":
            mapping = meta.get("mapping") or services.guess_mapping(kind, headers)
            return self._render_mapping(token, meta, kind, headers, header_line, sample, total,
                                        mapping, meta.get("options", {}), form, choices=choices,
                                        detected=table.detection)
        if not form.validate():
            abort(400)
        mapping = {}
        for column in kind.columns:
            value = request.form.get(f"col_{column.key}", "")
            if value.isdecimal():
                mapping[column.key] = int(value)
        options = {"create_agencies": request.form.get("create_agencies") == "1",
                   "filename": meta["filename"]}
        problems = services.check_mapping(kind, mapping, headers)
        if problems:
            return self._render_mapping(token, meta, kind, headers, header_line, sample, total,
                                        mapping, options, form, problems, choices=choices,
                                        detected=table.detection), 422
        try:
            analysis, _importer = services.analyse(
                db.session, g.user, meta["kind"], _table(meta, data), header_line, mapping,
                options, progress=self._progress(token, "check"))
        except DomainError as error:
            db.session.rollback()
            return self._render_mapping(token, meta, kind, headers, header_line, sample, total,
                                        mapping, options, form, [str(error)], choices=choices,
                                        detected=table.detection), 422
        finally:
            db.session.rollback()  # the checks wrote nothing; end the read transaction
        store.update(token, {"mapping": mapping, "options": options,
                             "header_line": header_line, "expected": len(analysis.valid),
                             "errors": analysis.error_count})
        return self.render_template(
            "imports/preview.html", title=_("Xem trước dữ liệu nhập"), meta=meta, kind=kind,
            analysis=analysis, columns=[c for c in kind.columns if c.key in mapping],
            actions=services.ACTIONS, token=token, form=FlaskForm(),
            preview_rows=services.PREVIEW_ROWS, n=services.number, choices=choices,
            encodings=ENCODING_LABELS)

    def _render_mapping(self, token, meta, kind, headers, header_line, sample, total, mapping,
                        options, form, problems=(), choices=(), detected=None):
        letters = [f"{get_column_letter(i + 1)}: {h}" if h else get_column_letter(i + 1)
                   for i, h in enumerate(headers)]
        width = max([len(headers)] + [len(row) for row in sample])
        return self.render_template(
            "imports/mapping.html", title=_("Chọn cột"), meta=meta, kind=kind,
            headers=letters, header_line=header_line, mapping=mapping, options=options,
            sample=[[text_of(c) for c in row] + [""] * (width - len(row)) for row in sample],
            width=width, total=services.number(total), problems=problems, form=form,
            encodings=ENCODING_LABELS, token=token, choices=choices, detected=detected)

    @expose("/<token>/encoding", methods=["POST"])
    @has_access
    def encoding(self, token):
        """The clerk chooses how the file is read (the detection was in doubt, or wrong)."""
        meta = self._upload_or_404(token)
        if not FlaskForm().validate():
            abort(400)
        encoding = request.form.get("encoding", "")
        if encoding not in ENCODINGS or meta.get("result"):
            abort(400)
        store.update(token, {"encoding": encoding})
        flash(_("Đọc tệp theo bảng mã %(encoding)s.",
                encoding=ENCODING_LABELS.get(encoding, encoding)), "info")
        return redirect(url_for(".mapping", token=token))

    @staticmethod
    def _progress(token, phase):
        return lambda done, total: store.set_progress(token, done, total, phase)

    @expose("/<token>/confirm", methods=["POST"])
    @has_access
    def confirm(self, token):
        meta = self._upload_or_404(token)
        if not FlaskForm().validate():
            abort(400)
        data = store.data_of(token)
        if meta.get("result"):
            return redirect(url_for(".result", token=token))
        if data is None or "mapping" not in meta:
            flash(_("Tệp đã hết hạn hoặc chưa chọn cột; tải tệp lên lại."), "warning")
            return redirect(url_for(".upload"))
        if meta.get("errors") and request.form.get("skip_errors") != "1":
            flash(_("Tệp có %(n)s dòng lỗi: đánh dấu «Bỏ qua các dòng lỗi» để nhập các dòng "
                    "hợp lệ, hoặc sửa tệp và tải lên lại.", n=meta["errors"]), "danger")
            return redirect(url_for(".mapping", token=token))
        try:
            result = services.run_import(
                db.session, g.user, meta["kind"], _table(meta, data), meta["header_line"],
                meta["mapping"], meta["options"], expected=meta["expected"],
                progress=self._progress(token, "save"))
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for(".mapping", token=token))
        store.finish(token, result)
        flash(result["summary"], "success")
        return redirect(url_for(".result", token=token))

    @expose("/<token>/result")
    @has_access
    def result(self, token):
        meta = self._upload_or_404(token)
        if not meta.get("result"):
            abort(404)
        return self.render_template(
            "imports/result.html", title=_("Kết quả nhập"), meta=meta, result=meta["result"],
            kind=services.KINDS[meta["kind"]], actions=services.ACTIONS,
            list_url=url_for(LISTS[meta["kind"]]), n=services.number)

    @expose("/<token>/progress")
    @has_access
    def progress(self, token):
        self._upload_or_404(token)
        return jsonify(store.progress_of(token))

    @expose("/template/<kind>.xlsx")
    @has_access
    def template(self, kind):
        """A blank sheet with the headers the import recognises."""
        importer = services.KINDS.get(kind)
        if importer is None:
            abort(404)
        workbook = Workbook()
        sheet = workbook.active
        append_row(sheet, [str(c.label) for c in importer.columns])
        for index, column in enumerate(importer.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = \
                40 if column.key in ("excerpt", "name", "address") else 16
        buffer = io.BytesIO()
        workbook.save(buffer)
        return send_download(data=buffer.getvalue(), mimetype=XLSX,
                             filename=f"Mẫu nhập – {importer.label}.xlsx",
                             object_type="import_template", object_id=kind)


class LegacyTextView(BaseView):
    """POST /text/convert {"text": …, "encoding": "auto"} → {"text", "encoding", "changed",
    "label"}, and "choices" [{"encoding", "label", "text"}, …] when the text reads about as
    well in several encodings (the person then chooses): the "chuyển mã" button of text fields
    (static/js/legacy-convert.js)."""
    route_base = "/text"
    class_permission_name = "LegacyText"
    method_permission_name = {"convert": "read"}

    @expose("/convert", methods=["POST"])
    @has_access_api
    def convert(self):
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            payload = request.form
        text, encoding = payload.get("text"), payload.get("encoding") or "auto"
        if not isinstance(text, str) or encoding not in ENCODINGS:
            return jsonify(message=_("Yêu cầu không hợp lệ.")), 400
        if len(text) > TEXT_LIMIT:
            return jsonify(message=_("Văn bản quá dài để chuyển mã.")), 400
        detection = detect([text]) if encoding == "auto" else None
        detected = detection.encoding if detection else encoding
        converted = to_unicode(text, encoding, document=detection)
        answer = {"text": converted, "encoding": detected, "changed": converted != text,
                  "label": str(ENCODING_LABELS.get(detected, detected))}
        if detection and detection.ambiguous:
            answer["choices"] = [
                {"encoding": choice, "label": str(ENCODING_LABELS[choice]),
                 "text": to_unicode(text, choice)} for choice in detection.choices]
        return jsonify(answer)


def encoding_choices(table) -> list:
    """When the file's encoding is in doubt: each plausible reading with a few of its cells so
    read, for the clerk to choose ([] otherwise)."""
    detection = table.detection
    if not detection or not detection.ambiguous:
        return []
    readings = [[to_unicode(cell, choice) for choice in detection.choices]
                for cell in table.samples]
    readings = [cell for cell in readings if len(set(cell)) > 1][:SAMPLE_ROWS]
    if not readings:
        return []
    return [{"encoding": choice, "label": ENCODING_LABELS[choice],
             "cells": [cell[index] for cell in readings]}
            for index, choice in enumerate(detection.choices)]


def register_views(appbuilder):
    appbuilder.add_view(ImportView, "ImportData", label=_l("Nhập từ Excel"),
                        icon="fa-file-excel", category="Documents", href="/imports/")
    appbuilder.add_view_no_menu(LegacyTextView)
