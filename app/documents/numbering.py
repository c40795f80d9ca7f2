"""Numbers never collide: one counter row per (register, year), incremented by the first
write of the transaction that inserts the document.

`INSERT … ON CONFLICT DO UPDATE … RETURNING` takes the row lock on PostgreSQL and SQLite's
write lock (the transaction starts with it, so no stale snapshot), so two clerks never get
the same number; the unique constraint on the document is the last guard."""
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.documents.models import RegisterCounter


def _insert_for(session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert


def _insert_counter_if_missing(session, register_id: int, year: int):
    insert = _insert_for(session)
    session.execute(
        insert(RegisterCounter)
        .values(register_id=register_id, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["register_id", "year"])
    )


def begin_numbering(session, *, read_again=True) -> None:
    """Before a number is taken: the number must be the first write of its transaction, so
    the read transaction is ended here (what was read is read again after the counter's
    lock: a draft or an arrival another clerk changed meanwhile) — and work the caller left
    pending is refused (a programming error), never silently discarded.

    `read_again=False`, on PostgreSQL, for a new entry whose checks read nothing another
    clerk's registration changes (the person, the register, the catalogs): the transaction
    goes on. Its reads took no lock, and the counter's update waits for another clerk's and
    then adds one to the number that clerk left. SQLite always ends it: a transaction that
    read before another clerk's commit could not write after it."""
    pending = list(session.new) + list(session.deleted) + [
        obj for obj in session.dirty if session.is_modified(obj)]
    if pending:
        raise RuntimeError(f"numbering with pending work in the session: {pending[:3]!r}")
    if read_again or session.get_bind().dialect.name != "postgresql":
        session.rollback()


def take_next_number(session, register_id: int, year: int) -> int:
    """Reserve and return the next number, in one statement (the counter made when the
    register's year has none). Must run inside the transaction that then inserts the
    document, before anything else is written in it."""
    insert = _insert_for(session)
    table = RegisterCounter.__table__
    return session.execute(
        insert(table)
        .values(register_id=register_id, year=year, last_number=1)
        .on_conflict_do_update(index_elements=["register_id", "year"],
                               set_={"last_number": table.c.last_number + 1})
        .returning(table.c.last_number)
    ).scalar_one()


def peek_next_number(session, register_id: int, year: int) -> int:
    """The number the next document would get now (shown before saving, not reserved)."""
    last = session.scalar(select(RegisterCounter.last_number).where(
        RegisterCounter.register_id == register_id, RegisterCounter.year == year))
    return (last or 0) + 1


def raise_counter(session, register_id: int, year: int, number: int) -> None:
    """Numbers up to `number` are taken (a paper register imported): later registrations
    continue after it. Never lowers the counter."""
    _insert_counter_if_missing(session, register_id, year)
    session.execute(
        update(RegisterCounter)
        .where(RegisterCounter.register_id == register_id, RegisterCounter.year == year,
               RegisterCounter.last_number < number)
        .values(last_number=number)
    )
