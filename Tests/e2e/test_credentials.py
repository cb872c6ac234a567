"""One credential per request, nginx's own answers in JSON, and no keys in access logs.

- A request carrying more than one credential (two X-API-Key headers, a header and ?key=, a
  bearer token and an API key, EF-Access-Key and another, two Authorization headers, two
  ?key=) is a 400 JSON answer. Where nginx can see it, it answers before the pool (its
  access log line has no upstream time); a header sent twice, which nginx 1.22 cannot see,
  reaches the pool and the application answers 400.
- A secret key in the URL (?key=) is a 401 that says to use the header.
- Every answer nginx makes itself is JSON with the API's error shape: %00 in the path, a
  URI too long, an oversized header, garbage, TRACE, a body too large, /metrics from
  elsewhere, a missing static file, and 500, 502, 503, 504 (from locations a test adds
  through the stack's extra/ includes, and from the pool stopped).
- Neither nginx's nor the pool's access log holds a key or a token.

Raw sockets (HTTP/1.1 over TLS) send what `requests` cannot: repeated headers, a request line
nginx cannot read.
"""

from __future__ import annotations

import base64
import json
import pathlib
import re
import socket
import ssl
import threading
import time
import uuid

import pytest

from .support import new_session

FROM = "127.0.0.221"


def raw(stack, request: bytes, source: str = FROM, port: int | None = None, tls: bool = True):
    """Sends bytes as they are; returns (status, headers (lowercase names), body bytes)."""
    sock = socket.create_connection(("127.0.0.1", port or stack.https_port), timeout=30, source_address=(source, 0))
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        sock = context.wrap_socket(sock, server_hostname="localhost")
    try:
        sock.sendall(request)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        decoded, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2:]
        body = decoded
    return status, headers, body


def request_bytes(method: str, target: str, headers: list[tuple[str, str]] = (), body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: localhost", "Connection: close", "User-Agent: credentials-test"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def assert_json_error(status: int, headers: dict, body: bytes, expected: int, what: str) -> dict:
    assert status == expected, f"{what}: {status} {body[:300]!r}"
    assert headers.get("content-type", "").startswith("application/json"), f"{what}: {headers.get('content-type')} {body[:200]!r}"
    document = json.loads(body)
    assert isinstance(document.get("message"), str) and document["message"], f"{what}: {document}"
    return document


@pytest.fixture(scope="module")
def workspace(base):
    http = new_session("127.0.0.222")
    r = http.post(f"{base}/v1/auth/register", timeout=30, json={
        "name": "Cred Owner", "email": f"cred-{uuid.uuid4().hex[:10]}@cred.io", "password": "secret123",
        "workspace_name": "Credentials"})
    assert r.status_code == 201, r.text
    body = r.json()
    auth = {"Authorization": f"Bearer {body['token']}"}
    secret = http.post(f"{base}/v1/api-keys", json={"name": "server"}, headers=auth, timeout=30).json()["key"]
    publishable = http.post(f"{base}/v1/api-keys", json={"name": "site", "type": "publishable"}, headers=auth,
                            timeout=30).json()["key"]
    assert publishable.startswith("eck_pub_")
    return {"token": body["token"], "secret": secret, "publishable": publishable, "slug": body["tenant"]["slug"]}


def nginx_log(stack) -> pathlib.Path:
    return stack.run_dir / "nginx" / "logs" / "access.log"


def log_line(stack, request_id: str, timeout: float = 15) -> str:
    """nginx's access-log line of a request (nginx writes its buffer every second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in nginx_log(stack).read_text(errors="replace").splitlines():
            if f"id={request_id}" in line:
                return line
        time.sleep(0.2)
    raise AssertionError(f"request {request_id} is not in {nginx_log(stack)}")


def conflict_cases(w: dict) -> list[tuple[str, str, list[tuple[str, str]], bool]]:
    """(what, query, headers, nginx sees it)."""
    s, p, t = w["secret"], w["publishable"], w["token"]
    return [
        ("two X-API-Key headers", "", [("X-API-Key", s), ("X-API-Key", s)], False),
        ("X-API-Key and x-api-key", "", [("X-API-Key", s), ("x-api-key", "eck_" + "B" * 43)], False),
        ("two EF-Access-Key headers", "", [("EF-Access-Key", s), ("EF-Access-Key", s)], False),
        ("two Authorization headers", "", [("Authorization", f"Bearer {t}"), ("Authorization", f"Bearer {t}")], True),
        ("X-API-Key holding two keys", "", [("X-API-Key", f"{s}, {s}")], True),
        ("X-API-Key and EF-Access-Key", "", [("X-API-Key", s), ("EF-Access-Key", s)], True),
        ("bearer token and X-API-Key", "", [("Authorization", f"Bearer {t}"), ("X-API-Key", s)], True),
        ("bearer token and EF-Access-Key", "", [("Authorization", f"Bearer {t}"), ("EF-Access-Key", s)], True),
        ("X-API-Key and ?key=", f"key={p}", [("X-API-Key", s)], True),
        ("EF-Access-Key and ?key=", f"key={p}", [("EF-Access-Key", s)], True),
        ("bearer token and ?key=", f"key={p}", [("Authorization", f"Bearer {t}")], True),
        ("two ?key=", f"key={p}&key={p}", [], True),
        ("?key= and ?KEY=", f"key={p}&x=1&KEY={p}", [], True),
        ("?%6Bey= (decodes to key)", f"%6Bey={p}", [], False),
        # The Segment libraries' Basic write key is an Authorization credential like a bearer token.
        ("Basic write key and X-API-Key", "", [("Authorization", basic(s)), ("X-API-Key", s)], True),
        ("Basic write key and ?key=", f"key={p}", [("Authorization", basic(s))], True),
    ]


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/track/event", "/api/brands/{slug}/crm/entities", "/v1/echo", "/v1/batch"])
def test_every_duplicate_credential_variant_is_400(stack, workspace, path):
    target_path = path.format(slug=workspace["slug"])
    method = "POST" if path in ("/v1/track/event", "/v1/echo", "/v1/batch") else "GET"
    body = json.dumps({"event": "x", "anonymous_id": "a", "name": "x"}).encode() if method == "POST" else b""
    for what, query, headers, nginx_sees in conflict_cases(workspace):
        target = target_path + (f"?{query}" if query else "")
        status, response_headers, response = raw(stack, request_bytes(method, target, headers, body))
        document = assert_json_error(status, response_headers, response, 400, f"{path}: {what}")
        assert any(word in document["message"] for word in ("credential", "Bad request", "key=")), document
        line = log_line(stack, response_headers["x-request-id"])
        if nginx_sees:
            # Answered by nginx: the pool never saw it.
            assert line.endswith("upstream=-"), f"{what}: {line}"
        else:
            assert not line.endswith("upstream=-"), f"{what}: {line}"
            assert "errors" in document, document


def test_one_credential_passes(stack, workspace, base):
    """The same credentials one at a time work, so the 400s above are about the count."""
    http = new_session(FROM)
    assert http.get(f"{base}/v1/customers", headers={"X-API-Key": workspace["secret"]}, timeout=30).status_code == 200
    assert http.get(f"{base}/v1/customers", headers={"EF-Access-Key": workspace["secret"]}, timeout=30).status_code == 200
    assert http.get(f"{base}/v1/customers", headers={"Authorization": f"bearer   {workspace['token']}"},
                    timeout=30).status_code == 200
    r = http.post(f"{base}/v1/track/event?key={workspace['publishable']}", json={"event": "x", "anonymous_id": "a"},
                  timeout=30)
    assert r.status_code in (200, 202), r.text


def test_a_secret_key_in_the_url_is_refused(stack, workspace, base):
    http = new_session(FROM)
    for path in ("/v1/track/event", "/v1/track/pageview", "/v1/track/identify"):
        r = http.post(f"{base}{path}?key={workspace['secret']}", timeout=30,
                      json={"event": "x", "url": "https://x.io/", "anonymous_id": "a", "traits": {"name": "x"}})
        assert r.status_code == 401, f"{path}: {r.status_code} {r.text}"
        assert r.headers["Content-Type"].startswith("application/json")
        message = r.json()["message"]
        assert "X-API-Key header" in message and "exposed" in message, message
    # Outside /v1/track no key is taken from the URL, secret or publishable.
    for key in (workspace["secret"], workspace["publishable"]):
        r = http.get(f"{base}/v1/customers?key={key}", timeout=30)
        assert r.status_code == 401 and "X-API-Key header" in r.json()["message"], r.text
    # In the header the same secret key works.
    r = http.post(f"{base}/v1/track/event", headers={"X-API-Key": workspace["secret"]}, timeout=30,
                  json={"event": "x", "anonymous_id": "a"})
    assert r.status_code in (200, 202), r.text


def test_access_logs_hold_no_key_or_token(stack, workspace, base):
    http = new_session(FROM)
    marker = uuid.uuid4().hex
    ids = []
    for url, headers in ((f"{base}/v1/track/event?key={workspace['publishable']}&m={marker}", {}),
                         (f"{base}/v1/track/event?key={workspace['secret']}&m={marker}", {}),
                         (f"{base}/v1/customers?m={marker}", {"X-API-Key": workspace["secret"]}),
                         (f"{base}/v1/customers?m={marker}", {"Authorization": f"Bearer {workspace['token']}"}),
                         (f"{base}/v1/customers?key={workspace['secret']}", {"X-API-Key": workspace["secret"]}),
                         (f"{base}/v1/track?m={marker}", {"Authorization": basic(workspace["secret"])})):
        r = http.post(url, json={"event": "x", "anonymous_id": "a", "anonymousId": "a"}, headers=headers, timeout=30) if "track" in url \
            else http.get(url, headers=headers, timeout=30)
        ids.append(r.headers["X-Request-Id"])
    for request_id in ids:
        log_line(stack, request_id)
    serve_log = stack.run_dir / "log" / "serve.log"
    # The pool writes its lines when a thread waits for its next request: give it a moment.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and ids[2] not in serve_log.read_text(errors="replace"):
        http.get(f"{base}/v1/health", timeout=10)
        time.sleep(0.2)
    pool = serve_log.read_text(errors="replace")
    assert ids[2] in pool, "the pool's access log has no line for the request"
    nginx = nginx_log(stack).read_text(errors="replace")
    for secret in (workspace["publishable"], workspace["secret"], workspace["token"], marker, basic(workspace["secret"])[6:]):
        assert secret not in nginx, "a credential (or the query string) is in nginx's access log"
        assert secret not in pool, "a credential (or the query string) is in the pool's log"


# ---------------------------------------------------------------- nginx's own answers

def test_requests_nginx_cannot_read_get_json(stack):
    cases = [
        ("%00 in the path", request_bytes("GET", "/v1/customers%00.json"), 400),
        ("%00 in a static path", request_bytes("GET", "/js/app.js%00.txt"), 400),
        ("a URI too long", request_bytes("GET", "/v1/" + "a" * 9000), 414),
        ("an oversized header", request_bytes("GET", "/v1/customers", [("X-Big", "a" * 9000)]), 431),
        ("headers too large together", request_bytes("GET", "/v1/customers", [(f"X-H{i}", "a" * 7000) for i in range(6)]), 431),
        ("garbage", b"GARBAGE\r\n\r\n", 400),
        ("a bad request line", b"GET /v1/health HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
        ("a body too large", b"POST /v1/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 11534336\r\n\r\n{}", 413),
        ("TRACE", request_bytes("TRACE", "/v1/customers"), 405),
        ("TRACE on a static file", request_bytes("TRACE", "/index.html"), 405),
        ("a missing asset", request_bytes("GET", "/js/nothing-here.js"), 404),
        ("an error page asked for directly", request_bytes("GET", "/.nginx-error/500"), 404),
        ("/metrics from another address", request_bytes("GET", "/metrics"), 403),
    ]
    for what, data, expected in cases:
        status, headers, body = raw(stack, data)
        assert_json_error(status, headers, body, expected, what)
        if expected == 405:
            assert headers.get("allow"), what
    # The plain-HTTP port too.
    status, headers, body = raw(stack, request_bytes("GET", "/v1/x%00"), port=int(stack.env["ENTERCRM_HTTP_PORT"]), tls=False)
    assert_json_error(status, headers, body, 400, "%00 on the HTTP port")


class Silent:
    """A TCP listener that accepts and never answers: nginx's upstream read times out (504)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        for s in self.held:
            s.close()
        self.sock.close()


@pytest.fixture
def error_locations(stack):
    """Locations that make nginx answer 500, 502, 503 and 504 itself, through the stack's
    extra/server-*.conf include; removed again after the test. 502 and 504 are real upstream
    failures (no socket; a listener that never answers), 500 and 503 are `return`s, which
    take the same error_page path as nginx's own."""
    silent = Silent()
    conf = stack.run_dir / "nginx" / "extra" / "server-json-errors-test.conf"
    conf.write_text(f"""
location = /v1/__nginx_test/500 {{ return 500; }}
location = /v1/__nginx_test/502 {{ fastcgi_pass unix:{stack.run_dir}/no-such.sock; include fastcgi-params.conf; }}
location = /v1/__nginx_test/503 {{ return 503; }}
location = /v1/__nginx_test/504 {{
    fastcgi_pass 127.0.0.1:{silent.port};
    fastcgi_read_timeout 1s;
    include fastcgi-params.conf;
}}
""")
    try:
        stack.run("nginx-reload")
        # A reload replaces nginx's workers in the background: wait until the new ones answer.
        deadline = time.monotonic() + 30
        while raw(stack, request_bytes("GET", "/v1/__nginx_test/503"))[0] != 503:
            assert time.monotonic() < deadline, "nginx did not load the test locations"
            time.sleep(0.2)
        yield
    finally:
        conf.unlink()
        stack.run("nginx-reload")
        silent.close()


def test_nginx_server_errors_are_json(stack, error_locations):
    for code in (500, 502, 503, 504):
        status, headers, body = raw(stack, request_bytes("GET", f"/v1/__nginx_test/{code}"))
        document = assert_json_error(status, headers, body, code, f"nginx {code}")
        if code == 500:
            assert document["request_id"] == headers["x-request-id"]
        if code in (502, 503, 504):
            assert int(headers["retry-after"]) > 0


def test_502_while_the_pool_is_down_is_json(stack, base):
    stack.run("pool-stop")
    try:
        status, headers, body = raw(stack, request_bytes("GET", "/v1/customers", [("X-API-Key", "eck_" + "C" * 43)]))
        assert_json_error(status, headers, body, 502, "pool stopped")
    finally:
        stack.run("pool-start")
        stack.run("wait-health", "60")
    assert new_session(FROM).get(f"{base}/v1/health", timeout=30).status_code == 200


def test_rate_limit_config_matches_the_documented_numbers(stack):
    """The rendered nginx.conf spends a minute at once (burst 999 = 1,000 with the first)."""
    conf = (stack.run_dir / "nginx" / "nginx.conf").read_text()
    assert re.search(r"zone=credential:\S+ rate=1000r/m", conf)
    assert len(re.findall(r"limit_req zone=credential burst=999 nodelay;", conf)) >= 2
    assert "limit_req zone=tracking_credential burst=999 nodelay;" in conf
