"""Simulated office users (locust): inboxes, the grid, search, a document, a file, and the
clerk registering documents. Run by bench/load.py."""
import itertools
import json
import os
import random

from locust import HttpUser, between, task

from bench.vocabulary import SUBJECTS

FILES = [tuple(map(int, pair.split(":"))) for pair in os.environ["BENCH_FILES"].split(",")]
LAST_ID = int(os.environ["BENCH_LAST_ID"])
BODY = json.loads(os.environ["BENCH_REGISTER"])
# Logged in once by bench/load.py: people log in once a day, and fifty password hashes
# (scrypt, deliberately slow) in the first seconds would measure the login, not the office.
COOKIE = json.loads(os.environ["BENCH_SESSION"])
TOKEN = os.environ["BENCH_TOKEN"]
numbers = itertools.count(1)


class OfficeUser(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.cookies.update(COOKIE)
        self.headers = {"Authorization": f"Bearer {TOKEN}"}

    @task(3)
    def inbox(self):
        self.client.get("/incoming/list/list/?box=to_submit", name="inbox")

    @task(4)
    def grid(self):
        self.client.get(f"/incoming/list/list/?page_IncomingView={random.randint(0, 50)}",
                        name="list")

    @task(3)
    def search(self):
        words = " ".join(random.choice(SUBJECTS).split()[:2])
        self.client.get("/incoming/list/list/", params={"q": words}, name="search")

    @task(3)
    def show(self):
        self.client.get(f"/incoming/{random.randint(LAST_ID - 100_000, LAST_ID)}",
                        name="show")

    @task(1)
    def download(self):
        document, file_id = random.choice(FILES)
        self.client.get(f"/incoming/{document}/files/{file_id}", name="download")

    @task(1)
    def register(self):
        self.client.post("/api/v1/incoming/", headers=self.headers, name="register", json={
            **BODY, "number_symbol": f"{os.getpid()}{next(numbers)}/LOAD-UBND"})
