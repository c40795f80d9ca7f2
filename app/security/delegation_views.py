"""Ủy quyền pages and REST resource: a leader delegates their own inbox and signing for a
period, the office (`can_manage_all`) anyone's; the list; revoking. The rules are in
app.security.delegation, which the web and the REST API both call."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import expose as api_expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.api import NOT_AN_OBJECT, DomainApi, guarded, json_object
from app.core.db import vi_order
from app.core.errors import DomainError, FormErrors
from app.core.timefmt import today_local
from app.extensions import db
from app.org.models import EofficeUser
from app.security import delegation as service
from app.security.delegation import SIGNING_FORMS, Delegation


def _people(session):
    return session.scalars(select(EofficeUser).where(EofficeUser.active.is_(True))
                           .order_by(vi_order(EofficeUser.first_name))).all()


def _listing(session, user, show_all):
    query = select(Delegation).where(service.visible_delegations(user))
    if not show_all:  # what still counts: active or to come, not revoked
        query = query.where(Delegation.revoked_at.is_(None),
                            Delegation.end_date >= today_local())
    return session.scalars(query.order_by(Delegation.start_date.desc(),
                                          Delegation.id.desc()).limit(200)).all()


class DelegationView(BaseView):
    route_base = "/delegations"
    class_permission_name = "Delegation"
    method_permission_name = {"index": "read", "new": "write", "revoke": "write"}
    default_view = "index"

    def _page(self, values=None, errors=None, status=200):
        session = db.session
        user = g.user
        show_all = request.args.get("all") == "1"
        return self.render_template(
            "security/delegations.html", title=_("Ủy quyền"),
            delegations=_listing(session, user, show_all), show_all=show_all,
            people=_people(session), manages_all=service.manages_all(user),
            scopes=service.SCOPES, signing_forms=SIGNING_FORMS, values=values or {},
            errors=errors or {}, may_revoke=lambda d: service.may_revoke(user, d),
            acting_for=[session.get(EofficeUser, i) for i in service.acting_for(user)]
            + [session.get(EofficeUser, i) for i in service.acting_for(user, service.SIGN)
               if i not in service.acting_for(user)]), status

    @expose("/")
    @has_access
    def index(self):
        return self._page()

    @expose("/new", methods=["POST"])
    @has_access
    def new(self):
        form = request.form
        data = {"from_user_id": form.get("from_user_id") or g.user.id,
                "to_user_id": form.get("to_user_id"), "start_date": form.get("start_date"),
                "end_date": form.get("end_date"), "reason": form.get("reason"),
                "inbox": form.get("inbox"), "sign": form.get("sign"),
                "signing_form": form.get("signing_form")}
        try:
            delegation = service.create(db.session, g.user, data)
        except FormErrors as error:
            db.session.rollback()
            return self._page(values=form, errors=error.errors, status=422)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".index"))
        flash(_("Đã ghi nhận ủy quyền cho %(name)s %(period)s.",
                name=delegation.to_user.full_name, period=delegation.period), "success")
        return redirect(url_for(".index"))

    @expose("/<int:delegation_id>/revoke", methods=["POST"])
    @has_access
    def revoke(self, delegation_id):
        delegation = service.get_visible(db.session, g.user, delegation_id)
        if delegation is None:
            abort(404)
        try:
            service.revoke(db.session, g.user, delegation)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            flash(_("Đã thu hồi ủy quyền."), "success")
        return redirect(url_for(".index"))


def serialize(delegation):
    return {"id": delegation.id, "from_user_id": delegation.from_user_id,
            "from_user": delegation.from_user.full_name, "to_user_id": delegation.to_user_id,
            "to_user": delegation.to_user.full_name,
            "start_date": delegation.start_date.isoformat(),
            "end_date": delegation.end_date.isoformat(),
            "period": str(delegation.period), "reason": delegation.reason,
            "inbox": delegation.inbox, "sign": delegation.sign,
            "signing_form": delegation.signing_form, "active": delegation.is_active,
            "status": str(delegation.status_label),
            "revoked_at": delegation.revoked_at.isoformat() if delegation.revoked_at else None}


class DelegationApi(DomainApi):
    resource_name = "delegation"
    class_permission_name = "Delegation"
    method_permission_name = {"get_list": "read", "post": "write", "revoke": "write"}
    openapi_spec_tag = "Ủy quyền"

    @api_expose("/", methods=["GET"])
    @guarded("get_list")
    def get_list(self):
        """The delegations the caller gave, received or made (the office: all); `all=1`
        includes the revoked and the past ones."""
        user = self.caller()
        return self.response(200, result=[serialize(d) for d in _listing(
            db.session, user, request.args.get("all") == "1")],
            acting_for={"inbox": service.acting_for(user),
                        "sign": service.acting_for(user, service.SIGN)})

    @api_expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Record a delegation: {from_user_id?, to_user_id, start_date, end_date (dd/mm/yyyy or
        yyyy-mm-dd), reason, inbox, sign, signing_form ("KT." or "TUQ.")}."""
        body = json_object()
        if body is None:
            return self.response_400(message=str(NOT_AN_OBJECT))
        try:
            delegation = service.create(db.session, self.caller(), dict(body))
        except DomainError as error:
            return self._errors(error)
        return self.response(201, id=delegation.id, result=serialize(delegation))

    @api_expose("/<int:pk>/revoke", methods=["POST"])
    @guarded("revoke")
    def revoke(self, pk):
        user = self.caller()
        delegation = service.get_visible(db.session, user, pk)
        if delegation is None:
            return self.response_404()
        try:
            service.revoke(db.session, user, delegation)
        except DomainError as error:
            return self._errors(error)
        return self.response(200, result=serialize(delegation))


def register_views(appbuilder):
    appbuilder.add_view(DelegationView, "Delegations", label=_l("Ủy quyền"),
                        icon="fa-user-clock", category="Documents", href="/delegations/")
    appbuilder.add_api(DelegationApi)

