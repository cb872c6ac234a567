#!/usr/bin/env python3
"""make bench's last step: the whole picture in one table.

Reads the results file the bench scripts append to (Tests/bench/result.sh: one line per path,
tab-separated: source, path, figure, unit, ceiling, ceiling label, target), prints one table
(path, figure, ceiling measured in the same run, ratio, target, PASS/FAIL) and appends it, with
the date and the commit, to docs/benchmarks.md, the history of past runs.

The target applies to the ratio figure / ceiling when the path has a ceiling, else to the figure
itself. A row without a target is shown as "-" (a figure for reference). Exit status: 1 when
the results file is missing or empty, or when a bench script failed (a row whose unit is
"exit status", written by the Makefile); a target missed is a FAIL in the table, not an error.

    python3 Tests/bench/summary.py [--results FILE] [--history FILE | --no-history] [--note TEXT]
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPERATORS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, "==": lambda a, b: a == b}
HISTORY_HEADER = """# Benchmarks: the history of `make bench`

Each run of `make bench` ends with one table (`Tests/bench/summary.py`) and appends it here
with its date and commit, so that a regression shows.

- **path**: what was measured; **figure**: its median over the bench's runs.
- **ceiling (same run)**: what the same machine does for the same work without EnterCRM
  (nginx and a C FastCGI responder, MariaDB alone, the tracking rate without segments), measured
  in the same run. "no ceiling": the path is held to an absolute target instead.
- **ratio**: figure / ceiling. **target**: on the ratio where there is a ceiling, else on the
  figure. **result**: PASS or FAIL; "-" is a figure shown for reference.

The machine is shared (other builds and tests run beside the bench, the load average is in each
bench's own output), so absolute figures move from run to run by 10-30 %. Compare the ratios: a
ceiling measured in the same run moves with the machine.
"""


@dataclass
class Row:
    source: str
    path: str
    figure: str
    unit: str
    ceiling: str = ""
    ceiling_label: str = ""
    target: str = ""

    def ratio(self) -> float | None:
        """figure / ceiling to two decimals, as shown: the target is judged on what is shown."""
        figure, ceiling = number(self.figure), number(self.ceiling)
        if figure is None or ceiling is None or ceiling == 0:
            return None
        return round(figure / ceiling, 2)

    def result(self) -> str:
        """PASS, FAIL, or "-" without a target."""
        if not self.target.strip():
            return "-"
        op, _, wanted = self.target.strip().partition(" ")
        if op not in OPERATORS:
            return "FAIL"  # a target that cannot be read passes nothing
        value: float | str | None = self.ratio() if self.ceiling.strip() else number(self.figure)
        want: float | str | None = number(wanted)
        if value is None or want is None:  # words: yes == yes
            value, want = self.figure.strip(), wanted.strip()
        return "PASS" if OPERATORS[op](value, want) else "FAIL"


def number(text: str) -> float | None:
    try:
        return float(text.replace(",", "")) if text.strip() else None
    except ValueError:
        return None


def shown(text: str, unit: str = "") -> str:
    """A figure with thousands separators, or as given when it is a word."""
    value = number(text)
    if value is None:
        out = text.strip() or "-"
    elif abs(value) >= 100 or value.is_integer():
        out = f"{value:,.0f}"
    elif abs(value) >= 10:
        out = f"{value:.1f}"
    else:
        out = f"{value:.2f}"
    return f"{out} {unit}".strip() if value is not None else out


def read(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        fields += [""] * (7 - len(fields))
        rows.append(Row(*fields[:7]))
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| path | figure | ceiling (same run) | ratio | target | result |", "|---|---|---|---|---|---|"]
    for r in rows:
        if r.ceiling.strip():
            ceiling = f"{r.ceiling_label} {shown(r.ceiling, r.unit)}".strip()
            ratio = r.ratio()
            ratio_text = f"{ratio:.2f}" if ratio is not None else "-"
            target = f"ratio {r.target}" if r.target.strip() else "-"
        else:
            ceiling, ratio_text = "no ceiling", "-"
            op, _, wanted = r.target.strip().partition(" ")
            target = f"{op} {shown(wanted, r.unit)}" if r.target.strip() else "-"
        lines.append(f"| {r.path} | {shown(r.figure, r.unit)} | {ceiling} | {ratio_text} | {target} | {r.result()} |")
    passed = sum(r.result() == "PASS" for r in rows)
    failed = sum(r.result() == "FAIL" for r in rows)
    lines.append("")
    lines.append(f"{passed} PASS, {failed} FAIL, {len(rows) - passed - failed} shown without a target")
    return "\n".join(lines)


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(history: Path, text: str, when: datetime.datetime, rev: str, note: str) -> None:
    if not history.exists() or not history.read_text(encoding="utf-8").strip():
        history.parent.mkdir(parents=True, exist_ok=True)
        history.write_text(HISTORY_HEADER, encoding="utf-8")
    with history.open("a", encoding="utf-8") as f:
        f.write(f"\n## {when:%Y-%m-%d %H:%M} UTC, commit {rev}\n\n")
        if note:
            f.write(f"{note}\n\n")
        f.write(text + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path,
                        default=Path(os.environ.get("BENCH_RESULTS", ROOT / ".run" / "bench-results.tsv")))
    parser.add_argument("--history", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-history", action="store_true", help="print only")
    parser.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""),
                        help="a line under the run's heading in the history (default: $BENCH_NOTE)")
    args = parser.parse_args(argv)
    if not args.results.exists() or not (rows := read(args.results)):
        print(f"bench summary: no results in {args.results}", file=sys.stderr)
        return 1
    text = table(rows)
    when = datetime.datetime.now(datetime.timezone.utc)
    rev = commit()
    print(f"\nmake bench, {when:%Y-%m-%d %H:%M} UTC, commit {rev}: every path against its ceiling of the same run\n")
    print(text)
    if not args.no_history:
        record(args.history, text, when, rev, args.note)
        print(f"\n(appended to {args.history})")
    failed_scripts = [r.source for r in rows if r.unit == "exit status" and r.result() == "FAIL"]
    if failed_scripts:
        print(f"bench summary: failed: {', '.join(failed_scripts)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
