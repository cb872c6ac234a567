import Foundation
import Platform

/// An answer that another thread gives later. A handler returns `Response.pending(p)` and
/// whoever holds `p` calls `fulfil` once; meanwhile the request thread has gone on to other
/// requests (the server detaches the FastCGI request, see `HTTPServer`). Tracking events use
/// it: they wait for a group commit without holding a pool thread.
///
/// Headers set on the placeholder response (CORS, say) are added to the final one.
public final class PendingResponse: Sendable {
    private struct State {
        var response: Response?
        var observers: [(Response) -> Void] = []
        var deliver: ((Response) -> Void)?
        var settled: DispatchSemaphore?
    }
    private let state = Lock(State())

    public init() {}

    /// Gives the answer: runs the observers, then sends it (or keeps it for `take`).
    public func fulfil(_ response: Response) {
        let (observers, deliver, settled) = state.withLock { s in
            precondition(s.response == nil, "a pending response is fulfilled once")
            s.response = response
            defer { s.observers = []; s.deliver = nil }
            return (s.observers, s.deliver, s.settled)
        }
        for observe in observers { observe(response) }
        deliver?(response)
        settled?.signal()
    }

    /// Runs `observe` with the answer when it is given (at once if it was).
    public func observe(_ observe: @escaping (Response) -> Void) {
        let given: Response? = state.withLock { s in
            if s.response == nil { s.observers.append(observe) }
            return s.response
        }
        if let given { observe(given) }
    }

    /// The answer if it was given already; otherwise `deliver` is kept, to be called with it
    /// on the fulfilling thread, and nil is returned.
    func takeOrDeliver(_ deliver: @escaping (Response) -> Void) -> Response? {
        state.withLock { s in
            if let response = s.response { return response }
            s.deliver = deliver
            return nil
        }
    }

    /// The answer if it was given already.
    var current: Response? { state.withLock { $0.response } }

    /// Blocks until the answer is given (callers that are not the server: tests, in-process
    /// clients).
    public func wait() -> Response {
        let semaphore: DispatchSemaphore? = state.withLock { s in
            if s.response != nil { return nil }
            if s.settled == nil { s.settled = DispatchSemaphore(value: 0) }
            return s.settled
        }
        semaphore?.wait()
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
