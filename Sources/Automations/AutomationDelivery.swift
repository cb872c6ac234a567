import Cryptography
import Foundation
import MariaDB
import Outbound
import Web
import Messaging
import Webhooks

enum AutomationError: Error, CustomStringConvertible {
    case action(String)
    /// Tests only: stands for the process dying at a chosen point of a step.
    case simulatedCrash

    var description: String {
        switch self {
        case .action(let s): return s
        case .simulatedCrash: return "simulated crash"
        }
    }
}

enum AutomationDelivery {
    static func messenger() -> Messenger { WorkspaceMessenger() }

    /// `sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>` with the automation's secret.
    static func signature(secret: String, timestamp: Int, body: [UInt8]) -> String {
        "sha256=" + Digest.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body).hexString
    }

    /// POSTs `body` to `url`, signed, through the outbound guard; a status outside 2xx is an
    /// error (the step retries). Errors are categories ("refused: private address",
    /// "timed out", "answered 503"), never the socket's text.
    static func postWebhook(url: String, body: [UInt8], secret: String, deliveryID: String, timeout: Double = 10,
                            policy: OutboundPolicy = .fromEnvironment()) throws {
        let timestamp = Int(Date().timeIntervalSince1970)
        let outcome = WebhookCall.post(url: url, headers: [
            ("User-Agent", "EnterCRM-Automations/1"),
            ("X-EnterCRM-Timestamp", String(timestamp)),
            ("X-EnterCRM-Delivery", deliveryID),
            ("X-EnterCRM-Signature", signature(secret: secret, timestamp: timestamp, body: body)),
        ], body: body, timeout: timeout, policy: policy)
        if let error = outcome.error {
            throw AutomationError.action(outcome.status == nil ? "webhook: \(error)" : "webhook \(error)")
        }
    }
}
