import MariaDB
import Core

/// Companies for the global search, by name or domain.
package enum CompanySearch {
    package static let source = SearchSource.byName(type: "company") { tenant, contains, begins, limit in
        """
        SELECT id, name AS title, domain AS subtitle
        FROM companies WHERE tenant_id = \(tenant) AND (name LIKE \(contains) OR domain LIKE \(contains))
        ORDER BY name LIKE \(begins) DESC, customers_count DESC, id LIMIT \(limit)
        """
    }
}
