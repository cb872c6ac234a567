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

    /// A page of the list. The optimizer alone picks badly on a large workspace when a
    /// filter and the sort pull apart: it walks the sort's index expecting matches to be
    /// spread evenly, and a filter that is rare, or correlated with the sort (Champions by
    /// rfm_score ascending: every customer without a score comes first), makes that walk
    /// read most of a million rows. So, with a filter and no search, the plan follows the
    /// total (already known, for the envelope):
    /// - at most `filesortLimit` matches: read them through the filter's index and sort them
    ///   (the sort's index ignored);
    /// - more: walk the sort's index (forced), examining at most four times the rows the walk
    ///   needs if the matches were spread evenly (the page's end x workspace / matches; at
    ///   least 2,000, at most `walkBudget`); a page that comes back short was cut by that
    ///   budget (the filter is correlated with the sort), and is read as above instead. A
    ///   walk expected to read more rows than there are matches is not tried.
    /// A walk in index order returns rows in their final order, so a page that is full is
    /// the right page whether or not the budget was near.
    static func listPage(_ db: Connection, _ tenant: Tenant, _ query: CustomerQuery, total: Int) throws -> [Row] {
        let limit = query.page.perPage, offset = query.page.offset
        func read(_ hint: SQL, budget: Int? = nil) throws -> [Row] {
            let examined: SQL = budget.map { "ROWS EXAMINED \($0)" } ?? ""
            return try db.query("""
                SELECT \(CustomerJSON.columns) FROM customers c \(hint) WHERE \(query.whereClause)
                ORDER BY \(query.orderClause) LIMIT \(limit) OFFSET \(offset) \(examined)
                """)
        }
        guard !query.isUnfiltered, !query.searches else { return try read("") }
        // A range on the sort's own column is best read through the sort's index anyway.
        let throughFilter: SQL = query.rangeColumns.contains(query.page.sort) ? "" : "IGNORE INDEX (\(query.sortIndex))"
        if total <= filesortLimit { return try read(throughFilter) }
        let workspace = try db.queryOne("SELECT COALESCE(SUM(n), 0) AS n FROM customer_counts WHERE tenant_id = \(tenant)")?.int("n") ?? 0
        let evenWalk = (offset + limit) * max(workspace, total) / max(total, 1)
        guard evenWalk <= total else { return try read(throughFilter) }
        let walked = try read("FORCE INDEX (\(query.sortIndexes))", budget: min(max(4 * evenWalk, 2_000), walkBudget))
        if walked.count >= min(limit, total - offset) { return walked }
        return try read(throughFilter)
    }

    static let filesortLimit = 5_000
    static let walkBudget = 20_000

    /// Emails are compared trimmed and lowercased.
    static func normalizeEmail(_ email: String) -> String {
        email.trimmedOfWhitespace.lowercased()
    }
}

/// The list's filters and sort, read from the query string and checked.
struct CustomerQuery {
    var conditions: [SQL] = []
    var order: SQL = "c.created_at"
    /// The index that reads the workspace's customers in the sort's order (tenant_id, column,
    /// then the primary key); for created_at and rfm_score also the RFM segment's
    /// (tenant_id, rfm_segment, column), which serves a segment filter in that order.
    var sortIndex: SQL = "idx_customers_created"
    var sortIndexes: SQL = "idx_customers_created, idx_customers_segment"
    var descending = true
    /// A `q` search is among the conditions (its plan is the search's own).
    var searches = false
    /// The columns a range filter bounds (created_after/before, the _min/_max ranges).
    var rangeColumns: Set<String> = []
    let page: Pagination

    static let sortable = ["created_at", "last_seen_at", "name", "clv_total", "clv_predicted", "rfm_score", "events_count",
                           "p_alive", "expected_purchases"]

    init(_ request: Request, tenant: Tenant) throws {
        page = try Pagination(request, sortable: Self.sortable, defaultSort: "created_at")
        descending = page.descending
        switch page.sort {
        case "last_seen_at": (order, sortIndex) = ("c.last_seen_at", "idx_customers_seen")
        case "name": (order, sortIndex) = ("c.name", "idx_customers_name")
        case "clv_total": (order, sortIndex) = ("c.clv_total", "idx_customers_clv")
        case "clv_predicted": (order, sortIndex) = ("c.clv_predicted", "idx_customers_predicted")
        case "rfm_score": (order, sortIndex) = ("c.rfm_score", "idx_customers_rfm")
        case "events_count": (order, sortIndex) = ("c.events_count", "idx_customers_events")
        case "p_alive": (order, sortIndex) = ("c.p_alive", "idx_customers_alive")
        case "expected_purchases": (order, sortIndex) = ("c.expected_purchases", "idx_customers_expected")
        default: (order, sortIndex) = ("c.created_at", "idx_customers_created")
        }
        switch page.sort {
        case "created_at": break
        case "rfm_score": sortIndexes = "idx_customers_rfm, idx_customers_segment_rfm"
        default: sortIndexes = sortIndex
        }
        let q = request.query
        var errors = ValidationErrors()
        conditions.append("c.tenant_id = \(tenant)")
        if let text = q["q"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            conditions.append(Self.search(text))
            searches = true
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
                rangeColumns.insert(field)
            }
        }
        for (key, op) in [("created_after", ">="), ("created_before", "<")] {
            guard let raw = q[key], !raw.isEmpty else { continue }
            guard let date = RFC3339.parse(raw) else {
                errors.add(key, "The \(key.replacingOccurrences(of: "_", with: " ")) must be an RFC 3339 date-time (2026-03-01T00:00:00Z).")
                continue
            }
            conditions.append(op == ">=" ? "c.created_at >= \(date)" : "c.created_at < \(date)")
            rangeColumns.insert("created_at")
        }
        try errors.check()
    }

    /// Name or email, partial: word prefixes through the FULLTEXT index; an address
    /// (with @) by its beginning; short terms by prefix.
    static func search(_ text: String) -> SQL {
        let lowered = text.lowercased()
        if lowered.contains("@") {
            return "c.email LIKE \(escapeLike(lowered) + "%")"
        }
        let words = lowered.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { !$0.isEmpty }
        if words.isEmpty || words.contains(where: { $0.count < 3 }) {
            let like = escapeLike(lowered) + "%"
            return "(c.name LIKE \(like) OR c.email LIKE \(like) OR c.name LIKE \("% " + escapeLike(lowered) + "%"))"
        }
        let boolean = words.map { "+" + $0 + "*" }.joined(separator: " ")
        return "MATCH(c.name, c.email) AGAINST (\(boolean) IN BOOLEAN MODE)"
    }

    static func escapeLike(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    var whereClause: SQL { SQL.join(conditions, separator: " AND ") }
    /// A word search through the FULLTEXT index is among the conditions.
    var usesFullText: Bool { conditions.contains { $0.text.hasPrefix("MATCH(") } }
    /// Only the workspace condition: the total is the workspace's customer count.
    var isUnfiltered: Bool { conditions.count == 1 }
    var orderClause: SQL { order + (descending ? " DESC, c.id DESC" : " ASC, c.id ASC") }
}
