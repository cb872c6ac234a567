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
        let columns = try CSVWriter.columns(c.request.query["columns"], allowed: customerColumns, defaults: customerColumns)
        try audit(c, "customers.exported", columns: columns)
        let db = c.db, tenant = c.tenant
        var offset = 0
        return CSVWriter.stream(filename: "customers.csv", header: columns) {
            // The ids of a batch in the list's order, then their rows by primary key.
            let ids = try db.query("""
                SELECT c.id FROM customers c WHERE \(query.whereClause) ORDER BY \(query.orderClause) LIMIT \(batch) OFFSET \(offset)
                """).map { try $0.int("id") }
            offset += ids.count
            return try rows(ids, db.query("SELECT \(CustomerJSON.columns) FROM customers c WHERE c.tenant_id = \(tenant) AND c.id IN (\(list: ids))"), columns)
        }
    }

    @Sendable static func companies(_ c: Context) throws -> Response {
        let query = try CompanyQuery(c.request, tenant: c.tenant, principal: c.principal, db: c.db)
        let columns = try CSVWriter.columns(c.request.query["columns"], allowed: companyColumns, defaults: companyColumns)
        try audit(c, "companies.exported", columns: columns)
        let db = c.db, tenant = c.tenant
        var offset = 0
        return CSVWriter.stream(filename: "companies.csv", header: columns) {
            let ids = try db.query("""
                SELECT co.id FROM companies co WHERE \(query.whereClause) ORDER BY \(query.orderClause) LIMIT \(batch) OFFSET \(offset)
                """).map { try $0.int("id") }
            offset += ids.count
            return try rows(ids, db.query("SELECT \(CompanyJSON.columns) FROM companies co WHERE co.tenant_id = \(tenant) AND co.id IN (\(list: ids))"), columns)
        }
    }

    /// The rows' cells, in the order of `ids`.
    static func rows(_ ids: [Int], _ read: @autoclosure () throws -> [Row], _ columns: [String]) throws -> [[String]] {
        guard !ids.isEmpty else { return [] }
        var byID: [Int: Row] = [:]
        for row in try read() { byID[try row.int("id")] = row }
        return ids.compactMap { byID[$0] }.map { row in columns.map { CSVWriter.text(row.json($0)) } }
    }
}
