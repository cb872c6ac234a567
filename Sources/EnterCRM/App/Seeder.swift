import Cryptography
import MariaDB
import Web
import Core
import Webhooks
import Accounts
import Activities
import Messaging
import Pipelines
import Segments
import Tracking
import Customers
import Automations
import Campaigns
import Imports
import Lists

/// Fills a database with the demo workspace, so that `make up` opens on a living product.
/// Idempotent: what exists already is left as it is.
public enum Seeder {
    public static let demoEmail = "demo@entercrm.io"
    public static let demoPassword = "password"

    public static func run(_ db: Connection, configuration: Configuration, log: (String) -> Void) throws {
        let hasher = Services(configuration: configuration).hasher
        let tenant = try seedAccounts(db, hasher: hasher, log: log)
        try CustomerSeed.run(db, tenant, log: log)
        try CompanySeed.run(db, tenant, log: log)
        try SegmentIntakeSeed.run(db, tenant, configuration: configuration, log: log)
        try PipelineSeed.run(db, tenant, log: log)
        try ListSeed.run(db, tenant, log: log)
        try SegmentSeed.run(db, tenant, log: log)
        try EmailTemplateSeed.run(db, tenant, log: log)
        try AutomationSeed.run(db, tenant, log: log)
        try CampaignSeed.run(db, tenant, log: log)
        try ActivitySeed.run(db, tenant, log: log)
        try EntryLinkSeed.run(db, tenant, log: log)
        try CompanyOpenValue.refreshAll(db, tenant)
        try ImportSeed.run(db, tenant, directory: configuration.importDirectory, log: log)
        try WebhookSeed.run(db, tenant, log: log)
    }

    /// The demo login, "Demo Workspace" (slug `demo`), two colleagues and a sales team: accounts
    /// made here directly, verified (no invitation: the seed stands for their acceptance).
    static func seedAccounts(_ db: Connection, hasher: PasswordHasher, log: (String) -> Void) throws -> Tenant {
        let tenantID: Int
        if let existing = try db.queryOne("SELECT id FROM tenants WHERE slug = 'demo'")?.int("id") {
            tenantID = existing
        } else {
            tenantID = try db.execute("""
                INSERT INTO tenants (name, slug, created_at, updated_at)
                VALUES ('Demo Workspace', 'demo', UTC_TIMESTAMP(6) - INTERVAL 300 DAY, UTC_TIMESTAMP(6))
                """).lastInsertID
            log("seed: workspace Demo Workspace (demo)")
        }
        let people: [(name: String, email: String, role: Role)] = [
            ("Demo User", demoEmail, .owner),
            ("Ivana Marić", "ivana.maric@entercrm.io", .admin),
            ("Luka Novak", "luka.novak@entercrm.io", .member),
        ]
        var ids: [Int] = []
        for person in people {
            var id = try db.queryOne("SELECT id FROM users WHERE email = \(person.email)")?.int("id")
            if id == nil {
                id = try AccountStore.createUser(db, name: person.name, email: person.email, passwordHash: hasher.hash(demoPassword), verified: true)
                log("seed: user \(person.email)")
            }
            ids.append(id!)
            try db.execute("""
                INSERT IGNORE INTO memberships (tenant_id, user_id, role, created_at)
                VALUES (\(tenantID), \(id!), \(person.role.rawValue), UTC_TIMESTAMP(6) - INTERVAL 300 DAY)
                """)
        }
        if try db.queryOne("SELECT id FROM teams WHERE tenant_id = \(tenantID) AND name = 'Sales'") == nil {
            let team = try db.execute("""
                INSERT INTO teams (tenant_id, name, description, created_at, updated_at)
                VALUES (\(tenantID), 'Sales', 'Inbound leads and deals', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            for id in ids.dropFirst() {
                try db.execute("""
                    INSERT IGNORE INTO team_members (team_id, user_id, tenant_id, created_at)
                    VALUES (\(team), \(id), \(tenantID), UTC_TIMESTAMP(6))
                    """)
            }
            log("seed: team Sales")
        }
        return Tenant(id: tenantID)
    }
}
