"""make bench's closing table (Tests/bench/summary.py) on a sample results file written by
Tests/bench/result.sh, as the bench scripts write it. Needs no running stack."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from .support import ROOT

BENCH = ROOT / "Tests" / "bench"
spec = importlib.util.spec_from_file_location("bench_summary", BENCH / "summary.py")
summary = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = summary  # dataclasses look their module up there
spec.loader.exec_module(summary)


def write(results, *rows: list[str]) -> None:
    """Each row through result.sh, the one writer of the file."""
    for row in rows:
        subprocess.run([str(BENCH / "result.sh"), *row], check=True, env={**os.environ, "BENCH_RESULTS": str(results)})


SAMPLE = [
    ["bench.sh", "GET /v1/health", "18134.2", "req/s", "24219", "C hello", ">= 0.75"],         # 0.7487 shows 0.75: PASS
    ["bench.sh", "POST /v1/track/event", "4634", "req/s", "9293", "C INSERT", ">= 0.40"],      # 0.50 PASS
    ["bench.sh", "POST /v1/track/batch import", "14789", "events/s", "28674", "MariaDB alone", ">= 0.85"],  # 0.52 FAIL
    ["bench.sh", "GET /v1/health p99", "14.3", "ms", "9.1", "C hello p99", "<= 2"],              # 1.57 PASS
    ["bench.sh", "list of 1M\tp95", "32.5", "ms", "", "", "<= 50"],                              # tab made a space
    ["bench.sh", "batch aggregates exact", "no", "", "", "", "== yes"],                          # FAIL
    ["automations_bench.sh", "automation engine", "16350", "enrolments/s", "", "", ">= 2000"],
    ["segments_bench.sh", "BG/NBD r", "0.75", ""],                                               # no target
]


def test_table_has_every_path_its_ceiling_ratio_target_and_verdict(tmp_path):
    results = tmp_path / "bench-results.tsv"
    write(results, *SAMPLE)
    rows = summary.read(results)
    assert [r.path for r in rows][4] == "list of 1M p95" and len(rows) == len(SAMPLE)
    lines = summary.table(rows).splitlines()
    assert lines[0] == "| path | figure | ceiling (same run) | ratio | target | result |"
    body = {line.split(" | ")[0].lstrip("| "): line for line in lines[2:] if line.startswith("| ")}
    assert body["GET /v1/health"] == "| GET /v1/health | 18,134 req/s | C hello 24,219 req/s | 0.75 | ratio >= 0.75 | PASS |"
    assert body["POST /v1/track/event"].endswith("| 0.50 | ratio >= 0.40 | PASS |")
    assert body["POST /v1/track/batch import"].endswith("| MariaDB alone 28,674 events/s | 0.52 | ratio >= 0.85 | FAIL |")
    assert body["GET /v1/health p99"].endswith("| 14.3 ms | C hello p99 9.10 ms | 1.57 | ratio <= 2 | PASS |")
    assert body["list of 1M p95"] == "| list of 1M p95 | 32.5 ms | no ceiling | - | <= 50 ms | PASS |"
    assert body["batch aggregates exact"].endswith("| no | no ceiling | - | == yes | FAIL |")
    assert body["automation engine"] == ("| automation engine | 16,350 enrolments/s | no ceiling | - | >= 2,000 enrolments/s | PASS |")
    assert body["BG/NBD r"].endswith("| 0.75 | no ceiling | - | - | - |")
    assert lines[-1] == "5 PASS, 2 FAIL, 1 shown without a target"


def test_history_gets_the_header_once_then_each_run_with_date_and_commit(tmp_path, capsys):
    results, history = tmp_path / "results.tsv", tmp_path / "docs" / "benchmarks.md"
    write(results, *SAMPLE)
    assert summary.main(["--results", str(results), "--history", str(history)]) == 0
    assert summary.main(["--results", str(results), "--history", str(history), "--note", "a second run"]) == 0
    text = history.read_text()
    assert text.startswith("# Benchmarks") and text.count("# Benchmarks") == 1
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert text.count(f" UTC, commit {rev}\n") == 2 and "\na second run\n" in text
    assert text.count("| GET /v1/health | 18,134 req/s |") == 2
    out = capsys.readouterr().out
    assert "| POST /v1/track/batch import |" in out and f"commit {rev}" in out


def test_a_failed_bench_script_or_no_results_is_an_error(tmp_path):
    results = tmp_path / "results.tsv"
    assert summary.main(["--results", str(results), "--no-history"]) == 1
    results.write_text("")
    assert summary.main(["--results", str(results), "--no-history"]) == 1
    write(results, SAMPLE[0], ["crm_bench.sh", "Tests/bench/crm_bench.sh ran to the end", "2", "exit status", "", "", "== 0"])
    assert summary.main(["--results", str(results), "--no-history"]) == 1
    write(results, ["campaign_bench.sh", "Tests/bench/campaign_bench.sh ran to the end", "0", "exit status", "", "", "== 0"])
    assert [r.result() for r in summary.read(results)] == ["PASS", "FAIL", "PASS"]
