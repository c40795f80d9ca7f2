"""The versions of the incoming documents' months of arrival, for counts kept month by month.

Every transaction that changes an incoming document or its work raises the version of the
document's month of arrival (app.stats.stamps, in the same transaction); one that moves a
person between units, or renames a person or a unit, raises the people's. The statistics depend
on this domain, so that documents never imports them, they register their reader here
(imported with the models by app/models.py). Without a reader (a test of this domain alone)
nothing is known of the months, and the callers keep their counts by the data's version."""
_readers = []


def register(reader) -> None:
    """reader(session, before) → a tuple of the versions of the months before `before`
    (yyyy-mm) that ever changed and of the people's, in order."""
    if reader not in _readers:
        _readers.append(reader)


def settled(session, before: str) -> tuple | None:
    """The versions of every month of arrival before `before` (yyyy-mm) and of the people's,
    or None when no reader is registered."""
    return _readers[-1](session, before) if _readers else None
