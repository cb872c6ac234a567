import Cryptography
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MariaDB
import Web

/// SMS through the workspace's HTTP provider webhook: a JSON POST whose body is signed with
/// HMAC-SHA-256 (`X-EnterCRM-Signature: sha256=<hex>`). The provider's answer sets the
/// message's status: 2xx with `"status"` other than failed/rejected is sent; 4xx or a
/// failed/rejected status bounces; 5xx or no connection is retried.
final class SMSWebhook: MailTransport {
    let url: URL?
    let secret: [UInt8]

    init(_ settings: MailSettings) {
        url = settings.smsWebhookURL.flatMap(URL.init(string:))
        secret = Array((settings.smsWebhookSecret ?? "").utf8)
    }

    static func payload(campaign: Row, message: Int, to: String, values: MergeValues, token: String, links: CampaignLinks) -> [UInt8] {
        var values = values
        values.unsubscribeURL = links.unsubscribe(token)
        let text = MailTemplate.merge(campaign.optionalString("body") ?? "", values) { $0 }
        return JSONWriter.bytes([
            "message_id": .int(message),
            "campaign_id": .from(campaign.optionalInt("id")),
            "to": .string(to),
            "body": .string(text),
        ])
    }

    static func signature(secret: [UInt8], body: [UInt8]) -> String {
        "sha256=" + Digest.hmacSHA256(key: secret, message: body).hexString
    }

    /// The answer of one request, handed from URLSession's queue to the sending thread.
    private final class Answer: @unchecked Sendable {
        // @unchecked: written once by the completion handler before `done` is signalled,
        // read only after waiting on it.
        var status = 0
        var body = Data()
        var error: String?
        let done = DispatchSemaphore(value: 0)
    }

    func send(from: String, to: String, data: [UInt8]) -> SendOutcome {
        guard let url else { return .temporary("no SMS webhook is configured for this workspace") }
        var request = URLRequest(url: url, timeoutInterval: 20)
        request.httpMethod = "POST"
        request.httpBody = Data(data)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(Self.signature(secret: secret, body: data), forHTTPHeaderField: "X-EnterCRM-Signature")
        let answer = Answer()
        URLSession.shared.dataTask(with: request) { body, response, error in
            answer.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            answer.body = body ?? Data()
            answer.error = error.map { "\($0)" }
            answer.done.signal()
        }.resume()
        answer.done.wait()
        if answer.status == 0 {
            return .temporary("the SMS webhook did not answer: \(answer.error ?? "no response")")
        }
        let json = (try? JSONParser.parse(Array(answer.body))) ?? .null
        let status = json["status"]?.stringValue?.lowercased() ?? ""
        switch answer.status {
        case 200..<300:
            if status == "failed" || status == "rejected" || status == "undeliverable" {
                return .permanent("the provider answered \(status)")
            }
            return .sent(json["id"]?.stringValue ?? "")
        case 400..<500: return .permanent("the provider answered \(answer.status)")
        default: return .temporary("the provider answered \(answer.status)")
        }
    }

    func close() {}
}
