import MariaDB
import Web
import Core
import Accounts
import Tags

/// `/v1/tags`: the workspace's tags with their counts per kind of record; renaming or
/// deleting one changes every record that carries it (issue 25 part 4). A segment that
/// filters on a tag names it: after a rename or a delete its customers are re-evaluated.
package enum TagRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/tags", .server, list)
        routes.get("/v1/tags/{id}", .server, show)
        routes.put("/v1/tags/{id}", .server, rename)
        routes.patch("/v1/tags/{id}", .server, rename)
        routes.delete("/v1/tags/{id}", .server, delete)
    }

    /// Every tag (a workspace keeps a few hundred at most), by name; `q` keeps those whose
    /// name contains it, `kind` those on at least one record of that kind.
    @Sendable static func list(_ c: Context) throws -> Response {
        var rows = try Tags.all(c.db, c.tenant)
        if let q = c.request.query["q"]?.trimmingCharacters(in: .whitespaces).lowercased(), !q.isEmpty {
            rows = rows.filter { ($0.optionalString("name") ?? "").lowercased().contains(q) }
        }
        if let kind = c.request.query["kind"], !kind.isEmpty {
            let columns = ["customer": "customers_count", "company": "companies_count", "entry": "entries_count"]
            guard let column = columns[kind] else { throw HTTPError.invalid("kind", "The kind must be customer, company or entry.") }
            rows = rows.filter { ($0.optionalInt(column) ?? 0) > 0 }
        }
        return .json(["data": .array(rows.map(Tags.json))])
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        guard let row = try Tags.find(c.db, c.tenant, id: try c.request.id()) else { throw HTTPError.notFound("Tag not found.") }
        return .json(Tags.json(row))
    }

    /// `{"name": …}`. Another tag with that name (case aside) is a 409 naming `name`; a change
    /// of case only is allowed.
    @Sendable static func rename(_ c: Context) throws -> Response {
        let id = try c.request.id()
        var input = try Input(c.request)
        var errors = ValidationErrors()
        var name: String?
        if let raw = input.string("name", max: 1_000) {
            switch Tags.normalize(raw) {
            case .success(let n): name = n
            case .failure(let problem): errors.add("name", problem.message)
            }
        }
        try input.check()
        try errors.check()
        guard let name else { throw HTTPError.invalid("name", "The name is required.") }
        try c.db.transaction {
            guard let row = try Tags.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Tag not found.") }
            if try c.db.queryOne("SELECT id FROM tags WHERE tenant_id = \(c.tenant) AND name = \(name) AND id <> \(id)") != nil {
                var errors = ValidationErrors()
                errors.add("name", "Another tag is named \(name).")
                throw HTTPError(409, "Another tag is named \(name).", errors: errors)
            }
            try c.db.execute("UPDATE tags SET name = \(name) WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try TagWrites.retagged(c.db, c.tenant, customers: try Tags.records(c.db, c.tenant, .customer, tag: id))
            try AuditLog.record(c, "tag.renamed", target: ("tag", id), details: ["from": row.json("name"), "to": .string(name)])
        }
        return .json(Tags.json(try Tags.find(c.db, c.tenant, id: id)!))
    }

    /// Takes the tag off every record and deletes it.
    @Sendable static func delete(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let removed: JSON = try c.db.transaction {
            guard let row = try Tags.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Tag not found.") }
            let customers = try Tags.records(c.db, c.tenant, .customer, tag: id)
            try c.db.execute("DELETE FROM tags WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try TagWrites.retagged(c.db, c.tenant, customers: customers)
            let counts = Tags.json(row).objectValue?["counts"] ?? .null
            try AuditLog.record(c, "tag.deleted", target: ("tag", id), details: ["name": row.json("name"), "removed": counts])
            return counts
        }
        return .json(["message": "Tag deleted.", "removed": removed])
    }
}
