import Foundation
import MariaDB
import Web
import Core
import Activities
import Accounts
import Segments
import Tags

/// `/v1/companies`: list, create, get, update, delete (issue 24 part 1), with the customer
/// list's conventions: the `{data, meta}` envelope, `page`/`per_page`/`sort`/`order`, filters
/// in the query string, 422 naming each field.
package enum CompanyRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/companies", .server, list)
        routes.post("/v1/companies", .server, create)
        routes.get("/v1/companies/{id}", .server, show)
        routes.put("/v1/companies/{id}", .server, update)
        routes.patch("/v1/companies/{id}", .server, update)
        routes.delete("/v1/companies/{id}", .server, delete)
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        let query = try CompanyQuery(c.request, tenant: c.tenant, principal: c.principal, db: c.db)
        let total = try query.total(c.db, c.tenant)
        return .json(query.page.envelope(try json(c, try query.rows(c.db)), total: total))
    }

    /// The companies of `rows` in JSON, with their tags (one read for them all).
    static func json(_ c: Context, _ rows: [Row]) throws -> [JSON] {
        let tags = try Tags.names(c.db, c.tenant, .company, ids: rows.map { try $0.int("id") })
        return try rows.map { CompanyJSON.json($0, tags: tags[try $0.int("id")] ?? []) }
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        guard let row = try CompanyStore.find(c.db, c.tenant, id: try c.request.id()) else { throw HTTPError.notFound("Company not found.") }
        return .json(try json(c, [row])[0])
    }

    /// The editable fields of a company, checked (the customers' rules: single-line text
    /// without control characters, properties within their limits). Absent keys stay nil;
    /// `present` tells which keys the body had (null or "" clears a field; `name` cannot be
    /// cleared).
    package struct Fields {
        package var name: String?, domain: String?, industry: String?, size: String?, country: String?, city: String?
        var ownerID: Int??
        var properties: JSONObject?
        /// The record's tags (all of them: an update replaces them), normalized.
        var tags: [String]?
        var present: Set<String> = []

        init(_ c: Context, creating: Bool) throws {
            try self.init(try c.request.jsonObject(), db: c.db, tenant: c.tenant, creating: creating)
        }

        /// The same checks for a body that did not come as a request (an imported row, a bulk action's "set a field").
        package init(_ body: JSONObject, db: Connection, tenant: Tenant, creating: Bool) throws {
            var input = Input(body)
            present = Set(body.keys)
            if !creating, input.object["name"]?.isNull == true {
                input.refuseNull("name")
            } else if creating || input.has("name") {
                name = input.string("name", max: 190)
            }
            if let raw = input.string("domain", required: false, max: 2048) {
                do { domain = try CompanyDomain.normalize(raw) } catch { input.fail("domain", error.message) }
            }
            industry = input.string("industry", required: false, max: 120)
            if input.has("size"), input.object["size"]?.isNull == false, input.object["size"]?.stringValue != "" {
                size = input.oneOf("size", CompanyStore.sizes)
            }
            country = input.string("country", required: false, max: 64)
            if let c = country, c.count == 2 { country = c.uppercased() }
            city = input.string("city", required: false, max: 120)
            for key in [\Fields.industry, \Fields.country, \Fields.city] where self[keyPath: key] == "" { self[keyPath: key] = nil }
            properties = input.properties("properties")
            ownerID = try Owners.read(&input, db, tenant)
            tags = Tags.read(&input)
            try input.check()
        }
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        let id = try c.db.transaction { try insert(c.db, c.tenant, try Fields(c, creating: true)) }
        return .json(try json(c, [try CompanyStore.find(c.db, c.tenant, id: id)!])[0], status: 201)
    }

    /// Writes a new company from checked fields (the API's create, imports), with its tags, in
    /// the caller's transaction: its id.
    package static func insert(_ db: Connection, _ tenant: Tenant, _ f: Fields) throws -> Int {
        let id = try db.execute("""
            INSERT INTO companies (tenant_id, name, domain, industry, size, country, city, owner_id, properties, created_at, updated_at)
            VALUES (\(tenant), \(f.name), \(f.domain), \(f.industry), \(f.size), \(f.country), \(f.city), \(f.ownerID ?? nil),
                    \(JSONWriter.string(.object(f.properties ?? JSONObject()))), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        if let tags = f.tags, !tags.isEmpty { try TagWrites.add(db, tenant, .company, ids: [id], names: tags, actor: nil) }
        _ = try CompanyStore.webhook(db, tenant, "company.created", id: id)
        return id
    }

    /// Only the fields given change; `properties` is merged (RFC 7396: null removes a key), as
    /// a customer's are.
    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try apply(c.db, c.tenant, id: id, try Fields(c, creating: false), actor: CustomerChanges.Actor(c.principal))
        return .json(try json(c, [try CompanyStore.find(c.db, c.tenant, id: id)!])[0])
    }

    /// Writes checked fields to company `id` (the API's update, imports, bulk actions); 404 if
    /// there is none. Answers whether any field changed.
    @discardableResult
    package static func apply(_ db: Connection, _ tenant: Tenant, id: Int, _ f: Fields, actor: CustomerChanges.Actor) throws -> Bool {
        func has(_ key: String) -> Bool { f.present.contains(key) }
        return try db.transaction {
            guard let current = try CompanyStore.find(db, tenant, id: id, lock: true) else { throw HTTPError.notFound("Company not found.") }
            var properties: String?
            if let patch = f.properties {
                let existing = (try? JSONParser.parse(current.optionalString("properties") ?? "{}")) ?? [:]
                let merged = existing.mergePatched(with: .object(patch))
                try Input.propertiesProblems(merged.objectValue ?? JSONObject()).check()
                properties = JSONWriter.string(merged)
            }
            try db.execute("""
                UPDATE companies SET
                    name = COALESCE(\(f.name), name),
                    domain = IF(\(has("domain")), \(f.domain), domain),
                    industry = IF(\(has("industry")), \(f.industry), industry),
                    size = IF(\(has("size")), \(f.size), size),
                    country = IF(\(has("country")), \(f.country), country),
                    city = IF(\(has("city")), \(f.city), city),
                    owner_id = IF(\(f.ownerID != nil), \(f.ownerID ?? nil), owner_id),
                    properties = COALESCE(\(properties), properties),
                    updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(tenant) AND id = \(id)
                """)
            if ["domain", "industry", "size", "country", "city"].contains(where: has) {
                try SegmentStore.companyChanged(db, tenant, company: id)
            }
            if let tags = f.tags { try TagWrites.replace(db, tenant, .company, id: id, names: tags, actor: actor) }
            _ = try CompanyStore.webhook(db, tenant, "company.updated", id: id)
            let after = try CompanyStore.find(db, tenant, id: id)!
            return CompanyJSON.compared(current) != CompanyJSON.compared(after)
        }
    }

    /// Deletes the company; its customers stay, without a company.
    @Sendable static func delete(_ c: Context) throws -> Response {
        let unlinked = try delete(c, id: try c.request.id())
        return .json(["message": "Company deleted.", "customers_unlinked": .int(Int64(unlinked))])
    }

    /// Deletes company `id` (404 when it is not the workspace's), audited: the one deletion,
    /// which bulk deletes share. Returns how many customers were unlinked.
    package static func delete(_ c: Context, id: Int) throws -> Int {
        try c.db.transaction {
            guard try CompanyStore.find(c.db, c.tenant, id: id, lock: true) != nil else { throw HTTPError.notFound("Company not found.") }
            try SegmentStore.companyChanged(c.db, c.tenant, company: id)
            guard let (row, unlinked) = try CompanyStore.delete(c.db, c.tenant, id: id) else { throw HTTPError.notFound("Company not found.") }
            // Its notes, tasks and links to CRM entries go with it.
            try Subject.forget(c.db, c.tenant, Subject(type: "company", id: String(id)))
            try AuditLog.record(c, "company.deleted", target: ("company", id), details: [
                "name": row.json("name"), "domain": row.json("domain"), "customers_unlinked": .int(Int64(unlinked)),
            ])
            return unlinked
        }
    }
}
