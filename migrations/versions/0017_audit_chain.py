"""Audit trail tamper evidence: each row chained by hash to the one before it

Revision ID: 0017_audit_chain
Revises: 0016_login_sessions
Create Date: 2026-12-03 10:00:00

The rows already there are chained here, in id order, with the hash of the application as it
was at this revision (app.audit.services.chain_hash, copied below: a migration is history and
never imports live code); the append-only triggers are lifted for that UPDATE only.
"""
import hashlib
import json
from datetime import datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_audit_chain'
down_revision = '0016_login_sessions'
branch_labels = None
depends_on = None

FIELDS = ("id", "at", "actor_id", "actor_name", "ip", "action", "object_type", "object_id",
          "summary", "changes")


def _canonical(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def chain_hash(prev_hash, row) -> str:
    payload = json.dumps([prev_hash or ""] + [_canonical(row[name]) for name in FIELDS],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _triggers(on: bool):
    if op.get_bind().dialect.name == "postgresql":
        verb = "ENABLE" if on else "DISABLE"
        op.execute(f"ALTER TABLE audit_event {verb} TRIGGER audit_event_no_change")
    elif on:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event
                BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def upgrade():
    op.add_column('audit_event', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_event', sa.Column('row_hash', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    audit = sa.table('audit_event', sa.column('id', sa.Integer), sa.column('at', sa.DateTime),
                     sa.column('actor_id', sa.Integer),
                     *[sa.column(name, sa.String) for name in FIELDS[3:]],
                     sa.column('prev_hash', sa.String), sa.column('row_hash', sa.String))
    if bind.execute(sa.select(sa.func.count()).select_from(audit)).scalar_one() == 0:
        return
    _triggers(False)
    update = sa.update(audit).where(audit.c.id == sa.bindparam('row_id')).values(
        prev_hash=sa.bindparam('new_prev'), row_hash=sa.bindparam('new_hash'))
    previous, after = None, 0
    while True:
        rows = bind.execute(sa.select(*[audit.c[name] for name in FIELDS])
                            .where(audit.c.id > after).order_by(audit.c.id).limit(2000)
                            ).mappings().all()
        if not rows:
            break
        changes = []
        for row in rows:
            digest = chain_hash(previous, dict(row))
            changes.append({"row_id": row["id"], "new_prev": previous, "new_hash": digest})
            previous, after = digest, row["id"]
        bind.execute(update, changes)
    _triggers(True)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
