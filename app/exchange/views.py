"""Liên thông văn bản pages: what was received and sent with their statuses, importing an
.edxml file into the registration queue, returning a queued package, resending, the partner
catalog and its secrets; and the exchange panels on the incoming and outgoing pages."""
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.core.errors import DomainError
from app.core.downloads import send_download
from app.core.views import (
    EofficeModelView, VietnameseInterface, flash_error, method_permissions, posted_or_404,
)
from app.exchange import edxml, services, worker
from app.exchange.models import (
    BUSINESS_TYPES, CHANNELS, DIRECT, INBOUND_STATES, QUEUED, RECEIVED, REGISTERED, RETURNED,
    STATUS_CODES, ExchangeInbound, ExchangeOutbox, ExchangePartner,
)
from app.documents.models import IncomingDocument
from app.extensions import db
from app.outgoing.access import visible_outgoing
from app.outgoing.models import OutgoingDocument
from app.security.access import may

LIMIT = 50  # rows per page of the overview's tables


class ExchangeView(BaseView):
    route_base = "/exchange"
    class_permission_name = "Exchange"
    method_permission_name = method_permissions(read=("index", "package"),
                                                write=("upload", "give_back", "resend", "token"))
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        state = request.args.get("state", "")
        state = state if state in INBOUND_STATES else ""
        page = min(max(request.args.get("page", 1, type=int), 1), 10_000)
        q = request.args.get("q", "").strip()[:120]
        query = select(ExchangeInbound).outerjoin(
            IncomingDocument, IncomingDocument.id == ExchangeInbound.incoming_id).options(
            contains_eager(ExchangeInbound.incoming)).order_by(ExchangeInbound.id.desc())
        sent = select(ExchangeOutbox).order_by(ExchangeOutbox.id.desc())
        waiting = IncomingDocument.state == "pending"
        if state == QUEUED:  # as ExchangeInbound.current_state: registered once the clerk did
            query = query.where(ExchangeInbound.state == QUEUED, waiting)
        elif state == REGISTERED:
            query = query.where(or_(ExchangeInbound.state == REGISTERED,
                                    (ExchangeInbound.state == QUEUED) & ~waiting))
        elif state:
            query = query.where(ExchangeInbound.state == state)
        if q:  # a DocumentId, a number/symbol or words of the excerpt (as registered too)
            query = query.where(or_(ExchangeInbound.document_key.contains(q, autoescape=True),
                                    ExchangeInbound.subject.contains(q, autoescape=True),
                                    IncomingDocument.excerpt.contains(q, autoescape=True)))
            sent = sent.where(ExchangeOutbox.document_key.contains(q, autoescape=True))
        inbound = list(db.session.scalars(query.offset((page - 1) * LIMIT).limit(LIMIT + 1)))
        outbox = list(db.session.scalars(sent.limit(LIMIT)))
        return self.render_template(
            "exchange/index.html", title=_("Liên thông văn bản"), inbound=inbound[:LIMIT],
            more=len(inbound) > LIMIT, page=page, state=state, q=q,
            inbound_filters=[("", _("Tất cả")), (QUEUED, _("Chờ tiếp nhận")),
                             (RECEIVED, _("Chưa xử lý")), (REGISTERED, _("Đã vào sổ")),
                             (RETURNED, _("Đã trả lại"))],
            outbox=outbox, business_types=BUSINESS_TYPES, codes=STATUS_CODES,
            can_write=may(g.user, "can_write", "Exchange"), form=FlaskForm())

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def upload(self):
        """Nhập gói tin .edxml nhận qua đường khác vào hàng chờ vào sổ."""
        form = FlaskForm()
        problems = []
        if request.method == "POST":
            if not form.validate():
                abort(400)
            upload = request.files.get("package")
            data = upload.read() if upload and upload.filename else b""
            try:
                result = services.import_file(db.session, g.user, data)
            except edxml.PackageError as error:
                db.session.rollback()
                problems = error.problems
            except DomainError as error:
                db.session.rollback()
                problems = [str(error)]
            else:
                if getattr(result, "incoming_id", None):
                    flash(_("Đã nhận gói tin; văn bản đang chờ vào sổ."), "success")
                    return redirect(url_for("IncomingWorkView.show",
                                            document_id=result.incoming_id))
                flash(_("Đã ghi nhận gói tin."), "success")
                return redirect(url_for(".index"))
        return self.render_template("exchange/import.html", title=_("Nhập gói tin edXML"),
                                    form=form, problems=problems), 422 if problems else 200

    @expose("/inbound/<int:inbound_id>/return", methods=["POST"])
    @has_access
    def give_back(self, inbound_id):
        inbound = posted_or_404(db.session.get(ExchangeInbound, inbound_id))
        document_id = inbound.incoming_id
        try:
            services.return_inbound(db.session, g.user, inbound, request.form.get("reason"))
        except DomainError as error:
            flash_error(error)
            if document_id:
                return redirect(url_for("IncomingWorkView.show", document_id=document_id))
            return redirect(url_for(".index"))
        flash(_("Đã trả lại văn bản cho cơ quan gửi."), "success")
        return redirect(url_for(".index"))

    @expose("/outbox/<int:row_id>/retry", methods=["POST"])
    @has_access
    def resend(self, row_id):
        row = posted_or_404(db.session.get(ExchangeOutbox, row_id))
        try:
            services.retry(db.session, g.user, row)
            flash(_("Tin sẽ được gửi lại trong lượt gửi tới."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        return redirect(url_for(".index"))

    @expose("/outgoing/<int:document_id>.edxml")
    @has_access
    def package(self, document_id):
        document = db.session.scalar(select(OutgoingDocument).where(
            OutgoingDocument.id == document_id, visible_outgoing(g.user)))
        if document is None:
            abort(404)
        try:
            data = services.export_package(document)
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for("OutgoingWorkView.show", document_id=document_id))
        name = f"{document.number_symbol.replace('/', '-')}.edxml"
        return send_download(data=data, filename=name, mimetype="application/xml",
                             object_type="outgoing_document", object_id=document.id)

    @expose("/partners/<int:partner_id>/token", methods=["POST"])
    @has_access
    def token(self, partner_id):
        """A new secret for the partner to present to us: shown once, only its hash kept."""
        partner = posted_or_404(db.session.get(ExchangePartner, partner_id))
        token = services.new_inbound_token(db.session, partner)
        return self.render_template("exchange/token.html", title=_("Mã xác thực mới"),
                                    partner=partner, token=token)


class ExchangePartnerView(EofficeModelView):
    computed_columns = {"token_form": lambda partner: _token_form(partner),
                        "channel_label": lambda partner: CHANNELS.get(partner.channel, "")}
    datamodel = VietnameseInterface(ExchangePartner)
    class_permission_name = "ExchangePartner"
    list_title = show_title = _l("Cơ quan liên thông")
    add_title = _l("Thêm cơ quan liên thông")
    edit_title = _l("Sửa cơ quan liên thông")
    list_columns = ["agency", "channel_label", "endpoint_url", "active", "token_form"]
    add_columns = edit_columns = ["agency", "channel", "endpoint_url", "outbound_token",
                                  "active", "notes"]
    show_columns = ["agency", "channel_label", "endpoint_url", "active", "notes", "created_at"]
    search_columns = ["agency", "endpoint_url", "active"]
    label_columns = {"agency": _l("Cơ quan"), "endpoint_url": _l("Địa chỉ nhận gói tin"),
                     "outbound_token": _l("Mã xác thực do cơ quan đó cấp"),
                     "active": _l("Đang liên thông"), "notes": _l("Ghi chú"),
                     "created_at": _l("Ngày tạo"), "token_form": _l("Mã xác thực của họ"),
                     "channel": _l("Đường gửi"), "channel_label": _l("Đường gửi")}
    description_columns = {
        "endpoint_url": _l("Ví dụ https://vanban.snv.hanam.gov.vn/api/v1/exchange/inbox; để "
                           "trống nếu chỉ trao đổi bằng tệp."),
        "outbound_token": _l("Chuỗi bí mật cơ quan đó cấp cho chúng ta để gửi gói tin đến họ."),
        "channel": _l("Trực tiếp: đến địa chỉ nhận gói tin của họ; qua trục liên thông: qua "
                      "trục quốc gia hoặc trục của tỉnh (EXCHANGE_PLATFORM_URL)."),
    }
    edit_form_extra_fields = add_form_extra_fields = {
        "channel": SelectField(_l("Đường gửi"), choices=list(CHANNELS.items()),
                               default=DIRECT)}

    def pre_add(self, item):
        self._check(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._check(item)
        super().pre_update(item)

    @staticmethod
    def _check(item):
        item.channel = item.channel if item.channel in CHANNELS else DIRECT
        url = (item.endpoint_url or "").strip()
        if url and not url.startswith(("http://", "https://")):
            raise DomainError(_l("Địa chỉ nhận gói tin phải bắt đầu bằng http:// hoặc "
                                 "https://."), field="endpoint_url")
        item.endpoint_url = url or None
        if item.agency is not None and not services.agency_codes(item.agency):
            raise DomainError(_l("Cơ quan này chưa có mã định danh điện tử trong danh mục."),
                              field="agency")


def _token_form(partner):
    return Markup(
        '<form method="post" action="{}"><input type="hidden" name="csrf_token" value="{}">'
        '<button class="btn btn-xs btn-default">{}</button></form>').format(
        url_for("ExchangeView.token", partner_id=partner.id),
        generate_csrf(),
        _("Cấp mã mới"))




def panels():
    """Context helpers for the exchange panels on the incoming and outgoing pages."""
    def incoming_exchange(document):
        return services.queue_entry(db.session, document.id)

    def exchange_notices(document):
        """The package's warnings by registration form field ("" for the rest), for the form
        of a document waiting in the queue."""
        entry = services.queue_entry(db.session, document.id) if document is not None and \
            document.state == "pending" else None
        notices = {}
        for warning in entry.warning_list if entry is not None else []:
            notices.setdefault(warning.get("field") or "", []).append(
                f"{warning.get('element')}: {warning.get('message')}")
        return notices

    def outgoing_exchange(document):
        return services.statuses_of(db.session, document.id)

    return {"incoming_exchange": incoming_exchange, "outgoing_exchange": outgoing_exchange,
            "exchange_notices": exchange_notices,
            "exchange_codes": STATUS_CODES}


def register_views(appbuilder):
    from app.exchange.api import ExchangeApi

    appbuilder.add_api(ExchangeApi)
    appbuilder.add_view(ExchangeView, "Exchange", label=_l("Liên thông văn bản"),
                        icon="fa-right-left", category="Documents")
    appbuilder.add_link("ExchangeImport", label=_l("Nhập gói tin edXML"),
                        href="/exchange/import", icon="fa-file-import", category="Documents")
    appbuilder.add_view(ExchangePartnerView, "ExchangePartners",
                        label=_l("Cơ quan liên thông"), icon="fa-handshake",
                        category="Catalogs", category_label=_l("Danh mục"),
                        category_icon="fa-list")
    app = current_app._get_current_object()
    app.context_processor(panels)
    worker.start(app)
