"""The benchmark's app for gunicorn (load test): BENCH_DATABASE_URL selects the data."""
import os

from bench.generate import bench_app

app = bench_app(os.environ["BENCH_DATABASE_URL"])
