import Glibc

/// A flag set once and read from many threads, guarded by a mutex.
public final class AtomicFlag: @unchecked Sendable {
    // @unchecked: every access to `value` holds `mutex`.
    private var mutex = pthread_mutex_t()
    private var value = false

    public init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    public var isSet: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return value
    }

    public func set() {
        pthread_mutex_lock(&mutex)
        value = true
        pthread_mutex_unlock(&mutex)
    }
}
