#if canImport(Glibc)
import Glibc
#endif

// What the pool master and the jobs supervisor both need to run child processes.

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Writes this process's pid to `path` (a warning if it cannot).
func writePIDFile(_ path: String) {
    let text = "\(getpid())\n"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return Log.warning("cannot write pid file \(path)") }
    _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    close(fd)
}

/// Starts `executable` with `arguments` and `actions`: an empty signal mask, and the signals
/// a master handles back at their defaults in the child.
func spawnChild(_ executable: String, _ arguments: [String], actions: UnsafePointer<posix_spawn_file_actions_t>?) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT] { sigaddset(&defaults, s) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for arg in argv { free(arg) } }
    var pid = pid_t()
    let rc = posix_spawn(&pid, executable, actions, &attributes, argv, environ)
    if rc != 0 { throw SystemError(call: "posix_spawn(\(executable))", errno: rc) }
    return pid
}
