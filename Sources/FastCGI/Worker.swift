import CFastCGI
import Glibc

/// Answers FastCGI requests. One value serves every thread of a worker process; each
/// thread makes its own `ThreadState` (its database connection, say) and keeps it.
public protocol FastCGIResponder: Sendable {
    associatedtype ThreadState
    func makeThreadState() -> ThreadState
    func respond(to connection: FastCGIConnection, state: ThreadState)
    func finishThreadState(_ state: ThreadState)
    /// The thread has no request to answer and is about to sleep (flush buffers here).
    func willWait(_ state: ThreadState)
}

extension FastCGIResponder {
    public func finishThreadState(_ state: ThreadState) {}
    public func willWait(_ state: ThreadState) {}
}

/// A worker process: `threads` threads accepting on the inherited listening socket.
///
/// SIGTERM, SIGINT and SIGQUIT start a drain: the worker stops accepting, idle kept
/// connections are closed at once (those with a request already waiting are answered first),
/// threads finish the request they are on, close its connection and exit; then `run`
/// returns. The worker also stops
/// when the master dies (PR_SET_PDEATHSIG).
public struct Worker<Responder: FastCGIResponder> {
    public let listenFD: Int32
    public let threads: Int
    public let responder: Responder
    /// Written once every thread is accepting, so that a reload can wait for it.
    public let readyFD: Int32?

    public init(listenFD: Int32, threads: Int, responder: Responder, readyFD: Int32? = nil) {
        self.listenFD = listenFD
        self.threads = threads
        self.responder = responder
        self.readyFD = readyFD
    }

    public func run() throws {
        let masterPID = getppid()
        _ = cfastcgi_set_parent_death_signal(SIGTERM)
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for s in [SIGTERM, SIGINT, SIGQUIT, SIGHUP] { sigaddset(&stopSignals, s) }
        // Blocked in every thread; the signal thread alone takes them with sigwait.
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        signal(SIGPIPE, SIG_IGN)
        if getppid() != masterPID { return }

        FastCGIConnection.initializeLibrary()
        // A pipe nobody reads: once written, its read end stays readable for every poller.
        var wakePipe: [Int32] = [-1, -1]
        try syscall("pipe") { pipe(&wakePipe) }
        let wakeFD = wakePipe[0], wakeWriteFD = wakePipe[1]
        let stopping = AtomicFlag()

        let hub = try ConnectionHub(listenFD: listenFD, wakeFD: wakeFD)
        let signalSet = stopSignals
        let signalThread = try JoinableThread(stackSize: 256 << 10) {
            var set = signalSet
            var received: Int32 = 0
            sigwait(&set, &received)
            stopping.set()
            // Idle kept connections close now, so that nginx sends its next requests to
            // another worker; connections in use close when their request is answered.
            hub.closeIdle()
            var byte: UInt8 = 1
            _ = Glibc.write(wakeWriteFD, &byte, 1)
        }

        let responder = self.responder
        var workers: [JoinableThread] = []
        for _ in 0..<threads {
            workers.append(try JoinableThread(stackSize: 1 << 20) {
                let state = responder.makeThreadState()
                let connection = FastCGIConnection(hub: hub)
                // Until the hub says the drain is done: a request already sent on an idle
                // kept connection is answered even after the stop signal.
                while connection.next(beforeBlocking: { responder.willWait(state) }) {
                    responder.respond(to: connection, state: state)
                    connection.finish()
                }
                responder.finishThreadState(state)
            })
        }
        if let readyFD {
            var byte: UInt8 = 0x52
            _ = Glibc.write(readyFD, &byte, 1)
            close(readyFD)
        }
        for thread in workers { thread.join() }
        // Every request thread is done; make sure the signal thread is too.
        if !stopping.isSet { kill(getpid(), SIGTERM) }
        signalThread.join()
        close(wakeFD)
        close(wakeWriteFD)
    }
}
