"""One truth about the deadlines of incoming documents: what is "quá hạn" (overdue) and what is
"sắp đến hạn" (due soon), for whom, and what each page counts. The home tiles, the inbox
badges, the grid's boxes and row marks, the overdue page, the dashboard, the reports, the API
and the daily deadline notices (app.documents.reminders) all read it from here.

**A piece of work with a deadline** (a work item) is one of:

1. an open work line (chủ trì or phối hợp; not "nhận để biết" nor "nắm tình hình") of a
   document being processed (Đang xử lý); its deadline is the line's own, else the
   document's (`effective_deadline`). It is held by its person, or, for a unit's line not
   given to a person, by the unit's leader. A unit leader keeps answering for the unit's line
   after passing it to an officer.
2. a document waiting for a direction (Chờ chỉ đạo), against its own deadline, held by the
   leader it was presented to (`submitted_to`; any leader who directs when none was named);
3. a document registered but not yet presented (Đã vào sổ, chờ trình), against its own
   deadline, held by the clerks who present (`can_submit`).

A document waiting for registration (Chờ vào sổ) is not in the register yet and counts nowhere;
a completed, recalled or replaced one has no work left that is late (a co-operating line still
open on a completed document may be finished, it is not overdue).

**Overdue**: a work item whose deadline is before today (Vietnam time): one day after the
deadline the work is late. **Due soon**: its deadline is today or within `DUE_SOON_DAYS`
working days (Monday–Friday, `add_working_days`), bounds included.

A **document** is overdue when one of its work items is; it is due soon when one of its items
is due soon and none is overdue (a document is in at most one of the two).

**What each place counts — always documents, never lines:**

- *mine* (`holder=user`): the documents overdue / due soon through an item *I* hold (my lines,
  my unit's lines if I lead it, the documents waiting for my direction or my presentation).
  The home tiles "Quá hạn" and "Sắp đến hạn", the inbox badges, the grid's `?box=overdue` /
  `?box=due_soon` lists, the API's `box=` and `/inboxes`.
- *everything I may see* (`holder=None`, under `visible_incoming`): the overdue page's total
  ("toàn bộ phạm vi xem"), the dashboard's "Văn bản đến đang quá hạn", the overdue report, the
  grid's row marks and the API's `overdue` field of a document. With a unit chosen (the
  dashboard's unit, a unit leader's dashboard, `/incoming/overdue?unit=`) only the documents
  with an overdue line held by that unit (its own line or its people's).

So a leader reads "Quá hạn 2" on the home page (waiting for *their* direction) and "16" on
the overdue page (everything late in the agency): the page names both numbers.
"""
from datetime import date

from flask import current_app
from sqlalchemy import (
    String, and_, case, false, func, literal, null, or_, select, true, union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import False_, True_

from app.core.timefmt import add_working_days, today_local
from app.documents import workflow
from app.documents.models import (
    FYI, IN_PROGRESS, OPEN, REGISTERED, SUBMITTED, WORK_ROLES, IncomingAssignment,
    IncomingDocument,
)
from app.org.models import EofficeUser
from app.security.access import may
from app.security.delegation import principals

OVERDUE, DUE_SOON = "overdue", "due_soon"
# The kinds of a work item, in the order the overdue page shows them.
DIRECTION, PRESENTATION, LINE = "direction", "presentation", "line"
WAITING_STATES = (SUBMITTED, REGISTERED)


# ---------------------------------------------------------------- dates

def due_soon_until(today: date | None = None) -> date:
    """The last day that is still "due soon" seen from `today`: DUE_SOON_DAYS working days on."""
    return add_working_days(today or today_local(), current_app.config["DUE_SOON_DAYS"])


def effective_deadline():
    """A line's deadline: its own, else the document's."""
    return func.coalesce(IncomingAssignment.deadline, IncomingDocument.deadline)


# ---------------------------------------------------------------- work lines
# SQL conditions over IncomingAssignment joined to IncomingDocument.

def open_work_line():
    """An open work line (not FYI) of a document being processed."""
    return and_(IncomingDocument.state == IN_PROGRESS, IncomingAssignment.state == OPEN,
                IncomingAssignment.role.in_(WORK_ROLES))


def overdue_line(today):
    """An open work line of a document being processed, past its deadline."""
    return and_(open_work_line(), effective_deadline() < today)


def due_soon_line(today, until):
    """An open work line of a document being processed, due from today to `until`."""
    deadline = effective_deadline()
    return and_(open_work_line(), deadline >= today, deadline <= until)


def held_by(user):
    """The lines `user` holds: theirs, or their unit's (no person on it) while they lead it —
    and, while they stand in for someone (ủy quyền), that person's too."""
    people = principals(user)
    mine = [IncomingAssignment.user_id.in_([person.id for person in people])]
    units = {person.department_id for person in people if person.department_id
             and may(person, "can_delegate", "IncomingDocument")}
    if units:
        mine.append(and_(IncomingAssignment.user_id.is_(None),
                         IncomingAssignment.department_id.in_(sorted(units))))
    return or_(*mine)


# ---------------------------------------------------------------- documents waiting
# SQL conditions over IncomingDocument.

def waiting_document():
    """Waiting for a direction (Chờ chỉ đạo) or to be presented (Đã vào sổ)."""
    return IncomingDocument.state.in_(WAITING_STATES)


def overdue_waiting(today):
    return and_(waiting_document(), IncomingDocument.deadline < today)


def due_soon_waiting(today, until):
    return and_(waiting_document(), IncomingDocument.deadline >= today,
                IncomingDocument.deadline <= until)


def waiting_for(user):
    """The waiting documents `user` must move on: those presented to them for a direction
    (or presented to no one in particular, when they direct), those to present (clerks)."""
    waiting = []
    if workflow.directs(user, None):
        waiting.append(and_(IncomingDocument.state == SUBMITTED, or_(
            IncomingDocument.submitted_to_id.in_([person.id for person in principals(user)]),
            IncomingDocument.submitted_to_id.is_(None))))
    if workflow.submits(user, None):
        waiting.append(IncomingDocument.state == REGISTERED)
    return or_(*waiting) if waiting else false()


# ---------------------------------------------------------------- documents

def _scope(holder):
    return (true(), true()) if holder is None else (held_by(holder), waiting_for(holder))


def _with_line(*conditions, correlated=False):
    """The document has a work line meeting `conditions`. `correlated`: looked up for each
    document (EXISTS on the line's document index), for a few documents already chosen (a
    grid page's marks); else the documents of every such line (IN), for a whole scope."""
    if correlated:
        return select(IncomingAssignment.id).where(
            IncomingAssignment.document_id == IncomingDocument.id, *conditions).exists()
    return IncomingDocument.id.in_(_line_documents(*conditions))


def _line_documents(*conditions):
    """The ids of the documents with a work line meeting `conditions`."""
    return (select(IncomingAssignment.document_id)
            .join(IncomingDocument, IncomingDocument.id == IncomingAssignment.document_id)
            .where(*conditions))


def _lines_or_waiting(line_conditions, waiting, waiting_condition, correlated=False):
    """The document has a line meeting `line_conditions`, or it is `waiting` and meets
    `waiting_condition`. Without a constant false branch: on SQLite `… OR 0 = 1` keeps the
    planner from starting at the person's own lines (it scanned a decade instead). For a whole
    scope (not `correlated`), one list of ids from both sides (UNION ALL): PostgreSQL cannot
    walk an index for `id IN (lines) OR state = …` and read the million documents instead
    (160 ms per box of an agency leader, after each change)."""
    if correlated:
        lines = _with_line(*line_conditions, correlated=True)
        if isinstance(waiting, False_):
            return lines
        return or_(lines, waiting_condition if isinstance(waiting, True_) else
                   and_(waiting, waiting_condition))
    return IncomingDocument.id.in_(_document_ids(line_conditions, waiting, waiting_condition))


def _document_ids(line_conditions, waiting, waiting_condition):
    """A SELECT of the ids of _lines_or_waiting's documents (a whole scope)."""
    if isinstance(waiting, False_):
        return _line_documents(*line_conditions)
    waiting_now = waiting_condition if isinstance(waiting, True_) else \
        and_(waiting, waiting_condition)
    return _either_ids(_line_documents(*line_conditions), waiting_now)


def _either_ids(documents, condition):
    """The ids of `documents` (a SELECT of ids) and of the documents meeting `condition`: a
    UNION ALL of the two lists, each read by its index."""
    return union_all(documents, select(IncomingDocument.id).where(condition))


def either_of(documents, condition):
    """SQL condition on IncomingDocument: among `documents` (a SELECT of ids) or meeting
    `condition`, as one IN over _either_ids (not `IN (…) OR …`: see _lines_or_waiting)."""
    return IncomingDocument.id.in_(_either_ids(documents, condition))


def _soon_not_late(today, until, holder):
    """due_soon_document for a whole scope: the due-soon ids less the overdue ones, inside one
    IN. As `id IN (soon) AND NOT id IN (late)`, PostgreSQL walked the primary key of the
    million documents to test the NOT IN (140 ms for the office leader's badge)."""
    lines, waiting = _scope(holder)
    soon = _document_ids((lines, due_soon_line(today, until)), waiting,
                         due_soon_waiting(today, until)).subquery()
    late = _document_ids((lines, overdue_line(today)), waiting, overdue_waiting(today))
    soon_id = list(soon.c)[0]
    return IncomingDocument.id.in_(select(soon_id).where(soon_id.not_in(late)))


def overdue_document(today, holder=None, correlated=False):
    """SQL condition on IncomingDocument: overdue (through an item `holder` holds; None: any)."""
    lines, waiting = _scope(holder)
    return _lines_or_waiting((lines, overdue_line(today)), waiting, overdue_waiting(today),
                             correlated)


def due_soon_document(today, until, holder=None, correlated=False):
    """SQL condition on IncomingDocument: due soon and not overdue (for `holder`, or anyone)."""
    if not correlated:
        return _soon_not_late(today, until, holder)
    lines, waiting = _scope(holder)
    return and_(_lines_or_waiting(
        (lines, due_soon_line(today, until)), waiting, due_soon_waiting(today, until),
        correlated), ~overdue_document(today, holder, correlated))


def urgent_document():
    """The document's urgency is an urgent one (Khẩn, Thượng khẩn, Hỏa tốc)."""
    from app.catalogs.models import UrgencyLevel

    return IncomingDocument.urgency_id.in_(
        select(UrgencyLevel.id).where(UrgencyLevel.is_urgent.is_(True)))


def status_column(today):
    """SQL CASE over IncomingDocument: OVERDUE, DUE_SOON or NULL (anyone's work), looked up
    document by document: for a page of chosen documents (statuses, grid_marks)."""
    return case((overdue_document(today, correlated=True), OVERDUE),
                (due_soon_document(today, due_soon_until(today), correlated=True), DUE_SOON),
                else_=None)


def statuses(session, ids, today=None) -> dict:
    """{document id: OVERDUE | DUE_SOON} of these documents (one statement); the others are
    neither."""
    if not ids:
        return {}
    status = status_column(today or today_local())
    return {ident: value for ident, value in session.execute(
        select(IncomingDocument.id, status).where(IncomingDocument.id.in_(ids))) if value}


def grid_marks(session, ids, today=None) -> tuple[set, dict]:
    """What a grid page marks on its rows, in one statement: (the ids that have a file yet —
    "Chưa có tệp" otherwise —, {id: OVERDUE | DUE_SOON})."""
    from app.core.models import DocumentFile

    if not ids:
        return set(), {}
    has_file = select(DocumentFile.id).where(
        DocumentFile.incoming_id == IncomingDocument.id).exists()
    rows = session.execute(select(IncomingDocument.id, has_file,
                                  status_column(today or today_local()))
                           .where(IncomingDocument.id.in_(ids))).all()
    return ({ident for ident, files, _status in rows if files},
            {ident: status for ident, _files, status in rows if status})


# ---------------------------------------------------------------- one loaded document

def item_deadlines(document) -> list:
    """[(kind, deadline)] of the document's work items (Python twin of the SQL above)."""
    if document.state in WAITING_STATES:
        kind = DIRECTION if document.state == SUBMITTED else PRESENTATION
        return [(kind, document.deadline)] if document.deadline else []
    if document.state != IN_PROGRESS:
        return []
    return [(LINE, line.deadline or document.deadline) for line in document.assignments
            if line.state == OPEN and line.role in WORK_ROLES
            and (line.deadline or document.deadline)]


def status_of(document, today=None):
    """OVERDUE, DUE_SOON or None for one loaded document (its page, the API)."""
    today = today or today_local()
    deadlines = [deadline for _kind, deadline in item_deadlines(document)]
    if any(deadline < today for deadline in deadlines):
        return OVERDUE
    until = due_soon_until(today)
    if any(today <= deadline <= until for deadline in deadlines):
        return DUE_SOON
    return None


def is_overdue(document, today=None) -> bool:
    return status_of(document, today) == OVERDUE


# ---------------------------------------------------------------- the overdue work, item by item

def units_own_line(unit_id, people):
    """The line counts for the unit as its own when its people are `people` (ids): given to
    the unit, or to one of them with no unit named (a line given to a person and another
    unit counts for that unit)."""
    return or_(IncomingAssignment.department_id == unit_id,
               and_(IncomingAssignment.department_id.is_(None),
                    IncomingAssignment.user_id.in_(people)))


def overdue_items(today, visible, unit_id=None, arrival=False, shared=False, documents=None,
                  people=None):
    """A subquery of the overdue work items of the documents `visible` (a SQL condition),
    one row each: document_id, line_id, unit_id, person_id, deadline, kind, rank (the page's
    order: waiting for direction, waiting to be presented, then the lines), and with
    `arrival` arrival_at (the dashboard counts them by month of arrival; without it the
    documents' deadlines are read off their index, not from each document's row: a third of
    the time of the overdue page's statements). `shared`: a CTE read once however often the
    statement refers to it (MATERIALIZED), not a subquery. A line passed to
    an officer shows through the officer's line when that one is overdue too, else itself: the
    documents are exactly those of `overdue_document(today)`. `unit_id`: only the lines of
    that unit (the unit's own or its people's); no waiting document. `documents`: only the
    work of these documents (a SELECT of their ids, a few: SQLite then reaches the lines from
    them instead of going through every open line of the decade). `people`: with `unit_id`,
    the unit's people taken as these ids, not who is in it now (the unit's people at another
    time: the dashboard's counts when someone came or left it)."""
    holder = aliased(EofficeUser)
    child = aliased(IncomingAssignment)
    carried = select(child.id).where(
        child.parent_id == IncomingAssignment.id, child.state == OPEN,
        func.coalesce(child.deadline, IncomingDocument.deadline) < today).exists()
    unit = func.coalesce(IncomingAssignment.department_id, holder.department_id)
    lines = (select(IncomingAssignment.document_id.label("document_id"),
                    IncomingAssignment.id.label("line_id"), unit.label("unit_id"),
                    IncomingAssignment.user_id.label("person_id"),
                    effective_deadline().label("deadline"),
                    literal(LINE, String).label("kind"), literal(2).label("rank"),
                    *([IncomingDocument.arrival_at.label("arrival_at")] if arrival else []))
             .select_from(IncomingAssignment)
             .join(IncomingDocument, IncomingDocument.id == IncomingAssignment.document_id)
             .outerjoin(holder, holder.id == IncomingAssignment.user_id)
             .where(visible, overdue_line(today), ~carried,
                    *([IncomingAssignment.document_id.in_(documents)]
                      if documents is not None else [])))
    if unit_id is not None:
        held = unit == unit_id if people is None else units_own_line(unit_id, people)
        return _named(lines.where(held), shared)
    kind = case((IncomingDocument.state == SUBMITTED, DIRECTION), else_=PRESENTATION)
    waiting = (select(IncomingDocument.id, null(), null(), null(), IncomingDocument.deadline,
                      kind, case((IncomingDocument.state == SUBMITTED, 0), else_=1),
                      *([IncomingDocument.arrival_at] if arrival else []))
               .where(visible, overdue_waiting(today),
                      *([IncomingDocument.id.in_(documents)] if documents is not None else [])))
    return _named(union_all(lines, waiting), shared)


def _named(items, shared):
    if shared:  # both databases (SQLite 3.35, PostgreSQL 12) know MATERIALIZED
        return items.cte("overdue_items").prefix_with("MATERIALIZED")
    return items.subquery("overdue_items")


def overdue_count(session, user, today=None, unit_id=None) -> int:
    """How many documents `user` may see are overdue (of the unit `unit_id`): the overdue
    page's total and the dashboard's headline."""
    from app.documents.access import visible_incoming

    items = overdue_items(today or today_local(), visible_incoming(user), unit_id)
    return session.scalar(select(func.count(func.distinct(items.c.document_id))))


def my_counts(session, user, today=None) -> dict:
    """{OVERDUE: n, DUE_SOON: n}: the documents overdue / due soon through what `user` holds
    (the home tiles and the inbox badges show the same through app.documents.services)."""
    from app.documents.access import visible_incoming

    today = today or today_local()
    until = due_soon_until(today)
    base = select(func.count(IncomingDocument.id)).where(visible_incoming(user))
    return {OVERDUE: session.scalar(base.where(overdue_document(today, user))),
            DUE_SOON: session.scalar(base.where(due_soon_document(today, until, user)))}


def held_open_lines(user):
    """Conditions on IncomingAssignment joined to IncomingDocument: the open lines `user` holds
    (not FYI) of documents being processed — the inbox «Chờ xử lý» through lines."""
    return (*held_open_work(user), IncomingDocument.state == IN_PROGRESS)


def held_open_work(user):
    """held_open_lines' conditions on IncomingAssignment alone (the document's state apart)."""
    return (held_by(user), IncomingAssignment.role != FYI, IncomingAssignment.state == OPEN)


def held_open_documents(user):
    """SQL condition on IncomingDocument: being processed, with an open line `user` holds (not
    FYI) — held_open_lines as a condition on the documents. The document's state is tested on
    the document itself: inside the lines' subquery (a join), PostgreSQL read the index of
    every document being processed (40,000) to meet an officer's 1,500 lines."""
    return and_(IncomingDocument.state == IN_PROGRESS, IncomingDocument.id.in_(
        select(IncomingAssignment.document_id).where(*held_open_work(user))))


def held_line_counts(session, user, visible, today, until) -> tuple[int, int, int]:
    """(open, overdue, due soon): the documents being processed on which `user` holds an open
    line (not FYI; the inbox "Chờ xử lý"), and among them those overdue and due soon through
    those lines, among the documents `visible` (a SQL condition). One pass over the person's
    open lines, grouped by document: a document is overdue when the earliest deadline of its
    work lines is past, due soon when that earliest deadline is from today to `until` — the
    same documents as overdue_document / due_soon_document's lines (a line's documents are
    being processed, so none of them is also waiting). Reading each box on its own walked the
    unit's six thousand open lines three times (180 ms for a unit leader's badges, after each
    change, on the home page and every grid)."""
    work_due = case((IncomingAssignment.role.in_(WORK_ROLES), effective_deadline()))
    # "+ 0": grouped as read from the holder's lines, not by walking the document index of
    # every line of the decade in order (SQLite chose that to spare the grouping's sort)
    per_document = (select(func.min(work_due).label("due"))
                    .select_from(IncomingAssignment)
                    .join(IncomingDocument, IncomingDocument.id == IncomingAssignment.document_id)
                    .where(*held_open_lines(user), visible)
                    .group_by(IncomingAssignment.document_id + 0).subquery())
    due = per_document.c.due
    row = session.execute(select(
        func.count(), func.count(case((due < today, 1))),
        func.count(case((and_(due >= today, due <= until), 1))))).one()
    return tuple(row)


def urgent_overdue_waiting(session, user, today=None) -> int:
    """Urgent documents past their deadline still waiting for `user`'s direction or
    presentation (the home page's warning)."""
    from app.documents.access import visible_incoming

    waiting = waiting_for(user)
    if isinstance(waiting, False_):
        return 0  # nothing waits on them (an officer): not asked, not even who sees what
    visible = visible_incoming(user)
    if isinstance(visible, False_):
        return 0  # nothing the person may see
    return session.scalar(select(func.count(IncomingDocument.id)).where(
        visible, waiting, overdue_waiting(today or today_local()), urgent_document()))
