"""The pool under load: a worker killed, a rolling reload, MariaDB restarted.

Each test sends GET /v1/health continuously from a few threads while it disrupts the
stack, then checks what the clients saw. /v1/health is not rate limited.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from .support import Load, describe

LOAD_THREADS = 4


def test_killed_worker_is_replaced_and_the_pool_keeps_answering(stack, base):
    master = stack.master_pid()
    workers = stack.worker_pids()
    assert workers, "the pool has no workers"

    with Load(f"{base}/v1/health", threads=LOAD_THREADS) as load:
        time.sleep(1.5)
        victim = min(workers)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)

        def replaced():
            now = stack.worker_pids()
            return now if victim not in now and len(now) == len(workers) else None

        now = stack.wait_for(replaced, timeout=15)
        assert now, f"worker {victim} was not replaced: workers are {stack.worker_pids()}"
        replaced_at = time.monotonic()
        time.sleep(max(2.0, killed_at + 2.5 - replaced_at))
        results = load.stop()

    assert stack.master_pid() == master
    new = now - workers
    assert len(new) == 1, (workers, now)

    failures = [r for r in results if not r.ok]
    assert len(failures) <= 5, f"{len(failures)} of {len(results)} failed:\n{describe(failures)}"
    late = [r for r in failures if r.started > killed_at + 1.0]
    assert not late, f"requests failed more than 1 s after the kill:\n{describe(late)}"
    after = [r for r in results if r.started > killed_at + 1.0]
    assert len(after) >= 20, "the pool stopped answering after the kill"
    before = [r for r in results if r.started < killed_at]
    assert len(before) >= 20 and all(r.ok for r in before)


def test_sighup_replaces_every_worker_without_failing_a_request(stack, base):
    master = stack.master_pid()
    workers = stack.worker_pids()
    assert workers

    with Load(f"{base}/v1/health", threads=LOAD_THREADS) as load:
        time.sleep(1.0)
        reloaded_at = time.monotonic()
        stack.run("pool-reload")

        def all_replaced():
            now = stack.worker_pids()
            return now if now and not (now & workers) and len(now) == len(workers) else None

        now = stack.wait_for(all_replaced, timeout=30)
        assert now, f"workers not all replaced: before {workers}, now {stack.worker_pids()}"
        time.sleep(1.5)
        results = load.stop()

    assert stack.master_pid() == master
    failures = [r for r in results if not r.ok]
    assert not failures, f"{len(failures)} of {len(results)} failed:\n{describe(failures)}"
    during = [r for r in results if r.started >= reloaded_at]
    assert len(during) >= 50, "too few requests during the reload to show anything"


def test_mariadb_restart_gives_503_then_recovers_without_restarting_the_pool(stack, base):
    master = stack.master_pid()
    db_timeout = float(stack.env.get("ENTERCRM_DB_TIMEOUT", "10"))
    try:
        with Load(f"{base}/v1/health", threads=3, timeout=db_timeout + 10) as load:
            time.sleep(1.0)
            stack.run("db-stop")
            stopped_at = time.monotonic()
            time.sleep(2.5)
            down = load.results()
            stack.run("db-start")
            started_at = time.monotonic()

            def recovered():
                recent = [r for r in load.results() if r.started > time.monotonic() - 0.5]
                return recent if len(recent) >= 10 and all(r.ok for r in recent) else None

            assert stack.wait_for(recovered, timeout=15), "health did not recover within 15 s"
            recovered_at = time.monotonic()
            time.sleep(2.0)
            results = load.stop()
    finally:
        stack.run("db-start")  # a no-op when it is running

    assert stack.master_pid() == master, "the pool was restarted"
    assert recovered_at - started_at < 10, "recovery took more than a few seconds"

    answered = [r for r in results if r.status is not None]
    unanswered = [r for r in results if r.status is None]
    assert not unanswered, f"requests without an answer:\n{describe(unanswered)}"
    unexpected = [r for r in answered if r.status not in (200, 503)]
    assert not unexpected, f"statuses other than 200/503:\n{describe(unexpected)}"
    slow = [r for r in results if r.seconds > db_timeout + 2]
    assert not slow, f"requests that hung:\n{describe(slow)}"

    unavailable = [r for r in results if r.status == 503]
    while_down = [r for r in down if r.started > stopped_at + 0.5]
    assert while_down and all(r.status == 503 for r in while_down), describe(while_down)
    for r in unavailable:
        body = json.loads(r.body)
        assert isinstance(body, dict) and body, r.body
        assert r.retry_after and int(r.retry_after) >= 1, r
    tail = [r for r in results if r.started > recovered_at]
    assert tail and all(r.ok for r in tail), describe([r for r in tail if not r.ok])


def test_reload_answers_every_tracking_event_it_has_taken(stack, base):
    """Single events wait for their group commit off the request threads (detached, answered
    by each worker's tracking writer). A rolling reload stops every worker while events are
    queued: each must be answered, and every event answered 200 must be stored, once, with
    the customer's aggregates exact."""
    import threading
    import uuid

    from .support import new_session

    http = new_session("127.0.0.181")
    r = http.post(f"{base}/v1/auth/register", json={
        "name": "Reload Drain", "email": f"drain-{uuid.uuid4().hex[:10]}@company.com", "password": "secret123",
        "workspace_name": "Reload drain"}, timeout=30)
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    key = http.post(f"{base}/v1/api-keys", json={"name": "Importer"}, headers=auth, timeout=30).json()["key"]
    email = f"drain-{uuid.uuid4().hex[:8]}@example.com"

    stop = threading.Event()
    lock = threading.Lock()
    answers: list[tuple[int | None, str]] = []

    def send(address: str) -> None:
        # Paced under the tracking limit (1,000 a minute, all at once if need be, per key and address).
        session = new_session(address)
        while not stop.is_set():
            body = {"event": "purchase", "customer_email": email, "message_id": uuid.uuid4().hex,
                    "properties": {"amount": 1.25, "currency": "EUR"}}
            try:
                response = session.post(f"{base}/v1/track/event", json=body, headers={"X-API-Key": key}, timeout=20)
                outcome = (response.status_code, response.text)
            except Exception as e:  # noqa: BLE001 - a broken connection is what is counted
                outcome = (None, repr(e))
            with lock:
                answers.append(outcome)
            time.sleep(0.06)

    workers = stack.worker_pids()
    threads = [threading.Thread(target=send, args=(f"127.0.0.{190 + i}",), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    # The customer's row held locked across the reload's start: the writers' transactions
    # wait for it, so events are surely queued and unanswered when the workers are told to
    # stop (below the lock wait timeout: ENTERCRM_DB_TIMEOUT / 2, at least 2 s in tests).
    holder = subprocess.Popen(
        [stack.script, "db-shell", "-N", "-e",
         f"BEGIN; SELECT id FROM customers WHERE email = '{email}' FOR UPDATE; DO SLEEP(1.2); COMMIT;"],
        env=dict(os.environ, RUN_DIR=str(stack.run_dir)), stdout=subprocess.DEVNULL)
    time.sleep(0.4)
    stack.run("pool-reload")
    assert holder.wait(30) == 0
    replaced = stack.wait_for(lambda: (lambda now: now if now and not (now & workers) else None)(stack.worker_pids()),
                              timeout=30)
    assert replaced, f"workers not all replaced: before {workers}, now {stack.worker_pids()}"
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(30)

    failed = [a for a in answers if a[0] != 200]
    assert not failed, f"{len(failed)} of {len(answers)} not answered 200: {failed[:5]}"
    assert len(answers) >= 100, "too few events during the reload to show anything"
    row = stack.run("db-shell", "-N", "-e",
                    f"SELECT c.events_count, c.clv_order_count, c.clv_total, (SELECT COUNT(*) FROM events e "
                    f"WHERE e.tenant_id = c.tenant_id AND e.customer_id = c.id) FROM customers c WHERE c.email = '{email}'")
    count, orders, total, rows = row.split()
    assert int(count) == int(orders) == int(rows) == len(answers), (row, len(answers))
    assert total == f"{1.25 * len(answers):.2f}", (row, len(answers))
