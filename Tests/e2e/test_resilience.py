"""The pool under load: a worker killed, a rolling reload, MariaDB restarted.

Each test sends GET /v1/health continuously from a few threads while it disrupts the
stack, then checks what the clients saw. /v1/health is not rate limited.
"""

from __future__ import annotations

import json
import os
import signal
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
