import MariaDB
import Web
import Core

/// The links of pipeline-CRM entries to customers and companies (`crm_entry_links`): the one
/// home of reading, replacing and checking them. The ids must name records of the entry's
/// workspace (`Subject.existing`, the check notes and tasks use); an unknown one is a 422
/// naming it.
package enum EntryLinks {
    /// The record types an entry links to, with the body's field of each.
    package static let types = ["customer", "company"]
    static let fields = ["customer": "customer_ids", "company": "company_ids"]

    /// An entry's links: customer ids and company ids, ascending.
    package struct Links: Sendable, Equatable {
        package var customers: [Int] = []
        package var companies: [Int] = []

        package init(customers: [Int] = [], companies: [Int] = []) {
            self.customers = customers
            self.companies = companies
        }

        package var json: [(String, JSON)] {
            [("customer_ids", .array(customers.map { .int(Int64($0)) })), ("company_ids", .array(companies.map { .int(Int64($0)) }))]
        }
    }

    /// The links of `entryIDs`, in one read.
    package static func load(_ db: Connection, entryIDs: [Int]) throws -> [Int: Links] {
        guard !entryIDs.isEmpty else { return [:] }
        var links: [Int: Links] = [:]
        for row in try db.query("""
            SELECT entry_id, subject_type, subject_id FROM crm_entry_links WHERE entry_id IN (\(list: entryIDs))
            ORDER BY entry_id, subject_type, subject_id
            """) {
            let entry = try row.int("entry_id"), id = try row.int("subject_id")
            if try row.string("subject_type") == "customer" { links[entry, default: Links()].customers.append(id) } else {
                links[entry, default: Links()].companies.append(id)
            }
        }
        return links
    }

    /// Reads `customer_ids` and `company_ids` of a body (each an array of positive integers,
    /// at most 100; an absent one keeps the links of its type), checked against the workspace.
    package static func read(_ body: JSONObject, current: Links, db: Connection, tenant: Tenant) throws -> Links {
        var errors = ValidationErrors()
        var result = current
        for type in types {
            let field = fields[type]!
            guard let value = body[field], value != .null else { continue }
            guard let items = value.arrayValue else {
                errors.add(field, "The \(field.replacingOccurrences(of: "_", with: " ")) must be an array of ids.")
                continue
            }
            guard items.count <= 100 else {
                errors.add(field, "At most 100 ids.")
                continue
            }
            var ids: [Int] = []
            for (i, item) in items.enumerated() {
                if let id = item.intValue, id > 0 { ids.append(id) } else { errors.add("\(field).\(i)", "Each id must be a positive integer.") }
            }
            ids = Array(Set(ids)).sorted()
            guard let known = try Subject.existing(db, tenant, type: type, ids: ids.map(String.init)) else {
                errors.add(field, "Links to \(type == "company" ? "companies" : "\(type)s") are not available yet.")
                continue
            }
            for id in ids where !known.contains(String(id)) {
                errors.add(field, "The \(type) \(id) does not exist in this workspace.")
            }
            if type == "customer" { result.customers = ids } else { result.companies = ids }
        }
        try errors.check()
        return result
    }

    /// Replaces the links of an entry (in the caller's transaction).
    package static func replace(_ db: Connection, _ tenant: Tenant, entryID: Int, with links: Links) throws {
        try db.execute("DELETE FROM crm_entry_links WHERE entry_id = \(entryID)")
        let rows: [SQL] = links.customers.map { "(\(tenant), \(entryID), 'customer', \($0), UTC_TIMESTAMP(6))" }
            + links.companies.map { "(\(tenant), \(entryID), 'company', \($0), UTC_TIMESTAMP(6))" }
        guard !rows.isEmpty else { return }
        try db.execute("""
            INSERT INTO crm_entry_links (tenant_id, entry_id, subject_type, subject_id, created_at) VALUES \(SQL.join(rows, separator: ", "))
            """)
    }

    /// The ids of the entries linked to a customer or a company, newest link first.
    package static func entryIDs(_ db: Connection, _ tenant: Tenant, type: String, id: Int, limit: Int, offset: Int) throws -> (ids: [Int], total: Int) {
        let total = try db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entry_links WHERE tenant_id = \(tenant) AND subject_type = \(type) AND subject_id = \(id)
            """)?.int("n") ?? 0
        let ids = try db.query("""
            SELECT entry_id FROM crm_entry_links WHERE tenant_id = \(tenant) AND subject_type = \(type) AND subject_id = \(id)
            ORDER BY entry_id DESC LIMIT \(limit) OFFSET \(offset)
            """).map { try $0.int("entry_id") }
        return (ids, total)
    }
}
