import MariaDB
import Core

/// Campaigns for the global search, by name.
package enum CampaignSearch {
    package static let source = SearchSource.byName(type: "campaign") { tenant, contains, begins, limit in
        """
        SELECT id, name AS title, CONCAT(UCASE(LEFT(type, 1)), SUBSTRING(type, 2), ' · ', status) AS subtitle
        FROM campaigns WHERE tenant_id = \(tenant) AND name LIKE \(contains)
        ORDER BY name LIKE \(begins) DESC, updated_at DESC, id LIMIT \(limit)
        """
    }
}
