"""Seed the catalogs idempotently: add what is missing by its natural key, change nothing else."""
from app.catalogs import models as m
from app.catalogs import seed_data as data


def _ensure(session, model, key: dict, values: dict) -> int:
    """Insert `model(**key, **values)` unless a row with `key` exists. Returns 1 if added."""
    if session.query(model).filter_by(**key).first() is not None:
        return 0
    session.add(model(**key, **values))
    return 1


def seed_catalogs(session, year: int | None = None) -> dict:
    year = year or data.current_year()
    counts = {
        "document_type": sum(
            _ensure(session, m.DocumentType, {"name": name},
                    {"abbreviation": abbreviation, "kind": kind, "sort_order": order})
            for order, (name, abbreviation, kind) in enumerate(data.DOCUMENT_TYPES, start=1)
        ),
        "urgency_level": sum(
            _ensure(session, m.UrgencyLevel, {"priority": priority},
                    {"name": name, "is_urgent": urgent, "processing_days": days})
            for priority, name, urgent, days in data.URGENCY_LEVELS
        ),
        "secrecy_level": sum(
            _ensure(session, m.SecrecyLevel, {"level": level}, {"name": name})
            for level, name in data.SECRECY_LEVELS
        ),
        "retention_period": sum(
            _ensure(session, m.RetentionPeriod, {"name": name}, {"years": years})
            for years, name in data.RETENTION_PERIODS
        ),
        "field": sum(
            _ensure(session, m.Field, {"code": code}, {"name": name})
            for code, name in data.FIELDS
        ),
        "agency": sum(
            _ensure(session, m.Agency, {"name": name},
                    {"short_name": short, "electronic_id": eid, "legacy_code": legacy,
                     "address": address})
            for name, short, eid, legacy, address in data.AGENCIES
        ),
        "meeting_room": sum(
            _ensure(session, m.MeetingRoom, {"name": name},
                    {"location": location, "capacity": capacity})
            for name, location, capacity in data.MEETING_ROOMS
        ),
        "news_category": sum(
            _ensure(session, m.NewsCategory, {"name": name}, {"sort_order": order})
            for order, name in data.NEWS_CATEGORIES
        ),
        "register": sum(
            _ensure(session, m.Register, {"direction": direction, "year": year, "name": name},
                    {"is_secret": secret})
            for direction, name, secret in data.registers_for(year)
        ),
    }
    session.flush()
    return counts
