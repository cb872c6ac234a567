"""Schemathesis, bounded, inside `make test`: every operation of openapi.yaml, every check,
through nginx, as a real workspace (Tests/fuzz/fuzz.py). `make fuzz` runs the same longer.

ENTERCRM_FUZZ_EXAMPLES sets the examples per operation (default 2)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_schemathesis_finds_nothing(base: str) -> None:
    examples = os.environ.get("ENTERCRM_FUZZ_EXAMPLES", "2")
    report = pathlib.Path(os.environ.get("ENTERCRM_RUN_DIR", ROOT / ".run" / "test")) / "log" / "fuzz.log"
    report.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(ROOT / "Tests" / "fuzz" / "fuzz.py"), "--base", base, "--max-examples", examples,
               "--seed", os.environ.get("ENTERCRM_FUZZ_SEED", "20261123")]
    with open(report, "w") as out:
        rc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=900).returncode
    text = report.read_text()
    summary = text[text.find("SUMMARY"):] if "SUMMARY" in text else text[-3000:]
    assert rc == 0, f"schemathesis found failures (full log: {report}):\n{text[text.find('FAILURES'):][:6000]}\n{summary}"
    assert "Tested: " in summary
