"""Synthetic data for the benchmarks: ten years of a provincial office's documents.

    .venv/bin/python -m bench.generate --docs 1000000 [--outgoing 300000] [--database URL]

Registers entries (incoming and outgoing), with their routing (assignment lines), history,
a few hundred attached PDFs and dossiers, into SQLite or PostgreSQL. The schema, roles,
catalogs and demo people come from `flask eoffice setup --demo`; the bulk rows are written
with executemany (SQLite) or COPY (PostgreSQL), the search index is built once at the end.
The values are those the services would write (folded search text, normalised number keys)."""
import argparse
import hashlib
import random
import sqlite3
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from tqdm import tqdm

from bench import vocabulary as v

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
DEMO_PASSWORD = "Mat-khau-thu-nghiem-2026"
YEARS = 10
CHUNK = 20_000
FILES = 200  # documents with a real attached PDF (downloads in the load test)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# SQLite stores what SQLAlchemy would: 'YYYY-MM-DD HH:MM:SS.ffffff'.
sqlite3.register_adapter(datetime, lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f"))
sqlite3.register_adapter(date, lambda d: d.isoformat())


def default_url(docs: int) -> str:
    return f"sqlite:///{DATA / f'eoffice-{docs}.db'}"


def bench_app(url: str, data: Path = DATA, warm: bool = False, server: bool = True):
    """The app on the bench data, without its background workers (`warm`: with the dashboard
    warmer, as a deployed server runs it — the load test's gunicorn), settled as a server
    process settles it (run.py, app.core.server; not with `server=False`: a test's)."""
    from app import create_app
    from app.core.server import settle

    instance = data / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": str(instance),
        "DATA_DIR": str(data / "files"), "DEMO_PASSWORD": DEMO_PASSWORD,
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdef0123",
        "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
        # no background workers in the measured process
        "BACKUP_SCHEDULE_ENABLED": False, "EXCHANGE_WORKER_ENABLED": False,
        "NOTICE_WORKER_ENABLED": False, "OCR_ENABLED": False,
        "STATS_WARM_ENABLED": warm,
    })
    if server:
        settle(app)
    return app


class Writer:
    """Bulk rows into one table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine):
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        self.cursor = self.raw.cursor()
        if self.dialect == "sqlite":
            for pragma in ("synchronous=OFF", "cache_size=-400000", "temp_store=MEMORY"):
                self.cursor.execute(f"PRAGMA {pragma}")

    def write(self, table, columns, rows):
        names = ", ".join(columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        else:
            with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def execute(self, sql):
        self.cursor.execute(sql)

    def commit(self):
        self.raw.commit()

    def close(self):
        self.raw.commit()
        self.raw.close()


def next_id(session, model):
    return (session.scalar(select(func.max(model.id))) or 0) + 1


class World:
    """The catalogs and people the documents refer to (read from the set-up database)."""

    def __init__(self, session, rng):
        from app.catalogs.models import (
            Agency, DocumentType, Field, RetentionPeriod, SecrecyLevel, Signer, UrgencyLevel,
        )
        from app.demo import PEOPLE
        from app.org.models import Department, EofficeUser
        from app.security import roles as r

        self.rng = rng
        self.types = list(session.execute(select(DocumentType.id, DocumentType.name,
                                                 DocumentType.abbreviation)))
        self.fields = [row[0] for row in session.execute(select(Field.id))]
        urgencies = list(session.execute(select(UrgencyLevel.id, UrgencyLevel.priority)
                                         .order_by(UrgencyLevel.priority)))
        self.normal_urgency = urgencies[0][0]
        self.urgencies = [u for u, _p in urgencies]
        self.secrecy = dict(session.execute(select(SecrecyLevel.level, SecrecyLevel.id)).all())
        self.departments = [d for d, in session.execute(select(Department.id))]
        self.department_names = dict(session.execute(select(Department.id, Department.name)).all())
        people = list(session.execute(select(EofficeUser.id, EofficeUser.username,
                                             EofficeUser.department_id)))
        self.user = {name: ident for ident, name, _d in people}
        # Lines go to the officers of a unit (as in the agency), not to its clerks or leaders.
        officers = {username for username, _l, _f, role, *_rest in PEOPLE if role == r.OFFICER}
        self.staff = {}
        for ident, name, department in people:
            if name in officers:
                self.staff.setdefault(department, []).append(ident)
        self.signers = [(f"{a} {b}", c) for a, b, c in (
            (self.rng.choice(v.LAST_NAMES), self.rng.choice(v.MIDDLE_NAMES),
             self.rng.choice(v.POSITIONS)) for _i in range(40))]
        leaders = {username for username, _l, _f, role, *_rest in PEOPLE
                   if role == r.UNIT_LEADER}
        self.unit_leader = {department: ident for ident, name, department in people
                            if name in leaders}
        # the catalog's signers (a draft's intended signer) and the person who signs as each
        signers = list(session.execute(select(Signer.id, Signer.user_id).where(Signer.active)))
        self.signer_ids = [ident for ident, _u in signers]
        self.signer_user = {ident: user for ident, user in signers if user is not None}
        self.retention = session.scalar(select(RetentionPeriod.id))
        self.agencies = self._agencies(session, Agency)

    def _agencies(self, session, agency_model):
        """The seeded agencies plus those of every province and ministry: [(id, name, short)]."""
        existing = {name for name, in session.execute(select(agency_model.name))}
        wanted = [(pattern.format(p=province), short) for province in v.PROVINCES
                  for pattern, short in v.AGENCY_KINDS] + v.MINISTRIES
        for name, short in wanted:
            if name not in existing:
                session.add(agency_model(name=name, short_name=short))
        session.commit()
        rows = list(session.execute(select(agency_model.id, agency_model.name,
                                           agency_model.short_name)))
        # a province's office mostly hears from its own province: weight those up
        return rows, [8 if "Hà Nam" in name else 1 for _i, name, _s in rows]


def excerpt(rng, year):
    scope = rng.choice(v.SCOPES).format(year=year, next=year + 4, quarter=rng.randint(1, 4),
                                        commune=rng.choice(v.COMMUNES),
                                        district=rng.choice(v.DISTRICTS))
    return " ".join(p for p in (rng.choice(v.ACTIONS), rng.choice(v.SUBJECTS), scope) if p)


def registers(session, direction, years):
    """{(year, secret): register id}, creating the registers of past years."""
    from app.catalogs.models import Register

    found = {}
    label = "đến" if direction == "in" else "đi"
    for year in years:
        for secret in (False, True):
            register = session.scalar(select(Register).where(
                Register.direction == direction, Register.year == year,
                Register.is_secret.is_(secret), Register.document_type_id.is_(None)))
            if register is None:
                register = Register(direction=direction, year=year, is_secret=secret,
                                    name=f"Sổ văn bản {label}{' mật' if secret else ''} {year}")
                session.add(register)
                session.flush()
            found[(year, secret)] = register.id
    session.commit()
    return found


def given_numbers(session):
    """{register id: last number given}: generated numbers follow the demo's."""
    from app.documents.models import RegisterCounter

    return dict(session.execute(select(RegisterCounter.register_id,
                                       RegisterCounter.last_number)).all())


def spread(total, years, rng):
    """Documents per year, growing a little each year."""
    weights = [1 + 0.05 * i for i in range(len(years))]
    counts = [int(total * w / sum(weights)) for w in weights]
    counts[-1] += total - sum(counts)
    return dict(zip(years, counts, strict=True))


INCOMING_COLUMNS = [
    "id", "state", "register_id", "arrival_year", "arrival_number", "arrival_at", "channel",
    "agency_id", "number_symbol", "number_symbol_key", "document_date", "document_type_id",
    "excerpt", "signer_name", "signer_position", "field_id", "urgency_id", "secrecy_id",
    "page_count", "deadline", "direction", "completed_at", "result_note", "search_text",
    "created_by_id", "created_at", "updated_at"]
ASSIGNMENT_COLUMNS = ["id", "document_id", "parent_id", "role", "department_id", "user_id",
                      "deadline", "state", "result_note", "assigned_by_id", "assigned_at",
                      "completed_at"]
EVENT_COLUMNS = ["document_id", "actor_id", "at", "action", "from_state", "to_state"]


def incoming(session, writer, world, total, now, rng, bar):
    from app.core.text import fold, number_symbol_key
    from app.documents.models import IncomingAssignment, IncomingDocument

    years = list(range(now.year - YEARS + 1, now.year + 1))
    books = registers(session, "in", years)
    doc_id, line_id = next_id(session, IncomingDocument), next_id(session, IncomingAssignment)
    agencies, weights = world.agencies
    folded_agency = {a: fold(f"{name} {short or ''}") for a, name, short in agencies}
    clerk, leader = world.user["vanthu"], world.user["lanhdao"]
    given, counters = given_numbers(session), {}
    for year, count in spread(total, years, rng).items():
        start = datetime(year, 1, 1)
        end = min(datetime(year + 1, 1, 1), now - timedelta(hours=1))
        seconds = int((end - start).total_seconds())
        arrivals = sorted(start + timedelta(seconds=rng.randrange(seconds)) for _i in range(count))
        for offset in range(0, count, CHUNK):
            docs, lines, events = [], [], []
            for arrival in arrivals[offset:offset + CHUNK]:
                secret = rng.random() < 0.01
                register = books[(year, secret)]
                counters[register] = number = counters.get(register, given.get(register, 0)) + 1
                agency, agency_name, short = rng.choices(agencies, weights)[0]
                type_id, _type_name, abbreviation = rng.choice(world.types)
                issued = arrival.date() - timedelta(days=rng.randint(1, 6))
                issued_number = rng.randint(1, 3000)
                symbol = f"{abbreviation}-{short or 'UBND'}" if abbreviation else \
                    f"{short or 'UBND'}-{rng.choice(v.UNIT_SUFFIXES)}"
                number_symbol = f"{issued_number}/{symbol}"
                key = number_symbol_key(number_symbol)
                text_ = excerpt(rng, year)
                signer, position = rng.choice(world.signers)
                age = (now - arrival).days
                state = ("completed" if rng.random() < 0.97 else "in_progress") if age > 60 \
                    else rng.choices(["registered", "submitted", "in_progress", "completed"],
                                     [5, 10, 50, 35])[0]
                deadline = arrival.date() + timedelta(days=rng.choice((7, 10, 15, 30)))
                completed = arrival + timedelta(days=rng.randint(1, 20), hours=3) \
                    if state == "completed" else None
                field = rng.choice(world.fields) if rng.random() < 0.9 else None
                docs.append((
                    doc_id, state, register, year, number, arrival,
                    rng.choice(("paper", "electronic", "electronic", "exchange")), agency,
                    number_symbol, key, issued, type_id, text_, signer, position, field,
                    world.normal_urgency if rng.random() < 0.9 else rng.choice(world.urgencies),
                    world.secrecy[1 if secret else 0], rng.randint(1, 12), deadline,
                    "Giao phòng chủ trì xử lý" if state in ("in_progress", "completed") else None,
                    completed, "Đã xử lý" if completed else None,
                    fold(f"{number_symbol} {key} {text_} {folded_agency[agency]} {signer}"),
                    clerk, arrival, completed or arrival))
                events.append((doc_id, clerk, arrival, "register", None, "registered"))
                if state in ("in_progress", "completed"):
                    assigned = arrival + timedelta(hours=rng.randint(2, 30))
                    department = rng.choice(world.departments)
                    done = "done" if completed else "open"
                    lead = line_id
                    lines.append((lead, doc_id, None, "lead", department, None, deadline, done,
                                  "Đã xử lý" if completed else None, leader, assigned, completed))
                    line_id += 1
                    people = world.staff.get(department)
                    if people and rng.random() < 0.6:
                        lines.append((line_id, doc_id, lead, "lead", department,
                                      rng.choice(people), deadline, done, None, leader,
                                      assigned, completed))
                        line_id += 1
                    if rng.random() < 0.25:
                        lines.append((line_id, doc_id, None, "cooperate",
                                      rng.choice(world.departments), None, deadline, done, None,
                                      leader, assigned, completed))
                        line_id += 1
                    events.append((doc_id, leader, assigned, "assign", "submitted",
                                   "in_progress"))
                    if completed:
                        events.append((doc_id, clerk, completed, "document_completed",
                                       "in_progress", "completed"))
                doc_id += 1
            writer.write("incoming_document", INCOMING_COLUMNS, docs)
            writer.write("incoming_assignment", ASSIGNMENT_COLUMNS, lines)
            writer.write("incoming_event", EVENT_COLUMNS, events)
            writer.commit()
            bar.update(len(docs))
    return counters


OUTGOING_COLUMNS = [
    "id", "state", "register_id", "year", "number", "symbol", "number_symbol",
    "number_symbol_key", "issued_date", "place", "document_type_id", "excerpt", "field_id",
    "urgency_id", "secrecy_id", "signer_name", "signer_position", "signer_authority",
    "drafting_department_id", "page_count", "issued_by_id", "issued_at", "search_text",
    "draft_id"]
DRAFT_COLUMNS = [
    "id", "state", "document_type_id", "excerpt", "field_id", "urgency_id", "secrecy_id",
    "drafting_department_id", "drafter_id", "created_at", "updated_at", "signer_id"]
# Drafts still on their way (being written, at the unit leader, at the signer, waiting for
# the clerk), per thousand documents issued: the open work of the last weeks.
OPEN_DRAFTS_PER_THOUSAND = 5
OPEN_STATES = ("drafting", "unit_review", "signer_review", "approved")


def _drafter(world, department, rng):
    """An officer of the drafting unit (a unit without one: any officer)."""
    staff = world.staff.get(department) or [i for people in world.staff.values() for i in people]
    return rng.choice(staff)


def outgoing(session, writer, world, total, now, rng, bar):
    from app.core.text import fold, number_symbol_key
    from app.outgoing.models import OutgoingDocument

    from app.outgoing.models import Draft

    years = list(range(now.year - YEARS + 1, now.year + 1))
    books = registers(session, "out", years)
    doc_id = next_id(session, OutgoingDocument)
    draft_id = next_id(session, Draft)  # each issued document comes from its draft
    clerk = world.user["vanthu"]
    given, counters = given_numbers(session), {}
    for year, count in spread(total, years, rng).items():
        start = datetime(year, 1, 1)
        end = min(datetime(year + 1, 1, 1), now - timedelta(hours=1))
        seconds = int((end - start).total_seconds())
        issued_times = sorted(start + timedelta(seconds=rng.randrange(seconds))
                              for _i in range(count))
        register = books[(year, False)]
        for offset in range(0, count, CHUNK):
            docs, recipients, drafts = [], [], []
            for issued in issued_times[offset:offset + CHUNK]:
                counters[register] = number = counters.get(register, given.get(register, 0)) + 1
                type_id, _name, abbreviation = rng.choice(world.types)
                department = rng.choice(world.departments)
                symbol = f"{abbreviation}-SNV" if abbreviation else "SNV-VP"
                number_symbol = f"{number}/{symbol}"
                key = number_symbol_key(number_symbol)
                text_ = excerpt(rng, year)
                signer, position = rng.choice(world.signers)
                docs.append((
                    doc_id, "issued", register, year, number, symbol, number_symbol, key,
                    issued.date(), "Hà Nam", type_id, text_, rng.choice(world.fields),
                    world.normal_urgency, world.secrecy[0], signer, position, "", department,
                    rng.randint(1, 8), clerk, issued,
                    fold(f"{number_symbol} {key} {text_} {signer} "
                         f"{world.department_names[department]}"), draft_id))
                drafts.append((
                    draft_id, "issued", type_id, text_, docs[-1][12], world.normal_urgency,
                    world.secrecy[0], department, _drafter(world, department, rng),
                    issued - timedelta(days=rng.randint(1, 20)), issued,
                    rng.choice(world.signer_ids)))
                recipients.append((doc_id, "unit", rng.choice(world.departments), "dispatched",
                                   issued))
                doc_id += 1
                draft_id += 1
            writer.write("draft", DRAFT_COLUMNS, drafts)
            writer.write("outgoing_document", OUTGOING_COLUMNS, docs)
            writer.write("outgoing_recipient", ["document_id", "kind", "department_id",
                                                "status", "dispatched_at"], recipients)
            writer.commit()
            bar.update(len(docs))
    open_drafts = []  # the drafts of the last weeks not issued yet
    for _i in range(total * OPEN_DRAFTS_PER_THOUSAND // 1000):
        department = rng.choice(world.departments)
        created = now - timedelta(seconds=rng.randrange(60 * 86400))
        open_drafts.append((
            draft_id, rng.choice(OPEN_STATES), rng.choice(world.types)[0],
            excerpt(rng, created.year), rng.choice(world.fields), world.normal_urgency,
            world.secrecy[0], department, _drafter(world, department, rng), created,
            min(now, created + timedelta(hours=rng.randint(1, 72))),
            rng.choice(world.signer_ids)))
        draft_id += 1
    writer.write("draft", DRAFT_COLUMNS, open_drafts)
    writer.commit()
    return counters, open_drafts


# An open draft's way so far, by its state: (action, from, to) after its creation; "upload" is
# a new version of the file. A draft being written was sometimes returned once already.
DRAFT_STEPS = {
    "drafting": [("upload", None, None)],
    "unit_review": [("upload", None, None), ("submit", "drafting", "unit_review")],
    "signer_review": [("upload", None, None), ("submit", "drafting", "unit_review"),
                      ("upload", None, None), ("forward", "unit_review", "signer_review")],
    "approved": [("upload", None, None), ("submit", "drafting", "unit_review"),
                 ("forward", "unit_review", "signer_review"),
                 ("approve", "signer_review", "approved")],
}
RETURNED = [("submit", "drafting", "unit_review"), ("return", "unit_review", "drafting"),
            ("upload", None, None)]


def draft_work(app, session, writer, world, drafts, rng):
    """The open drafts' files (one per version, a real PDF on disk), versions, history and
    internal recipients, as the chain leaves them: a draft's own page shows what a real one
    holds."""
    from app.core.files import file_path
    from app.core.models import DocumentFile
    from app.core.pdf import make_demo_pdf

    data = make_demo_pdf("Dự thảo", ["Độc lập - Tự do - Hạnh phúc", "Dự thảo văn bản"],
                         font_path=FONT)
    digest = hashlib.sha256(data).hexdigest()

    versions, events, units, files = [], [], [], []
    for (draft, state, _type, _text, _field, _urgency, _secrecy, department, drafter,
         created, updated, signer) in drafts:
        steps = list(DRAFT_STEPS[state])
        if state == "drafting" and rng.random() < 0.3:
            steps += RETURNED
        span = max(1, int((updated - created).total_seconds()))
        times = sorted(created + timedelta(seconds=rng.randrange(span)) for _s in steps)
        events.append((draft, drafter, created, "create", None, "drafting", None))
        number, current = 0, "drafting"
        for (action, before, after), at in zip(steps, times, strict=True):
            actor = {"forward": world.unit_leader.get(department, drafter),
                     "return": world.unit_leader.get(department, drafter),
                     "approve": world.signer_user.get(signer, drafter)}.get(action, drafter)
            note = f"Phiên bản {number + 1}" if action == "upload" else None
            events.append((draft, actor, at, action, before or current, after or current, note))
            current = after or current
            if action == "upload":
                number += 1
                name = f"benchdraft{draft:07d}-{number}{digest[:16]}.pdf"
                path = file_path(app.config["DATA_DIR"], name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                files.append((name, f"Dự thảo lần {number}.pdf", len(data), digest,
                              "application/pdf", drafter, at))
                versions.append((draft, number, name, drafter, at))
        for unit in rng.sample(world.departments, min(len(world.departments),
                                                      rng.randint(1, 3))):
            units.append((draft, unit))
    writer.write("document_file", ["storage_name", "original_name", "size", "sha256",
                                   "content_type", "uploaded_by_id", "uploaded_at"], files)
    writer.commit()
    ids = dict(session.execute(select(DocumentFile.storage_name, DocumentFile.id).where(
        DocumentFile.storage_name.like("benchdraft%"))).all())
    writer.write("draft_version", ["draft_id", "number", "file_id", "uploaded_by_id",
                                   "uploaded_at"],
                 [(draft, number, ids[name], who, at) for draft, number, name, who, at
                  in versions])
    writer.write("draft_event", ["draft_id", "actor_id", "at", "action", "from_state",
                                 "to_state", "note"], events)
    writer.write("draft_internal_unit", ["draft_id", "department_id"], units)
    writer.commit()


def dossiers(session, writer, world, now, rng, per_year=200, items=10):
    """Work dossiers of each year, each holding some of that year's incoming documents."""
    from app.core.text import fold
    from app.documents.models import IncomingDocument
    from app.dossiers.models import Dossier

    dossier_id = next_id(session, Dossier)
    rows, links = [], []
    for year in range(now.year - YEARS + 1, now.year + 1):
        first, last = session.execute(select(func.min(IncomingDocument.id),
                                             func.max(IncomingDocument.id))
                                      .where(IncomingDocument.arrival_year == year)).one()
        if first is None:
            continue
        picked = rng.sample(range(first, last + 1), min(per_year * items, last - first + 1))
        for index in range(per_year):
            department = rng.choice(world.departments)
            owner = rng.choice(world.staff.get(department) or [world.user["vanthu"]])
            title = f"Hồ sơ {rng.choice(v.SUBJECTS)} năm {year}"
            opened = datetime(year, 1, 1) + timedelta(days=rng.randint(0, 200))
            closed = opened + timedelta(days=150) if year < now.year else None
            rows.append((dossier_id, year, f"{index + 1:03d}.B{rng.randint(1, 99)}", title,
                         rng.choice(world.fields), owner, department, world.retention,
                         opened.date(), opened.date() + timedelta(days=300),
                         "closed" if closed else "open", fold(title), owner, opened, opened,
                         closed))
            for position, document in enumerate(picked[index * items:(index + 1) * items]):
                links.append((dossier_id, document, position + 1, owner, opened))
            dossier_id += 1
    writer.write("dossier", ["id", "year", "code", "title", "field_id", "owner_id",
                             "department_id", "retention_id", "start_date", "deadline",
                             "status", "search_text", "created_by_id", "created_at",
                             "updated_at", "closed_at"], rows)
    writer.write("dossier_item", ["dossier_id", "incoming_id", "position", "added_by_id",
                                  "added_at"], links)
    writer.commit()


def attach_pdfs(app, session, writer, world, rng):
    """FILES documents get a real PDF on disk (the load test downloads them)."""
    from app.core.files import file_path
    from app.core.pdf import make_demo_pdf
    from app.documents.models import IncomingDocument

    data = make_demo_pdf("Công văn", ["Độc lập - Tự do - Hạnh phúc",
                                      "V/v thu hồi đất đai để xây dựng trường học"],
                         font_path=FONT)
    digest = hashlib.sha256(data).hexdigest()
    last = session.scalar(select(func.max(IncomingDocument.id)))
    rows = []
    for index, document in enumerate(rng.sample(range(max(1, last - 50_000), last + 1),
                                                FILES)):
        name = f"bench{index:05d}{digest[:16]}.pdf"
        path = file_path(app.config["DATA_DIR"], name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        rows.append((document, name, "Công văn đất đai.pdf", len(data), digest,
                     "application/pdf", 1, "V/v thu hồi đất đai để xây dựng trường học",
                     world.user["vanthu"], datetime.now()))
    writer.write("document_file", ["incoming_id", "storage_name", "original_name", "size",
                                   "sha256", "content_type", "page_count", "text",
                                   "uploaded_by_id", "uploaded_at"], rows)
    writer.commit()


def counters_in(session, writer, counters):
    """Numbering goes on after the generated numbers."""
    from app.catalogs.models import Register
    from app.documents.models import RegisterCounter

    years = dict(session.execute(select(Register.id, Register.year)).all())
    session.execute(RegisterCounter.__table__.delete().where(
        RegisterCounter.register_id.in_(list(counters))))
    session.commit()
    writer.write("register_counter", ["register_id", "year", "last_number"],
                 [(register, years[register], number) for register, number in counters.items()])
    writer.commit()


def present(app) -> int:
    from app.documents.models import IncomingDocument
    from app.extensions import db

    with app.app_context():
        try:
            return db.session.scalar(select(func.count(IncomingDocument.id))) or 0
        except Exception:  # noqa: BLE001 - no database or no schema yet
            db.session.rollback()
            return 0
        finally:
            db.session.remove()
            db.engine.dispose()


def generate(url: str, docs: int, outgoing_docs: int, seed: int = 2026) -> dict:
    """Set the database up and fill it. Returns timings (seconds)."""
    started = time.perf_counter()
    app = bench_app(url)
    result = app.test_cli_runner().invoke(args=["eoffice", "setup", "--demo"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    timings = {"setup_s": round(time.perf_counter() - started, 1)}
    timings.update(fill(app, docs, outgoing_docs, seed))
    timings["total_s"] = round(time.perf_counter() - started, 1)
    return timings


def fill(app, docs: int, outgoing_docs: int, seed: int = 2026, progress=True) -> dict:
    """The bulk rows into a set-up database (schema, roles, catalogs, demo people)."""
    from app.core.search import INDEXED_TABLES, create_ddl, drop_ddl
    from app.extensions import db

    rng = random.Random(seed)
    timings = {}
    with app.app_context():
        session, engine = db.session, db.engine
        now = datetime.utcnow().replace(microsecond=0)
        world = World(session, rng)
        writer = Writer(engine)
        dialect = engine.dialect.name
        for table in INDEXED_TABLES:  # one build at the end is faster than row by row
            for statement in drop_ddl(dialect, table):
                writer.execute(statement)
        writer.commit()
        step = time.perf_counter()
        with tqdm(total=docs + outgoing_docs, unit=" văn bản", unit_scale=True,
                  desc="Sinh dữ liệu", disable=not progress) as bar:
            counters = incoming(session, writer, world, docs, now, rng, bar)
            issued, open_drafts = outgoing(session, writer, world, outgoing_docs, now, rng, bar)
            counters.update(issued)
        draft_work(app, session, writer, world, open_drafts, rng)
        dossiers(session, writer, world, now, rng)
        attach_pdfs(app, session, writer, world, rng)
        counters_in(session, writer, counters)
        timings["rows_s"] = round(time.perf_counter() - step, 1)
        step = time.perf_counter()
        for table in INDEXED_TABLES:
            for statement in create_ddl(dialect, table):
                writer.execute(statement)
        writer.commit()
        timings["search_index_s"] = round(time.perf_counter() - step, 1)
        step = time.perf_counter()
        if dialect == "postgresql":
            for table in ("incoming_document", "incoming_assignment", "incoming_event",
                          "outgoing_document", "outgoing_recipient", "dossier", "dossier_item",
                          "draft"):
                writer.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
            writer.commit()
            writer.raw.driver_connection.autocommit = True
            writer.execute("VACUUM ANALYZE")
        else:
            writer.execute("ANALYZE")
            writer.commit()
        writer.close()
        timings["analyze_s"] = round(time.perf_counter() - step, 1)
        engine.dispose()
    return timings


def reset(url: str):
    """An empty database (a partial or smaller data set is generated again from scratch)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if make_url(url).get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(make_url(url).database + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = make_url(url).database
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def ensure(url: str, docs: int, outgoing_docs: int) -> dict | None:
    """Generate unless the database already holds the documents."""
    DATA.mkdir(parents=True, exist_ok=True)
    app = bench_app(url)
    if present(app) >= docs:
        from flask_migrate import upgrade

        with app.app_context():  # data generated by an older version: bring the schema up
            upgrade()
        return None
    reset(url)
    return generate(url, docs, outgoing_docs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--outgoing", type=int, default=None,
                        help="outgoing documents (default: 30%% of --docs)")
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: SQLite "
                                                         "file under bench/data/)")
    args = parser.parse_args()
    outgoing_docs = args.outgoing if args.outgoing is not None else args.docs * 3 // 10
    url = args.database or default_url(args.docs)
    timings = ensure(url, args.docs, outgoing_docs)
    print("Dữ liệu đã có sẵn." if timings is None else f"Xong: {timings}")


if __name__ == "__main__":
    main()
