import Foundation
import MariaDB
import Web
import Core

/// Tags (issue 25 part 4): free labels on customers, companies and pipeline-CRM entries. The
/// one home of what a tag is (`normalize`), how records get and lose them (`link`,
/// `unlink`, `replace`), how a list or a segment filters on them (`condition`) and how a
/// record's tags are read (`names`). Storage: `tags` and `tag_links` (schema/041).
///
/// This module writes links only. What else a change of a customer's tags must do (the
/// change history, the segments' dirty marks) is `TagWrites` (Customers), which every writer
/// of tags calls: the API, bulk actions and imports.
package enum Tags {
    /// The kind of record a tag is on (`tag_links.kind`).
    package enum Kind: String, Sendable, CaseIterable {
        case customer, company, entry
    }

    /// A tag is at most this many characters, after trimming.
    package static let maxLength = 50
    /// A record holds at most this many tags.
    package static let maxPerRecord = 20

    // MARK: What a tag is

    /// The tags `value` names (a string or an array of strings), trimmed, inner whitespace
    /// collapsed, duplicates (case-insensitively) dropped, in the order given. Problems go to
    /// `errors` under `field`; nil when there were any.
    package static func normalize(_ value: JSON?, field: String = "tags", limit: Int? = maxPerRecord,
                                  errors: inout ValidationErrors) -> [String]? {
        let items: [JSON]
        switch value {
        case nil, .null?: items = []
        case .string?: items = [value!]
        case .array(let list)?: items = list
        default:
            errors.add(field, "The \(label(field)) must be a list of tags (strings).")
            return nil
        }
        // At most `limit` given (repeats included), as the API description says.
        if let limit, items.count > limit {
            errors.add(field, "A record may have at most \(limit) tags.")
            return nil
        }
        var result: [String] = [], seen: Set<String> = [], failed = false
        for item in items {
            guard let raw = item.stringValue else {
                errors.add(field, "Every tag must be a string.")
                failed = true
                continue
            }
            switch normalize(raw) {
            case .success(let name):
                if seen.insert(name.lowercased()).inserted { result.append(name) }
            case .failure(let problem):
                errors.add(field, problem.message)
                failed = true
            }
        }
        return failed ? nil : result
    }

    /// The tags a body sets under `key` (all of a record's: an update replaces them); nil
    /// when absent. Problems are added to `input`, naming `key`.
    package static func read(_ input: inout Input, key: String = "tags") -> [String]? {
        guard input.has(key) else { return nil }
        var errors = ValidationErrors()
        let names = normalize(input.object[key], field: key, errors: &errors)
        for (field, messages) in errors.fields { for m in messages { input.fail(field, m) } }
        return names
    }

    /// A problem with one tag's text.
    package struct Problem: Error { package let message: String }

    /// One tag's text, normalized: trimmed, inner runs of whitespace made one space.
    package static func normalize(_ raw: String) -> Result<String, Problem> {
        let name = raw.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        if name.isEmpty { return .failure(Problem(message: "A tag may not be empty.")) }
        if name.count > maxLength { return .failure(Problem(message: "A tag may not be longer than \(maxLength) characters.")) }
        if let problem = Input.controlCharacterProblem(name) { return .failure(Problem(message: problem)) }
        return .success(name)
    }

    static func label(_ field: String) -> String { field.replacingOccurrences(of: "_", with: " ") }

    // MARK: Reading

    /// The tags of each record given, ordered by name (case-insensitively, the collation's).
    package static func names(_ db: Connection, _ tenant: Tenant, _ kind: Kind, ids: [Int]) throws -> [Int: [String]] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int: [String]] = [:]
        for row in try db.query("""
            SELECT l.record_id, t.name FROM tag_links l FORCE INDEX (idx_tag_links_record) JOIN tags t ON t.id = l.tag_id
            WHERE l.tenant_id = \(tenant) AND l.kind = \(kind.rawValue) AND l.record_id IN (\(list: ids)) ORDER BY t.name
            """) {
            result[try row.int("record_id"), default: []].append(try row.string("name"))
        }
        return result
    }

    /// The ids of the workspace's tags named `names` (case-insensitively); names without a
    /// tag are left out.
    static func ids(_ db: Connection, _ tenant: Tenant, names: [String]) throws -> [Int] {
        guard !names.isEmpty else { return [] }
        return try db.query("SELECT id FROM tags WHERE tenant_id = \(tenant) AND name IN (\(list: names))").map { try $0.int("id") }
    }

    // MARK: Filters

    /// The `tag` filter of a list's query string: `tag=a&tag=b` or `tag=a,b`. Records must
    /// carry every tag named. Problems go to `errors` under `tag`; nil when none was given.
    package static func filter(_ queryString: String, errors: inout ValidationErrors) -> [String]? {
        var raw: [String] = []
        for pair in queryString.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "tag" || parts[0] == "tags" else { continue }
            let value = parts[1].replacingOccurrences(of: "+", with: " ")
            raw += (value.removingPercentEncoding ?? value).split(separator: ",").map(String.init)
        }
        raw = raw.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !raw.isEmpty else { return nil }
        return normalize(.array(raw.map(JSON.string)), field: "tag", limit: 10, errors: &errors)
    }

    /// The condition that record `column` (`c.id`, `co.id`, `e.id`) of `kind` carries every
    /// tag of `names` (a tag that does not exist matches nothing). With `db`, the tags' ids
    /// are read first and each tag is `column IN (its links)`: MariaDB then reads a rare
    /// tag's links and the records by primary key, or probes a common tag's links per record
    /// walked in the sort's order (200,000 customers, a tag on 200: a page in 1.3 ms instead
    /// of 340 ms with a join on the name, which the optimizer can only probe per record).
    package static func condition(_ names: [String], kind: Kind, column: SQL, tenant: Tenant, db: Connection?) throws -> SQL {
        if let db {
            var parts: [SQL] = []
            for name in names {
                guard let id = try db.queryOne("SELECT id FROM tags WHERE tenant_id = \(tenant) AND name = \(name)")?.int("id") else {
                    return "1 = 0"
                }
                parts.append("\(column) IN (SELECT tl.record_id FROM tag_links tl WHERE tl.tenant_id = \(tenant) AND tl.kind = \(kind.rawValue) AND tl.tag_id = \(id))")
            }
            return SQL.join(parts, separator: " AND ")
        }
        return SQL.join(names.map { name in
            """
            EXISTS (SELECT 1 FROM tag_links tl JOIN tags tg ON tg.id = tl.tag_id AND tg.tenant_id = tl.tenant_id
                    WHERE tl.tenant_id = \(tenant) AND tl.kind = \(kind.rawValue) AND tl.record_id = \(column) AND tg.name = \(name))
            """
        }, separator: " AND ")
    }

    /// The condition that record `column` carries any tag of `names` (the segment language).
    package static func anyCondition(_ names: [String], kind: Kind, column: SQL, tenant: SQL) -> SQL {
        """
        EXISTS (SELECT 1 FROM tag_links tl JOIN tags tg ON tg.id = tl.tag_id AND tg.tenant_id = tl.tenant_id
                WHERE tl.tenant_id = \(tenant) AND tl.kind = \(kind.rawValue) AND tl.record_id = \(column) AND tg.name IN (\(list: names)))
        """
    }

    // MARK: Writing (inside the caller's transaction)

    /// The ids of the tags named, made where missing (a name that differs from an existing
    /// tag only in case is that tag).
    static func ensure(_ db: Connection, _ tenant: Tenant, names: [String]) throws -> [Int] {
        guard !names.isEmpty else { return [] }
        for name in names {
            try db.execute("""
                INSERT INTO tags (tenant_id, name, created_at) VALUES (\(tenant), \(name), UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE id = id
                """)
        }
        return try ids(db, tenant, names: names)
    }

    /// Adds the tags `names` to the records `ids` (already checked to be the workspace's).
    /// Returns the records that gained a tag. A record's limit is checked: 422 on `field`
    /// when one would pass `maxPerRecord`.
    package static func link(_ db: Connection, _ tenant: Tenant, _ kind: Kind, ids: [Int], names: [String],
                             field: String = "tags") throws -> Set<Int> {
        guard !ids.isEmpty, !names.isEmpty else { return [] }
        let tagIDs = try ensure(db, tenant, names: names)
        var gained: Set<Int> = []
        for tag in tagIDs {
            let had = Set(try db.query("""
                SELECT record_id FROM tag_links
                WHERE tenant_id = \(tenant) AND kind = \(kind.rawValue) AND tag_id = \(tag) AND record_id IN (\(list: ids)) FOR UPDATE
                """).map { try $0.int("record_id") })
            let missing = ids.filter { !had.contains($0) }
            guard !missing.isEmpty else { continue }
            let rows: [SQL] = missing.map { "(\(tenant), \(kind.rawValue), \(tag), \($0))" }
            try db.execute("INSERT IGNORE INTO tag_links (tenant_id, kind, tag_id, record_id) VALUES \(SQL.join(rows, separator: ", "))")
            gained.formUnion(missing)
        }
        guard !gained.isEmpty else { return gained }
        let over = try db.query("""
            SELECT record_id, COUNT(*) AS n FROM tag_links FORCE INDEX (idx_tag_links_record)
            WHERE tenant_id = \(tenant) AND kind = \(kind.rawValue) AND record_id IN (\(list: Array(gained)))
            GROUP BY record_id HAVING n > \(maxPerRecord) LIMIT 1
            """)
        if !over.isEmpty { throw HTTPError.invalid(field, "A record may have at most \(maxPerRecord) tags.") }
        return gained
    }

    /// Removes the tags `names` from the records `ids`. Returns the records that lost one.
    package static func unlink(_ db: Connection, _ tenant: Tenant, _ kind: Kind, ids: [Int], names: [String]) throws -> Set<Int> {
        let tagIDs = try Self.ids(db, tenant, names: names)
        guard !ids.isEmpty, !tagIDs.isEmpty else { return [] }
        let had = try db.query("""
            SELECT DISTINCT record_id FROM tag_links FORCE INDEX (idx_tag_links_record)
            WHERE tenant_id = \(tenant) AND kind = \(kind.rawValue) AND record_id IN (\(list: ids)) AND tag_id IN (\(list: tagIDs)) FOR UPDATE
            """).map { try $0.int("record_id") }
        guard !had.isEmpty else { return [] }
        try db.execute("""
            DELETE FROM tag_links WHERE tenant_id = \(tenant) AND kind = \(kind.rawValue) AND record_id IN (\(list: had)) AND tag_id IN (\(list: tagIDs))
            """)
        return Set(had)
    }

    /// Makes `names` the tags of record `id` (a create's or an update's `tags`).
    package static func replace(_ db: Connection, _ tenant: Tenant, _ kind: Kind, id: Int, names: [String]) throws {
        let current = try self.names(db, tenant, kind, ids: [id])[id] ?? []
        let wanted = Set(names.map { $0.lowercased() })
        let gone = current.filter { !wanted.contains($0.lowercased()) }
        _ = try unlink(db, tenant, kind, ids: [id], names: gone)
        _ = try link(db, tenant, kind, ids: [id], names: names)
    }

    // MARK: The workspace's tags

    /// Every tag with its counts, by name.
    package static func all(_ db: Connection, _ tenant: Tenant) throws -> [Row] {
        try db.query("""
            SELECT id, name, customers_count, companies_count, entries_count, created_at FROM tags
            WHERE tenant_id = \(tenant) ORDER BY name, id
            """)
    }

    package static func find(_ db: Connection, _ tenant: Tenant, id: Int, lock: Bool = false) throws -> Row? {
        let forUpdate: SQL = lock ? " FOR UPDATE" : ""
        return try db.queryOne("""
            SELECT id, name, customers_count, companies_count, entries_count, created_at FROM tags
            WHERE tenant_id = \(tenant) AND id = \(id)\(forUpdate)
            """)
    }

    /// The records of `kind` carrying tag `id`, in id order.
    package static func records(_ db: Connection, _ tenant: Tenant, _ kind: Kind, tag id: Int) throws -> [Int] {
        try db.query("""
            SELECT record_id FROM tag_links WHERE tenant_id = \(tenant) AND kind = \(kind.rawValue) AND tag_id = \(id) ORDER BY record_id
            """).map { try $0.int("record_id") }
    }

    package static func json(_ row: Row) -> JSON {
        var o = row.json(["id", "name"]).objectValue!
        o["counts"] = .object(JSONObject([
            ("customers", row.json("customers_count")), ("companies", row.json("companies_count")), ("entries", row.json("entries_count")),
        ]))
        o["created_at"] = row.json("created_at")
        return .object(o)
    }
}
