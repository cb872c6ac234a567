"""Outbound calls stay outside (issue 20, finding 2): server-side request forgery tried through
nginx against every caller of a user-given host — the automation webhook action, the SMS
webhook URL and the SMTP host — aimed at loopback, `localhost`, odd spellings of 127.0.0.1, a
private address, the link-local metadata address, and a redirect from an allowed sink to a
loopback listener. Each attack has a listener on 127.0.0.1 that must receive nothing, and the
error stored and shown is a category, never the socket's text.

Targets are refused when a form saves them (422 naming the field) and again on every call
(a stored target stands for a name whose DNS answer changed since: it is written in SQL).
The private and link-local targets are refused before any packet leaves; the tests never
aim at them with the guard off."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
import uuid

import pytest

from .support import SINK_HOST, new_session
from .test_campaigns import make_segment

CATEGORY_WORDS = ("refused: private address", "could not connect", "timed out", "answered", "TLS failed",
                  "connection broken", "could not resolve", "invalid address")
SOCKET_WORDS = ("errno", "Connection refused", "ECONNREFUSED", "Errno", "Couldn't", "Failed to connect", "port", "URLError",
                "NSURLErrorDomain", "Code=")


class Victim:
    """A TCP listener on 127.0.0.1 standing for an internal service: counts every connection."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            # Answer like a web server and an SMTP relay would, so that a connection that
            # got through would also succeed.
            try:
                conn.settimeout(2)
                conn.sendall(b"220 internal ESMTP\r\n")
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self.stopped = True
        self.sock.close()


class Redirector(http.server.BaseHTTPRequestHandler):
    """An allowed sink (on the sinks' address) that answers 302 to a loopback listener."""
    location = ""
    hits: list[str] = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Redirector.hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", Redirector.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def victim():
    v = Victim()
    yield v
    v.close()


@pytest.fixture
def redirector(victim):
    Redirector.location = f"http://127.0.0.1:{victim.port}/stolen"
    Redirector.hits = []
    server = http.server.ThreadingHTTPServer((SINK_HOST, 0), Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{SINK_HOST}:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def register(base: str, address: str) -> dict:
    http = new_session(address)
    for _ in range(8):
        r = http.post(f"{base}/v1/auth/register", json={
            "name": "Out Bound", "email": f"e2e-{uuid.uuid4().hex[:10]}@company.com", "password": "secret123",
            "workspace_name": f"Outbound {uuid.uuid4().hex[:6]}"}, timeout=30)
        if r.status_code != 429:
            break
        time.sleep(min(int(r.headers.get("Retry-After", "5")), 20))
    assert r.status_code == 201, r.text
    body = r.json()
    return {"http": http, "auth": {"Authorization": f"Bearer {body['token']}"}, "tenant": body["tenant"]["id"]}


@pytest.fixture(scope="module")
def ws(base: str) -> dict:
    return register(base, "127.0.0.201")


def sql(stack, statement: str) -> str:
    return stack.run("db-shell", "-N", "-e", statement)


def assert_category(text: str) -> None:
    assert any(w in text for w in CATEGORY_WORDS), text
    assert not any(w in text for w in SOCKET_WORDS), text


def internal_targets(port: int) -> dict[str, str]:
    """Host spellings of internal places; the loopback ones reach `port` on this machine."""
    return {"loopback": "127.0.0.1", "localhost": "localhost", "decimal": "2130706433", "short": "127.1", "hex": "0x7f.1",
            "ipv6": "[::1]", "mapped": "[::ffff:127.0.0.1]", "unspecified": "0.0.0.0",
            "link-local": "169.254.169.254", "private": "10.0.0.1", "cgnat": "100.64.0.1"}


# --- Refused when saved ------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(internal_targets(0)))
def test_settings_refuse_an_internal_smtp_host_or_sms_url(base, ws, victim, kind) -> None:
    host = internal_targets(victim.port)[kind]
    r = ws["http"].put(f"{base}/v1/campaigns/settings", headers=ws["auth"],
                       json={"smtp_host": host.strip("[]"), "smtp_port": victim.port, "smtp_starttls": False})
    assert r.status_code == 422, r.text
    assert "smtp_host" in r.json()["errors"], r.text
    assert "public host" in r.json()["errors"]["smtp_host"][0]
    r = ws["http"].put(f"{base}/v1/campaigns/settings", headers=ws["auth"],
                       json={"sms_webhook_url": f"http://{host}:{victim.port}/sms"})
    assert r.status_code == 422, r.text
    assert "public host" in r.json()["errors"]["sms_webhook_url"][0]
    assert victim.connections == 0


def design(url: str) -> dict:
    return {"nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 0, "y": 0}},
                      {"id": "2", "type": "action", "data": {"action": "webhook", "url": url}, "position": {"x": 0, "y": 100}}],
            "edges": [{"id": "e1-2", "source": "1", "target": "2"}]}


@pytest.mark.parametrize("kind", list(internal_targets(0)))
def test_the_automation_designer_refuses_an_internal_webhook(base, ws, victim, kind) -> None:
    host = internal_targets(victim.port)[kind]
    made = ws["http"].post(f"{base}/v1/automations", headers=ws["auth"], json={"name": "Probe", "trigger_type": "customer_created"}).json()
    r = ws["http"].post(f"{base}/v1/automations/{made['id']}/design", headers=ws["auth"], json=design(f"http://{host}:{victim.port}/"))
    assert r.status_code == 422, r.text
    assert "public host" in " ".join(r.json()["errors"]["nodes.2"]), r.text
    assert victim.connections == 0


def test_the_allowed_sink_is_saved(base, ws) -> None:
    r = ws["http"].put(f"{base}/v1/campaigns/settings", headers=ws["auth"],
                       json={"smtp_host": SINK_HOST, "smtp_port": 2525, "sms_webhook_url": f"http://{SINK_HOST}:9/sms"})
    assert r.status_code == 200, r.text
    r = ws["http"].put(f"{base}/v1/campaigns/settings", headers=ws["auth"], json={})
    assert r.status_code == 200, r.text


# --- Refused on every call -------------------------------------------------------------

def wait_enrolment(base, w, automation: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        rows = w["http"].get(f"{base}/v1/automations/{automation}/enrolments", headers=w["auth"]).json()["data"]
        if rows and rows[0]["last_error"]:
            return rows[0]
        assert time.monotonic() < deadline, rows
        time.sleep(0.25)


def webhook_automation(stack, base, w, url: str, stored: str | None = None) -> dict:
    """An active automation whose webhook goes to `url` (saved through the API), or to
    `stored` (written in SQL after the save, as if the name's DNS answer had changed), and
    a customer that sets it off: its enrolment once the webhook failed."""
    made = w["http"].post(f"{base}/v1/automations", headers=w["auth"],
                          json={"name": f"Hook {uuid.uuid4().hex[:6]}", "trigger_type": "customer_created"}).json()
    r = w["http"].post(f"{base}/v1/automations/{made['id']}/design", headers=w["auth"], json=design(url))
    assert r.status_code == 200, r.text
    if stored is not None:
        text = json.dumps(design(stored)).replace("'", "''")
        sql(stack, f"UPDATE automations SET design = '{text}' WHERE tenant_id = {w['tenant']} AND id = {made['id']}")
    assert w["http"].post(f"{base}/v1/automations/{made['id']}/activate", headers=w["auth"]).json()["is_active"] is True
    time.sleep(1.2)
    r = w["http"].post(f"{base}/v1/customers", headers=w["auth"], json={"email": f"{uuid.uuid4().hex[:8]}@example.com"})
    assert r.status_code == 201, r.text
    return wait_enrolment(base, w, made["id"])


@pytest.mark.parametrize("kind", ["loopback", "localhost", "decimal", "mapped", "link-local", "private"])
def test_an_automation_webhook_to_an_internal_address_is_refused_when_called(stack, base, ws, victim, kind) -> None:
    host = internal_targets(victim.port)[kind]
    enrolment = webhook_automation(stack, base, ws, f"http://{SINK_HOST}:9/hook", stored=f"http://{host}:{victim.port}/hook")
    assert enrolment["last_error"] == "webhook: refused: private address", enrolment
    assert victim.connections == 0


def test_an_automation_webhook_is_not_redirected(stack, base, ws, victim, redirector) -> None:
    enrolment = webhook_automation(stack, base, ws, redirector)
    assert enrolment["last_error"] == "webhook answered 302", enrolment
    assert Redirector.hits == ["/hook"]
    assert victim.connections == 0


def test_a_closed_port_reads_as_a_category(stack, base, ws) -> None:
    with socket.socket() as s:
        s.bind((SINK_HOST, 0))
        closed = s.getsockname()[1]
    enrolment = webhook_automation(stack, base, ws, f"http://{SINK_HOST}:{closed}/hook")
    assert enrolment["last_error"] == "webhook: could not connect", enrolment


def campaign_messages(stack, base, w, kind: str, people: list[dict], body: str) -> list[dict]:
    """Sends a campaign to `people` and waits until none of its messages is queued."""
    segment, _ = make_segment(stack, base, w, people)
    cid = w["http"].post(f"{base}/v1/campaigns", headers=w["auth"], json={
        "name": "Probe", "type": kind, "segment_id": segment, "subject": "Hi", "body": body}).json()["id"]
    r = w["http"].post(f"{base}/v1/campaigns/{cid}/send", headers=w["auth"])
    assert r.status_code in (200, 202), r.text
    deadline = time.monotonic() + 60
    while True:
        detail = w["http"].get(f"{base}/v1/campaigns/{cid}", headers=w["auth"]).json()
        if detail["status"] in ("sent", "failed"):
            return detail["messages"]
        assert time.monotonic() < deadline, detail
        time.sleep(0.25)


@pytest.mark.parametrize("kind", ["loopback", "localhost", "link-local", "private"])
def test_sms_to_an_internal_webhook_is_refused_when_called(stack, base, victim, kind) -> None:
    w = register(base, "127.0.0.202")
    host = internal_targets(victim.port)[kind]
    url = f"http://{host}:{victim.port}/sms"
    sql(stack, f"INSERT INTO campaign_settings (tenant_id, sms_webhook_url, sms_webhook_secret, updated_at) "
               f"VALUES ({w['tenant']}, '{url}', 's', UTC_TIMESTAMP(6))")
    messages = campaign_messages(stack, base, w, "sms", [{"name": "Ana", "phone": "+385911111111"}], "Hi")
    assert [m["status"] for m in messages] == ["bounced"], messages
    assert messages[0]["error"] == "the SMS webhook: refused: private address", messages
    assert victim.connections == 0


def test_sms_is_not_redirected(stack, base, victim, redirector) -> None:
    w = register(base, "127.0.0.203")
    r = w["http"].put(f"{base}/v1/campaigns/settings", headers=w["auth"], json={"sms_webhook_url": redirector, "sms_webhook_secret": "s"})
    assert r.status_code == 200, r.text
    messages = campaign_messages(stack, base, w, "sms", [{"name": "Ana", "phone": "+385911111112"}], "Hi")
    assert [m["status"] for m in messages] == ["bounced"], messages
    assert messages[0]["error"] == "the provider answered 302", messages
    assert Redirector.hits == ["/hook"]
    assert victim.connections == 0


@pytest.mark.parametrize("kind", ["loopback", "localhost", "short", "link-local", "private"])
def test_smtp_to_an_internal_host_is_refused_when_called(stack, base, victim, kind) -> None:
    w = register(base, "127.0.0.204")
    host = internal_targets(victim.port)[kind]
    sql(stack, f"INSERT INTO campaign_settings (tenant_id, smtp_host, smtp_port, smtp_starttls, updated_at) "
               f"VALUES ({w['tenant']}, '{host}', {victim.port}, 0, UTC_TIMESTAMP(6))")
    messages = campaign_messages(stack, base, w, "email", [{"email": "probe@shop.example"}], "<p>Hi</p>")
    assert [m["status"] for m in messages] == ["bounced"], messages
    assert messages[0]["error"] == "refused: private address", messages
    # The test send answers with the category too.
    cid = w["http"].get(f"{base}/v1/campaigns", headers=w["auth"]).json()["data"][0]["id"]
    r = w["http"].post(f"{base}/v1/campaigns/{cid}/test", headers=w["auth"], json={"email": "me@shop.example"})
    assert r.status_code == 422, r.text
    assert r.json()["message"] == "The test message could not be sent: refused: private address", r.text
    assert victim.connections == 0


def test_smtp_errors_are_categories(stack, base) -> None:
    """A relay that is allowed but does not listen: the stored error names no errno or port."""
    w = register(base, "127.0.0.205")
    with socket.socket() as s:
        s.bind((SINK_HOST, 0))
        closed = s.getsockname()[1]
    r = w["http"].put(f"{base}/v1/campaigns/settings", headers=w["auth"],
                      json={"smtp_host": SINK_HOST, "smtp_port": closed, "smtp_starttls": False})
    assert r.status_code == 200, r.text
    cid = w["http"].post(f"{base}/v1/campaigns", headers=w["auth"], json={
        "name": "Probe", "subject": "Hi", "body": "<p>Hi</p>"}).json()["id"]
    r = w["http"].post(f"{base}/v1/campaigns/{cid}/test", headers=w["auth"], json={"email": "me@shop.example"})
    assert r.status_code == 422, r.text
    assert r.json()["message"] == "The test message could not be sent: could not connect", r.text
    assert_category(r.json()["message"])
