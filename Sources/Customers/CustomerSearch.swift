import MariaDB
import Web
import Core

/// Customers for the global search: the customer list's own `q` search (CustomerQuery, the
/// word index), most recently seen first.
package enum CustomerSearch {
    package static let source = SearchSource(type: "customer") { db, tenant, q, limit in
        let request = Request.derived(path: "/v1/customers", query: [("q", q), ("per_page", String(limit)), ("sort", "last_seen_at")])
        let query = try CustomerQuery(request, tenant: tenant, db: db)
        return try CustomerStore.listPage(db, tenant, query, total: { try CustomerTotals.customers(db, tenant, query) }).map { row in
            let id = try row.int("id")
            let name = row.optionalString("name").flatMap { $0.isEmpty ? nil : $0 }
            let email = row.optionalString("email")
            return SearchHit(type: "customer", id: .int(Int64(id)), title: name ?? email ?? "Customer \(id)",
                             subtitle: name == nil ? nil : email)
        }
    }
}
