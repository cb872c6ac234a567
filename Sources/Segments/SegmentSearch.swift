import MariaDB
import Core

/// Segments for the global search, by name.
package enum SegmentSearch {
    package static let source = SearchSource.byName(type: "segment") { tenant, contains, begins, limit in
        """
        SELECT id, name AS title, CONCAT(customers_count, IF(customers_count = 1, ' customer', ' customers')) AS subtitle
        FROM segments WHERE tenant_id = \(tenant) AND name LIKE \(contains)
        ORDER BY name LIKE \(begins) DESC, customers_count DESC, id LIMIT \(limit)
        """
    }
}
