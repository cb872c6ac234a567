import Cryptography
import Foundation
import MariaDB
import Outbound
import Web

/// SMS through the workspace's HTTP provider webhook: a JSON POST whose body is signed with
/// HMAC-SHA-256 (`X-EnterCRM-Signature: sha256=<hex>`). The provider's answer sets the
/// message's status: 2xx with `"status"` other than failed/rejected is sent; 4xx or a
/// failed/rejected status, a 3xx (never followed) bounces; 5xx or no connection is retried; a target
/// the outbound guard refuses bounces. The call goes through `OutboundHTTP` (no redirects,
/// internal addresses refused), and its errors are categories.
package final class SMSWebhook: MailTransport {
    let url: String?
    let secret: [UInt8]
    let policy: OutboundPolicy

    package init(_ settings: MailSettings, policy: OutboundPolicy = .fromEnvironment()) {
        url = settings.smsWebhookURL
        secret = Array((settings.smsWebhookSecret ?? "").utf8)
        self.policy = policy
    }

    static func signature(secret: [UInt8], body: [UInt8]) -> String {
        "sha256=" + Digest.hmacSHA256(key: secret, message: body).hexString
    }

    package func send(from: String, to: String, data: [UInt8]) -> SendOutcome {
        guard let url else { return .temporary("no SMS webhook is configured for this workspace") }
        let answer: HTTPAnswer
        do {
            answer = try OutboundHTTP.post(url, headers: [
                ("Content-Type", "application/json"),
                ("X-EnterCRM-Signature", Self.signature(secret: secret, body: data)),
            ], body: data, timeout: 20, policy: policy)
        } catch {
            // A target the guard refuses will not become acceptable by waiting: it bounces.
            return error == .refused || error == .invalid ? .permanent("the SMS webhook: \(error)") : .temporary("the SMS webhook: \(error)")
        }
        let json = (try? JSONParser.parse(answer.body)) ?? .null
        let status = json["status"]?.stringValue?.lowercased() ?? ""
        switch answer.status {
        case 200..<300:
            if status == "failed" || status == "rejected" || status == "undeliverable" {
                return .permanent("the provider answered \(status)")
            }
            return .sent(json["id"]?.stringValue ?? "")
        // A redirect is not followed (the outbound guard's rule), so waiting does not help.
        case 300..<500: return .permanent("the provider answered \(answer.status)")
        default: return .temporary("the provider answered \(answer.status)")
        }
    }

    package func close() {}
}
