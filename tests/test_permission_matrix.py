"""The permission matrix over the whole surface: for every role (its demo account), every GET
route of the web and every REST endpoint does what the single role declaration
(app.security.roles.ROLE_PERMISSIONS) says, through the view's class_permission_name and
method_permission_name as FAB registered them (appbuilder.baseviews).

Allowed → a real answer: 200, a redirect that is not to the login, or 404 for the absent id
used here (400/422 for a REST write with an empty body). Forbidden → 403/404 or a redirect to
the login. And FAB's permission check itself must agree: it denies exactly the forbidden
ones (it logs each denial)."""
import logging
import re

import pytest

from app.security.roles import ROLE_PERMISSIONS, permission_pairs
from tests.conftest import ACCOUNTS

ABSENT = "999999"
# Routes without a permission check of FAB's: they must be public on purpose.
PUBLIC = {"static", "appbuilder.static", "HomeView.index", "UtilView.back", "LocaleView.index",
          "EofficeAuthDBView.login", "EofficeAuthDBView.login_code",
          "ScheduleFeedView.feed",  # a secret token in the URL is the credential
          "EofficeSecurityApi.login", "EofficeSecurityApi.refresh", "MenuApi.get_menu_data",
          "ExchangeApi.inbox",  # partners, with their own bearer token
          # the installable app (app/core/pwa.py): no data, fetched without the session
          "pwa.manifest", "pwa.service_worker", "pwa.offline", "pwa.icon_svg", "pwa.icon_png",
          "pwa.icon_maskable"}
# FAB's /action/<name>/<pk> checks the named action's own permission inside.
CHECKED_INSIDE = {"action"}
SKIP = ("/static", "/appbuilder", "/logout", "/lang/", "/swagger", "/backups/now")
# Routes FAB lets through on the resource's permission and the code narrows to some roles,
# answering 403 to the others: the registers are the clerk's and the leaders'
# (app.documents.access.may_read_registers).
REGISTER_READERS = {role for role in ROLE_PERMISSIONS
                    if ("can_read_registers", "IncomingDocument") in permission_pairs(role)}
NARROWED = {"/incoming/book": REGISTER_READERS, "/outgoing/book": REGISTER_READERS}
DENIED = "Access is Denied"


def views_by_blueprint(app):
    return {view.blueprint.name: view for view in app.appbuilder.baseviews
            if getattr(view, "blueprint", None) is not None}


def required_permission(view, method):
    """(permission, resource) that FAB's decorator checks for view.method, or None."""
    function = getattr(view, method, None)
    if function is None or not hasattr(function, "_permission_name"):
        return None
    name = (view.method_permission_name or {}).get(method) or function._permission_name
    permission = name if name.startswith("can_") else f"can_{name}"
    return permission, view.class_permission_name


def allowed(role, view, permission, resource):
    return permission in (view.base_permissions or ()) and \
        permission in ROLE_PERMISSIONS[role].get(resource, [])


def concrete(rule):
    return re.sub(r"<[^<>]+>", ABSENT, rule.rule)


def surface(app, api):
    """(rule, method, view, permission) of every GET web route, or every REST endpoint."""
    views = views_by_blueprint(app)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(SKIP) or rule.rule.startswith("/api/") != api:
            continue
        methods = sorted(rule.methods & ({"GET", "POST", "PUT", "DELETE"} if api else {"GET"}))
        blueprint, _, method = rule.endpoint.rpartition(".")
        view = views.get(blueprint)
        requirement = required_permission(view, method) if view is not None else None
        for http_method in methods:
            yield rule, http_method, view, requirement


def test_every_unprotected_route_is_public_on_purpose(app):
    unprotected = {rule.endpoint for api in (False, True)
                   for rule, _m, _v, requirement in surface(app, api) if requirement is None
                   and rule.endpoint.rpartition(".")[2] not in CHECKED_INSIDE}
    assert unprotected <= PUBLIC, unprotected - PUBLIC


@pytest.fixture
def fab_denials(caplog, monkeypatch):
    """FAB's permission decorators log every denial (Alembic's logging setup, run by the
    migrations, disables existing loggers: switch this one back on)."""
    logger = logging.getLogger("flask_appbuilder.security.decorators")
    monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.WARNING, logger=logger.name)
    return caplog


def denied_by_fab(caplog):
    return any(DENIED in record.getMessage() for record in caplog.records)


def answers_as_declared(response, expected, api, caplog):
    status = response.status_code
    to_login = status == 302 and "/login" in response.headers.get("Location", "")
    if expected:
        real = status in ((200, 400, 404, 422) if api else (200, 404)) or \
            (status == 302 and not to_login)
        return real and not denied_by_fab(caplog)
    return (status in (401, 403, 404) or to_login) and denied_by_fab(caplog)


def check(app, role, api, send, caplog):
    wrong = []
    for rule, method, view, requirement in surface(app, api):
        if requirement is None:
            continue
        expected = allowed(role, view, *requirement)
        caplog.clear()
        response = send(method, concrete(rule))
        if expected and role not in NARROWED.get(rule.rule, {role}):
            if response.status_code != 403:
                wrong.append((method, concrete(rule), requirement, "narrowed: 403",
                              response.status_code, ""))
            continue
        if not answers_as_declared(response, expected, api, caplog):
            wrong.append((method, concrete(rule), requirement,
                          "allowed" if expected else "forbidden", response.status_code,
                          response.get_data(as_text=True)[:120] if api else ""))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("role", sorted(ACCOUNTS), ids=sorted(ACCOUNTS.values()))
def test_web_pages_follow_the_declaration(app, login_as, fab_denials, role):
    client = login_as(ACCOUNTS[role])
    check(app, role, False, lambda _method, path: client.get(path), fab_denials)


@pytest.mark.parametrize("role", sorted(ACCOUNTS), ids=sorted(ACCOUNTS.values()))
def test_rest_endpoints_follow_the_declaration(app, client, api_as, fab_denials, role):
    headers = api_as(ACCOUNTS[role])

    def send(method, path):
        # Reads and writes of an absent id; a create with an empty body is refused by
        # validation (400/422) — nothing is created either way.
        return client.open(path, method=method, headers=headers,
                           json={} if method != "GET" else None)

    check(app, role, True, send, fab_denials)
