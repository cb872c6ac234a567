"""The foundation through nginx: health, headers, TLS redirect, console, JSON errors."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'",
}
CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def assert_security_headers(response) -> None:
    for name, fragment in SECURITY_HEADERS.items():
        assert name in response.headers, f"{name} missing on {response.url} ({response.status_code})"
        assert fragment in response.headers[name]
    csp = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
    for directive in CSP_DIRECTIVES:
        assert directive in csp


def assert_json_error(response, status: int, message: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"]
    if message is not None:
        assert body["message"] == message
    return body


def test_health_answers_ok_with_a_request_id(http, base):
    response = http.get(f"{base}/v1/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"status": "ok", "database": "ok", "version": "0.1.0"}
    first = response.headers["X-Request-Id"]
    assert REQUEST_ID.match(first), first
    second = http.get(f"{base}/v1/health").headers["X-Request-Id"]
    assert REQUEST_ID.match(second) and second != first
    assert_security_headers(response)


def test_every_request_has_one_access_log_line_with_its_request_id(stack, http, base):
    log = stack.run_dir / "log" / "serve.log"
    ids = []
    for path in ("/v1/health", "/v1/no-such-route", "/v1/customers"):
        ids.append((path, http.get(f"{base}{path}").headers["X-Request-Id"]))

    def logged():
        text = log.read_text(errors="replace")
        lines = {i: [l for l in text.splitlines() if l.endswith(" " + i)] for _, i in ids}
        return lines if all(len(v) == 1 for v in lines.values()) else None

    # Lines are buffered per pool thread and written when the thread runs out of work.
    lines = stack.wait_for(logged, timeout=5)
    assert lines, f"access lines missing for {ids}"
    for (path, request_id), status in zip(ids, ("200", "404", "401")):
        line = lines[request_id][0]
        assert " access " in line and f'"GET {path}" {status} ' in line, line


def test_security_headers_on_static_api_and_nginx_errors(http, base):
    assert_security_headers(http.get(f"{base}/"))
    assert_security_headers(http.get(f"{base}/app.css"))
    assert_security_headers(http.get(f"{base}/v1/health"))
    assert_security_headers(http.get(f"{base}/v1/no-such-route"))
    too_large = http.post(f"{base}/v1/echo", data=b"x" * (11 * 1024 * 1024),
                          headers={"Content-Type": "application/json"})
    assert_security_headers(too_large)


def test_http_redirects_to_https(stack, http):
    response = http.get(f"{stack.http_base}/customers/7?tab=events", allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://localhost:{stack.https_port}/customers/7?tab=events"


def test_https_speaks_http2(base):
    done = subprocess.run(
        ["curl", "-sk", "--http2", "-o", "/dev/null", "-w", "%{http_version}", f"{base}/v1/health"],
        capture_output=True, text=True, timeout=30,
    )
    assert done.stdout == "2"


def test_console_placeholder_page(http, base):
    response = http.get(f"{base}/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<title>EnterCRM</title>" in response.text
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # The CSP allows no inline script or style: the page must not need any.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)
    assert "<style" not in response.text and " style=" not in response.text
    assert 'href="/app.css"' in response.text


def test_email_preview_page_has_a_csp_of_its_own(http, base):
    """/email-preview.html, the frame of the console's email previews: the message's inline
    styles and images apply, its only script is the page's own (by hash, kept in step with the
    file here), no forms post, and only the console frames it."""
    response = http.get(f"{base}/email-preview.html")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    scripts = re.findall(r"<script>(.*?)</script>", response.text, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
    for directive in ("default-src 'none'", f"script-src 'sha256-{digest}'", "style-src 'unsafe-inline'",
                      "img-src 'self' data: https:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'self'"):
        assert directive in csp, (directive, csp)
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    # Nothing else of the console gets that policy.
    assert_security_headers(http.get(f"{base}/email-preview.html/x"))
    assert_security_headers(http.get(f"{base}/js/components/email-preview.js"))


def test_console_routes_load_the_console(http, base):
    response = http.get(f"{base}/customers/42")
    assert response.status_code == 200
    assert "<title>EnterCRM</title>" in response.text


def test_stylesheet_is_cached_briefly_and_gzipped(http, base):
    response = http.get(f"{base}/app.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers.get("Content-Encoding") == "gzip"
    cache = response.headers["Cache-Control"]
    assert "max-age=" in cache and "must-revalidate" in cache
    assert http.get(f"{base}/no-such-file.js").status_code == 404


def test_unknown_api_route_is_json_404(http, base):
    assert_json_error(http.get(f"{base}/v1/no-such-route"), 404)
    assert_json_error(http.post(f"{base}/v1/no/such/route", json={}), 404)


def test_echo_round_trips_json(http, base):
    payload = {"name": "echo", "count": 3, "nested": {"list": [1, 2.5, None, True]}}
    response = http.post(f"{base}/v1/echo", json=payload)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": payload}
    assert REQUEST_ID.match(response.headers["X-Request-Id"])


def test_validation_error_names_the_field(http, base):
    body = assert_json_error(http.post(f"{base}/v1/echo", json={}), 422,
                             "The given data was invalid.")
    assert body["errors"] == {"name": ["The name field is required."]}
    body = assert_json_error(http.post(f"{base}/v1/echo", json={"name": 7}), 422)
    assert "name" in body["errors"]


def test_malformed_json_is_400(http, base):
    response = http.post(f"{base}/v1/echo", data=b'{"name": "half',
                         headers={"Content-Type": "application/json"})
    assert_json_error(response, 400)


def test_body_over_ten_megabytes_is_json_413(http, base):
    response = http.post(f"{base}/v1/echo", data=b" " * (11 * 1024 * 1024),
                         headers={"Content-Type": "application/json"})
    assert_json_error(response, 413, "Request body too large.")
    assert REQUEST_ID.match(response.headers["X-Request-Id"])


def test_utf8_round_trip(http, base):
    payload = {"name": "Ana Kovač", "city": "Đakovo", "note": "Žuti 🚀 日本語 ✓"}
    response = http.post(f"{base}/v1/echo", json=payload)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": payload}
    raw = response.content.decode("utf-8")
    assert "Ana Kova" in raw
    # The same bytes, sent raw rather than escaped by the client.
    raw_body = '{"name":"Ana Kovač 🚀"}'.encode("utf-8")
    response = http.post(f"{base}/v1/echo", data=raw_body,
                         headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200
    assert response.json() == {"data": {"name": "Ana Kovač 🚀"}}
