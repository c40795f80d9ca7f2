"""Numbers never collide: many clerks registering at the same moment into one register get
consecutive arrival numbers, no gap, no duplicate — on the real database (SQLite or
PostgreSQL, whichever the suite runs on)."""
import threading
import uuid

from sqlalchemy import select

from app.core.timefmt import local_now
from app.documents import services
from app.documents.models import IncomingDocument
from app.documents.numbering import take_next_number
from app.extensions import db
from app.org.models import EofficeUser
from tests.incoming_helpers import entry

WORKERS = 24


def test_concurrent_registrations_get_consecutive_numbers(app, scratch_register):
    register_id = scratch_register(f"Sổ thử đồng thời {uuid.uuid4().hex[:6]}", "in",
                                   local_now().year)
    with app.app_context():
        clerk_id = db.session.scalar(select(EofficeUser.id).where(
            EofficeUser.username == "vanthu"))
        entries = [entry(db.session, register_id=register_id,
                         number_symbol=f"{i + 1}/CONC-{uuid.uuid4().hex[:5]}")
                   for i in range(WORKERS)]
        db.session.remove()
    # No connection is held while waiting: the pool has fewer connections than workers.
    barrier = threading.Barrier(WORKERS)
    numbers, errors = [], []

    def work(index):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                session = db.session
                clerk = session.get(EofficeUser, clerk_id)
                document = services.register_incoming(session, clerk, entries[index])
                numbers.append(document.arrival_number)
            except Exception as error:  # reported below with the numbers
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, sorted(set(errors))
    assert sorted(numbers) == list(range(1, WORKERS + 1))
    with app.app_context():
        stored = db.session.scalars(select(IncomingDocument.arrival_number).where(
            IncomingDocument.register_id == register_id)).all()
        assert sorted(stored) == list(range(1, WORKERS + 1))


def test_numbers_restart_each_year(app, scratch_register):
    register_id = scratch_register(f"Sổ thử năm {uuid.uuid4().hex[:6]}", "in", 2031)
    with app.app_context():
        assert [take_next_number(db.session, register_id, 2031) for _ in range(3)] == [1, 2, 3]
        assert take_next_number(db.session, register_id, 2032) == 1
        db.session.rollback()
