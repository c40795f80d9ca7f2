"""The benchmark's app for gunicorn (load test): BENCH_DATABASE_URL selects the data;
BENCH_WARM=1 runs the dashboard warmer (app.stats.warmer), as a deployed server does."""
import os

from bench.generate import bench_app

app = bench_app(os.environ["BENCH_DATABASE_URL"], warm=os.environ.get("BENCH_WARM") == "1")
