"""The permission matrix as operations: read it, preview a change, save it, make a role, and
what one person may do. Each writing function is one unit of work (it commits)."""
import hashlib
from contextlib import nullcontext
from dataclasses import dataclass, field

from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from app.audit.services import record
from app.core.errors import DomainError
from app.core.text import nfc
from app.security import roles as r
from app.security.access import held_roles, roles_of
from app.security.functions import BY_KEY, FUNCTIONS, functions_of, pairs_for

# Functions that read every document, a unit's documents, or direct, register and issue them:
# never with a function of the security panel on one role or one account (Art. 10.1a, the
# network administrator assigns rights, he does not read documents). An officer's own scope
# (fields, assignments) is not among them: an administrator may also work as an officer.
DOCUMENT_KEYS = {
    "incoming.read_unit", "incoming.read_all", "incoming.register", "incoming.submit",
    "incoming.direct", "incoming.delegate", "registers", "drafts.read_unit",
    "drafts.review_unit", "drafts.read_all", "drafts.check", "drafts.check_list",
    "outgoing.read_unit",
    "outgoing.read_all", "outgoing.issue", "outgoing.recall", "dossiers.read_unit",
    "dossiers.lead_unit", "dossiers.read_all", "dossiers.keep_all", "exchange.read",
    "exchange.work", "delegation.manage_all",
}
ADMIN_KEYS = {f.key for f in FUNCTIONS if f.admin}
NAME_MAX = 64  # ab_role.name
RESERVED = set(r.ROLES) | {"Public", "Admin"}


@dataclass
class Column:
    role: Role
    builtin: bool
    keys: set[str]
    people: int = 0


@dataclass
class Change:
    role: Role
    added: list = field(default_factory=list)  # Function
    removed: list = field(default_factory=list)
    people: int = 0


def _role_pairs(session, role_ids):
    rows = session.execute(
        select(Role.id, Permission.name, ViewMenu.name)
        .select_from(Role).join(Role.permissions).join(PermissionView.permission)
        .join(PermissionView.view_menu).where(Role.id.in_(role_ids))).all()
    pairs = {role_id: set() for role_id in role_ids}
    for role_id, permission, resource in rows:
        pairs[role_id].add((permission, resource))
    return pairs


def _people(session):
    from app.org.models import EofficeUser

    link = EofficeUser.roles.property.secondary
    return dict(session.execute(select(link.c.role_id, func.count()).group_by(link.c.role_id))
                .all())


def columns(session, public_role_name="Public") -> list[Column]:
    """Built-in roles first (in the regulation's order), then the others by name."""
    roles = list(session.scalars(select(Role).where(Role.name != public_role_name)))
    order = {name: i for i, name in enumerate(r.ROLES)}
    roles.sort(key=lambda role: (order.get(role.name, len(order)), role.name))
    pairs = _role_pairs(session, [role.id for role in roles])
    people = _people(session)
    return [Column(role, role.name in r.ROLES,
                   {f.key for f in functions_of(pairs[role.id])}, people.get(role.id, 0))
            for role in roles]


def digest(columns_) -> str:
    """A fingerprint of the custom roles' functions, to refuse a save from a stale preview."""
    text = "|".join(f"{c.role.id}:{','.join(sorted(c.keys))}" for c in columns_
                    if not c.builtin)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _only(keys) -> frozenset:
    """The permissions that only the functions `keys` give (none of the others)."""
    inside = set().union(*(BY_KEY[k].pairs for k in keys))
    return frozenset(inside - set().union(*(f.pairs for f in FUNCTIONS if f.key not in keys)))


DOCUMENT_PAIRS, ADMIN_PAIRS = _only(DOCUMENT_KEYS), _only(ADMIN_KEYS)


def duties_held(pairs) -> set[str]:
    """The document and administration functions that `pairs` give, even in part: a role
    edited on FAB's raw role page may hold one permission of a function without the rest
    (reading every document without its menu entry is still reading every document)."""
    pairs = set(pairs)
    return {f.key for f in functions_of(pairs)} | \
        {k for k in DOCUMENT_KEYS if BY_KEY[k].pairs & DOCUMENT_PAIRS & pairs} | \
        {k for k in ADMIN_KEYS if BY_KEY[k].pairs & ADMIN_PAIRS & pairs}


def _mixed(keys, message) -> None:
    if keys & ADMIN_KEYS and keys & DOCUMENT_KEYS:
        raise DomainError(message % {
            "admin": ", ".join(str(BY_KEY[k].label) for k in sorted(keys & ADMIN_KEYS)),
            "docs": ", ".join(str(BY_KEY[k].label) for k in sorted(keys & DOCUMENT_KEYS))})


def check_duties(keys) -> None:
    """Art. 10.1a on one role: not both the security panel and documents."""
    _mixed(set(keys), str(_l("Tách bạch nhiệm vụ: một vai trò không được vừa có chức năng "
                             "quản trị hệ thống vừa có chức năng xử lý văn bản (%(admin)s; "
                             "%(docs)s).")))


def account_duties_problem(roles) -> str | None:
    """Art. 10.1a on one account, whatever its roles are called: None, or why its roles
    together may not go on one account (a role of the matrix with the administrator's)."""
    roles = list(roles)
    session = next((object_session(role) for role in roles if object_session(role)), None)
    with session.no_autoflush if session is not None else nullcontext():
        # asked before a save: loading the permissions must not flush the change itself
        pairs = {(pv.permission.name, pv.view_menu.name) for role in roles
                 for pv in role.permissions}
    try:
        _mixed(duties_held(pairs), str(_l(
            "Tách bạch nhiệm vụ: một tài khoản không được vừa có chức năng quản trị hệ thống "
            "(%(admin)s) vừa có chức năng xử lý văn bản (%(docs)s). Hãy dùng hai tài khoản "
            "riêng.")))
    except DomainError as error:
        return str(error)
    return None


def preview(session, wanted: dict[int, set[str]]) -> list[Change]:
    """What saving `wanted` ({role id: function keys}) would change, custom roles only.
    DomainError for a built-in or unknown role, an unknown function or mixed duties."""
    by_id = {c.role.id: c for c in columns(session)}
    changes = []
    for role_id, keys in wanted.items():
        column = by_id.get(role_id)
        if column is None:
            raise DomainError(_l("Vai trò không còn tồn tại; hãy tải lại trang."))
        unknown = set(keys) - BY_KEY.keys()
        if unknown:
            raise DomainError(_l("Chức năng không có trong bảng phân quyền."))
        if column.builtin:
            if set(keys) != column.keys:
                raise DomainError(_l(
                    "Vai trò %(name)s do quy chế quy định, không sửa được trên bảng này.",
                    name=column.role.name))
            continue
        try:
            check_duties(set(keys))
        except DomainError as error:
            raise DomainError(f"{column.role.name}: {error}") from None
        added = [BY_KEY[k] for k in BY_KEY if k in keys and k not in column.keys]
        problem = _holders_problem(session, column.role, keys) if added else None
        if problem:
            raise DomainError(f"{column.role.name}: {problem}")
        removed = [BY_KEY[k] for k in BY_KEY if k in column.keys and k not in keys]
        if added or removed:
            changes.append(Change(column.role, added, removed, column.people))
    return changes


def _permission_rows(session, appbuilder, keys) -> list:
    """The permission rows of these functions (and their menu categories); DomainError when
    the database lacks one (`flask eoffice setup` not run since the code changed)."""
    existing = {(pv.permission.name, pv.view_menu.name): pv
                for pv in session.scalars(select(PermissionView))}
    wanted = pairs_for({k for k in BY_KEY if k in keys}, appbuilder)
    if wanted - existing.keys():
        raise DomainError(_l("Thiếu quyền trong cơ sở dữ liệu: hãy chạy lại "
                             "`flask eoffice setup` rồi thử lại."))
    return sorted((existing[p] for p in wanted), key=lambda pv: pv.id)


def save(session, appbuilder, wanted: dict[int, set[str]], expected_digest: str) -> list[Change]:
    """Give each custom role exactly the permissions of its functions; one unit of work,
    each changed role a line in the audit trail. A preview older than the last save of
    someone else is refused (nothing is saved)."""
    if digest(columns(session)) != expected_digest:
        raise DomainError(_l("Bảng phân quyền đã được người khác thay đổi sau khi bạn xem "
                             "trước. Hãy xem lại các thay đổi rồi lưu."))
    changes = preview(session, wanted)
    for change in changes:
        change.role.permissions = _permission_rows(session, appbuilder,
                                                   wanted[change.role.id])
        record(session, "permissions_changed", object_type="ab_role",
               object_id=change.role.id, summary=change.role.name,
               changes={"functions": {"added": [str(f.label) for f in change.added],
                                      "removed": [str(f.label) for f in change.removed]}})
    session.commit()
    return changes


def create_role(session, appbuilder, name: str, copy_from: int | None = None) -> Role:
    """A new role, empty or with the functions of another role. One unit of work."""
    name = nfc(" ".join((name or "").split()))
    if not name:
        raise DomainError(_l("Nhập tên vai trò."))
    if len(name) > NAME_MAX:
        raise DomainError(_l("Tên vai trò dài quá %(n)s ký tự.", n=NAME_MAX))
    if name in RESERVED or session.scalar(select(Role.id).where(
            func.lower(Role.name) == name.lower())) is not None:
        raise DomainError(_l("Đã có vai trò tên “%(name)s”.", name=name))
    keys = set()
    if copy_from:
        source = next((c for c in columns(session) if c.role.id == copy_from), None)
        if source is None:
            raise DomainError(_l("Vai trò để sao chép không còn tồn tại."))
        keys = source.keys
        check_duties(keys)
    role = Role(name=name)
    role.permissions = _permission_rows(session, appbuilder, keys)
    session.add(role)
    session.flush()
    record(session, "role_created", object_type="ab_role", object_id=role.id, summary=name,
           changes={"functions": {"added": [str(BY_KEY[k].label) for k in sorted(keys)],
                                  "removed": []}} if keys else None)
    session.commit()
    return role


@dataclass
class PersonFunction:
    function: object
    roles: list


def role_sources(person) -> list[tuple[Role, str]]:
    """[(role, how the person has it)]: their own roles by name, then each group's roles as
    "name (nhóm …)" — a group's roles are its members' (FAB's groups)."""
    sources = [(role, role.name) for role in person.roles]
    for group in getattr(person, "groups", None) or []:
        sources += [(role, str(_l("%(role)s (nhóm %(group)s)", role=role.name,
                                  group=group.label or group.name))) for role in group.roles]
    return sources


def person_functions(session, person) -> list[PersonFunction]:
    """What one person may do: the union of their roles' functions (their groups' roles
    included), with the roles giving each (in the matrix's order)."""
    sources = role_sources(person)
    pairs = _role_pairs(session, list({role.id for role, _name in sources}))
    given = {}
    for role, name in sources:
        for function in functions_of(pairs[role.id]):
            given.setdefault(function.key, []).append(name)
    return [PersonFunction(f, given[f.key]) for f in FUNCTIONS if f.key in given]


def group_duties_problem(group) -> str | None:
    """Art. 10.1a through a group: None, or why a member's roles with the group's (as the
    form has them now) may not go on one account."""
    session = object_session(group)
    with session.no_autoflush if session is not None else nullcontext():
        # asked before the save: reading a member's roles must not flush the group early
        for member in group.users:
            problem = account_duties_problem([*roles_of(member), *group.roles])
            if problem:
                return f"{member.username}: {problem}"
    return None


def role_page_problem(session, role, before, me) -> str | None:
    """Art. 10.1a and the regulation's roles on FAB's own role page (its raw permission
    list): None, or why the role may not be saved as the form has it. `before`: (name,
    permission ids) of the role as it was, None for a new role; `me`: who saves."""
    name_before, ids_before = before or (None, None)
    changed = before is None or {pv.id for pv in role.permissions} != ids_before
    if name_before in r.ROLES and (role.name != name_before or changed):
        return str(_l("Vai trò %(name)s do quy chế quy định, không sửa được. Để phân quyền "
                      "khác, hãy tạo vai trò mới trên trang Phân quyền theo chức năng.",
                      name=name_before))
    if not changed:
        return None
    if before is not None and me is not None and \
            role.id in {held.id for held in roles_of(me)}:
        return str(_l("Bạn không thể tự thay đổi quyền của vai trò mình đang giữ: nhờ một "
                      "quản trị mạng khác."))
    keys = duties_held((pv.permission.name, pv.view_menu.name) for pv in role.permissions)
    try:
        check_duties(keys)
    except DomainError as error:
        return str(error)
    return _holders_problem(session, role, keys) if role.id is not None else None


def _holders_problem(session, role, keys) -> str | None:
    """Art. 10.1a for the people holding `role` (their own or through a group) if it had
    the functions `keys`: None, or why one of their accounts would mix the duties."""
    from app.org.models import EofficeUser

    held = held_roles()
    holders = select(held.c.user_id).where(held.c.role_id == role.id).scalar_subquery()
    rows = session.execute(select(EofficeUser.username, held.c.role_id)
                           .join(held, held.c.user_id == EofficeUser.id)
                           .where(EofficeUser.id.in_(holders), held.c.role_id != role.id)
                           .order_by(EofficeUser.username)).all()
    others = _role_pairs(session, list({role_id for _name, role_id in rows}))
    by_person = {}  # username → the permissions of their other roles together
    for username, role_id in rows:
        by_person.setdefault(username, set()).update(others[role_id])
    for username, pairs in by_person.items():
        try:
            _mixed(duties_held(pairs) | set(keys), str(_l(
                "Tách bạch nhiệm vụ: tài khoản %(user)s sẽ vừa có chức năng quản trị hệ thống "
                "(%%(admin)s) vừa có chức năng xử lý văn bản (%%(docs)s).", user=username)))
        except DomainError as error:
            return str(error)
    return None
