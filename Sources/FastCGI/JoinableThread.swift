import Glibc

/// A POSIX thread that must be joined. Dropping one without `join()` is a programming error.
public final class JoinableThread {
    private var thread: pthread_t
    private var joined = false

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread with the given stack size.
    public init(stackSize: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) throws {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        let box = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            throw SystemError(call: "pthread_create", errno: rc)
        }
        self.thread = thread
    }

    public func join() {
        guard !joined else { return }
        pthread_join(thread, nil)
        joined = true
    }

    deinit {
        assert(joined, "a JoinableThread was dropped without join()")
    }
}
