"""Markdown tables of bench/results-<database>.json and bench/load-<database>.json (for
docs/performance.md).    .venv/bin/python -m bench.report"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def results_table(name):
    path = ROOT / f"results-{name}.json"
    if not path.exists():
        return f"(no {path.name})\n"
    data = json.loads(path.read_text())
    meta = data.pop("_meta")
    lines = [f"**{name}** — {meta['incoming_documents']:,} incoming documents, "
             f"{meta['repeat']} runs per scenario (stock FAB: fewer when slow)\n",
             "| scenario | ours median ms | ours p95 ms | stock FAB median ms | stock FAB p95 ms "
             "| stock ÷ ours |", "|---|---:|---:|---:|---:|---:|"]
    for row in data.values():
        lines.append(f"| {row['label']} | {row['project_ms']} | {row['p95_ms']} | "
                     f"{row['stock_fab_ms']} | {row['stock_fab_p95_ms']} | {row['speedup']}× |")
    sql = meta["sql_statements_per_list_page"]
    lines.append(f"\nSQL statements per list page: ours {sql['project']}, stock FAB "
                 f"{sql['stock_fab']} (dashboard: {sql['project_dashboard']}). Peak RSS of the "
                 f"benchmark process: {meta['peak_rss_mb']['project']} MB after our scenarios, "
                 f"{meta['peak_rss_mb']['with_stock_fab']} MB after stock FAB's. "
                 f"Generation: {meta['generation_s']}.\n")
    return "\n".join(lines)


def load_table(name):
    path = ROOT / f"load-{name}.json"
    if not path.exists():
        return f"(no {path.name})\n"
    data = json.loads(path.read_text())
    lines = [f"**{name}** — {data['users']} users, {data['seconds']} s, gunicorn "
             f"{data['workers']} workers: {data['requests']} requests, "
             f"{data['throughput_rps']} req/s, p50 {data['p50_ms']} ms, p95 {data['p95_ms']} ms, "
             f"p99 {data['p99_ms']} ms, {data['errors']} errors; peak RSS per worker "
             f"{data['peak_rss_per_worker_mb']} MB\n"]
    start = data.get("start")
    if start:  # the workers just started, the cache empty: measured apart
        lines.append(f"Before it, the start ({start['seconds']} s): {start['requests']} requests, "
                     f"p50 {start['p50_ms']} ms, p95 {start['p95_ms']} ms, p99 "
                     f"{start['p99_ms']} ms, {start['errors']} errors. Per request below: the "
                     f"whole run.\n")
    lines += ["| request | count | errors | p50 ms | p95 ms | p99 ms |",
              "|---|---:|---:|---:|---:|---:|"]
    for request, row in data["by_request"].items():
        lines.append(f"| {request} | {row['requests']} | {row['errors']} | {row['p50_ms']} | "
                     f"{row['p95_ms']} | {row['p99_ms']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    for database in ("sqlite", "postgresql"):
        print(results_table(database))
        print(load_table(database))
