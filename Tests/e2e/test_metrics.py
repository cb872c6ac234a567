"""GET /metrics: Prometheus text, counted per route over the pool's workers; loopback only."""

from __future__ import annotations

import re

from .support import new_session


def scrape(http, base: str) -> str:
    r = http.get(f"{base}/metrics", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return r.text


def count(text: str, route: str) -> int:
    total = 0
    for m in re.finditer(r'^entercrm_http_requests_total\{method="GET",route="%s",status="2xx"\} (\d+)$' % re.escape(route), text, re.M):
        total += int(m.group(1))
    return total


def test_metrics_count_requests_per_route_with_histograms(base: str) -> None:
    http = new_session()
    for _ in range(12):
        assert http.get(f"{base}/v1/health", timeout=10).status_code == 200
    text = scrape(http, base)
    assert "# TYPE entercrm_http_requests_total counter" in text
    assert "# TYPE entercrm_http_request_duration_seconds histogram" in text
    assert re.search(r'^entercrm_http_request_duration_seconds_bucket\{method="GET",route="/v1/health",le="\+Inf"\} \d+$', text, re.M)
    assert re.search(r"^entercrm_database_up 1$", text, re.M)
    assert "entercrm_jobs_failed" in text
    # With one pool every health request above is counted by it; with two behind one
    # nginx (the cluster), each counts its share.
    assert count(text, "/v1/health") >= 1


def test_metrics_are_not_served_to_other_addresses(base: str) -> None:
    http = new_session("127.0.0.9")
    r = http.get(f"{base}/metrics", timeout=10)
    assert r.status_code in (403, 404), r.status_code
