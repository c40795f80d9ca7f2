"""Web pages (to be written)."""


def register_views(appbuilder):
    """Add this domain's views and APIs to the app."""
