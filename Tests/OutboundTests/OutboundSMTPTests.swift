import Foundation
import Glibc
import Testing
@testable import Outbound

/// A scripted SMTP relay on the sinks' address: answers EHLO, MAIL and RCPT (refusing one
/// recipient), DATA, and after the message either 250 or, with `dropAfterData`, nothing.
final class ScriptedRelay: Sendable {
    let port: Int
    private let fd: Int32
    private let state = Listener.State()

    init(dropAfterData: Bool = false) throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fd = s
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(OutboundHTTPTests.sinkHost)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        listen(s, 4)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let state = self.state
        Thread {
            while true {
                let c = accept(s, nil, nil)
                // The listening socket is closed here, by the only thread that uses it, never in
                // deinit: a number closed there could be reused by another test's socket at once,
                // and this loop would accept that test's connections.
                if c < 0 { Glibc.close(s); return }
                state.lock.withLock { state.accepted += 1 }
                var tv = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                func say(_ line: String) { _ = Array((line + "\r\n").utf8).withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
                say("220 relay.test ESMTP")
                var pending = [UInt8](), inData = false
                loop: while true {
                    var chunk = [UInt8](repeating: 0, count: 4096)
                    let n = recv(c, &chunk, chunk.count, 0)
                    if n <= 0 { break }
                    pending += chunk[..<n]
                    if inData {
                        guard let end = String(decoding: pending, as: UTF8.self).range(of: "\r\n.\r\n") else { continue }
                        let body = String(String(decoding: pending, as: UTF8.self)[..<end.lowerBound])
                        state.lock.withLock { state.requests.append(body) }
                        pending = Array(String(decoding: pending, as: UTF8.self)[end.upperBound...].utf8)
                        inData = false
                        if dropAfterData { break loop }
                        say("250 2.0.0 queued as X1")
                        continue
                    }
                    while let newline = pending.firstIndex(of: 10) {
                        let line = String(decoding: pending[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                        pending.removeSubrange(...newline)
                        let verb = line.prefix(4).uppercased()
                        switch verb {
                        case "EHLO": say("250-relay.test"); say("250 8BITMIME")
                        case "MAIL": say("250 2.1.0 ok")
                        case "RCPT": line.contains("nobody@") ? say("550 5.1.1 No such user here") : (line.contains("later@") ? say("451 4.3.0 try later") : say("250 2.1.5 ok"))
                        case "DATA": say("354 go ahead"); inData = true
                        case "RSET", "NOOP": say("250 ok")
                        case "QUIT": say("221 bye"); break loop
                        default: say("502 5.5.2 what")
                        }
                        if inData { break }
                    }
                }
                Glibc.close(c)
            }
        }.start()
    }

    /// Ends accept (the thread then closes the socket).
    deinit { shutdown(fd, Int32(SHUT_RDWR)) }

    var accepted: Int { state.lock.withLock { state.accepted } }
    var messages: [String] { state.lock.withLock { state.requests } }
}

@Suite(.serialized) struct OutboundSMTPTests {
    let policy = OutboundPolicy(allow: "\(OutboundHTTPTests.sinkHost)/32")

    func relay(_ port: Int) -> OutboundSMTP.Relay {
        OutboundSMTP.Relay(host: OutboundHTTPTests.sinkHost, port: port, startTLS: false, timeout: 5)
    }

    @Test func messagesGoThroughOneConnectionWithTheRelaysReplies() throws {
        let server = try ScriptedRelay()
        let smtp = OutboundSMTP(relay(server.port), policy: policy)
        defer { smtp.close() }
        #expect(smtp.send(from: "a@shop.example", to: "b@shop.example", data: Array("Subject: 1\n\n.dot first\nbody\n".utf8))
                == .accepted("250 2.0.0 queued as X1"))
        #expect(smtp.send(from: "a@shop.example", to: "nobody@shop.example", data: Array("x".utf8))
                == .refused(code: 550, reply: "550 5.1.1 No such user here"))
        #expect(smtp.send(from: "a@shop.example", to: "later@shop.example", data: Array("x".utf8))
                == .refused(code: 451, reply: "451 4.3.0 try later"))
        #expect(smtp.send(from: "a@shop.example", to: "c@shop.example", data: Array("Subject: 2\r\n\r\nok".utf8))
                == .accepted("250 2.0.0 queued as X1"))
        // CRLF line ends, and the leading dot doubled on the wire.
        #expect(server.messages.first == "Subject: 1\r\n\r\n..dot first\r\nbody")
        #expect(server.messages.count == 2)
    }

    @Test func noFinalReplyAfterTheMessageMeansItMayHaveArrived() throws {
        let server = try ScriptedRelay(dropAfterData: true)
        let smtp = OutboundSMTP(relay(server.port), policy: policy)
        defer { smtp.close() }
        let outcome = smtp.send(from: "a@shop.example", to: "b@shop.example", data: Array("hello".utf8))
        guard case .failed(_, handedOver: true) = outcome else {
            Issue.record("expected a failure after the message was handed over, got \(outcome)")
            return
        }
        #expect(server.messages == ["hello"])
    }

    @Test func aLoopbackRelayIsRefusedBeforeAnyConnection() throws {
        let victim = try Listener(answer: Array("220 internal\r\n".utf8))
        for host in ["127.0.0.1", "localhost", "2130706433", "::1"] {
            let smtp = OutboundSMTP(OutboundSMTP.Relay(host: host, port: victim.port, startTLS: false, timeout: 2), policy: OutboundPolicy())
            #expect(smtp.send(from: "a@b.c", to: "d@e.f", data: [65]) == .failed(.refused, handedOver: false), "\(host)")
        }
        #expect(victim.accepted == 0)
        let closed = Listener.closedPort(host: OutboundHTTPTests.sinkHost)
        let smtp = OutboundSMTP(relay(closed), policy: policy)
        #expect(smtp.send(from: "a@b.c", to: "d@e.f", data: [65]) == .failed(.couldNotConnect, handedOver: false))
    }

    @Test func addressesCannotExtendACommand() {
        #expect(OutboundSMTP.clean("a@b.c>\r\nRCPT TO:<x@y.z") == "a@b.cRCPTTO:x@y.z")
    }
}
