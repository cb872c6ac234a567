#if canImport(Glibc)
import Glibc
#endif

/// A value that several threads share, behind a pthread mutex: the project's one lock.
///
/// Not `Synchronization.Mutex`: on Linux with Swift 6.3 it is a priority-inheritance futex,
/// whose unlock hands the lock to the next waiter in the kernel, so a contended lock is much
/// slower (swiftlang/swift#88440, fixed after 6.3 by #88523). Measured here with
/// `BENCH_HEALTH_ONLY=1 Tests/bench/bench.sh`: with `Mutex` in the connection hub and the
/// other per-request locks, GET /v1/health fell from 20,099 to 15,161 req/s (0.71 → 0.51 of
/// the C hello ceiling). glibc's mutex unlocks without a hand-over.
public final class Lock<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched inside `withLock`, holding `mutex`.
    private var mutex = pthread_mutex_t()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Runs `body` with the value, holding the lock.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }
}
