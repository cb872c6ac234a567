import Core
import MariaDB
import Web

/// A demo subscription: paused (its receiver, hooks.example.com, is an example that nobody
/// answers), with a week of deliveries in its log: most delivered, a few that failed and
/// wait for a replay. Idempotent: skipped when it exists.
package enum WebhookSeed {
    static let url = "https://hooks.example.com/entercrm"

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        guard try db.queryOne("SELECT id FROM webhook_subscriptions WHERE tenant_id = \(tenant) AND url = \(url)") == nil else { return }
        let owner = try db.queryOne("SELECT user_id FROM memberships WHERE tenant_id = \(tenant) AND role = 'owner' ORDER BY user_id LIMIT 1")?
            .optionalInt("user_id")
        let types = JSONWriter.string(["customer.created", "customer.updated", "event.tracked", "entry.stage_changed"])
        try db.transaction {
            let id = try db.execute("""
                INSERT INTO webhook_subscriptions (tenant_id, url, description, types, event_names, secret, status, paused_reason,
                                                   created_by, created_at, updated_at)
                VALUES (\(tenant), \(url), 'Data warehouse sync (example)', \(types), '["Order Completed", "purchase"]',
                        \(WebhookSignature.newSecret()), 'paused', 'Paused for the demo: hooks.example.com is an example address.',
                        \(owner), UTC_TIMESTAMP(6) - INTERVAL 8 DAY, UTC_TIMESTAMP(6) - INTERVAL 1 DAY)
                """).lastInsertID
            // 40 deliveries over the last week, about one in eight failed for good.
            let customers = try db.query("SELECT id, email, name FROM customers WHERE tenant_id = \(tenant) ORDER BY id LIMIT 40")
            for (n, c) in customers.enumerated() {
                let cid = try c.int("id")
                let minutes = (40 - n) * 250
                let failed = n % 8 == 5
                let data: JSON = ["id": .int(Int64(cid)), "email": c.json("email"), "name": c.json("name")]
                let delivery = try db.execute("""
                    INSERT INTO webhook_deliveries (tenant_id, subscription_id, type, subject, data, status, attempts, next_attempt_at,
                                                    last_status, last_error, occurred_at, created_at, delivered_at)
                    VALUES (\(tenant), \(id), 'customer.updated', \("customer:\(cid)"), \(JSONWriter.string(data)),
                            \(failed ? "failed" : "delivered"), \(failed ? 17 : 1), UTC_TIMESTAMP(6) - INTERVAL \(minutes) MINUTE,
                            \(failed ? 503 : 200), \(failed ? "answered 503" : nil), UTC_TIMESTAMP(6) - INTERVAL \(minutes) MINUTE,
                            UTC_TIMESTAMP(6) - INTERVAL \(minutes) MINUTE,
                            IF(\(failed ? 1 : 0) = 1, NULL, UTC_TIMESTAMP(6) - INTERVAL \(minutes) MINUTE))
                    """).lastInsertID
                try db.execute("""
                    INSERT INTO webhook_attempts (tenant_id, subscription_id, delivery_id, attempted_at, status_code, error, duration_ms, response)
                    VALUES (\(tenant), \(id), \(delivery), UTC_TIMESTAMP(6) - INTERVAL \(minutes) MINUTE, \(failed ? 503 : 200),
                            \(failed ? "answered 503" : nil), \(failed ? 1200 + n : 40 + n * 3),
                            \(failed ? "<html><body>503 Service Unavailable</body></html>" : "{\"received\": true}"))
                    """)
            }
        }
        log("seed: webhook \(url) (paused) with its delivery log")
    }
}
