import Cryptography
import Foundation
import MariaDB
import Web
import Core

/// A workspace's delivery settings, over the instance defaults (`ENTERCRM_SMTP_HOST`,
/// `_PORT`, `_STARTTLS`, `_USERNAME`, `_PASSWORD`, `ENTERCRM_MAIL_FROM`, `_FROM_NAME`,
/// `ENTERCRM_SEND_RATE`). With no relay anywhere, mail goes to the development mailbox.
package struct MailSettings {
    package var smtp: SMTPConfiguration?
    package var fromEmail: String
    package var fromName: String?
    /// Messages a second.
    package var sendRate: Int
    var smsWebhookURL: String?
    var smsWebhookSecret: String?

    static let defaultRate = 1000

    package static func load(_ db: Connection, _ tenant: Tenant, env: [String: String] = ProcessInfo.processInfo.environment) throws -> MailSettings {
        let row = try db.queryOne("SELECT * FROM campaign_settings WHERE tenant_id = \(tenant)")
        func text(_ column: String, _ variable: String) -> String? {
            if let v = row?.optionalString(column), !v.isEmpty { return v }
            if let v = env[variable], !v.isEmpty { return v }
            return nil
        }
        var settings = MailSettings(
            smtp: nil,
            fromEmail: text("from_email", "ENTERCRM_MAIL_FROM") ?? "campaigns@entercrm.localhost",
            fromName: text("from_name", "ENTERCRM_MAIL_FROM_NAME"),
            sendRate: row?.optionalInt("send_rate") ?? env["ENTERCRM_SEND_RATE"].flatMap(Int.init) ?? defaultRate,
            smsWebhookURL: text("sms_webhook_url", "ENTERCRM_SMS_WEBHOOK_URL"),
            smsWebhookSecret: text("sms_webhook_secret", "ENTERCRM_SMS_WEBHOOK_SECRET"))
        if let host = text("smtp_host", "ENTERCRM_SMTP_HOST") {
            let ownHost = row?.optionalString("smtp_host").map { !$0.isEmpty } ?? false
            let port = (ownHost ? row?.optionalInt("smtp_port") : env["ENTERCRM_SMTP_PORT"].flatMap(Int.init)) ?? 587
            let startTLS = ownHost ? ((row?.optionalInt("smtp_starttls") ?? 1) != 0) : env["ENTERCRM_SMTP_STARTTLS"] != "off"
            // The account goes with its relay: the instance's username and password only to
            // the instance's host, never to a host a workspace typed.
            func credential(_ column: String, _ variable: String) -> String? {
                ownHost ? row?.optionalString(column).flatMap { $0.isEmpty ? nil : $0 } : text(column, variable)
            }
            settings.smtp = SMTPConfiguration(host: host, port: port, startTLS: startTLS,
                                              username: credential("smtp_username", "ENTERCRM_SMTP_USERNAME"),
                                              password: credential("smtp_password", "ENTERCRM_SMTP_PASSWORD"))
        }
        settings.sendRate = max(1, settings.sendRate)
        return settings
    }
}

extension MailSettings {
    /// The mail transport for these settings: the relay, or the development mailbox.
    package func transport() -> MailTransport {
        if let smtp { return SMTPClient(smtp) }
        return DevMailbox(directory: DevMailbox.defaultDirectory())
    }
}

/// The public addresses of the open pixel, click redirects and unsubscribe page, and the
/// signature that keeps the click redirect from being an open redirect.
package struct CampaignLinks: Sendable {
    let base: String
    private let key: [UInt8]

    package init(base: String, secret: [UInt8]) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        key = Digest.hmacSHA256(key: secret, message: Array("entercrm campaign links v1".utf8))
    }

    /// `ENTERCRM_PUBLIC_URL`, else the stack's own HTTPS address.
    package static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> CampaignLinks {
        CampaignLinks(base: publicBase(env), secret: Array((env["ENTERCRM_JWT_SECRET"] ?? "").utf8))
    }

    package static func publicBase(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let url = env["ENTERCRM_PUBLIC_URL"], !url.isEmpty { return url }
        return "https://localhost:\(env["ENTERCRM_HTTPS_PORT"] ?? "8443")"
    }

    package func pixel(_ token: String) -> String { "\(base)/t/o/\(token).gif" }
    package func unsubscribe(_ token: String) -> String { "\(base)/t/u/\(token)" }

    package func click(_ token: String, _ url: String) -> String {
        "\(base)/t/c/\(token)?u=\(Self.percentEncoded(url))&s=\(signature(token, url))"
    }

    func signature(_ token: String, _ url: String) -> String {
        String(Digest.hmacSHA256(key: key, message: Array((token + "\n" + url).utf8)).hexString.prefix(32))
    }

    package func verify(_ token: String, _ url: String, _ signature: String) -> Bool {
        Digest.constantTimeEquals(Array(self.signature(token, url).utf8), Array(signature.utf8))
    }

    /// The unsubscribe token of an automation's email (`automation_messages.id`): `a`, the
    /// id, `s` and a signature, so that nobody can unsubscribe someone else by counting ids.
    /// Never 24 characters long, the length of a campaign message's token.
    func automationToken(messageID: Int) -> String {
        let signature = Digest.hmacSHA256(key: key, message: Array("automation unsubscribe\n\(messageID)".utf8)).hexString.prefix(32)
        return "a\(messageID)s\(signature)"
    }

    /// The automation message id of an unsubscribe token, when its signature holds.
    package func automationMessageID(token: String) -> Int? {
        guard token.count <= 64, token.hasPrefix("a"), let s = token.firstIndex(of: "s"),
              let id = Int(token[token.index(after: token.startIndex)..<s]), id > 0 else { return nil }
        return Digest.constantTimeEquals(Array(automationToken(messageID: id).utf8), Array(token.utf8)) ? id : nil
    }

    static func percentEncoded(_ s: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
