import CFastCGI
import Glibc

/// A small master that keeps one child process running, as the pool's master keeps its
/// workers (`entercrm jobs` runs its job runner under one):
///
/// - a child that dies abnormally (a signal, a non-zero exit) is started again, after a
///   back-off that doubles while it keeps dying young (0.5 s up to `maxBackoff`);
/// - SIGTERM, SIGINT, SIGQUIT are forwarded to the child, which drains (finishes its current
///   work); the master waits for it (killing it after `stopTimeout`) and exits;
/// - SIGHUP drains the child and starts a fresh one (a new binary, new configuration);
/// - a child that exits with status 0 on its own was stopped on purpose: the master exits too.
///
/// The child is `executable` + `arguments`, with `ENTERCRM_SUPERVISOR_PID` set to the
/// master's pid so that it can ask the kernel to kill it if the master dies (see
/// `Supervisor.bindToParent`): a child never outlives its master.
public final class Supervisor {
    public struct Configuration: Sendable {
        /// For the log: "job runner".
        public var name: String
        public var executable: String
        public var arguments: [String]
        public var pidFile: String?
        /// Seconds a draining child may take before it is killed.
        public var stopTimeout: Double = 300
        /// The longest pause between restarts of a child that keeps dying at start.
        public var maxBackoff: Double = 30
        /// A child that lived at least this long is healthy: its back-off starts over.
        public var healthyAfter: Double = 10

        public init(name: String, executable: String, arguments: [String], pidFile: String? = nil) {
            self.name = name
            self.executable = executable
            self.arguments = arguments
            self.pidFile = pidFile
        }
    }

    /// The environment variable that carries the master's pid to its child.
    public static let parentVariable = "ENTERCRM_SUPERVISOR_PID"

    private let configuration: Configuration
    private var child: pid_t = 0
    private var startedAt = 0.0
    private var backoff = 0.0
    private var nextStartAt = 0.0
    private var stopping = false
    private var restartRequested = false
    private var stopDeadline = Double.infinity

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Called first thing in the child: SIGKILL when the master dies (kill -9 of the master
    /// takes its runner with it, as kill -9 of a single-process runner did). Returns false
    /// when the master is already gone.
    public static func bindToParent() -> Bool {
        guard let text = getenv(parentVariable), let master = pid_t(String(cString: text)) else { return true }
        _ = cfastcgi_set_parent_death_signal(SIGKILL)
        return getppid() == master
    }

    /// Runs until a stop signal has drained the child, or the child stopped cleanly.
    public func run() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD] { sigaddset(&signals, s) }
        sigprocmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
        setenv(Self.parentVariable, "\(getpid())", 1)

        if let pidFile = configuration.pidFile { writePIDFile(pidFile) }
        defer { if let pidFile = configuration.pidFile { unlink(pidFile) } }
        Log.info("supervisor: keeping the \(configuration.name) running (master pid \(getpid()))")

        while true {
            if child == 0 {
                if stopping { break }
                if monotonicSeconds() >= nextStartAt {
                    do {
                        child = try spawn()
                        startedAt = monotonicSeconds()
                        Log.info("supervisor: \(configuration.name) started (pid \(child))")
                    } catch {
                        // The binary replaced mid-deploy, no memory: try again after the back-off.
                        backoff = min(max(backoff * 2, 0.5), configuration.maxBackoff)
                        nextStartAt = monotonicSeconds() + backoff
                        Log.error("supervisor: cannot start the \(configuration.name): \(error); trying again in \(backoff) s")
                    }
                }
            }
            var info = siginfo_t()
            var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            let received = sigtimedwait(&signals, &info, &timeout)
            switch received {
            case SIGTERM, SIGINT, SIGQUIT:
                if !stopping {
                    Log.info("supervisor: signal \(received), stopping the \(configuration.name)")
                    stopping = true
                    stopDeadline = monotonicSeconds() + configuration.stopTimeout
                    if child != 0 { kill(child, SIGTERM) }
                }
            case SIGHUP:
                if child != 0, !stopping {
                    Log.info("supervisor: SIGHUP, restarting the \(configuration.name)")
                    restartRequested = true
                    kill(child, SIGTERM)
                }
            default:
                break
            }
            if child != 0, stopping, monotonicSeconds() > stopDeadline {
                Log.warning("supervisor: the \(configuration.name) did not stop in \(Int(configuration.stopTimeout)) s; killing it")
                kill(child, SIGKILL)
                stopDeadline = .infinity
            }
            if reap() { break }
        }
        Log.info("supervisor: stopped")
    }

    /// Collects the child if it exited; returns true when the master should exit.
    private func reap() -> Bool {
        guard child != 0 else { return false }
        var status: Int32 = 0
        let pid = waitpid(child, &status, WNOHANG)
        guard pid == child else { return false }
        child = 0
        if stopping { return true }
        let signalled = (status & 0x7f) != 0
        let code = (status >> 8) & 0xff
        if restartRequested {
            restartRequested = false
            backoff = 0
            nextStartAt = monotonicSeconds()
            return false
        }
        if !signalled, code == 0 {
            Log.info("supervisor: the \(configuration.name) (pid \(pid)) exited on its own with status 0; stopping")
            return true
        }
        let lived = monotonicSeconds() - startedAt
        backoff = lived >= configuration.healthyAfter ? 0.5 : min(max(backoff * 2, 0.5), configuration.maxBackoff)
        nextStartAt = monotonicSeconds() + backoff
        let how = signalled ? "signal \(status & 0x7f)" : "exit status \(code)"
        let message = "supervisor: the \(configuration.name) (pid \(pid)) died (\(how)) after \((lived * 10).rounded() / 10) s; "
            + "starting it again in \(backoff) s"
        Log.warning(message)
        return false
    }

    private func spawn() throws -> pid_t {
        try spawnChild(configuration.executable, configuration.arguments, actions: nil)
    }
}
