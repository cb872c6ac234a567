import FastCGI
import Glibc
import Testing

/// A drain closes idle kept connections so that nginx sends its next requests to another
/// worker; but a request nginx has already written on one must be answered, not dropped
/// (nginx answers 502 for a POST it has sent on a connection that closes unanswered: seen
/// once in make test's rolling reload, test_reload_answers_every_tracking_event_it_has_taken).
@Suite struct ConnectionHubDrainTests {
    /// A listening TCP socket on loopback and its port.
    static func listener() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(fd, raw, length) == 0, listen(fd, 8) == 0, getsockname(fd, raw, &length) == 0 else {
                    throw Failure.socket(errno)
                }
            }
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    enum Failure: Error { case socket(Int32) }

    /// nginx's side of a connection.
    static func connectTo(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw Failure.socket(errno) }
        return fd
    }

    /// Whether the peer has closed the connection (a read returns end of file at once).
    static func closedByPeer(_ fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 1000) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) == 0
    }

    @Test func aDrainAnswersARequestAlreadySentOnAnIdleConnection() throws {
        let (listenFD, port) = try Self.listener()
        defer { close(listenFD) }
        var wake: [Int32] = [-1, -1]
        #expect(pipe(&wake) == 0)
        defer { close(wake[0]); close(wake[1]) }
        let hub = try ConnectionHub(listenFD: listenFD, wakeFD: wake[0])

        // Two kept connections, answered once and parked idle.
        let busyPeer = try Self.connectTo(port), quietPeer = try Self.connectTo(port)
        defer { close(busyPeer); close(quietPeer) }
        var parked: [Int32] = []
        for _ in 0..<2 {
            let taken = try #require(hub.take())
            #expect(taken.source == .accepted)
            parked.append(taken.fd)
            hub.park(taken.fd, source: .accepted)
        }
        // nginx writes its next request on one of them just as the drain starts.
        var request: [UInt8] = [1, 1, 0, 1, 0, 8, 0, 0]
        #expect(send(busyPeer, &request, request.count, 0) == request.count)
        usleep(20_000)
        var byte: UInt8 = 1
        #expect(write(wake[1], &byte, 1) == 1)

        #expect(hub.closeIdle() == false, "the connection with a request waiting stays open")
        #expect(Self.closedByPeer(quietPeer), "an idle connection with nothing waiting is closed at once")
        let served = try #require(hub.take(), "the waiting request is handed to a thread")
        #expect(served.source == .kept)
        var received = [UInt8](repeating: 0, count: request.count)
        #expect(recv(served.fd, &received, received.count, 0) == request.count)
        #expect(received == request)
        // Answered, it is closed rather than parked, and the drain then ends.
        hub.park(served.fd, source: .kept)
        #expect(Self.closedByPeer(busyPeer))
        #expect(hub.take() == nil)
    }
}
