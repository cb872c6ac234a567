import Core
import Foundation
import MariaDB
import Web

/// The SQL of webhook subscriptions, their outbox rows and their delivery log.
package enum WebhookStore {
    static let columns: SQL = """
        id, url, description, types, event_names, secret, status, paused_reason, failing_since, created_at, updated_at
        """

    /// A subscription as the API shows it (the secret masked).
    static func json(_ row: Row) throws -> JSON {
        [
            "id": row.json("id"), "url": row.json("url"), "description": row.json("description"),
            "types": (try? JSONParser.parse(try row.string("types"))) ?? .array([]),
            "event_names": row.optionalString("event_names").flatMap { try? JSONParser.parse($0) } ?? .null,
            "secret": .string(WebhookSignature.masked(try row.string("secret"))),
            "status": row.json("status"), "paused_reason": row.json("paused_reason"),
            "failing_since": row.json("failing_since"),
            "created_at": row.json("created_at"), "updated_at": row.json("updated_at"),
        ]
    }

    /// The subscription `id` of the workspace, locked when `lock`; 404 when it is not there.
    static func find(_ db: Connection, _ tenant: Tenant, _ id: Int, lock: Bool = false) throws -> Row {
        let suffix: SQL = lock ? " FOR UPDATE" : ""
        guard let row = try db.queryOne("SELECT \(columns) FROM webhook_subscriptions WHERE tenant_id = \(tenant) AND id = \(id)\(suffix)") else {
            throw HTTPError.notFound("Webhook not found.")
        }
        return row
    }

    /// Records a round's outcomes in one transaction: the log rows, the deliveries (delivered,
    /// to retry, or failed for good), the subscription's failing streak, and its pause when
    /// the streak is 3 days old (then mails its creator, after the commit).
    static func recordOutcomes(_ db: Connection, subscription: Int, rows: [WebhookDelivery.Claimed],
                               outcomes: [WebhookCall.Outcome]) throws {
        let paused: Bool = try db.transaction(retries: 5) {
            guard let tenant = try db.queryOne("SELECT tenant_id FROM webhook_subscriptions WHERE id = \(subscription)")?
                .int("tenant_id") else { return false }
            let log: [SQL] = zip(rows, outcomes).map { row, o in
                "(\(tenant), \(subscription), \(row.id), UTC_TIMESTAMP(6), \(o.status), \(o.error.map { String($0.prefix(100)) }), \(o.milliseconds), \(o.response))"
            }
            try db.execute("""
                INSERT INTO webhook_attempts (tenant_id, subscription_id, delivery_id, attempted_at, status_code, error, duration_ms, response)
                VALUES \(SQL.join(log, separator: ", "))
                """)
            let delivered = zip(rows, outcomes).filter { $0.1.delivered }
            // One UPDATE per answered status (nearly always one: 200).
            for (status, group) in Dictionary(grouping: delivered, by: { $0.1.status ?? 0 }) {
                try db.execute("""
                    UPDATE webhook_deliveries SET status = 'delivered', delivered_at = UTC_TIMESTAMP(6), last_error = NULL,
                        last_status = \(status)
                    WHERE id IN (\(list: group.map(\.0.id)))
                    """)
            }
            if !delivered.isEmpty {
                try db.execute("UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = \(subscription)")
            }
            for (row, o) in zip(rows, outcomes) where !o.delivered {
                let error = o.error.map { String($0.prefix(100)) }
                if row.givesUp {
                    try db.execute("""
                        UPDATE webhook_deliveries SET status = 'failed', last_status = \(o.status), last_error = \(error) WHERE id = \(row.id)
                        """)
                } else {
                    try db.execute("""
                        UPDATE webhook_deliveries SET last_status = \(o.status), last_error = \(error),
                            next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL \(WebhookDelivery.backoff(attempts: row.attempts)) SECOND
                        WHERE id = \(row.id)
                        """)
                }
            }
            guard delivered.isEmpty else { return false }
            try db.execute("UPDATE webhook_subscriptions SET failing_since = COALESCE(failing_since, UTC_TIMESTAMP(6)) WHERE id = \(subscription)")
            return try db.execute("""
                UPDATE webhook_subscriptions SET status = 'paused', updated_at = UTC_TIMESTAMP(6),
                    paused_reason = 'Every call failed for 3 days: paused automatically.'
                WHERE id = \(subscription) AND status = 'active'
                  AND failing_since <= UTC_TIMESTAMP(6) - INTERVAL \(WebhookDelivery.giveUpSeconds) SECOND
                """).affectedRows == 1
        }
        if paused {
            if let tenant = try db.queryOne("SELECT tenant_id FROM webhook_subscriptions WHERE id = \(subscription)")?.int("tenant_id") {
                WebhookOutbox.invalidate(tenant: tenant)
            }
            try WebhookDelivery.mailPaused(db, subscription: subscription)
        }
    }

    /// Sends deliveries again: each becomes a new pending row with the same webhook-id (so a
    /// receiver that keeps ids sees a repeat), due now. Returns how many.
    static func replay(_ db: Connection, _ tenant: Tenant, subscription: Int, where condition: SQL) throws -> Int {
        try db.execute("""
            INSERT INTO webhook_deliveries (tenant_id, subscription_id, msg_id, type, subject, data, next_attempt_at, occurred_at, created_at)
            SELECT tenant_id, subscription_id, COALESCE(msg_id, CONCAT('msg_', id)), type, subject, data,
                   UTC_TIMESTAMP(6), occurred_at, UTC_TIMESTAMP(6)
            FROM webhook_deliveries d
            WHERE d.tenant_id = \(tenant) AND d.subscription_id = \(subscription) AND \(condition)
            ORDER BY d.id
            """).affectedRows
    }

    /// Finished deliveries and log rows older than 30 days go, in small batches.
    static func prune(_ db: Connection) throws {
        _ = try db.executeInBatches("""
            DELETE FROM webhook_attempts WHERE attempted_at < UTC_TIMESTAMP(6) - INTERVAL 30 DAY
            """)
        _ = try db.executeInBatches("""
            DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND created_at < UTC_TIMESTAMP(6) - INTERVAL 30 DAY
            """)
    }
}
