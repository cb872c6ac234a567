import Cryptography
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One message an automation action sends.
struct OutboundMessage: Sendable {
    enum Channel: String, Sendable { case email, sms, notify, webhook }
    let channel: Channel
    /// Unique per enrolment step: the same step never makes two messages.
    let key: String
    let to: String
    let subject: String
    let body: String
}

/// The delivery seam of `send_email`, `send_sms` and `notify_user`. For now messages go to
/// the dev mailbox (`$ENTERCRM_RUN_DIR/mail/`, RFC 5322 `.eml` files); after the campaigns
/// branch is merged, `AutomationDelivery.messenger()` is to return its SMTP delivery.
protocol AutomationMessenger: Sendable {
    func deliver(_ message: OutboundMessage) throws
}

/// Writes each message as a file named by its key, atomically (temporary file, then
/// rename); a key already delivered is not written again.
struct MailboxMessenger: AutomationMessenger {
    let directory: String

    func deliver(_ m: OutboundMessage) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = m.key.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        let path = directory + "/automation-" + String(name) + (m.channel == .sms ? ".sms.txt" : ".eml")
        if FileManager.default.fileExists(atPath: path) { return }
        let text: String
        if m.channel == .sms {
            text = "To: \(m.to)\r\n\r\n\(m.body)\r\n"
        } else {
            let date = DateFormatter()
            date.locale = Locale(identifier: "en_US_POSIX")
            date.timeZone = TimeZone(identifier: "UTC")
            date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
            func header(_ s: String) -> String { s.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ") }
            text = """
                From: EnterCRM Automations <automations@entercrm.local>\r
                To: \(header(m.to))\r
                Subject: \(header(m.subject))\r
                Date: \(date.string(from: Date()))\r
                Message-ID: <\(name)@automations.entercrm.local>\r
                MIME-Version: 1.0\r
                Content-Type: text/plain; charset=utf-8\r
                Content-Transfer-Encoding: 8bit\r
                X-EnterCRM-Channel: \(m.channel.rawValue)\r
                \r
                \(m.body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"))\r

                """
        }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw AutomationError.delivery("cannot write to the mailbox \(directory)")
        }
        _ = rename(temporary, path)
    }
}

enum AutomationError: Error, CustomStringConvertible {
    case delivery(String)
    case action(String)
    /// Tests only: stands for the process dying at a chosen point of a step.
    case simulatedCrash

    var description: String {
        switch self {
        case .delivery(let s), .action(let s): return s
        case .simulatedCrash: return "simulated crash"
        }
    }
}

enum AutomationDelivery {
    /// The dev mailbox: `$ENTERCRM_RUN_DIR/mail`, or a temporary directory without a run dir.
    static func mailDirectory(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let run = env["ENTERCRM_RUN_DIR"], !run.isEmpty { return run + "/mail" }
        return NSTemporaryDirectory() + "entercrm-mail"
    }

    static func messenger() -> AutomationMessenger { MailboxMessenger(directory: mailDirectory()) }

    /// `sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>` with the automation's secret.
    static func signature(secret: String, timestamp: Int, body: [UInt8]) -> String {
        "sha256=" + Digest.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body).hexString
    }

    /// POSTs `body` to `url`, signed; a status outside 2xx is an error (the step retries).
    static func postWebhook(url: String, body: [UInt8], secret: String, deliveryID: String, timeout: Double = 10) throws {
        guard let u = URL(string: url) else { throw AutomationError.action("invalid webhook url") }
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = URLRequest(url: u, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("EnterCRM-Automations/1", forHTTPHeaderField: "User-Agent")
        request.setValue(String(timestamp), forHTTPHeaderField: "X-EnterCRM-Timestamp")
        request.setValue(deliveryID, forHTTPHeaderField: "X-EnterCRM-Delivery")
        request.setValue(signature(secret: secret, timestamp: timestamp, body: body), forHTTPHeaderField: "X-EnterCRM-Signature")
        let box = WebhookOutcome()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { _, response, error in
            box.set(status: (response as? HTTPURLResponse)?.statusCode, error: error.map { String(describing: $0) })
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut { throw AutomationError.action("webhook timed out") }
        let (status, error) = box.get()
        if let error { throw AutomationError.action("webhook failed: \(error)") }
        guard let status, (200..<300).contains(status) else { throw AutomationError.action("webhook answered \(status ?? 0)") }
    }
}

/// The answer of one webhook call, handed from URLSession's thread to the caller.
final class WebhookOutcome: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var status: Int?
    private var error: String?

    func set(status: Int?, error: String?) {
        lock.lock()
        self.status = status
        self.error = error
        lock.unlock()
    }

    func get() -> (Int?, String?) {
        lock.lock()
        defer { lock.unlock() }
        return (status, error)
    }
}
