"""The home page (Trang chủ)."""
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose


class HomeView(IndexView):
    route_base = ""
    default_view = "index"
    index_template = "home.html"

    @expose("/")
    def index(self):
        if not g.user or not g.user.is_authenticated:
            return redirect(url_for(self.appbuilder.sm.auth_view.__class__.__name__ + ".login"))
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    inboxes=self._inboxes(), alerts=self._account_alerts())

    def _account_alerts(self):
        """Accounts reported compromised, for the administrators (Art. 3.2)."""
        from app.extensions import db
        from app.security.accounts import compromised_accounts

        if not self.appbuilder.sm.has_access("can_list", "EofficeUserView"):
            return []
        return compromised_accounts(db.session)

    def _inboxes(self):
        """Counters of the incoming-document inboxes, for the roles that read documents."""
        from app.documents import services
        from app.extensions import db

        if not self.appbuilder.sm.has_access("can_read", "IncomingDocument"):
            return []
        return services.inbox_counts(db.session, g.user)
