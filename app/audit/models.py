"""The audit trail (nhật ký hệ thống): append-only; the database refuses to change or delete a
row (triggers in the migration), and no view or API offers to."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, Index, Integer, String, Text

from app.core.timefmt import utcnow


class AuditEvent(Model):
    __tablename__ = "audit_event"
    __label__ = _l("nhật ký hệ thống")
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),
                      Index("ix_audit_action_at", "action", "at"))  # logins per day

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)  # UTC
    actor_id = Column(Integer, index=True)  # no foreign key: the trail outlives accounts
    actor_name = Column(String(150))
    ip = Column(String(45))
    action = Column(String(40), nullable=False, index=True)
    object_type = Column(String(60))
    object_id = Column(String(40))
    summary = Column(String(500))
    changes = Column(Text)  # JSON {field: [before, after]}
    # Tamper evidence (app.audit.services.chain_hash): row_hash = sha256 of prev_hash and this
    # row's canonical fields; prev_hash = row_hash of the row before it (id order).
    prev_hash = Column(String(64))
    row_hash = Column(String(64))
    # The summary and the actor's name folded (app.core.text.fold) for the accent-insensitive
    # search of the trail's grid; written with the row, outside the chain (derived from it).
    search_text = Column(Text)
