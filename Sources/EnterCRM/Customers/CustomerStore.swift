import Foundation
import MariaDB
import Web

/// The SQL of customers. Every function takes the workspace.
enum CustomerStore {
    static func find(_ db: Connection, _ tenant: Tenant, id: Int) throws -> Row? {
        try db.queryOne("SELECT \(CustomerJSON.columns) FROM customers c WHERE c.tenant_id = \(tenant) AND c.id = \(id)")
    }

    /// The customer and their segments' names (a JSON array in `segment_names`, ordered by
    /// name as `segmentNames` orders them): the profile in one query.
    static func findWithSegments(_ db: Connection, _ tenant: Tenant, id: Int) throws -> Row? {
        try db.queryOne("""
            SELECT \(CustomerJSON.columns),
                   (SELECT JSON_ARRAYAGG(s.name ORDER BY s.name) FROM segment_members m JOIN segments s ON s.id = m.segment_id
                    WHERE m.tenant_id = c.tenant_id AND m.customer_id = c.id) AS segment_names
            FROM customers c WHERE c.tenant_id = \(tenant) AND c.id = \(id)
            """)
    }

    /// Segment names of each customer given, in one query.
    static func segmentNames(_ db: Connection, _ tenant: Tenant, customers ids: [Int]) throws -> [Int: [String]] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int: [String]] = [:]
        for row in try db.query("""
            SELECT m.customer_id, s.name FROM segment_members m JOIN segments s ON s.id = m.segment_id
            WHERE m.tenant_id = \(tenant) AND m.customer_id IN (\(list: ids)) ORDER BY s.name
            """) {
            result[try row.int("customer_id"), default: []].append(try row.string("name"))
        }
        return result
    }

    /// Emails are compared trimmed and lowercased.
    static func normalizeEmail(_ email: String) -> String {
        email.trimmedOfWhitespace.lowercased()
    }
}

/// The list's filters and sort, read from the query string and checked.
struct CustomerQuery {
    var conditions: [SQL] = []
    var order: SQL = "c.created_at"
    var descending = true
    let page: Pagination

    static let sortable = ["created_at", "last_seen_at", "name", "clv_total", "clv_predicted", "rfm_score", "events_count",
                           "p_alive", "expected_purchases"]

    init(_ request: Request, tenant: Tenant) throws {
        page = try Pagination(request, sortable: Self.sortable, defaultSort: "created_at")
        descending = page.descending
        switch page.sort {
        case "last_seen_at": order = "c.last_seen_at"
        case "name": order = "c.name"
        case "clv_total": order = "c.clv_total"
        case "clv_predicted": order = "c.clv_predicted"
        case "rfm_score": order = "c.rfm_score"
        case "events_count": order = "c.events_count"
        case "p_alive": order = "c.p_alive"
        case "expected_purchases": order = "c.expected_purchases"
        default: order = "c.created_at"
        }
        let q = request.query
        var errors = ValidationErrors()
        conditions.append("c.tenant_id = \(tenant)")
        if let text = q["q"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            conditions.append(Self.search(text, tenant: tenant))
        }
        if let email = q["email"], !email.isEmpty { conditions.append("c.email = \(CustomerStore.normalizeEmail(email))") }
        if let country = q["country"], !country.isEmpty { conditions.append("c.country = \(country)") }
        if let city = q["city"], !city.isEmpty { conditions.append("c.city = \(city)") }
        if let segment = q["rfm_segment"], !segment.isEmpty { conditions.append("c.rfm_segment = \(segment)") }
        if let raw = q["segment_id"], !raw.isEmpty {
            if let id = Int(raw), id > 0 {
                conditions.append("EXISTS (SELECT 1 FROM segment_members m WHERE m.segment_id = \(id) AND m.customer_id = c.id AND m.tenant_id = \(tenant))")
            } else {
                errors.add("segment_id", "The segment id must be a positive integer.")
            }
        }
        // Ranges of the scores and predictions: name_min and name_max, inclusive.
        let ranges: [(String, SQL, SQL)] = [
            ("rfm_score", "c.rfm_score >= ", "c.rfm_score <= "), ("clv_predicted", "c.clv_predicted >= ", "c.clv_predicted <= "),
            ("p_alive", "c.p_alive >= ", "c.p_alive <= "), ("expected_purchases", "c.expected_purchases >= ", "c.expected_purchases <= "),
        ]
        for (field, atLeast, atMost) in ranges {
            for (suffix, fragment) in [("_min", atLeast), ("_max", atMost)] {
                let key = field + suffix
                guard let raw = q[key], !raw.isEmpty else { continue }
                guard let value = Double(raw), value.isFinite else {
                    errors.add(key, "The \(key.replacingOccurrences(of: "_", with: " ")) must be a number.")
                    continue
                }
                conditions.append("\(fragment)\(value)")
            }
        }
        for (key, op) in [("created_after", ">="), ("created_before", "<")] {
            guard let raw = q[key], !raw.isEmpty else { continue }
            guard let date = RFC3339.parse(raw) else {
                errors.add(key, "The \(key.replacingOccurrences(of: "_", with: " ")) must be an RFC 3339 date-time (2026-03-01T00:00:00Z).")
                continue
            }
            conditions.append(op == ">=" ? "c.created_at >= \(date)" : "c.created_at < \(date)")
        }
        try errors.check()
    }

    /// Name or email, partial: every word of the search begins a word of the name or the
    /// email (its parts: "ana.horvat.12@gmail.com" is ana, horvat, 12, gmail, com), found
    /// through `customer_words` (schema/017_search_index.sql), case- and accent-insensitively;
    /// the longest word's range drives and the others are probed per customer. An address
    /// (with @) matches by its beginning; a search of only one- and two-letter words, names
    /// and emails that start with it.
    static func search(_ text: String, tenant: Tenant) -> SQL {
        let lowered = text.lowercased()
        if lowered.contains("@") {
            return "c.email LIKE \(escapeLike(lowered) + "%")"
        }
        let words = SearchWords.split(text)
        if words.isEmpty || words.allSatisfy({ $0.count < 3 }) {
            let like = escapeLike(lowered) + "%"
            return "(c.name LIKE \(like) OR c.email LIKE \(like) OR c.name LIKE \("% " + escapeLike(lowered) + "%"))"
        }
        let lead = words.indices.max { words[$0].count < words[$1].count }!
        var parts: [SQL] = ["w.tenant_id = \(tenant) AND w.word LIKE \(SearchWords.prefixPattern(words[lead]))"]
        for (i, word) in words.enumerated() where i != lead {
            parts.append("(SELECT 1 FROM customer_words x WHERE x.customer_id = w.customer_id AND x.word LIKE \(SearchWords.prefixPattern(word)) LIMIT 1) IS NOT NULL")
        }
        return "c.id IN (SELECT w.customer_id FROM customer_words w WHERE \(SQL.join(parts, separator: " AND ")))"
    }

    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    var whereClause: SQL { SQL.join(conditions, separator: " AND ") }
    /// Only the workspace condition: the total is the workspace's customer count.
    var isUnfiltered: Bool { conditions.count == 1 }
    var orderClause: SQL { order + (descending ? " DESC, c.id DESC" : " ASC, c.id ASC") }
}
