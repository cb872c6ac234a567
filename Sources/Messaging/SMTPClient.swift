import Foundation
import Outbound

/// What became of one message handed to a transport.
package enum SendOutcome: Equatable {
    /// Accepted (the relay's answer, or the provider's id).
    case sent(String)
    /// Refused for good (SMTP 5xx): the message bounced.
    case permanent(String)
    /// Refused for now (SMTP 4xx, or no connection before the message was handed over): try again later.
    case temporary(String)
    /// The connection broke after the message was handed over and before the relay answered:
    /// it may have been delivered, so it is never sent again (at most once).
    case unknown(String)
}

/// Hands messages to a relay, a mailbox or a provider. Not shared between threads.
package protocol MailTransport: AnyObject {
    func send(from: String, to: String, data: [UInt8]) -> SendOutcome
    func close()
}

/// Where and how to reach an SMTP relay.
package struct SMTPConfiguration: Sendable, Equatable {
    var host: String
    var port: Int
    var startTLS: Bool
    var username: String?
    var password: String?
    /// Seconds to wait for a connection or an answer.
    var timeout: Int = 20
    /// The name given in EHLO.
    var heloName: String = "entercrm.localhost"

    /// The memberwise initializer, written out: the implicit one is internal to this module.
    package init(host: String, port: Int, startTLS: Bool, username: String? = nil, password: String? = nil,
                 timeout: Int = 20, heloName: String = "entercrm.localhost") {
        self.host = host
        self.port = port
        self.startTLS = startTLS
        self.username = username
        self.password = password
        self.timeout = timeout
        self.heloName = heloName
    }

    /// A relay on loopback is the developer's own (a test server with a self-signed
    /// certificate, reachable only where `ENTERCRM_OUTBOUND_ALLOW` names it); anywhere else
    /// the certificate must verify against the system's CAs.
    var verifiesCertificate: Bool {
        host.lowercased() != "localhost" && IPAddress(host)?.internalRange != "loopback"
    }
}

/// The workspace's SMTP relay, through `OutboundSMTP` (libcurl behind the outbound guard:
/// the relay's address is vetted on every connection, internal addresses are refused unless
/// the operator's allow list names them). One connection is kept for a run of messages.
///
/// Outcomes: the relay's 5xx bounces and its 4xx is tried again later, with the relay's reply
/// as the error; a refused address bounces; a connection that failed before the message was
/// handed over is tried again, and one that failed after it (no final reply) is never sent
/// again. Errors of the connection are categories ("could not connect", "timed out",
/// "TLS failed"), never the socket's or libcurl's text.
package final class SMTPClient: MailTransport {
    let configuration: SMTPConfiguration
    private let smtp: OutboundSMTP

    package init(_ configuration: SMTPConfiguration, policy: OutboundPolicy = .fromEnvironment()) {
        self.configuration = configuration
        smtp = OutboundSMTP(OutboundSMTP.Relay(
            host: configuration.host, port: configuration.port, startTLS: configuration.startTLS,
            username: configuration.username, password: configuration.password, timeout: configuration.timeout,
            heloName: configuration.heloName, verifiesCertificate: configuration.verifiesCertificate), policy: policy)
    }

    package func send(from: String, to: String, data: [UInt8]) -> SendOutcome {
        switch smtp.send(from: from, to: to, data: data) {
        case .accepted(let reply):
            return .sent(reply)
        case let .refused(code, reply):
            let text = reply.hasPrefix(String(code)) ? reply : "answered \(code)"
            return code >= 500 ? .permanent(text) : .temporary(text)
        case let .failed(error, handedOver):
            if handedOver { return .unknown("no answer after the message was handed over: \(error)") }
            return error == .refused || error == .invalid ? .permanent(error.description) : .temporary(error.description)
        }
    }

    package func close() { smtp.close() }

    /// An address without anything that could end or extend an SMTP command.
    static func clean(_ address: String) -> String { OutboundSMTP.clean(address) }
}

/// The development mailbox: each message becomes an `.eml` file, and counts as sent.
package final class DevMailbox: MailTransport {
    let directory: String
    /// The file name of the next message (without extension), set by the caller.
    package var nextName = "message"

    package init(directory: String) { self.directory = directory }

    package func send(from: String, to: String, data: [UInt8]) -> SendOutcome {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/" + nextName + ".eml"
            try Data(data).write(to: URL(fileURLWithPath: path), options: .atomic)
            return .sent("stored in \(nextName).eml")
        } catch {
            return .temporary("the development mailbox cannot be written: \(error)")
        }
    }

    package func close() {}

    /// `$ENTERCRM_MAIL_DIR`, else `mail/` in the stack's run directory.
    package static func defaultDirectory(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = env["ENTERCRM_MAIL_DIR"], !dir.isEmpty { return dir }
        if let run = env["ENTERCRM_RUN_DIR"], !run.isEmpty { return run + "/mail" }
        return ".run/mail"
    }
}
