"""The audit trail's folded search text: the summary and the actor's name without accents or
case ('tao moi' finds 'Tạo mới'), filled when a line is written (app.audit.services); the
lines already there are filled here

Revision ID: 0019_audit_search
Revises: 0018_stamp_position
Create Date: 2026-12-04 09:00:00

The append-only triggers are lifted for this one UPDATE and put back as they were (as
0017_audit_chain does); the column is outside the hash chain (derived from chained fields).
"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_audit_search'
down_revision = '0018_stamp_position'
branch_labels = None
depends_on = None

_SPACES = re.compile(r"\s+")


def fold(text):
    """app.core.text.fold as it is at this revision (a migration never imports live code)."""
    text = unicodedata.normalize("NFC", text or "").lower().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


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
    op.add_column('audit_event', sa.Column('search_text', sa.Text(), nullable=True))
    bind = op.get_bind()
    audit = sa.table('audit_event', sa.column('id', sa.Integer),
                     sa.column('summary', sa.String), sa.column('actor_name', sa.String),
                     sa.column('search_text', sa.Text))
    if bind.execute(sa.select(sa.func.count()).select_from(audit)).scalar_one() == 0:
        return
    _triggers(False)
    update = sa.update(audit).where(audit.c.id == sa.bindparam('row_id')).values(
        search_text=sa.bindparam('folded'))
    after = 0
    while True:
        rows = bind.execute(sa.select(audit.c.id, audit.c.summary, audit.c.actor_name)
                            .where(audit.c.id > after).order_by(audit.c.id).limit(2000)).all()
        if not rows:
            break
        bind.execute(update, [{"row_id": row.id, "folded": fold(
            " ".join(v for v in (row.summary, row.actor_name) if v))} for row in rows])
        after = rows[-1].id
    _triggers(True)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('search_text')
