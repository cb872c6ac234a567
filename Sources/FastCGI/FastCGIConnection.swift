import CFastCGI
import Glibc

/// One thread's FastCGI request slot: owns an `FCGX_Request`, and for the length of one
/// request the connection from nginx it is reading.
///
/// Connections are accepted and kept by the process's `ConnectionHub` rather than inside
/// libfcgi: a thread waits for work in epoll, on the listening socket, every idle kept
/// connection and a wake-up descriptor together, and takes whichever is ready first. After
/// the answer, a connection nginx keeps (`fastcgi_keep_conn`) goes back to the hub, so an
/// idle connection never holds a thread. libfcgi is given no listening socket (-1), so it
/// never blocks in accept itself: when a connection ends, `FCGX_Accept_r` returns an error
/// and the loop comes back here.
public final class FastCGIConnection {
    private var request: UnsafeMutablePointer<FCGX_Request>
    private let hub: ConnectionHub
    private var source = ConnectionHub.Source.accepted
    /// The current request was handed to a `DetachedRequest`: nothing to finish here.
    private var detached = false

    /// `FCGX_Init` must have been called once in the process.
    public init(hub: ConnectionHub) {
        request = Self.newRequest()
        self.hub = hub
    }

    deinit {
        Self.freeRequest(request)
    }

    static func newRequest() -> UnsafeMutablePointer<FCGX_Request> {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        request.initialize(to: FCGX_Request())
        FCGX_InitRequest(request, -1, 0)
        return request
    }

    static func freeRequest(_ request: UnsafeMutablePointer<FCGX_Request>) {
        FCGX_Free(request, 1)
        request.deinitialize(count: 1)
        request.deallocate()
    }

    /// Hands the current request (its streams and its connection from nginx) to a value that
    /// another thread answers later; this thread goes on to its next request at once. The
    /// request's parameters and body must have been read already.
    public func detach() -> DetachedRequest {
        let taken = DetachedRequest(request: request, hub: hub, source: source)
        request = Self.newRequest()
        detached = true
        return taken
    }

    public static func initializeLibrary() {
        FCGX_Init()
    }

    /// Waits for the next request. Returns false when the wake-up descriptor fires (drain).
    /// `beforeBlocking` runs whenever the thread is about to sleep for want of work.
    public func next(beforeBlocking: () -> Void = {}) -> Bool {
        detached = false
        while true {
            guard let (fd, source) = hub.take(beforeBlocking: beforeBlocking) else { return false }
            self.source = source
            request.pointee.ipcFd = fd
            // FCGX_Accept_r first finishes the previous request, closing the connection
            // unless it is marked kept; mark it so, and libfcgi then reads the real
            // keep-alive flag from nginx's FCGI_BEGIN_REQUEST.
            request.pointee.keepConnection = 1
            if FCGX_Accept_r(request) >= 0 { return true }
            // The connection ended or broke; libfcgi has closed it. Wait for another.
            if request.pointee.ipcFd >= 0 { FCGX_Free(request, 1) }
        }
    }

    /// Ends the current request: flushes the output and, unless nginx asked to keep the
    /// connection, closes it; a kept connection goes back to the hub.
    public func finish() {
        if detached { return }
        Self.finish(request, hub: hub, source: source)
    }

    static func finish(_ request: UnsafeMutablePointer<FCGX_Request>, hub: ConnectionHub, source: ConnectionHub.Source) {
        FCGX_Finish_r(request)
        let fd = request.pointee.ipcFd
        guard fd >= 0 else { return }
        request.pointee.ipcFd = -1
        hub.park(fd, source: source)
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
                let value = String(cString: equals + 1)
                // A header sent twice: nginx 1.22 passes each line as a parameter of its own,
                // 1.23 and later join them with ", ". Joined here too, so the application
                // sees every line (and refuses a credential sent twice) with either.
                if let earlier = result.updateValue(value, forKey: name) {
                    result[name] = earlier + ", " + value
                }
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

    /// Copies the request body into the open file `fd`, 64 KiB at a time, never holding it
    /// whole: the bytes written, or nil when the body is longer than `limit` (the rest is
    /// then read and dropped, so that the connection stays usable).
    public func readBody(limit: Int, toDescriptor fd: Int32) throws -> Int? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while true {
            let n = chunk.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    FCGX_GetStr($0, Int32(buffer.count), request.pointee.in)
                }
            }
            if n <= 0 { return total <= limit ? total : nil }
            total += Int(n)
            if total > limit { continue }
            var done = 0
            while done < Int(n) {
                done += try chunk.withUnsafeBufferPointer { buffer in
                    try syscall("write") { Glibc.write(fd, buffer.baseAddress! + done, Int(n) - done) }
                }
            }
        }
    }

    /// Ends the current request by breaking its connection instead of finishing it: for an
    /// answer whose head is sent and whose body cannot be completed (a streamed export whose
    /// query failed). nginx then sees the upstream close early and cuts the client's answer
    /// short, so that a truncated file never looks complete.
    public func abort() {
        let fd = request.pointee.ipcFd
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        request.pointee.keepConnection = 0
    }

    /// Writes bytes to the response stream.
    public func write(_ bytes: [UInt8]) {
        Self.write(bytes, to: request)
    }

    static func write(_ bytes: [UInt8], to request: UnsafeMutablePointer<FCGX_Request>) {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                _ = FCGX_PutStr($0, Int32(buffer.count), request.pointee.out)
            }
        }
    }
}

/// A request taken off the thread that read it (`FastCGIConnection.detach`), answered later
/// from any thread: written, then finished once, which hands a kept connection back to the
/// process's hub as `FastCGIConnection.finish` does.
public final class DetachedRequest: @unchecked Sendable {
    // @unchecked: used by one thread at a time: the reading thread hands it over, and the
    // answering thread alone writes and finishes it.
    private let request: UnsafeMutablePointer<FCGX_Request>
    private let hub: ConnectionHub
    private let source: ConnectionHub.Source
    private var finished = false

    init(request: UnsafeMutablePointer<FCGX_Request>, hub: ConnectionHub, source: ConnectionHub.Source) {
        self.request = request
        self.hub = hub
        self.source = source
    }

    deinit {
        if !finished { FastCGIConnection.finish(request, hub: hub, source: source) }
        FastCGIConnection.freeRequest(request)
    }

    /// Writes the whole answer and ends the request.
    public func answer(_ bytes: [UInt8]) {
        precondition(!finished, "a detached request is answered once")
        FastCGIConnection.write(bytes, to: request)
        FastCGIConnection.finish(request, hub: hub, source: source)
        finished = true
    }
}
