"""What a user may do, used by every domain's access rules and workflows.

A person may do what the permissions of their roles say: `may(user, "can_register",
"IncomingDocument")`. The six roles of the regulation get their permissions from
app.security.roles; roles the network administrator makes in the permission matrix
(app.security.panel) get theirs there, and the same checks apply to them: the domains ask
for a permission, never for a role's name. `role_names`/`has_role` remain for the few rules
about the roles themselves (separation of duties, the demo)."""
from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import object_session


def role_names(user) -> set[str]:
    return {role.name for role in getattr(user, "roles", None) or []}


def has_role(user, *names) -> bool:
    return bool(role_names(user) & set(names))


def _authenticated(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and \
        getattr(user, "id", None) is not None


def permissions_of(user) -> frozenset[tuple[str, str]]:
    """{(permission, resource)} of all the user's roles: one query, once per request."""
    if not _authenticated(user):
        return frozenset()
    role_ids = tuple(sorted(role.id for role in getattr(user, "roles", None) or []))
    key = (user.id, role_ids)
    cache = request.environ.setdefault("eoffice.permissions", {}) \
        if has_request_context() else {}
    if key not in cache:
        from flask_appbuilder.security.sqla.models import (
            Permission, PermissionView, ViewMenu, assoc_permissionview_role,
        )

        session = object_session(user)
        if session is None:
            from app.extensions import db

            session = db.session
        cache[key] = frozenset(session.execute(
            select(Permission.name, ViewMenu.name)
            .select_from(PermissionView).join(Permission).join(ViewMenu)
            .join(assoc_permissionview_role)
            .where(assoc_permissionview_role.c.role_id.in_(role_ids))).all()) \
            if role_ids else frozenset()
    return cache[key]


def may(user, permission, resource) -> bool:
    """Whether the user's roles give `permission` ("can_…") on `resource`."""
    return (permission, resource) in permissions_of(user)
