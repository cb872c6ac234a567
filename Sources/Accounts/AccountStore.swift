import Cryptography
import Foundation
import MariaDB
import Web
import Core

/// The SQL of workspaces, users, memberships and sessions.
package enum AccountStore {
    /// A URL-safe slug from a workspace name: "Kovač & Sons" → "kovac-sons".
    static func slugify(_ name: String) -> String {
        let folded = name.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US"))
        var slug = ""
        var lastDash = true
        for scalar in folded.lowercased().unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                slug.unicodeScalars.append(scalar)
                lastDash = false
            } else if !lastDash {
                slug += "-"
                lastDash = true
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        slug = String(slug.prefix(60))
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "workspace" : slug
    }

    /// Creates a workspace with a unique slug: the name's, else with -2, -3 … appended.
    static func createTenant(_ db: Connection, name: String) throws -> (id: Int, name: String, slug: String) {
        let base = slugify(name)
        var attempt = 1
        while true {
            let slug = attempt == 1 ? base : "\(base)-\(attempt)"
            do {
                let id = try db.execute("""
                    INSERT INTO tenants (name, slug, created_at, updated_at)
                    VALUES (\(name), \(slug), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                    """).lastInsertID
                return (id, name, slug)
            } catch let error as MariaDBError where error.isDuplicateKey && attempt < 50 {
                attempt += attempt < 10 ? 1 : Int.random(in: 10...1000)
            }
        }
    }

    static func addMember(_ db: Connection, tenantID: Int, userID: Int, role: Role) throws {
        try db.execute("""
            INSERT INTO memberships (tenant_id, user_id, role, created_at)
            VALUES (\(tenantID), \(userID), \(role.rawValue), UTC_TIMESTAMP(6))
            """)
    }

    /// A new account. `verified`: its address is proven (an accepted invitation, the seed);
    /// a verified address held by another account is then a duplicate key.
    package static func createUser(_ db: Connection, name: String, email: String, passwordHash: String?, verified: Bool) throws -> Int {
        try db.execute("""
            INSERT INTO users (name, email, email_verified_at, password_hash, created_at, updated_at)
            VALUES (\(name), \(email), IF(\(verified), UTC_TIMESTAMP(6), NULL), \(passwordHash), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
    }

    /// What an emailed link is for, and how long it lives.
    enum TokenPurpose: String {
        case verifyEmail = "verify_email"
        case passwordReset = "password_reset"

        var lifetime: Int { self == .verifyEmail ? 24 * 3600 : 3600 }
        var prefix: String { self == .verifyEmail ? "ecv_" : "ecr_" }
    }

    /// A new single-use token for the account; the older unused ones of that purpose die.
    /// Stored only as its SHA-256.
    static func issueAccountToken(_ db: Connection, userID: Int, purpose: TokenPurpose) throws -> String {
        let token = purpose.prefix + Random.base62(length: 40)
        try revokeAccountTokens(db, userID: userID, purpose: purpose)
        try db.execute("""
            INSERT INTO account_tokens (user_id, purpose, token_hash, expires_at, created_at)
            VALUES (\(userID), \(purpose.rawValue), \(Digest.sha256(token).hexString),
                    UTC_TIMESTAMP(6) + INTERVAL \(purpose.lifetime) SECOND, UTC_TIMESTAMP(6))
            """)
        return token
    }

    /// Kills the account's unused tokens of that purpose (a new one is issued, or the password
    /// changed: a reset link sent before must not set another password after).
    static func revokeAccountTokens(_ db: Connection, userID: Int, purpose: TokenPurpose) throws {
        try db.execute("""
            UPDATE account_tokens SET used_at = UTC_TIMESTAMP(6)
            WHERE user_id = \(userID) AND purpose = \(purpose.rawValue) AND used_at IS NULL
            """)
    }

    /// Uses a token up (inside the caller's transaction) and returns its account, or nil when
    /// it is unknown, used, expired or of another purpose. `account`: the token must be that
    /// account's, else it stays unused and the answer is 422 (token).
    static func consumeAccountToken(_ db: Connection, _ token: String, purpose: TokenPurpose, account: Int? = nil) throws -> Int? {
        guard token.hasPrefix(purpose.prefix), token.count <= 100 else { return nil }
        guard let row = try db.queryOne("""
            SELECT id, user_id FROM account_tokens
            WHERE token_hash = \(Digest.sha256(token).hexString) AND purpose = \(purpose.rawValue)
              AND used_at IS NULL AND expires_at > UTC_TIMESTAMP(6)
            FOR UPDATE
            """) else { return nil }
        if let account, try row.int("user_id") != account {
            throw HTTPError.invalid("token", "This link is for another account. Sign in with the account you created with this address, then open the link again.")
        }
        try db.execute("UPDATE account_tokens SET used_at = UTC_TIMESTAMP(6) WHERE id = \(try row.int("id"))")
        return try row.int("user_id")
    }

    /// True when a token of that purpose was sent to the account within the last minute
    /// (resending is then skipped, so nobody can make the server mail an address in a loop).
    static func recentlySent(_ db: Connection, userID: Int, purpose: TokenPurpose) throws -> Bool {
        try db.queryOne("""
            SELECT id FROM account_tokens
            WHERE user_id = \(userID) AND purpose = \(purpose.rawValue) AND created_at > UTC_TIMESTAMP(6) - INTERVAL 60 SECOND
            LIMIT 1
            """) != nil
    }

    /// Whether `userID` is a member of the workspace (an assignee, an owner of a record).
    package static func isMember(_ db: Connection, _ tenant: Tenant, userID: Int) throws -> Bool {
        try db.queryOne("SELECT user_id FROM memberships WHERE tenant_id = \(tenant) AND user_id = \(userID)") != nil
    }

    /// The ids of the workspaces an account belongs to (the audit log writes one row in each).
    static func tenantIDs(_ db: Connection, userID: Int) throws -> [Int] {
        try db.query("SELECT tenant_id FROM memberships WHERE user_id = \(userID) ORDER BY tenant_id").map { try $0.int("tenant_id") }
    }

    /// The account whose address is verified, if any.
    static func verifiedAccount(_ db: Connection, email: String) throws -> Int? {
        try db.queryOne("SELECT id FROM users WHERE verified_email = \(email)")?.int("id")
    }

    /// Records a session and returns its signed token.
    static func issueToken(_ c: Context, userID: Int, tenantID: Int) throws -> String {
        guard let jwt = c.services.jwt else { throw HTTPError.unavailable("Token signing is not configured (ENTERCRM_JWT_SECRET).") }
        let jti = Random.hex(bytes: 16)
        let now = Int(Date().timeIntervalSince1970)
        let expires = now + c.configuration.tokenLifetime
        let agent = c.request.header("user-agent").map { String($0.prefix(255)) }
        try c.db.execute("""
            INSERT INTO sessions (jti, tenant_id, user_id, user_agent, ip, created_at, last_used_at, expires_at)
            VALUES (\(jti), \(tenantID), \(userID), \(agent), \(c.request.remoteAddress),
                    UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), \(Date(timeIntervalSince1970: Double(expires))))
            """)
        return jwt.sign(JWT.Claims(sub: userID, tid: tenantID, jti: jti, iat: now, exp: expires))
    }

    static func tenantJSON(_ db: Connection, id: Int) throws -> JSON {
        guard let row = try db.queryOne("SELECT id, name, slug FROM tenants WHERE id = \(id)") else { throw HTTPError.notFound() }
        return row.json(["id", "name", "slug"])
    }

    static func userRow(_ db: Connection, id: Int) throws -> Row {
        guard let row = try db.queryOne("""
            SELECT id, name, email, created_at, email_verified_at IS NOT NULL AS email_verified FROM users WHERE id = \(id)
            """) else {
            throw HTTPError.notFound()
        }
        return row
    }

    /// The workspaces a user belongs to, oldest membership first.
    static func workspaces(_ db: Connection, userID: Int) throws -> [JSON] {
        try db.query("""
            SELECT t.id, t.name, t.slug, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id
            WHERE m.user_id = \(userID) ORDER BY m.created_at, t.id
            """).map { $0.json(["id", "name", "slug", "role"]) }
    }

    /// Finds a workspace of the user's by slug or id.
    static func membership(_ db: Connection, userID: Int, workspace: String) throws -> Int? {
        let id = Int(workspace) ?? 0
        return try db.queryOne("""
            SELECT t.id FROM memberships m JOIN tenants t ON t.id = m.tenant_id
            WHERE m.user_id = \(userID) AND (t.slug = \(workspace) OR t.id = \(id))
            """)?.int("id")
    }

    static let passwordMinimum = 8
    static let passwordMaximum = 200
}
