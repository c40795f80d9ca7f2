"""Unbound extensions, bound to the app in create_app().

Flask-AppBuilder keeps per-app state (its views, menu and security manager), so each app gets
its own AppBuilder, made in create_app() and reached as `current_app.appbuilder`."""
from flask_caching import Cache
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from flask_appbuilder import Model

# FAB's Model has its own metadata: share it so that Flask-SQLAlchemy, Alembic and FAB agree.
db = SQLAlchemy(metadata=Model.metadata)
migrate = Migrate()
csrf = CSRFProtect()
cache = Cache()  # CACHE_TYPE: per process by default, Redis with several workers
