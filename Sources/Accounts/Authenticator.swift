import Cryptography
import Foundation
import MariaDB
import Web
import Core

/// Turns the credentials of a request into a `Principal`, or refuses it.
///
/// A bearer token must verify (HS256 only, constant-time, unexpired) and its `jti` must be
/// a session that is not revoked, whose user is still a member of the workspace: one
/// indexed query, so a logout or a removed member is refused at once by every worker.
/// An API key (`X-API-Key` or `EF-Access-Key`) is looked up by its SHA-256, and what it
/// resolved to kept briefly (`CredentialCache`: a revocation is effective at once on this
/// host's pool, within `CredentialCache.lifetime` seconds on other hosts).
package enum Authenticator {
    package static func authenticate(_ c: Context, access: Access) throws -> Principal? {
        // Which credential the request carries (RequestCredential, the rule nginx's rate
        // limit mirrors): more than one is a 400 on every route, public ones included.
        let request = c.request
        let credential = try RequestCredential.of(request)
        if case .anyone = access { return nil }
        let principal: Principal
        switch credential {
        case .bearer(let token):
            principal = try session(token: token, c)
        case .malformedAuthorization:
            throw HTTPError.unauthorized("The Authorization header must be a Bearer token (or, on the tracking endpoints, HTTP Basic with an API key as the user name).")
        case .headerKey(let key):
            principal = try apiKey(key, c)
        case .urlKey(let key):
            principal = try urlKey(key, access: access, c)
        case .basicKey(let key):
            // What the Segment libraries send (Sources/Tracking/SegmentIntakeRoutes.swift): a write key
            // as the Basic user name, accepted where a key may write events, nowhere else.
            guard case .tracking = access else {
                throw HTTPError.unauthorized("HTTP Basic (an API key as the user name) is accepted only on the tracking endpoints. Send the key in the X-API-Key header.")
            }
            principal = try apiKey(key, c)
        case nil:
            throw HTTPError.unauthorized()
        }
        switch access {
        case .anyone, .tracking:
            break
        case .user, .manager:
            // The role is checked by Permissions, for every route alike.
            guard principal.userID != nil else { throw HTTPError.forbidden("This endpoint needs a user session, not an API key.") }
        case .server:
            if principal.isPublishableKey { throw HTTPError.forbidden("A publishable key may only be used on /v1/track endpoints.") }
        case .crm:
            if principal.isPublishableKey { throw HTTPError.forbidden("A publishable key may only be used on /v1/track endpoints.") }
            let brand = request.parameter("brand")
            // Another workspace answers 404, as if it did not exist.
            guard brand == principal.tenantSlug || Int(brand) == principal.tenant.id else {
                throw HTTPError.notFound("Brand not found.")
            }
        }
        return principal
    }

    /// A key in the URL (`?key=`): only a publishable key, only on /v1/track (sendBeacon
    /// cannot set headers). A secret key there is refused before it is looked up, and the
    /// answer says it has been exposed.
    static func urlKey(_ key: String, access: Access, _ c: Context) throws -> Principal {
        guard case .tracking = access else {
            throw HTTPError.unauthorized("An API key in the URL (?key=) is accepted only on /v1/track, and only a publishable key. Send the key in the X-API-Key header.")
        }
        let secret = HTTPError.unauthorized(
            "Only a publishable key (eck_pub_…) is accepted in the URL (?key=): send a secret key in the X-API-Key header. URLs are kept in browser histories, proxies and logs, so treat this secret key as exposed: revoke it and create a new one.")
        guard key.hasPrefix("eck_pub_") else { throw secret }
        let principal = try apiKey(key, c)
        guard principal.isPublishableKey else { throw secret }
        return principal
    }

    static func session(token: String, _ c: Context) throws -> Principal {
        guard let jwt = c.services.jwt else { throw HTTPError.unauthorized("Token signing is not configured.") }
        let claims: JWT.Claims
        do {
            claims = try jwt.verify(token)
        } catch JWT.Failure.expired {
            throw HTTPError.unauthorized("The token has expired.")
        } catch {
            throw HTTPError.unauthorized("The token is invalid.")
        }
        guard let row = try c.db.queryOne("""
            SELECT s.id, s.user_id, s.tenant_id, m.role, t.slug, t.name,
                   s.last_used_at < UTC_TIMESTAMP(6) - INTERVAL 60 SECOND AS stale
            FROM sessions s
            JOIN memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
            JOIN tenants t ON t.id = s.tenant_id
            WHERE s.jti = \(claims.jti) AND s.revoked_at IS NULL AND s.expires_at > UTC_TIMESTAMP(6)
            """),
              try row.int("user_id") == claims.sub, try row.int("tenant_id") == claims.tid,
              let role = Role(rawValue: try row.string("role"))
        else { throw HTTPError.unauthorized("The token has been revoked.") }
        let id = try row.int("id")
        if try row.bool("stale") {
            // Written at most once a minute, never on every request.
            try c.db.execute("UPDATE sessions SET last_used_at = UTC_TIMESTAMP(6) WHERE id = \(id)")
        }
        return Principal(tenant: Tenant(id: claims.tid), tenantSlug: try row.string("slug"), tenantName: try row.string("name"),
                         credential: .session(id: id, userID: claims.sub, role: role))
    }

    static func apiKey(_ key: String, _ c: Context) throws -> Principal {
        guard key.hasPrefix("eck_"), key.count <= 200 else { throw HTTPError.unauthorized("The API key is invalid.") }
        let hash = Digest.sha256(key).hexString
        let cache = CredentialCache.shared
        if let cached = cache.principal(forKeyHash: hash) { return cached }
        let epoch = cache.currentEpoch()
        guard let row = try c.db.queryOne("""
            SELECT k.id, k.tenant_id, k.type, t.slug, t.name,
                   (k.last_used_at IS NULL OR k.last_used_at < UTC_TIMESTAMP(6) - INTERVAL 60 SECOND) AS stale
            FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.key_hash = \(hash) AND k.revoked_at IS NULL
            """)
        else { throw HTTPError.unauthorized("The API key is invalid.") }
        let id = try row.int("id")
        if try row.bool("stale") {
            try c.db.execute("UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(6) WHERE id = \(id)")
        }
        let principal = Principal(tenant: Tenant(id: try row.int("tenant_id")), tenantSlug: try row.string("slug"),
                                  tenantName: try row.string("name"),
                                  credential: .apiKey(id: id, publishable: try row.string("type") == "publishable"))
        cache.store(principal, forKeyHash: hash, epoch: epoch)
        return principal
    }
}
