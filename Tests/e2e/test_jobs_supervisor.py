"""`entercrm jobs` supervises its runner as the pool's master does its workers: the runner is
a child process, started again (with back-off) when it dies abnormally; SIGTERM to the master
drains the runner and stops both; kill -9 of the master takes the runner with it (it never
runs unsupervised)."""

from __future__ import annotations

import os
import signal
import time
import uuid

from .support import alive


def sql(stack, statement: str) -> str:
    return stack.run("db-shell", "-N", "-e", statement).strip()


def enqueue_and_wait(stack, timeout: float = 30) -> str:
    """A harmless job (the weekly prune); returns its status once finished, or the last seen."""
    tag = uuid.uuid4().hex[:12]
    sql(stack, "INSERT INTO jobs (kind, payload, run_at, created_at, updated_at) VALUES "
               f"('system.prune_jobs', '{{\"supervisor\": \"{tag}\"}}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    status = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = sql(stack, f"SELECT status FROM jobs WHERE payload = '{{\"supervisor\": \"{tag}\"}}'")
        if status in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    return status


def one_runner(stack, timeout: float = 15) -> int:
    runners = stack.wait_for(lambda: stack.jobs_runner_pids() if len(stack.jobs_runner_pids()) == 1 else None, timeout)
    assert runners and len(runners) == 1, f"the jobs master {stack.jobs_master_pid()} has runners {stack.jobs_runner_pids()}"
    return next(iter(runners))


def test_a_killed_runner_is_started_again_and_jobs_still_run(stack):
    master = stack.jobs_master_pid()
    victim = one_runner(stack)
    assert enqueue_and_wait(stack) == "succeeded"

    os.kill(victim, signal.SIGKILL)
    fresh = stack.wait_for(lambda: (p := stack.jobs_runner_pids()) and victim not in p and p, timeout=15)
    assert fresh, f"runner {victim} was not started again"
    assert len(fresh) == 1 and alive(master) and stack.jobs_master_pid() == master
    assert enqueue_and_wait(stack) == "succeeded", "the new runner does not run jobs"

    # Killed again at once: still started again (the back-off is short for a runner that lived).
    second = next(iter(fresh))
    os.kill(second, signal.SIGKILL)
    again = stack.wait_for(lambda: (p := stack.jobs_runner_pids()) and second not in p and p, timeout=15)
    assert again and len(again) == 1
    assert enqueue_and_wait(stack) == "succeeded"
    log = (stack.run_dir / "log" / "jobs.log").read_text(errors="replace")
    assert f"(pid {victim}) died (signal 9)" in log and f"(pid {second}) died (signal 9)" in log


def test_sigterm_drains_and_stops_master_and_runner(stack):
    master = stack.jobs_master_pid()
    runner = one_runner(stack)
    try:
        os.kill(master, signal.SIGTERM)
        gone = stack.wait_for(lambda: not alive(master) and not alive(runner), timeout=60)
        assert gone, f"master alive {alive(master)}, runner alive {alive(runner)}"
        log = (stack.run_dir / "log" / "jobs.log").read_text(errors="replace")
        assert "finishing current jobs" in log and "supervisor: stopped" in log
    finally:
        stack.run("jobs-start")
    one_runner(stack)
    assert enqueue_and_wait(stack) == "succeeded"


def test_kill_9_of_the_master_takes_the_runner_with_it(stack):
    master = stack.jobs_master_pid()
    runner = one_runner(stack)
    try:
        os.kill(master, signal.SIGKILL)
        assert stack.wait_for(lambda: not alive(runner), timeout=10), "the runner outlived its master"
    finally:
        stack.wait_for(lambda: not alive(master), timeout=10)
        stack.run("jobs-start")
    one_runner(stack)
    assert enqueue_and_wait(stack) == "succeeded"
