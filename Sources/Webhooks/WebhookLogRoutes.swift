import Accounts
import Core
import MariaDB
import Web

/// A subscription's delivery log: its deliveries, the calls made for them, and replays.
extension WebhookRoutes {
    /// The subscription of the path (404 when it is not the workspace's) and the page asked for.
    static func logPage(_ c: Context) throws -> (id: Int, page: Pagination) {
        let id = try c.request.id()
        _ = try WebhookStore.find(c.db, c.tenant, id)
        return (id, try Pagination(c.request, sortable: ["id"], defaultSort: "id"))
    }

    @Sendable static func deliveries(_ c: Context) throws -> Response {
        let (id, page) = try logPage(c)
        var filter: SQL = ""
        if let status = c.request.query["status"], !status.isEmpty {
            guard ["pending", "delivered", "failed"].contains(status) else {
                throw HTTPError.invalid("status", "The status must be pending, delivered or failed.")
            }
            filter = " AND status = \(status)"
        }
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE tenant_id = \(c.tenant) AND subscription_id = \(id)\(filter)")?.int("n") ?? 0
        let rows = try c.db.query("""
            SELECT id, COALESCE(msg_id, CONCAT('msg_', id)) AS msg_id, type, subject, data, status, attempts, last_status, last_error,
                   next_attempt_at, occurred_at, created_at, delivered_at
            FROM webhook_deliveries WHERE tenant_id = \(c.tenant) AND subscription_id = \(id)\(filter)
            ORDER BY \(page.order([:], fallback: "id", tiebreak: "id")) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        let data: [JSON] = try rows.map { row in
            [
                "id": row.json("id"), "webhook_id": .string(try row.string("msg_id")), "type": row.json("type"),
                "subject": row.json("subject"), "data": (try? JSONParser.parse(try row.string("data"))) ?? .null,
                "status": row.json("status"), "attempts": row.json("attempts"), "last_status": row.json("last_status"),
                "last_error": row.json("last_error"),
                "next_attempt_at": try row.string("status") == "pending" ? row.json("next_attempt_at") : .null,
                "occurred_at": row.json("occurred_at"), "created_at": row.json("created_at"), "delivered_at": row.json("delivered_at"),
            ]
        }
        return .json(page.envelope(data, total: total))
    }

    /// The delivery log: every call, newest first (`delivery_id=` for one delivery's).
    @Sendable static func attempts(_ c: Context) throws -> Response {
        let (id, page) = try logPage(c)
        var filter: SQL = ""
        if let raw = c.request.query["delivery_id"], !raw.isEmpty {
            guard let delivery = Int(raw), delivery > 0 else { throw HTTPError.invalid("delivery_id", "The delivery id must be a positive integer.") }
            filter = " AND a.delivery_id = \(delivery)"
        }
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM webhook_attempts a WHERE a.tenant_id = \(c.tenant) AND a.subscription_id = \(id)\(filter)")?.int("n") ?? 0
        let rows = try c.db.query("""
            SELECT a.id, a.delivery_id, d.type, a.attempted_at, a.status_code, a.error, a.duration_ms, a.response
            FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
            WHERE a.tenant_id = \(c.tenant) AND a.subscription_id = \(id)\(filter)
            ORDER BY \(page.order([:], fallback: "a.id", tiebreak: "a.id")) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        let data: [JSON] = try rows.map { row in
            ["id": row.json("id"), "delivery_id": row.json("delivery_id"), "type": row.json("type"),
             "attempted_at": row.json("attempted_at"), "status_code": row.json("status_code"), "error": row.json("error"),
             "duration_ms": row.json("duration_ms"), "response": row.json("response")]
        }
        return .json(page.envelope(data, total: total))
    }

    @Sendable static func replayOne(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let delivery = try c.request.id("delivery")
        let count: Int = try c.db.transaction {
            _ = try WebhookStore.find(c.db, c.tenant, id)
            let n = try WebhookStore.replay(c.db, c.tenant, subscription: id, where: "d.id = \(delivery)")
            guard n == 1 else { throw HTTPError.notFound("Delivery not found.") }
            try AuditLog.record(c, "webhook.replayed", target: ("webhook", id), details: ["delivery_id": .int(Int64(delivery))])
            return n
        }
        return .json(["replayed": .int(Int64(count))], status: 202)
    }

    /// Every delivery that failed for good, or is failing, written since `since`.
    @Sendable static func replayFailed(_ c: Context) throws -> Response {
        let id = try c.request.id()
        var input = try Input(c.request)
        let since = input.date("since", required: true)
        try input.check()
        let count: Int = try c.db.transaction {
            _ = try WebhookStore.find(c.db, c.tenant, id, lock: true)
            // Failing rows still pending are made due now; those given up are sent again.
            let retried = try c.db.execute("""
                UPDATE webhook_deliveries SET next_attempt_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND subscription_id = \(id) AND status = 'pending' AND last_error IS NOT NULL AND created_at >= \(since!)
                """).affectedRows
            let n = try WebhookStore.replay(c.db, c.tenant, subscription: id, where: "d.status = 'failed' AND d.created_at >= \(since!)")
            try AuditLog.record(c, "webhook.replayed", target: ("webhook", id),
                                details: ["since": .string(RFC3339.format(since!)), "count": .int(Int64(n + retried))])
            return n + retried
        }
        return .json(["replayed": .int(Int64(count))], status: 202)
    }
}
