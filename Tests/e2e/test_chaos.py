"""Faults under load: writers send tracked events (each with its own message_id, sent again
with the same id until acknowledged) while a worker is killed with kill -9, nginx reloads,
the pool reloads (SIGHUP) and MariaDB restarts. Afterwards every acknowledged (2xx) event is
stored exactly once, nothing is stored that was not sent, and the service answers again
with no manual step.

`make test` runs one round of faults (ENTERCRM_CHAOS_ROUNDS=1); `make chaos` runs more."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid

import pytest
import requests

from .support import new_session

ROUNDS = int(os.environ.get("ENTERCRM_CHAOS_ROUNDS", "1"))
WRITERS = 4


def register(base: str) -> dict:
    http = new_session("127.0.0.151")
    for _ in range(8):
        r = http.post(f"{base}/v1/auth/register", timeout=30, json={
            "name": "Chaos Owner", "email": f"chaos-{uuid.uuid4().hex[:10]}@chaos.io",
            "password": "secret123", "workspace_name": "Chaos"})
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    keys = [http.post(f"{base}/v1/api-keys", json={"name": f"chaos {i}"}, headers=auth, timeout=30).json()["key"]
            for i in range(WRITERS)]
    return {"keys": keys}


class Writers:
    """WRITERS threads, each with its own key and customer, sending events until stopped. An
    event not acknowledged (no answer, 429, 5xx) is sent again with the same message_id."""

    def __init__(self, base: str, keys: list[str]) -> None:
        self.base, self.keys = base, keys
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent: dict[str, str] = {}          # message_id -> customer email
        self.acknowledged: set[str] = set()
        self.statuses: dict[str, int] = {}
        self.unexpected: list[str] = []
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(WRITERS)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def run(self, index: int) -> None:
        http = new_session()
        email = f"writer-{index}@chaos.io"
        headers = {"X-API-Key": self.keys[index]}
        n = 0
        while not self.stop.is_set():
            n += 1
            message_id = f"chaos-{index}-{n}-{uuid.uuid4().hex[:6]}"
            with self.lock:
                self.sent[message_id] = email
            for _attempt in range(40):
                if self.stop.is_set():
                    break
                try:
                    r = http.post(f"{self.base}/v1/track/event", headers=headers, timeout=20, json={
                        "customer_email": email, "event": "chaos", "message_id": message_id, "properties": {"n": n}})
                    status = r.status_code
                except requests.RequestException:
                    status = 0
                    http.close()
                    http = new_session()
                with self.lock:
                    self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
                if 200 <= status < 300:
                    with self.lock:
                        self.acknowledged.add(message_id)
                    break
                if status not in (0, 429, 502, 503, 504):
                    with self.lock:
                        self.unexpected.append(f"{message_id}: {status} {r.text[:200]}")
                time.sleep(0.2 + random.random() * 0.3)
        http.close()


def stored_message_ids(http, base: str, key: str, email: str) -> list[str]:
    r = http.get(f"{base}/v1/customers", params={"email": email}, headers={"X-API-Key": key}, timeout=30)
    data = r.json()["data"]
    if not data:
        return []
    customer = data[0]["id"]
    ids: list[str] = []
    page = 1
    while True:
        body = http.get(f"{base}/v1/customers/{customer}/events", params={"page": page, "per_page": 100, "order": "asc"},
                        headers={"X-API-Key": key}, timeout=30).json()
        ids += [e["message_id"] for e in body["data"]]
        if page >= body["meta"]["last_page"]:
            return ids
        page += 1


def healthy(http, base: str) -> bool:
    try:
        return http.get(f"{base}/v1/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_acknowledged_writes_survive_faults(stack, base):
    account = register(base)
    http = new_session()
    faults: list[str] = []
    try:
        with Writers(base, account["keys"]) as writers:
            time.sleep(2)
            for _ in range(ROUNDS):
                worker = sorted(stack.worker_pids())[0]
                os.kill(worker, signal.SIGKILL)
                faults.append(f"kill -9 worker {worker}")
                time.sleep(2)
                stack.run("nginx-reload")
                faults.append("nginx reload")
                time.sleep(2)
                os.kill(stack.master_pid(), signal.SIGHUP)
                faults.append("pool SIGHUP")
                time.sleep(2)
                stack.run("db-stop")
                faults.append("MariaDB stopped")
                time.sleep(3)
                stack.run("db-start")
                faults.append("MariaDB started")
                assert stack.wait_for(lambda: healthy(http, base), timeout=30), "no recovery after the MariaDB restart"
                time.sleep(3)
            writers.stop.set()
    finally:
        stack.run("db-start")  # a no-op when it runs

    assert stack.wait_for(lambda: healthy(http, base), timeout=30), "the service did not recover"
    sent, acknowledged = writers.sent, writers.acknowledged
    assert len(acknowledged) >= 50, f"too few writes acknowledged to show anything: {writers.statuses}"
    stored: list[str] = []
    for index, key in enumerate(account["keys"]):
        stored += stored_message_ids(http, base, key, f"writer-{index}@chaos.io")
    duplicates = {m for m in stored if stored.count(m) > 1}
    lost = acknowledged - set(stored)
    phantom = set(stored) - set(sent)
    report = f"faults: {faults}; statuses: {writers.statuses}; sent {len(sent)}, acknowledged {len(acknowledged)}, stored {len(stored)}"
    assert not writers.unexpected, f"answers other than 2xx, 429 and 5xx: {writers.unexpected[:5]}"
    assert not lost, f"{len(lost)} acknowledged events are not stored ({sorted(lost)[:5]}); {report}"
    assert not duplicates, f"events stored twice: {sorted(duplicates)[:5]}; {report}"
    assert not phantom, f"events stored that were never sent: {sorted(phantom)[:5]}; {report}"
    print(report)
