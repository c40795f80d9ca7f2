"""Unbound extensions, bound to the app in create_app()."""
from flask_appbuilder import AppBuilder
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from flask_appbuilder import Model

# FAB's Model has its own metadata: share it so that Flask-SQLAlchemy, Alembic and FAB agree.
db = SQLAlchemy(metadata=Model.metadata)
appbuilder = AppBuilder(update_perms=False)
migrate = Migrate()
csrf = CSRFProtect()
