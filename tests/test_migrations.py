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


def test_exchange_arrivals_keep_their_status_messages(empty_database_url, tmp_path):
    """0025 changes the unique key of exchange_inbound (a table rebuild on SQLite, whose drop
    would cascade to the status messages pointing at it): they are all still there, and a
    second arrival of the same DocumentId can be stored."""
    from flask_migrate import downgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        from app.extensions import db

        upgrade()
        downgrade(revision="0024_delegation")
        with db.engine.begin() as conn:
            conn.execute(sa.text("insert into agency (id, name, electronic_id, active) "
                                 "values (901, 'Sở Tài chính', '000.00.07.H30', true)"))
            conn.execute(sa.text("insert into exchange_partner (id, agency_id, active, "
                                 "created_at) values (901, 901, true, '2026-12-01')"))
            conn.execute(sa.text(
                "insert into exchange_inbound (id, source, from_organ_id, document_key, "
                "business_type, sha256, state, last_event_id, received_at) values (901, "
                "'network', '000.00.07.H30', 'K', 0, 'x', 'returned', 0, '2026-12-01')"))
            conn.execute(sa.text(
                "insert into exchange_outbox (id, partner_id, kind, document_key, "
                "business_type, status_code, inbound_id, payload, state, attempts, "
                "next_attempt_at, created_at) values (901, 901, 'status', 'K', 0, '02', 901, "
                "'<x/>', 'sent', 1, '2026-12-01', '2026-12-01')"))
        upgrade()
        with db.engine.begin() as conn:
            assert conn.scalar(sa.text(
                "select inbound_id from exchange_outbox where id = 901")) == 901
            conn.execute(sa.text(
                "insert into exchange_inbound (id, source, from_organ_id, document_key, "
                "business_type, sha256, state, last_event_id, received_at, sequence, "
                "previous_id, repeats) values (902, 'network', '000.00.07.H30', 'K', 0, 'y', "
                "'received', 0, '2026-12-02', 1, 901, 0)"))
            assert conn.scalar(sa.text("select count(*) from exchange_inbound")) == 2
        db.engine.dispose()
