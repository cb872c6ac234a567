import Foundation

/// Where and how to connect, read from a URL:
/// `mariadb://user:password@host:port/database?socket=/path/to/mariadb.sock`.
public struct DatabaseConfiguration: Sendable {
    public var host: String
    public var port: UInt32
    public var user: String
    public var password: String
    public var database: String
    /// A unix socket; when set it is used instead of host and port.
    public var socket: String?
    /// Seconds to wait for a connection.
    public var connectTimeout: UInt32 = 3
    /// Seconds a single statement may run before the server stops it (max_statement_time),
    /// and the client's read and write timeouts.
    public var statementTimeout: UInt32 = 10
    /// Allows several statements in one text (only the migrator needs it).
    public var multiStatements = false

    public init(host: String = "127.0.0.1", port: UInt32 = 3306, user: String, password: String,
                database: String, socket: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.socket = socket
    }

    public struct InvalidURL: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "invalid database URL: \(reason)" }
    }

    public init(url: String) throws {
        guard let components = URLComponents(string: url) else { throw InvalidURL(reason: "not a URL") }
        guard let scheme = components.scheme, ["mariadb", "mysql"].contains(scheme) else {
            throw InvalidURL(reason: "the scheme must be mariadb:// or mysql://")
        }
        let database = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !database.isEmpty else { throw InvalidURL(reason: "no database name in the path") }
        self.init(
            host: components.host ?? "127.0.0.1",
            port: UInt32(components.port ?? 3306),
            user: components.percentEncodedUser?.removingPercentEncoding ?? "root",
            password: components.percentEncodedPassword?.removingPercentEncoding ?? "",
            database: database,
            socket: components.queryItems?.first(where: { $0.name == "socket" })?.value
        )
        if let timeout = components.queryItems?.first(where: { $0.name == "connect_timeout" })?.value.flatMap(UInt32.init) {
            connectTimeout = timeout
        }
    }
}
