"""Simulated office users (locust), the roles mixed as in an agency (issue 15): per 50 users
1 clerk, 3 leaders, 6 unit leaders and 40 officers, each class with its `fixed_count`
(BENCH_MIX). Each opens only pages and documents its account may see; a page answering
anything but 200 (a 403, a 404, a redirect to the login) is a failure. Run by bench/load.py.

Each simulated user takes one of its role's demo accounts in turn (BENCH_<ROLE>: the accounts'
session cookie, token and newest visible incoming ids), so the 40 officers share a few
accounts, as do the unit leaders when they outnumber theirs."""
import itertools
import json
import os
import random
import time

from locust import HttpUser, between, events
from locust.stats import StatsEntry

from bench.vocabulary import SUBJECTS

FILES = [tuple(map(int, pair.split(":"))) for pair in os.environ["BENCH_FILES"].split(",")]
BODY = json.loads(os.environ["BENCH_REGISTER"])
MIX = json.loads(os.environ["BENCH_MIX"])  # role → number of users
numbers = itertools.count(1)


class OfficeUser(HttpUser):
    """One person of `role`. Logged in once by bench/load.py: people log in once a day, and
    fifty password hashes (scrypt, deliberately slow) in the first seconds would measure the
    login, not the office."""
    abstract = True
    wait_time = between(0.5, 1.5)
    role = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.fixed_count = MIX[cls.role]
        cls.accounts = itertools.cycle(json.loads(os.environ[f"BENCH_{cls.role.upper()}"]))

    def on_start(self):
        account = next(self.accounts)
        self.client.cookies.update(account["cookie"])
        self.headers = {"Authorization": f"Bearer {account['token']}"}
        self.documents = account["ids"]

    def page(self, name, url, **params):
        """GET one page; anything but 200 (403, 404, a redirect) is a failure."""
        with self.client.get(url, params=params or None, name=f"{self.role}: {name}",
                             allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {url}")

    def home(self):
        self.page("home", "/")

    def to_process(self):
        self.page("inbox to_process", "/incoming/list/list/", box="to_process")

    def overdue_box(self):
        self.page("inbox overdue", "/incoming/list/list/", box="overdue")

    def due_soon_box(self):
        self.page("inbox due_soon", "/incoming/list/list/", box="due_soon")

    def grid(self):
        self.page("grid", "/incoming/list/list/", page_IncomingView=random.randint(0, 50))

    def search(self):
        self.page("search", "/incoming/list/list/",
                  q=" ".join(random.choice(SUBJECTS).split()[:2]))

    def document(self):
        """A document this account may see (its newest 500, by the domain's rule)."""
        self.page("document", f"/incoming/{random.choice(self.documents)}")

    def notifications(self):
        self.page("notifications", "/notifications/count")


# Weights as a working day: reading the lists and the documents mostly.
class Clerk(OfficeUser):
    role = "clerk"

    def to_submit(self):
        self.page("inbox to_submit", "/incoming/list/list/", box="to_submit")

    def download(self):
        document, file_id = random.choice(FILES)
        self.page("file", f"/incoming/{document}/files/{file_id}")

    def register(self):
        self.client.post("/api/v1/incoming/", headers=self.headers, name="clerk: register",
                         json={**BODY, "number_symbol": f"{os.getpid()}{next(numbers)}/LOAD-UBND"})

    tasks = {to_submit: 3, OfficeUser.grid: 4, OfficeUser.search: 3, OfficeUser.document: 3,
             download: 1, register: 1}


class Leader(OfficeUser):
    role = "leader"

    def dashboard(self):
        self.page("dashboard", "/stats/dashboard")

    def overdue_list(self):
        self.page("overdue list", "/incoming/overdue")

    tasks = {OfficeUser.home: 2, dashboard: 1, OfficeUser.to_process: 3,
             OfficeUser.overdue_box: 1, overdue_list: 1, OfficeUser.document: 4,
             OfficeUser.search: 2}


PERSON_TASKS = {OfficeUser.home: 2, OfficeUser.to_process: 4, OfficeUser.due_soon_box: 1,
                OfficeUser.overdue_box: 1, OfficeUser.grid: 2, OfficeUser.search: 2,
                OfficeUser.document: 5, OfficeUser.notifications: 2}


class UnitLeader(OfficeUser):
    role = "unit_leader"
    tasks = PERSON_TASKS


class Officer(OfficeUser):
    role = "officer"
    tasks = PERSON_TASKS


SAMPLES = []  # (when it was answered, seconds since the epoch; ms; failed; name) of each request


@events.request.add_listener
def sample(name, response_time, exception=None, **_kwargs):
    SAMPLES.append((round(time.time(), 3), round(response_time, 1), exception is not None,
                    name))


@events.quitting.add_listener
def samples(environment, **_kwargs):
    """Every request's time, to BENCH_SAMPLES (JSON) for bench/load.py: its percentiles of the
    start (the workers just started, the cache empty) and of the minute of work after it."""
    with open(os.environ["BENCH_SAMPLES"], "w") as out:
        json.dump(SAMPLES, out)


@events.quitting.add_listener
def by_role(environment, **_kwargs):
    """Requests, errors and percentiles per role, to BENCH_BY_ROLE (JSON) for bench/load.py:
    locust's CSV has them per request name only."""
    report = {}
    for role in MIX:
        total = StatsEntry(environment.stats, role, "")
        for entry in environment.stats.entries.values():
            if entry.name.startswith(f"{role}: "):
                total.extend(entry)
        report[role] = {"users": MIX[role], "requests": total.num_requests,
                        "errors": total.num_failures,
                        **{f"p{p}_ms": float(total.get_response_time_percentile(p / 100))
                           for p in (50, 95, 99)}}
    with open(os.environ["BENCH_BY_ROLE"], "w") as out:
        json.dump(report, out)
