import MariaDB
import Web
import Core
import Tags
import Customers

/// The demo workspace's tags (on customers, companies and deals) and a few saved views, so
/// that `make up` opens on tagged lists with tabs. Runs after the customers, companies and
/// pipelines are seeded; does nothing where the workspace has tags already.
package enum ListSeed {
    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        guard try db.queryOne("SELECT id FROM tags WHERE tenant_id = \(tenant) LIMIT 1") == nil else { return }
        func ids(_ sql: SQL) throws -> [Int] { try db.query(sql).map { try $0.int("id") } }
        let customerTags: [(String, SQL)] = [
            ("VIP", "SELECT id FROM customers WHERE tenant_id = \(tenant) ORDER BY clv_total DESC, id LIMIT 25"),
            ("Newsletter", "SELECT id FROM customers WHERE tenant_id = \(tenant) AND JSON_VALUE(properties, '$.newsletter') = 1"),
            ("Wholesale", """
                SELECT c.id FROM customers c JOIN companies co ON co.id = c.company_id
                WHERE c.tenant_id = \(tenant) AND co.industry IN ('Retail', 'Logistics')
                """),
            ("Zagreb Expo 2026", "SELECT id FROM customers WHERE tenant_id = \(tenant) AND country = 'HR' AND id % 4 = 0"),
        ]
        let companyTags: [(String, SQL)] = [
            ("Partner", "SELECT id FROM companies WHERE tenant_id = \(tenant) ORDER BY revenue_total DESC, id LIMIT 4"),
            ("Key account", "SELECT id FROM companies WHERE tenant_id = \(tenant) ORDER BY revenue_total DESC, id LIMIT 2"),
            ("Prospect", "SELECT id FROM companies WHERE tenant_id = \(tenant) AND customers_count <= 5"),
        ]
        let entryTags: [(String, SQL)] = [
            ("Hot", """
                SELECT e.id FROM crm_entries e JOIN crm_entities n ON n.id = e.entity_id
                WHERE e.tenant_id = \(tenant) AND n.slug = 'deals' ORDER BY e.id LIMIT 8
                """),
            ("Renewal", """
                SELECT e.id FROM crm_entries e JOIN crm_entities n ON n.id = e.entity_id
                WHERE e.tenant_id = \(tenant) AND n.slug = 'deals' AND e.id % 5 = 0
                """),
            ("Webinar", """
                SELECT e.id FROM crm_entries e JOIN crm_entities n ON n.id = e.entity_id
                WHERE e.tenant_id = \(tenant) AND n.slug = 'leads' AND e.id % 3 = 0
                """),
        ]
        for (kind, list) in [(Tags.Kind.customer, customerTags), (.company, companyTags), (.entry, entryTags)] {
            for (name, sql) in list {
                let records = try ids(sql)
                try db.transaction {
                    try TagWrites.add(db, tenant, kind, ids: records, names: [name], actor: .system)
                }
                log("seed: tag \(name) on \(records.count) \(["customer": "customers", "company": "companies", "entry": "entries"][kind.rawValue]!)")
            }
        }
        try views(db, tenant, log: log)
    }

    /// Shared views of the demo workspace, and one private view of the demo login.
    static func views(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        let demo = try db.queryOne("SELECT id FROM users WHERE email = 'demo@entercrm.io'")?.int("id")
        let deals = try db.queryOne("SELECT id FROM crm_entities WHERE tenant_id = \(tenant) AND slug = 'deals'")?.int("id")
        var views: [(list: String, name: String, filters: JSON, sort: JSON, columns: JSON, shared: Bool)] = [
            ("customers", "VIP customers", ["tag": "VIP"], ["field": "clv_total", "order": "desc"],
             ["name", "email", "clv_total", "rfm_segment", "tags"], true),
            ("customers", "Croatia, newsletter", ["country": "HR", "tag": "Newsletter"], ["field": "last_seen_at", "order": "desc"],
             ["name", "email", "city", "last_seen_at", "tags"], true),
            ("companies", "Partners", ["tag": "Partner"], ["field": "revenue_total", "order": "desc"],
             ["name", "domain", "customers_count", "revenue_total", "tags"], true),
            ("customers", "My customers", ["owner_id": "me"], ["field": "name", "order": "asc"], .null, false),
        ]
        if let deals { views.append(("entries:\(deals)", "Hot deals", ["tag": "Hot"], ["field": "updated_at", "order": "desc"], .null, true)) }
        for v in views {
            try db.execute("""
                INSERT INTO saved_views (tenant_id, user_id, list, name, filters, sort, columns, shared, created_at, updated_at)
                VALUES (\(tenant), \(demo), \(v.list), \(v.name), \(JSONWriter.string(v.filters)), \(JSONWriter.string(v.sort)),
                        \(v.columns.isNull ? nil : JSONWriter.string(v.columns)), \(v.shared), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """)
        }
        log("seed: \(views.count) saved views")
    }
}
