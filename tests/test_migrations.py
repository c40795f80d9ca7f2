"""The schema comes from migrations: upgrade from an empty database works, and the models and
the migrations agree (autogenerate would find nothing to add)."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from flask_migrate import upgrade

from app import create_app
from app.core.search import not_search_index


def test_upgrade_from_empty_then_models_match(empty_database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        from app.extensions import db

        assert "ab_user" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"ab_user", "ab_role", "department", "document_type", "agency", "register",
                "signer", "user_field"} <= tables
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": not_search_index})
            differences = compare_metadata(context, Model.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        db.engine.dispose()


def test_the_last_migrations_go_down_and_up_again(empty_database_url, tmp_path):
    """Downgrade from the head to 0012 (search, routing backfill, indexes, login sessions,
    audit chain undone), then upgrade again: the schema matches the models, and the rows
    written meanwhile are chained by 0017."""
    from flask_migrate import downgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        from app.extensions import db

        upgrade()
        downgrade(revision="0012_totp")
        inspector = sa.inspect(db.engine)
        assert "login_session" not in inspector.get_table_names()
        assert "row_hash" not in {c["name"] for c in inspector.get_columns("audit_event")}
        with db.engine.begin() as conn:
            conn.execute(sa.text("insert into audit_event (at, action, summary) "
                                 "values (:at, 'login', 'trước khi nâng cấp')"),
                         {"at": "2026-12-01 08:00:00"})
        upgrade()
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("select row_hash from audit_event")) is not None
            context = MigrationContext.configure(conn, opts={"include_object": not_search_index})
            differences = compare_metadata(context, Model.metadata)
        assert differences == [], f"models and migrations disagree: {differences}"
        db.engine.dispose()
