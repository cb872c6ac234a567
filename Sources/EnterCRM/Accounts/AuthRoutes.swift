import Cryptography
import Foundation
import MariaDB
import Web

/// Register, login, logout, the current user, switching workspace, sessions, password,
/// and accepting an invitation.
enum AuthRoutes {
    static func register(_ routes: inout Routes) {
        routes.post("/v1/auth/register", .anyone, register)
        routes.post("/v1/auth/login", .anyone, login)
        routes.post("/v1/auth/logout", .user, logout)
        routes.get("/v1/auth/me", .user, me)
        routes.post("/v1/auth/switch", .user, switchWorkspace)
        routes.get("/v1/auth/sessions", .user, sessions)
        routes.delete("/v1/auth/sessions/{id}", .user, revokeSession)
        routes.post("/v1/auth/password", .user, changePassword)
        routes.post("/v1/auth/accept-invitation", .anyone, acceptInvitation)
    }

    /// Failed logins that lock an account for a while: after the fifth, 1 s, then 2, 4, 8 … up to 15 min.
    static let failuresBeforeBackoff = 5

    static func password(_ input: inout Input, _ key: String = "password") -> String? {
        input.string(key, min: AccountStore.passwordMinimum, max: AccountStore.passwordMaximum, trim: false)
    }

    @Sendable static func register(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let name = input.string("name", max: 120)
        let email = input.email()
        let password = password(&input)
        let workspace = input.string("workspace_name", max: 120)
        try input.check()
        if try c.db.queryOne("SELECT id FROM users WHERE email = \(email!)") != nil {
            throw HTTPError.invalid("email", "The email has already been taken.")
        }
        let hash = c.services.hasher.hash(password!)
        let (user, tenant, token): (Int, (id: Int, name: String, slug: String), String) = try c.db.transaction {
            let user = try AccountStore.createUser(c.db, name: name!, email: email!, passwordHash: hash)
            let tenant = try AccountStore.createTenant(c.db, name: workspace!)
            try AccountStore.addMember(c.db, tenantID: tenant.id, userID: user, role: .owner)
            return (user, tenant, try AccountStore.issueToken(c, userID: user, tenantID: tenant.id))
        }
        return .json([
            "token": .string(token),
            "user": ["id": .int(user), "name": .string(name!), "email": .string(email!)],
            "tenant": ["id": .int(tenant.id), "name": .string(tenant.name), "slug": .string(tenant.slug)],
        ], status: 201)
    }

    @Sendable static func login(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let email = input.email()
        let password = input.string("password", max: AccountStore.passwordMaximum, trim: false)
        let workspace = input.string("workspace", required: false, max: 80)
        try input.check()

        let row = try c.db.queryOne("""
            SELECT id, password_hash, TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), login_locked_until) AS locked_us
            FROM users WHERE email = \(email!)
            """)
        if let lockedFor = row?.optionalInt("locked_us"), lockedFor > 0 {
            let seconds = (lockedFor + 999_999) / 1_000_000
            throw HTTPError.tooManyRequests("Too many failed login attempts. Try again in \(seconds) seconds.", retryAfter: seconds)
        }
        let stored = row?.optionalString("password_hash")
        // An unknown email is checked against a dummy hash, so it takes as long as a known one.
        let matches = c.services.hasher.verify(password!, against: stored ?? c.services.dummyHash)
        guard let row, stored != nil, matches else {
            if let id = try row?.int("id") {
                try c.db.execute("""
                    UPDATE users SET failed_logins = failed_logins + 1,
                        login_locked_until = IF(failed_logins >= \(failuresBeforeBackoff),
                            UTC_TIMESTAMP(6) + INTERVAL LEAST(POW(2, failed_logins - \(failuresBeforeBackoff)), 900) SECOND, NULL)
                    WHERE id = \(id)
                    """)
            }
            throw HTTPError.unauthorized("These credentials do not match our records.")
        }
        let userID = try row.int("id")
        let rehash = c.services.hasher.needsRehash(stored!) ? c.services.hasher.hash(password!) : nil
        try c.db.execute("""
            UPDATE users SET failed_logins = 0, login_locked_until = NULL, last_login_at = UTC_TIMESTAMP(6),
                password_hash = COALESCE(\(rehash), password_hash)
            WHERE id = \(userID)
            """)
        let tenantID: Int
        if let workspace {
            guard let id = try AccountStore.membership(c.db, userID: userID, workspace: workspace) else {
                throw HTTPError.invalid("workspace", "You are not a member of that workspace.")
            }
            tenantID = id
        } else {
            guard let first = try AccountStore.workspaces(c.db, userID: userID).first?["id"]?.intValue else {
                throw HTTPError.forbidden("This account does not belong to any workspace.")
            }
            tenantID = first
        }
        let token = try AccountStore.issueToken(c, userID: userID, tenantID: tenantID)
        return .json([
            "token": .string(token),
            "user": try AccountStore.userRow(c.db, id: userID).json(["id", "name", "email", "created_at"]),
            "tenant": try AccountStore.tenantJSON(c.db, id: tenantID),
        ])
    }

    @Sendable static func logout(_ c: Context) throws -> Response {
        try c.db.execute("UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE id = \(c.principal?.sessionID ?? 0)")
        return .json(["message": "Logged out successfully."])
    }

    @Sendable static func me(_ c: Context) throws -> Response {
        .json([
            "user": try AccountStore.userRow(c.db, id: c.userID).json(["id", "name", "email", "created_at"]),
            "tenant": try AccountStore.tenantJSON(c.db, id: c.tenant.id),
            "role": .string(c.principal?.role?.rawValue ?? "member"),
            "workspaces": .array(try AccountStore.workspaces(c.db, userID: c.userID)),
        ])
    }

    /// Moves the session to another of the user's workspaces: a new token, the old one revoked.
    @Sendable static func switchWorkspace(_ c: Context) throws -> Response {
        let body = try c.request.jsonObject()
        let workspace: String
        switch body["workspace"] {
        case .string(let s)?: workspace = s
        case .int(let i)?: workspace = String(i)
        // A number that is no Int64 (a fraction, or out of range) is no workspace's id.
        case .double?, .number?: throw HTTPError.notFound("Workspace not found.")
        case nil, .null?: throw HTTPError.invalid("workspace", "The workspace field is required.")
        default: throw HTTPError.invalid("workspace", "The workspace must be a slug or an id.")
        }
        guard let tenantID = try AccountStore.membership(c.db, userID: c.userID, workspace: workspace) else {
            throw HTTPError.notFound("Workspace not found.")
        }
        let token: String = try c.db.transaction {
            try c.db.execute("UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE id = \(c.principal?.sessionID ?? 0)")
            return try AccountStore.issueToken(c, userID: c.userID, tenantID: tenantID)
        }
        return .json([
            "token": .string(token),
            "user": try AccountStore.userRow(c.db, id: c.userID).json(["id", "name", "email", "created_at"]),
            "tenant": try AccountStore.tenantJSON(c.db, id: tenantID),
        ])
    }

    @Sendable static func sessions(_ c: Context) throws -> Response {
        let current = c.principal?.sessionID ?? 0
        let rows = try c.db.query("""
            SELECT s.id, s.user_agent, s.ip, s.created_at, s.last_used_at, s.expires_at,
                   t.id AS tenant_id, t.name AS tenant_name, t.slug AS tenant_slug
            FROM sessions s JOIN tenants t ON t.id = s.tenant_id
            WHERE s.user_id = \(c.userID) AND s.revoked_at IS NULL AND s.expires_at > UTC_TIMESTAMP(6)
            ORDER BY s.last_used_at DESC, s.id DESC LIMIT 200
            """)
        let data: [JSON] = try rows.map { row in
            var object = row.json(["id", "user_agent", "ip", "created_at", "last_used_at", "expires_at"]).objectValue!
            object["current"] = .bool(try row.int("id") == current)
            object["tenant"] = ["id": row.json("tenant_id"), "name": row.json("tenant_name"), "slug": row.json("tenant_slug")]
            return .object(object)
        }
        return .json(["data": .array(data)])
    }

    @Sendable static func revokeSession(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let revoked = try c.db.execute("""
            UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6)
            WHERE id = \(id) AND user_id = \(c.userID) AND revoked_at IS NULL
            """).affectedRows
        guard revoked == 1 else { throw HTTPError.notFound("Session not found.") }
        return .json(["message": "Session revoked."])
    }

    /// Changes the password (the current one is asked for) and revokes every other session.
    @Sendable static func changePassword(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let current = input.string("current_password", max: AccountStore.passwordMaximum, trim: false)
        let new = password(&input)
        try input.check()
        let stored = try c.db.queryOne("SELECT password_hash FROM users WHERE id = \(c.userID)")?.optionalString("password_hash")
        guard let stored, c.services.hasher.verify(current!, against: stored) else {
            throw HTTPError.invalid("current_password", "The current password is incorrect.")
        }
        let hash = c.services.hasher.hash(new!)
        let revoked: Int = try c.db.transaction {
            try c.db.execute("UPDATE users SET password_hash = \(hash), updated_at = UTC_TIMESTAMP(6) WHERE id = \(c.userID)")
            return try c.db.execute("""
                UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6)
                WHERE user_id = \(c.userID) AND id <> \(c.principal?.sessionID ?? 0) AND revoked_at IS NULL
                """).affectedRows
        }
        return .json(["message": "Password changed.", "revoked_sessions": .int(revoked)])
    }

    /// An invited person sets a password and is signed in to the workspace that invited them.
    @Sendable static func acceptInvitation(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let token = input.string("token", max: 200)
        let new = password(&input)
        let name = input.string("name", required: false, max: 120)
        try input.check()
        let hash = Digest.sha256(token!).hexString
        guard let invitation = try c.db.queryOne("""
            SELECT id, tenant_id, user_id FROM invitations
            WHERE token_hash = \(hash) AND accepted_at IS NULL AND expires_at > UTC_TIMESTAMP(6)
            """)
        else { throw HTTPError.invalid("token", "The invitation is invalid or has expired.") }
        let userID = try invitation.int("user_id"), tenantID = try invitation.int("tenant_id")
        let passwordHash = c.services.hasher.hash(new!)
        let sessionToken: String = try c.db.transaction {
            let claimed = try c.db.execute("""
                UPDATE invitations SET accepted_at = UTC_TIMESTAMP(6) WHERE id = \(try invitation.int("id")) AND accepted_at IS NULL
                """).affectedRows
            guard claimed == 1 else { throw HTTPError.invalid("token", "The invitation is invalid or has expired.") }
            try c.db.execute("""
                UPDATE users SET password_hash = \(passwordHash), name = COALESCE(\(name), name), updated_at = UTC_TIMESTAMP(6)
                WHERE id = \(userID)
                """)
            return try AccountStore.issueToken(c, userID: userID, tenantID: tenantID)
        }
        return .json([
            "token": .string(sessionToken),
            "user": try AccountStore.userRow(c.db, id: userID).json(["id", "name", "email", "created_at"]),
            "tenant": try AccountStore.tenantJSON(c.db, id: tenantID),
        ])
    }
}
