import Foundation
import Outbound

/// One POST of JSON to a user-given URL through the outbound guard (`OutboundHTTP`: no
/// private targets, no redirects, time limits), judged as webhooks judge it: a 2xx is
/// delivered, anything else a failure with a category. Shared by webhook subscriptions and the
/// automation "call a URL" step.
package enum WebhookCall {
    package struct Outcome: Sendable {
        /// The answer's status; nil when there was none.
        package let status: Int?
        /// The error's category ("refused: private address", "timed out", "answered 503"); nil when delivered.
        package let error: String?
        package let milliseconds: Int
        /// The first 1 KB of the answer's body.
        package let response: String?

        package var delivered: Bool { error == nil }
    }

    package static func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Double = 10,
                             policy: OutboundPolicy = .fromEnvironment()) -> Outcome {
        let started = Date()
        func elapsed() -> Int { Int(Date().timeIntervalSince(started) * 1000) }
        do {
            let answer = try OutboundHTTP.post(url, headers: [("Content-Type", "application/json")] + headers, body: body,
                                               connectTimeout: min(5, timeout), timeout: timeout, policy: policy)
            // A cut in the middle of a character becomes U+FFFD: still at most 1,024 characters.
            let text = String(decoding: answer.body.prefix(1024), as: UTF8.self)
            let ok = (200..<300).contains(answer.status)
            return Outcome(status: answer.status, error: ok ? nil : "answered \(answer.status)", milliseconds: elapsed(),
                           response: text)
        } catch {
            return Outcome(status: nil, error: "\(error)", milliseconds: elapsed(), response: nil)
        }
    }
}
