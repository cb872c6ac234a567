import Platform

/// A flag set once and read from many threads, guarded by a mutex.
public final class AtomicFlag: Sendable {
    private let value = Lock(false)

    public init() {}

    public var isSet: Bool {
        value.withLock { $0 }
    }

    public func set() {
        value.withLock { $0 = true }
    }
}
