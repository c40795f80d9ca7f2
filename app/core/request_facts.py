"""What every page of a person asks for, read with the person in one statement.

Each request loads the person (app.security.manager.get_user_by_id), then each page asks a few
small questions of its own: is the login session still open, how many notices are unread,
what is the version of the data. On PostgreSQL each question is a round trip and, with the
ORM's work around it, 1–1.5 ms of every page. A package registers its question here (`fact`):
a column built once, whose bound parameters name the person (`PERSON`) and whatever the
request gives (`applies`). The person's loader adds the questions that apply to its statement
(`person_statement`, kept built per process: building and keying a statement is itself a
fraction of a millisecond) and keeps the answers for the request (`remember`); the package
reads its answer back with `known` — or asks the database itself when it is not there (a
request that loaded nobody, another person, a test outside a request).

Answers are of the moment the request began. They are forgotten after a flush of the
request's session (the request wrote something: ask again), so a page never shows a figure
older than what the same request changed."""
from collections.abc import Callable

from flask import has_request_context, request
from sqlalchemy import Select, bindparam, event
from sqlalchemy.orm import Session

PERSON = "fact_person"  # the bound parameter of the person's id in every question
MISSING = object()
_FACTS: dict[str, tuple[Callable, Callable]] = {}
_STATEMENTS: dict[tuple, Select] = {}  # the person's statement per set of questions
_KEY = "eoffice.request-facts"  # request.environ: (person's id, {name: answer})


def person_id():
    """The person's id in a question's column."""
    return bindparam(PERSON)


def fact(name: str, applies: Callable[[], dict | None] = dict):
    """Register `column() -> a SELECT of one value, or a column` under `name`. `applies()`
    gives the question's other bound parameters for this request, or None when it does not
    apply to it (no login session in the cookie, a request that writes…)."""
    def register(column: Callable) -> Callable:
        _FACTS[name] = (column, applies)
        _STATEMENTS.clear()
        return column
    return register


def person_statement(kind: str, build: Callable[[list], Select]) -> tuple[Select, dict]:
    """(statement, parameters): build(columns) — the person's statement of this `kind` with
    the questions that apply to this request as extra columns — built once per kind and set
    of questions, and the parameters to run it with (the person's own under PERSON is the
    caller's)."""
    names, parameters = [], {}
    if has_request_context():
        for name, (_column, applies) in _FACTS.items():
            given = applies()
            if given is not None:
                names.append(name)
                parameters.update(given)
    key = (kind, *names)
    statement = _STATEMENTS.get(key)
    if statement is None:
        columns = []
        for name in names:
            column = _FACTS[name][0]()
            if isinstance(column, Select):
                column = column.scalar_subquery()
            columns.append(column.label(f"fact_{name}"))
        statement = _STATEMENTS[key] = build(columns)
    return statement, parameters


def remember(user_id: int, row) -> None:
    """Keep the answers of the person's statement (a Row whose fact_* columns are theirs)."""
    if not has_request_context():
        return
    answers = {key[len("fact_"):]: value for key, value in row._mapping.items()
               if isinstance(key, str) and key.startswith("fact_")}
    request.environ[_KEY] = (user_id, answers)


def read_for(user_id) -> bool:
    """Whether this person's statement was read at this request (and nothing written since):
    loading them again needs no statement (the session holds them)."""
    if not has_request_context():
        return False
    kept = request.environ.get(_KEY)
    return kept is not None and kept[0] == user_id


def known(name: str, user_id=None):
    """The answer read with this person (`user_id`; None: a question not about the person,
    such as the data's version) at this request, or MISSING (then ask the database)."""
    if not has_request_context():
        return MISSING
    kept = request.environ.get(_KEY)
    if kept is None or name not in kept[1] or (user_id is not None and kept[0] != user_id):
        return MISSING
    return kept[1][name]


@event.listens_for(Session, "after_flush")
def _forget_after_a_write(_session, _flush_context):
    if has_request_context():
        request.environ.pop(_KEY, None)
