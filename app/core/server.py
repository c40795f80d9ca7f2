"""What a server process does once its app is built (run.py: gunicorn's workers, `make run`).

Python's cyclic garbage collector looks, every few hundred objects made, through the young
objects, and now and then through every object the process holds. A worker holds some 300,000
objects from its start — modules, the framework, the mapped classes, the templates — that live
as long as it does: each full collection went through all of them again (50–120 ms each, in
the middle of someone's page), and a page's own objects were collected every 700 of them
(most die on their own as the page ends). At a decade of documents that was 8 % of a worker's
time in the page walk (bench/walk.py: 1.2 s of 14).

`settle` collects once, then freezes what is there (`gc.freeze`: never looked through again,
nor written to by the collector, which also spares the memory a forked worker shares), and
collects a page's young objects every GC_THRESHOLD[0] of them instead of 700."""
import gc


def settle(app) -> None:
    gc.collect()
    gc.freeze()
    threshold = app.config.get("GC_THRESHOLD")
    if threshold:
        gc.set_threshold(*threshold)
