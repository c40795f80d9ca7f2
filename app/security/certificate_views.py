"""Chứng thư số pages (security panel, the network administrator) and REST resource: the trust
anchors (list, upload, stop or resume using one) and the people's certificates (list, the ones
awaiting confirmation, upload for a person, confirm, stop using, the remote signing
credential). The rules are in app.security.certificate_admin, which both call."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import expose as api_expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.api import DomainApi, guarded
from app.core.db import vi_order
from app.core.errors import DomainError
from app.core.numbers import row_id
from app.core.timefmt import utcnow
from app.core.views import or_404
from app.extensions import db
from app.org.models import EofficeUser
from app.security import certificate_admin as service
from app.security.certificates import PersonalCertificate, TrustAnchor

PERMISSIONS = {"index": "read", "upload": "write", "active": "write", "confirm": "write",
               "credential": "write"}


def _uploaded() -> bytes:
    """The uploaded file's bytes (`file`), read no further than the service's limit + 1."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return b""
    return upload.read(service.MAX_CERTIFICATE_BYTES + 1)


def _people(session):
    return session.scalars(select(EofficeUser).where(EofficeUser.active.is_(True))
                           .order_by(vi_order(EofficeUser.first_name))).all()


def _person(session, value):
    person_id = row_id(value)
    return session.get(EofficeUser, person_id) if person_id else None


def _flag(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


def _errors_of(error) -> dict:
    errors = getattr(error, "errors", None)
    if errors:
        return {key: [str(m) for m in messages] for key, messages in errors.items()}
    return {getattr(error, "field", None) or "file": [str(error)]}


def _row_or_404(model, value):
    return or_404(db.session.get(model, value) if row_id(value) else None)


# ---------------------------------------------------------------- pages

class _CertificatePage(BaseView):
    """A page of the Chứng thư số panel: its list (`_page`) at its root."""
    class_permission_name = service.RESOURCE
    method_permission_name = PERMISSIONS
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self._page()


class TrustAnchorView(_CertificatePage):
    route_base = "/certificates/anchors"

    def _page(self, errors=None):
        return self.render_template(
            "security/certificates_anchors.html", title=_("Chứng thư số tin cậy"),
            anchors=service.anchors(db.session), errors=errors or {},
            is_testing=service.is_testing, issuer_name=service.common_name_of_text,
            max_mb=service.MAX_CERTIFICATE_BYTES // (1024 * 1024), now=utcnow())

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        try:
            added = service.add_trust_anchors(db.session, g.user, _uploaded())
        except DomainError as error:
            db.session.rollback()
            return self._page(errors=_errors_of(error))
        flash(_("Đã thêm %(count)s chứng thư tin cậy: %(names)s.", count=len(added),
                names=", ".join(f"«{a.name}»" for a in added)), "success")
        if added.existing:
            flash(_("Đã có trong danh sách, không thêm lại: %(names)s.",
                    names=", ".join(f"«{a.name}»" for a in added.existing)), "info")
        return redirect(url_for(".index"))

    @expose("/<int:anchor_id>/active", methods=["POST"])
    @has_access
    def active(self, anchor_id):
        anchor = _row_or_404(TrustAnchor, anchor_id)
        active = _flag(request.form.get("active"))
        service.set_anchor_active(db.session, g.user, anchor, active)
        flash(_("Đã dùng lại chứng thư «%(name)s».", name=anchor.name) if active else
              _("Đã ngừng dùng chứng thư «%(name)s».", name=anchor.name), "success")
        return redirect(url_for(".index"))


class PersonalCertificateView(_CertificatePage):
    route_base = "/certificates/personal"

    def _page(self, values=None, errors=None):
        session = db.session
        awaiting = request.args.get("awaiting") == "1"
        person = _person(session, request.args.get("user_id"))
        return self.render_template(
            "security/certificates_personal.html", title=_("Chứng thư số cá nhân"),
            certificates=service.personal_certificates(
                session, user_id=person.id if person else None, awaiting=awaiting),
            awaiting=awaiting, person=person, people=_people(session),
            values=values or {}, errors=errors or {}, is_testing=service.is_testing,
            issuer_name=service.common_name_of_text,
            max_mb=service.MAX_CERTIFICATE_BYTES // (1024 * 1024), now=utcnow())

    def _back(self):
        return redirect(request.form.get("next") if (request.form.get("next") or "")
                        .startswith("/certificates/personal/") else url_for(".index"))

    def _certificate(self, cert_id):
        return _row_or_404(PersonalCertificate, cert_id)

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        form = request.form
        try:
            cert = service.add_personal_certificate(
                db.session, g.user, _person(db.session, form.get("user_id")), _uploaded(),
                csc_credential_id=form.get("csc_credential_id"))
        except DomainError as error:
            db.session.rollback()
            return self._page(values=form, errors=_errors_of(error))
        flash(_("Đã gắn chứng thư số «%(name)s» cho %(person)s.", name=cert.common_name,
                person=cert.user.full_name), "success")
        return redirect(url_for(".index"))

    @expose("/<int:cert_id>/confirm", methods=["POST"])
    @has_access
    def confirm(self, cert_id):
        cert = self._certificate(cert_id)
        service.confirm_personal_certificate(db.session, g.user, cert)
        flash(_("Đã xác nhận chứng thư số «%(name)s» là của %(person)s.",
                name=cert.common_name, person=cert.user.full_name), "success")
        return self._back()

    @expose("/<int:cert_id>/active", methods=["POST"])
    @has_access
    def active(self, cert_id):
        cert = self._certificate(cert_id)
        active = _flag(request.form.get("active"))
        service.set_certificate_active(db.session, g.user, cert, active)
        flash(_("Đã dùng lại chứng thư số «%(name)s».", name=cert.common_name) if active else
              _("Đã ngừng dùng chứng thư số «%(name)s».", name=cert.common_name), "success")
        return self._back()

    @expose("/<int:cert_id>/credential", methods=["POST"])
    @has_access
    def credential(self, cert_id):
        cert = self._certificate(cert_id)
        try:
            service.set_csc_credential(db.session, g.user, cert,
                                       request.form.get("csc_credential_id"))
        except DomainError as error:
            db.session.rollback()
            flash("; ".join(m for ms in _errors_of(error).values() for m in ms), "danger")
        else:
            flash(_("Đã lưu mã chứng thư trên dịch vụ ký số từ xa của «%(name)s».",
                    name=cert.common_name), "success")
        return self._back()


# ---------------------------------------------------------------- REST

def _iso(value):
    return value.isoformat() if value else None


def serialize_anchor(anchor: TrustAnchor) -> dict:
    return {"id": anchor.id, "name": anchor.name, "subject": anchor.subject,
            "issuer": anchor.issuer, "sha256": anchor.sha256, "is_root": anchor.is_root,
            "not_before": _iso(anchor.not_before), "not_after": _iso(anchor.not_after),
            "active": anchor.active, "added_by_id": anchor.added_by_id,
            "added_at": _iso(anchor.added_at)}


def serialize_personal(cert: PersonalCertificate) -> dict:
    return {"id": cert.id, "user_id": cert.user_id,
            "user": cert.user.full_name if cert.user else None,
            "subject": cert.subject, "common_name": cert.common_name, "issuer": cert.issuer,
            "serial": cert.serial, "sha256": cert.sha256,
            "not_before": _iso(cert.not_before), "not_after": _iso(cert.not_after),
            "confirmed": cert.confirmed, "active": cert.active,
            "csc_credential_id": cert.csc_credential_id, "added_by_id": cert.added_by_id,
            "added_at": _iso(cert.added_at)}


NO_FILE_MESSAGE = _l("Gửi tệp chứng thư số trong trường «file» (multipart/form-data).")


class CertificateApi(DomainApi):
    resource_name = "certificates"
    class_permission_name = service.RESOURCE
    method_permission_name = {"anchors": "read", "add_anchors": "write", "personal": "read",
                              "add_personal": "write", "confirm": "write"}
    openapi_spec_tag = "Chứng thư số"

    @api_expose("/anchors", methods=["GET"])
    @guarded("anchors")
    def anchors(self):
        """The trust anchors (root and intermediate CA certificates), active or not."""
        return self.response(200, result=[serialize_anchor(a)
                                          for a in service.anchors(db.session)])

    @api_expose("/anchors", methods=["POST"])
    @guarded("add_anchors")
    def add_anchors(self):
        """Add the CA certificates of a file (multipart `file`: PEM, bundle, DER or PKCS#7):
        {result: [added], existing: [already there]}."""
        data = _uploaded()
        if not data:
            return self.response_400(message=str(NO_FILE_MESSAGE))
        try:
            added = service.add_trust_anchors(db.session, self.caller(), data)
        except DomainError as error:
            return self._errors(error)
        return self.response(201, result=[serialize_anchor(a) for a in added],
                             existing=[serialize_anchor(a) for a in added.existing])

    @api_expose("/personal", methods=["GET"])
    @guarded("personal")
    def personal(self):
        """The people's certificates, newest first (`user_id`: one person's; `awaiting=1`: the
        ones awaiting confirmation; paged with `page_size` and `after_id`)."""
        query = select(PersonalCertificate)
        if request.args.get("user_id"):
            user_id = row_id(request.args.get("user_id"))
            if user_id is None:
                return self.response_400(message=_("Mã người dùng không hợp lệ."))
            query = query.where(PersonalCertificate.user_id == user_id)
        if request.args.get("awaiting") == "1":
            query = query.where(PersonalCertificate.confirmed.is_(False))
        return self.page(query, PersonalCertificate, serialize_personal)

    @api_expose("/personal", methods=["POST"])
    @guarded("add_personal")
    def add_personal(self):
        """Map a certificate to a person (multipart `file`, `user_id`, optional
        `csc_credential_id`): confirmed at once."""
        data = _uploaded()
        if not data:
            return self.response_400(message=str(NO_FILE_MESSAGE))
        try:
            cert = service.add_personal_certificate(
                db.session, self.caller(), _person(db.session, request.form.get("user_id")),
                data, csc_credential_id=request.form.get("csc_credential_id"))
        except DomainError as error:
            return self._errors(error)
        return self.response(201, id=cert.id, result=serialize_personal(cert))

    @api_expose("/personal/<int:pk>/confirm", methods=["POST"])
    @guarded("confirm")
    def confirm(self, pk):
        """Confirm that a proposed certificate is its person's."""
        cert = db.session.get(PersonalCertificate, pk) if row_id(pk) else None
        if cert is None:
            return self.response_404()
        try:
            service.confirm_personal_certificate(db.session, self.caller(), cert)
        except DomainError as error:
            return self._errors(error)
        return self.response(200, result=serialize_personal(cert))


def register_views(appbuilder):
    appbuilder.add_view(TrustAnchorView, "TrustAnchors", label=_l("Chứng thư số tin cậy"),
                        icon="fa-certificate", category="Security")
    appbuilder.add_view(PersonalCertificateView, "PersonalCertificates",
                        label=_l("Chứng thư số cá nhân"), icon="fa-id-card",
                        category="Security")
    appbuilder.add_api(CertificateApi)
