import FastCGI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way the server reaches a host a user typed (webhooks and the SMS provider through
/// `OutboundHTTP`, SMTP through `OutboundSMTP`, both over libcurl).
///
/// Every address is vetted at the moment of connecting, in libcurl's open-socket callback: a name is resolved, each address it
/// gives is refused when it is internal (`IPAddress.internalRange`) unless the operator's
/// allow list names it, and the socket connects to exactly the address that was vetted, so a
/// second DNS answer (rebinding) cannot move it. Errors are `OutboundError` categories.
public enum Outbound {
    /// The addresses `host` resolves to (numeric forms, odd ones like "2130706433", "0x7f.1"
    /// or "127.1" included: the resolver reads them as glibc's `inet_aton` does).
    public static func resolve(_ host: String, port: Int) throws(OutboundError) -> [(IPAddress, sockaddr_storage, socklen_t)] {
        let name = OutboundPolicy.bare(host)
        guard !name.isEmpty, !name.contains(where: { $0 == "/" || $0 == "@" || $0.isWhitespace }) else { throw .invalid }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(name, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            Log.info("outbound: \(name) does not resolve (\(String(cString: gai_strerror(rc))))")
            throw .unresolved
        }
        defer { freeaddrinfo(list) }
        var found: [(IPAddress, sockaddr_storage, socklen_t)] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let a = entry {
            entry = a.pointee.ai_next
            guard let sa = a.pointee.ai_addr, let (address, _) = IPAddress.from(UnsafePointer(sa)) else { continue }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(a.pointee.ai_addrlen)))
            }
            found.append((address, storage, a.pointee.ai_addrlen))
        }
        guard !found.isEmpty else { throw .unresolved }
        return found
    }

    /// Checks a target when a form saves it: a name that resolves to an internal address the
    /// allow list does not name is refused. A name that does not resolve (yet) passes: the
    /// check is made again on every call.
    public static func check(host: String, port: Int, policy: OutboundPolicy = .fromEnvironment()) throws(OutboundError) {
        let addresses: [(IPAddress, sockaddr_storage, socklen_t)]
        do { addresses = try resolve(host, port: port) } catch {
            if error == .unresolved { return }
            throw error
        }
        for (address, _, _) in addresses where !policy.permits(address, port: port, host: host) {
            Log.info("outbound: refused \(OutboundPolicy.bare(host)) -> \(address) (\(address.internalRange ?? ""))")
            throw .refused
        }
    }

    /// Checks an http(s) URL a form saves (see `check(host:port:policy:)`).
    public static func check(url: String, policy: OutboundPolicy = .fromEnvironment()) throws(OutboundError) {
        let target = try HTTPTarget(url)
        try check(host: target.host, port: target.port, policy: policy)
    }
}

/// The scheme, host and port of an http(s) URL.
public struct HTTPTarget: Sendable {
    public let host: String
    public let port: Int
    public let secure: Bool

    public init(_ url: String) throws(OutboundError) {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty, c.user == nil, c.password == nil else { throw .invalid }
        secure = scheme == "https"
        self.host = OutboundPolicy.bare(host)
        port = c.port ?? (secure ? 443 : 80)
        guard (1...65535).contains(port) else { throw .invalid }
    }
}
