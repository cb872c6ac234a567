import Foundation

/// An answer that another thread gives later. A handler returns `Response.pending(p)` and
/// whoever holds `p` calls `fulfil` once; meanwhile the request thread has gone on to other
/// requests (the server detaches the FastCGI request, see `HTTPServer`). Tracking events use
/// it: they wait for a group commit without holding a pool thread.
///
/// Headers set on the placeholder response (CORS, say) are added to the final one.
public final class PendingResponse: @unchecked Sendable {
    // @unchecked: every field is read and written under `lock`.
    private let lock = NSLock()
    private var response: Response?
    private var observers: [(Response) -> Void] = []
    private var deliver: ((Response) -> Void)?
    private var settled: DispatchSemaphore?

    public init() {}

    /// Gives the answer: runs the observers, then sends it (or keeps it for `take`).
    public func fulfil(_ response: Response) {
        lock.lock()
        precondition(self.response == nil, "a pending response is fulfilled once")
        self.response = response
        let observers = self.observers, deliver = self.deliver, settled = self.settled
        self.observers = []
        self.deliver = nil
        lock.unlock()
        for observe in observers { observe(response) }
        deliver?(response)
        settled?.signal()
    }

    /// Runs `observe` with the answer when it is given (at once if it was).
    public func observe(_ observe: @escaping (Response) -> Void) {
        lock.lock()
        if let response {
            lock.unlock()
            observe(response)
            return
        }
        observers.append(observe)
        lock.unlock()
    }

    /// The answer if it was given already; otherwise `deliver` is kept, to be called with it
    /// on the fulfilling thread, and nil is returned.
    func takeOrDeliver(_ deliver: @escaping (Response) -> Void) -> Response? {
        lock.lock()
        defer { lock.unlock() }
        if let response { return response }
        self.deliver = deliver
        return nil
    }

    /// The answer if it was given already.
    var current: Response? {
        lock.lock()
        defer { lock.unlock() }
        return response
    }

    /// Blocks until the answer is given (callers that are not the server: tests, in-process
    /// clients).
    public func wait() -> Response {
        lock.lock()
        if let response {
            lock.unlock()
            return response
        }
        let semaphore = settled ?? DispatchSemaphore(value: 0)
        settled = semaphore
        lock.unlock()
        semaphore.wait()
        return current!
    }
}

extension Response {
    /// A placeholder for an answer given later by another thread.
    public static func pending(_ pending: PendingResponse) -> Response {
        var response = Response(status: 0)
        response.pending = pending
        return response
    }

    /// The final answer of a placeholder, with the placeholder's headers added.
    func completed(by final: Response) -> Response {
        var answer = final
        answer.headers += headers
        return answer
    }

    /// This response, or for a placeholder its final answer once given (blocking until then).
    public func settled() -> Response {
        guard let pending else { return self }
        return completed(by: pending.wait())
    }
}
