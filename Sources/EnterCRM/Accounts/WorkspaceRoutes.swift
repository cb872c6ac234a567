import MariaDB
import Web

/// The user's workspaces: list, create, and the current one's settings.
enum WorkspaceRoutes {
    static func register(_ routes: inout Routes) {
        routes.get("/v1/workspaces", .user, list)
        routes.post("/v1/workspaces", .user, create)
        routes.get("/v1/workspace", .server, current)
        routes.put("/v1/workspace", .manager, rename)
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
            SELECT t.id, t.name, t.slug, t.created_at, t.count_browser_revenue,
                   (SELECT COUNT(*) FROM memberships m WHERE m.tenant_id = t.id) AS members_count
            FROM tenants t WHERE t.id = \(c.tenant)
            """) else { throw HTTPError.notFound() }
        var object = row.json(["id", "name", "slug", "created_at", "members_count"]).objectValue!
        object["count_browser_revenue"] = .bool(try row.bool("count_browser_revenue"))
        // A secret key acts for the workspace, not as a member: no role.
        object["role"] = c.principal?.role.map { .string($0.rawValue) } ?? .null
        return .json(.object(object))
    }

    /// Renames the workspace and changes its settings: only the fields given change
    /// (`name`, `count_browser_revenue`; none is a no-op). A setting that changes is
    /// recorded in the audit log, in the same transaction.
    @Sendable static func rename(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let name = input.has("name") ? input.string("name", max: 120) : nil
        let countBrowserRevenue = input.bool("count_browser_revenue")
        try input.check()
        try c.db.transaction {
            guard let before = try c.db.queryOne("SELECT count_browser_revenue FROM tenants WHERE id = \(c.tenant) FOR UPDATE") else {
                throw HTTPError.notFound()
            }
            try c.db.execute("""
                UPDATE tenants SET name = COALESCE(\(name), name),
                    count_browser_revenue = COALESCE(\(countBrowserRevenue), count_browser_revenue), updated_at = UTC_TIMESTAMP(6)
                WHERE id = \(c.tenant)
                """)
            let was = try before.bool("count_browser_revenue")
            if let countBrowserRevenue, countBrowserRevenue != was {
                try AuditLog.record(c, "settings.changed", details: [
                    "setting": "count_browser_revenue", "from": .bool(was), "to": .bool(countBrowserRevenue)])
            }
        }
        if name != nil { CredentialCache.shared.invalidate() }
        return try current(c)
    }
}
