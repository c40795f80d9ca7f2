"""Web pages of this module (being built)."""


def register_views(appbuilder):
    """Add this module's pages and menu entries."""
