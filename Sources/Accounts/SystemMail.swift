import Cryptography
import FastCGI
import Foundation
import Messaging

/// The mail the instance itself sends about accounts: address verification, "someone tried to
/// register with your address", invitations and password resets. It belongs to no workspace:
/// the relay is the operator's (`ENTERCRM_SYSTEM_SMTP_HOST`, `_PORT`, `_STARTTLS`,
/// `_USERNAME`, `_PASSWORD`, from `ENTERCRM_SYSTEM_MAIL_FROM`), through the same
/// `MailTransport` and MIME builder as campaigns. With no relay, messages go to the
/// development mailbox (`make up`), named so that only the account they are for can read
/// them in the console (`account-<user id>-…`), or nobody (`address-…`: an invitation to
/// an address that has no verified account yet). The tokens are never in an API answer.
package enum SystemMail {
    /// Who may read a message of the development mailbox through the console.
    package enum Reader {
        case account(Int)
        case nobody
    }

    package struct Letter {
        var to: String
        var toName: String?
        var subject: String
        var paragraphs: [String]
        var link: (label: String, url: String)?

        package init(to: String, toName: String? = nil, subject: String, paragraphs: [String], link: (label: String, url: String)? = nil) {
            self.to = to
            self.toName = toName
            self.subject = subject
            self.paragraphs = paragraphs
            self.link = link
        }
    }

    static func transport(_ env: [String: String], reader: Reader, kind: String) -> MailTransport {
        if let host = env["ENTERCRM_SYSTEM_SMTP_HOST"], !host.isEmpty {
            return SMTPClient(SMTPConfiguration(
                host: host, port: env["ENTERCRM_SYSTEM_SMTP_PORT"].flatMap(Int.init) ?? 587,
                startTLS: env["ENTERCRM_SYSTEM_SMTP_STARTTLS"] != "off",
                username: env["ENTERCRM_SYSTEM_SMTP_USERNAME"].flatMap { $0.isEmpty ? nil : $0 },
                password: env["ENTERCRM_SYSTEM_SMTP_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }))
        }
        let box = DevMailbox(directory: DevMailbox.defaultDirectory(env))
        switch reader {
        case .account(let id): box.nextName = "account-\(id)-\(kind)-\(Random.hex(bytes: 8))"
        case .nobody: box.nextName = "address-\(kind)-\(Random.hex(bytes: 8))"
        }
        return box
    }

    /// A console link: `<public URL>/#/<page>?token=…` (a fragment, so it reaches no access log).
    package static func link(_ page: String, token: String, env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        "\(consoleBase(env))/#/\(page)?token=\(token)"
    }

    /// The console's address, as links in system mail use it.
    package static func consoleBase(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        CampaignLinks.publicBase(env)
    }

    /// Sends one letter. A failure is logged, never shown: the answer must not depend on it.
    /// Returns whether the transport took it.
    @discardableResult
    package static func send(_ letter: Letter, reader: Reader, kind: String,
                     env: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        let from = env["ENTERCRM_SYSTEM_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 } ?? "accounts@entercrm.localhost"
        var text = letter.paragraphs.joined(separator: "\n\n")
        var html = letter.paragraphs.map { "<p>\(MailTemplate.escapeHTML($0))</p>" }.joined(separator: "\n")
        if let link = letter.link {
            text += "\n\n\(link.label): \(link.url)\n"
            let url = MailTemplate.escapeHTML(link.url)
            html += "\n<p><a href=\"\(url)\">\(MailTemplate.escapeHTML(link.label))</a></p>"
            html += "\n<p style=\"color:#555;font-size:13px\">Or open this address: <span style=\"word-break:break-all\">\(url)</span></p>"
        }
        text += "\n\n-- \nEnterCRM\n"
        let message = MailMessage(fromEmail: from, fromName: "EnterCRM", to: letter.to, toName: letter.toName,
                                  subject: letter.subject, html: "<!doctype html><html><body>\(html)</body></html>",
                                  text: text, messageID: "\(Random.hex(bytes: 16))@\(from.split(separator: "@").last ?? "entercrm")")
        let transport = transport(env, reader: reader, kind: kind)
        defer { transport.close() }
        switch transport.send(from: from, to: letter.to, data: message.rendered()) {
        case .sent: return true
        case .permanent(let why), .temporary(let why), .unknown(let why):
            Log.warning("system mail (\(kind)) not sent: \(why)")
            return false
        }
    }
}
