"""Role checks on a user, used by every domain's access rules and workflows (the roles
themselves are declared in app.security.roles)."""


def role_names(user) -> set[str]:
    return {role.name for role in getattr(user, "roles", None) or []}


def has_role(user, *names) -> bool:
    return bool(role_names(user) & set(names))
