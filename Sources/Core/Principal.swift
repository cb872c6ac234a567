import MariaDB
import Web

/// A member's role in a workspace, from the most rights to the least. What each role may
/// do is `Permissions`' table, not here.
public enum Role: String, Sendable, CaseIterable, Comparable {
    case owner, admin, member
    /// Reads everything a member reads, changes nothing but its own account and sessions.
    case viewer

    /// viewer 0 < member 1 < admin 2 < owner 3.
    public var rank: Int {
        switch self {
        case .viewer: 0
        case .member: 1
        case .admin: 2
        case .owner: 3
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }

    /// Owners and admins manage members, teams and API keys.
    public var canManage: Bool { self >= .admin }
}

/// The workspace a request acts in. Only authentication makes one (and the seeder), so a
/// store function that takes a `Tenant` cannot be called with an id from the request.
public struct Tenant: Sendable, Equatable, SQLBindable {
    public let id: Int
    package init(id: Int) { self.id = id }
    public var dbValue: DBValue { .int(Int64(id)) }
}

/// Who is calling, in which workspace, with what.
public struct Principal: Sendable {
    public enum Credential: Sendable, Equatable {
        /// A user's bearer token.
        case session(id: Int, userID: Int, role: Role)
        /// A server's secret key, or a browser's publishable key.
        case apiKey(id: Int, publishable: Bool)
    }

    public let tenant: Tenant
    public let tenantSlug: String
    public let tenantName: String
    public let credential: Credential

    /// The memberwise initializer, written out: the implicit one is internal to this module.
    package init(tenant: Tenant, tenantSlug: String, tenantName: String, credential: Credential) {
        self.tenant = tenant
        self.tenantSlug = tenantSlug
        self.tenantName = tenantName
        self.credential = credential
    }

    public var userID: Int? {
        if case .session(_, let user, _) = credential { return user }
        return nil
    }

    public var role: Role? {
        if case .session(_, _, let role) = credential { return role }
        return nil
    }

    public var sessionID: Int? {
        if case .session(let id, _, _) = credential { return id }
        return nil
    }

    public var isPublishableKey: Bool {
        if case .apiKey(_, let publishable) = credential { return publishable }
        return false
    }

    public var apiKeyID: Int? {
        if case .apiKey(let id, _) = credential { return id }
        return nil
    }
}

/// What a route demands of the caller.
public enum Access: Sendable {
    /// No credentials (health, login, register).
    case anyone
    /// A user's bearer token (their account, sessions, workspaces).
    case user
    /// A user's bearer token, on a route `Permissions` keeps for owners and admins (members,
    /// teams, API keys, settings): the role itself is checked by `Permissions`, like every route's.
    case manager
    /// A bearer token or a secret API key: the data endpoints.
    case server
    /// Anything above or a publishable key: the tracking endpoints.
    case tracking
    /// Like `server`, on `/api/brands/{brand}/crm/…`, where `{brand}` must be the key's workspace.
    case crm
}
