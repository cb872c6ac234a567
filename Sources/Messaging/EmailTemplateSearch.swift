import MariaDB
import Core

/// Email templates for the global search, by name or subject.
package enum EmailTemplateSearch {
    package static let source = SearchSource.byName(type: "email_template") { tenant, contains, begins, limit in
        """
        SELECT id, name AS title, subject AS subtitle
        FROM email_templates WHERE tenant_id = \(tenant) AND (name LIKE \(contains) OR subject LIKE \(contains))
        ORDER BY name LIKE \(begins) DESC, updated_at DESC, id LIMIT \(limit)
        """
    }
}
