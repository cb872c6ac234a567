#!/usr/bin/env python3
"""make bench: an import through POST /v1/track/batch, and how fast it went.

    batch_import.py BASE_URL API_KEY [--events N] [--batch 500] [--connections 4]
                    [--emails 20000] [--seed 1] [--purchase-share 0.4] [--segment]

With --segment, the same events go as the Segment spec's messages to POST /v1/batch (issue 26:
`Order Completed` with revenue and currency, `page` with its URL, the customers named by
userId, the key as the Basic user name), so that make bench sets the two intakes side by side.

Makes N events up front (purchases with an amount and pageviews, in batches of --batch),
for customers drawn from --emails addresses, each dated in the past as a history import
would be; then posts every batch once over --connections keep-alive connections and times
from the first request sent to the last answer read. Prints one JSON object:
events sent, batches, seconds, events per second, the sum of the purchase amounts (exact,
as a decimal string), purchases, and the failures (non-200 answers or items answered as
errors). Every batch is sent exactly once, so the database must afterwards hold exactly
these events and aggregates.
"""
import argparse
import base64
import http.client
import json
import random
import ssl
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

# A 503 (the database busy: a deadlock or a lock wait timed out, the batch rolled back) is
# sent again, as an importer would, after this pause; the retries are counted and reported.
RETRY_PAUSE = 0.05
MAX_RETRIES = 20
from decimal import Decimal


def make_batches(args):
    rng = random.Random(args.seed)
    emails = [f"import.{args.seed}.{i}@shop{i % 7}.example" for i in range(args.emails)]
    pages = ["/", "/pricing", "/features", "/blog/rfm-explained", "/checkout", "/docs", "/contact", "/cart"]
    products = [("prod_basic", "Basic Plan"), ("prod_premium", "Premium Plan"), ("prod_addon", "Extra Seats"),
                ("prod_course", "Onboarding Course")]
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    span = 365 * 86400
    total_amount = Decimal(0)
    purchases = 0
    bodies = []
    for b in range(0, args.events, args.batch):
        items = []
        for _ in range(min(args.batch, args.events - b)):
            email = emails[rng.randrange(len(emails))]
            at = (start + timedelta(seconds=rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
            if rng.random() < args.purchase_share:
                cents = rng.randrange(500, 50000)
                amount = Decimal(cents) / 100
                total_amount += amount
                purchases += 1
                pid, name = products[rng.randrange(len(products))]
                if args.segment:
                    items.append({"type": "track", "userId": email.split("@")[0], "event": "Order Completed", "timestamp": at,
                                  "properties": {"revenue": float(amount), "currency": "EUR",
                                                 "product_id": pid, "product_name": name}})
                else:
                    items.append({"event": "purchase", "customer_email": email, "occurred_at": at,
                                  "properties": {"amount": float(amount), "currency": "EUR",
                                                 "product_id": pid, "product_name": name}})
            else:
                url = "https://shop.example" + pages[rng.randrange(len(pages))]
                referrer = "https://www.google.com/" if rng.random() < 0.2 else None
                if args.segment:
                    items.append({"type": "page", "userId": email.split("@")[0], "timestamp": at,
                                  "properties": {"url": url, "referrer": referrer}})
                else:
                    items.append({"type": "pageview", "customer_email": email, "occurred_at": at,
                                  "url": url, "referrer": referrer})
        key = "batch" if args.segment else "events"
        bodies.append(json.dumps({key: items}, separators=(",", ":")).encode())
    return bodies, total_amount, purchases


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("key")
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--emails", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--purchase-share", type=float, default=0.4)
    p.add_argument("--segment", action="store_true")
    args = p.parse_args()

    bodies, total_amount, purchases = make_batches(args)
    url = urllib.parse.urlsplit(args.base)
    headers = {"X-API-Key": args.key, "Content-Type": "application/json"}
    path = "/v1/track/batch"
    if args.segment:
        headers = {"Authorization": "Basic " + base64.b64encode(f"{args.key}:".encode()).decode(),
                   "Content-Type": "application/json"}
        path = "/v1/batch"
    counts = [len(json.loads(b)["batch" if args.segment else "events"]) for b in bodies]
    lock = threading.Lock()
    queue = list(range(len(bodies)))
    failures = []
    recorded = [0]
    retries = [0]
    latencies = []

    def connect():
        # make bench's stack is plain HTTP; a dev stack's test certificate is self-signed.
        if url.scheme == "https":
            return http.client.HTTPSConnection(url.hostname, url.port, timeout=120, context=ssl._create_unverified_context())
        return http.client.HTTPConnection(url.hostname, url.port, timeout=120)

    def worker():
        conn = connect()
        while True:
            with lock:
                if not queue:
                    break
                i = queue.pop()
            for attempt in range(MAX_RETRIES + 1):
                status, data, elapsed, conn = send(conn, i)
                if status != 503 or attempt == MAX_RETRIES:
                    break
                with lock:
                    retries[0] += 1
                time.sleep(RETRY_PAUSE)
            if status is None:
                continue
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    failures.append(f"batch {i}: HTTP {status} {data[:200]!r}")
                    continue
                answer = json.loads(data)
                # The Segment answer is {"success": true} (and the messages left out, if any).
                recorded[0] += counts[i] - len(answer.get("errors", [])) if args.segment else answer.get("recorded", 0)
                if answer.get("errors"):
                    failures.append(f"batch {i}: {answer['errors'][:3]}")
        conn.close()

    def send(conn, i):
        """One POST of batch i: (status or None, body, seconds, the connection to go on with)."""
        t0 = time.perf_counter()
        try:
            conn.request("POST", path, body=bodies[i], headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as e:
            with lock:
                failures.append(f"batch {i}: {e!r}")
            conn.close()
            return None, b"", 0, connect()
        return response.status, data, time.perf_counter() - t0, conn

    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
    json.dump({
        "events": args.events, "batches": len(bodies), "connections": args.connections,
        "seconds": round(seconds, 3), "events_per_second": round(recorded[0] / seconds, 1) if seconds else 0,
        "recorded": recorded[0], "purchases": purchases, "amount_sum": str(total_amount.quantize(Decimal("0.01"))),
        "batch_p50_ms": round(pct(0.50), 1), "batch_p95_ms": round(pct(0.95), 1),
        "retries_503": retries[0], "failures": len(failures), "first_failures": failures[:5],
    }, sys.stdout)
    print()


if __name__ == "__main__":
    main()
