"""Helpers for the end-to-end tests: sessions, the stack, and a load generator."""

from __future__ import annotations

import os
import pathlib
import subprocess
import threading
import time
from dataclasses import dataclass

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]


# The tests' own SMTP, SMS and webhook sinks listen here: the one internal address that the
# outbound guard lets the server reach in make test (scripts/test.sh sets
# ENTERCRM_OUTBOUND_ALLOW=127.77.0.1/32). Anything on 127.0.0.1 is out of the server's reach.
SINK_HOST = "127.77.0.1"


def read_env_file(path: pathlib.Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        values[key] = value
    return values


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError, ProcessLookupError):
        return False


def live_children(pid: int) -> set[int]:
    done = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return {int(w) for w in done.stdout.split() if alive(int(w))}


class Stack:
    """The running test stack: URLs, pids, and scripts/stack.sh for the disruptive tests."""

    def __init__(self) -> None:
        self.run_dir = pathlib.Path(os.environ.get("ENTERCRM_RUN_DIR", ROOT / ".run" / "test"))
        env_file = self.run_dir / "entercrm.env"
        if not env_file.exists():
            pytest.exit(f"no stack in {self.run_dir}: run `make test`", returncode=2)
        self.env = read_env_file(env_file)
        self.base = os.environ.get(
            "ENTERCRM_E2E_BASE", f"https://localhost:{self.env['ENTERCRM_HTTPS_PORT']}"
        ).rstrip("/")
        self.http_base = os.environ.get(
            "ENTERCRM_E2E_HTTP_BASE", f"http://localhost:{self.env['ENTERCRM_HTTP_PORT']}"
        ).rstrip("/")
        self.https_port = int(self.env["ENTERCRM_HTTPS_PORT"])
        self.script = os.environ.get("ENTERCRM_STACK", str(ROOT / "scripts" / "stack.sh"))

    def run(self, *args: str, timeout: float = 180) -> str:
        env = dict(os.environ, RUN_DIR=str(self.run_dir))
        done = subprocess.run(
            [self.script, *args], env=env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise AssertionError(f"stack.sh {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def master_pid(self) -> int:
        return int(pathlib.Path(self.env["ENTERCRM_PID_FILE"]).read_text().strip())

    def worker_pids(self) -> set[int]:
        """Live worker processes: children of the pool's master that are not zombies."""
        done = subprocess.run(
            ["pgrep", "-P", str(self.master_pid())], capture_output=True, text=True
        )
        pids = set()
        for word in done.stdout.split():
            try:
                state = pathlib.Path(f"/proc/{word}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if state != "Z":
                pids.add(int(word))
        return pids

    def jobs_master_pid(self) -> int:
        """The supervising master of `entercrm jobs` (its pid file)."""
        path = self.env.get("ENTERCRM_JOBS_PID_FILE", str(self.run_dir / "jobs.pid"))
        return int(pathlib.Path(path).read_text().strip())

    def jobs_runner_pids(self) -> set[int]:
        """The live job runner processes: children of the jobs master that are not zombies."""
        return live_children(self.jobs_master_pid())

    def wait_for(self, predicate, timeout: float, interval: float = 0.05):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        return predicate()


def new_session(source_address: str | None = None) -> requests.Session:
    """A keep-alive session that trusts the self-signed certificate. With a source address
    (127.0.0.x), the requests come from that address, which has rate limits of its own."""
    session = requests.Session()
    session.verify = False
    # Ignore REQUESTS_CA_BUNDLE and proxy settings from the environment: they would win
    # over verify=False, and every request here goes to localhost.
    session.trust_env = False
    if source_address:
        adapter = SourceAddressAdapter(source_address)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, address: str, **kwargs) -> None:
        self.source_address = (address, 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = self.source_address
        return super().init_poolmanager(*args, **kwargs)


@dataclass
class Result:
    started: float
    finished: float
    status: int | None  # None: no HTTP answer (connection error or time-out)
    error: str = ""
    body: bytes = b""
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def seconds(self) -> float:
        return self.finished - self.started


class Load:
    """Threads that send the same request continuously, each over its own keep-alive
    connection, until stopped. Bounded: at most `max_seconds` and `max_requests` each."""

    def __init__(
        self,
        url: str,
        threads: int = 4,
        timeout: float = 15,
        headers: dict[str, str] | None = None,
        max_seconds: float = 90,
        max_requests: int = 200_000,
    ) -> None:
        self.url = url
        self.threads = threads
        self.timeout = timeout
        self.headers = headers or {}
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._results: list[Result] = []
        self._workers: list[threading.Thread] = []

    def __enter__(self) -> "Load":
        self.started = time.monotonic()
        for _ in range(self.threads):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> list[Result]:
        self._stop.set()
        for thread in self._workers:
            thread.join(self.timeout + 5)
        with self._lock:
            return sorted(self._results, key=lambda r: r.started)

    def results(self) -> list[Result]:
        with self._lock:
            return list(self._results)

    def _run(self) -> None:
        session = new_session()
        deadline = time.monotonic() + self.max_seconds
        for _ in range(self.max_requests):
            if self._stop.is_set() or time.monotonic() > deadline:
                break
            started = time.monotonic()
            try:
                response = session.get(self.url, headers=self.headers, timeout=self.timeout)
                result = Result(
                    started,
                    time.monotonic(),
                    response.status_code,
                    body=response.content,
                    retry_after=response.headers.get("Retry-After"),
                )
            except requests.RequestException as error:
                result = Result(started, time.monotonic(), None, error=repr(error))
                session.close()
                session = new_session()
            with self._lock:
                self._results.append(result)
        session.close()


def describe(results: list[Result], limit: int = 10) -> str:
    return "\n".join(
        f"  t={r.started:.3f} {r.seconds * 1000:.0f}ms status={r.status} {r.error}"
        f" {r.body[:120]!r}"
        for r in results[:limit]
    )



def system_mail(stack: "Stack", to: str) -> list[str]:
    """The text of the system mail (verification, invitations, password reset) sent to `to`,
    oldest first, read from the development mailbox as the holder reads their inbox."""
    import email
    import email.policy

    directory = pathlib.Path(stack.env.get("ENTERCRM_MAIL_DIR") or stack.run_dir / "mail")
    found = []
    for path in list(directory.glob("account-*.eml")) + list(directory.glob("address-*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] is None or message["To"].addresses[0].addr_spec != to:
            continue
        found.append((path.stat().st_mtime_ns, message.get_body(preferencelist=("plain",)).get_content()))
    return [text for _, text in sorted(found)]


def mailed_token(stack: "Stack", to: str, page: str) -> str | None:
    """The token of the newest link to #/<page> mailed to `to`."""
    import re

    for text in reversed(system_mail(stack, to)):
        match = re.search(rf"#/{re.escape(page)}\?token=(\S+)", text)
        if match:
            return match.group(1)
    return None
