"""Simulated office users (locust): inboxes, the grid, search, a document, a file, and the
clerk registering documents. Run by bench/load.py."""
import itertools
import os
import random

from locust import HttpUser, between, task

from bench.vocabulary import SUBJECTS

PASSWORD = "Mat-khau-thu-nghiem-2026"
FILES = [tuple(map(int, pair.split(":"))) for pair in os.environ["BENCH_FILES"].split(",")]
LAST_ID = int(os.environ["BENCH_LAST_ID"])
BODY = {k: int(v) if v.isdigit() else v for k, v in (
    item.split("=", 1) for item in os.environ["BENCH_REGISTER"].split("&"))}
numbers = itertools.count(1)


class OfficeUser(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.post("/login/", data={"username": "vanthu", "password": PASSWORD},
                         name="login")
        token = self.client.post("/api/v1/security/login", json={
            "username": "vanthu", "password": PASSWORD, "provider": "db"},
            name="login api").json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

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
