import Foundation
import MariaDB
import Web
import Core
import Pipelines

/// `/v1/views`: saved views (issue 25 part 3), a named set of a list's filters, sort and
/// visible columns. `list` is `customers`, `companies` or `entries:<entity id>`. A shared
/// view is the whole workspace's; a private one only its creator's: to anyone else it does
/// not exist (404). Filters and sort are checked by the list's own parser (`ListSpec`).
package enum ViewRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/views", .server, list)
        routes.post("/v1/views", .server, create)
        routes.get("/v1/views/{id}", .server, show)
        routes.put("/v1/views/{id}", .server, update)
        routes.patch("/v1/views/{id}", .server, update)
        routes.delete("/v1/views/{id}", .server, delete)
    }

    static let columns: SQL = "id, user_id, list, name, filters, sort, columns, shared, created_at, updated_at"

    /// Whom a view is visible to: shared, or made by the caller (a member by their user id;
    /// API keys share the views made without a member).
    static func visible(_ c: Context) -> SQL {
        "(shared = 1 OR user_id <=> \(c.principal?.userID))"
    }

    static func json(_ row: Row) -> JSON {
        func parsed(_ key: String) -> JSON { row.optionalString(key).flatMap { try? JSONParser.parse($0) } ?? .null }
        var o = row.json(["id", "list", "name"]).objectValue!
        o["filters"] = parsed("filters")
        o["sort"] = parsed("sort")
        o["columns"] = parsed("columns")
        o["shared"] = .bool((row.optionalInt("shared") ?? 0) == 1)
        o["user_id"] = row.json("user_id")
        for key in ["created_at", "updated_at"] { o[key] = row.json(key) }
        return .object(o)
    }

    static func find(_ c: Context, id: Int, lock: Bool = false) throws -> Row {
        let forUpdate: SQL = lock ? " FOR UPDATE" : ""
        guard let row = try c.db.queryOne("""
            SELECT \(columns) FROM saved_views WHERE tenant_id = \(c.tenant) AND id = \(id) AND \(visible(c))\(forUpdate)
            """) else { throw HTTPError.notFound("View not found.") }
        return row
    }

    /// The views of `list` (all lists without it) the caller sees, shared ones and theirs,
    /// by name.
    @Sendable static func list(_ c: Context) throws -> Response {
        var conditions: [SQL] = ["tenant_id = \(c.tenant)", visible(c)]
        if let raw = c.request.query["list"], !raw.isEmpty {
            conditions.append("list = \(try ListSpec.resolve(c, raw, field: "list").name)")
        }
        let rows = try c.db.query("""
            SELECT \(columns) FROM saved_views WHERE \(SQL.join(conditions, separator: " AND ")) ORDER BY name, id LIMIT 500
            """)
        return .json(["data": .array(rows.map(json))])
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(json(try find(c, id: try c.request.id())))
    }

    /// A view's fields, checked; absent ones keep the view's (or their defaults on create).
    struct Fields {
        var list: ListSpec
        var name: String?
        var filters: JSONObject?
        var sort: JSON?
        var columns: [String]?
        var shared: Bool?

        init(_ c: Context, current: Row?) throws {
            var input = try Input(c.request)
            let listName = current?.optionalString("list") ?? input.object["list"]?.stringValue
            if current != nil, input.has("list"), input.object["list"]?.stringValue != listName {
                input.fail("list", "A view's list cannot change; make a new view.")
            }
            list = try ListSpec.resolve(c, listName, field: "list")
            if current == nil || input.has("name") { name = input.string("name", min: 1, max: 120) }
            if input.has("filters") {
                if let object = input.object["filters"]?.objectValue { filters = object } else if input.object["filters"]?.isNull == true {
                    filters = JSONObject()
                } else { input.fail("filters", "The filters must be an object of the list's filters.") }
            }
            var sortPair: (String, String)?
            if let value = input.object["sort"], !value.isNull {
                if let field = value.objectValue?["field"]?.stringValue, list.sortable.contains(field) || list.kind == .entry {
                    let given = value.objectValue?["order"]
                    let order = given == nil || given == .null ? "desc" : given?.stringValue ?? ""
                    if order == "asc" || order == "desc" {
                        sortPair = (field, order)
                        sort = ["field": .string(field), "order": .string(order)]
                    } else { input.fail("sort.order", "The order must be asc or desc.") }
                } else {
                    input.fail("sort", "The sort must be {\"field\": …, \"order\": \"asc\" or \"desc\"}; fields: \(list.sortable.joined(separator: ", ")).")
                }
            } else if input.has("sort") { sort = .null }
            if let value = input.object["columns"], !value.isNull {
                let allowed = try Self.columns(c, list)
                if let items = value.arrayValue, items.count <= 50, items.allSatisfy({ $0.stringValue.map(allowed.contains) ?? false }) {
                    columns = items.compactMap(\.stringValue)
                } else {
                    input.fail("columns", "The columns must be a list of at most 50 of: \(allowed.joined(separator: ", ")).")
                }
            } else if input.has("columns") { columns = [] }
            shared = input.bool("shared")
            try input.check()
            let stored = current?.optionalString("filters").flatMap { try? JSONParser.parse($0) }?.objectValue ?? JSONObject()
            _ = try list.matching(c, filters: filters ?? stored, sort: sortPair)
        }

        /// The columns a view of `list` may show: the keys of the list's rows.
        static func columns(_ c: Context, _ list: ListSpec) throws -> [String] {
            switch list.kind {
            case .customer:
                return ["name", "email", "phone", "city", "country", "rfm_score", "rfm_segment", "clv_total", "clv_predicted",
                        "clv_average_order", "clv_order_count", "events_count", "p_alive", "expected_purchases", "last_seen_at",
                        "created_at", "segments", "tags", "company_id", "owner_id"]
            case .company:
                return ["name", "domain", "industry", "size", "country", "city", "owner_id", "customers_count", "revenue_total",
                        "open_entries_value", "created_at", "updated_at", "tags"]
            case .entry:
                return ["title", "pipeline_id", "stage_id", "owner_id", "created_at", "updated_at", "tags"]
                    + (try Field.all(c.db, c.tenant, entityID: list.entity!.id)).map { "values.\($0.key)" }
            }
        }
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        let f = try Fields(c, current: nil)
        let id = try c.db.execute("""
            INSERT INTO saved_views (tenant_id, user_id, list, name, filters, sort, columns, shared, created_at, updated_at)
            VALUES (\(c.tenant), \(c.principal?.userID), \(f.list.name), \(f.name), \(JSONWriter.string(.object(f.filters ?? JSONObject()))),
                    \(f.sort.flatMap { $0.isNull ? nil : JSONWriter.string($0) }),
                    \(f.columns.map { JSONWriter.string(.array($0.map(JSON.string))) }), \(f.shared ?? false),
                    UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        return .json(json(try find(c, id: id)), status: 201)
    }

    /// Someone else's shared view is changed or deleted only by an admin or an API key.
    static func checkOwner(_ c: Context, _ row: Row) throws {
        let mine = row.optionalInt("user_id") == c.principal?.userID
        let manages = c.principal?.role.map { $0 >= .admin } ?? true
        if !mine && !manages { throw HTTPError.forbidden("Only its creator or an admin may change a shared view.") }
    }

    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            let row = try find(c, id: id, lock: true)
            try checkOwner(c, row)
            let f = try Fields(c, current: row)
            try c.db.execute("""
                UPDATE saved_views SET name = COALESCE(\(f.name), name),
                    filters = COALESCE(\(f.filters.map { JSONWriter.string(.object($0)) }), filters),
                    sort = IF(\(f.sort != nil), \(f.sort.flatMap { $0.isNull ? nil : JSONWriter.string($0) }), sort),
                    columns = IF(\(f.columns != nil), \(f.columns.flatMap { $0.isEmpty ? nil : JSONWriter.string(.array($0.map(JSON.string))) }), columns),
                    shared = COALESCE(\(f.shared), shared), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
        }
        return .json(json(try find(c, id: id)))
    }

    @Sendable static func delete(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            try checkOwner(c, try find(c, id: id, lock: true))
            try c.db.execute("DELETE FROM saved_views WHERE tenant_id = \(c.tenant) AND id = \(id)")
        }
        return .json(["message": "View deleted."])
    }
}
