"""Faults under load: writers send tracked events (each with its own message_id, sent again
with the same id until acknowledged) while
  - a worker is killed with kill -9, nginx reloads, the pool reloads (SIGHUP) and MariaDB
    restarts (test_acknowledged_writes_survive_faults);
  - the job runner is killed with kill -9 in the middle of a campaign and in the middle of an
    automation's send step; its supervisor starts it again (test_runner_killed_mid_campaign_…);
  - the database's disk fills up, then is freed (test_full_disk_…).
Afterwards every acknowledged (2xx) event is stored exactly once, nothing is stored that was
not sent, nobody is mailed twice, and the service answers again with no manual step. Each test
adds its rows to the fault table (fault, acknowledged, found, duplicates), printed at the end
of the run and kept in $RUN_DIR/log/fault-table.txt.

`make test` runs one round of faults (ENTERCRM_CHAOS_ROUNDS=1) and smaller mail flows;
`make chaos` runs more."""

from __future__ import annotations

import os
import pathlib
import random
import shutil
import signal
import threading
import time
import uuid

import pytest
import requests

from . import chaos_flow
from .support import SINK_HOST, alive, new_session

ROUNDS = int(os.environ.get("ENTERCRM_CHAOS_ROUNDS", "1"))
WRITERS = 4


def register(base: str, address: str = "127.0.0.151") -> dict:
    http = new_session(address)
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
    return {"keys": keys, "auth": auth, "tenant": r.json()["tenant"]["id"], "http": http}


class Writers:
    """WRITERS threads, each with its own key and customer, sending events until stopped. An
    event not acknowledged (no answer, 429, 5xx) is sent again with the same message_id."""

    def __init__(self, base: str, keys: list[str], label: str = "chaos") -> None:
        self.base, self.keys, self.label = base, keys, label
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent: dict[str, str] = {}          # message_id -> customer email
        self.acknowledged: set[str] = set()
        self.phase = "before the faults"
        self.phase_of: dict[str, str] = {}      # message_id -> the fault under way when it was first sent
        self.unavailable: list[str] = []        # 503 answers without a JSON message or Retry-After
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
        email = f"writer-{index}@{self.label}.chaos.io"
        headers = {"X-API-Key": self.keys[index]}
        n = 0
        while not self.stop.is_set():
            n += 1
            message_id = f"chaos-{index}-{n}-{uuid.uuid4().hex[:6]}"
            with self.lock:
                self.sent[message_id] = email
                self.phase_of[message_id] = self.phase
            for _attempt in range(200):
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
                if status == 503 and r.headers.get("Content-Type", "").startswith("application/json"):
                    try:
                        message = r.json().get("message", "")
                    except ValueError:
                        message = ""
                    if not message or not r.headers.get("Retry-After", "").isdigit():
                        with self.lock:
                            self.unavailable.append(f"{r.headers.get('Retry-After')!r} {r.text[:200]}")
                    elif "disk space" in message:
                        with self.lock:
                            self.statuses["503 disk full"] = self.statuses.get("503 disk full", 0) + 1
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


TABLE: list[tuple[str, int, int, int]] = []


def record(stack, rows: list[tuple[str, int, int, int]]) -> None:
    """Adds rows to the fault table (kept in $RUN_DIR/log/fault-table.txt, printed at the end)."""
    TABLE.extend(rows)
    with open(stack.run_dir / "log" / "fault-table.txt", "a") as f:
        for row in rows:
            f.write("\t".join(str(v) for v in row) + "\n")


def audit(stack, http, base: str, keys: list[str], writers: Writers, label: str) -> dict[str, int]:
    """Every acknowledged event stored exactly once, nothing stored that was never sent, no
    answer but 2xx, 429 and 5xx (a 503 with its JSON message and Retry-After). Adds a row per
    phase of the load to the fault table."""
    assert stack.wait_for(lambda: healthy(http, base), timeout=60), "the service did not recover"
    sent, acknowledged = writers.sent, writers.acknowledged
    stored: list[str] = []
    for index, key in enumerate(keys):
        stored += stored_message_ids(http, base, key, f"writer-{index}@{label}.chaos.io")
    counts: dict[str, int] = {}
    for m in stored:
        counts[m] = counts.get(m, 0) + 1
    duplicates = {m for m, n in counts.items() if n > 1}
    lost = acknowledged - set(counts)
    phantom = set(counts) - set(sent)
    report = f"statuses: {writers.statuses}; sent {len(sent)}, acknowledged {len(acknowledged)}, stored {len(stored)}"
    phases: list[str] = []
    for p in writers.phase_of.values():
        if p not in phases:
            phases.append(p)
    rows = []
    for p in phases:
        acked = [m for m in acknowledged if writers.phase_of.get(m) == p]
        rows.append((f"[{label}] {p}", len(acked), sum(1 for m in acked if m in counts), sum(1 for m in acked if counts.get(m, 0) > 1)))
    record(stack, rows)
    print(report)
    assert len(acknowledged) >= 50, f"too few writes acknowledged to show anything: {writers.statuses}"
    assert not writers.unexpected, f"answers other than 2xx, 429 and 5xx: {writers.unexpected[:5]}"
    assert not writers.unavailable, f"503 answers without a JSON message or Retry-After: {writers.unavailable[:3]}"
    assert not lost, f"{len(lost)} acknowledged events are not stored ({sorted(lost)[:5]}); {report}"
    assert not duplicates, f"events stored twice: {sorted(duplicates)[:5]}; {report}"
    assert not phantom, f"events stored that were never sent: {sorted(phantom)[:5]}; {report}"
    return counts


def test_acknowledged_writes_survive_faults(stack, base):
    account = register(base)
    http = new_session()
    faults: list[str] = []
    try:
        with Writers(base, account["keys"]) as writers:
            time.sleep(2)
            for n in range(ROUNDS):
                writers.phase = f"kill -9 worker (round {n + 1})"
                worker = sorted(stack.worker_pids())[0]
                os.kill(worker, signal.SIGKILL)
                faults.append(f"kill -9 worker {worker}")
                time.sleep(2)
                writers.phase = f"nginx reload (round {n + 1})"
                stack.run("nginx-reload")
                faults.append("nginx reload")
                time.sleep(2)
                writers.phase = f"pool SIGHUP (round {n + 1})"
                os.kill(stack.master_pid(), signal.SIGHUP)
                faults.append("pool SIGHUP")
                time.sleep(2)
                writers.phase = f"MariaDB stop/start (round {n + 1})"
                stack.run("db-stop")
                faults.append("MariaDB stopped")
                time.sleep(3)
                stack.run("db-start")
                faults.append("MariaDB started")
                assert stack.wait_for(lambda: healthy(http, base), timeout=30), "no recovery after the MariaDB restart"
                time.sleep(3)
            writers.phase = "after the faults"
            time.sleep(1)
            writers.stop.set()
    finally:
        stack.run("db-start")  # a no-op when it runs

    print(f"faults: {faults}")
    audit(stack, http, base, account["keys"], writers, "chaos")


# ---------------------------------------------------------------------------------------
# The job runner killed (kill -9) in the middle of a campaign and in the middle of an
# automation's send step. Its supervisor (`entercrm jobs` is a master with the runner as its
# child) starts it again: no manual step. Nobody is mailed twice: each recipient appears at
# most once in the SMTP sink, every message row ends sent or interrupted (in flight at the
# kill: failed, counted, never resent), and no automation step or send is recorded twice.

RECIPIENTS = int(os.environ.get("ENTERCRM_CHAOS_RECIPIENTS", "150" if ROUNDS > 1 else "40"))
ENROLMENTS = int(os.environ.get("ENTERCRM_CHAOS_ENROLMENTS", "60" if ROUNDS > 1 else "20"))


def sql(stack, statement: str) -> list[list[str]]:
    out = stack.run("db-shell", "-N", "-B", "-e", statement)
    return [line.split("\t") for line in out.splitlines() if line]


def api(http, method: str, url: str, auth: dict, body=None, ok=(200, 201)) -> dict:
    """A console call that must succeed; retried through 429 and 5xx."""
    last = None
    for _ in range(60):
        try:
            r = http.request(method, url, json=body, headers=auth, timeout=30)
            last = f"{r.status_code} {r.text[:300]}"
            if r.status_code in ok:
                return r.json() if r.content else {}
            if r.status_code not in (429, 502, 503, 504):
                break
        except requests.RequestException as e:
            last = str(e)
        time.sleep(1)
    raise AssertionError(f"{method} {url}: {last}")


def kill_runner(stack, why: str) -> int:
    runners = stack.wait_for(lambda: stack.jobs_runner_pids(), timeout=15)
    assert runners, "no job runner to kill"
    victim = next(iter(runners))
    os.kill(victim, signal.SIGKILL)
    print(f"  kill -9 job runner {victim} ({why})")
    return victim


def test_runner_killed_mid_campaign_and_mid_automation_sends_nobody_twice(stack, base):
    from aiosmtpd.controller import Controller

    from .test_campaigns import Sink, free_port

    sink = Sink()
    controller = Controller(sink, hostname=SINK_HOST, port=free_port())
    controller.start()
    ws = register(base, "127.0.0.152")
    http, auth = ws["http"], ws["auth"]
    tag = uuid.uuid4().hex[:8]
    camp_domain, auto_domain = f"camp-{tag}.example", f"auto-{tag}.example"
    master = stack.jobs_master_pid()
    killed: list[int] = []
    try:
        # The workspace's relay is the sink; a send rate that spreads the campaign over seconds.
        api(http, "PUT", f"{base}/v1/campaigns/settings", auth, {
            "smtp_host": SINK_HOST, "smtp_port": controller.port, "smtp_starttls": False,
            "from_email": "chaos@shop.example", "send_rate": max(RECIPIENTS // 5, 5)})
        for i in range(RECIPIENTS):
            api(http, "POST", f"{base}/v1/customers", auth, {"email": f"r{i}@{camp_domain}", "name": f"R {i}"}, ok=(201,))
        segment = api(http, "POST", f"{base}/v1/segments", auth, {"name": f"Chaos {tag}", "filters": {"email_domain": camp_domain}})
        assert stack.wait_for(lambda: api(http, "GET", f"{base}/v1/segments/{segment['id']}", auth).get("customers_count") == RECIPIENTS,
                              timeout=120, interval=0.5), "the segment was not built"
        campaign = api(http, "POST", f"{base}/v1/campaigns", auth, chaos_flow.campaign(f"Chaos {tag}", segment["id"]))["id"]
        automation = api(http, "POST", f"{base}/v1/automations", auth, chaos_flow.automation(f"Chaos {tag}"))["id"]
        api(http, "POST", f"{base}/v1/automations/{automation}/design", auth, chaos_flow.DESIGN)
        api(http, "POST", f"{base}/v1/automations/{automation}/activate", auth)
        time.sleep(1.5)  # the automation's cursor starts at activation

        def camp() -> list:
            return [m for m in sink.received() if m[0].endswith("@" + camp_domain)]

        def ours(what: str, tail: str = "") -> str:
            return (f"SELECT {what} FROM automation_enrolments e JOIN customers c ON c.id = e.customer_id "
                    f"WHERE e.automation_id = {automation} AND c.email LIKE '%@{auto_domain}' {tail}")

        def sends() -> int:
            return int(sql(stack, f"SELECT COUNT(*) FROM automation_messages "
                                  f"WHERE automation_id = {automation} AND recipient LIKE '%@{auto_domain}'")[0][0])

        def at_rest() -> bool:
            status = api(http, "GET", f"{base}/v1/campaigns/{campaign}", auth)["status"]
            busy = int(sql(stack, ours("COUNT(*)", "AND e.state IN ('active', 'waiting')"))[0][0])
            enrolled = int(sql(stack, ours("COUNT(*)"))[0][0])
            return status in ("sent", "failed") and busy == 0 and enrolled == ENROLMENTS

        with Writers(base, ws["keys"], label="runner") as writers:
            time.sleep(1)
            writers.phase = "kill -9 job runner mid-campaign"
            api(http, "POST", f"{base}/v1/campaigns/{campaign}/send", auth)
            assert stack.wait_for(lambda: len(camp()) >= max(RECIPIENTS // 5, 2), timeout=60), "the campaign did not start delivering"
            killed.append(kill_runner(stack, f"campaign {campaign}: {len(camp())} of {RECIPIENTS} received"))
            assert len(camp()) < RECIPIENTS, "the campaign was over before the kill"
            time.sleep(2)  # the load goes on while the supervisor brings the runner back

            writers.phase = "kill -9 job runner mid-automation"
            creating = threading.Thread(target=lambda: [
                api(http, "POST", f"{base}/v1/customers", auth, {"email": f"e{i}@{auto_domain}"}, ok=(201,))
                for i in range(ENROLMENTS)])
            creating.start()
            caught = stack.wait_for(lambda: 0 < sends() < ENROLMENTS, timeout=90, interval=0.05)
            killed.append(kill_runner(stack, f"automation {automation}: {sends()} of {ENROLMENTS} sends recorded"))
            assert caught, "no automation send caught under way"
            time.sleep(2)
            creating.join()

            # Recovery with no manual step: the supervisor started a runner, which takes over the
            # killed runner's jobs and enrolments when their leases run out.
            writers.phase = "after the runner kills"
            started = time.monotonic()
            done = stack.wait_for(at_rest, timeout=300, interval=1)
            print(f"  at rest {time.monotonic() - started:.0f} s after the second kill")
            writers.stop.set()
        assert done, "the campaign or the automation did not finish after the runner kills"
        assert alive(master) and stack.jobs_master_pid() == master
        runners = stack.jobs_runner_pids()
        assert len(runners) == 1 and not runners & set(killed), f"runners {runners}, killed {killed}"

        audit(stack, http, base, ws["keys"], writers, "runner")

        # The campaign: each recipient at most once; every row terminal; the counts add up.
        got = camp()
        per: dict[str, int] = {}
        for rcpt, _ in got:
            per[rcpt] = per.get(rcpt, 0) + 1
        twice = {r: n for r, n in per.items() if n > 1}
        statuses = dict(sql(stack, f"SELECT status, COUNT(*) FROM campaign_messages WHERE campaign_id = {campaign} GROUP BY status"))
        detail = api(http, "GET", f"{base}/v1/campaigns/{campaign}", auth)
        sent, failed = int(statuses.get("sent", 0)), int(statuses.get("failed", 0))
        print(f"  campaign {campaign}: {detail['status']}, rows {statuses}, received {len(got)} by {len(per)}, "
              f"interrupted {detail.get('total_interrupted')}")
        # The automation: steps and sends at most once per enrolment; mails at most once per recipient.
        steps_twice = sql(stack, f"SELECT enrolment_id, node_id, COUNT(*) FROM automation_steps WHERE automation_id = {automation} "
                                 "AND outcome = 'completed' GROUP BY enrolment_id, node_id HAVING COUNT(*) > 1 LIMIT 5")
        sends_twice = sql(stack, f"SELECT enrolment_id, COUNT(*) FROM automation_messages WHERE automation_id = {automation} "
                                 "GROUP BY enrolment_id HAVING COUNT(*) > 1 LIMIT 5")
        auto_mail = [m for m in sink.received() if m[0].endswith("@" + auto_domain)]
        auto_per: dict[str, int] = {}
        for rcpt, _ in auto_mail:
            auto_per[rcpt] = auto_per.get(rcpt, 0) + 1
        auto_twice = {r: n for r, n in auto_per.items() if n > 1}
        msg_states = dict(sql(stack, f"SELECT state, COUNT(*) FROM automation_messages "
                                     f"WHERE automation_id = {automation} AND recipient LIKE '%@{auto_domain}' GROUP BY state"))
        print(f"  automation {automation}: sends {msg_states}, mails {len(auto_mail)} to {len(auto_per)} recipients")
        record(stack, [(f"mid-campaign kill: recipients -> message rows ({len(got)} mails)", RECIPIENTS, sent + failed, len(twice)),
                       (f"mid-automation kill: enrolments -> sends ({len(auto_mail)} mails)", ENROLMENTS,
                        sum(int(v) for v in msg_states.values()), len(auto_twice) + len(sends_twice) + len(steps_twice))])

        assert not twice, f"recipients mailed twice by the campaign: {list(twice.items())[:5]}"
        assert detail["status"] == "sent", detail
        assert sent + failed == RECIPIENTS and set(statuses) <= {"sent", "failed"}, statuses
        assert failed == detail["total_interrupted"] and detail["total_sent"] == sent
        assert sent <= len(per) <= sent + failed, f"{len(per)} recipients received, {sent} recorded sent, {failed} interrupted"
        assert not steps_twice and not sends_twice, f"automation steps twice {steps_twice}, sends twice {sends_twice}"
        assert not auto_twice, f"recipients mailed twice by the automation: {list(auto_twice.items())[:5]}"
        terminal = int(msg_states.get("sent", 0)) + int(msg_states.get("interrupted", 0))
        assert terminal == ENROLMENTS and set(msg_states) <= {"sent", "interrupted"}, msg_states
        assert int(msg_states.get("sent", 0)) <= len(auto_per) <= terminal
    finally:
        controller.stop()
        if not stack.jobs_runner_pids():
            stack.run("jobs-start")


# ---------------------------------------------------------------------------------------
# A full disk for the database: the test stack's MariaDB datadir is a small loop-mounted
# ext4 of its own (scripts/stack.sh, ENTERCRM_DB_DISK_MB; root only). A file fills it up
# under load; requests must answer a clear 503 (JSON, Retry-After), never a 2xx for what was
# not committed, never a 500; once the file is removed, the service recovers by itself.

def fill(path: pathlib.Path) -> int:
    """Fills the file system of `path` to the last byte; returns the bytes written."""
    total = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        st = os.statvfs(path.parent)
        free = st.f_bavail * st.f_frsize
        if free > 1 << 20:
            try:
                os.posix_fallocate(fd, os.fstat(fd).st_size, free - (1 << 20))
                total += free - (1 << 20)
            except OSError:
                pass
        for chunk in (1 << 16, 4096, 512):
            block = b"\0" * chunk
            while True:
                try:
                    total += os.write(fd, block)
                except OSError:
                    break
        try:
            os.fsync(fd)
        except OSError:
            pass
    finally:
        os.close(fd)
    return total


def test_full_disk_answers_503_and_recovers_by_itself(stack, base):
    try:
        disk = pathlib.Path(stack.run("db-disk").strip())
    except AssertionError as e:
        pytest.skip(f"the database has no file system of its own to fill (needs root and a loop device): {e}")
    ws = register(base, "127.0.0.153")
    http = new_session()
    filler = disk / "chaos-filler"
    timeline: list[str] = []
    try:
        with Writers(base, ws["keys"], label="disk") as writers:
            time.sleep(2)
            writers.phase = "database disk full"
            before = len(writers.acknowledged)
            written = fill(filler)
            timeline.append(f"filled {disk} with {written >> 20} MB; {shutil.disk_usage(disk).free} bytes free")
            deadline = time.monotonic() + 40
            while writers.statuses.get("503 disk full", 0) < 10 and time.monotonic() < deadline:
                fill(filler)  # whatever the server freed (a temporary table, a purge) is taken again
                time.sleep(0.5)
            refused = writers.statuses.get("503 disk full", 0)
            timeline.append(f"503 (disk full) answers: {refused}; acknowledged while filling: {len(writers.acknowledged) - before}")
            time.sleep(3)
            stuck = len(writers.acknowledged)
            writers.phase = "database disk freed"
            filler.unlink()
            freed_at = time.monotonic()
            recovered = stack.wait_for(lambda: len(writers.acknowledged) >= stuck + 50, timeout=60, interval=0.1)
            timeline.append(f"freed; {len(writers.acknowledged) - stuck} acknowledged within {time.monotonic() - freed_at:.1f} s")
            writers.phase = "after the disk-full fault"
            time.sleep(3)
            writers.stop.set()
    finally:
        filler.unlink(missing_ok=True)
    print("; ".join(timeline))
    print(f"statuses: {writers.statuses}")
    assert refused >= 10, f"the full disk gave no 503 naming the disk: {writers.statuses}"
    assert recovered, f"no recovery within 60 s of freeing the disk: {writers.statuses}"
    assert "500" not in writers.statuses, f"500 answers during the disk-full fault: {writers.statuses}"
    audit(stack, http, base, ws["keys"], writers, "disk")
