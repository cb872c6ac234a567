import Foundation
import MariaDB
import Web
import Core
import Search

/// The totals of customer lists. An unfiltered list reads the trigger-kept counter of the
/// workspace; a filtered one is counted by the one rule of list totals (`ListTotals.total`:
/// exact up to 10,000 on each request, past that counted in full and kept for every process,
/// at most 30 s old), the entry lists' rule too.
package enum CustomerTotals {
    /// Every customer of the workspace: the counter the `customers_count_insert/delete` triggers
    /// keep (`schema/005_customer_counts.sql`, 16 rows a workspace), summed. The one reader of it.
    package static func workspaceCustomers(_ db: Connection, _ tenant: Tenant) throws -> Int {
        try db.queryOne("SELECT COALESCE(SUM(n), 0) AS n FROM customer_counts WHERE tenant_id = \(tenant)")?.int("n") ?? 0
    }

    /// The number of customers matching `query`.
    static func customers(_ db: Connection, _ tenant: Tenant, _ query: CustomerQuery) throws -> Int {
        if query.isUnfiltered { return try workspaceCustomers(db, tenant) }
        // Only a word search: its matches in the word index, no customer read.
        let rows: SQL = query.searchMatches ?? "SELECT 1 FROM customers c WHERE \(query.whereClause)"
        return try ListTotals.total(db, tenant, key: "customers:\(rows.text):\(rows.binds)", rows: rows)
    }
}
