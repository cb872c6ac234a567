import Foundation
import MariaDB
import Web
import Core
import Accounts

/// `GET /v1/customers/export.csv` and `GET /v1/companies/export.csv` (issue 25 part 2): the
/// list as on screen (the list's own filters, search and sort, read by `CustomerQuery` and
/// `CompanyQuery`; the columns asked for), streamed a batch at a time, written by the one CSV
/// writer. The audit log records who exported what before the first byte is sent.
package enum ListExports {
    static let batch = 5_000

    static let customerColumns = ["id", "name", "email", "phone", "city", "country", "company_id", "owner_id", "rfm_score", "rfm_segment",
                                  "clv_total", "clv_predicted", "clv_average_order", "clv_order_count", "currency", "events_count",
                                  "p_alive", "expected_purchases", "last_seen_at", "created_at", "updated_at"]
    static let companyColumns = ["id", "name", "domain", "industry", "size", "country", "city", "owner_id", "customers_count",
                                 "revenue_total", "open_entries_value", "created_at", "updated_at"]

    package static func register(_ routes: inout Routes) {
        routes.get("/v1/customers/export.csv", .server, customers)
        routes.get("/v1/companies/export.csv", .server, companies)
    }

    /// What the audit entry says was exported: the list and its query (filters, sort, columns).
    static func audit(_ c: Context, _ action: String, columns: [String]) throws {
        let query = c.request.query.filter { !["page", "per_page"].contains($0.key) }.sorted { $0.key < $1.key }
        try AuditLog.record(c, action, details: [
            "filters": .object(JSONObject(query.map { ($0.key, JSON.string($0.value)) })),
            "columns": .array(columns.map(JSON.string)),
        ])
    }

    @Sendable static func customers(_ c: Context) throws -> Response {
        let query = try CustomerQuery(c.request, tenant: c.tenant, principal: c.principal, db: c.db)
        let tenant = c.tenant
        return try export(c, "customers.exported", filename: "customers.csv", allowed: customerColumns, ids: { offset in
            "SELECT c.id FROM customers c WHERE \(query.whereClause) ORDER BY \(query.orderClause) LIMIT \(batch) OFFSET \(offset)"
        }, rows: { ids in
            "SELECT \(CustomerJSON.columns) FROM customers c WHERE c.tenant_id = \(tenant) AND c.id IN (\(list: ids))"
        })
    }

    @Sendable static func companies(_ c: Context) throws -> Response {
        let query = try CompanyQuery(c.request, tenant: c.tenant, principal: c.principal, db: c.db)
        let tenant = c.tenant
        return try export(c, "companies.exported", filename: "companies.csv", allowed: companyColumns, ids: { offset in
            "SELECT co.id FROM companies co WHERE \(query.whereClause) ORDER BY \(query.orderClause) LIMIT \(batch) OFFSET \(offset)"
        }, rows: { ids in
            "SELECT \(CompanyJSON.columns) FROM companies co WHERE co.tenant_id = \(tenant) AND co.id IN (\(list: ids))"
        })
    }

    /// A list streamed: the columns asked for, the audit entry first, then a batch at a time
    /// the ids in the list's order (`ids(offset)`) and their rows by primary key (`rows(ids)`).
    static func export(_ c: Context, _ action: String, filename: String, allowed: [String],
                       ids: @escaping (Int) -> SQL, rows: @escaping ([Int]) -> SQL) throws -> Response {
        let columns = try CSVWriter.columns(c.request.query["columns"], allowed: allowed, defaults: allowed)
        try audit(c, action, columns: columns)
        let db = c.db
        var offset = 0
        return CSVWriter.stream(filename: filename, header: columns) {
            let found = try db.query(ids(offset)).map { try $0.int("id") }
            offset += found.count
            guard !found.isEmpty else { return [] }
            var byID: [Int: Row] = [:]
            for row in try db.query(rows(found)) { byID[try row.int("id")] = row }
            return found.compactMap { byID[$0] }.map { row in columns.map { CSVWriter.text(row.json($0)) } }
        }
    }
}
