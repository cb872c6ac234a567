import Foundation
import MariaDB
import Web
import Core
import Search
import Accounts
import Tags

/// The SQL of customers. Every function takes the workspace.
package enum CustomerStore {
    package static func find(_ db: Connection, _ tenant: Tenant, id: Int) throws -> Row? {
        try db.queryOne("SELECT \(CustomerJSON.columns) FROM customers c WHERE c.tenant_id = \(tenant) AND c.id = \(id)")
    }

    /// The customer and their segments' names, in one query: a row per segment (one row with
    /// a null `segment_name` for a customer in none), names ordered as `segmentNames` orders
    /// them (accents aside: the collation folds them, this does not). A join, not a subquery in the select list: MariaDB
    /// optimizes such a subquery again on every execution, which doubled the profile's
    /// cost in the database (mariadb-slap, 16 connections: 125 -> 95 microseconds a query);
    /// the indexes are named for the same reason (`tenant_id = ?` matches 14 of them).
    static func findWithSegments(_ db: Connection, _ tenant: Tenant, id: Int) throws -> (row: Row, segments: [String])? {
        let rows = try db.query("""
            SELECT \(CustomerJSON.columns), s.name AS segment_name
            FROM customers c FORCE INDEX (PRIMARY)
            LEFT JOIN segment_members m FORCE INDEX (idx_segment_members_customer) ON m.tenant_id = c.tenant_id AND m.customer_id = c.id
            LEFT JOIN segments s ON s.id = m.segment_id
            WHERE c.tenant_id = \(tenant) AND c.id = \(id)
            """)
        guard let first = rows.first else { return nil }
        var names = rows.compactMap { $0.optionalString("segment_name") }
        if names.count > 1 { names.sort { $0.lowercased() < $1.lowercased() } }
        return (first, names)
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
    /// `total` (the matches, `CustomerTotals.customers`) is asked only when the plan needs it: a
    /// search never does, so the palette's search as you type counts nothing.
    static func listPage(_ db: Connection, _ tenant: Tenant, _ query: CustomerQuery, total matches: () throws -> Int) throws -> [Row] {
        let limit = query.page.perPage, offset = query.page.offset
        func read(_ hint: SQL, budget: Int? = nil) throws -> [Row] {
            let examined: SQL = budget.map { "ROWS EXAMINED \($0)" } ?? ""
            return try db.query("""
                SELECT \(CustomerJSON.columns) FROM customers c \(hint) WHERE \(query.whereClause)
                ORDER BY \(query.orderClause) LIMIT \(limit) OFFSET \(offset) \(examined)
                """)
        }
        if query.searchWalks {
            // The walk reads the sort's index and the word matches only (covering): the ids
            // first, then the page's rows by primary key, not every walked customer's row.
            let ids = try db.query("""
                SELECT c.id FROM customers c FORCE INDEX (\(query.sortIndexes)) WHERE \(query.whereClause)
                ORDER BY \(query.orderClause) LIMIT \(limit) OFFSET \(offset)
                """).map { try $0.int("id") }
            guard !ids.isEmpty else { return [] }
            var byID: [Int: Row] = [:]
            for row in try db.query("SELECT \(CustomerJSON.columns) FROM customers c WHERE c.tenant_id = \(tenant) AND c.id IN (\(list: ids))") {
                byID[try row.int("id")] = row
            }
            return ids.compactMap { byID[$0] }
        }
        guard !query.isUnfiltered, !query.searches else { return try read("") }
        // A range on the sort's own column is best read through the sort's index anyway.
        let throughFilter: SQL = query.rangeColumns.contains(query.page.sort) ? "" : "IGNORE INDEX (\(query.sortIndex))"
        let total = try matches()
        if total <= filesortLimit { return try read(throughFilter) }
        let workspace = try CustomerTotals.workspaceCustomers(db, tenant)
        let evenWalk = (offset + limit) * max(workspace, total) / max(total, 1)
        guard evenWalk <= total else { return try read(throughFilter) }
        let walked = try read("FORCE INDEX (\(query.sortIndexes))", budget: min(max(4 * evenWalk, 2_000), walkBudget))
        if walked.count >= min(limit, total - offset) { return walked }
        return try read(throughFilter)
    }

    static let filesortLimit = 5_000
    static let walkBudget = 20_000

    /// Emails are compared trimmed and lowercased.
    package static func normalizeEmail(_ email: String) -> String {
        email.trimmedOfWhitespace.lowercased()
    }
}

/// The list's filters and sort, read from the query string and checked.
package struct CustomerQuery {
    /// The filters it reads (saved views and bulk actions accept these only).
    package static let filterKeys = ["q", "email", "country", "city", "rfm_segment", "company_id", "owner_id", "tag", "segment_id",
                                     "created_after", "created_before"]
        + ["rfm_score", "clv_predicted", "p_alive", "expected_purchases"].flatMap { [$0 + "_min", $0 + "_max"] }

    var conditions: [SQL] = []
    var order: SQL = "c.created_at"
    /// The index that reads the workspace's customers in the sort's order (tenant_id, column,
    /// then the primary key); for created_at, rfm_score and name also the RFM segment's
    /// (tenant_id, rfm_segment, column), which serves a segment filter in that order, and for
    /// created_at the company's and the owner's (tenant_id, company_id or owner_id, created_at).
    var sortIndex: SQL = "idx_customers_created"
    var sortIndexes: SQL = "idx_customers_created, idx_customers_segment"
    var descending = true
    /// A `q` search is among the conditions (its plan is the search's own).
    var searches = false
    /// The columns a range filter bounds (created_after/before, the _min/_max ranges).
    var rangeColumns: Set<String> = []
    let page: Pagination

    /// A word's matches (the index's estimate) that a walking search materializes at most.
    static let materializeLimit = 50_000

    package static let sortable = ["created_at", "last_seen_at", "name", "clv_total", "clv_predicted", "rfm_score", "events_count",
                           "p_alive", "expected_purchases"]

    /// With `q` the only filter: its matches' ids (`SELECT … customer_id`), which count it
    /// from the word index alone.
    var searchMatches: SQL?
    /// With `q` the only filter and a search whose matches are dense enough: read the page by
    /// walking the sort's index (forced), the rarest word's matches materialized once.
    var searchWalks = false

    package init(_ request: Request, tenant: Tenant, principal: Principal? = nil, db: Connection? = nil) throws {
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
        case "created_at": sortIndexes = "idx_customers_created, idx_customers_segment, idx_customers_company, idx_customers_owner"
        case "rfm_score": sortIndexes = "idx_customers_rfm, idx_customers_segment_rfm"
        case "name": sortIndexes = "idx_customers_name, idx_customers_segment_name"
        default: sortIndexes = sortIndex
        }
        let q = request.query
        var errors = ValidationErrors()
        conditions.append("c.tenant_id = \(tenant)")
        var matches: SQL?
        var walks = false
        if let text = q["q"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let search = try Self.search(text, tenant: tenant, db: db, rowsNeeded: page.offset + page.perPage)
            conditions.append(search.condition)
            matches = search.matches
            walks = search.walk
            searches = true
        }
        if let email = q["email"], !email.isEmpty { conditions.append("c.email = \(CustomerStore.normalizeEmail(email))") }
        // The id the workspace's own systems (a Segment userId) know the customer by (uq_external_id).
        if let external = q["external_id"], !external.isEmpty { conditions.append("c.external_id = \(external)") }
        if let country = q["country"], !country.isEmpty { conditions.append("c.country = \(country)") }
        if let city = q["city"], !city.isEmpty { conditions.append("c.city = \(city)") }
        if let segment = q["rfm_segment"], !segment.isEmpty { conditions.append("c.rfm_segment = \(segment)") }
        // A company's customers (idx_customers_company: tenant_id, company_id, created_at) and
        // an owner's (idx_customers_owner), or those without (`none`).
        if let raw = q["company_id"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            if raw == "none" || raw == "null" {
                conditions.append("c.company_id IS NULL")
            } else if let id = Int(raw), id > 0 {
                conditions.append("c.company_id = \(id)")
            } else {
                errors.add("company_id", "The company id must be a positive integer or none.")
            }
        }
        if let owner = Owners.filter(q["owner_id"], principal: principal, errors: &errors) {
            conditions.append(Owners.condition(owner, column: "c.owner_id"))
        }
        if let names = Tags.filter(request.queryString, errors: &errors) {
            conditions.append(try Tags.condition(names, kind: .customer, column: "c.id", tenant: tenant, db: db))
        }
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
        if conditions.count == 2 {
            searchMatches = matches
            searchWalks = walks
        }
    }

    /// Name or email, partial: every word of the search begins a word of the name or the
    /// email (its parts: "ana.horvat.12@gmail.com" is ana, horvat, 12, gmail, com), found
    /// through `customer_words` (schema/017_search_index.sql), case- and accent-insensitively.
    /// An address (with @) matches by its beginning; a search of only one- and two-letter
    /// words, names and emails that start with it.
    ///
    /// As for entries (EntryQuery.runSearch), the plan follows the index's estimate of each
    /// word's matches: rare words give `c.id IN (their matches)` (the rarest word's range,
    /// the others joined to it as read or probed per customer); common ones, a probe per
    /// customer through (customer_id, word), so that the customers are read in the order
    /// asked for until the page is full. `matches` selects the matching ids (when the word
    /// index alone can tell them).
    static func search(_ text: String, tenant: Tenant, db: Connection?, rowsNeeded: Int) throws -> (condition: SQL, matches: SQL?, walk: Bool) {
        let lowered = text.lowercased()
        if lowered.contains("@") {
            return ("c.email LIKE \(SQL.likePattern(startingWith: lowered))", nil, false)
        }
        // Without a connection to ask, the tokenizer's home (search_words_json) cannot split
        // it: the prefix match below.
        let words = try db.map { try SearchWords.split($0, text) } ?? []
        if words.isEmpty || words.allSatisfy({ $0.count < 3 }) {
            let like = SQL.likePattern(startingWith: lowered)
            return ("(c.name LIKE \(like) OR c.email LIKE \(like) OR c.name LIKE \(SQL.likePattern(wordStartingWith: lowered)))", nil, false)
        }
        func range(_ word: String) -> SQL { "w.tenant_id = \(tenant) AND w.word LIKE \(SQL.likePattern(startingWith: word))" }
        func probe(_ word: String, _ customer: SQL) -> SQL {
            "(SELECT 1 FROM customer_words x WHERE x.customer_id = \(customer) AND x.word LIKE \(SQL.likePattern(startingWith: word)) LIMIT 1) IS NOT NULL"
        }
        // Without a connection to ask: the longest word as the rarest.
        var estimates = words.map { 1_000_000 / max($0.count, 1) }
        var n = 1_000_000.0
        if let db {
            estimates = try words.map { max(1, try SearchWords.estimate(db, "SELECT w.customer_id FROM customer_words w WHERE \(range($0))")) }
            n = Double(max(1, try CustomerTotals.workspaceCustomers(db, tenant)))
        }
        let plan = SearchWords.plan(estimates: estimates, total: n)
        let joined: [SQL] = plan.joined.map { range(words[$0]) }
        let probed = plan.probed.map { words[$0] }
        let candidates = plan.candidates, cost = plan.cost
        // Probes come after the joins (on the customer), or, with no join, on the lead
        // word's rows.
        var lead: [SQL] = [range(words[plan.lead])]
        var after: [SQL] = []
        for word in probed {
            if joined.isEmpty { lead.append(probe(word, "w.customer_id")) } else { after.append(probe(word, "c.id")) }
        }
        var from: SQL = "(SELECT DISTINCT w.customer_id FROM customer_words w WHERE \(SQL.join(lead, separator: " AND "))) d0"
        for (j, condition) in joined.enumerated() {
            from = from + " JOIN (SELECT DISTINCT w.customer_id FROM customer_words w WHERE \(condition)) \(SearchWords.aliases[j]) ON \(SearchWords.aliases[j]).customer_id = d0.customer_id"
        }
        let matches: SQL = "SELECT d0.customer_id FROM \(from)"
        let density = estimates.reduce(1.0) { $0 * min(Double($1) / n, 1) }
        let orderedCost = Double(rowsNeeded) / max(density, 1e-9) * (0.3 + 4)
        if db != nil, orderedCost < cost + candidates * 3 {
            // Customers read in the order asked for until the page is full. The rarest word,
            // if its matches are few enough to hold, as a semi-join that MariaDB materializes
            // once (a hash lookup per customer walked), the others probed: q=zimmer (0.8 % of
            // a million) 43 -> 5 ms, against a correlated probe per customer for every word.
            let rarest = plan.lead
            guard estimates[rarest] <= Self.materializeLimit else {
                return (SQL.join(words.map { probe($0, "c.id") }, separator: " AND "), after.isEmpty ? matches : nil, false)
            }
            var conditions: [SQL] = ["c.id IN (SELECT w.customer_id FROM customer_words w WHERE \(range(words[rarest])))"]
            for (i, word) in words.enumerated() where i != rarest { conditions.append(probe(word, "c.id")) }
            return (SQL.join(conditions, separator: " AND "), after.isEmpty ? matches : nil, true)
        }
        if !after.isEmpty {
            return ("c.id IN (\(matches)) AND \(SQL.join(after, separator: " AND "))", nil, false)
        }
        return ("c.id IN (\(matches))", matches, false)
    }

    package var whereClause: SQL { SQL.join(conditions, separator: " AND ") }
    /// Only the workspace condition: the total is the workspace's customer count.
    var isUnfiltered: Bool { conditions.count == 1 }
    var orderClause: SQL { order + (descending ? " DESC, c.id DESC" : " ASC, c.id ASC") }
}
