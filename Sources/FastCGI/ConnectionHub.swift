import CFastCGI
import Glibc
import Platform

/// The connections of one worker process that are waiting for their next request, shared
/// by all its threads.
///
/// A thread is not tied to a connection: nginx keeps idle connections open between
/// requests (`fastcgi_keep_conn`), and a kept connection that holds a thread while idle
/// would leave requests on new connections waiting in the listen queue. Instead every idle
/// kept connection sits in one epoll set with the listening socket and the wake-up
/// descriptor, and whichever thread is free takes whatever is ready first: a request on a
/// kept connection, or a new connection to accept.
///
/// Kept connections are registered one-shot, so exactly one thread takes each; the thread
/// parks it again after answering. Idle connections are also listed under a mutex, so that a
/// drain closes them at once and nginx sends its next request to another worker (those with a
/// request already waiting are answered first).
public final class ConnectionHub: Sendable {
    // The epoll descriptor is safe to use from every thread.
    private let epoll: Int32
    private let listenFD: Int32
    private let wakeFD: Int32
    private struct Parked {
        var idle = Set<Int32>()
        var closed = false
    }
    private let parked = Lock(Parked())

    /// Where a descriptor handed out by `take` came from.
    public enum Source { case accepted, kept }

    public init(listenFD: Int32, wakeFD: Int32) throws {
        self.listenFD = listenFD
        self.wakeFD = wakeFD
        epoll = try syscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        // Every worker process waits on the same listening socket, level-triggered: a new
        // connection wakes an idle thread in each process and the first to accept takes it.
        // (EPOLLEXCLUSIVE would hand it to one process even if all its threads are busy, and
        // a kept connection stays with the process that accepted it.)
        try syscall("epoll_ctl") { cfastcgi_epoll_add_level(epoll, listenFD) }
        // Level-triggered and never read: once written, every waiting thread sees it.
        try syscall("epoll_ctl") { cfastcgi_epoll_add_level(epoll, wakeFD) }
    }

    deinit {
        Glibc.close(epoll)
    }

    /// Blocks until there is work: returns a connection whose next request can be read, or
    /// nil once the wake-up descriptor has fired (drain), after closing the idle connections.
    /// `beforeBlocking` runs when nothing is ready at once, just before the thread sleeps
    /// (it flushes what the thread has buffered).
    public func take(beforeBlocking: () -> Void = {}) -> (fd: Int32, source: Source)? {
        while true {
            var fd = cfastcgi_epoll_wait_one(epoll, 0)
            if fd < 0, errno == EAGAIN {
                beforeBlocking()
                fd = cfastcgi_epoll_wait_one(epoll, -1)
            }
            if fd < 0 { continue }   // EINTR
            if fd == wakeFD {
                // Draining: done once no idle connection holds a request nginx already sent.
                if closeIdle() { return nil }
                continue
            }
            if fd == listenFD {
                let connection = accept(listenFD, nil, nil)
                if connection < 0 { continue }   // another thread or process took it (EAGAIN)
                // A peer that stalls mid-request cannot hold this thread forever.
                var timeout = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                return (connection, .accepted)
            }
            // Absent when a drain has closed it since epoll reported it.
            let owned = parked.withLock { $0.idle.remove(fd) != nil }
            if owned { return (fd, .kept) }
        }
    }

    /// Hands back a kept connection once its request is answered; it waits in the epoll set
    /// for nginx's next request on it. During a drain it is closed instead.
    public func park(_ fd: Int32, source: Source) {
        parked.withLock { parked in
            if parked.closed {
                Glibc.close(fd)
                return
            }
            // Listed before it is armed: the thread that epoll hands it to must find it here.
            parked.idle.insert(fd)
            if cfastcgi_epoll_arm_once(epoll, fd, source == .accepted ? 1 : 0) != 0 {
                parked.idle.remove(fd)
                Glibc.close(fd)
            }
        }
    }

    /// Starts a drain: stops accepting, closes every idle kept connection that has no request
    /// waiting on it, and every connection parked from now on. A request nginx has already
    /// written on an idle connection is still answered (closing its connection unread would
    /// make nginx answer 502, and nginx does not retry a POST it has sent): such connections
    /// stay armed and a thread takes them. Returns true when none is left.
    @discardableResult
    public func closeIdle() -> Bool {
        parked.withLock { parked in
            if !parked.closed {
                parked.closed = true
                // The other workers keep accepting on the shared socket.
                _ = cfastcgi_epoll_register(epoll, EPOLL_CTL_DEL, listenFD, 0)
            }
            for fd in parked.idle where !Self.hasInput(fd) {
                Glibc.close(fd)
                parked.idle.remove(fd)
            }
            return parked.idle.isEmpty
        }
    }

    /// Whether a request (or nginx's close) is waiting to be read on the connection.
    private static func hasInput(_ fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) > 0
    }
}
