import Foundation
import MariaDB
import Web
import Core
import Activities
import Accounts

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
        return .json(query.page.envelope(try query.rows(c.db).map(CompanyJSON.json), total: total))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        guard let row = try CompanyStore.find(c.db, c.tenant, id: try c.request.id()) else { throw HTTPError.notFound("Company not found.") }
        return .json(CompanyJSON.json(row))
    }

    /// The editable fields of a company, checked (the customers' rules: single-line text
    /// without control characters, properties within their limits). Absent keys stay nil;
    /// `present` tells which keys the body had (null or "" clears a field; `name` cannot be
    /// cleared).
    struct Fields {
        var name: String?, domain: String?, industry: String?, size: String?, country: String?, city: String?
        var ownerID: Int??
        var properties: JSONObject?
        var present: Set<String> = []

        init(_ c: Context, creating: Bool) throws {
            let body = try c.request.jsonObject()
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
            ownerID = try Owners.read(&input, c.db, c.tenant)
            try input.check()
        }
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        let f = try Fields(c, creating: true)
        let company: JSON = try c.db.transaction {
            let id = try c.db.execute("""
                INSERT INTO companies (tenant_id, name, domain, industry, size, country, city, owner_id, properties, created_at, updated_at)
                VALUES (\(c.tenant), \(f.name), \(f.domain), \(f.industry), \(f.size), \(f.country), \(f.city), \(f.ownerID ?? nil),
                        \(JSONWriter.string(.object(f.properties ?? JSONObject()))), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            return try CompanyStore.webhook(c.db, c.tenant, "company.created", id: id)
        }
        return .json(company, status: 201)
    }

    /// Only the fields given change; `properties` is merged (RFC 7396: null removes a key), as
    /// a customer's are.
    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let f = try Fields(c, creating: false)
        func has(_ key: String) -> Bool { f.present.contains(key) }
        try c.db.transaction {
            guard let current = try CompanyStore.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Company not found.") }
            var properties: String?
            if let patch = f.properties {
                let existing = (try? JSONParser.parse(current.optionalString("properties") ?? "{}")) ?? [:]
                let merged = existing.mergePatched(with: .object(patch))
                try Input.propertiesProblems(merged.objectValue ?? JSONObject()).check()
                properties = JSONWriter.string(merged)
            }
            try c.db.execute("""
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
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
            _ = try CompanyStore.webhook(c.db, c.tenant, "company.updated", id: id)
        }
        return .json(CompanyJSON.json(try CompanyStore.find(c.db, c.tenant, id: id)!))
    }

    /// Deletes the company; its customers stay, without a company.
    @Sendable static func delete(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let unlinked: Int = try c.db.transaction {
            guard let (row, unlinked) = try CompanyStore.delete(c.db, c.tenant, id: id) else { throw HTTPError.notFound("Company not found.") }
            // Its notes, tasks and links to CRM entries go with it.
            try Subject.forget(c.db, c.tenant, Subject(type: "company", id: String(id)))
            try AuditLog.record(c, "company.deleted", target: ("company", id), details: [
                "name": row.json("name"), "domain": row.json("domain"), "customers_unlinked": .int(Int64(unlinked)),
            ])
            return unlinked
        }
        return .json(["message": "Company deleted.", "customers_unlinked": .int(Int64(unlinked))])
    }
}
