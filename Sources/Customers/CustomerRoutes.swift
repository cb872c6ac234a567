import Foundation
import MariaDB
import Web
import Core
import Accounts
import Segments
import Activities
import Tags

/// `/v1/customers`: list, profile, create, update, erase, timeline and export.
package enum CustomerRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/customers", .server, list)
        routes.post("/v1/customers", .server, create)
        routes.get("/v1/customers/{id}", .server, show)
        routes.put("/v1/customers/{id}", .server, update)
        routes.patch("/v1/customers/{id}", .server, update)
        routes.delete("/v1/customers/{id}", .server, erase)
        routes.get("/v1/customers/{id}/events", .server, events)
        routes.get("/v1/customers/{id}/export", .server, export)
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        let query = try CustomerQuery(c.request, tenant: c.tenant, principal: c.principal, db: c.db)
        let total = try CustomerTotals.customers(c.db, c.tenant, query)
        let rows = try CustomerStore.listPage(c.db, c.tenant, query, total: { total })
        let ids = try rows.map { try $0.int("id") }
        let segments = try CustomerStore.segmentNames(c.db, c.tenant, customers: ids)
        let tags = try Tags.names(c.db, c.tenant, .customer, ids: ids)
        let data = try rows.map { CustomerJSON.summary($0, segments: segments[try $0.int("id")] ?? [], tags: tags[try $0.int("id")] ?? []) }
        return .json(query.page.envelope(data, total: total))
    }

    static func profile(_ c: Context, id: Int) throws -> JSON {
        guard let found = try CustomerStore.findWithSegments(c.db, c.tenant, id: id) else { throw HTTPError.notFound("Customer not found.") }
        let tags = try Tags.names(c.db, c.tenant, .customer, ids: [id])[id] ?? []
        return CustomerJSON.profile(found.row, segments: found.segments, tags: tags)
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try profile(c, id: try c.request.id()))
    }

    /// The editable fields of a customer, checked. Absent keys stay nil; `present` tells
    /// which keys the body had (an explicit null clears the field). `company_id` must be a
    /// company of the workspace and `owner_id` a member of it (422 naming the field, with
    /// the body's other problems).
    package struct Fields {
        package var name: String?, email: String?, phone: String?, city: String?, country: String?
        var properties: JSONObject?
        var companyID: Int??
        var ownerID: Int??
        /// The record's tags (all of them: an update replaces them), normalized.
        var tags: [String]?
        var present: Set<String> = []

        package init(_ c: Context, creating: Bool) throws {
            try self.init(try c.request.jsonObject(), db: c.db, tenant: c.tenant, creating: creating)
        }

        /// The same checks for a body that did not come as a request (an imported row, a bulk action's "set a field").
        package init(_ body: JSONObject, db: Connection, tenant: Tenant, creating: Bool) throws {
            var input = Input(body)
            present = Set(body.keys)
            name = input.string("name", required: false, max: 190)
            if body["email"] != nil, body["email"] != .null {
                email = input.email("email", required: false)
            }
            phone = input.string("phone", required: false, max: 40)
            if let phone, !phone.isEmpty, !phone.allSatisfy({ $0.isNumber || " +-().".contains($0) }) {
                input.fail("phone", "The phone may contain only digits, spaces and + - ( ).")
            }
            city = input.string("city", required: false, max: 120)
            country = input.string("country", required: false, max: 64)
            if let c = country, c.count == 2 { country = c.uppercased() }
            // An empty string clears a field, like null.
            for key in [\Fields.name, \Fields.email, \Fields.phone, \Fields.city, \Fields.country] where self[keyPath: key] == "" {
                self[keyPath: key] = nil
            }
            properties = input.properties("properties")
            if creating, (name ?? "").isEmpty, (email ?? "").isEmpty {
                input.fail("email", "A customer needs an email or a name.")
            }
            if input.has("company_id") {
                if input.object["company_id"]?.isNull == true {
                    companyID = .some(nil)
                } else if let id = input.int("company_id", required: false, min: 1) {
                    if try db.queryOne("SELECT id FROM companies WHERE tenant_id = \(tenant) AND id = \(id)") != nil {
                        companyID = .some(id)
                    } else {
                        input.fail("company_id", "The company must be a company of this workspace.")
                    }
                }
            }
            ownerID = try Owners.read(&input, db, tenant)
            tags = Tags.read(&input)
            try input.check()
        }
    }

    /// The answer to a create or an update: the fields written, then the company and owner.
    static func written(_ c: Context, _ row: Row, _ keys: [String]) throws -> JSON {
        var o = row.json(keys).objectValue!
        let id = try row.int("id")
        o["tags"] = .array((try Tags.names(c.db, c.tenant, .customer, ids: [id])[id] ?? []).map(JSON.string))
        o["properties"] = CustomerJSON.properties(row)
        o["company_id"] = row.json("company_id")
        o["owner_id"] = row.json("owner_id")
        return .object(o)
    }

    /// A customer created with a company counts in it (customers_company_insert, schema/030);
    /// one without, in a workspace that links by email domain, gets the company of their
    /// email's domain there, as every new customer does.
    @Sendable static func create(_ c: Context) throws -> Response {
        let id = try insert(c.db, c.tenant, try Fields(c, creating: true))
        let row = try CustomerStore.find(c.db, c.tenant, id: id)!
        return .json(try written(c, row, ["id", "name", "email", "phone", "city", "country", "created_at"]), status: 201)
    }

    /// Writes a new customer from checked fields (the API's create): its id. The write is
    /// CustomerWrites's, as an import's rows are.
    package static func insert(_ db: Connection, _ tenant: Tenant, _ f: Fields) throws -> Int {
        switch try CustomerWrites.write(db, tenant, [.init(.new, f)], actor: .system)[0] {
        case .created(let id), .updated(let id), .unchanged(let id): return id
        case .failed(let error): throw error
        }
    }

    /// Only the fields given change; `properties` is merged (RFC 7396: null removes a key). A
    /// new company_id moves the customer's count and clv_total from the old company to the
    /// new (customers_after_update, schema/030).
    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try apply(c.db, c.tenant, id: id, try Fields(c, creating: false), actor: CustomerChanges.Actor(c.principal))
        let row = try CustomerStore.find(c.db, c.tenant, id: id)!
        return .json(try written(c, row, ["id", "name", "email", "city", "phone", "updated_at", "country"]))
    }

    /// Writes checked fields to customer `id` (the API's update) through CustomerWrites, as
    /// an import's rows are; 404 if there is none. Answers whether any field changed (when
    /// none did, nothing was written).
    @discardableResult
    package static func apply(_ db: Connection, _ tenant: Tenant, id: Int, _ f: Fields, actor: CustomerChanges.Actor) throws -> Bool {
        switch try CustomerWrites.write(db, tenant, [.init(.existing(id), f)], actor: actor)[0] {
        case .created, .updated: return true
        case .unchanged: return false
        case .failed(let error): throw error
        }
    }

    /// The right to be forgotten: the customer, every event (including the anonymous ones of
    /// their linked browsers), identities, memberships, and the notes and tasks about them go,
    /// in one transaction.
    @Sendable static func erase(_ c: Context) throws -> Response {
        let removed = try erase(c, id: try c.request.id())
        return .json(["message": "Customer erased.", "events_deleted": .int(removed)])
    }

    /// Erases customer `id` (404 when it is not the workspace's), audited: the one erasure,
    /// which bulk deletes share. Returns how many events went.
    package static func erase(_ c: Context, id: Int) throws -> Int {
        try c.db.transaction {
            guard try c.db.queryOne("SELECT id FROM customers WHERE tenant_id = \(c.tenant) AND id = \(id) FOR UPDATE") != nil else {
                throw HTTPError.notFound("Customer not found.")
            }
            let anonymous = try c.db.query("SELECT anonymous_id FROM identities WHERE tenant_id = \(c.tenant) AND customer_id = \(id)")
                .map { try $0.string("anonymous_id") }
            var removed = try c.db.execute("DELETE FROM events WHERE tenant_id = \(c.tenant) AND customer_id = \(id)").affectedRows
            if !anonymous.isEmpty {
                removed += try c.db.execute("DELETE FROM events WHERE tenant_id = \(c.tenant) AND anonymous_id IN (\(list: anonymous))").affectedRows
            }
            try SegmentStore.forget(c.db, c.tenant, customer: id)
            try Subject.forget(c.db, c.tenant, Subject(type: "customer", id: String(id)))
            try c.db.execute("DELETE FROM customers WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try AuditLog.record(c, "customer.erased", target: ("customer", id), details: ["events_deleted": .int(Int64(removed))])
            return removed
        }
    }

    /// The customer's timeline: tracked events and their segment entries and exits (read from
    /// `segment_changes`, not stored twice), as items of type `segment_entered` or
    /// `segment_exited` with the segment in `properties`. Each side is cut to the page's end
    /// before the merge, so a page reads at most `offset + per_page` rows of each.
    @Sendable static func events(_ c: Context) throws -> Response {
        let id = try c.request.id()
        guard try c.db.queryOne("SELECT id FROM customers WHERE tenant_id = \(c.tenant) AND id = \(id)") != nil else {
            throw HTTPError.notFound("Customer not found.")
        }
        let page = try Pagination(c.request, sortable: ["occurred_at"], defaultSort: "occurred_at")
        let total = try c.db.queryOne("""
            SELECT (SELECT COUNT(*) FROM events WHERE tenant_id = \(c.tenant) AND customer_id = \(id))
                 + (SELECT COUNT(*) FROM segment_changes WHERE tenant_id = \(c.tenant) AND customer_id = \(id)) AS n
            """)?.int("n") ?? 0
        let direction: SQL = page.descending ? "DESC" : "ASC"
        let end = page.offset + page.perPage
        let rows = try c.db.query("""
            (SELECT public_id, type, name, customer_id, anonymous_id, properties, url, referrer, message_id, occurred_at, received_at,
                    0 AS source, id AS seq
             FROM events WHERE tenant_id = \(c.tenant) AND customer_id = \(id)
             ORDER BY occurred_at \(direction), id \(direction) LIMIT \(end))
            UNION ALL
            (SELECT CONCAT('segchg_', x.id), x.event, x.event, x.customer_id, NULL,
                    JSON_OBJECT('segment_id', x.segment_id, 'segment_name', s.name, 'segment_color', s.color), NULL, NULL, NULL,
                    x.occurred_at, x.occurred_at, 1 AS source, x.id AS seq
             FROM segment_changes x JOIN segments s ON s.id = x.segment_id AND s.tenant_id = x.tenant_id
             WHERE x.tenant_id = \(c.tenant) AND x.customer_id = \(id)
             ORDER BY x.occurred_at \(direction), x.id \(direction) LIMIT \(end))
            ORDER BY occurred_at \(direction), source \(direction), seq \(direction) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(rows.map(CustomerJSON.event), total: total))
    }

    /// Everything held about one customer, as one JSON document.
    @Sendable static func export(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let profile = try profile(c, id: id)
        try AuditLog.record(c, "customer.exported", target: ("customer", id))
        let events = try c.db.query("""
            SELECT public_id, type, name, customer_id, anonymous_id, properties, url, referrer, message_id, occurred_at, received_at
            FROM events WHERE tenant_id = \(c.tenant) AND customer_id = \(id) ORDER BY occurred_at, id
            """).map(CustomerJSON.event)
        let identities = try c.db.query("""
            SELECT anonymous_id, created_at FROM identities WHERE tenant_id = \(c.tenant) AND customer_id = \(id) ORDER BY created_at
            """).map { $0.json(["anonymous_id", "created_at"]) }
        let about = Subject(type: "customer", id: String(id))
        var response = Response.json([
            "customer": profile,
            "identities": .array(identities),
            "events": .array(events),
            "notes": .array(try NoteRoutes.all(c.db, c.tenant, about: about)),
            "tasks": .array(try TaskRoutes.all(c.db, c.tenant, about: about)),
            "profile_changes": .array(try CustomerChanges.all(c.db, c.tenant, customer: id)),
            "exported_at": .date(Date()),
        ])
        response.headers.append(("Content-Disposition", "attachment; filename=\"customer-\(id).json\""))
        return response
    }
}
