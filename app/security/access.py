"""What a user may do, used by every domain's access rules and workflows.

A person may do what the permissions of their roles say: `may(user, "can_register",
"IncomingDocument")`. The six roles of the regulation get their permissions from
app.security.roles; roles the network administrator makes in the permission matrix
(app.security.panel) get theirs there, and the same checks apply to them: the domains ask
for a permission, never for a role's name. `role_names`/`has_role` remain for the few rules
about the roles themselves (separation of duties, the demo)."""
import weakref

from flask import has_request_context, request
from sqlalchemy import select, union
from sqlalchemy.orm import object_session


def roles_of(user) -> list:
    """The person's roles: their own, then their groups' (a member of a group has the group's
    roles, as the group's form says), each once."""
    own = list(getattr(user, "roles", None) or [])
    through_groups = [role for group in getattr(user, "groups", None) or []
                      for role in group.roles]
    return list({id(role): role for role in [*own, *through_groups]}.values())


def role_names(user) -> set[str]:
    return {role.name for role in roles_of(user)}


def has_role(user, *names) -> bool:
    return bool(role_names(user) & set(names))


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and \
        getattr(user, "id", None) is not None


# What was read of roles and permissions, per process and database: engine → (version,
# {key: value}) at one version of the roles' permissions (app.security.models.PermissionStamp);
# another version starts anew.
_KEPT = weakref.WeakKeyDictionary()
_VERSION = "eoffice.permission-version"  # the request's, once read (request.environ)


def permission_version(session) -> int:
    """The version of the roles' permissions, raised by the database on every change of
    them: read once per request, with the person when they are read first (0 when the
    stamp's row is missing)."""
    if has_request_context() and _VERSION in request.environ:
        return request.environ[_VERSION]
    version = session.scalar(select(permission_version_column()))
    remember_permission_version(version)
    return version or 0


def permission_version_column():
    """The version as a column of another statement (the person's, read at each request)."""
    from app.security.models import PermissionStamp

    return select(PermissionStamp.version).where(PermissionStamp.id == 1).scalar_subquery()


def permission_version_known() -> bool:
    return has_request_context() and _VERSION in request.environ


def remember_permission_version(version) -> None:
    if has_request_context():
        request.environ[_VERSION] = version or 0


def kept(session, key, read):
    """read() kept per process and database under `key` at this version of the roles'
    permissions (read again once they change): what is made of roles and permissions only."""
    version = permission_version(session)
    engine = session.get_bind()
    entry = _KEPT.get(engine)
    if entry is None or entry[0] != version:
        entry = _KEPT[engine] = (version, {})
    known = entry[1]
    if key not in known:
        known[key] = read()  # read after the version: never older than the version kept under
    return known[key]


def _pairs_statement():
    """SELECT (permission, resource) of the role links (assoc_permissionview_role)."""
    from flask_appbuilder.security.sqla.models import (
        Permission, PermissionView, ViewMenu, assoc_permissionview_role,
    )

    return (select(Permission.name, ViewMenu.name)
            .select_from(PermissionView).join(Permission).join(ViewMenu)
            .join(assoc_permissionview_role))


def role_pairs(session, role_ids) -> frozenset[tuple[str, str]]:
    """{(permission, resource)} of these roles together: one query per combination of roles
    and version of the permissions, not per request."""
    from flask_appbuilder.security.sqla.models import assoc_permissionview_role

    role_ids = tuple(sorted(set(role_ids)))
    if not role_ids:
        return frozenset()
    return kept(session, role_ids, lambda: frozenset(session.execute(
        _pairs_statement().where(assoc_permissionview_role.c.role_id.in_(role_ids))).all()))


def named_role_pairs(session, name) -> frozenset[tuple[str, str]]:
    """{(permission, resource)} of the role called `name` (FAB's public role), kept likewise."""
    from flask_appbuilder.security.sqla.models import Role, assoc_permissionview_role

    return kept(session, ("named", name), lambda: frozenset(session.execute(
        _pairs_statement().join(Role, Role.id == assoc_permissionview_role.c.role_id)
        .where(Role.name == name)).all()))


def permissions_of(user) -> frozenset[tuple[str, str]]:
    """{(permission, resource)} of all the user's roles, their groups' included."""
    if not _authenticated(user):
        return frozenset()
    session = object_session(user)
    if session is None:
        from app.extensions import db

        session = db.session
    return role_pairs(session, [role.id for role in roles_of(user)])


def may(user, permission, resource) -> bool:
    """Whether the user's roles give `permission` ("can_…") on `resource`."""
    return (permission, resource) in permissions_of(user)


def held_roles():
    """SQL (user_id, role_id): who holds which role, their own or through a group — the rows
    of `roles_of` for every person at once."""
    from flask_appbuilder.security.sqla.models import (
        assoc_group_role, assoc_user_group, assoc_user_role,
    )

    return union(
        select(assoc_user_role.c.user_id, assoc_user_role.c.role_id),
        select(assoc_user_group.c.user_id, assoc_group_role.c.role_id)
        .join(assoc_group_role, assoc_group_role.c.group_id == assoc_user_group.c.group_id),
    ).subquery("held_role")


def holders_of(permission, resource):
    """SQL: the ids of active people whose roles (their groups' included) give `permission`
    on `resource` — the same permission rows as `may`, for lists of people (who directs, who
    issues, who leads a unit) without asking person by person."""
    from flask_appbuilder.security.sqla.models import (
        Permission, PermissionView, ViewMenu, assoc_permissionview_role,
    )

    from app.org.models import EofficeUser

    held = held_roles()
    return (select(EofficeUser.id)
            .join(held, held.c.user_id == EofficeUser.id)
            .join(assoc_permissionview_role,
                  assoc_permissionview_role.c.role_id == held.c.role_id)
            .join(PermissionView, PermissionView.id ==
                  assoc_permissionview_role.c.permission_view_id)
            .join(Permission).join(ViewMenu)
            .where(Permission.name == permission, ViewMenu.name == resource,
                   EofficeUser.active.is_(True)).distinct())


def people_with(session, permission, resource, department_id=None) -> list[int]:
    """Ids of the active people (of one unit, if given) who hold `permission` on `resource`."""
    from app.org.models import EofficeUser

    query = holders_of(permission, resource)
    if department_id is not None:
        query = query.where(EofficeUser.department_id == department_id)
    return sorted(session.scalars(query))
