import MariaDB
import Web
import Core

/// The user's workspaces: list, create, and the current one's settings.
package enum WorkspaceRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/workspaces", .user, list)
        routes.post("/v1/workspaces", .user, create)
        routes.get("/v1/workspace", .server, current)
        routes.put("/v1/workspace", .manager, rename)
        routes.delete("/v1/workspace", .manager, delete)
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        .json(["data": .array(try AccountStore.workspaces(c.db, userID: c.userID))])
    }

    /// A new workspace, with the caller as its owner. Until its address is verified, an
    /// account uses only the workspace it registered with.
    @Sendable static func create(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let name = input.string("name", max: 120)
        try input.check()
        if try c.db.queryOne("SELECT id FROM users WHERE id = \(c.userID) AND email_verified_at IS NOT NULL") == nil {
            throw HTTPError.forbidden("Verify your email address before creating another workspace.")
        }
        let tenant = try c.db.transaction {
            let tenant = try AccountStore.createTenant(c.db, name: name!)
            try AccountStore.addMember(c.db, tenantID: tenant.id, userID: c.userID, role: .owner)
            return tenant
        }
        return .json(["id": .int(tenant.id), "name": .string(tenant.name), "slug": .string(tenant.slug), "role": "owner"], status: 201)
    }

    @Sendable static func current(_ c: Context) throws -> Response {
        guard let row = try c.db.queryOne("""
            SELECT t.id, t.name, t.slug, t.created_at, t.count_browser_revenue, t.audit_retention_days, t.link_customers_by_email_domain,
                   (SELECT COUNT(*) FROM memberships m WHERE m.tenant_id = t.id) AS members_count
            FROM tenants t WHERE t.id = \(c.tenant)
            """) else { throw HTTPError.notFound() }
        var object = row.json(["id", "name", "slug", "created_at", "members_count", "audit_retention_days"]).objectValue!
        object["count_browser_revenue"] = .bool(try row.bool("count_browser_revenue"))
        object["link_customers_by_email_domain"] = .bool(try row.bool("link_customers_by_email_domain"))
        // A secret key acts for the workspace, not as a member: no role.
        object["role"] = c.principal?.role.map { .string($0.rawValue) } ?? .null
        return .json(.object(object))
    }

    /// Renames the workspace and changes its settings: only the fields given change (`name`,
    /// `count_browser_revenue`, `link_customers_by_email_domain` (new customers get the company
    /// of their email's domain: `WorkspaceSettings`), `audit_retention_days` from 30 to 3650, 365 by default, changed
    /// by owners only; none is a no-op; null is no value for any of them). What changes is
    /// recorded in the audit log, in the same transaction.
    @Sendable static func rename(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        input.refuseNull("count_browser_revenue", "link_customers_by_email_domain", "audit_retention_days")
        let name = input.has("name") ? input.string("name", max: 120) : nil
        let countBrowserRevenue = input.bool("count_browser_revenue")
        let linkByDomain = input.bool("link_customers_by_email_domain")
        let retention = input.int("audit_retention_days", required: false, min: AuditRetention.minimumDays, max: AuditRetention.maximumDays)
        try input.check()
        try c.db.transaction {
            guard let before = try c.db.queryOne("""
                SELECT name, count_browser_revenue, link_customers_by_email_domain, audit_retention_days FROM tenants
                WHERE id = \(c.tenant) FOR UPDATE
                """) else { throw HTTPError.notFound() }
            // Sending the value it has changes nothing, and asks nothing.
            if let retention, retention != (try before.int("audit_retention_days")) { try Permissions.require(c, .changeAuditRetention) }
            try c.db.execute("""
                UPDATE tenants SET name = COALESCE(\(name), name),
                    count_browser_revenue = COALESCE(\(countBrowserRevenue), count_browser_revenue),
                    link_customers_by_email_domain = COALESCE(\(linkByDomain), link_customers_by_email_domain),
                    audit_retention_days = COALESCE(\(retention), audit_retention_days), updated_at = UTC_TIMESTAMP(6)
                WHERE id = \(c.tenant)
                """)
            var changes = JSONObject()
            if let name, name != (try before.string("name")) { changes["name"] = ["from": before.json("name"), "to": .string(name)] }
            let was = try before.bool("count_browser_revenue")
            if let countBrowserRevenue, countBrowserRevenue != was {
                changes["count_browser_revenue"] = ["from": .bool(was), "to": .bool(countBrowserRevenue)]
            }
            let linked = try before.bool("link_customers_by_email_domain")
            if let linkByDomain, linkByDomain != linked {
                changes["link_customers_by_email_domain"] = ["from": .bool(linked), "to": .bool(linkByDomain)]
            }
            if let retention, retention != (try before.int("audit_retention_days")) {
                changes["audit_retention_days"] = ["from": before.json("audit_retention_days"), "to": .int(Int64(retention))]
            }
            if !changes.isEmpty {
                try AuditLog.record(c, "settings.changed", target: ("workspace", c.tenant.id), details: ["workspace": .object(changes)])
            }
        }
        if name != nil { CredentialCache.shared.invalidate() }
        return try current(c)
    }

    /// Deletes the workspace and everything in it (owners only, by `Permissions`). The body
    /// must repeat the workspace's slug as `confirm`. The audit entry of the deletion is kept.
    @Sendable static func delete(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let confirm = input.string("confirm", max: 120)
        try input.check()
        guard let principal = c.principal, confirm == principal.tenantSlug else {
            throw HTTPError.invalid("confirm", "Type the workspace's slug (\(c.principal?.tenantSlug ?? "")) to confirm.")
        }
        try c.db.transaction {
            try c.db.execute("DELETE FROM audit_log WHERE tenant_id = \(c.tenant)")
            try AuditLog.record(c, "workspace.deleted", target: ("workspace", c.tenant.id),
                                actorLabel: try AccountStore.userRow(c.db, id: c.userID).string("email"),
                                details: ["name": .string(principal.tenantName), "slug": .string(principal.tenantSlug)])
            // Tables without a foreign key to tenants, then the tenant (the rest cascades).
            try c.db.execute("DELETE FROM jobs WHERE tenant_id = \(c.tenant) AND status IN ('queued', 'failed', 'succeeded')")
            try c.db.execute("DELETE FROM customer_counts WHERE tenant_id = \(c.tenant)")
            try c.db.execute("DELETE FROM dashboard_days WHERE tenant_id = \(c.tenant)")
            try c.db.execute("DELETE FROM customer_active_days WHERE tenant_id = \(c.tenant)")
            try c.db.execute("DELETE FROM dashboard_active WHERE tenant_id = \(c.tenant)")
            try c.db.execute("DELETE FROM segment_dirty WHERE tenant_id = \(c.tenant)")
            try c.db.execute("DELETE FROM automation_messages WHERE tenant_id = \(c.tenant)")
            try c.db.execute("DELETE FROM tenants WHERE id = \(c.tenant)")
        }
        CredentialCache.shared.invalidate()
        return .json(["message": "Workspace deleted."])
    }
}
