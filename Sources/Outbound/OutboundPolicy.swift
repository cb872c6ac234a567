import Foundation

/// Which internal targets the operator allows (`ENTERCRM_OUTBOUND_ALLOW`: comma-separated
/// `host:port` or CIDR entries, empty by default). Everything public is allowed; an internal
/// address is refused unless an entry names it.
public struct OutboundPolicy: Sendable, Equatable {
    public enum Entry: Sendable, Equatable {
        /// A host (name or address, compared as typed, case-insensitively) on one port.
        case hostPort(host: String, port: Int)
        /// Every port of a network.
        case network(IPAddress, prefix: Int)
    }

    public var entries: [Entry]
    /// The entries that could not be read (the caller logs them; they allow nothing).
    public var invalid: [String] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    /// Reads a comma-separated allow list.
    public init(allow: String) {
        entries = []
        for raw in allow.split(separator: ",") {
            let item = raw.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            if let entry = Self.parse(item) { entries.append(entry) } else { invalid.append(item) }
        }
    }

    /// `ENTERCRM_OUTBOUND_ALLOW` of this process.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> OutboundPolicy {
        OutboundPolicy(allow: env["ENTERCRM_OUTBOUND_ALLOW"] ?? "")
    }

    static func parse(_ item: String) -> Entry? {
        if let slash = item.firstIndex(of: "/") {
            guard let address = IPAddress(String(item[..<slash])), let prefix = Int(item[item.index(after: slash)...]),
                  prefix >= 0, prefix <= address.bytes.count * 8 else { return nil }
            return .network(address, prefix: prefix)
        }
        // host:port, [v6]:port
        guard let colon = item.lastIndex(of: ":"), let port = Int(item[item.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        var host = String(item[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(":") || IPAddress(host) != nil else { return nil }
        return .hostPort(host: host.lowercased(), port: port)
    }

    /// Whether the server may connect to `address`:`port`, reached through the name `host`.
    public func permits(_ address: IPAddress, port: Int, host: String) -> Bool {
        guard address.internalRange != nil else { return true }
        return allows(address, port: port, host: host)
    }

    /// Whether an entry names this target (the public internet needs none).
    public func allows(_ address: IPAddress, port: Int, host: String) -> Bool {
        let name = Self.bare(host)
        for entry in entries {
            switch entry {
            case let .hostPort(h, p):
                guard p == port else { continue }
                if h == name { return true }
                if let a = IPAddress(h), a == address { return true }
            case let .network(n, prefix):
                if address.isIn(n.bytes, prefix: prefix) { return true }
                // An IPv4-mapped IPv6 address is its IPv4 address.
                if n.isIPv4, !address.isIPv4, address.bytes[0..<10].allSatisfy({ $0 == 0 }),
                   address.bytes[10] == 0xFF, address.bytes[11] == 0xFF,
                   let v4 = IPAddress(bytes: Array(address.bytes[12..<16])), v4.isIn(n.bytes, prefix: prefix) {
                    return true
                }
            }
        }
        return false
    }

    static func bare(_ host: String) -> String {
        var h = host.lowercased()
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h.hasSuffix(".") { h.removeLast() }
        return h
    }
}
