import CFastCGI
import Glibc

/// The master of a php-fpm-like pool: it owns the listening socket, starts `workers`
/// worker processes that inherit it, restarts any that die, and answers signals:
///
/// - SIGTERM, SIGINT, SIGQUIT: drain every worker (each finishes its requests), then exit.
/// - SIGHUP: replace the workers one at a time. Each new worker is started and reports
///   ready before the old one is asked to drain, so the socket is never without takers.
///
/// Workers are this same executable started again (`executable` + `arguments`), with the
/// listening socket as descriptor 3 and a readiness pipe as descriptor 4.
public final class ProcessPool {
    public struct Configuration: Sendable {
        public var workers: Int
        public var executable: String
        public var arguments: [String]
        public var pidFile: String?
        /// Seconds a draining worker may take before it is killed.
        public var drainTimeout: Double = 30

        public init(workers: Int, executable: String, arguments: [String], pidFile: String? = nil) {
            self.workers = workers
            self.executable = executable
            self.arguments = arguments
            self.pidFile = pidFile
        }
    }

    public static let listenFD: Int32 = 3
    public static let readyFD: Int32 = 4

    private let configuration: Configuration
    private let listener: Listener
    private var workers: [pid_t: Double] = [:]   // pid → start time
    private var stopping = false
    private var spawnDelay = 0.0
    private var nextSpawnAt = 0.0

    public init(configuration: Configuration, listener: Listener) {
        self.configuration = configuration
        self.listener = listener
    }

    /// Runs until a stop signal has drained every worker.
    public func run() throws {
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD] { sigaddset(&signals, s) }
        sigprocmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        if let pidFile = configuration.pidFile { writePIDFile(pidFile) }
        defer {
            listener.close()
            if let pidFile = configuration.pidFile { unlink(pidFile) }
        }
        Log.info("master started: \(configuration.workers) workers")
        try fillUp()

        while !stopping {
            var info = siginfo_t()
            var timeout = timespec(tv_sec: 1, tv_nsec: 0)
            let received = sigtimedwait(&signals, &info, &timeout)
            switch received {
            case SIGTERM, SIGINT, SIGQUIT:
                Log.info("master: signal \(received), draining workers")
                stopping = true
            case SIGHUP:
                Log.info("master: SIGHUP, replacing workers one by one")
                reload()
            default:
                break
            }
            reapExited()
            if !stopping { try? fillUp() }
        }
        stopAll()
        Log.info("master stopped")
    }

    /// Starts workers until there are as many as configured, honouring the crash back-off.
    private func fillUp() throws {
        while workers.count < configuration.workers {
            if monotonicSeconds() < nextSpawnAt { return }
            let pid = try spawn()
            workers[pid] = monotonicSeconds()
        }
    }

    /// Starts one worker and waits until it reports ready (or dies).
    private func spawn() throws -> pid_t {
        var pipeFDs: [Int32] = [-1, -1]
        try syscall("pipe") { pipe(&pipeFDs) }
        defer { close(pipeFDs[0]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, listener.fd, Self.listenFD)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], Self.readyFD)

        let spawned = Result { try spawnChild(configuration.executable, configuration.arguments, actions: &actions) }
        close(pipeFDs[1])
        let pid = try spawned.get()

        // Ready when the worker writes its byte; end of file means it died first.
        var pfd = pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)
        let deadline = monotonicSeconds() + 15
        while monotonicSeconds() < deadline {
            let n = poll(&pfd, 1, 100)
            if n > 0 {
                var byte: UInt8 = 0
                if read(pipeFDs[0], &byte, 1) == 1 { Log.info("worker \(pid) ready") }
                break
            }
        }
        return pid
    }

    /// Collects exited workers; those that died on their own are replaced by `fillUp`.
    private func reapExited() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            guard let started = workers.removeValue(forKey: pid) else { continue }
            if stopping { continue }
            let exitedNormally = (status & 0x7f) == 0
            let description = exitedNormally ? "exit status \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
            Log.warning("worker \(pid) died (\(description)); starting a replacement")
            // A worker that dies young is probably crashing at start: back off up to 5 s.
            if monotonicSeconds() - started < 2 {
                spawnDelay = min(max(spawnDelay * 2, 0.1), 5)
                nextSpawnAt = monotonicSeconds() + spawnDelay
            } else {
                spawnDelay = 0
            }
        }
    }

    /// Replaces each current worker: start the new one, wait for it, then drain the old.
    private func reload() {
        for old in Array(workers.keys) {
            guard workers[old] != nil else { continue }
            do {
                let fresh = try spawn()
                workers[fresh] = monotonicSeconds()
            } catch {
                Log.error("reload: cannot start a worker: \(error)")
                return
            }
            kill(old, SIGTERM)
            waitFor(old)
            workers.removeValue(forKey: old)
        }
        Log.info("reload done: workers \(workers.keys.sorted())")
    }

    /// Waits for one worker to exit, killing it after the drain timeout.
    private func waitFor(_ pid: pid_t) {
        let deadline = monotonicSeconds() + configuration.drainTimeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if monotonicSeconds() > deadline {
                Log.warning("worker \(pid) did not drain in time; killing it")
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return
            }
            usleep(10_000)
        }
    }

    private func stopAll() {
        for pid in workers.keys { kill(pid, SIGTERM) }
        for pid in Array(workers.keys) { waitFor(pid) }
        workers.removeAll()
    }
}
