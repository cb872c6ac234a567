import Foundation
import MariaDB
import Web
import Core
import Jobs
import Accounts

/// Carries out a bulk operation, a chunk at a time, in the request (small ones) or in the
/// `bulk.run` job. The one home of "every record changed once": a chunk's writes and the
/// operation's progress commit together, under the operation's row lock, so two runners
/// never take the same chunk and a restarted one goes on after the last committed chunk.
package enum BulkRun {
    static let kind = "bulk.run"
    /// Records per chunk (one transaction each).
    static let chunk = 200

    package static func register(_ registry: inout JobRegistry) {
        registry.register(kind, maxAttempts: 20, leaseSeconds: 20) { job in
            guard let id = job.job.payload.objectValue?["bulk_id"]?.intValue,
                  let row = try job.db.queryOne("SELECT tenant_id, user_id, api_key_id, role FROM bulk_operations WHERE id = \(id)") else { return }
            let c = try context(job.db, row)
            do {
                while try step(c, id: id) { try job.heartbeat(seconds: 20) }
            } catch let error as HTTPError where error.status < 500 {
                // The selection or the action no longer holds (its entity was deleted …).
                try job.db.execute("""
                    UPDATE bulk_operations SET status = 'failed', error = \(String(error.message.prefix(500))), finished_at = UTC_TIMESTAMP(6)
                    WHERE id = \(id)
                    """)
            }
        }
    }

    /// A handler's context for the operation's caller, so that the single edits' write paths
    /// (which take one) see the member or key that asked: their changes and audit rows name it.
    static func context(_ db: Connection, _ row: Row) throws -> Context {
        let configuration = try Configuration.fromEnvironment()
        let request = Request(method: "POST", path: "/v1/bulk", headers: ["user-agent": "entercrm bulk job"])
        let c = Context(request: request, db: db, configuration: configuration, services: Services(configuration: configuration))
        let credential: Principal.Credential
        if let user = row.optionalInt("user_id") {
            credential = .session(id: 0, userID: user, role: Role(rawValue: row.optionalString("role") ?? "") ?? .member)
        } else {
            credential = .apiKey(id: row.optionalInt("api_key_id") ?? 0, publishable: false)
        }
        c.principal = Principal(tenant: Tenant(id: try row.int("tenant_id")), tenantSlug: "", tenantName: "", credential: credential)
        return c
    }

    /// The list's records of the workspace (for entries, of the entity).
    static func scope(_ tenant: Tenant, _ list: ListSpec) -> SQL {
        switch list.kind {
        case .customer: "c.tenant_id = \(tenant)"
        case .company: "co.tenant_id = \(tenant)"
        case .entry: "e.tenant_id = \(tenant) AND e.entity_id = \(list.entity!.id)"
        }
    }

    /// Processes the next chunk of operation `id`; false once it is finished (then marked
    /// done and audited, in the same transaction).
    static func step(_ c: Context, id: Int) throws -> Bool {
        try c.db.transaction {
            guard let op = try c.db.queryOne("""
                SELECT target, selection, action, last_id, max_id, processed, changed, failed FROM bulk_operations
                WHERE tenant_id = \(c.tenant) AND id = \(id) AND status IN ('queued', 'running') FOR UPDATE
                """) else { return false }
            let list = try ListSpec.resolve(c, op.optionalString("target"), field: "target")
            let selection = (try? JSONParser.parse(op.optionalString("selection") ?? "{}"))?.objectValue ?? JSONObject()
            let condition: SQL
            if let ids = selection["ids"]?.arrayValue?.compactMap(\.intValue) {
                condition = scope(c.tenant, list) + " AND \(list.idColumn) IN (\(list: ids.isEmpty ? [0] : ids))"
            } else {
                condition = try list.matching(c, filters: selection["filter"]?.objectValue ?? JSONObject())
            }
            let last = try op.int("last_id"), maxID = try op.int("max_id")
            let ids = try c.db.query("""
                SELECT \(list.idColumn) AS id FROM \(list.table) WHERE \(condition) AND \(list.idColumn) > \(last) AND \(list.idColumn) <= \(maxID)
                ORDER BY \(list.idColumn) LIMIT \(chunk)
                """).map { try $0.int("id") }
            guard let next = ids.last else {
                try c.db.execute("""
                    UPDATE bulk_operations SET status = 'done', started_at = COALESCE(started_at, UTC_TIMESTAMP(6)), finished_at = UTC_TIMESTAMP(6)
                    WHERE id = \(id)
                    """)
                try AuditLog.record(c, "bulk.applied", target: ("bulk_operation", id), details: [
                    "target": .string(list.name), "action": (try? JSONParser.parse(op.optionalString("action") ?? "{}")) ?? .null,
                    "processed": op.json("processed"), "changed": op.json("changed"), "failed": op.json("failed"),
                ])
                return false
            }
            let action = BulkAction(stored: (try? JSONParser.parse(op.optionalString("action") ?? "{}")) ?? .null)
            let (changed, failed) = try action.apply(c, list: list, ids: ids)
            try c.db.execute("""
                UPDATE bulk_operations SET status = 'running', started_at = COALESCE(started_at, UTC_TIMESTAMP(6)),
                    processed = processed + \(ids.count), changed = changed + \(changed), failed = failed + \(failed), last_id = \(next)
                WHERE id = \(id)
                """)
            return true
        }
    }

    /// The operation and its progress; 404 outside the workspace.
    static func json(_ db: Connection, _ tenant: Tenant, id: Int) throws -> JSON {
        guard let row = try db.queryOne("""
            SELECT id, target, selection, action, status, total, processed, changed, failed, error, created_at, started_at, finished_at
            FROM bulk_operations WHERE tenant_id = \(tenant) AND id = \(id)
            """) else { throw HTTPError.notFound("Bulk operation not found.") }
        var o = row.json(["id", "target", "status", "total", "processed", "changed", "failed", "error"]).objectValue!
        o["action"] = (try? JSONParser.parse(row.optionalString("action") ?? "{}")) ?? .null
        let selection = (try? JSONParser.parse(row.optionalString("selection") ?? "{}"))?.objectValue ?? JSONObject()
        o["filter"] = selection["filter"] ?? .null
        let total = row.optionalInt("total") ?? 0, processed = row.optionalInt("processed") ?? 0
        o["progress"] = .double(total == 0 ? 1 : min(1, Double(processed) / Double(total)))
        for key in ["created_at", "started_at", "finished_at"] { o[key] = row.json(key) }
        return .object(o)
    }
}
