import Accounts
import FastCGI
import Foundation
import Jobs
import MariaDB
import Platform
import Web

/// Delivers the outbox (`webhook_deliveries`) from the job runner, at least once and in order
/// per subject:
/// - `threads` loops per runner; each round takes one subscription that has due rows (at most
///   `perSubscription` rounds of a process on the same one, so a slow receiver holds two
///   threads and never the others), claims up to `batch` of its due rows with SKIP LOCKED, only
///   the oldest pending row of each subject, and sets their lease (`next_attempt_at` pushed
///   `lease` seconds on). A runner killed mid-call leaves rows that become due again when
///   the lease runs out: delivered again, never lost.
/// - the claimed rows are posted in parallel (one thread each, `timeout` seconds at most), so
///   a round lasts as long as its slowest call, and every call is logged (`webhook_attempts`).
/// - a failed row is retried with exponential back-off (`backoff`), for 3 days after it was
///   written, then marked failed; a subscription whose calls have all failed for 3 days is
///   paused and its creator mailed.
package enum WebhookDelivery {
    static let threads = Int(ProcessInfo.processInfo.environment["ENTERCRM_WEBHOOK_THREADS"] ?? "") ?? 8
    static let batch = 50
    static let perSubscription = 2
    static let timeout = 10.0
    static let lease = 40
    static let giveUpSeconds = 3 * 86_400

    package static func register(_ registry: inout JobRegistry) {
        for index in 0..<threads {
            registry.loop("webhooks.deliver.\(index)", interval: 0.5) { db in try round(db) }
        }
        registry.register("webhooks.prune", maxAttempts: 3) { context in try WebhookStore.prune(context.db) }
        registry.every(3600, name: "prune-webhook-log", kind: "webhooks.prune")
    }

    /// Subscriptions this process is delivering to, with how many rounds each.
    static let busy = Lock<[Int: Int]>([:])

    /// One round; true when it delivered something (the loop then goes again at once).
    static func round(_ db: Connection) throws -> Bool {
        let full = busy.withLock { $0.filter { $0.value >= perSubscription }.map(\.key) }
        let skip: SQL = full.isEmpty ? "" : " AND d.subscription_id NOT IN (\(list: full))"
        guard let subscription = try db.queryOne("""
            SELECT d.subscription_id FROM webhook_deliveries d FORCE INDEX (idx_webhook_deliveries_due)
            JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.status = 'active'
            WHERE d.status = 'pending' AND d.next_attempt_at <= UTC_TIMESTAMP(6)\(skip)
              -- The head of its subject only: a due row behind a head that waits (back-off) is
              -- not claimable, and picking its subscription every round starved every other one.
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.subscription_id = d.subscription_id
                              AND p.subject = d.subject AND p.status = 'pending' AND p.id < d.id)
            ORDER BY d.next_attempt_at LIMIT 1
            """)?.int("subscription_id") else { return false }
        let admitted = busy.withLock { counts -> Bool in
            guard counts[subscription, default: 0] < perSubscription else { return false }
            counts[subscription, default: 0] += 1
            return true
        }
        guard admitted else { return true }
        defer { busy.withLock { counts in counts[subscription, default: 1] -= 1; if counts[subscription] == 0 { counts[subscription] = nil } } }
        let claimed = try claim(db, subscription: subscription)
        guard let target = claimed.target, !claimed.rows.isEmpty else { return false }
        let outcomes = post(claimed.rows, to: target)
        try WebhookStore.recordOutcomes(db, subscription: subscription, rows: claimed.rows, outcomes: outcomes)
        return true
    }

    struct Target {
        let url: String
        let secrets: [String]
    }

    struct Claimed {
        let id: Int
        let msgID: String
        let body: [UInt8]
        let attempts: Int
        let givesUp: Bool
    }

    /// Claims the due head rows of each subject of `subscription`, with their lease.
    static func claim(_ db: Connection, subscription: Int) throws -> (target: Target?, rows: [Claimed]) {
        try db.transaction(retries: 5) {
            let ids = try db.query("""
                SELECT d.id FROM webhook_deliveries d
                WHERE d.subscription_id = \(subscription) AND d.status = 'pending' AND d.next_attempt_at <= UTC_TIMESTAMP(6)
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.subscription_id = d.subscription_id
                                  AND p.subject = d.subject AND p.status = 'pending' AND p.id < d.id)
                ORDER BY d.id LIMIT \(batch) FOR UPDATE SKIP LOCKED
                """).map { try $0.int("id") }
            guard !ids.isEmpty, let sub = try db.queryOne("""
                SELECT url, secret, IF(previous_secret_until > UTC_TIMESTAMP(6), previous_secret, NULL) AS previous
                FROM webhook_subscriptions WHERE id = \(subscription) AND status = 'active'
                """) else { return (nil, []) }
            try db.execute("""
                UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL \(lease) SECOND
                WHERE id IN (\(list: ids))
                """)
            let rows = try db.query("""
                SELECT id, COALESCE(msg_id, CONCAT('msg_', id)) AS msg, type, data, attempts,
                       DATE_FORMAT(occurred_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS occurred,
                       created_at < UTC_TIMESTAMP(6) - INTERVAL \(giveUpSeconds) SECOND AS gives_up
                FROM webhook_deliveries WHERE id IN (\(list: ids)) ORDER BY id
                """).map { row in
                Claimed(id: try row.int("id"), msgID: try row.string("msg"),
                        body: body(type: try row.string("type"), timestamp: try row.string("occurred"), data: try row.string("data")),
                        attempts: try row.int("attempts"), givesUp: try row.int("gives_up") == 1)
            }
            let secrets = [try sub.string("secret")] + [sub.optionalString("previous")].compactMap { $0 }
            return (Target(url: try sub.string("url"), secrets: secrets), rows)
        }
    }

    /// The Standard Webhooks body: `{"type", "timestamp", "data"}`, data as it was stored.
    static func body(type: String, timestamp: String, data: String) -> [UInt8] {
        Array("{\"type\":\(JSONWriter.string(.string(type))),\"timestamp\":\(JSONWriter.string(.string(timestamp))),\"data\":\(data)}".utf8)
    }

    /// Posts every row at once, one thread each; returns the outcomes in the rows' order.
    static func post(_ rows: [Claimed], to target: Target) -> [WebhookCall.Outcome] {
        let results = Lock<[Int: WebhookCall.Outcome]>([:])
        var started: [JoinableThread] = []
        for (index, row) in rows.enumerated() {
            let call: @Sendable () -> Void = {
                let now = Int(Date().timeIntervalSince1970)
                let outcome = WebhookCall.post(url: target.url, headers: [
                    ("User-Agent", "EnterCRM-Webhooks/1"),
                    ("webhook-id", row.msgID),
                    ("webhook-timestamp", String(now)),
                    ("webhook-signature", WebhookSignature.header(secrets: target.secrets, id: row.msgID, timestamp: now, body: row.body)),
                ], body: row.body, timeout: timeout)
                results.withLock { $0[index] = outcome }
            }
            if let thread = try? JoinableThread(stackSize: 256 << 10, call) {
                started.append(thread)
            } else {
                call()
            }
        }
        for thread in started { thread.join() }
        return results.withLock { done in rows.indices.map { done[$0]! } }
    }

    /// Seconds before attempt `attempts` + 1: 10 s doubling, at most 12 h, with up to 20 %
    /// jitter (about 17 attempts over the 3 days).
    static func backoff(attempts: Int) -> Int {
        let raw = min(10 * pow(2, Double(max(attempts - 1, 0))), 43_200)
        return Int(raw * Double.random(in: 1.0...1.2))
    }

    /// Mails the creator of a subscription that was paused for failing (after the commit).
    static func mailPaused(_ db: Connection, subscription: Int) throws {
        guard let row = try db.queryOne("""
            SELECT s.url, u.id AS user_id, u.email, u.name FROM webhook_subscriptions s JOIN users u ON u.id = s.created_by
            WHERE s.id = \(subscription)
            """) else { return }
        let url = try row.string("url")
        SystemMail.send(SystemMail.Letter(
            to: try row.string("email"), toName: row.optionalString("name"), subject: "Webhook paused: \(url)",
            paragraphs: ["Every call to your webhook \(url) has failed for 3 days, so EnterCRM has paused it.",
                         "The failed deliveries are kept. Fix the receiver, resume the subscription, and replay them from the delivery log."],
            link: ("Open the webhooks", SystemMail.consoleBase() + "/settings/webhooks")),
            reader: .account(try row.int("user_id")), kind: "webhook-paused")
    }
}
