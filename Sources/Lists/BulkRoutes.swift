import Foundation
import MariaDB
import Web
import Core
import Jobs
import Accounts
import Tags
import Pipelines

/// `/v1/bulk`: one action on the selected records or on every record a list's filter
/// matches (issue 25 part 5).
///
///     POST /v1/bulk?preview=true  {"target", "entity_id"?, "filter" | "ids", "action"}  → the count, nothing written
///     POST /v1/bulk               the same → 200 with the finished operation (up to `syncLimit` records),
///                                 or 202 with a queued one that the `bulk.run` job carries out
///     GET  /v1/bulk/{id}          the operation and its progress
///
/// The records are processed in id order, `chunk` at a time, each chunk's writes and the
/// operation's `last_id` in one transaction (`BulkRun.step`): a job runner killed mid-way
/// resumes after the last committed chunk, and no record is changed twice.
package enum BulkRoutes {
    package static func register(_ routes: inout Routes) {
        routes.post("/v1/bulk", .server, create)
        routes.get("/v1/bulk/{id}", .server, show)
    }

    /// More records than this run as a job.
    static let syncLimit = 1_000

    /// The request, checked: the list, which records, the action.
    struct Selection {
        let list: ListSpec
        /// The stored selection: `{"filter": {…}}` or `{"ids": [numeric ids]}`.
        let stored: JSON
        let condition: SQL
        let action: BulkAction

        init(_ c: Context) throws {
            let input = try Input(c.request)
            let body = input.object
            let target = body["target"]?.stringValue
            guard ["customers", "companies", "entries"].contains(target ?? "") else {
                throw HTTPError.invalid("target", "The target must be customers, companies or entries.")
            }
            if let raw = body["entity_id"], (raw.intValue ?? 0) <= 0 {
                throw HTTPError.invalid("entity_id", "The entity id must be a positive integer.")
            }
            list = try ListSpec.resolve(c, target, entityID: body["entity_id"]?.intValue, field: "target")
            switch (body["filter"], body["ids"]) {
            case (let filter?, nil) where !filter.isNull:
                guard let object = filter.objectValue else { throw HTTPError.invalid("filter", "The filter must be an object of the list's filters.") }
                condition = try list.matching(c, filters: object)
                stored = ["filter": .object(object)]
            case (nil, let ids?) where !ids.isNull:
                let numeric = try Self.ids(c, ids, list: list)
                condition = BulkRun.scope(c.tenant, list) + " AND \(list.idColumn) IN (\(list: numeric))"
                stored = ["ids": .array(numeric.map { .int(Int64($0)) })]
            default:
                throw HTTPError.invalid("filter", "Give either filter (the list's filters; {} for all) or ids, not both.")
            }
            action = try BulkAction(c, body["action"], list: list)
        }

        /// The records `json` names (numbers, or entry ids), the workspace's only: 422 on
        /// `ids` for anything else, naming the first stranger.
        static func ids(_ c: Context, _ json: JSON, list: ListSpec) throws -> [Int] {
            guard let items = json.arrayValue, !items.isEmpty, items.count <= 10_000 else {
                throw HTTPError.invalid("ids", "The ids must be a list of 1 to 10000 ids.")
            }
            if list.kind == .entry {
                let uids = items.compactMap(\.stringValue)
                guard uids.count == items.count else { throw HTTPError.invalid("ids", "Entry ids are strings.") }
                let found = try c.db.query("""
                    SELECT id, uid FROM crm_entries WHERE tenant_id = \(c.tenant) AND entity_id = \(list.entity!.id) AND uid IN (\(list: uids))
                    """)
                let known = Set(try found.map { try $0.string("uid") })
                if let stranger = uids.first(where: { !known.contains($0) }) {
                    throw HTTPError.invalid("ids", "No entry \(stranger) in this entity.")
                }
                return try found.map { try $0.int("id") }.sorted()
            }
            let numbers = items.compactMap(\.intValue)
            guard numbers.count == items.count, numbers.allSatisfy({ $0 > 0 }) else { throw HTTPError.invalid("ids", "The ids must be positive integers.") }
            let unique = Array(Set(numbers)).sorted()
            let known = Set(try c.db.query("""
                SELECT \(list.idColumn) AS id FROM \(list.table) WHERE \(BulkRun.scope(c.tenant, list)) AND \(list.idColumn) IN (\(list: unique))
                """).map { try $0.int("id") })
            if let stranger = unique.first(where: { !known.contains($0) }) {
                throw HTTPError.invalid("ids", "No record \(stranger) in this workspace.")
            }
            return unique
        }
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        let preview: Bool
        switch c.request.query["preview"] {
        case nil, "", "false": preview = false
        case "true": preview = true
        default: throw HTTPError.invalid("preview", "The preview must be true or false.")
        }
        let s = try Selection(c)
        let maxID = try c.db.queryOne("SELECT COALESCE(MAX(\(s.list.idColumn)), 0) AS n FROM \(s.list.table) WHERE \(BulkRun.scope(c.tenant, s.list))")?.int("n") ?? 0
        let count = try c.db.queryOne("SELECT COUNT(*) AS n FROM \(s.list.table) WHERE \(s.condition) AND \(s.list.idColumn) <= \(maxID)")?.int("n") ?? 0
        if preview {
            return .json(["preview": .bool(true), "target": .string(s.list.name), "count": .int(count),
                          "runs_as_job": .bool(count > syncLimit), "action": s.action.json])
        }
        let id: Int = try c.db.transaction {
            let id = try c.db.execute("""
                INSERT INTO bulk_operations (tenant_id, user_id, api_key_id, role, target, selection, action, status, total, max_id, created_at)
                VALUES (\(c.tenant), \(c.principal?.userID), \(c.principal?.apiKeyID), \(c.principal?.role?.rawValue), \(s.list.name),
                        \(JSONWriter.string(s.stored)), \(JSONWriter.string(s.action.json)), 'queued', \(count), \(maxID), UTC_TIMESTAMP(6))
                """).lastInsertID
            if count > syncLimit {
                try JobQueue.enqueue(c.db, kind: BulkRun.kind, payload: ["bulk_id": .int(Int64(id))], tenantID: c.tenant.id,
                                     maxAttempts: 20, uniqueKey: "bulk:\(id)")
            }
            return id
        }
        if count > syncLimit { return .json(try BulkRun.json(c.db, c.tenant, id: id), status: 202) }
        while try BulkRun.step(c, id: id) {}
        return .json(try BulkRun.json(c.db, c.tenant, id: id))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try BulkRun.json(c.db, c.tenant, id: try c.request.id()))
    }
}
