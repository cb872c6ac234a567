import Glibc

/// The listening socket that nginx connects to: a unix socket, or TCP for a remote nginx.
/// The master opens it once; every worker process inherits it and accepts on it.
public struct Listener: Sendable {
    public let fd: Int32
    /// The unix socket's path, removed by `close()`.
    public let path: String?

    /// Binds a unix socket at `path` (replacing a stale one) with the given file mode.
    public static func unix(path: String, mode: mode_t = 0o666, backlog: Int32 = 1024) throws -> Listener {
        let fd = try syscall("socket") { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw SystemError(call: "bind (path too long)", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        unlink(path)
        do {
            _ = try withUnsafePointer(to: &address) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try syscall("bind") { bind(fd, sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
            }
            try syscall("chmod") { chmod(path, mode) }
            try syscall("listen") { listen(fd, backlog) }
            try setNonBlocking(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        return Listener(fd: fd, path: path)
    }

    /// Binds a TCP socket on `host:port` (IPv4).
    public static func tcp(host: String, port: UInt16, backlog: Int32 = 1024) throws -> Listener {
        let fd = try syscall("socket") { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            Glibc.close(fd)
            throw SystemError(call: "inet_pton(\(host))", errno: EINVAL)
        }
        do {
            _ = try withUnsafePointer(to: &address) { pointer in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    try syscall("bind") { bind(fd, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            try syscall("listen") { listen(fd, backlog) }
            try setNonBlocking(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        return Listener(fd: fd, path: nil)
    }

    /// The socket every worker process shares must not block in accept: several processes
    /// wait for it in poll(), and all but one find the connection already taken.
    private static func setNonBlocking(_ fd: Int32) throws {
        let flags = try syscall("fcntl") { fcntl(fd, F_GETFL) }
        try syscall("fcntl") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Closes the socket and removes its file.
    public func close() {
        Glibc.close(fd)
        if let path { unlink(path) }
    }
}
