import Foundation
import MariaDB
import Web
import Core
import Accounts
import Search
import Tags

/// How a company reads in JSON.
package enum CompanyJSON {
    static let columns: SQL = """
        co.id, co.name, co.domain, co.industry, co.size, co.country, co.city, co.owner_id, co.properties,
        co.customers_count, co.revenue_total, co.open_entries_value, co.created_at, co.updated_at
        """

    /// The same fields in the list and the profile: a company is small.
    static func json(_ row: Row, tags: [String]) -> JSON {
        var o = row.json(["id", "name", "domain", "industry", "size", "country", "city", "owner_id"]).objectValue!
        o["properties"] = (try? JSONParser.parse(row.optionalString("properties") ?? "{}")) ?? [:]
        for key in ["customers_count", "revenue_total", "open_entries_value", "created_at", "updated_at"] { o[key] = row.json(key) }
        o["tags"] = .array(tags.map(JSON.string))
        return .object(o)
    }

    /// The editable fields only (what an update may change), to tell whether one did.
    static func compared(_ row: Row) -> JSON {
        var o = row.json(["name", "domain", "industry", "size", "country", "city", "owner_id"]).objectValue!
        o["properties"] = (try? JSONParser.parse(row.optionalString("properties") ?? "{}")) ?? [:]
        return .object(o)
    }
}

/// The SQL of companies. Every function takes the workspace.
package enum CompanyStore {
    /// Sizes, as head-count bands (the console's choices; the API refuses others).
    package static let sizes = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10000+"]

    package static func find(_ db: Connection, _ tenant: Tenant, id: Int, lock: Bool = false) throws -> Row? {
        let forUpdate: SQL = lock ? " FOR UPDATE" : ""
        return try db.queryOne("SELECT \(CompanyJSON.columns) FROM companies co WHERE co.tenant_id = \(tenant) AND co.id = \(id)\(forUpdate)")
    }

    /// Those of `ids` that are companies of the workspace; locked (FOR UPDATE) until the
    /// commit, so that none is deleted before the customers that now name it are written.
    static func lockExisting(_ db: Connection, _ tenant: Tenant, ids: Set<Int>) throws -> Set<Int> {
        guard !ids.isEmpty else { return [] }
        return Set(try db.query("""
            SELECT id FROM companies WHERE tenant_id = \(tenant) AND id IN (\(list: ids.sorted())) ORDER BY id FOR UPDATE
            """).map { try $0.int("id") })
    }

    /// Deletes a company: its customers' company_id becomes null first (each customer's
    /// weight leaves the company through customers_after_update, schema/030), then the
    /// company goes. Returns how many customers were unlinked, or nil when there is no such
    /// company. The company is locked first, so no customer can be linked to it meanwhile
    /// (the API and the domain rule lock it before naming it).
    static func delete(_ db: Connection, _ tenant: Tenant, id: Int) throws -> (row: Row, unlinked: Int)? {
        guard let row = try find(db, tenant, id: id, lock: true) else { return nil }
        let tags = try Tags.names(db, tenant, .company, ids: [id])[id] ?? []
        let unlinked = try db.execute("""
            UPDATE customers FORCE INDEX (idx_customers_company) SET company_id = NULL, updated_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = \(tenant) AND company_id = \(id)
            """).affectedRows
        try db.execute("DELETE FROM companies WHERE tenant_id = \(tenant) AND id = \(id)")
        try WebhookOutbox.record(db, tenant: tenant.id, [.init("company.deleted", subject: "company:\(id)", data: CompanyJSON.json(row, tags: tags))])
        return (row, unlinked)
    }

    /// Writes company.created or company.updated (the company as the API shows it) in the
    /// caller's transaction; returns that JSON.
    static func webhook(_ db: Connection, _ tenant: Tenant, _ type: String, id: Int) throws -> JSON {
        guard let row = try find(db, tenant, id: id) else { throw HTTPError.notFound("Company not found.") }
        let company = CompanyJSON.json(row, tags: try Tags.names(db, tenant, .company, ids: [id])[id] ?? [])
        try WebhookOutbox.record(db, tenant: tenant.id, [.init(type, subject: "company:\(id)", data: company)])
        return company
    }
}

/// The company list's filters, search, sort and page, read from the query string and checked:
/// the conventions of the customer list (`Pagination`, the list totals' one rule, the search
/// tokenizer's SQL home).
package struct CompanyQuery {
    /// The filters it reads (saved views and bulk actions accept these only).
    package static let filterKeys = ["q", "domain", "country", "industry", "size", "owner_id", "tag"]
    package static let sortable = ["created_at", "updated_at", "name", "domain", "customers_count", "revenue_total", "open_entries_value"]

    var conditions: [SQL] = []
    let page: Pagination

    package init(_ request: Request, tenant: Tenant, principal: Principal?, db: Connection) throws {
        page = try Pagination(request, sortable: Self.sortable, defaultSort: "created_at")
        let q = request.query
        var errors = ValidationErrors()
        conditions.append("co.tenant_id = \(tenant)")
        if let text = q["q"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            if text.count > 200 {
                errors.add("q", "The search may not be greater than 200 characters.")
            } else {
                conditions.append(try Self.search(text, tenant: tenant, db: db))
            }
        }
        if let raw = q["domain"], !raw.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                if let domain = try CompanyDomain.normalize(raw) { conditions.append("co.domain = \(domain)") }
            } catch {
                errors.add("domain", error.message)
            }
        }
        if let country = q["country"]?.trimmingCharacters(in: .whitespaces), !country.isEmpty {
            conditions.append("co.country = \(country.count == 2 ? country.uppercased() : country)")
        }
        if let industry = q["industry"]?.trimmingCharacters(in: .whitespaces), !industry.isEmpty {
            conditions.append("co.industry = \(industry)")
        }
        if let size = q["size"], !size.isEmpty {
            if CompanyStore.sizes.contains(size) { conditions.append("co.size = \(size)") } else {
                errors.add("size", "The size must be one of: \(CompanyStore.sizes.joined(separator: ", ")).")
            }
        }
        if let owner = Owners.filter(q["owner_id"], principal: principal, errors: &errors) {
            conditions.append(Owners.condition(owner, column: "co.owner_id"))
        }
        if let names = Tags.filter(request.queryString, errors: &errors) {
            conditions.append(try Tags.condition(names, kind: .company, column: "co.id", tenant: tenant, db: db))
        }
        try errors.check()
    }

    /// Name or domain: every word of the search begins a word of the name or of the domain
    /// (its labels), through `company_words` (schema/030, split by search_words_json as the
    /// customers' and entries' words are), case- and accent-insensitively. A search of only
    /// one- and two-letter words matches names and domains that start with it.
    static func search(_ text: String, tenant: Tenant, db: Connection) throws -> SQL {
        let words = try SearchWords.split(db, text)
        if words.isEmpty || words.allSatisfy({ $0.count < 3 }) {
            let like = SQL.likePattern(startingWith: text.lowercased())
            return "(co.name LIKE \(like) OR co.domain LIKE \(like) OR co.name LIKE \(SQL.likePattern(wordStartingWith: text.lowercased())))"
        }
        // A workspace has few companies next to its customers: each word's matches as a
        // semi-join, which MariaDB materializes once.
        return SQL.join(words.map { word in
            "co.id IN (SELECT w.company_id FROM company_words w WHERE w.tenant_id = \(tenant) AND w.word LIKE \(SQL.likePattern(startingWith: word)))"
        }, separator: " AND ")
    }

    package var whereClause: SQL { SQL.join(conditions, separator: " AND ") }

    var orderClause: SQL {
        page.order(["name": "co.name", "domain": "co.domain", "updated_at": "co.updated_at", "customers_count": "co.customers_count",
                    "revenue_total": "co.revenue_total", "open_entries_value": "co.open_entries_value"],
                   fallback: "co.created_at", tiebreak: "co.id")
    }

    /// The number of companies matching, by the one rule of list totals.
    func total(_ db: Connection, _ tenant: Tenant) throws -> Int {
        let rows: SQL = "SELECT 1 FROM companies co WHERE \(whereClause)"
        return try ListTotals.total(db, tenant, key: "companies:\(rows.text):\(rows.binds)", rows: rows)
    }

    func rows(_ db: Connection) throws -> [Row] {
        try db.query("""
            SELECT \(CompanyJSON.columns) FROM companies co WHERE \(whereClause)
            ORDER BY \(orderClause) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
    }
}
