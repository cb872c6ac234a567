import Foundation

/// Where and how to connect, read from a URL:
/// `mariadb://user:password@host:port/database?socket=/path/to/mariadb.sock`.
///
/// A Galera cluster is named by listing its nodes, comma-separated:
/// `mariadb://user:password@h1:3306,h2:3306,h3:3306/database`. A connection uses one node at
/// a time and moves to the next when its node is lost or refuses work (see `Connection`).
public struct DatabaseConfiguration: Sendable {
    public var host: String
    public var port: UInt32
    /// Every node, in order; the first is `host`/`port`. One entry for a single server.
    public var hosts: [(host: String, port: UInt32)] = []
    /// With several hosts, `?balance=random` starts each connection at a random node instead
    /// of the first (spreads reads; writes on several Galera nodes conflict more often).
    public var balanceRandomly = false
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
        self.hosts = [(host, port)]
    }

    /// Splits `h1:p1,h2:p2` (ports default to 3306; `[v6]:port` allowed).
    static func parseHosts(_ text: String) throws -> [(host: String, port: UInt32)] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let item = part.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { throw InvalidURL(reason: "an empty host in the host list") }
            var host = item, portText: Substring? = nil
            if item.hasPrefix("["), let close = item.firstIndex(of: "]") {
                host = String(item[item.index(after: item.startIndex)..<close])
                let rest = item[item.index(after: close)...]
                if rest.hasPrefix(":") { portText = rest.dropFirst() }
            } else if let colon = item.lastIndex(of: ":") {
                host = String(item[..<colon])
                portText = item[item.index(after: colon)...]
            }
            var port: UInt32 = 3306
            if let portText {
                guard let p = UInt32(portText), p > 0, p < 65536 else { throw InvalidURL(reason: "bad port in \(item)") }
                port = p
            }
            return (host, port)
        }
    }

    public struct InvalidURL: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "invalid database URL: \(reason)" }
    }

    public init(url: String) throws {
        // Several hosts (h1:p1,h2:p2) are not a URL that URLComponents reads: parse the list
        // here and let URLComponents read the rest with the first host in its place.
        var url = url
        var hostList: [(host: String, port: UInt32)]? = nil
        if let schemeEnd = url.range(of: "://") {
            let afterScheme = url[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            let authority = afterScheme[..<authorityEnd]
            let at = authority.lastIndex(of: "@")
            let hostsStart = at.map { authority.index(after: $0) } ?? authority.startIndex
            let hostsText = String(authority[hostsStart...])
            if hostsText.contains(",") {
                let list = try Self.parseHosts(hostsText)
                hostList = list
                let first = list[0].host.contains(":") ? "[\(list[0].host)]" : list[0].host
                url.replaceSubrange(hostsStart..<authorityEnd, with: "\(first):\(list[0].port)")
            }
        }
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
        if let hostList { hosts = hostList }
        balanceRandomly = components.queryItems?.first(where: { $0.name == "balance" })?.value == "random"
    }
}
