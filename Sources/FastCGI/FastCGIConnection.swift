import CFastCGI
import Glibc

/// One thread's FastCGI request slot: owns an `FCGX_Request` and the connection from nginx
/// it is reading (kept open between requests when nginx asks for `fastcgi_keep_conn`).
///
/// The connection is accepted here rather than inside libfcgi, so that a thread waiting for
/// work waits in `poll()` on the listening socket, its kept connection and a wake-up
/// descriptor together: a drain wakes every idle thread at once, with no signals.
/// libfcgi is given no listening socket (-1), so it never blocks in accept itself: when a
/// kept connection ends, `FCGX_Accept_r` returns an error and the loop comes back here.
public final class FastCGIConnection {
    private let request: UnsafeMutablePointer<FCGX_Request>
    private let listenFD: Int32
    private let wakeFD: Int32

    /// `FCGX_Init` must have been called once in the process.
    public init(listenFD: Int32, wakeFD: Int32) {
        request = .allocate(capacity: 1)
        request.initialize(to: FCGX_Request())
        FCGX_InitRequest(request, -1, 0)
        self.listenFD = listenFD
        self.wakeFD = wakeFD
    }

    deinit {
        FCGX_Free(request, 1)
        request.deinitialize(count: 1)
        request.deallocate()
    }

    public static func initializeLibrary() {
        FCGX_Init()
    }

    /// Waits for the next request. Returns false when the wake-up descriptor fires (drain),
    /// after closing any kept connection.
    public func next() -> Bool {
        while true {
            if request.pointee.ipcFd < 0 {
                var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
                if poll(&fds, 2, -1) < 0 { continue }
                if fds[1].revents != 0 { return false }
                let fd = accept(listenFD, nil, nil)
                if fd < 0 { continue }   // another thread or process took it (EAGAIN), or it went away
                // A peer that stalls mid-request cannot hold this thread forever.
                var timeout = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                request.pointee.ipcFd = fd
                // FCGX_Accept_r first finishes the previous request, closing the connection
                // unless it is marked kept; mark it so, and libfcgi then reads the real
                // keep-alive flag from nginx's FCGI_BEGIN_REQUEST.
                request.pointee.keepConnection = 1
            } else {
                var fds = [pollfd(fd: request.pointee.ipcFd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
                if poll(&fds, 2, -1) < 0 { continue }
                if fds[1].revents != 0 {
                    FCGX_Free(request, 1)
                    return false
                }
            }
            if FCGX_Accept_r(request) >= 0 { return true }
            // The connection ended or broke; libfcgi has closed it. Wait for another.
            if request.pointee.ipcFd >= 0 { FCGX_Free(request, 1) }
        }
    }

    /// Ends the current request: flushes the output and, unless nginx asked to keep the
    /// connection, closes it.
    public func finish() {
        FCGX_Finish_r(request)
    }

    /// Closes the kept connection, if any (at drain).
    public func closeConnection() {
        if request.pointee.ipcFd >= 0 { FCGX_Free(request, 1) }
    }

    /// Every FastCGI parameter of the current request, copied into Swift at once: libfcgi
    /// frees them at the next accept.
    public func parameters() -> [String: String] {
        var result: [String: String] = [:]
        guard var cursor = request.pointee.envp else { return result }
        result.reserveCapacity(32)
        while let entry = cursor.pointee {
            if let equals = strchr(entry, 61 /* = */) {
                let nameLength = entry.distance(to: equals)
                let name = entry.withMemoryRebound(to: UInt8.self, capacity: nameLength) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: nameLength), as: UTF8.self)
                }
                result[name] = String(cString: equals + 1)
            }
            cursor += 1
        }
        return result
    }

    /// Reads the request body: at most `limit` bytes. Returns nil if the body is longer.
    public func readBody(expected: Int, limit: Int) -> [UInt8]? {
        var body = [UInt8]()
        body.reserveCapacity(min(max(expected, 0), limit))
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    FCGX_GetStr($0, Int32(buffer.count), request.pointee.in)
                }
            }
            if n <= 0 { break }
            if body.count + Int(n) > limit { return nil }
            body.append(contentsOf: chunk[0..<Int(n)])
        }
        return body
    }

    /// Writes bytes to the response stream.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                _ = FCGX_PutStr($0, Int32(buffer.count), request.pointee.out)
            }
        }
    }
}
