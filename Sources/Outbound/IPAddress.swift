#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, and what kind of place it points to.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// A numeric address in the canonical forms only (`inet_pton`): "127.0.0.1", "::1".
    /// Odd forms ("2130706433", "0x7f.1", "127.1") are not addresses here; they are names,
    /// which the resolver turns into the address that is then vetted.
    public init?(_ text: String) {
        var s = text
        if s.hasPrefix("["), s.hasSuffix("]") { s = String(s.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// The address of a `sockaddr_in` or `sockaddr_in6`, and its port.
    public static func from(_ address: UnsafePointer<sockaddr>) -> (IPAddress, Int)? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                var addr = a.pointee.sin_addr
                let bytes = withUnsafeBytes(of: &addr) { Array($0) }
                return IPAddress(bytes: bytes).map { ($0, Int(UInt16(bigEndian: a.pointee.sin_port))) }
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                var addr = a.pointee.sin6_addr
                let bytes = withUnsafeBytes(of: &addr) { Array($0) }
                return IPAddress(bytes: bytes).map { ($0, Int(UInt16(bigEndian: a.pointee.sin6_port))) }
            }
        default:
            return nil
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
        return groups.joined(separator: ":")
    }

    /// Whether the first `prefix` bits equal those of `network` (same family).
    public func isIn(_ network: [UInt8], prefix: Int) -> Bool {
        guard network.count == bytes.count, prefix >= 0, prefix <= bytes.count * 8 else { return false }
        var bits = prefix
        for i in 0..<bytes.count where bits > 0 {
            let take = min(8, bits)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if bytes[i] & mask != network[i] & mask { return false }
            bits -= take
        }
        return true
    }

    /// Why the server must not connect here on a user's word: the kind of internal range
    /// the address is in, or nil for an address on the public internet. IPv6 forms that
    /// carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address.
    public var internalRange: String? {
        if isIPv4 { return Self.internalRangeV4(bytes) }
        let b = bytes
        if b.allSatisfy({ $0 == 0 }) { return "unspecified" }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "loopback" }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated): the IPv4 address decides,
        // and the compatible form is refused whatever it carries.
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF {
            return Self.internalRangeV4(Array(b[12..<16]))
        }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return "IPv4-compatible" }
        // 64:ff9b::/96 (NAT64) and 64:ff9b:1::/48 (local NAT64) carry the IPv4 address in the last 4 bytes.
        if isIn([0x00, 0x64, 0xFF, 0x9B] + Array(repeating: 0, count: 12), prefix: 96) {
            return Self.internalRangeV4(Array(b[12..<16]))
        }
        if isIn([0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01] + Array(repeating: 0, count: 10), prefix: 48) { return "local NAT64" }
        // 2002::/16 (6to4) carries it in bytes 2...5.
        if b[0] == 0x20 && b[1] == 0x02 { return Self.internalRangeV4(Array(b[2..<6])) }
        if b[0] & 0xFE == 0xFC { return "unique local" }            // fc00::/7
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "link-local" } // fe80::/10
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return "site-local" } // fec0::/10
        if b[0] == 0xFF { return "multicast" }                        // ff00::/8
        if isIn([0x01, 0x00] + Array(repeating: 0, count: 14), prefix: 64) { return "discard" } // 100::/64
        if isIn([0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 12), prefix: 32) { return "documentation" }
        return nil
    }

    private static let internalV4: [(network: [UInt8], prefix: Int, kind: String)] = [
        ([0, 0, 0, 0], 8, "unspecified"),        // 0.0.0.0/8 "this network"
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),    // 169.254.169.254, the cloud metadata service
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "IETF protocol"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4 relay"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),         // includes 255.255.255.255, the broadcast address
    ]

    private static func internalRangeV4(_ b: [UInt8]) -> String? {
        guard let a = IPAddress(bytes: b) else { return "invalid" }
        return internalV4.first { a.isIn($0.network, prefix: $0.prefix) }?.kind
    }
}
