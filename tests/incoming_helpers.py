"""Helpers for the incoming-document tests: build a valid entry, register it as the clerk."""
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.catalogs.models import Agency, DocumentType, Field, Register, SecrecyLevel, UrgencyLevel
from app.core.timefmt import local_now


def ids(session):
    year = local_now().year
    return {
        # the agency's own registers of the year (the first made), never one another test
        # made for a single document type or closed
        "register": session.scalar(select(Register.id).where(
            Register.direction == "in", Register.year == year, Register.is_secret.is_(False),
            Register.active.is_(True), Register.document_type_id.is_(None))
            .order_by(Register.id)),
        "secret_register": session.scalar(select(Register.id).where(
            Register.direction == "in", Register.year == year, Register.is_secret.is_(True),
            Register.active.is_(True), Register.document_type_id.is_(None))
            .order_by(Register.id)),
        "agency": session.scalar(select(Agency.id).where(Agency.electronic_id == "000.00.00.H30")),
        "type": session.scalar(select(DocumentType.id).where(DocumentType.name == "Công văn")),
        "urgency": session.scalar(select(UrgencyLevel.id).where(UrgencyLevel.priority == 0)),
        "urgent": session.scalar(select(UrgencyLevel.id).where(UrgencyLevel.priority == 3)),
        "secrecy": session.scalar(select(SecrecyLevel.id).where(SecrecyLevel.level == 0)),
        "secret": session.scalar(select(SecrecyLevel.id).where(SecrecyLevel.level == 1)),
        "field_cchc": session.scalar(select(Field.id).where(Field.code == "CCHC")),
        "field_tp": session.scalar(select(Field.id).where(Field.code == "TP")),
    }


def entry(session, **overrides):
    """A valid service data dict: arrival now, dated yesterday, unique number/symbol."""
    known = ids(session)
    now = local_now().replace(second=0, microsecond=0)
    data = {
        "register_id": known["register"], "arrival_at": now, "channel": "paper",
        "agency_id": known["agency"], "number_symbol": f"{uuid.uuid4().int % 10**9}/UBND-NC",
        "document_date": (now - timedelta(days=1)).date(), "document_type_id": known["type"],
        "excerpt": "V/v triển khai công tác cải cách hành chính năm 2026",
        "field_id": known["field_cchc"], "urgency_id": known["urgency"],
        "secrecy_id": known["secrecy"],
    }
    data.update(overrides)
    return data
