"""Web pages for drafts (dự thảo) and outgoing documents (văn bản đi)."""
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import object_session

from app.audit.version import data_version
from app.audit.views import audit_of
from app.core.errors import DomainError, FormErrors
from app.core.numbers import int_or_none
from app.core.downloads import send_download
from app.core.kept_uploads import KeptUploads
from app.core.storage import ANY_DOCUMENT, PDF_OR_IMAGE, send_stored
from app.core.timefmt import local_now
from app.core.views import (
    GridFilter, RecordGrid, VietnameseInterface, flash_error, link_to, method_permissions, or_404,
    urgency_badge,
)
from app.documents.access import get_visible as get_visible_incoming
from app.extensions import db
from app.outgoing import registers, services, workflow
from app.outgoing.access import (
    get_visible_draft, get_visible_outgoing, visible_draft, visible_outgoing,
)
from app.outgoing.forms import DraftForm, IssueForm
from app.outgoing.models import (
    DRAFT_STATES, EXTERNAL, FILE_ROLES, ISSUED_STATE, SIGNED_PDF, SIGNING_METHODS, Draft,
    OutgoingDocument, OutgoingFile,
)

CHECK_PAGE = 50  # drafts per page of the office's check


# ---------------------------------------------------------------- grids

class DraftView(RecordGrid):
    page = ("DraftWorkView.show", "draft_id")
    computed_columns = {"link": link_to(*page, "excerpt")}
    route_base = "/drafts/list"
    datamodel = VietnameseInterface(Draft)
    class_permission_name = "Draft"
    list_template = "drafts/list.html"
    list_title = _l("Văn bản dự thảo")
    base_filters = GridFilter.base(visible_draft, box=lambda user, box: {
        k: c for k, _l, c in services.draft_boxes(user)}.get(box))
    base_order = ("updated_at", "desc")
    # Its pages kept per version of the data (count, ids, the rows as drawn): every record a
    # row shows (the draft, its type, unit, drafter, signer, urgency) is audited.
    page_version = staticmethod(data_version)
    list_columns = ["document_type", "link", "drafting_department", "drafter", "signer",
                    "urgency", "state_label", "updated_at"]
    order_columns = ["updated_at"]
    search_columns = ["document_type", "field", "drafting_department", "state", "urgency"]
    label_columns = {"document_type": _l("Loại văn bản"), "link": _l("Trích yếu"),
                     "drafting_department": _l("Đơn vị soạn thảo"), "drafter": _l("Người soạn"),
                     "signer": _l("Người ký"), "urgency": _l("Độ khẩn"),
                     "state_label": _l("Trạng thái"), "updated_at": _l("Cập nhật"),
                     "field": _l("Lĩnh vực"), "state": _l("Trạng thái"),
                     # the office's check and the approval under delegation (audit trail)
                     "checked_at": _l("Văn phòng kiểm tra lúc"),
                     "checked_by": _l("Người kiểm tra thể thức"),
                     "checked_version": _l("Phiên bản đã kiểm tra"),
                     "approved_delegation": _l("Duyệt theo ủy quyền"),
                     # ký số by the signer (the last step of approval)
                     "signed_file": _l("Bản ký số của người ký"),
                     "signed_version": _l("Phiên bản đã ký số"),
                     "signed_by": _l("Người ký số"), "signed_at": _l("Ký số lúc"),
                     "signing_method": _l("Cách ký số")}
    formatters_columns = {"urgency": urgency_badge}

    def grid_context(self):
        return {"boxes": services.draft_box_counts(db.session, g.user)}


class OutgoingView(RecordGrid):
    page = ("OutgoingWorkView.show", "document_id")
    computed_columns = {"link": link_to(*page, "number_symbol")}
    route_base = "/outgoing/list"
    datamodel = VietnameseInterface(OutgoingDocument)
    class_permission_name = "OutgoingDocument"
    list_template = "outgoing/list.html"
    list_title = _l("Văn bản đi")
    base_filters = GridFilter.base(
        visible_outgoing, ranked=OutgoingDocument,
        box=lambda user, box: services.received_condition(user) if box == "received" else None)
    base_order = ("issued_at", "desc")
    page_version = staticmethod(data_version)  # its pages remembered per version
    list_columns = ["link", "issued_date", "document_type", "excerpt", "signer_name",
                    "urgency", "state_label"]
    order_columns = ["issued_date", "number"]
    search_columns = ["register", "document_type", "field", "state", "issued_date",
                      "drafting_department"]
    label_columns = {"link": _l("Số, ký hiệu"), "issued_date": _l("Ngày ban hành"),
                     "document_type": _l("Loại văn bản"), "excerpt": _l("Trích yếu"),
                     "signer_name": _l("Người ký"), "urgency": _l("Độ khẩn"),
                     "state_label": _l("Trạng thái"), "register": _l("Sổ văn bản"),
                     "field": _l("Lĩnh vực"), "state": _l("Trạng thái"),
                     "drafting_department": _l("Đơn vị soạn thảo"),
                     # signed by a deputy under a delegation (audit trail)
                     "delegation": _l("Ký theo ủy quyền"), "signed_for": _l("Ký thay cho chức vụ"),
                     "signed_for_name": _l("Ký thay cho"),
                     "electronic": _l("Văn bản điện tử (ký số)")}
    formatters_columns = {"urgency": urgency_badge}


# ---------------------------------------------------------------- drafts

def _kept(purpose, field="files", allowed=ANY_DOCUMENT):
    """The files of the form, those kept from its previous round included (core.kept_uploads)."""
    return KeptUploads.from_request(g.user, purpose, field, allowed=allowed)


def _signing_choices(draft) -> dict:
    """What the draft page offers about ký số: whether the user signs it now (the same rule as
    "approve"), whether their key is at the remote signing service, and whether the latest
    version is a PDF (else the page says to convert it first)."""
    from app.security.signing import personal_signing_available

    can_sign = workflow.allowed(g.user, draft, "approve")
    version = draft.latest_version
    return {"can_sign": can_sign, "signed": services.is_signed(draft),
            "signable_pdf": bool(version and version.file.is_pdf),
            "remote_signing": can_sign and personal_signing_available(db.session, g.user),
            "signing_methods": SIGNING_METHODS}


class DraftWorkView(BaseView):
    route_base = "/drafts"
    class_permission_name = "Draft"
    method_permission_name = method_permissions(
        read=("show", "version", "check", "signed_copy"),
        write=("new", "edit", "act", "upload", "issue", "to_sign", "sign", "signed"))
    default_view = "check"

    def _draft_or_404(self, draft_id):
        return or_404(get_visible_draft(db.session, g.user, draft_id))

    def _form_page(self, form, draft=None, errors=None, status=200, kept=None):
        errors = kept.keep(errors) if kept is not None else errors  # files chosen: kept
        # the incoming document answered, shown by its arrival number (if the user sees it)
        reply_to = get_visible_incoming(db.session, g.user, form.reply_to_id.data) \
            if form.reply_to_id.data else None
        return self.render_template("drafts/form.html", form=form, draft=draft, kept=kept,
                                    errors=errors or {}, title=_("Sửa dự thảo") if draft
                                    else _("Soạn văn bản dự thảo"), reply_to=reply_to,
                                    reply_label=services.reply_label(reply_to)
                                    if reply_to else None), status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = DraftForm().load_choices(db.session)
        if request.method == "GET":
            form.drafting_department_id.data = str(g.user.department_id or "")
            form.urgency_id.data = form.urgency_id.choices[0][0]
            form.secrecy_id.data = form.secrecy_id.choices[0][0]
            if request.args.get("reply_to"):
                incoming = get_visible_incoming(db.session, g.user,
                                                request.args.get("reply_to", type=int))
                if incoming is None:
                    flash(_("Không tìm thấy văn bản đến cần trả lời, hoặc bạn không có quyền "
                            "xem văn bản này: dự thảo được soạn như văn bản mới."), "warning")
                else:
                    form.fill_reply(services.reply_prefill(incoming))
            return self._form_page(form)
        kept = _kept("draft")
        if not form.validate() or kept.errors:
            return self._form_page(form, errors=form.errors, status=422, kept=kept)
        try:
            draft = services.create_draft(db.session, g.user, form.data_for_service(),
                                          kept.uploads, form.version_note.data)
        except FormErrors as error:
            db.session.rollback()
            return self._form_page(form, errors=error.errors, status=422, kept=kept)
        kept.done()
        flash(_("Đã lưu dự thảo."), "success")
        return redirect(url_for(".show", draft_id=draft.id))

    @expose("/<int:draft_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, draft_id):
        draft = self._draft_or_404(draft_id)
        if not workflow.allowed(g.user, draft, "edit"):  # not a form that cannot be saved
            flash(str(services.NOT_EDITABLE), "danger")
            return redirect(url_for(".show", draft_id=draft.id))
        form = DraftForm().load_choices(db.session)
        if request.method == "GET":
            form.fill_from(draft)
            return self._form_page(form, draft)
        kept = _kept(f"draft:{draft.id}")
        if not form.validate() or kept.errors:
            return self._form_page(form, draft, errors=form.errors, status=422, kept=kept)
        try:
            services.update_draft(db.session, g.user, draft, form.data_for_service(),
                                  kept.uploads, form.version_note.data)
        except FormErrors as error:
            db.session.rollback()
            return self._form_page(form, draft, errors=error.errors, status=422, kept=kept)
        except DomainError as error:
            flash_error(error)
            return redirect(url_for(".show", draft_id=draft_id))
        kept.done()
        flash(_("Đã lưu dự thảo."), "success")
        return redirect(url_for(".show", draft_id=draft.id))

    @expose("/<int:draft_id>")
    @has_access
    def show(self, draft_id):
        draft = self._draft_or_404(draft_id)
        # a reference is shown only to whoever may see the record it points to
        reply_to = get_visible_incoming(db.session, g.user, draft.reply_to_id) \
            if draft.reply_to_id else None
        return self.render_template(
            "drafts/show.html", draft=draft, title=_("Văn bản dự thảo"),
            reply_to=reply_to, reply_label=services.reply_label(reply_to) if reply_to else None,
            replaces=get_visible_outgoing(db.session, g.user, draft.replaces_id)
            if draft.replaces_id else None,
            actions=workflow.actions_for(g.user, draft),
            can_edit=workflow.allowed(g.user, draft, "edit"),
            problems=services.missing_for_issuance(draft),
            event_labels=workflow.EVENT_LABELS, states=DRAFT_STATES,
            **_signing_choices(draft))

    @expose("/<int:draft_id>/do/<action>", methods=["POST"])
    @has_access
    def act(self, draft_id, action):
        draft = self._draft_or_404(draft_id)
        if action not in services.ACTIONS:
            abort(404)
        back = url_for(".check", checked=request.form.get("checked") or None) \
            if request.form.get("back") == "check" else url_for(".show", draft_id=draft_id)
        try:
            services.act(db.session, g.user, draft, action, request.form.get("note"))
        except DomainError as error:
            flash_error(error)
            return redirect(back)
        flash({"check": _("Đã ghi nhận: dự thảo đã được văn phòng kiểm tra."),
               "office_return": _("Đã trả lại dự thảo cho người soạn thảo.")}.get(
            action, _("Đã ghi nhận.")), "success")
        return redirect(back)

    @expose("/<int:draft_id>/upload", methods=["POST"])
    @has_access
    def upload(self, draft_id):
        draft = self._draft_or_404(draft_id)
        files = [(f.read(), f.filename) for f in request.files.getlist("files") if f.filename]
        try:
            services.upload_version(db.session, g.user, draft, files, request.form.get("note"))
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Đã tải lên phiên bản mới."), "success")
        return redirect(url_for(".show", draft_id=draft_id))

    # ---- ký số: the signer signs the latest version (a PDF), which approves it

    @expose("/<int:draft_id>/to-sign")
    @has_access
    def to_sign(self, draft_id):
        """"Tải bản để ký": the PDF prepared for the signer's own signing software."""
        draft = self._draft_or_404(draft_id)
        try:
            data, name = services.prepared_for_signing(db.session, g.user, draft)
        except DomainError as error:
            flash_error(error)
            return redirect(url_for(".show", draft_id=draft_id))
        return send_download(data=data, filename=name, mimetype="application/pdf",
                             object_type="draft", object_id=draft.id)

    @expose("/<int:draft_id>/sign", methods=["POST"])
    @has_access
    def sign(self, draft_id):
        """"Ký số và duyệt" through the remote signing service."""
        draft = self._draft_or_404(draft_id)
        try:
            services.sign_remote(db.session, g.user, draft)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Đã ký số và duyệt dự thảo, chuyển văn thư phát hành."), "success")
        return redirect(url_for(".show", draft_id=draft_id))

    @expose("/<int:draft_id>/signed", methods=["POST"])
    @has_access
    def signed(self, draft_id):
        """"Tải lên bản đã ký số": the prepared PDF signed with the signer's own token."""
        draft = self._draft_or_404(draft_id)
        upload = request.files.get("file")
        try:
            services.accept_signed(db.session, g.user, draft, (upload.read(), upload.filename)
                                   if upload and upload.filename else None)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Đã nhận bản ký số và duyệt dự thảo, chuyển văn thư phát hành."), "success")
        return redirect(url_for(".show", draft_id=draft_id))

    @expose("/<int:draft_id>/signed-copy")
    @has_access
    def signed_copy(self, draft_id):
        """The PDF the signer signed, for everyone who sees the draft."""
        draft = self._draft_or_404(draft_id)
        return send_stored(or_404(draft.signed_file), "draft", draft.id)

    @expose("/<int:draft_id>/versions/<int:version_id>")
    @has_access
    def version(self, draft_id, version_id):
        draft = self._draft_or_404(draft_id)
        version = or_404(next((v for v in draft.versions if v.id == version_id), None))
        return send_stored(version.file, "draft", draft.id)

    @expose("/check")
    @has_access
    def check(self):
        """The office leader's final check (Art. 7.1d): drafts in the chain, what is still
        missing or inconsistent in each, whether the office checked it; ?checked=0 the ones
        not checked yet, ?checked=1 the checked ones."""
        checked = request.args.get("checked", "")
        page = min(max(int_or_none(request.args.get("page")) or 1, 1), 100_000)
        query = select(Draft).where(visible_draft(g.user), Draft.state.in_(
            workflow.CHECK_STATES))
        if checked == "0":
            query = query.where(Draft.checked_at.is_(None))
        elif checked == "1":
            query = query.where(Draft.checked_at.isnot(None))
        # a page at a time, newest change first (every draft of a busy office's chain at once
        # was hundreds of rows and half a second)
        drafts = db.session.scalars(query.order_by(Draft.updated_at.desc(), Draft.id.desc())
                                    .limit(CHECK_PAGE + 1).offset((page - 1) * CHECK_PAGE)
                                    .options(*services.loaded_for_the_check())).all()
        rows = [(d, services.missing_for_issuance(d), workflow.actions_for(g.user, d))
                for d in drafts[:CHECK_PAGE]]
        return self.render_template(
            "drafts/check.html", rows=rows, checked=checked, page=page,
            more=len(drafts) > CHECK_PAGE,
            may_check=workflow.checks(g.user), required=services.office_check_required(),
            title=_("Kiểm tra thể thức trước khi phát hành"))

    @expose("/<int:draft_id>/issue", methods=["GET", "POST"])
    @has_access
    def issue(self, draft_id):
        draft = self._draft_or_404(draft_id)
        if not workflow.allowed(g.user, draft, "issue"):
            flash(_("Chỉ văn thư phát hành, và chỉ dự thảo đã được duyệt và chuyển phát hành."),
                  "danger")
            return redirect(url_for(".show", draft_id=draft_id))
        form = IssueForm().load_choices(db.session, draft.is_secret)
        if request.method == "GET":
            today = local_now().date()
            form.issued_date.data = today
            form.place.data = current_app.config["ISSUE_PLACE"]
            form.symbol.data = services.proposed_symbol(db.session, draft, today.year)
        errors = {}
        kept = _kept(f"issue:{draft.id}", "scan", PDF_OR_IMAGE)
        if request.method == "POST":
            if form.validate() and not kept.errors:
                try:
                    document = services.issue(
                        db.session, g.user, draft, register_id=int(form.register_id.data or 0),
                        issued_date=form.issued_date.data, place=form.place.data,
                        symbol=form.symbol.data, copies=form.copies.data,
                        archive_holder=form.archive_holder.data,
                        scan_uploads=kept.uploads)
                except FormErrors as error:
                    db.session.rollback()
                    errors = error.errors
                except DomainError as error:
                    flash_error(error)
                    return redirect(url_for(".show", draft_id=draft_id))
                else:
                    kept.done()
                    flash(_("Đã phát hành văn bản số %(n)s.", n=document.number_symbol),
                          "success")
                    return redirect(url_for("OutgoingWorkView.show", document_id=document.id))
            else:
                errors = form.errors
            draft = self._draft_or_404(draft_id)
            errors = kept.keep(errors)  # the scans chosen: kept for the next round
        register_id = form.register_id.data or (form.register_id.choices[0][0]
                                                if form.register_id.choices else None)
        electronic = services.is_signed(draft)
        return self.render_template(
            "drafts/issue.html", draft=draft, form=form, errors=errors, kept=kept,
            title=_("Phát hành văn bản"), electronic=electronic,
            signing_level=services.signing_level() if electronic else None,
            agency_problem=services.agency_signing_problem() if electronic else None,
            next_number=services.next_outgoing_number(db.session, int(register_id))
            if register_id else None,
            problems=services.missing_for_issuance(draft)), 422 if errors else 200


# ---------------------------------------------------------------- outgoing documents

def _signature_labels() -> dict:
    from app.core.pades import STATE_LABELS

    return STATE_LABELS


class OutgoingWorkView(BaseView):
    route_base = "/outgoing"
    class_permission_name = "OutgoingDocument"
    method_permission_name = method_permissions(
        read=("show", "download", "recall", "replace", "book"), write=("dispatched",))
    default_view = "book"

    def _document_or_404(self, document_id):
        return or_404(get_visible_outgoing(db.session, g.user, document_id))

    @expose("/<int:document_id>")
    @has_access
    def show(self, document_id):
        document = self._document_or_404(document_id)
        services.mark_read(db.session, g.user, document)
        reply_to = get_visible_incoming(db.session, g.user, document.draft.reply_to_id) \
            if document.draft is not None and document.draft.reply_to_id else None
        return self.render_template(
            "outgoing/show.html", document=document, title=_("Văn bản đi"),
            reply_to=reply_to, reply_label=services.reply_label(reply_to) if reply_to else None,
            replaces=get_visible_outgoing(db.session, g.user, document.replaces_id)
            if document.replaces_id else None,
            file_roles=FILE_ROLES, EXTERNAL=EXTERNAL, ISSUED=ISSUED_STATE,
            # the issued electronic PDF first: what the recipients read
            files=sorted(document.files, key=lambda f: (f.role != SIGNED_PDF, f.id or 0)),
            signature_labels=_signature_labels(),
            can_recall=workflow.recalls(g.user),
            audit=audit_of(db.session, "outgoing_document", document.id),
            is_clerk=workflow.issues(g.user))

    @expose("/<int:document_id>/files/<int:file_id>")
    @has_access
    def download(self, document_id, file_id):
        document = self._document_or_404(document_id)
        link = or_404(next((f for f in document.files if f.file_id == file_id), None))
        return send_stored(link.file, "outgoing_document", document.id)

    @expose("/<int:document_id>/recall", methods=["POST"])
    @has_access
    def recall(self, document_id):
        document = self._document_or_404(document_id)
        try:
            services.recall(db.session, g.user, document, request.form.get("note"))
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Đã thu hồi văn bản."), "success")
        return redirect(url_for(".show", document_id=document_id))

    @expose("/<int:document_id>/replace", methods=["POST"])
    @has_access
    def replace(self, document_id):
        document = self._document_or_404(document_id)
        try:
            draft = services.start_replacement(db.session, g.user, document, {})
        except DomainError as error:
            flash_error(error)
            return redirect(url_for(".show", document_id=document_id))
        flash(_("Đã tạo dự thảo văn bản thay thế."), "success")
        return redirect(url_for("DraftWorkView.show", draft_id=draft.id))

    @expose("/<int:document_id>/dispatched/<int:recipient_id>", methods=["POST"])
    @has_access
    def dispatched(self, document_id, recipient_id):
        document = self._document_or_404(document_id)
        try:
            services.mark_dispatched(db.session, g.user, document, recipient_id)
        except DomainError as error:
            flash_error(error)
        return redirect(url_for(".show", document_id=document_id))

    @expose("/book")
    @has_access
    def book(self):
        return registers.book_response(self, request.args)


def _outgoing_owning(session, user, record):
    """The issued document a file belongs to, if `user` may see it (the file routes' rule)."""
    document_id = session.scalar(select(OutgoingFile.document_id)
                                 .where(OutgoingFile.file_id == record.id).limit(1))
    return get_visible_outgoing(session, user, document_id) if document_id else None


def register_views(appbuilder):
    from app.outgoing.api import DraftApi, OutgoingApi
    from app.security.signature_checks import register_file_owner

    register_file_owner(  # Chữ ký số: the stored check of an issued document's file
        "outgoing", owns=lambda record: object_session(record).scalar(
            select(OutgoingFile.id).where(OutgoingFile.file_id == record.id).limit(1))
        is not None,
        find=_outgoing_owning, resource="OutgoingDocument",
        page=lambda document: url_for("OutgoingWorkView.show", document_id=document.id))
    appbuilder.add_view(DraftView, "Drafts", label=_l("Văn bản dự thảo"), icon="fa-file-pen",
                        category="Documents")
    appbuilder.add_view(DraftWorkView, "NewDraft", label=_l("Soạn dự thảo"),
                        icon="fa-pen", category="Documents", href="/drafts/new")
    appbuilder.add_link("DraftCheck", label=_l("Kiểm tra trước phát hành"),
                        href="/drafts/check", icon="fa-list-check", category="Documents")
    appbuilder.add_view(OutgoingView, "OutgoingDocuments", label=_l("Văn bản đi"),
                        icon="fa-paper-plane", category="Documents")
    appbuilder.add_view(OutgoingWorkView, "OutgoingBook", label=_l("Sổ đăng ký văn bản đi"),
                        icon="fa-book", category="Documents", href="/outgoing/book")
    appbuilder.add_api(DraftApi)
    appbuilder.add_api(OutgoingApi)


