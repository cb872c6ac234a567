"""Campaigns end to end: a real SMTP server on loopback (aiosmtpd, started here, on the sinks'
address that the outbound guard allows in make test) receives the
messages through the job runner; MIME, merge tags and unsubscribe headers; a bounce; STARTTLS
with AUTH; opens, clicks, a scanner and one-click unsubscribe through nginx; a scheduled
campaign; a crash of the job runner mid-campaign; the SMS webhook; the seed's examples."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import pathlib
import re
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .support import SINK_HOST, new_session

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"


class Sink:
    """Collects messages; refuses some recipients (5xx) for good."""

    def __init__(self, refuse: set[str] = frozenset()) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.refuse = set(refuse)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, envelope.original_content or envelope.content))
        return "250 OK queued"

    def received(self) -> list[tuple[str, bytes]]:
        with self.lock:
            return list(self.messages)


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind((SINK_HOST, 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    sink = Sink(refuse={"nobody@bounce.example"})
    controller = Controller(sink, hostname=SINK_HOST, port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


def register(base: str, address: str) -> dict:
    http = new_session(address)
    for _ in range(8):
        r = http.post(f"{base}/v1/auth/register", json={
            "name": "Camp Aign", "email": f"e2e-{uuid.uuid4().hex[:10]}@company.com", "password": "secret123",
            "workspace_name": f"Campaigns {uuid.uuid4().hex[:6]}",
        }, timeout=30)
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    assert r.status_code == 201, r.text
    body = r.json()
    return {"http": http, "auth": {"Authorization": f"Bearer {body['token']}"}, "tenant": body["tenant"]["id"]}


def sql(stack, statement: str) -> str:
    return stack.run("db-shell", "-N", "-e", statement)


def make_segment(stack, base: str, ws: dict, people: list[dict]) -> tuple[int, list[int]]:
    """Customers through the API; the segment and its members directly in SQL (segments are
    another issue's)."""
    ids = []
    for p in people:
        r = ws["http"].post(f"{base}/v1/customers", headers=ws["auth"], json=p)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    name = f"Seg {uuid.uuid4().hex[:8]}"
    sql(stack, f"INSERT INTO segments (tenant_id, name, created_at, updated_at) VALUES ({ws['tenant']}, '{name}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
    segment = int(sql(stack, f"SELECT id FROM segments WHERE tenant_id = {ws['tenant']} AND name = '{name}'").strip())
    values = ", ".join(f"({segment}, {i}, {ws['tenant']}, UTC_TIMESTAMP(6))" for i in ids)
    sql(stack, f"INSERT INTO segment_members (segment_id, customer_id, tenant_id, added_at) VALUES {values}")
    return segment, ids


def wait_status(base: str, ws: dict, campaign: int, status: str, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while True:
        body = ws["http"].get(f"{base}/v1/campaigns/{campaign}", headers=ws["auth"]).json()
        if body["status"] == status:
            return body
        assert time.time() < deadline, f"campaign {campaign} still {body['status']} (wanted {status}): {body}"
        time.sleep(0.25)


def use_smtp(base: str, ws: dict, port: int, **extra) -> None:
    body = {"smtp_host": SINK_HOST, "smtp_port": port, "smtp_starttls": False,
            "from_email": "news@shop.example", "from_name": "Shop Ž", **extra}
    r = ws["http"].put(f"{base}/v1/campaigns/settings", headers=ws["auth"], json=body)
    assert r.status_code == 200, r.text
    assert r.json()["delivery"] == "smtp"


def test_email_campaign_over_smtp_with_a_bounce(stack, base: str, smtp) -> None:
    sink, port = smtp
    ws = register(base, "127.0.0.181")
    use_smtp(base, ws, port)
    segment, ids = make_segment(stack, base, ws, [
        {"name": "Ana <b>Kovač</b> & Co", "email": "ana@shop.example", "city": "Zagreb"},
        {"name": "Ivan", "email": "nobody@bounce.example"},
        {"name": "No Address"},
    ])
    created = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Spring Sale", "type": "email", "segment_id": segment,
        "subject": "Proljeće za {{name}}", "body": "<h1>Hi {{name}} from {{city}}</h1><p><a href=\"https://shop.example/sale\">Shop</a></p>",
    })
    assert created.status_code == 201, created.text
    assert list(created.json())[:7] == ["id", "name", "type", "status", "segment_id", "scheduled_at", "created_at"]
    assert created.json()["status"] == "draft"
    cid = created.json()["id"]
    sent = ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"])
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"campaign_id": cid, "status": "sending", "queued_messages": 2,
                           "message": "Campaign is being sent to 2 customers."}
    detail = wait_status(base, ws, cid, "sent")
    assert detail["total_sent"] == 1 and detail["total_bounced"] == 1
    assert [m["status"] for m in detail["messages"]] == ["sent", "bounced"]
    assert list(detail)[:12] == ["id", "name", "type", "status", "segment", "total_sent", "total_opened", "total_clicked",
                                 "total_bounced", "total_unsubscribed", "open_rate", "click_rate"]

    received = [m for m in sink.received() if m[0] == "ana@shop.example"]
    assert len(received) == 1
    msg = email.message_from_bytes(received[0][1], policy=email.policy.default)
    assert str(msg["Subject"]) == "Proljeće za Ana <b>Kovač</b> & Co"
    assert "=?UTF-8?B?" in received[0][1].decode().split("\r\n\r\n")[0]
    assert msg["Message-ID"].startswith(f"<c{cid}.")
    assert msg["List-Unsubscribe"].startswith(f"<{base.replace('localhost', 'localhost')}/t/u/") or "/t/u/" in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert "Hi Ana &lt;b&gt;Kovač&lt;/b&gt; &amp; Co from Zagreb" in parts["text/html"]
    assert "Hi Ana <b>Kovač</b> & Co from Zagreb" in parts["text/plain"]
    assert "/t/c/" in parts["text/html"] and "/t/o/" in parts["text/html"]
    assert "Shop Ž" in str(msg["From"])


def test_open_click_scanner_and_unsubscribe(stack, base: str, smtp) -> None:
    sink, port = smtp
    ws = register(base, "127.0.0.182")
    use_smtp(base, ws, port)
    segment, ids = make_segment(stack, base, ws, [{"name": "Ana", "email": "ana2@shop.example"}])
    cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Clicks", "segment_id": segment, "subject": "Hello",
        "body": "<p><a href=\"https://shop.example/sale?x=1&amp;y=2\">Sale</a></p>",
    }).json()["id"]
    ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"])
    wait_status(base, ws, cid, "sent")
    msg = email.message_from_bytes(sink.received()[-1][1], policy=email.policy.default)
    html = next(p.get_content() for p in msg.iter_parts() if p.get_content_type() == "text/html")
    pixel = re.search(r'src="([^"]+/t/o/[^"]+)"', html).group(1).replace("&amp;", "&")
    click = re.search(r'href="([^"]+/t/c/[^"]+)"', html).group(1).replace("&amp;", "&")
    unsubscribe = msg["List-Unsubscribe"].strip("<>")

    anon = new_session()
    # A security scanner follows every link within seconds of delivery: counted as nothing.
    r = anon.get(click, headers={"User-Agent": "python-requests/2.31"}, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "https://shop.example/sale?x=1&y=2"
    page = anon.get(unsubscribe, headers={"User-Agent": "Mimecast Security Scanner"})
    assert page.status_code == 200 and "<form method=\"post\"" in page.text
    detail = ws["http"].get(f"{base}/v1/campaigns/{cid}", headers=ws["auth"]).json()
    assert detail["total_clicked"] == 0 and detail["total_unsubscribed"] == 0

    # A tampered destination is refused: no open redirect.
    evil = click.replace("shop.example", "evil.example")
    assert anon.get(evil, headers={"User-Agent": BROWSER}, allow_redirects=False).status_code == 404

    # A person opens (a privacy proxy fetches the pixel too) and, after a while, clicks.
    r = anon.get(pixel, headers={"User-Agent": "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/gif"
    sql(stack, f"UPDATE campaign_messages SET sent_at = sent_at - INTERVAL 60 SECOND WHERE campaign_id = {cid}")
    anon.get(pixel, headers={"User-Agent": BROWSER})
    r = anon.get(click, headers={"User-Agent": BROWSER}, allow_redirects=False)
    assert r.status_code == 302
    detail = ws["http"].get(f"{base}/v1/campaigns/{cid}", headers=ws["auth"]).json()
    assert detail["total_opened"] == 1 and detail["total_clicked"] == 1
    assert detail["open_rate"] == 100.0 and detail["click_rate"] == 100.0
    assert detail["human_open_rate"] == 100.0 and detail["human_click_rate"] == 100.0
    assert detail["messages"][0]["status"] == "clicked" and detail["messages"][0]["opened_at"].endswith("Z")

    events = ws["http"].get(f"{base}/v1/customers/{ids[0]}/events", headers=ws["auth"]).json()["data"]
    names = sorted(e["event"] for e in events)
    assert names == ["email_clicked", "email_opened"]
    assert all(e["properties"]["campaign_id"] == cid for e in events)

    # RFC 8058 one-click unsubscribe.
    r = anon.post(unsubscribe, data="List-Unsubscribe=One-Click",
                  headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Gmail"})
    assert r.status_code == 200
    detail = ws["http"].get(f"{base}/v1/campaigns/{cid}", headers=ws["auth"]).json()
    assert detail["total_unsubscribed"] == 1 and detail["messages"][0]["status"] == "unsubscribed"


class PipeliningSink(Sink):
    """Offers PIPELINING (RFC 2920): the client then sends MAIL, RCPT and DATA in one write."""

    def __init__(self, refuse: set[str] = frozenset()) -> None:
        super().__init__(refuse)
        self.offered = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.offered += 1
        return responses[:-1] + ["250-PIPELINING", responses[-1]]


def test_pipelined_smtp_with_a_refused_recipient(stack, base: str) -> None:
    sink = PipeliningSink(refuse={"nobody@bounce.example"})
    controller = Controller(sink, hostname=SINK_HOST, port=free_port())
    controller.start()
    try:
        ws = register(base, "127.0.0.189")
        use_smtp(base, ws, controller.port)
        segment, _ = make_segment(stack, base, ws, [
            {"email": "p1@pipe.example"}, {"email": "nobody@bounce.example"}, {"email": "p2@pipe.example"}])
        cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
            "name": "Pipelined", "segment_id": segment, "subject": "Pipelined", "body": "<p>.leading dot\n.and another</p>"}).json()["id"]
        ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"])
        detail = wait_status(base, ws, cid, "sent")
        assert [m["status"] for m in detail["messages"]] == ["sent", "bounced", "sent"]
        assert sink.offered >= 1
        got = sink.received()
        assert sorted(m[0] for m in got) == ["p1@pipe.example", "p2@pipe.example"]
        for _, raw in got:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            html = next(p.get_content() for p in msg.iter_parts() if p.get_content_type() == "text/html")
            assert ".leading dot" in html
    finally:
        controller.stop()


def test_starttls_and_auth(stack, base: str) -> None:
    tmp = pathlib.Path(tempfile.mkdtemp())
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", tmp / "key.pem", "-out", tmp / "cert.pem"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and auth_data.password == b"p@ss w0rd"
        logins.append((mechanism, ok, session.ssl is not None))
        return AuthResult(success=ok)

    sink = Sink()
    controller = Controller(sink, hostname=SINK_HOST, port=free_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        ws = register(base, "127.0.0.183")
        use_smtp(base, ws, controller.port, smtp_starttls=True, smtp_username="mailer", smtp_password="p@ss w0rd")
        segment, _ = make_segment(stack, base, ws, [{"email": "tls@shop.example"}])
        cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
            "name": "TLS", "segment_id": segment, "subject": "Over TLS", "body": "<p>secure</p>"}).json()["id"]
        ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"])
        detail = wait_status(base, ws, cid, "sent")
        assert detail["total_sent"] == 1, detail
        assert [m[0] for m in sink.received()] == ["tls@shop.example"]
        assert logins and logins[0][1] and logins[0][2]
    finally:
        controller.stop()


def test_a_new_relay_never_receives_the_stored_password(stack, base: str) -> None:
    """The attack of the settings review: with a relay and its password saved, an admin (or a
    stolen admin session) points the settings at a relay of their own, leaving the password
    out so that the stored one is kept, and sends a test message to receive it there. The save
    is refused (422 naming smtp_password), the own relay hears nothing, and mail still goes
    through the relay the password was set for."""
    logins: dict[str, list[tuple[bytes, bytes]]] = {"relay": [], "attacker": []}

    def recording(name):
        def authenticator(server, session, envelope, mechanism, auth_data):
            if isinstance(auth_data, LoginPassword):
                logins[name].append((auth_data.login, auth_data.password))
            return AuthResult(success=True)
        return authenticator

    controllers = {name: Controller(Sink(), hostname=SINK_HOST, port=free_port(), authenticator=recording(name), auth_require_tls=False)
                   for name in logins}
    for controller in controllers.values():
        controller.start()
    try:
        ws = register(base, "127.0.0.190")
        use_smtp(base, ws, controllers["relay"].port, smtp_username="mailer", smtp_password="the-stored-secret")
        cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
            "name": "Probe", "subject": "Hi", "body": "<p>Hi</p>"}).json()["id"]
        # The attacker's relay: the same allowed sink address, another port (the tests have one
        # address the outbound guard allows; a host name of one's own is the same attack).
        r = ws["http"].put(f"{base}/v1/campaigns/settings", headers=ws["auth"], json={
            "smtp_host": SINK_HOST, "smtp_port": controllers["attacker"].port, "smtp_starttls": False,
            "smtp_username": "mailer", "from_email": "news@shop.example"})
        assert r.status_code == 422, r.text
        assert list(r.json()["errors"]) == ["smtp_password"], r.text
        assert "Enter the password again" in r.json()["errors"]["smtp_password"][0]
        r = ws["http"].post(f"{base}/v1/campaigns/{cid}/test", headers=ws["auth"], json={"email": "me@shop.example"})
        assert r.status_code == 200, r.text
        assert logins["attacker"] == []
        assert logins["relay"] == [(b"mailer", b"the-stored-secret")]
    finally:
        for controller in controllers.values():
            controller.stop()


def test_scheduled_campaign_starts_at_its_time(stack, base: str, smtp) -> None:
    sink, port = smtp
    ws = register(base, "127.0.0.184")
    use_smtp(base, ws, port)
    segment, _ = make_segment(stack, base, ws, [{"email": "later@shop.example"}])
    at = datetime.now(timezone.utc) + timedelta(seconds=4)
    created = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Later", "segment_id": segment, "subject": "Scheduled", "body": "<p>now</p>",
        "scheduled_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    assert created.json()["status"] == "scheduled"
    cid = created.json()["id"]
    time.sleep(1)
    assert ws["http"].get(f"{base}/v1/campaigns/{cid}", headers=ws["auth"]).json()["status"] == "scheduled"
    assert not [m for m in sink.received() if m[0] == "later@shop.example"]
    detail = wait_status(base, ws, cid, "sent", timeout=30)
    assert detail["total_sent"] == 1
    # Times are given to the second.
    assert datetime.fromisoformat(detail["sent_at"].replace("Z", "+00:00")) >= at.replace(microsecond=0)
    assert [m[0] for m in sink.received()].count("later@shop.example") == 1


def test_crash_of_the_job_runner_mid_campaign_sends_nobody_twice(stack, base: str, smtp) -> None:
    sink, port = smtp
    ws = register(base, "127.0.0.185")
    use_smtp(base, ws, port, send_rate=8)
    people = [{"email": f"r{i}@crash.example"} for i in range(40)]
    segment, _ = make_segment(stack, base, ws, people)
    cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Crash", "segment_id": segment, "subject": "Once", "body": "<p>once</p>"}).json()["id"]
    ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"])
    deadline = time.time() + 30
    while len([m for m in sink.received() if m[0].endswith("@crash.example")]) < 10:
        assert time.time() < deadline
        time.sleep(0.1)
    pid_file = pathlib.Path(stack.env.get("ENTERCRM_JOBS_PID_FILE", str(stack.run_dir / "jobs.pid")))
    pid = int(pid_file.read_text().strip())
    os.kill(pid, signal.SIGKILL)
    gone = time.time() + 10
    while pathlib.Path(f"/proc/{pid}/cmdline").exists() and pathlib.Path(f"/proc/{pid}/cmdline").read_bytes() and time.time() < gone:
        time.sleep(0.05)
    before = len([m for m in sink.received() if m[0].endswith("@crash.example")])
    assert before < 40
    stack.run("jobs-start")
    detail = wait_status(base, ws, cid, "sent", timeout=90)
    got = [m[0] for m in sink.received() if m[0].endswith("@crash.example")]
    assert len(got) == len(set(got)), "a recipient got two messages"
    statuses = {}
    page, messages = 1, []
    while True:
        body = ws["http"].get(f"{base}/v1/campaigns/{cid}?messages_page={page}&messages_per_page=100", headers=ws["auth"]).json()
        messages += body["messages"]
        if len(body["messages"]) < 100:
            break
        page += 1
    for m in messages:
        statuses[m["status"]] = statuses.get(m["status"], 0) + 1
    # Every message is accounted for: sent, or in flight at the crash (failed, reported, not resent).
    assert statuses.get("sent", 0) + statuses.get("failed", 0) == 40, statuses
    assert statuses.get("failed", 0) == detail["total_interrupted"]
    assert detail["total_sent"] == statuses.get("sent", 0)
    assert len(got) >= detail["total_sent"]


class SMSReceiver(http.server.BaseHTTPRequestHandler):
    secret = b"sms-secret"
    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("X-EnterCRM-Signature", "")):
            self.send_response(401)
            self.end_headers()
            return
        message = json.loads(body)
        SMSReceiver.received.append(message)
        status = "failed" if message["to"].endswith("000") else "sent"
        answer = json.dumps({"id": f"sms-{message['message_id']}", "status": status}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def test_sms_through_a_signed_webhook(stack, base: str) -> None:
    server = http.server.ThreadingHTTPServer((SINK_HOST, 0), SMSReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ws = register(base, "127.0.0.186")
        r = ws["http"].put(f"{base}/v1/campaigns/settings", headers=ws["auth"], json={
            "sms_webhook_url": f"http://{SINK_HOST}:{server.server_address[1]}/sms", "sms_webhook_secret": "sms-secret"})
        assert r.status_code == 200, r.text
        segment, _ = make_segment(stack, base, ws, [
            {"name": "Ana", "phone": "+385911111111"}, {"name": "Bad", "phone": "+385910000000"}, {"name": "No phone", "email": "x@y.io"}])
        cid = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
            "name": "SMS", "type": "sms", "segment_id": segment, "body": "Hi {{name}}, 20% off today"}).json()["id"]
        assert ws["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=ws["auth"]).json()["queued_messages"] == 2
        detail = wait_status(base, ws, cid, "sent")
        assert sorted(m["status"] for m in detail["messages"]) == ["bounced", "sent"]
        assert any(m["body"] == "Hi Ana, 20% off today" for m in SMSReceiver.received)
    finally:
        server.shutdown()


def test_seed_examples_and_workspace_isolation(stack, base: str) -> None:
    ws = register(base, "127.0.0.187")
    other = register(base, "127.0.0.188")
    segment, _ = make_segment(stack, base, ws, [{"email": "one@seed.example"}])
    created = ws["http"].post(f"{base}/v1/campaigns", headers=ws["auth"], json={
        "name": "Spring Sale", "type": "email", "segment_id": segment, "subject": "Exclusive offer for our best customers",
        "body": "<h1>Spring Sale</h1><p>Use code SPRING25 for 25% off.</p>", "scheduled_at": "2099-03-20T09:00:00Z"})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "scheduled" and body["scheduled_at"] == "2099-03-20T09:00:00Z"
    listed = ws["http"].get(f"{base}/v1/campaigns", headers=ws["auth"]).json()
    assert list(listed["data"][0])[:10] == ["id", "name", "type", "status", "total_sent", "total_opened", "total_clicked",
                                            "open_rate", "click_rate", "sent_at"]
    assert other["http"].get(f"{base}/v1/campaigns/{body['id']}", headers=other["auth"]).status_code == 404
    assert other["http"].post(f"{base}/v1/campaigns/{body['id']}/send", headers=other["auth"]).status_code == 404
    cancelled = ws["http"].post(f"{base}/v1/campaigns/{body['id']}/cancel", headers=ws["auth"])
    assert cancelled.json()["status"] == "cancelled"
    assert ws["http"].put(f"{base}/v1/campaigns/{body['id']}", headers=ws["auth"], json={"name": "x"}).status_code == 409
