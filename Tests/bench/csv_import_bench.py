#!/usr/bin/env python3
"""make bench: CSV import and export of customers (issue 25), through nginx.

    csv_import_bench.py --base URL --run-dir DIR [--rows 1000000] [--stack scripts/stack.sh]

1. Writes a CSV file of ROWS customers (email, first and last name, phone, city; a BOM,
   semicolons, accents) and imports it into a new workspace in upsert mode: POST /v1/imports
   (the file streamed), PUT, start, then GET until done. The rate is the import's own rows
   over its started-to-finished time (the job), beside MariaDB's LOAD DATA LOCAL INFILE of
   the same file into a copy of `customers` (CREATE TABLE … LIKE: its indexes, none of its
   triggers) timed in the same run: target 25 % or more of that ceiling.
2. The job runner's peak resident memory during the import (its processes' VmRSS sampled
   every 0.2 s, and their VmHWM at the end): target 300 MB or less, whatever the file's size.
3. GET /v1/customers/export.csv of the workspace's ROWS customers: seconds, streamed.

Each figure is one line of make bench's results (Tests/bench/result.sh); --rows 2000 makes a
quick check of the whole path.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import tempfile
import threading
import time
import uuid

import requests
import urllib3

urllib3.disable_warnings()
HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def write_file(path: pathlib.Path, rows: int) -> None:
    cities = ["Zagreb", "Split", "Rijeka", "Osijek", "Zadar", "Ljubljana", "Wien", "München"]
    with path.open("wb") as out:
        out.write("\ufeffE-mail Address;First Name;Last Name;Phone Number;City\r\n".encode())
        chunk = []
        for i in range(rows):
            chunk.append(f"bench{i}@csv.bench.test;Žana{i % 97};Horvat-{i % 1013};+385 1 {i:07d};{cities[i % len(cities)]}\r\n")
            if len(chunk) == 10000:
                out.write("".join(chunk).encode())
                chunk = []
        out.write("".join(chunk).encode())


def runner_pids(run_dir: pathlib.Path) -> list[int]:
    try:
        master = int((run_dir / "jobs.pid").read_text().strip())
    except (OSError, ValueError):
        return []
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [master] + [int(p) for p in found]


def status_kib(pid: int, field: str) -> int:
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RSSSampler(threading.Thread):
    """The largest VmRSS of any one job runner process while it runs."""

    def __init__(self, run_dir: pathlib.Path) -> None:
        super().__init__(daemon=True)
        self.run_dir, self.peak_kib, self.stop = run_dir, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in runner_pids(self.run_dir):
                self.peak_kib = max(self.peak_kib, status_kib(pid, "VmRSS"))
            time.sleep(0.2)


def db_sql(stack: str, run_dir: pathlib.Path, sql: str) -> str:
    env = dict(os.environ, RUN_DIR=str(run_dir))
    done = subprocess.run([stack, "db-shell", "--local-infile=1", "--batch", "--skip-column-names", "-e", sql],
                          env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"bench: SQL failed: {done.stderr}")
    return done.stdout.strip()


def result(*fields: str) -> None:
    subprocess.run([str(HERE / "result.sh"), "csv_import_bench.py", *fields], check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--run-dir", required=True, type=pathlib.Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--stack", default=str(ROOT / "scripts" / "stack.sh"))
    args = parser.parse_args()
    http = requests.Session()
    http.verify = False

    reply = http.post(f"{args.base}/v1/auth/register", json={
        "name": "Bench", "email": f"csv-{uuid.uuid4().hex[:8]}@bench.example", "password": "bench-password-1",
        "workspace_name": "Bench CSV"}, timeout=30)
    reply.raise_for_status()
    tenant = reply.json()["tenant"]["id"]
    auth = {"Authorization": f"Bearer {reply.json()['token']}"}

    with tempfile.TemporaryDirectory() as scratch:
        path = pathlib.Path(scratch) / "customers.csv"
        write_file(path, args.rows)
        size_mb = path.stat().st_size / 1e6

        # 1. The import, upsert, with the runner's memory sampled throughout.
        sampler = RSSSampler(args.run_dir)
        sampler.start()
        with path.open("rb") as body:
            up = http.post(f"{args.base}/v1/imports?target=customers&filename=bench.csv", data=body,
                           headers=dict(auth, **{"Content-Type": "text/csv"}), timeout=3600)
        up.raise_for_status()
        import_id = up.json()["id"]
        http.put(f"{args.base}/v1/imports/{import_id}", json={"mode": "upsert"}, headers=auth, timeout=60).raise_for_status()
        http.post(f"{args.base}/v1/imports/{import_id}/start", headers=auth, timeout=60).raise_for_status()
        while True:
            state = http.get(f"{args.base}/v1/imports/{import_id}", headers=auth, timeout=60).json()
            if state["status"] in ("done", "failed", "cancelled"):
                break
            time.sleep(0.5)
        sampler.stop.set()
        sampler.join()
        peak_kib = max([sampler.peak_kib] + [status_kib(pid, "VmHWM") for pid in runner_pids(args.run_dir)[1:]])
        if state["status"] != "done" or state["created"] + state["updated"] + state["unchanged"] != args.rows:
            raise SystemExit(f"bench: the import did not take every row: {state}")
        seconds = float(db_sql(args.stack, args.run_dir,
                               f"SELECT TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) / 1e6 FROM imports WHERE id = {import_id}"))
        rate = args.rows / max(seconds, 1e-6)

        # The ceiling: MariaDB loading the same file into a copy of the table.
        db_sql(args.stack, args.run_dir, "DROP TABLE IF EXISTS bench_customers_copy; CREATE TABLE bench_customers_copy LIKE customers")
        started = time.monotonic()
        db_sql(args.stack, args.run_dir, f"""
            LOAD DATA LOCAL INFILE '{path}' INTO TABLE bench_customers_copy CHARACTER SET utf8mb4
            FIELDS TERMINATED BY ';' LINES TERMINATED BY '\\r\\n' IGNORE 1 LINES
            (email, @first, @last, phone, city)
            SET tenant_id = {tenant}, name = CONCAT(@first, ' ', @last), properties = '{{}}',
                created_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)""")
        ceiling = args.rows / max(time.monotonic() - started, 1e-6)
        db_sql(args.stack, args.run_dir, "DROP TABLE bench_customers_copy")

        # 3. The export of the workspace's customers, streamed.
        started = time.monotonic()
        lines = 0
        with http.get(f"{args.base}/v1/customers/export.csv", headers=auth, stream=True, timeout=3600) as answer:
            answer.raise_for_status()
            for block in answer.iter_content(1 << 16):
                lines += block.count(b"\n")
        export_seconds = time.monotonic() - started
        if lines != args.rows + 1:
            raise SystemExit(f"bench: the export had {lines} lines for {args.rows} customers")

    print(f"  CSV import, upsert, {args.rows} rows ({size_mb:.0f} MB): {rate:.0f} rows/s; "
          f"LOAD DATA LOCAL INFILE {ceiling:.0f} rows/s ({100 * rate / ceiling:.1f} %, target >= 25 %)")
    print(f"  job runner peak RSS during the import: {peak_kib / 1024:.0f} MB (target <= 300 MB)")
    print(f"  export of {args.rows} customers: {export_seconds:.1f} s")
    result(f"CSV import of {args.rows} customers, upsert", f"{rate:.0f}", "rows/s", f"{ceiling:.0f}",
           "LOAD DATA LOCAL INFILE", ">= 0.25")
    result("job runner peak RSS during the CSV import", f"{peak_kib / 1024:.0f}", "MB", "", "", "<= 300")
    result(f"GET /v1/customers/export.csv of {args.rows} customers", f"{export_seconds:.1f}", "s")


if __name__ == "__main__":
    main()
