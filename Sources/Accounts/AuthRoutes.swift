import Cryptography
import Foundation
import MariaDB
import Web
import Core

/// Register, login, logout, the current user, switching workspace, sessions, password,
/// verifying the address, forgot password, and accepting an invitation.
package enum AuthRoutes {
    package static func register(_ routes: inout Routes) {
        routes.post("/v1/auth/register", .anyone, register)
        routes.post("/v1/auth/login", .anyone, login)
        routes.post("/v1/auth/logout", .user, logout)
        routes.get("/v1/auth/me", .user, me)
        routes.post("/v1/auth/switch", .user, switchWorkspace)
        routes.get("/v1/auth/sessions", .user, sessions)
        routes.delete("/v1/auth/sessions/{id}", .user, revokeSession)
        routes.post("/v1/auth/password", .user, changePassword)
        routes.post("/v1/auth/accept-invitation", .anyone, acceptInvitation)
        routes.post("/v1/auth/verify-email", .user, verifyEmail)
        routes.post("/v1/auth/verify-email/resend", .user, resendVerification)
        routes.post("/v1/auth/password-reset", .anyone, requestPasswordReset)
        routes.post("/v1/auth/password-reset/confirm", .anyone, confirmPasswordReset)
    }

    static func password(_ input: inout Input, _ key: String = "password") -> String? {
        input.string(key, min: AccountStore.passwordMinimum, max: AccountStore.passwordMaximum, trim: false)
    }

    static func signedIn(_ c: Context, userID: Int, tenantID: Int, token: String) throws -> Response {
        .json([
            "token": .string(token),
            "user": try AccountStore.userRow(c.db, id: userID).json(["id", "name", "email", "created_at"]),
            "tenant": try AccountStore.tenantJSON(c.db, id: tenantID),
        ])
    }

    /// A new account and its workspace. The answer is the same whether or not the address is
    /// taken (the password is hashed, an account and a workspace made, one message sent in both
    /// cases): a free address gets a verification link; a verified holder gets "someone tried
    /// to register with your address" (at the address its account holds, never the one typed),
    /// and the new account can never be verified.
    @Sendable static func register(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let name = input.string("name", max: 120)
        let email = input.email()
        let password = password(&input)
        let workspace = input.string("workspace_name", max: 120)
        try input.check()
        let hash = c.services.hasher.hash(password!)
        let holder = try c.db.queryOne("SELECT id, name, email FROM users WHERE verified_email = \(email!)")
        let (user, tenant, token, verification): (Int, (id: Int, name: String, slug: String), String, String?) = try c.db.transaction {
            let user = try AccountStore.createUser(c.db, name: name!, email: email!, passwordHash: hash, verified: false)
            let tenant = try AccountStore.createTenant(c.db, name: workspace!)
            try AccountStore.addMember(c.db, tenantID: tenant.id, userID: user, role: .owner)
            let verification = holder == nil ? try AccountStore.issueAccountToken(c.db, userID: user, purpose: .verifyEmail) : nil
            try AuditLog.record(c, "auth.registered", tenantID: tenant.id, target: ("user", user), actorUserID: user, actorLabel: email)
            return (user, tenant, try AccountStore.issueToken(c, userID: user, tenantID: tenant.id), verification)
        }
        if let verification {
            sendVerification(to: email!, name: name!, userID: user, token: verification)
        } else if let holder {
            SystemMail.send(.init(to: try holder.string("email"), toName: holder.optionalString("name"),
                                  subject: "Someone tried to register with your address",
                                  paragraphs: ["Someone has just tried to create an EnterCRM account with this email address, which already has an account.",
                                               "If it was you, sign in instead (or use \"Forgot password\"). If it was not, you need do nothing: that account cannot use your address."]),
                            reader: .account(try holder.int("id")), kind: "register-attempt")
        }
        return .json([
            "token": .string(token),
            "user": ["id": .int(user), "name": .string(name!), "email": .string(email!)],
            "tenant": ["id": .int(tenant.id), "name": .string(tenant.name), "slug": .string(tenant.slug)],
        ], status: 201)
    }

    static func sendVerification(to email: String, name: String, userID: Int, token: String) {
        SystemMail.send(.init(to: email, toName: name, subject: "Confirm your email address",
                              paragraphs: ["Welcome to EnterCRM. Confirm that this address is yours: until then, your account can use only the workspace it created, and no other workspace can add it.",
                                           "The link works once, for 24 hours, signed in to the account you created (the console asks you to sign in first). If you did not create an EnterCRM account, ignore this message."],
                              link: ("Confirm my address", SystemMail.link("verify-email", token: token))),
                        reader: .account(userID), kind: "verify")
    }

    /// Failed sign-ins slow the source, not the holder: after this many failures for one
    /// address from one client address, that pair waits `firstDelay` seconds, then twice as
    /// long after each further failure, up to `longestDelay`. A pair quiet for `longestDelay`
    /// starts again from zero.
    static let failuresBeforeDelay = 5
    static let firstDelay = 15
    static let longestDelay = 900
    /// Accounts tried for one address: the verified one first, then the newest unverified.
    static let candidatesPerLogin = 3

    /// Signs in: the throttle, the candidate accounts, the failure's audit rows, then the
    /// workspace and the session. Long (about 85 lines): the throttle's read and its update on
    /// a failure, and the audit of either outcome, must stay in this order around the check.
    @Sendable static func login(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let email = input.email()
        let password = input.string("password", max: AccountStore.passwordMaximum, trim: false)
        let workspace = input.string("workspace", required: false, max: 80)
        try input.check()
        let ip = String(c.request.remoteAddress.prefix(45))

        if let wait = try c.db.queryOne("""
            SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), blocked_until) AS wait_us
            FROM login_throttle WHERE email = \(email!) AND ip = \(ip)
            """)?.optionalInt("wait_us"), wait > 0 {
            let seconds = (wait + 999_999) / 1_000_000
            throw HTTPError.tooManyRequests("Too many failed sign-ins for this address from your network. Try again in \(seconds) seconds.",
                                            retryAfter: seconds)
        }
        let candidates = try c.db.query("""
            SELECT id, password_hash, email_verified_at IS NOT NULL AS verified FROM users WHERE email = \(email!)
            ORDER BY email_verified_at IS NULL, id DESC LIMIT \(candidatesPerLogin)
            """)
        var userID: Int?
        var stored: String?
        for row in candidates {
            let hash = row.optionalString("password_hash")
            // An account with no password yet is checked against a dummy hash, as is an unknown address.
            if c.services.hasher.verify(password!, against: hash ?? c.services.dummyHash), hash != nil {
                userID = try row.int("id")
                stored = hash
                break
            }
        }
        if candidates.isEmpty { _ = c.services.hasher.verify(password!, against: c.services.dummyHash) }
        guard let userID, let stored else {
            try c.db.transaction {
                try c.db.execute("""
                    INSERT INTO login_throttle (email, ip, failures, blocked_until, updated_at)
                    VALUES (\(email!), \(ip), 1, NULL, UTC_TIMESTAMP(6))
                    ON DUPLICATE KEY UPDATE
                        failures = IF(updated_at < UTC_TIMESTAMP(6) - INTERVAL \(longestDelay) SECOND, 1, failures + 1),
                        blocked_until = IF(failures >= \(failuresBeforeDelay),
                            UTC_TIMESTAMP(6) + INTERVAL LEAST(\(firstDelay) * POW(2, failures - \(failuresBeforeDelay)), \(longestDelay)) SECOND,
                            NULL),
                        updated_at = UTC_TIMESTAMP(6)
                    """)
                // One row in each workspace of the VERIFIED account of the address (the account is
                // the target: who tried is unknown, only from where); none: one row of no workspace.
                // An unverified account's workspaces get nothing: whoever registered the address
                // first, without holding it, would read when and from where its holder signs in.
                var recorded = false
                for row in candidates {
                    guard try row.bool("verified") else { continue }
                    let id = try row.int("id")
                    for tenant in try AccountStore.tenantIDs(c.db, userID: id) {
                        try AuditLog.record(c, "auth.login_failed", tenantID: tenant, target: ("user", id), actorLabel: email)
                        recorded = true
                    }
                }
                if !recorded { try AuditLog.record(c, "auth.login_failed", tenantID: nil, actorLabel: email) }
            }
            throw HTTPError.unauthorized("These credentials do not match our records.")
        }
        let rehash = c.services.hasher.needsRehash(stored) ? c.services.hasher.hash(password!) : nil
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
        let token: String = try c.db.transaction {
            try c.db.execute("""
                UPDATE users SET last_login_at = UTC_TIMESTAMP(6), password_hash = COALESCE(\(rehash), password_hash)
                WHERE id = \(userID)
                """)
            try c.db.execute("DELETE FROM login_throttle WHERE email = \(email!) AND ip = \(ip)")
            try AuditLog.record(c, "auth.login", tenantID: tenantID, target: ("user", userID), actorUserID: userID, actorLabel: email)
            return try AccountStore.issueToken(c, userID: userID, tenantID: tenantID)
        }
        return try signedIn(c, userID: userID, tenantID: tenantID, token: token)
    }

    @Sendable static func logout(_ c: Context) throws -> Response {
        try c.db.execute("UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE id = \(c.principal?.sessionID ?? 0)")
        return .json(["message": "Logged out successfully."])
    }

    @Sendable static func me(_ c: Context) throws -> Response {
        let row = try AccountStore.userRow(c.db, id: c.userID)
        var user = row.json(["id", "name", "email", "created_at"]).objectValue!
        user["email_verified"] = .bool(try row.bool("email_verified"))
        return .json([
            "user": .object(user),
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

    /// Changes the password (the current one is asked for), revokes every other session and
    /// kills the reset links sent before.
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
            try AccountStore.revokeAccountTokens(c.db, userID: c.userID, purpose: .passwordReset)
            return try c.db.execute("""
                UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6)
                WHERE user_id = \(c.userID) AND id <> \(c.principal?.sessionID ?? 0) AND revoked_at IS NULL
                """).affectedRows
        }
        return .json(["message": "Password changed.", "revoked_sessions": .int(revoked)])
    }
}
