#!/usr/bin/env python3
"""make bench, campaigns: an email campaign of CAMPAIGN_BENCH_RECIPIENTS (default 100,000)
recipients delivered by the job runner to a local SMTP sink (aiosmtpd, in this process),
through a running stack (RUN_DIR, as scripts/stack.sh leaves it). Prints messages a second
from `send` to `sent`, and the job runner's resident memory sampled every second (start,
peak, end), so a leak shows as growth.

Target: >= 500 messages/s with flat memory. The workspace is made through the API; the
customers and the segment straight in MariaDB (INSERT ... SELECT from the SEQUENCE engine)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import threading
import time
import uuid

from aiosmtpd.controller import Controller

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from e2e.support import SINK_HOST  # noqa: E402  (the sink's address, the one campaign_bench.sh allows outbound)
from benchstack import RUN_DIR, api, env, sql  # noqa: E402

N = int(os.environ.get("CAMPAIGN_BENCH_RECIPIENTS", "100000"))



class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += len(envelope.rcpt_tos)
        return "250 OK"


def rss_kib(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    e = env()
    base, http = api()
    sink = Sink()
    import socket
    with socket.socket() as probe:
        probe.bind((SINK_HOST, 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname=SINK_HOST, port=port)
    controller.start()
    try:
        r = http.post(f"{base}/v1/auth/register", json={"name": "Bench", "email": f"bench-{uuid.uuid4().hex[:8]}@bench.example",
                                                        "password": "secret123", "workspace_name": f"Campaign bench {uuid.uuid4().hex[:6]}"})
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        tenant = r.json()["tenant"]["id"]
        http.put(f"{base}/v1/campaigns/settings", headers=auth, json={
            "smtp_host": SINK_HOST, "smtp_port": port, "smtp_starttls": False, "from_email": "bench@bench.example",
            "send_rate": 100000}).raise_for_status()
        t0 = time.time()
        chunk = 100000
        for start in range(1, N + 1, chunk):
            end = min(N, start + chunk - 1)
            sql(f"INSERT INTO customers (tenant_id, name, email, city, properties, created_at, updated_at) "
                f"SELECT {tenant}, CONCAT('Bench ', seq), CONCAT('r', seq, '@bench.example'), 'Zagreb', '{{}}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) "
                f"FROM seq_{start}_to_{end}")
        sql(f"INSERT INTO segments (tenant_id, name, created_at, updated_at) VALUES ({tenant}, 'Everyone', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))")
        segment = int(sql(f"SELECT id FROM segments WHERE tenant_id = {tenant} AND name = 'Everyone'").strip())
        sql(f"INSERT INTO segment_members (segment_id, customer_id, tenant_id, added_at) "
            f"SELECT {segment}, id, tenant_id, UTC_TIMESTAMP(6) FROM customers WHERE tenant_id = {tenant}")
        print(f"loaded {N} customers and the segment in {time.time() - t0:.1f} s", file=sys.stderr)
        cid = http.post(f"{base}/v1/campaigns", headers=auth, json={
            "name": "Bench", "segment_id": segment, "subject": "Hello {{name}}",
            "body": "<h1>Hello {{name}}</h1><p>Our spring collection is here, with free shipping to {{city}}.</p>"
                    "<p><a href=\"https://shop.example/spring\">See it</a></p>"}).json()["id"]
        master = int(pathlib.Path(e.get("ENTERCRM_JOBS_PID_FILE", str(RUN_DIR / "jobs.pid"))).read_text().strip())
        # The runner is the supervising master's child.
        kids = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        pid = int(kids[0]) if kids else master
        samples = [rss_kib(pid)]
        started = time.time()
        sent = http.post(f"{base}/v1/campaigns/{cid}/send", headers=auth).json()
        queued_at = time.time()
        print(f"send answered in {queued_at - started:.2f} s: {sent['queued_messages']} messages frozen", file=sys.stderr)
        while True:
            time.sleep(1)
            samples.append(rss_kib(pid))
            status = http.get(f"{base}/v1/campaigns/{cid}?messages_per_page=1", headers=auth).json()
            if status["status"] != "sending":
                break
            print(f"  {time.time() - started:6.1f} s  {status['progress']:5.1f} %  sink {sink.count}  rss {samples[-1] // 1024} MiB",
                  file=sys.stderr)
        elapsed = time.time() - started
        rate = status["total_sent"] / elapsed
        # The server's own times (freeze to last message), without this script's polling.
        from datetime import datetime
        span = (datetime.fromisoformat(status["finished_at"].replace("Z", "+00:00"))
                - datetime.fromisoformat(status["sent_at"].replace("Z", "+00:00"))).total_seconds()
        print(f"campaign bench: server-side {status['total_sent']} messages in {span:.1f} s: "
              f"{status['total_sent'] / max(span, 0.001):.0f} messages/s")
        print(f"campaign bench: {status['total_sent']} of {N} delivered ({sink.count} at the sink) in {elapsed:.1f} s: "
              f"{rate:.0f} messages/s (target >= 500)")
        print(f"campaign bench: job runner RSS start {samples[0] // 1024} MiB, peak {max(samples) // 1024} MiB, "
              f"end {samples[-1] // 1024} MiB ({len(samples)} samples)")
        return 0 if status["status"] == "sent" and status["total_sent"] == N else 1
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
