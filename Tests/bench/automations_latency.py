"""Event → enrolment latency: tracks events one at a time into an active event_performed
automation and times each until its enrolment has taken its first step.

Usage: automations_latency.py BASE EVENTS"""

from __future__ import annotations

import statistics
import sys
import time
import uuid

import requests
import urllib3

urllib3.disable_warnings()


def main() -> None:
    base, events = sys.argv[1], int(sys.argv[2])
    http = requests.Session()
    http.verify = False
    http.trust_env = False

    def call(method, path, body=None, token=None, expect=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = http.request(method, base + path, json=body, headers=headers, timeout=30)
        if expect is not None and r.status_code != expect:
            raise SystemExit(f"{method} {path}: {r.status_code} {r.text[:300]}")
        return r.json() if r.content else None

    tag = uuid.uuid4().hex[:8]
    token = call("POST", "/v1/auth/register", {"name": "Bench", "email": f"bench-{tag}@example.com", "password": "secret123",
                                               "workspace_name": f"Automations bench {tag}"}, expect=201)["token"]
    automation = call("POST", "/v1/automations", {"name": "Latency", "trigger_type": "event_performed",
                                                  "trigger_config": {"event": "bench_signup"}}, token, 201)["id"]
    call("POST", f"/v1/automations/{automation}/design", {
        "nodes": [{"id": "1", "type": "trigger", "data": {}, "position": {"x": 0, "y": 0}},
                  {"id": "2", "type": "action", "data": {"action": "add_tag", "tag": "bench"}, "position": {"x": 0, "y": 100}}],
        "edges": [{"id": "e1-2", "source": "1", "target": "2"}]}, token, 200)
    call("POST", f"/v1/automations/{automation}/activate", None, token, 200)
    time.sleep(1.5)
    latencies = []
    for i in range(events):
        email = f"c{i}-{tag}@example.com"
        call("POST", "/v1/track/event", {"event": "bench_signup", "customer_email": email}, token, None)
        start = time.monotonic()
        deadline = start + 60
        while time.monotonic() < deadline:
            page = call("GET", f"/v1/automations/{automation}/enrolments", token=token, expect=200)
            found = [e for e in page["data"] if e.get("customer_email") == email and e.get("path")]
            if found:
                break
            time.sleep(0.05)
        latencies.append(time.monotonic() - start)
    latencies.sort()
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
    print(f"automations: event → enrolment started, {events} events: p50 {statistics.median(latencies):.2f} s, "
          f"p95 {p95:.2f} s, max {latencies[-1]:.2f} s (target: p95 ≤ 5 s): {'PASS' if p95 <= 5 else 'MISS'}")


if __name__ == "__main__":
    main()
