import Foundation
import Glibc
import Testing
@testable import Outbound

/// A listener on a loopback address that answers each connection with a canned answer (or
/// nothing) and counts the connections it accepted.
final class Listener: Sendable {
    let port: Int
    let host: String
    private let fd: Int32
    private let state = State()

    /// What the accepting thread saw.
    final class State: @unchecked Sendable {
        // @unchecked: every access holds `lock`.
        let lock = NSLock()
        var accepted = 0
        var requests: [String] = []
    }

    init(host: String = "127.0.0.1", answer: [UInt8]?) throws {
        self.host = host
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fd = s
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(host)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        guard bound == 0 else { throw OutboundError("bind \(host) failed") }
        listen(s, 16)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let state = self.state
        // The thread holds the state, not the listener: deinit shuts the socket and accept ends.
        let thread = Thread {
            while true {
                let c = accept(s, nil, nil)
                // The listening socket is closed here, by the only thread that uses it, never in
                // deinit: a number closed there could be reused by another test's socket at once,
                // and this loop would accept that test's connections.
                if c < 0 { Glibc.close(s); return }
                state.lock.withLock { state.accepted += 1 }
                var tv = timeval(tv_sec: 2, tv_usec: 0)
                setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var request = [UInt8](repeating: 0, count: 65536)
                let n = recv(c, &request, request.count, 0)
                state.lock.withLock { state.requests.append(String(decoding: request.prefix(max(n, 0)), as: UTF8.self)) }
                if let answer {
                    _ = answer.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                } else {
                    // Never answers: holds the connection until the caller gives up.
                    var byte: UInt8 = 0
                    while recv(c, &byte, 1, 0) > 0 {}
                }
                Glibc.close(c)
            }
        }
        thread.start()
    }

    /// A port on `host` that nothing listens on.
    static func closedPort(host: String) -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(s) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(host)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Ends accept (the thread then closes the socket).
    deinit { shutdown(fd, Int32(SHUT_RDWR)) }

    var accepted: Int { state.lock.withLock { state.accepted } }
    var requests: [String] { state.lock.withLock { state.requests } }
    var url: String { "http://\(host):\(port)/hook" }

    static func answer(_ status: String, headers: String = "", body: [UInt8] = Array("{}".utf8)) -> [UInt8] {
        Array("HTTP/1.1 \(status)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\(headers)\r\n".utf8) + body
    }
}

/// OutboundHTTP against listeners on loopback: what the guard refuses never connects.
@Suite(.serialized) struct OutboundHTTPTests {
    /// The tests' allowed sink address (scripts/test.sh allows the same in make test).
    static let sinkHost = "127.77.0.1"

    @Test func loopbackIsRefusedAndTheListenerHearsNothing() throws {
        let victim = try Listener(answer: Listener.answer("200 OK"))
        for url in [victim.url, "http://localhost:\(victim.port)/", "http://2130706433:\(victim.port)/", "http://127.1:\(victim.port)/",
                    "http://[::ffff:127.0.0.1]:\(victim.port)/", "http://0x7f.1:\(victim.port)/"] {
            #expect(throws: OutboundError.refused) { _ = try OutboundHTTP.post(url, headers: [], body: [1], policy: OutboundPolicy()) }
        }
        #expect(victim.accepted == 0)
    }

    @Test func anAllowedSinkIsReachedWithTheBody() throws {
        let sink = try Listener(host: Self.sinkHost, answer: Listener.answer("201 Created", body: Array(#"{"id":"x1"}"#.utf8)))
        let policy = OutboundPolicy(allow: "\(Self.sinkHost)/32")
        let answer = try OutboundHTTP.post(sink.url, headers: [("X-Test", "a\r\nInjected: 1")], body: Array("hello".utf8), policy: policy)
        #expect(answer.status == 201)
        #expect(answer.body == Array(#"{"id":"x1"}"#.utf8))
        let request = try #require(sink.requests.first)
        #expect(request.hasPrefix("POST /hook HTTP/1.1"))
        #expect(request.contains("\r\nX-Test: aInjected: 1\r\n"))
        #expect(!request.contains("\r\nInjected:"))
        #expect(request.hasSuffix("\r\n\r\nhello"))
        // host:port entries allow that port only.
        #expect(throws: OutboundError.refused) {
            _ = try OutboundHTTP.post(sink.url, headers: [], body: [], policy: OutboundPolicy(allow: "\(Self.sinkHost):\(sink.port + 1)"))
        }
        #expect(sink.accepted == 1)
    }

    /// A redirect is the answer, never followed: the loopback listener it points to hears nothing.
    @Test func redirectsAreNotFollowed() throws {
        let victim = try Listener(answer: Listener.answer("200 OK"))
        let sink = try Listener(host: Self.sinkHost, answer: Listener.answer("302 Found", headers: "Location: \(victim.url)\r\n"))
        let answer = try OutboundHTTP.post(sink.url, headers: [], body: [1], policy: OutboundPolicy(allow: "\(Self.sinkHost)/32"))
        #expect(answer.status == 302)
        #expect(victim.accepted == 0)
        // Even where the redirect's target is allowed, it is not followed.
        let answer2 = try OutboundHTTP.post(sink.url, headers: [], body: [1], policy: OutboundPolicy(allow: "\(Self.sinkHost)/32, 127.0.0.1/32"))
        #expect(answer2.status == 302)
        #expect(victim.accepted == 0)
    }

    @Test func theBodyIsReadUpTo64KiB() throws {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        let sink = try Listener(host: Self.sinkHost, answer: Listener.answer("200 OK", body: big))
        let answer = try OutboundHTTP.post(sink.url, headers: [], body: [], policy: OutboundPolicy(allow: "\(Self.sinkHost)/32"))
        #expect(answer.status == 200)
        #expect(answer.body.count == OutboundHTTP.maxBody)
    }

    @Test func failuresAreCategories() throws {
        let policy = OutboundPolicy(allow: "\(Self.sinkHost)/32")
        let silent = try Listener(host: Self.sinkHost, answer: nil)
        #expect(throws: OutboundError.timedOut) {
            _ = try OutboundHTTP.post(silent.url, headers: [], body: [], connectTimeout: 1, timeout: 1, policy: policy)
        }
        // A closed port: the listener's port after it is gone.
        let closedPort = Listener.closedPort(host: Self.sinkHost)
        #expect(throws: OutboundError.couldNotConnect) {
            _ = try OutboundHTTP.post("http://\(Self.sinkHost):\(closedPort)/", headers: [], body: [], policy: policy)
        }
        let garbage = try Listener(host: Self.sinkHost, answer: Array("SSH-2.0-OpenSSH_9.2\r\n".utf8))
        do {
            _ = try OutboundHTTP.post(garbage.url, headers: [], body: [], policy: policy)
            Issue.record("a non-HTTP answer was taken")
        } catch {
            #expect(error == .broken)
            #expect(!error.description.contains("SSH"))
        }
        #expect(throws: OutboundError.invalid) { _ = try OutboundHTTP.post("ftp://\(Self.sinkHost)/", headers: [], body: [], policy: policy) }
    }
}
