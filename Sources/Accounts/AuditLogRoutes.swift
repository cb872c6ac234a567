import Foundation
import MariaDB
import Web
import Core
import Jobs

/// Reading the audit log (admins and owners), and the permission matrix for the console.
/// There is no route that changes or deletes an audit entry: the job runner alone prunes
/// those past the workspace's `audit_retention_days` (`AuditRetention`).
package enum AuditLogRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/audit-log", .manager, list)
        routes.get("/v1/permissions", .user, permissions)
    }

    static let sortable = ["created_at"]

    /// `YYYY-MM-DD` (the day's start, or with `endOfDay` the next day's) or RFC 3339.
    static func date(_ text: String, endOfDay: Bool) -> Date? {
        if text.count == 10, let day = RFC3339.parse(text + "T00:00:00Z") {
            return endOfDay ? day.addingTimeInterval(86_400) : day
        }
        return RFC3339.parse(text)
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        let page = try Pagination(c.request, sortable: sortable, defaultSort: "created_at")
        let q = c.request.query
        var errors = ValidationErrors()
        var conditions: [SQL] = ["a.tenant_id = \(c.tenant)"]
        if let raw = q["actor"], !raw.isEmpty {
            if let id = Int(raw), id > 0 { conditions.append("a.actor_user_id = \(id)") } else { errors.add("actor", "The actor must be a user id.") }
        }
        if let raw = q["action"], !raw.isEmpty {
            if raw.count <= 64 { conditions.append("a.action = \(raw)") } else { errors.add("action", "The action may not be greater than 64 characters.") }
        }
        if let raw = q["from"], !raw.isEmpty {
            if let from = date(raw, endOfDay: false) { conditions.append("a.created_at >= \(from)") } else {
                errors.add("from", "The from must be a date (2026-03-20) or an RFC 3339 date-time.")
            }
        }
        if let raw = q["to"], !raw.isEmpty {
            // A day includes all of it; a date-time is the exact end.
            if let to = date(raw, endOfDay: true) {
                conditions.append(raw.count == 10 ? "a.created_at < \(to)" : "a.created_at <= \(to)")
            } else {
                errors.add("to", "The to must be a date (2026-03-20) or an RFC 3339 date-time.")
            }
        }
        try errors.check()
        let filter = SQL.join(conditions, separator: " AND ")
        let order = page.order([:], fallback: "a.created_at", tiebreak: "a.id")
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM audit_log a WHERE \(filter)")?.int("n") ?? 0
        let rows = try c.db.query("""
            SELECT a.id, a.action, a.actor_user_id, a.actor_api_key_id, a.actor_label, u.name AS user_name, u.email AS user_email,
                   k.name AS key_name, a.target_type, a.target_id, a.ip, a.user_agent, a.details, a.created_at
            FROM audit_log a
            LEFT JOIN users u ON u.id = a.actor_user_id
            LEFT JOIN api_keys k ON k.id = a.actor_api_key_id AND k.tenant_id = a.tenant_id
            WHERE \(filter)
            ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(rows.map(entry), total: total))
    }

    static func entry(_ row: Row) -> JSON {
        var actor: JSON = .null
        if let user = row.optionalInt("actor_user_id") {
            actor = ["type": "user", "id": .int(Int64(user)),
                     "name": row.json("user_name"), "email": row.optionalString("user_email").map(JSON.string) ?? row.json("actor_label")]
        } else if let key = row.optionalInt("actor_api_key_id") {
            actor = ["type": "api_key", "id": .int(Int64(key)),
                     "name": row.optionalString("key_name").map(JSON.string) ?? row.json("actor_label")]
        } else if let label = row.optionalString("actor_label") {
            actor = ["type": "unknown", "id": .null, "name": .string(label)]
        }
        var target: JSON = .null
        if let type = row.optionalString("target_type") {
            target = ["type": .string(type), "id": row.json("target_id")]
        }
        let details = row.optionalString("details").flatMap { try? JSONParser.parse($0) } ?? .null
        return [
            "id": row.json("id"), "action": row.json("action"), "actor": actor, "target": target,
            "ip": row.json("ip"), "user_agent": row.json("user_agent"), "details": details, "created_at": row.json("created_at"),
        ]
    }

    /// The matrix (`Permissions.json`), with what the caller's role may call.
    @Sendable static func permissions(_ c: Context) throws -> Response {
        .json(["data": Permissions.json(for: c.principal?.role)])
    }
}

/// Prunes audit entries past each workspace's `audit_retention_days`, in the job runner.
package enum AuditRetention {
    static let kind = "audit.prune"

    /// The fewest and most days a workspace may keep its entries. The floor keeps an admin
    /// or a stolen session from erasing the trail by setting a day (and only owners change
    /// it, `Permissions.Action.changeAuditRetention`); pruning never goes below it either.
    static let minimumDays = 30
    static let maximumDays = 3650

    package static func register(_ registry: inout JobRegistry) {
        registry.register(kind, maxAttempts: 3) { context in try pruneAll(context.db) }
        registry.every(3600, name: "prune-audit-log", kind: kind)
    }

    /// Every workspace's old entries, each workspace by its own retention.
    static func pruneAll(_ db: Connection) throws {
        for row in try db.query("SELECT id, audit_retention_days FROM tenants ORDER BY id") {
            try prune(db, tenantID: try row.int("id"), days: max(minimumDays, try row.int("audit_retention_days")))
        }
    }

    /// Deletes, in batches, the entries of one workspace older than `days`. Returns how many.
    @discardableResult
    static func prune(_ db: Connection, tenantID: Int, days: Int) throws -> Int {
        try db.executeInBatches("""
            DELETE FROM audit_log WHERE tenant_id = \(tenantID) AND created_at < UTC_TIMESTAMP(6) - INTERVAL \(days) DAY
            ORDER BY created_at
            """)
    }
}
