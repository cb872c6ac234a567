"""Webhook subscriptions (issue 26 part 2), through nginx, with a receiver on the sinks'
loopback address (127.77.0.1, allowed by ENTERCRM_OUTBOUND_ALLOW in the test stack):

- the Standard Webhooks signature checked by an independent implementation (hmac + base64);
- delivery after a receiver outage, and replay (one delivery, and every failed one since a time);
- no delivery for a change that rolled back;
- nothing lost when the job runner is killed (kill -9) in the middle of deliveries;
- a subscription failing for 3 days is paused and its creator mailed (the 3 days are moved
  back in the database);
- a slow receiver does not hold up another subscription;
- private targets refused; another workspace's subscription answers 404.

Retry times and leases are moved in the database rather than waited for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import os
import signal
import threading
import time
import uuid

import pytest

from .support import SINK_HOST, new_session, system_mail


class Receiver:
    """An HTTP receiver on the sinks' address: keeps every call; answers `status` after `delay` s."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if outer.delay:
                    time.sleep(outer.delay)
                with outer.lock:
                    outer.calls.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                        "body": body, "status": outer.status})
                answer = b'{"ok": true, "note": "' + b"x" * 2000 + b'"}'
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((SINK_HOST, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://{SINK_HOST}:{self.server.server_address[1]}/hook"

    def bodies(self, type_: str | None = None) -> list[dict]:
        with self.lock:
            out = [json.loads(c["body"]) for c in self.calls if c["status"] < 300]
        return [b for b in out if type_ is None or b["type"] == type_]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def register(base: str) -> dict:
    http = new_session("127.0.0.226")
    email = f"e2e-{uuid.uuid4().hex[:10]}@company.com"
    for _ in range(8):
        r = http.post(f"{base}/v1/auth/register", json={
            "name": "Web Hook", "email": email, "password": "secret123", "workspace_name": f"Hooks {uuid.uuid4().hex[:6]}"},
            timeout=30)
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    assert r.status_code == 201, r.text
    body = r.json()
    return {"http": http, "auth": {"Authorization": f"Bearer {body['token']}"}, "tenant": body["tenant"]["id"], "email": email}


@pytest.fixture(scope="module")
def ws(base: str) -> dict:
    return register(base)


def sql(stack, statement: str) -> list[list[str]]:
    out = stack.run("db-shell", "-N", "-B", "-e", statement)
    return [line.split("\t") for line in out.splitlines() if line]


def wait_for(predicate, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def subscribe(ws: dict, base: str, url: str, types: list[str], **extra) -> dict:
    r = ws["http"].post(f"{base}/v1/webhooks", json={"url": url, "types": types, **extra}, headers=ws["auth"], timeout=30)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["secret"].startswith("whsec_")
    time.sleep(1.2)  # the tracking path's per-process cache of subscribed types (1 s)
    return sub


def new_customer(ws: dict, base: str, **fields) -> dict:
    email = fields.pop("email", f"c-{uuid.uuid4().hex[:10]}@example.com")
    r = ws["http"].post(f"{base}/v1/customers", json={"email": email, "name": "Ada Lovelace", **fields}, headers=ws["auth"], timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The Standard Webhooks check, written from the specification, not from our code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, sig.split(",", 1)[1]) for sig in headers["webhook-signature"].split(" "))


def due_now(stack, sub_id: int) -> None:
    """Moves the retries (and leases) of a subscription's pending deliveries to now."""
    sql(stack, f"UPDATE webhook_deliveries SET next_attempt_at = UTC_TIMESTAMP(6) WHERE subscription_id = {sub_id} AND status = 'pending'")


def test_signature_verified_by_an_independent_implementation(ws, base, receiver):
    sub = subscribe(ws, base, receiver.url, ["customer.created", "customer.updated", "event.tracked"])
    customer = new_customer(ws, base)
    r = ws["http"].put(f"{base}/v1/customers/{customer['id']}", json={"city": "London"}, headers=ws["auth"], timeout=30)
    assert r.status_code == 200, r.text
    r = ws["http"].post(f"{base}/v1/track/event", json={"customer_email": customer["email"], "event": "signed_up",
                                                         "properties": {"plan": "pro"}}, headers=ws["auth"], timeout=30)
    assert r.status_code in (200, 201, 202), r.text
    wait_for(lambda: len(receiver.calls) >= 3, what="three deliveries")
    calls = sorted(receiver.calls, key=lambda c: int(c["headers"]["webhook-id"].removeprefix("msg_")))
    for call in receiver.calls:
        h = call["headers"]
        assert verify(sub["secret"], h, call["body"]), h
        assert abs(int(h["webhook-timestamp"]) - time.time()) < 120
        assert h["content-type"] == "application/json"
        # A changed byte breaks it.
        assert not verify(sub["secret"], h, call["body"] + b" ")
    types = [json.loads(c["body"])["type"] for c in calls]
    assert types == ["customer.created", "customer.updated", "event.tracked"], types
    created, updated, tracked = (json.loads(c["body"]) for c in calls)
    assert created["data"]["id"] == customer["id"] and created["data"]["email"] == customer["email"]
    assert created["timestamp"].endswith("Z")
    assert updated["data"]["changes"]["city"] == {"old": None, "new": "London"}
    assert tracked["data"]["name"] == "signed_up" and tracked["data"]["properties"] == {"plan": "pro"}
    assert tracked["data"]["customer_id"] == customer["id"]
    # The log keeps each attempt with its status, duration and the first 1 KB of the answer.
    attempts = lambda: ws["http"].get(f"{base}/v1/webhooks/{sub['id']}/attempts", headers=ws["auth"], timeout=30).json()
    log = wait_for(lambda: (lambda a: a if a["meta"]["total"] == 3 else None)(attempts()), what="three calls in the log")
    assert all(a["status_code"] == 200 and len(a["response"]) == 1024 and a["duration_ms"] >= 0 for a in log["data"])
    # Lists mask the secret; a rotation answers a new one, and the old one still signs for a day.
    listed = ws["http"].get(f"{base}/v1/webhooks", headers=ws["auth"], timeout=30).json()
    assert sub["secret"] not in json.dumps(listed) and "event.tracked" in listed["event_types"]
    rotated = ws["http"].post(f"{base}/v1/webhooks/{sub['id']}/rotate-secret", headers=ws["auth"], timeout=30).json()
    assert rotated["secret"] != sub["secret"]
    before = len(receiver.calls)
    assert ws["http"].post(f"{base}/v1/webhooks/{sub['id']}/test", headers=ws["auth"], timeout=30).status_code == 202
    wait_for(lambda: len(receiver.calls) > before, what="the test event")
    last = receiver.calls[-1]
    assert json.loads(last["body"])["type"] == "webhook.test"
    assert verify(rotated["secret"], last["headers"], last["body"]) and verify(sub["secret"], last["headers"], last["body"])
    audit = ws["http"].get(f"{base}/v1/audit-log", headers=ws["auth"], timeout=30).json()["data"]
    assert {"webhook.created", "webhook.secret_rotated"} <= {a["action"] for a in audit}
    ws["http"].delete(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30)


def test_event_names_limit_what_event_tracked_delivers(ws, base, receiver):
    sub = subscribe(ws, base, receiver.url, ["event.tracked"], event_names=["Order Completed"])
    email = f"c-{uuid.uuid4().hex[:10]}@example.com"
    for name in ("page_read", "Order Completed"):
        r = ws["http"].post(f"{base}/v1/track/event", json={"customer_email": email, "event": name}, headers=ws["auth"], timeout=30)
        assert r.status_code in (200, 201, 202), r.text
    wait_for(lambda: receiver.bodies("event.tracked"), what="the order")
    time.sleep(1)
    assert [b["data"]["name"] for b in receiver.bodies()] == ["Order Completed"]
    ws["http"].delete(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30)


def test_private_targets_refused_and_bad_input_named(ws, base):
    for url in ("http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest", "http://[::1]/x"):
        r = ws["http"].post(f"{base}/v1/webhooks", json={"url": url, "types": ["customer.created"]}, headers=ws["auth"], timeout=30)
        assert r.status_code == 422 and "url" in r.json()["errors"], (url, r.text)
    r = ws["http"].post(f"{base}/v1/webhooks", json={"url": "ftp://example.com/x", "types": ["nope.nope"]}, headers=ws["auth"], timeout=30)
    assert r.status_code == 422 and {"url", "types"} <= set(r.json()["errors"]), r.text


def test_another_workspaces_subscription_answers_404(ws, base, receiver):
    sub = subscribe(ws, base, receiver.url, ["customer.created"])
    other = register(base)
    for method, path in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/test"), ("POST", "/rotate-secret"),
                         ("GET", "/deliveries"), ("GET", "/attempts"), ("POST", "/deliveries/1/replay")):
        r = other["http"].request(method, f"{base}/v1/webhooks/{sub['id']}{path}", json={"status": "paused"}, headers=other["auth"], timeout=30)
        assert r.status_code == 404, (method, path, r.text)
    assert other["http"].get(f"{base}/v1/webhooks", headers=other["auth"], timeout=30).json()["data"] == []
    ws["http"].delete(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30)


def test_delivery_after_receiver_outage_then_replay(ws, base, receiver, stack):
    receiver.status = 503
    sub = subscribe(ws, base, receiver.url, ["customer.created", "customer.updated"])
    customer = new_customer(ws, base)
    ws["http"].put(f"{base}/v1/customers/{customer['id']}", json={"city": "Paris"}, headers=ws["auth"], timeout=30)
    wait_for(lambda: receiver.calls, what="a first, refused attempt")
    first = receiver.calls[0]["headers"]["webhook-id"]
    rows_now = lambda: sql(stack, f"SELECT status, attempts, last_status FROM webhook_deliveries WHERE subscription_id = {sub['id']} ORDER BY id")
    rows = wait_for(lambda: (lambda r: r if r[0] == ["pending", "1", "503"] else None)(rows_now()), what="the refusal recorded")
    # In order per subject: the update waits behind the refused creation.
    assert rows[1][1] == "0", rows
    receiver.status = 200
    due_now(stack, sub["id"])
    wait_for(lambda: len(receiver.bodies()) >= 2, what="delivery after the outage")
    assert [b["type"] for b in receiver.bodies()] == ["customer.created", "customer.updated"]
    ok = [c for c in receiver.calls if c["status"] == 200]
    assert ok[0]["headers"]["webhook-id"] == first  # a retry keeps its webhook-id
    listed = lambda: ws["http"].get(f"{base}/v1/webhooks/{sub['id']}/deliveries", headers=ws["auth"], timeout=30).json()["data"]
    deliveries = wait_for(lambda: (lambda d: d if {x["status"] for x in d} == {"delivered"} else None)(listed()), what="both delivered")
    # Replay one delivery: the same webhook-id again.
    created = next(d for d in deliveries if d["type"] == "customer.created")
    r = ws["http"].post(f"{base}/v1/webhooks/{sub['id']}/deliveries/{created['id']}/replay", headers=ws["auth"], timeout=30)
    assert r.status_code == 202, r.text
    wait_for(lambda: len(receiver.bodies()) >= 3, what="the replay")
    assert receiver.calls[-1]["headers"]["webhook-id"] == created["webhook_id"] == first
    # Replay every failed one since a time: two given up (moved past their 3 days) are sent again.
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    sql(stack, f"UPDATE webhook_deliveries SET status = 'failed' WHERE subscription_id = {sub['id']} AND type = 'customer.updated'")
    r = ws["http"].post(f"{base}/v1/webhooks/{sub['id']}/replay", json={"since": since}, headers=ws["auth"], timeout=30)
    assert r.status_code == 202 and r.json()["replayed"] == 1, r.text
    wait_for(lambda: len(receiver.bodies("customer.updated")) >= 2, what="the failed one replayed")
    r = ws["http"].post(f"{base}/v1/webhooks/{sub['id']}/replay", json={"since": "yesterday"}, headers=ws["auth"], timeout=30)
    assert r.status_code == 422 and "since" in r.json()["errors"]
    ws["http"].delete(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30)


def test_no_delivery_for_a_rolled_back_change(ws, base, receiver, stack):
    """An erasure rolled back in the database sends nothing; the committed one is delivered.
    (customer.deleted is written by a trigger, so a transaction of plain SQL shows it.)"""
    gone, kept = new_customer(ws, base), new_customer(ws, base)
    sub = subscribe(ws, base, receiver.url, ["customer.deleted"])
    delete = "DELETE FROM customers WHERE tenant_id = {t} AND id = {i};"
    sql(stack, "START TRANSACTION; " + delete.format(t=ws["tenant"], i=gone["id"]) + " ROLLBACK;")
    sql(stack, "START TRANSACTION; " + delete.format(t=ws["tenant"], i=kept["id"]) + " COMMIT;")
    wait_for(lambda: receiver.bodies("customer.deleted"), what="the committed erasure")
    time.sleep(1.5)
    assert [b["data"]["id"] for b in receiver.bodies()] == [kept["id"]]
    assert sql(stack, f"SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = {sub['id']}") == [["1"]]
    ws["http"].delete(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30)


def test_pause_after_three_days_of_failure_mails_the_owner(ws, base, receiver, stack):
    receiver.status = 500
    sub = subscribe(ws, base, receiver.url, ["customer.created"])
    new_customer(ws, base)
    wait_for(lambda: receiver.calls, what="a failed attempt")
    wait_for(lambda: sql(stack, f"SELECT status, failing_since IS NOT NULL FROM webhook_subscriptions WHERE id = {sub['id']}")
             == [["active", "1"]], what="the failing streak recorded")
    # Three days of failure, moved back in the database; the next failure pauses it.
    sql(stack, f"UPDATE webhook_subscriptions SET failing_since = UTC_TIMESTAMP(6) - INTERVAL 3 DAY - INTERVAL 1 MINUTE WHERE id = {sub['id']}")
    due_now(stack, sub["id"])
    wait_for(lambda: ws["http"].get(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30).json()["status"] == "paused",
             what="the pause")
    wait_for(lambda: any("has failed for 3 days" in m and receiver.url in m for m in system_mail(stack, ws["email"])), what="the mail")
    # Paused: nothing is sent, even when due.
    calls = len(receiver.calls)
    due_now(stack, sub["id"])
    time.sleep(1.5)
    assert len(receiver.calls) == calls
    # Resumed: the kept delivery goes out.
    receiver.status = 200
    r = ws["http"].put(f"{base}/v1/webhooks/{sub['id']}", json={"status": "active"}, headers=ws["auth"], timeout=30)
    assert r.status_code == 200 and r.json()["failing_since"] is None, r.text
    due_now(stack, sub["id"])
    wait_for(lambda: receiver.bodies("customer.created"), what="delivery after resuming")
    ws["http"].delete(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30)


def test_runner_killed_during_delivery_loses_nothing(ws, base, receiver, stack):
    receiver.delay = 1.0
    sub = subscribe(ws, base, receiver.url, ["customer.created"])
    emails = {f"k-{i}-{uuid.uuid4().hex[:8]}@example.com" for i in range(30)}
    r = ws["http"].post(f"{base}/v1/track/batch", json={"events": [{"customer_email": e, "event": "import"} for e in emails]},
                        headers=ws["auth"], timeout=60)
    assert r.status_code in (200, 201, 202), r.text
    # Calls are in flight (each answered after 1 s): kill the runner now.
    wait_for(lambda: any(c for c in receiver.calls) or
             sql(stack, f"SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = {sub['id']} AND attempts > 0") != [["0"]],
             what="calls in flight")
    runners = stack.wait_for(lambda: stack.jobs_runner_pids(), timeout=15)
    victim = next(iter(runners))
    os.kill(victim, signal.SIGKILL)
    receiver.delay = 0
    stack.wait_for(lambda: stack.jobs_runner_pids() - {victim}, timeout=30)
    # The killed runner's leases, moved to now rather than waited for.
    due_now(stack, sub["id"])
    wait_for(lambda: {b["data"]["email"] for b in receiver.bodies()} >= emails, timeout=60, what="every customer delivered")
    # The last answers' outcomes are committed just after the receiver has them.
    state = lambda: sql(stack, f"SELECT status, COUNT(*) FROM webhook_deliveries WHERE subscription_id = {sub['id']} GROUP BY status")
    wait_for(lambda: state() == [["delivered", "30"]], timeout=30, what="every delivery marked delivered")
    ws["http"].delete(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30)


def test_slow_receiver_does_not_hold_up_another_subscription(ws, base, stack):
    slow, fast = Receiver(), Receiver()
    try:
        slow.delay = 5.0
        subs = [subscribe(ws, base, r.url, ["customer.created"]) for r in (slow, fast)]
        for _ in range(6):
            new_customer(ws, base)
        started = time.monotonic()
        wait_for(lambda: len(fast.bodies()) == 6, timeout=20, what="the fast receiver's six")
        # Well before even one of the slow receiver's answers has come back.
        assert time.monotonic() - started < 4.5
        assert len(slow.calls) == 0
        for s in subs:
            ws["http"].delete(f"{base}/v1/webhooks/{s['id']}", headers=ws["auth"], timeout=30)
    finally:
        slow.close()
        fast.close()


def test_each_home_writes_its_event(ws, base, receiver):
    """Companies, tasks, CRM entries, segments, unsubscribes-free homes and customer erasure:
    each change arrives once, with its subject's order kept."""
    types = ["company.created", "company.updated", "company.deleted", "task.created", "task.updated", "task.completed",
             "task.deleted", "entry.created", "entry.updated", "entry.stage_changed", "entry.deleted", "segment.entered",
             "customer.deleted"]
    sub = subscribe(ws, base, receiver.url, types)
    h, auth = ws["http"], ws["auth"]
    company = h.post(f"{base}/v1/companies", json={"name": "Hook Ltd", "domain": f"{uuid.uuid4().hex[:8]}.example"}, headers=auth).json()
    assert h.put(f"{base}/v1/companies/{company['id']}", json={"city": "Oslo"}, headers=auth).status_code == 200
    assert h.delete(f"{base}/v1/companies/{company['id']}", headers=auth).status_code == 200
    task = h.post(f"{base}/v1/tasks", json={"title": "Call back"}, headers=auth).json()
    assert h.put(f"{base}/v1/tasks/{task['id']}", json={"status": "done"}, headers=auth).status_code == 200
    assert h.delete(f"{base}/v1/tasks/{task['id']}", headers=auth).status_code == 200
    crm = f"{base}/api/brands/{ws['tenant']}/crm"
    slug = f"deals{uuid.uuid4().hex[:4]}"
    assert h.post(f"{crm}/entities", headers=auth, json={"name": "Deals", "slug": slug, "preset": "deals"}).status_code == 201
    pipeline = h.get(f"{crm}/entities/{slug}", headers=auth).json()["pipelines"][0]
    entry = h.post(f"{crm}/entities/{slug}/entries", headers=auth, json={
        "title": "Big deal", "pipeline_id": pipeline["id"], "stage_id": pipeline["stages"][0]["id"]}).json()
    uid = entry.get("uid") or entry.get("id")
    r = h.put(f"{crm}/entities/{slug}/entries/{uid}", headers=auth, json={"stage_id": pipeline["stages"][1]["id"]})
    assert r.status_code == 200, r.text
    assert h.delete(f"{crm}/entities/{slug}/entries/{uid}", headers=auth).status_code in (200, 204)
    customer = new_customer(ws, base, city="Zagreb")
    segment = h.post(f"{base}/v1/segments", headers=auth, json={"name": f"Zagreb {uuid.uuid4().hex[:4]}", "filters": {"city": "Zagreb"}})
    assert segment.status_code == 201, segment.text
    wait_for(lambda: receiver.bodies("segment.entered"), timeout=30, what="segment.entered")
    assert h.delete(f"{base}/v1/customers/{customer['id']}", headers=auth).status_code in (200, 204)
    wanted = {t for t in types}
    wait_for(lambda: {b["type"] for b in receiver.bodies()} >= wanted, timeout=40, what="every type")
    got = receiver.bodies()
    by_subject: dict[str, list[str]] = {}
    for b in got:
        subject = {"company": f"company:{company['id']}", "task": f"task:{task['id']}", "entry": f"entry:{uid}"}.get(b["type"].split(".")[0])
        if subject:
            by_subject.setdefault(subject, []).append(b["type"])
    assert by_subject[f"company:{company['id']}"] == ["company.created", "company.updated", "company.deleted"]
    assert by_subject[f"task:{task['id']}"] == ["task.created", "task.updated", "task.completed", "task.deleted"]
    assert by_subject[f"entry:{uid}"] == ["entry.created", "entry.updated", "entry.stage_changed", "entry.deleted"]
    entered = [b for b in got if b["type"] == "segment.entered"]
    assert [b["data"]["customer_id"] for b in entered] == [customer["id"]]
    assert [b["data"]["id"] for b in got if b["type"] == "customer.deleted"] == [customer["id"]]
    h.delete(f"{base}/v1/webhooks/{sub['id']}", headers=auth, timeout=30)


def test_campaign_sent_bounce_and_unsubscribe(ws, base, receiver, stack):
    """campaign.sent, message.bounced (a recipient the SMTP sink refuses) and
    message.unsubscribed (the one-click unsubscribe of the mail received)."""
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    from .test_campaigns import Sink, free_port, use_smtp, wait_status

    sink = Sink(refuse={"nobody@bounce.example"})
    controller = Controller(sink, hostname=SINK_HOST, port=free_port())
    controller.start()
    try:
        sub = subscribe(ws, base, receiver.url, ["campaign.sent", "message.bounced", "message.unsubscribed"])
        use_smtp(base, ws, controller.port)
        tag = uuid.uuid4().hex[:6]
        ids = [new_customer(ws, base, email=e)["id"] for e in (f"ana-{tag}@shop.example", "nobody@bounce.example")]
        name = f"Hooked {tag}"
        sql(stack, f"INSERT INTO segments (tenant_id, name, created_at, updated_at) VALUES ({ws['tenant']}, '{name}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
        segment = int(sql(stack, f"SELECT id FROM segments WHERE tenant_id = {ws['tenant']} AND name = '{name}'")[0][0])
        # INSERT IGNORE: the segment evaluator may have added them already (no filter: everyone).
        sql(stack, f"INSERT IGNORE INTO segment_members (segment_id, customer_id, tenant_id, added_at) VALUES "
                   + ", ".join(f"({segment}, {i}, {ws['tenant']}, UTC_TIMESTAMP(6))" for i in ids))
        cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
            "name": f"Hooked {tag}", "segment_id": segment, "subject": "Hello", "body": "<p>Hi</p>"}).json()["id"]
        assert ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"]).status_code == 200
        wait_status(base, ws, cid, "sent")
        mail = next(m for m in sink.received() if m[0] == f"ana-{tag}@shop.example")
        unsubscribe = email.message_from_bytes(mail[1], policy=email.policy.default)["List-Unsubscribe"].strip("<>")
        r = new_session().post(unsubscribe, data="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Gmail"})
        assert r.status_code == 200
        wait_for(lambda: {b["type"] for b in receiver.bodies()} >= {"campaign.sent", "message.bounced", "message.unsubscribed"},
                 what="the campaign's three events")
        by_type = {b["type"]: b["data"] for b in receiver.bodies()}
        assert by_type["campaign.sent"]["id"] == cid and by_type["campaign.sent"]["delivered"] == 1
        assert by_type["message.bounced"]["address"] == "nobody@bounce.example" and by_type["message.bounced"]["campaign_id"] == cid
        assert by_type["message.unsubscribed"]["customer_id"] == ids[0] and by_type["message.unsubscribed"]["channel"] == "email"
        ws["http"].delete(f"{base}/v1/webhooks/{sub['id']}", headers=ws["auth"], timeout=30)
    finally:
        controller.stop()
