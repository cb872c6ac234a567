"""What the delivery benches (campaign_bench.py, webhook_bench.py) share: the stack they run
against (RUN_DIR, as scripts/stack.sh leaves it), its settings, and SQL through its client."""

from __future__ import annotations

import os
import pathlib
import subprocess

import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUN_DIR = pathlib.Path(os.environ.get("RUN_DIR", ROOT / ".run"))
STACK = str(ROOT / "scripts" / "stack.sh")


def env() -> dict[str, str]:
    """The stack's settings (entercrm.env)."""
    values = {}
    for line in (RUN_DIR / "entercrm.env").read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            values[k] = v.strip("'")
    return values


def sql(statement: str) -> str:
    """Runs SQL in the stack's database; its output without column names."""
    return subprocess.run([STACK, "db-shell", "-N", "-e", statement], env=dict(os.environ, RUN_DIR=str(RUN_DIR)),
                          capture_output=True, text=True, check=True, timeout=600).stdout


def api() -> tuple[str, requests.Session]:
    """The stack's HTTPS base and a session for it (its self-signed certificate, no proxy)."""
    base = f"https://localhost:{env()['ENTERCRM_HTTPS_PORT']}"
    http = requests.Session()
    http.verify = False
    http.trust_env = False
    requests.packages.urllib3.disable_warnings()
    return base, http
