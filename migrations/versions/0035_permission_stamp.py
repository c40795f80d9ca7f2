"""The version of the roles' permissions (app.security.models.PermissionStamp): one row, raised
by triggers on every change of a role, a permission, a function (view/menu) or their links —
whatever makes the change (the matrix, FAB's pages, `flask eoffice setup`, SQL). Each process
keeps the permissions it read under the version they were read at.

Revision ID: 0035_permission_stamp
Revises: 0034_draft_updated_at_index
Create Date: 2026-12-07 08:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0035_permission_stamp'
down_revision = '0034_draft_updated_at_index'
branch_labels = None
depends_on = None

# What a person's (permission, function) pairs are made of. An insert of a role, a permission
# or a function gives no one anything until it is linked (ab_permission_view_role).
WATCHED = {
    "ab_permission_view_role": ("INSERT", "UPDATE", "DELETE"),
    "ab_permission_view": ("UPDATE", "DELETE"),
    "ab_permission": ("UPDATE", "DELETE"),
    "ab_view_menu": ("UPDATE", "DELETE"),
    "ab_role": ("UPDATE", "DELETE"),
}
RAISE = "UPDATE permission_stamp SET version = version + 1 WHERE id = 1"


def upgrade():
    op.create_table(
        'permission_stamp',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO permission_stamp (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION permission_stamp_raise() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN {RAISE}; RETURN NULL; END $$")
        for table, events in WATCHED.items():
            op.execute(f"CREATE TRIGGER {table}_stamp AFTER {' OR '.join(events)} OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION permission_stamp_raise()")
    else:
        for table, events in WATCHED.items():
            for event in events:
                op.execute(f"CREATE TRIGGER {table}_stamp_{event.lower()} AFTER {event} "
                           f"ON {table} BEGIN {RAISE}; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS permission_stamp_raise()")
    else:
        for table, events in WATCHED.items():
            for event in events:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{event.lower()}")
    op.drop_table('permission_stamp')
