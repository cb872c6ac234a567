import Cryptography
import Foundation
import MariaDB
import Web
import Platform

/// Long-lived helpers built once from the configuration and shared by every thread.
public struct Services: Sendable {
    public let jwt: JWT?
    public let hasher: PasswordHasher
    private let dummy: DummyHash

    public init(configuration: Configuration) {
        jwt = configuration.jwtSecret.count >= 32 ? JWT(secret: configuration.jwtSecret) : nil
        hasher = PasswordHasher(logN: configuration.scryptLogN)
        dummy = DummyHash()
    }

    /// A hash of nothing in particular, made with the current parameters, to verify against
    /// when the email is unknown: the answer then takes as long as for a real account.
    package var dummyHash: String { dummy.value(hasher) }
}

/// Computed on first use, not at start-up: each hash costs what a login costs.
final class DummyHash: Sendable {
    private let cached = Lock<String?>(nil)

    /// Made under the mutex: threads that ask meanwhile wait for the one hash.
    func value(_ hasher: PasswordHasher) -> String {
        cached.withLock { cached in
            if let cached { return cached }
            let made = hasher.hash(Random.hex(bytes: 16))
            cached = made
            return made
        }
    }
}

/// What a handler works with: the request, this thread's database connection, the
/// configuration, and the authenticated caller. Made per request on the thread that
/// handles it; never shared.
public final class Context {
    public let request: Request
    public let db: Connection
    public let configuration: Configuration
    public let services: Services
    /// Set before the handler runs, for every route whose access is not `.anyone`.
    public package(set) var principal: Principal?

    package init(request: Request, db: Connection, configuration: Configuration, services: Services) {
        self.request = request
        self.db = db
        self.configuration = configuration
        self.services = services
    }

    /// The caller's workspace. Every tenant query is scoped by it.
    public var tenant: Tenant {
        guard let principal else { preconditionFailure("tenant read on a route with access .anyone") }
        return principal.tenant
    }

    /// The signed-in user (routes with access `.user` or `.manager`).
    public var userID: Int {
        guard let user = principal?.userID else { preconditionFailure("userID read without a user session") }
        return user
    }
}

/// A route's access rule and handler.
public struct Endpoint: Sendable {
    public let access: Access
    public let handler: @Sendable (Context) throws -> Response
    /// This route's counters in `Metrics` (its place in `Routes.names`, plus one).
    package var metricsSlot = 0
    /// "METHOD /pattern".
    package var name = ""
    /// Its entry in `Permissions.routes`, looked up once when the route is added; nil (no
    /// entry) refuses everybody.
    package var permission: Permissions.Need?
}

/// The routing table that every feature adds its routes to.
public struct Routes: Sendable {
    package var router = Router<Endpoint>()
    /// "METHOD /path" of every route, in the order added (the metrics' route labels).
    public private(set) var names: [String] = []

    private mutating func add(_ method: String, _ path: String, _ access: Access, _ handler: @escaping Handler) {
        let name = "\(method) \(path)"
        names.append(name)
        accessByName[name] = access
        router.add(method, path, Endpoint(access: access, handler: handler, metricsSlot: names.count, name: name,
                                          permission: Permissions.routes[name]))
    }

    /// Each route's `Access` by "METHOD /pattern" (for the permission walk).
    public private(set) var accessByName: [String: Access] = [:]

    public init() {}

    public typealias Handler = @Sendable (Context) throws -> Response

    public mutating func get(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add("GET", path, access, handler)
    }
    public mutating func post(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add("POST", path, access, handler)
    }
    public mutating func put(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add("PUT", path, access, handler)
    }
    public mutating func patch(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add("PATCH", path, access, handler)
    }
    public mutating func options(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add("OPTIONS", path, access, handler)
    }
    public mutating func delete(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add("DELETE", path, access, handler)
    }
}
