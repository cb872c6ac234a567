#!/usr/bin/env python3
"""make bench: the ceiling of the batch import, MariaDB alone.

    import_ceiling.py TENANT IDS_FILE OUT_PREFIX [--events N] [--clients 4] [--seed 1]

Writes, for CLIENTS mariadb command-line clients (OUT_PREFIX.0.sql, ...), the two writes an
import makes for each batch of 500 events, as POST /v1/track/batch makes them once the
customers are known: one transaction holding the multi-row INSERT of the 500 events (into
the real `events` table, with every index the features need) and the UPDATE that adds their
deltas to the customers (the statement EventRecorder.updateByID sends). Customers are drawn
from IDS_FILE (one id a line, the import workspace's) and events are purchases and
pageviews in the import's proportions. bench.sh runs the clients at once and times them:
no HTTP, no JSON parsing, no id lookups, so the pool's import can only be slower.

    import_ceiling.py TENANT - OUT_PREFIX --new-customers EMAILS --first-id ID [--events N] ...

The ceiling of an import that creates its customers (issue 22): customers are drawn from
EMAILS new addresses (as batch_import.py draws them), and each batch first makes the rows its
new customers need: the customers (explicit ids from ID on, rising in the order they are
created as AUTO_INCREMENT's would, so that no lookup is needed; the
count trigger's rows with them), and their words by the one set-based statement of the word
index (customer_words_add, schema/029; the per-row trigger is off for that INSERT, as it is
for the pool's), all in the batch's one transaction. Each client creates the addresses of its
own share (index % clients), so no client waits for a customer another has not made yet.
"""
import argparse
import json
import random
from decimal import Decimal

UPDATE = """UPDATE JSON_TABLE('{rows}', '$[*]' COLUMNS (
 id BIGINT UNSIGNED PATH '$[0]', n INT UNSIGNED PATH '$[1]', orders INT UNSIGNED PATH '$[2]',
 total DECIMAL(14,2) PATH '$[3]', seen DATETIME(6) PATH '$[4]', first_order DATETIME(6) PATH '$[5]',
 last_order DATETIME(6) PATH '$[6]', currency CHAR(3) PATH '$[7]')) d
 STRAIGHT_JOIN customers c FORCE INDEX (PRIMARY) ON c.id = d.id
SET c.clv_average_order = IF(c.clv_order_count + d.orders > 0,
 ROUND((c.clv_total + d.total) / (c.clv_order_count + d.orders), 2), c.clv_average_order),
 c.events_count = c.events_count + d.n, c.last_seen_at = GREATEST(COALESCE(c.last_seen_at, d.seen), d.seen),
 c.clv_total = c.clv_total + d.total, c.clv_order_count = c.clv_order_count + d.orders,
 c.first_order_at = LEAST(COALESCE(c.first_order_at, d.first_order), COALESCE(d.first_order, c.first_order_at)),
 c.last_order_at = GREATEST(COALESCE(c.last_order_at, d.last_order), COALESCE(d.last_order, c.last_order_at)),
 c.currency = COALESCE(c.currency, d.currency), c.updated_at = UTC_TIMESTAMP(6)
WHERE c.tenant_id = {tenant};"""

COLUMNS = ("tenant_id, public_id, customer_id, anonymous_id, type, name, properties, amount, currency, url, "
           "referrer, user_agent, ip, message_id, occurred_at, received_at")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("tenant", type=int)
    p.add_argument("ids")
    p.add_argument("out")
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--new-customers", type=int, default=0, metavar="EMAILS")
    p.add_argument("--first-id", type=int, default=0)
    args = p.parse_args()
    rng = random.Random(args.seed)
    ids = [int(line) for line in open(args.ids) if line.strip()] if not args.new_customers else []
    created = {}  # address index -> customer id, in the order each client creates them
    made = [0] * args.clients
    pages = ["/", "/pricing", "/features", "/blog/rfm-explained", "/checkout", "/docs", "/contact", "/cart"]
    files = [open(f"{args.out}.{c}.sql", "w") for c in range(args.clients)]
    for b in range(0, args.events, 500):
        rows, deltas = [], {}
        client = (b // 500) % args.clients
        new = []
        for _ in range(min(500, args.events - b)):
            if args.new_customers:
                i = rng.randrange(args.new_customers // args.clients) * args.clients + client
                if i not in created:
                    # Ids rising in the order of creation, as AUTO_INCREMENT gives them.
                    created[i] = args.first_id + made[client] * args.clients + client
                    made[client] += 1
                    new.append((created[i], f"ceiling.{args.seed}.{i}@shop{i % 7}.example"))
                cid = created[i]
            else:
                cid = ids[rng.randrange(len(ids))]
            at = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.000000"
            public = "evt_%016x" % rng.getrandbits(64)
            d = deltas.setdefault(cid, {"n": 0, "orders": 0, "total": Decimal(0), "seen": at, "first": None, "last": None})
            d["n"] += 1
            d["seen"] = max(d["seen"], at)
            if rng.random() < 0.4:
                amount = Decimal(rng.randrange(500, 50000)) / 100
                props = json.dumps({"amount": float(amount), "currency": "EUR", "product_id": "prod_basic", "product_name": "Basic Plan"})
                rows.append(f"({args.tenant},'{public}',{cid},NULL,'event','purchase','{props}',{amount},'EUR',"
                            f"NULL,NULL,NULL,NULL,NULL,'{at}',UTC_TIMESTAMP(6))")
                d["orders"] += 1
                d["total"] += amount
                d["first"] = min(d["first"] or at, at)
                d["last"] = max(d["last"] or at, at)
            else:
                rows.append(f"({args.tenant},'{public}',{cid},NULL,'pageview','pageview','{{}}',NULL,NULL,"
                            f"'https://shop.example{pages[rng.randrange(len(pages))]}',NULL,NULL,NULL,NULL,'{at}',UTC_TIMESTAMP(6))")
        update = [[cid, d["n"], d["orders"], str(d["total"]), d["seen"], d["first"], d["last"], "EUR" if d["orders"] else None]
                  for cid, d in sorted(deltas.items())]
        out = files[client]
        out.write("BEGIN;\n")
        if new:
            out.write("SET @entercrm_words_by_batch = 1;\n")
            out.write("INSERT INTO customers (id, tenant_id, email, created_at, updated_at) VALUES "
                      + ",".join(f"({cid},{args.tenant},'{email}',UTC_TIMESTAMP(6),UTC_TIMESTAMP(6))" for cid, email in new)
                      + ";\n")
            out.write("SET @entercrm_words_by_batch = NULL;\n")
            out.write(f"CALL customer_words_add({args.tenant}, '{json.dumps([cid for cid, _ in new])}');\n")
        out.write(f"INSERT INTO events ({COLUMNS}) VALUES {','.join(rows)};\n")
        out.write(UPDATE.format(rows=json.dumps(update), tenant=args.tenant).replace("\n", " ") + "\n")
        out.write("COMMIT;\n")
    for f in files:
        f.close()


if __name__ == "__main__":
    main()
