import Foundation
import MariaDB
import Web

/// What a handler works with: the request, this thread's database connection, and the
/// configuration. Made per request on the thread that handles it; never shared.
public final class Context {
    public let request: Request
    public let db: Connection
    public let configuration: Configuration

    init(request: Request, db: Connection, configuration: Configuration) {
        self.request = request
        self.db = db
        self.configuration = configuration
    }
}

/// A route's handler.
public struct Endpoint: Sendable {
    public let handler: @Sendable (Context) throws -> Response

    public init(_ handler: @escaping @Sendable (Context) throws -> Response) {
        self.handler = handler
    }
}

/// The routing table that every feature adds its routes to.
public struct Routes: Sendable {
    var router = Router<Endpoint>()

    public init() {}

    public mutating func get(_ path: String, _ handler: @escaping @Sendable (Context) throws -> Response) {
        router.add("GET", path, Endpoint(handler))
    }
    public mutating func post(_ path: String, _ handler: @escaping @Sendable (Context) throws -> Response) {
        router.add("POST", path, Endpoint(handler))
    }
    public mutating func put(_ path: String, _ handler: @escaping @Sendable (Context) throws -> Response) {
        router.add("PUT", path, Endpoint(handler))
    }
    public mutating func patch(_ path: String, _ handler: @escaping @Sendable (Context) throws -> Response) {
        router.add("PATCH", path, Endpoint(handler))
    }
    public mutating func delete(_ path: String, _ handler: @escaping @Sendable (Context) throws -> Response) {
        router.add("DELETE", path, Endpoint(handler))
    }
}
