import MariaDB
import Web
import Core

/// A workspace's own settings that other features read (stored on `tenants`).
///
/// `link_customers_by_email_domain` (issue 24, off by default): a new customer whose email's
/// domain is a company's `domain` gets that company, free-mail domains never. It is read by
/// the one place customers are created, the `customers_link_company` trigger
/// (schema/030_companies.sql), whichever path creates them; no Swift code reads it.
package enum WorkspaceSettings {
    /// Whether purchases sent with a publishable key (from browsers) count towards
    /// customers' lifetime value. Off by default: the key sits in the website's HTML, so
    /// anyone can forge such an event.
    package static func countsBrowserRevenue(_ db: Connection, _ tenant: Tenant) throws -> Bool {
        try db.queryOne("SELECT count_browser_revenue FROM tenants WHERE id = \(tenant)")?.int("count_browser_revenue") == 1
    }
}
