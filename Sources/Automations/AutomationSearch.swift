import MariaDB
import Core

/// Automations for the global search, by name.
package enum AutomationSearch {
    package static let source = SearchSource.byName(type: "automation") { tenant, contains, begins, limit in
        """
        SELECT id, name AS title, IF(is_active, 'Active', 'Inactive') AS subtitle
        FROM automations WHERE tenant_id = \(tenant) AND name LIKE \(contains)
        ORDER BY name LIKE \(begins) DESC, updated_at DESC, id LIMIT \(limit)
        """
    }
}
