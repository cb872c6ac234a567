import Cryptography
import MariaDB
import Web
import Core

/// API keys: `eck_` (secret, for servers) or `eck_pub_` (publishable, for the browser
/// tracker), then 43 base62 characters (256 bits) from RAND_bytes. Stored only as SHA-256;
/// shown in full once, at creation, and afterwards masked.
package enum APIKeyRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/api-keys", .manager, list)
        routes.post("/v1/api-keys", .manager, create)
        routes.delete("/v1/api-keys/{id}", .manager, revoke)
    }

    /// Secret keys masked; publishable keys, which are public by design, in full.
    package static func display(_ row: Row) throws -> String {
        if let full = row.optionalString("public_key") { return full }
        return try row.string("prefix") + "…" + row.string("last4")
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        let rows = try c.db.query("""
            SELECT id, name, type, prefix, last4, public_key, last_used_at, created_at FROM api_keys
            WHERE tenant_id = \(c.tenant) AND revoked_at IS NULL ORDER BY created_at DESC, id DESC
            """)
        let data: [JSON] = try rows.map { row in
            [
                "id": row.json("id"), "name": row.json("name"), "type": row.json("type"),
                "key": .string(try display(row)),
                "last_used_at": row.json("last_used_at"), "created_at": row.json("created_at"),
            ]
        }
        return .json(["data": .array(data)])
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let name = input.string("name", max: 100)
        let type = input.oneOf("type", ["secret", "publishable"], default: "secret")
        try input.check()
        let (id, key): (Int, String) = try c.db.transaction {
            let (id, key) = try insert(c.db, c.tenant, name: name!, type: type!, createdBy: c.userID)
            try AuditLog.record(c, "api_key.created", target: ("api_key", id),
                                details: ["name": .string(name!), "type": .string(type!), "last4": .string(String(key.suffix(4)))])
            return (id, key)
        }
        let row = try c.db.queryOne("SELECT created_at FROM api_keys WHERE id = \(id)")
        return .json([
            "id": .int(id), "name": .string(name!), "type": .string(type!), "key": .string(key),
            "created_at": row?.json("created_at") ?? .null,
            "note": "This is the only time the full key will be shown.",
        ], status: 201)
    }

    /// Makes a key of `type` ("secret" or "publishable"): stored as its hash (a publishable
    /// key, public by design, in full too); returns its id and the key, which is never shown again.
    package static func insert(_ db: Connection, _ tenant: Tenant, name: String, type: String, createdBy: Int?) throws -> (Int, String) {
        let prefix = type == "publishable" ? "eck_pub_" : "eck_"
        let key = prefix + Random.base62(length: 43)
        let id = try db.execute("""
            INSERT INTO api_keys (tenant_id, name, type, prefix, last4, key_hash, public_key, created_by, created_at)
            VALUES (\(tenant), \(name), \(type), \(prefix), \(String(key.suffix(4))), \(Digest.sha256(key).hexString),
                    \(type == "publishable" ? key : nil), \(createdBy), UTC_TIMESTAMP(6))
            """).lastInsertID
        return (id, key)
    }

    @Sendable static func revoke(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            guard let key = try c.db.queryOne("""
                SELECT name, type FROM api_keys WHERE tenant_id = \(c.tenant) AND id = \(id) AND revoked_at IS NULL FOR UPDATE
                """) else { throw HTTPError.notFound("API key not found.") }
            try c.db.execute("UPDATE api_keys SET revoked_at = UTC_TIMESTAMP(6) WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try AuditLog.record(c, "api_key.revoked", target: ("api_key", id), details: ["name": key.json("name"), "type": key.json("type")])
        }
        CredentialCache.shared.invalidate()
        return .json(["message": "API key revoked."])
    }
}
