import Cryptography
import Foundation
import MariaDB
import Web

/// The SQL of workspaces, users, memberships and sessions.
enum AccountStore {
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

    static func createUser(_ db: Connection, name: String, email: String, passwordHash: String?) throws -> Int {
        try db.execute("""
            INSERT INTO users (name, email, password_hash, created_at, updated_at)
            VALUES (\(name), \(email), \(passwordHash), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
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
        guard let row = try db.queryOne("SELECT id, name, email, created_at FROM users WHERE id = \(id)") else {
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
