import Foundation
import MariaDB
import Web
import Core
import Accounts

/// `/v1/segments`: list, detail with members, create, update, delete, preview, history and
/// CSV export.
package enum SegmentRoutes {
    /// What uses a segment, by kind ("campaigns", "automations"): each user's id, name and
    /// (campaigns) status. The features that hold the references answer it, given to the
    /// routes at start-up by the application.
    package typealias Users = @Sendable (_ db: Connection, _ tenant: Tenant, _ id: Int) throws -> JSONObject

    package static func register(_ routes: inout Routes, users: @escaping Users) {
        routes.get("/v1/segments", .server, list)
        routes.post("/v1/segments", .server, create)
        routes.post("/v1/segments/preview", .server, preview)
        routes.get("/v1/segments/changes", .server, changes)
        routes.get("/v1/segments/{id}", .server) { try show($0, users: users) }
        routes.put("/v1/segments/{id}", .server, update)
        routes.patch("/v1/segments/{id}", .server, update)
        routes.delete("/v1/segments/{id}", .server, remove)
        routes.get("/v1/segments/{id}/history", .server, history)
        routes.get("/v1/segments/{id}/export.csv", .server, export)
    }

    // MARK: JSON

    /// A segment in the list: the seed's fields first, in the seed's order.
    static func summary(_ row: Row) -> JSONObject {
        var o = row.json(["id", "name", "description", "color", "customers_count", "created_at"]).objectValue!
        o["updated_at"] = row.json("updated_at")
        o["system"] = .bool(row.optionalString("system_key") != nil)
        o["status"] = row.json("status")
        return o
    }

    static func filters(_ row: Row) -> JSON {
        (try? JSONParser.parse(row.optionalString("filters") ?? "{}")) ?? [:]
    }

    /// The members' columns: the seed's `id, name, rfm_score, clv_total`, and more.
    static let memberColumns: SQL = """
        c.id, c.name, c.email, c.rfm_score, c.clv_total, c.rfm_segment, c.clv_predicted, c.city, c.country, c.last_seen_at
        """

    static func member(_ row: Row) -> JSON {
        row.json(["id", "name", "email", "rfm_score", "clv_total", "rfm_segment", "clv_predicted", "city", "country", "last_seen_at"])
    }

    // MARK: Handlers

    @Sendable static func list(_ c: Context) throws -> Response {
        try SegmentStore.ensureSystemSegments(c.db, c.tenant)
        let page = try Pagination(c.request, sortable: ["id", "name", "customers_count", "created_at"], defaultSort: "id",
                                  defaultDescending: false, defaultPerPage: 100)
        let order = page.order(["name": "s.name", "customers_count": "s.customers_count", "created_at": "s.created_at"],
                               fallback: "s.id", tiebreak: "s.id")
        var conditions: [SQL] = ["s.tenant_id = \(c.tenant)"]
        if let system = c.request.query["system"] {
            conditions.append(system == "true" || system == "1" ? "s.system_key IS NOT NULL" : "s.system_key IS NULL")
        }
        let whereClause = SQL.join(conditions, separator: " AND ")
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM segments s WHERE \(whereClause)")?.int("n") ?? 0
        let rows = try c.db.query("""
            SELECT \(SegmentStore.columns) FROM segments s WHERE \(whereClause)
            ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(rows.map { .object(summary($0)) }, total: total))
    }

    static func segment(_ c: Context) throws -> Row {
        guard let row = try SegmentStore.find(c.db, c.tenant, id: try c.request.id()) else { throw HTTPError.notFound("Segment not found.") }
        return row
    }

    static func show(_ c: Context, users: Users) throws -> Response {
        let row = try segment(c)
        let id = try row.int("id")
        let page = try Pagination(c.request, sortable: ["added_at", "clv_total", "rfm_score", "name"], defaultSort: "added_at")
        let order = page.order(["clv_total": "c.clv_total", "rfm_score": "c.rfm_score", "name": "c.name"],
                               fallback: "m.added_at", tiebreak: "m.customer_id")
        let members = try c.db.query("""
            SELECT \(memberColumns) FROM segment_members m JOIN customers c ON c.id = m.customer_id
            WHERE m.segment_id = \(id) AND m.tenant_id = \(c.tenant)
            ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        let total = try row.int("customers_count")
        var o = JSONObject()
        o["id"] = row.json("id")
        o["name"] = row.json("name")
        o["filters"] = filters(row)
        o["customers_count"] = row.json("customers_count")
        o["customers"] = .array(members.map(member))
        o["meta"] = page.envelope([], total: total)["meta"]
        o["description"] = row.json("description")
        o["color"] = row.json("color")
        o["system"] = .bool(row.optionalString("system_key") != nil)
        o["status"] = row.json("status")
        o["built_at"] = row.json("built_at")
        o["created_at"] = row.json("created_at")
        o["updated_at"] = row.json("updated_at")
        o["used_by"] = .object(try users(c.db, c.tenant, id))
        return .json(.object(o))
    }

    /// The writable fields, checked. On update, absent keys stay nil.
    struct Fields {
        var name: String?, description: String?, color: String?
        var filtersJSON: JSON?
        var filter: SegmentFilter?
        var present: Set<String>

        package init(_ c: Context, _ body: JSONObject, creating: Bool, selfID: Int?) throws {
            var input = Input(body)
            present = Set(body.keys)
            for key in body.keys where !["name", "description", "color", "filters"].contains(key) {
                if !["id", "customers_count", "created_at", "updated_at", "system", "status", "customers", "meta", "built_at"].contains(key) {
                    input.fail(key, "Unknown field '\(key)'. Writable: name, description, color, filters.")
                }
            }
            if creating || present.contains("name") {
                name = input.string("name", required: true, min: 1, max: 120)?.trimmingCharacters(in: .whitespaces)
            }
            description = input.string("description", required: false, max: 500, lines: .multi)
            color = input.string("color", required: false, max: 16)
            if let color, !color.isEmpty, !Self.isColor(color) {
                input.fail("color", "The color must be a hex colour such as #34d399.")
            }
            var errors = input.errors
            if creating || present.contains("filters") {
                if let json = body["filters"], json != .null {
                    filtersJSON = json
                    filter = SegmentFilter.parse(json, errors: &errors)
                    if let filter { try SegmentStore.checkReferences(c.db, c.tenant, filter: filter, selfID: selfID, errors: &errors) }
                } else {
                    errors.add("filters", "The filters field is required (a JSON object; {} matches every customer).")
                }
            }
            try errors.check()
        }

        static func isColor(_ s: String) -> Bool {
            (s.count == 7 || s.count == 4) && s.first == "#" && s.dropFirst().allSatisfy(\.isHexDigit)
        }
    }

    static func checkNameFree(_ c: Context, _ name: String, except id: Int?) throws {
        if try c.db.queryOne("""
            SELECT id FROM segments WHERE tenant_id = \(c.tenant) AND name = \(name) AND id <> \(id ?? 0)
            """) != nil {
            throw HTTPError.invalid("name", "A segment with this name already exists.")
        }
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        let f = try Fields(c, try c.request.jsonObject(), creating: true, selfID: nil)
        try checkNameFree(c, f.name!, except: nil)
        let dependsOn = JSONWriter.string(.array(f.filter!.referencedSegments.sorted().map { .int($0) }))
        let id: Int = try c.db.transaction {
            let id = try c.db.execute("""
                INSERT INTO segments (tenant_id, name, description, color, filters, depends_on, status, created_at, updated_at)
                VALUES (\(c.tenant), \(f.name!), \(f.description), \(f.color), \(JSONWriter.string(f.filtersJSON!)), \(dependsOn),
                        'building', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            try SegmentStore.scheduleRebuild(c.db, c.tenant, segment: id)
            return id
        }
        let row = try SegmentStore.find(c.db, c.tenant, id: id)!
        var o = summary(row)
        o["filters"] = filters(row)
        return .json(.object(o), status: 201)
    }

    @Sendable static func update(_ c: Context) throws -> Response {
        let existing = try segment(c)
        let id = try existing.int("id")
        if existing.optionalString("system_key") != nil {
            throw HTTPError.forbidden("Built-in RFM segments are kept by the RFM recompute and cannot be edited.")
        }
        let f = try Fields(c, try c.request.jsonObject(), creating: false, selfID: id)
        if let name = f.name { try checkNameFree(c, name, except: id) }
        func has(_ key: String) -> Bool { f.present.contains(key) }
        let newFilters = f.filtersJSON.map(JSONWriter.string)
        let changed = newFilters != nil && f.filtersJSON != filters(existing)
        let dependsOn = f.filter.map { JSONWriter.string(.array($0.referencedSegments.sorted().map { .int($0) })) }
        try c.db.transaction {
            try c.db.execute("""
                UPDATE segments SET
                    name = COALESCE(\(f.name), name),
                    description = IF(\(has("description")), \(f.description), description),
                    color = IF(\(has("color")), \(f.color), color),
                    filters = COALESCE(\(newFilters), filters),
                    depends_on = COALESCE(\(dependsOn), depends_on),
                    updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
            if changed { try SegmentStore.scheduleRebuild(c.db, c.tenant, segment: id) }
        }
        let row = try SegmentStore.find(c.db, c.tenant, id: id)!
        var o = summary(row)
        o["filters"] = filters(row)
        return .json(.object(o))
    }

    @Sendable static func remove(_ c: Context) throws -> Response {
        let existing = try segment(c)
        let id = try existing.int("id")
        if existing.optionalString("system_key") != nil {
            throw HTTPError.forbidden("Built-in RFM segments are kept by the RFM recompute and cannot be deleted.")
        }
        let dependents = try c.db.query("""
            SELECT name FROM segments WHERE tenant_id = \(c.tenant) AND JSON_CONTAINS(depends_on, \(String(id)))
            """).map { try $0.string("name") }
        if !dependents.isEmpty {
            throw HTTPError.conflict("This segment is used by other segments' filters (in_segment): \(dependents.joined(separator: ", ")).")
        }
        // Members go in bounded batches; then the segment, with its changes (cascade).
        try c.db.executeInBatches("DELETE FROM segment_members WHERE segment_id = \(id)", batch: 10_000)
        try c.db.transaction {
            try c.db.execute("DELETE FROM segments WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try AuditLog.record(c, "segment.deleted", target: ("segment", id), details: ["name": existing.json("name")])
        }
        return .json(["message": "Segment deleted."])
    }

    /// The count and a sample of the customers matching `filters`, without saving.
    @Sendable static func preview(_ c: Context) throws -> Response {
        let body = try c.request.jsonObject()
        var errors = ValidationErrors()
        var filter: SegmentFilter?
        if let json = body["filters"] {
            filter = SegmentFilter.parse(json, errors: &errors)
            if let filter { try SegmentStore.checkReferences(c.db, c.tenant, filter: filter, selfID: nil, errors: &errors) }
        } else {
            errors.add("filters", "The filters field is required.")
        }
        for key in body.keys where !["filters", "limit", "segment_id"].contains(key) { errors.add(key, "Unknown field '\(key)'.") }
        try errors.check()
        let limit = min(max(body["limit"]?.intValue ?? 10, 1), 50)
        let predicate = filter!.sql
        let started = Date()
        let count = try c.db.queryOne("SELECT COUNT(*) AS n FROM customers c WHERE c.tenant_id = \(c.tenant) AND \(predicate)")?.int("n") ?? 0
        let sample = try c.db.query("""
            SELECT \(memberColumns) FROM customers c WHERE c.tenant_id = \(c.tenant) AND \(predicate)
            ORDER BY c.clv_total DESC, c.id DESC LIMIT \(limit)
            """)
        return .json([
            "customers_count": .int(count),
            "customers": .array(sample.map(member)),
            "took_ms": .int(Int(Date().timeIntervalSince(started) * 1000)),
        ])
    }

    /// The member count at the end of each day (UTC) of the last `days` (default 30), from
    /// the recorded entries and exits.
    @Sendable static func history(_ c: Context) throws -> Response {
        let row = try segment(c)
        let id = try row.int("id")
        var days = 30
        if let raw = c.request.query["days"] {
            guard let n = Int(raw), (1...365).contains(n) else { throw HTTPError.invalid("days", "The days must be an integer from 1 to 365.") }
            days = n
        }
        let today = try c.db.queryOne("SELECT UTC_DATE() AS d")!.date("d")
        let first = today.addingTimeInterval(-Double(days - 1) * 86_400)
        let before = try c.db.queryOne("""
            SELECT COALESCE(SUM(IF(event = 'segment_entered', 1, -1)), 0) AS n FROM segment_changes
            WHERE segment_id = \(id) AND occurred_at < \(first)
            """)?.int("n") ?? 0
        var perDay: [String: Int] = [:]
        for r in try c.db.query("""
            SELECT DATE_FORMAT(occurred_at, '%Y-%m-%d') AS day, SUM(IF(event = 'segment_entered', 1, -1)) AS n
            FROM segment_changes WHERE segment_id = \(id) AND occurred_at >= \(first)
            GROUP BY day
            """) {
            perDay[try r.string("day")] = try r.int("n")
        }
        var running = before
        var data: [JSON] = []
        for i in 0..<days {
            let day = String(RFC3339.format(first.addingTimeInterval(Double(i) * 86_400)).prefix(10))
            running += perDay[day] ?? 0
            data.append(["date": .string(day), "customers_count": .int(running),
                         "entered": .int(0), "exited": .int(0)])
        }
        // Entered and exited per day, for the chart's bars.
        for r in try c.db.query("""
            SELECT DATE_FORMAT(occurred_at, '%Y-%m-%d') AS day, SUM(event = 'segment_entered') AS entered, SUM(event = 'segment_exited') AS exited
            FROM segment_changes WHERE segment_id = \(id) AND occurred_at >= \(first) GROUP BY day
            """) {
            let day = try r.string("day")
            if let index = data.firstIndex(where: { $0["date"]?.stringValue == day }), var o = data[index].objectValue {
                o["entered"] = .int(r.optionalInt("entered") ?? 0)
                o["exited"] = .int(r.optionalInt("exited") ?? 0)
                data[index] = .object(o)
            }
        }
        return .json(["segment_id": .int(id), "data": .array(data)])
    }

    /// Every entry and exit (`segment_entered`, `segment_exited`), newest first; by segment
    /// (`segment_id`) and/or customer (`customer_id`). `after_id` reads oldest first from a
    /// cursor, for automations that follow the feed.
    @Sendable static func changes(_ c: Context) throws -> Response {
        let q = c.request.query
        var errors = ValidationErrors()
        func positive(_ key: String) -> Int? {
            guard let raw = q[key], !raw.isEmpty else { return nil }
            guard let n = Int(raw), n >= 0 else { errors.add(key, "The \(key.replacingOccurrences(of: "_", with: " ")) must be a positive integer."); return nil }
            return n
        }
        let segment = positive("segment_id"), customer = positive("customer_id"), after = positive("after_id")
        let page = try Pagination(c.request, sortable: ["occurred_at"], defaultSort: "occurred_at")
        try errors.check()
        var conditions: [SQL] = ["x.tenant_id = \(c.tenant)"]
        if let segment {
            guard try SegmentStore.find(c.db, c.tenant, id: segment) != nil else { throw HTTPError.notFound("Segment not found.") }
            conditions.append("x.segment_id = \(segment)")
        }
        if let customer { conditions.append("x.customer_id = \(customer)") }
        if let after { conditions.append("x.id > \(after)") }
        let whereClause = SQL.join(conditions, separator: " AND ")
        let order: SQL = after != nil ? "x.id ASC" : "x.id DESC"
        let rows = try c.db.query("""
            SELECT x.id, x.event, x.segment_id, s.name AS segment_name, x.customer_id, x.occurred_at
            FROM segment_changes x JOIN segments s ON s.id = x.segment_id
            WHERE \(whereClause) ORDER BY \(order) LIMIT \(page.perPage + 1) OFFSET \(after != nil ? 0 : page.offset)
            """)
        let more = rows.count > page.perPage
        let data = rows.prefix(page.perPage).map { $0.json(["id", "event", "segment_id", "segment_name", "customer_id", "occurred_at"]) }
        return .json(["data": .array(Array(data)), "has_more": .bool(more)])
    }

    /// The members as CSV, read in pages along the primary key and streamed.
    @Sendable static func export(_ c: Context) throws -> Response {
        let row = try segment(c)
        let id = try row.int("id")
        // Recorded before the file is made: no audit entry, no export.
        try AuditLog.record(c, "segment.exported", target: ("segment", id), details: ["name": row.json("name")])
        let slug = (row.optionalString("name") ?? "segment").lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let columns = ["id", "name", "email", "phone", "city", "country", "rfm_score", "rfm_segment", "clv_total", "clv_predicted"]
        let db = c.db, tenant = c.tenant
        return .streamed(headers: CSVWriter.headers(filename: "segment-\(id)-\(String(slug).prefix(40)).csv")) { send in
            var out = CSVWriter.Chunker(send)
            out.add(columns + ["added_at"])
            var after = 0
            while true {
                let rows = try db.query("""
                    SELECT c.id, c.name, c.email, c.phone, c.city, c.country, c.rfm_score, c.rfm_segment, c.clv_total, c.clv_predicted, m.added_at
                    FROM segment_members m JOIN customers c ON c.id = m.customer_id
                    WHERE m.segment_id = \(id) AND m.tenant_id = \(tenant) AND m.customer_id > \(after)
                    ORDER BY m.customer_id LIMIT 5000
                    """)
                for r in rows {
                    out.add(columns.map { r.optionalString($0) ?? "" } + [r.optionalDate("added_at").map { RFC3339.format($0) } ?? ""])
                }
                guard rows.count == 5000, let last = try rows.last?.int("id") else { break }
                after = last
            }
            out.flush()
        }
    }
}
