#!/usr/bin/env python3
"""make bench, webhooks: WEBHOOK_BENCH_CALLS (default 20,000) outbox rows delivered by the job
runner to a fast local receiver (asyncio, in this process, on the sinks' address that the
outbound guard allows), through a running stack (RUN_DIR, as scripts/stack.sh leaves it).
The rows go straight into webhook_deliveries (INSERT ... SELECT from the SEQUENCE engine),
spread over WEBHOOK_BENCH_SUBSCRIPTIONS (4) subscriptions of one workspace, one subject each
(so the per-subject order does not serialise them). Prints calls a second from the first row
due to the last delivered, and what the receiver counted.

Target: >= 1,000 calls/s."""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys
import threading
import time
import uuid


sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from e2e.support import SINK_HOST  # noqa: E402
from benchstack import api, sql  # noqa: E402

N = int(os.environ.get("WEBHOOK_BENCH_CALLS", "20000"))
SUBS = int(os.environ.get("WEBHOOK_BENCH_SUBSCRIPTIONS", "4"))



class Receiver:
    """A minimal HTTP/1.1 receiver: reads one request per connection, answers 200."""

    def __init__(self) -> None:
        self.count = 0
        self.port = 0
        ready = threading.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                self.count += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                pass
            finally:
                writer.close()

        async def serve() -> None:
            server = await asyncio.start_server(handle, SINK_HOST, 0, backlog=1024)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            await server.serve_forever()

        threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
        ready.wait(10)


def main() -> int:
    base, http = api()
    receiver = Receiver()
    r = http.post(f"{base}/v1/auth/register", json={"name": "Bench", "email": f"bench-{uuid.uuid4().hex[:8]}@bench.example",
                                                    "password": "secret123", "workspace_name": f"Webhook bench {uuid.uuid4().hex[:6]}"})
    r.raise_for_status()
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    tenant = r.json()["tenant"]["id"]
    subs = []
    for _ in range(SUBS):
        made = http.post(f"{base}/v1/webhooks", headers=auth, json={"url": f"http://{SINK_HOST}:{receiver.port}/hook",
                                                                    "types": ["customer.updated"]})
        made.raise_for_status()
        subs.append(made.json()["id"])
    # Due in 2 s, so that every row is written before the runner starts on them.
    cases = " ".join(f"WHEN {i} THEN {s}" for i, s in enumerate(subs))
    sql(f"INSERT INTO webhook_deliveries (tenant_id, subscription_id, type, subject, data, next_attempt_at, occurred_at, created_at) "
        f"SELECT {tenant}, CASE seq % {SUBS} {cases} END, 'customer.updated', CONCAT('customer:', seq), "
        f"CONCAT('{{\"id\":', seq, ',\"changes\":{{\"city\":{{\"old\":null,\"new\":\"Zagreb\"}}}}}}'), "
        f"UTC_TIMESTAMP(6) + INTERVAL 2 SECOND, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM seq_1_to_{N}")
    due = time.time() + 2
    ids = ",".join(map(str, subs))
    while True:
        time.sleep(0.5)
        left = int(sql(f"SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id IN ({ids}) AND status <> 'delivered'").strip())
        print(f"  {time.time() - due:6.1f} s  {N - left} delivered  receiver {receiver.count}", file=sys.stderr)
        if left == 0 or time.time() - due > 600:
            break
    span = float(sql(f"SELECT TIMESTAMPDIFF(MICROSECOND, MIN(created_at) + INTERVAL 2 SECOND, MAX(delivered_at)) / 1e6 "
                     f"FROM webhook_deliveries WHERE subscription_id IN ({ids})").strip())
    print(f"webhook bench: {N - left} of {N} delivered ({receiver.count} calls at the receiver) in {span:.1f} s: "
          f"{(N - left) / max(span, 0.001):.0f} calls/s (target >= 1000)")
    for s in subs:
        http.delete(f"{base}/v1/webhooks/{s}", headers=auth)
    return 0 if left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
