#!/usr/bin/env python3
"""make cluster-chaos: faults on the cluster of scripts/cluster.sh under a mixed load, then
an audit that every acknowledged write is present exactly once, on every node.

Load (threads, through nginx over both pools):
  - writers: POST /v1/track/event, each with a fresh message_id, on a small set of customers
    (so concurrent transactions on different nodes touch the same aggregate rows). A request
    that gets no 200 is sent again later with the same message_id, like a real client; only
    a 200 counts as acknowledged.
  - creators: POST /v1/customers with a fresh email (201 = acknowledged).
  - readers: GET /v1/customers and GET /v1/customers/{id}.

Faults, one after another, each followed by a pause under load:
  1. kill -9 database node 1 (where every pool connection starts), then start it again:
     it rejoins by state transfer (IST from a donor's gcache, or SST).
  2. kill -9 application pool 1 (master and workers: a host lost), then start it again.
  3. kill -9 the job runner of application 1 while jobs are queued, then start it again.

Audit (on each of the three nodes, so replication is checked too):
  - every acknowledged message_id is stored exactly once; nothing unacknowledged that a
    client never retried is counted against it (retries may legitimately have landed);
  - every acknowledged customer email exists exactly once;
  - each customer's events_count equals its events (aggregates and events committed together);
  - the jobs queue drains: no job left running past its lease, none failed;
  - campaign messages and automation steps: see audit_campaigns / audit_automations (they
    run when those tables exist, i.e. once the campaigns and automations branches are merged).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import threading
import time
import uuid

import requests
import urllib3

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from e2e import chaos_flow  # noqa: E402  (the campaign and automation test_chaos.py sends too)
from e2e.support import SINK_HOST  # noqa: E402  (the SMTP sink on the address the outbound guard allows)

urllib3.disable_warnings()
# What a request may fail with. The warning: aiosmtpd (the SMTP sink of fault 4) turns every
# warning into an error for an instant, process-wide (warnings.catch_warnings is not
# thread-safe), and the self-signed certificate's InsecureRequestWarning then raises in
# whichever thread is connecting, before its request is sent.
REQUEST_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPWarning)

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLUSTER = str(ROOT / "scripts" / "cluster.sh")


def sh(*args: str, timeout: float = 300) -> str:
    done = subprocess.run([CLUSTER, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"cluster.sh {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def node_sql(node: int, sql: str) -> list[list[str]]:
    done = subprocess.run([CLUSTER, "node-shell", str(node), "-N", "-B", "-e", sql],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"SQL on node {node} failed: {done.stderr}")
    return [line.split("\t") for line in done.stdout.splitlines() if line]


def session() -> requests.Session:
    s = requests.Session()
    s.verify = False
    s.trust_env = False
    return s


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def add(self, key: str) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1


class LoadGen:
    def __init__(self, base: str, keys: list[str], writers: int, creators: int, readers: int) -> None:
        self.base = base
        self.keys = keys
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked_events: dict[str, str] = {}  # message_id -> customer email
        self.phase = "before the faults"
        self.event_phase: dict[str, str] = {}  # message_id -> phase when it was first sent
        self.sent_events: set[str] = set()
        self.acked_customers: set[str] = set()
        self.customer_ids: list[int] = []
        self.stats = Stats()
        self.threads = [threading.Thread(target=self.writer, args=(i,), daemon=True) for i in range(writers)]
        self.threads += [threading.Thread(target=self.creator, args=(i,), daemon=True) for i in range(creators)]
        self.threads += [threading.Thread(target=self.reader, args=(i,), daemon=True) for i in range(readers)]
        self.emails = [f"chaos{n}@example.com" for n in range(12)]

    def key(self) -> dict[str, str]:
        return {"X-API-Key": random.choice(self.keys)}

    def post(self, s: requests.Session, path: str, body: dict) -> int | None:
        try:
            r = s.post(f"{self.base}{path}", json=body, headers=self.key(), timeout=15)
            self.stats.add(f"{path} {r.status_code}")
            if r.status_code in (200, 201):
                return r.status_code
            if r.status_code == 429:
                time.sleep(0.5)
            return None
        except REQUEST_ERRORS:
            self.stats.add(f"{path} no answer")
            return None

    def writer(self, index: int) -> None:
        s = session()
        pending: list[tuple[str, dict]] = []  # unacknowledged: sent again, same message_id
        while not self.stop.is_set() or pending:
            if pending and (self.stop.is_set() or random.random() < 0.5):
                mid, body = pending.pop(0)
            else:
                if self.stop.is_set():
                    break
                mid = f"chaos-{uuid.uuid4().hex}"
                email = random.choice(self.emails)
                body = {"customer_email": email, "event": "purchase", "message_id": mid,
                        "properties": {"amount": 10, "currency": "EUR"}}
            with self.lock:
                self.sent_events.add(mid)
                self.event_phase.setdefault(mid, self.phase)
            if self.post(s, "/v1/track/event", body):
                with self.lock:
                    self.acked_events[mid] = body["customer_email"]
            else:
                pending.append((mid, body))
                time.sleep(0.2)
                s.close()
                s = session()
            if self.stop.is_set() and pending:
                # Drain: after the load stops, unacknowledged events are retried for a while.
                if time.monotonic() > self.drain_deadline:
                    self.stats.add("given up after retries")
                    break

    def creator(self, index: int) -> None:
        s = session()
        while not self.stop.is_set():
            email = f"new-{uuid.uuid4().hex[:12]}@example.com"
            if self.post(s, "/v1/customers", {"email": email, "name": "Chaos Test"}):
                with self.lock:
                    self.acked_customers.add(email)
            else:
                time.sleep(0.2)
                s.close()
                s = session()

    def reader(self, index: int) -> None:
        s = session()
        while not self.stop.is_set():
            try:
                r = s.get(f"{self.base}/v1/customers?per_page=5", headers=self.key(), timeout=15)
                self.stats.add(f"GET /v1/customers {r.status_code}")
                if r.status_code == 200 and r.json()["data"]:
                    cid = r.json()["data"][0]["id"]
                    r = s.get(f"{self.base}/v1/customers/{cid}", headers=self.key(), timeout=15)
                    self.stats.add(f"GET /v1/customers/id {r.status_code}")
            except REQUEST_ERRORS:
                self.stats.add("GET no answer")
                s.close()
                s = session()
            time.sleep(0.05)

    def start(self) -> None:
        self.drain_deadline = float("inf")
        for t in self.threads:
            t.start()

    def finish(self, drain_seconds: float = 30) -> None:
        self.drain_deadline = time.monotonic() + drain_seconds
        self.stop.set()
        for t in self.threads:
            t.join(drain_seconds + 20)


def make_workspace(base: str, nkeys: int) -> tuple[dict, list[str]]:
    s = session()
    email = f"chaos-{uuid.uuid4().hex[:10]}@company.com"
    for _ in range(10):
        r = s.post(f"{base}/v1/auth/register", json={
            "name": "Chaos Monkey", "email": email, "password": "secret123", "workspace_name": "Chaos"})
        if r.status_code != 429:
            break
        time.sleep(6)
    assert r.status_code == 201, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    keys = []
    for n in range(nkeys):
        k = s.post(f"{base}/v1/api-keys", json={"name": f"chaos {n}"}, headers=auth)
        assert k.status_code == 201, k.text
        keys.append(k.json()["key"])
    me = s.get(f"{base}/v1/auth/me", headers=auth)
    tenant = None
    if me.status_code == 200:
        body = me.json()
        for path in (("workspace", "id"), ("data", "workspace", "id"), ("tenant", "id")):
            v = body
            for p in path:
                v = v.get(p) if isinstance(v, dict) else None
            if isinstance(v, int):
                tenant = v
                break
    return auth, keys


def tenant_of(email: str) -> int:
    rows = node_sql(1, f"SELECT m.tenant_id FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.email = '{email}'")
    return int(rows[0][0])


def phase(name: str) -> None:
    print(f"\n== {time.strftime('%H:%M:%S')} {name}", flush=True)


RUN_TAG = uuid.uuid4().hex[:12]


def orphan_jobs(n: int, lease_seconds: int) -> None:
    """Jobs as a runner that died mid-job leaves them: running, leased by nobody alive.
    When the lease runs out another runner must take each over exactly once."""
    values = ",".join([f"('system.prune_jobs', '{{\"chaos\": \"{RUN_TAG}\"}}', 'running', 1, 'chaos-dead-runner/0', UTC_TIMESTAMP(6) + INTERVAL {lease_seconds} SECOND, "
                       "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"] * n)
    node_sql(3, "INSERT INTO jobs (kind, payload, status, attempts, locked_by, locked_until, run_at, created_at, updated_at) "
                f"VALUES {values}")


def enqueue_jobs(n: int) -> None:
    """Jobs of a harmless kind (the weekly prune) so that a runner has work when it is killed."""
    values = ",".join(["('system.prune_jobs', '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"] * n)
    node_sql(2, f"INSERT INTO jobs (kind, payload, run_at, created_at, updated_at) VALUES {values}")


# Audits of features on other branches: each runs when its tables exist.
def table_exists(table: str) -> bool:
    return bool(node_sql(1, f"SHOW TABLES LIKE '{table}'"))


def audit_campaigns(tenant: int) -> list[str]:
    """No campaign message twice, on any node: one row per (campaign, customer)."""
    problems = []
    for node in (1, 2, 3):
        dup = node_sql(node, "SELECT campaign_id, customer_id, COUNT(*) FROM campaign_messages "
                             "GROUP BY campaign_id, customer_id HAVING COUNT(*) > 1 LIMIT 5")
        if dup:
            problems.append(f"node {node}: campaign_messages: messages twice: {dup}")
    return problems


def audit_automations(tenant: int) -> list[str]:
    """No automation step completed twice for one enrolment, and no send recorded twice."""
    problems = []
    for node in (1, 2, 3):
        dup = node_sql(node, "SELECT enrolment_id, node_id, COUNT(*) FROM automation_steps WHERE outcome = 'completed' "
                             f"AND tenant_id = {tenant} GROUP BY enrolment_id, node_id HAVING COUNT(*) > 1 LIMIT 5")
        sends = node_sql(node, "SELECT enrolment_id, COUNT(*) FROM automation_messages "
                               f"WHERE tenant_id = {tenant} GROUP BY enrolment_id HAVING COUNT(*) > 1 LIMIT 5")
        if dup or sends:
            problems.append(f"node {node}: automation steps twice {dup}, sends twice {sends}")
    return problems


# ---------------------------------------------------------------------------------------
# Fault 4: kill -9 the job runner that is delivering a campaign (and advancing an
# automation with a send step), start it again, and audit that nobody got anything twice.

class SMTPSink:
    """A local SMTP relay (aiosmtpd on loopback) that records every RCPT and Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []  # (recipient, Message-ID)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        msg = email.message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received.append((rcpt.lower(), str(msg.get("Message-ID", ""))))
        return "250 OK queued"

    def for_domain(self, domain: str) -> list[tuple[str, str]]:
        with self.lock:
            return [r for r in self.received if r[0].endswith("@" + domain)]


def start_sink() -> tuple[SMTPSink, object, int]:
    import socket
    from aiosmtpd.controller import Controller
    with socket.socket() as sock:
        sock.bind((SINK_HOST, 0))
        port = sock.getsockname()[1]
    sink = SMTPSink()
    controller = Controller(sink, hostname=SINK_HOST, port=port)
    controller.start()
    return sink, controller, port


def api(s: requests.Session, method: str, url: str, auth: dict, body: dict | None = None, ok=(200, 201)) -> dict:
    """A console call (bearer token) that must succeed; retried through the faults."""
    last = None
    for attempt in range(30):
        try:
            r = s.request(method, url, json=body, headers=auth, timeout=20)
            last = r
            if r.status_code in ok:
                return r.json() if r.content else {}
            if r.status_code not in (429, 502, 503, 504):
                break
        except REQUEST_ERRORS as e:
            last = e
        time.sleep(1)
    raise RuntimeError(f"{method} {url} failed: {getattr(last, 'status_code', last)} {getattr(last, 'text', '')[:500]}")


def create_customers(base: str, auth: dict, emails: list[str], threads: int = 4) -> list[int]:
    ids: list[int] = []
    lock = threading.Lock()
    todo = list(emails)

    def work() -> None:
        s = session()
        while True:
            with lock:
                if not todo:
                    return
                e = todo.pop()
            body = api(s, "POST", f"{base}/v1/customers", auth, {"email": e, "name": e.split("@")[0]}, ok=(201,))
            with lock:
                ids.append(body["id"])
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return ids


def runner_pids() -> dict[int, int]:
    """pid of each application's job runner -> application number."""
    out = {}
    for a in (1, 2):
        f = ROOT / ".run" / "cluster" / f"app{a}" / "jobs.pid"
        try:
            master = int(f.read_text().strip())
        except (OSError, ValueError):
            continue
        out[master] = a
        # `entercrm jobs` is a supervising master; the runner (whose pid is in locked_by) is its child.
        kids = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        for k in kids:
            out[int(k)] = a
    return out


def runner_running(kind: str) -> int | None:
    """The application whose job runner holds a running job of this kind."""
    rows = node_sql(1, f"SELECT locked_by FROM jobs WHERE kind = '{kind}' AND status = 'running' AND locked_until > UTC_TIMESTAMP(6)")
    pids = runner_pids()
    for (owner,) in rows:
        parts = owner.split(":")
        if len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) in pids:
            return pids[int(parts[1])]
    return None


def kill_runner(app: int, why: str) -> None:
    print(f"  kill -9 the job runner of app {app} ({why})")
    sh("jobs-kill", str(app))


class MailFlow:
    """Fault 4's campaign and automation, and their audit."""

    def __init__(self, base: str, auth: dict, tenant: int, recipients: int, enrolments: int) -> None:
        self.base, self.auth, self.tenant = base, auth, tenant
        self.s = session()
        self.recipients, self.enrolments = recipients, enrolments
        self.camp_domain = f"camp-{RUN_TAG}.example"
        self.auto_domain = f"auto-{RUN_TAG}.example"
        self.sink, self.controller, self.port = start_sink()
        self.campaign_id = 0
        self.automation_id = 0
        self.killed: list[str] = []

    def prepare(self) -> None:
        b, a = self.base, self.auth
        # Relay: the workspace's own settings (they win over ENTERCRM_SMTP_*), the sink on
        # loopback without STARTTLS; a send rate that spreads the campaign over seconds.
        api(self.s, "PUT", f"{b}/v1/campaigns/settings", a, {
            "smtp_host": SINK_HOST, "smtp_port": self.port, "smtp_starttls": False,
            "from_email": "chaos@shop.example", "send_rate": 40})
        t = time.monotonic()
        create_customers(b, a, [f"r{i}@{self.camp_domain}" for i in range(self.recipients)])
        print(f"  {self.recipients} customers @{self.camp_domain} created in {time.monotonic() - t:.1f} s")
        seg = api(self.s, "POST", f"{b}/v1/segments", a, {"name": f"Chaos {RUN_TAG}", "filters": {"email_domain": self.camp_domain}})
        deadline = time.monotonic() + 120
        while True:
            d = api(self.s, "GET", f"{b}/v1/segments/{seg['id']}", a)
            if d.get("status") == "ready" and d.get("customers_count") == self.recipients:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"segment not built: {d.get('status')} {d.get('customers_count')}")
            time.sleep(0.5)
        print(f"  segment {seg['id']} built by the evaluator: {d['customers_count']} members")
        self.segment_id = seg["id"]
        c = api(self.s, "POST", f"{b}/v1/campaigns", a, chaos_flow.campaign(f"Chaos {RUN_TAG}", seg["id"]))
        self.campaign_id = c["id"]
        # The automation: customer created -> tag -> send an email -> tag.
        m = api(self.s, "POST", f"{b}/v1/automations", a, chaos_flow.automation(f"Chaos {RUN_TAG}"))
        self.automation_id = m["id"]
        api(self.s, "POST", f"{b}/v1/automations/{m['id']}/design", a, chaos_flow.DESIGN)
        api(self.s, "POST", f"{b}/v1/automations/{m['id']}/activate", a)
        print(f"  campaign {self.campaign_id} (draft) and automation {self.automation_id} (active, send step) ready")

    def run(self) -> None:
        b, a = self.base, self.auth
        time.sleep(1.5)  # the automation's cursor starts at activation
        # Customers that the automation enrols, created while the campaign sends.
        creating = threading.Thread(target=create_customers,
                                    args=(b, a, [f"e{i}@{self.auto_domain}" for i in range(self.enrolments)], 2))
        creating.start()
        sent = api(self.s, "POST", f"{b}/v1/campaigns/{self.campaign_id}/send", a)
        print(f"  campaign {self.campaign_id} send: {sent.get('status')}, {sent.get('queued_messages')} messages queued")
        deadline = time.monotonic() + 60
        while len(self.sink.for_domain(self.camp_domain)) < self.recipients // 5:
            if time.monotonic() > deadline:
                raise RuntimeError("the campaign did not start delivering")
            time.sleep(0.05)
        app = None
        while app is None and time.monotonic() < deadline:
            app = runner_running("campaigns.deliver")
            if app is None:
                time.sleep(0.05)
        app = app or 1
        status = api(self.s, "GET", f"{b}/v1/campaigns/{self.campaign_id}", a)["status"]
        got = len(self.sink.for_domain(self.camp_domain))
        kill_runner(app, f"delivering campaign {self.campaign_id}: status {status}, {got} of {self.recipients} received")
        self.killed.append(f"app {app} mid-campaign ({got}/{self.recipients} received, status {status})")
        time.sleep(1)
        sh("jobs-start", str(app))
        # The automation's engine: kill the runner that holds its tick while it enrols and sends.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            n = int(node_sql(1, f"SELECT COUNT(*) FROM automation_messages WHERE automation_id = {self.automation_id} "
                                f"AND recipient LIKE '%@{self.auto_domain}'")[0][0])
            app = runner_running("automations.tick")
            if n >= 5 and app:
                kill_runner(app, f"advancing automation {self.automation_id}: {n} of {self.enrolments} sends to the fault 4 customers recorded")
                self.killed.append(f"app {app} mid-automation ({n} sends recorded)")
                time.sleep(1)
                sh("jobs-start", str(app))
                break
            time.sleep(0.05)
        else:
            print("  (no automations.tick caught running with sends under way: no runner killed for it)")
        creating.join()

    def wait(self) -> None:
        b, a = self.base, self.auth
        deadline = time.monotonic() + 240
        while True:
            c = api(self.s, "GET", f"{b}/v1/campaigns/{self.campaign_id}", a)
            pending, enrolled = (int(v or 0) for v in node_sql(1, self.ours("COUNT(IF(e.state IN ('active', 'waiting'), 1, NULL)), COUNT(*)"))[0])
            if c["status"] in ("sent", "failed") and pending == 0 and enrolled >= self.enrolments:
                break
            if time.monotonic() > deadline:
                print(f"  timed out: campaign {c['status']}, enrolments {enrolled}, still active {pending}")
                break
            time.sleep(1)
        print(f"  campaign {self.campaign_id}: {c['status']}; automation {self.automation_id}: {enrolled} enrolments, {pending} still active")

    def ours(self, what: str, tail: str = "") -> str:
        """SQL over the enrolments of the customers created for fault 4 (the load's creators
        add customers all along, and the automation enrols those too)."""
        return (f"SELECT {what} FROM automation_enrolments e JOIN customers c ON c.id = e.customer_id AND c.tenant_id = e.tenant_id "
                f"WHERE e.automation_id = {self.automation_id} AND c.email LIKE '%@{self.auto_domain}' {tail}")

    def audit(self) -> tuple[list[str], dict]:
        problems: list[str] = []
        cid, aid = self.campaign_id, self.automation_id
        c = api(self.s, "GET", f"{self.base}/v1/campaigns/{cid}", self.auth)
        got = self.sink.for_domain(self.camp_domain)
        per = {}
        for rcpt, _ in got:
            per[rcpt] = per.get(rcpt, 0) + 1
        dup = {r: n for r, n in per.items() if n > 1}
        mids = [m for _, m in got]
        statuses = dict(node_sql(1, f"SELECT status, COUNT(*) FROM campaign_messages WHERE campaign_id = {cid} GROUP BY status"))
        rows = sum(int(v) for v in statuses.values())
        sent = int(statuses.get("sent", 0))
        failed = int(statuses.get("failed", 0))
        terminal = {"sent", "failed", "bounced", "opened", "clicked", "unsubscribed"}
        open_rows = {k: v for k, v in statuses.items() if k not in terminal}
        interrupted = int(node_sql(1, f"SELECT interrupted FROM campaigns WHERE id = {cid}")[0][0])
        camp = {"recipients": self.recipients, "message rows": rows, "received": len(got), "distinct recipients": len(per),
                "duplicates": len(dup), "sent": sent, "interrupted (failed, not resent)": interrupted,
                "status": c["status"], "total_sent": c.get("total_sent")}
        print(f"  campaign {cid}: {camp}")
        print(f"    message rows by status: {statuses}")
        if dup:
            problems.append(f"campaign {cid}: recipients who received two messages: {list(dup.items())[:5]}")
        if len(set(mids)) != len(mids):
            problems.append(f"campaign {cid}: a Message-ID arrived twice")
        if open_rows:
            problems.append(f"campaign {cid}: messages not in a terminal state: {open_rows}")
        if rows != self.recipients:
            problems.append(f"campaign {cid}: {rows} message rows for {self.recipients} recipients")
        if c["status"] != "sent":
            problems.append(f"campaign {cid} ended {c['status']}")
        if failed != interrupted or sent + interrupted != rows:
            problems.append(f"campaign {cid}: totals do not add up: sent {sent} + interrupted {interrupted} != rows {rows} (failed {failed})")
        # Every message recorded sent arrived; an interrupted one may or may not have.
        if not (sent <= len(per) <= sent + interrupted):
            problems.append(f"campaign {cid}: {len(per)} recipients received, {sent} recorded sent, {interrupted} interrupted")
        if c.get("total_sent") != sent:
            problems.append(f"campaign {cid}: total_sent {c.get('total_sent')} but {sent} rows sent")

        # The automation: steps and sends, at most once per enrolment. The load has stopped;
        # the enrolments of its last customers finish first, so that the mailbox and the
        # send rows are compared at rest.
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            busy = int(node_sql(1, f"SELECT COUNT(*) FROM automation_enrolments WHERE automation_id = {aid} "
                                   "AND state IN ('active', 'waiting')")[0][0])
            if busy == 0:
                break
            time.sleep(1)
        time.sleep(1)
        enrol = dict(node_sql(1, self.ours("e.state, COUNT(*)", "GROUP BY e.state")))
        every = dict(node_sql(1, f"SELECT state, COUNT(*) FROM automation_enrolments WHERE automation_id = {aid} GROUP BY state"))
        steps = int(node_sql(1, f"SELECT COUNT(*) FROM automation_steps WHERE automation_id = {aid} AND outcome = 'completed'")[0][0])
        twice = node_sql(1, f"SELECT enrolment_id, node_id, COUNT(*) FROM automation_steps WHERE automation_id = {aid} "
                            "AND outcome = 'completed' GROUP BY enrolment_id, node_id HAVING COUNT(*) > 1 LIMIT 5")
        msgs = dict(node_sql(1, f"SELECT state, COUNT(*) FROM automation_messages WHERE automation_id = {aid} GROUP BY state"))
        msg_twice = node_sql(1, f"SELECT enrolment_id, COUNT(*) FROM automation_messages WHERE automation_id = {aid} "
                                "GROUP BY enrolment_id HAVING COUNT(*) > 1 LIMIT 5")
        # What left the system. Automation mail goes through the campaigns delivery: to the
        # workspace's relay (this sink; every recipient outside the campaign's domain is the
        # automation's) or, with none, to the development mailbox the two hosts share.
        files: dict[str, int] = {}
        nfiles = 0
        with self.sink.lock:
            relayed = [r for r, _ in self.sink.received if not r.endswith("@" + self.camp_domain)]
        for r in relayed:
            nfiles += 1
            files[r] = files.get(r, 0) + 1
        for d in (ROOT / ".run" / "cluster" / "mail",):
            for f in d.glob(f"automation-a{aid}-*.eml") if d.is_dir() else []:
                nfiles += 1
                for line in f.read_text(errors="replace").splitlines():
                    if line.startswith("To: "):
                        files[line[4:].strip().lower()] = files.get(line[4:].strip().lower(), 0) + 1
                        break
        mdup = {r: n for r, n in files.items() if n > 1}
        auto = {"enrolments": sum(int(v) for v in every.values()), "states (all)": every, "states (created for fault 4)": enrol,
                "completed steps": steps,
                "steps twice": len(twice), "send rows": msgs, "mails delivered": nfiles, "recipients mailed twice": len(mdup)}
        print(f"  automation {aid}: {auto}")
        if twice:
            problems.append(f"automation {aid}: steps recorded twice: {twice}")
        if msg_twice or mdup:
            problems.append(f"automation {aid}: sends twice: rows {msg_twice} mailbox {list(mdup.items())[:5]}")
        ours = sum(int(v) for v in enrol.values())
        if ours != self.enrolments:
            problems.append(f"automation {aid}: {ours} enrolments for the {self.enrolments} customers created")
        if set(enrol) - {"completed"}:
            problems.append(f"automation {aid}: enrolments of the fault 4 customers not completed: {enrol}")
        # Sends of enrolments still under way (the load's newest customers) may be 'sending';
        # every mail that left is recorded, and none is recorded without having been tried.
        sent_rows = int(msgs.get("sent", 0))
        if nfiles < sent_rows or nfiles > sent_rows + int(msgs.get("interrupted", 0)) + int(msgs.get("sending", 0)):
            problems.append(f"automation {aid}: {nfiles} mails for {msgs}")
        ours_sent = int(node_sql(1, self.ours("COUNT(*)", "AND EXISTS (SELECT 1 FROM automation_messages m WHERE m.enrolment_id = e.id "
                                                          "AND m.state IN ('sent', 'interrupted'))"))[0][0])
        auto["fault 4 customers mailed (sent or interrupted)"] = ours_sent
        if ours_sent != self.enrolments:
            problems.append(f"automation {aid}: {ours_sent} of the {self.enrolments} fault 4 customers have a terminal send")
        self.controller.stop()
        return problems, {"campaign": camp, "automation": auto}


def audit(load: LoadGen, tenant: int) -> list[str]:
    problems: list[str] = []
    per_node: dict[int, dict[str, int]] = {}
    for node in (1, 2, 3):
        rows = node_sql(node, f"SELECT message_id, COUNT(*) FROM events WHERE tenant_id = {tenant} AND message_id LIKE 'chaos-%' GROUP BY message_id")
        stored = {m: int(c) for m, c in rows}
        per_node[node] = stored
        missing = [m for m in load.acked_events if m not in stored]
        twice = {m: c for m, c in stored.items() if c != 1}
        stray = [m for m in stored if m not in load.sent_events]
        print(f"  node {node}: {len(stored)} chaos events stored; acknowledged {len(load.acked_events)}; "
              f"missing {len(missing)}; stored more than once {len(twice)}; never sent {len(stray)}")
        if missing:
            problems.append(f"node {node}: {len(missing)} acknowledged events missing, e.g. {missing[:3]}")
        if twice or stray:
            problems.append(f"node {node}: duplicates {list(twice.items())[:3]} stray {stray[:3]}")

        emails = {r[0]: int(r[1]) for r in node_sql(node, f"SELECT email, COUNT(*) FROM customers WHERE tenant_id = {tenant} AND email LIKE 'new-%' GROUP BY email")}
        cmissing = [e for e in load.acked_customers if e not in emails]
        print(f"  node {node}: created customers acknowledged {len(load.acked_customers)}, missing {len(cmissing)}")
        if cmissing:
            problems.append(f"node {node}: {len(cmissing)} acknowledged customers missing")

        mismatched = node_sql(node, f"""
            SELECT c.email, c.events_count, COUNT(e.id) FROM customers c
            LEFT JOIN events e ON e.tenant_id = c.tenant_id AND e.customer_id = c.id
            WHERE c.tenant_id = {tenant} GROUP BY c.id HAVING c.events_count <> COUNT(e.id)""")
        if mismatched:
            problems.append(f"node {node}: events_count differs from the events: {mismatched[:3]}")

    # Per fault: the writes acknowledged while it was under way, and how many of those are
    # stored on every node (found on all three), and stored more than once (on any node).
    phases: list[str] = []
    for p in load.event_phase.values():
        if p not in phases:
            phases.append(p)
    print("\n  fault                                                   acknowledged   found (3 nodes)   duplicates")
    for p in phases:
        acked = [m for m in load.acked_events if load.event_phase.get(m) == p]
        found = sum(1 for m in acked if all(m in per_node[n] for n in (1, 2, 3)))
        dups = sum(1 for m in acked if any(per_node[n].get(m, 0) > 1 for n in (1, 2, 3)))
        print(f"  {p[:55]:<55} {len(acked):>12} {found:>17} {dups:>12}")
    print()
    for node in (1, 2, 3):
        status = dict(node_sql(node, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts', 'wsrep_cluster_size', 'wsrep_local_state_comment')"))
        print(f"  node {node}: {status.get('wsrep_local_state_comment')}, cluster size {status.get('wsrep_cluster_size')}, "
              f"certification failures {status.get('wsrep_local_cert_failures')}, brute-force aborts {status.get('wsrep_local_bf_aborts')} "
              "(conflicts between nodes, each retried by the application)")

    # The job runners keep writing customers (automation steps, segment marks) after the load
    # stops, and a node applies what it certified a moment later: compare once at rest, up to
    # 60 s, with each node caught up (wsrep_sync_wait) before it answers.
    checksums: set = set()
    deadline = time.monotonic() + 60
    while True:
        checksums = set()
        for node in (1, 2, 3):
            checksums.add(tuple(r[1] for r in node_sql(node, "SET SESSION wsrep_sync_wait = 15; CHECKSUM TABLE events, customers")))
        if len(checksums) == 1 or time.monotonic() > deadline:
            break
        time.sleep(3)
    print(f"  CHECKSUM TABLE events, customers identical on the 3 nodes: {len(checksums) == 1}")
    if len(checksums) != 1:
        problems.append(f"the nodes differ: {checksums}")

    # The runner killed mid-job leaves its job 'running' until the lease runs out; then any
    # runner takes it over. Queued jobs must drain; a running one must still be leased.
    deadline = time.monotonic() + 60
    while True:
        queued = node_sql(1, "SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND run_at <= UTC_TIMESTAMP(6)")[0][0]
        if queued == "0" or time.monotonic() > deadline:
            break
        time.sleep(1)
    running = node_sql(1, "SELECT id, locked_by, locked_until > UTC_TIMESTAMP(6) - INTERVAL 5 SECOND FROM jobs WHERE status = 'running'")
    expired = [r for r in running if r[2] != "1"]
    failed = node_sql(1, "SELECT COUNT(*) FROM jobs WHERE status = 'failed'")[0][0]
    done = node_sql(1, "SELECT COUNT(*), MAX(attempts) FROM jobs WHERE kind = 'system.prune_jobs' AND status = 'succeeded'")[0]
    print(f"  jobs: queued and due {queued}; running {len(running)} (leased, awaiting lease expiry: "
          f"{len(running) - len(expired)}); succeeded prune jobs {done[0]} (max attempts {done[1]}); failed {failed}")
    orphans = node_sql(1, "SELECT status, attempts, COALESCE(locked_by, '') FROM jobs WHERE kind = 'system.prune_jobs' "
                          f"AND payload = '{{\"chaos\": \"{RUN_TAG}\"}}'")
    taken_over = [r for r in orphans if r[0] == "succeeded" and r[1] == "2"]
    print(f"  jobs left by a dead runner mid-job: {len(taken_over)} of 5 taken over after their lease and run once more (attempts 2)")
    if len(taken_over) < 5 or len(orphans) != len(taken_over):
        problems.append(f"orphaned jobs not taken over exactly once: {orphans}")
    if queued != "0":
        problems.append(f"{queued} due jobs did not drain")
    if expired:
        problems.append(f"jobs running past their lease: {expired[:3]}")
    if failed != "0":
        problems.append(f"{failed} failed jobs")

    problems += audit_campaigns(tenant)
    problems += audit_automations(tenant)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=f"https://127.0.0.1:{int(os.environ.get('CLUSTER_PORT_BASE', '41000')) + 443}")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--creators", type=int, default=1)
    parser.add_argument("--readers", type=int, default=1)
    parser.add_argument("--pause", type=float, default=4, help="seconds under load between faults")
    parser.add_argument("--recipients", type=int, default=300, help="fault 4: the campaign's audience")
    parser.add_argument("--enrolments", type=int, default=120, help="fault 4: customers the automation enrols")
    args = parser.parse_args()

    phase("workspace and API keys")
    auth, keys = make_workspace(args.base, nkeys=12)
    rows = node_sql(1, "SELECT tenant_id FROM api_keys ORDER BY id DESC LIMIT 1")
    tenant = int(rows[0][0])
    print(f"  tenant {tenant}, {len(keys)} keys")

    flow = MailFlow(args.base, auth, tenant, args.recipients, args.enrolments)
    phase(f"campaign and automation for fault 4 (SMTP sink on 127.0.0.1:{flow.port})")
    flow.prepare()

    load = LoadGen(args.base, keys, args.writers, args.creators, args.readers)
    load.start()
    started = time.monotonic()
    time.sleep(args.pause)

    load.phase = "1: kill -9 database node 1, restart (IST/SST)"
    phase("fault 1: kill -9 database node 1 (pool 1 writes through it; pool 2 through node 2)")
    sh("node-kill", "1")
    time.sleep(args.pause)
    phase("node 1 starts again and rejoins by state transfer")
    t = time.monotonic()
    try:
        sh("node-start", "1")
    except RuntimeError as e:
        # The IST/SST listener binds 127.0.0.1:BASE+314, inside the kernel's ephemeral port
        # range (32768-60999): a client connection that happens to hold that local port makes
        # the joiner's socat fail ("Address already in use"). Say so, and start it once more.
        if "Address already in use" not in (ROOT / ".run" / "cluster" / "node1" / "mariadbd.log").read_text(errors="replace")[-200000:]:
            raise
        print(f"  node 1's state transfer listener found its port taken (ephemeral port collision); starting it again")
        sh("node-start", "1")
    print(f"  node 1 Synced after {time.monotonic() - t:.1f} s")
    log = (ROOT / ".run" / "cluster" / "node1" / "mariadbd.log").read_text(errors="replace")
    since = log[log.rfind("State transfer required"):] if "State transfer required" in log else ""
    kinds = [k for k, mark in (("SST (mariabackup)", "SST completed on joiner"), ("IST", "Receiving IST")) if mark in since]
    print(f"  state transfer: {' then '.join(kinds) or 'none needed'} (node1/mariadbd.log)")
    time.sleep(args.pause)

    load.phase = "2: kill -9 application pool 1, restart"
    phase("fault 2: kill -9 application pool 1 (master and workers)")
    sh("pool-kill", "1")
    time.sleep(args.pause)
    phase("pool 1 starts again")
    sh("pool-start", "1")
    time.sleep(args.pause)

    load.phase = "3: kill -9 job runner 1 with jobs queued"
    phase("fault 3: kill -9 the job runner of application 1 with jobs queued")
    enqueue_jobs(40)
    orphan_jobs(5, lease_seconds=3)
    time.sleep(0.5)
    sh("jobs-kill", "1")
    time.sleep(args.pause)
    sh("jobs-start", "1")
    time.sleep(args.pause)

    load.phase = "4: kill -9 the runner mid-campaign / mid-automation"
    phase(f"fault 4: kill -9 the job runner delivering campaign {flow.campaign_id} ({args.recipients} recipients) "
          f"and the one advancing automation {flow.automation_id} ({args.enrolments} enrolments)")
    flow.run()
    flow.wait()
    load.phase = "after the faults"
    time.sleep(args.pause)

    phase("load stops; unacknowledged events are retried")
    load.finish()
    elapsed = time.monotonic() - started
    for k, v in sorted(load.stats.counts.items()):
        print(f"  {k}: {v}")
    print(f"  {sum(load.stats.counts.values())} requests in {elapsed:.0f} s")

    phase("audit")
    problems = audit(load, tenant)
    phase("audit of fault 4: campaign messages and automation steps")
    flow_problems, figures = flow.audit()
    problems += flow_problems
    print(f"  runners killed: {'; '.join(flow.killed)}")
    c, a = figures["campaign"], figures["automation"]
    print(f"  campaign:   recipients {c['recipients']}, messages received {c['received']} by {c['distinct recipients']} recipients, "
          f"duplicates {c['duplicates']} (sent {c['sent']}, interrupted {c['interrupted (failed, not resent)']})")
    print(f"  automation: enrolments {a['enrolments']}, completed steps {a['completed steps']}, steps twice {a['steps twice']}, "
          f"mails {a['mails delivered']}, recipients mailed twice {a['recipients mailed twice']}")
    if problems:
        print("\nAUDIT FAILED:")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("\nAUDIT PASSED: every acknowledged write is present exactly once on every node; "
          "no campaign message or automation step twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
