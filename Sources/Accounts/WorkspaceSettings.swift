import MariaDB
import Web
import Core

/// A workspace's own settings that other features read (stored on `tenants`).
package enum WorkspaceSettings {
    /// Whether purchases sent with a publishable key (from browsers) count towards
    /// customers' lifetime value. Off by default: the key sits in the website's HTML, so
    /// anyone can forge such an event.
    package static func countsBrowserRevenue(_ db: Connection, _ tenant: Tenant) throws -> Bool {
        try db.queryOne("SELECT count_browser_revenue FROM tenants WHERE id = \(tenant)")?.int("count_browser_revenue") == 1
    }
}
