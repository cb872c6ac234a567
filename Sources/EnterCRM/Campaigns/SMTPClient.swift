import COpenSSL
import Foundation
import FastCGI
import Outbound

/// What became of one message handed to a transport.
enum SendOutcome: Equatable {
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
protocol MailTransport: AnyObject {
    func send(from: String, to: String, data: [UInt8]) -> SendOutcome
    func close()
}

/// Where and how to reach an SMTP relay.
struct SMTPConfiguration: Sendable, Equatable {
    var host: String
    var port: Int
    var startTLS: Bool
    var username: String?
    var password: String?
    /// Seconds to wait for a connection or an answer.
    var timeout: Int = 20
    /// The name given in EHLO.
    var heloName: String = "entercrm.localhost"

    /// A relay on loopback is the developer's own (a test server with a self-signed
    /// certificate, reachable only where `ENTERCRM_OUTBOUND_ALLOW` names it); anywhere else
    /// the certificate must verify against the system's CAs.
    var verifiesCertificate: Bool {
        host.lowercased() != "localhost" && IPAddress(host)?.internalRange != "loopback"
    }
}

/// An SMTP client on a plain socket, with STARTTLS through OpenSSL and AUTH PLAIN or LOGIN.
/// One connection is kept open across messages (RSET between them) and reopened after an error.
/// The socket comes from `Outbound.connect`: the relay's address is vetted (internal addresses
/// are refused unless the operator's allow list names them) and connected to as checked.
/// Errors of the connection are categories ("could not connect", "timed out", "TLS failed"),
/// never the socket's or OpenSSL's text; the relay's own replies are kept.
final class SMTPClient: MailTransport {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        /// The reply code, when the relay answered.
        var code: Int = 0
        /// Refused for good without a reply (the outbound guard refused the address).
        var refused = false
        var permanent: Bool { code >= 500 || refused }
    }

    let configuration: SMTPConfiguration
    let policy: OutboundPolicy
    private var fd: Int32 = -1
    private var context: OpaquePointer?
    private var ssl: OpaquePointer?
    private var buffer: [UInt8] = []
    /// A transaction was begun and not finished (RSET before the next).
    private var unfinished = false
    /// The relay offers PIPELINING (RFC 2920).
    private var pipelining = false

    init(_ configuration: SMTPConfiguration, policy: OutboundPolicy = .fromEnvironment()) {
        self.configuration = configuration
        self.policy = policy
    }

    deinit { close() }

    func send(from: String, to: String, data: [UInt8]) -> SendOutcome {
        do {
            // RSET only after a transaction that did not finish; a finished one leaves the
            // session ready for the next MAIL.
            if fd < 0 { try open() } else if unfinished { try expect(command: "RSET", 250) }
        } catch let failure as Failure {
            close()
            return failure.permanent ? .permanent(failure.description) : .temporary(failure.description)
        } catch {
            close()
            return .temporary("\(error)")
        }
        unfinished = true
        do {
            let mail = "MAIL FROM:<\(Self.clean(from))>", rcpt = "RCPT TO:<\(Self.clean(to))>"
            if pipelining {
                // RFC 2920: the three commands in one write, then their three replies.
                try write(Array("\(mail)\r\n\(rcpt)\r\nDATA\r\n".utf8))
                let replies = [try readReply(), try readReply(), try readReply()]
                if replies[0].0 != 250 || ![250, 251].contains(replies[1].0) || replies[2].0 != 354 {
                    let refused = replies.first { ![250, 251, 354].contains($0.0) } ?? replies[2]
                    if replies[2].0 == 354 {
                        // DATA was accepted although MAIL or RCPT was not: end the session
                        // without the final dot, so that nothing is delivered.
                        close()
                    }
                    let text = "\(refused.0) \(refused.1)"
                    return refused.0 >= 500 ? .permanent(text) : .temporary(text)
                }
            } else {
                try expect(command: mail, 250)
                try expect(command: rcpt, 250, 251)
                try expect(command: "DATA", 354)
            }
        } catch let failure as Failure where failure.code >= 400 {
            return failure.code >= 500 ? .permanent(failure.description) : .temporary(failure.description)
        } catch {
            close()
            return .temporary("\(error)")
        }
        do {
            try write(Self.dotStuffed(data))
            try write(Array(".\r\n".utf8))
        } catch {
            close()
            // Part of the message may have gone, but without the final dot the relay drops it.
            return .temporary("\(error)")
        }
        do {
            let (code, text) = try readReply()
            unfinished = false
            switch code {
            case 200..<300: return .sent(text)
            case 500...: return .permanent("\(code) \(text)")
            default: return .temporary("\(code) \(text)")
            }
        } catch {
            close()
            return .unknown("no answer after the message was handed over: \(error)")
        }
    }

    func close() {
        if fd >= 0, ssl != nil || buffer.isEmpty {
            _ = try? write(Array("QUIT\r\n".utf8))
        }
        if let ssl {
            SSL_shutdown(ssl)
            SSL_free(ssl)
        }
        ssl = nil
        if let context { SSL_CTX_free(context) }
        context = nil
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        buffer = []
        unfinished = false
        pipelining = false
    }

    // MARK: Session

    private func open() throws {
        try connect()
        let (code, text) = try readReply()
        guard code == 220 else { throw Failure(description: "greeting: \(code) \(text)", code: code) }
        var capabilities = try ehlo()
        if configuration.startTLS {
            guard capabilities.contains("STARTTLS") else {
                throw Failure(description: "the relay does not offer STARTTLS", code: 454)
            }
            try expect(command: "STARTTLS", 220)
            try startTLS()
            capabilities = try ehlo()
        }
        pipelining = capabilities.contains("PIPELINING")
        if let user = configuration.username, !user.isEmpty {
            let password = configuration.password ?? ""
            let auth = capabilities.first { $0.hasPrefix("AUTH") } ?? ""
            if auth.contains("PLAIN") || !auth.contains("LOGIN") {
                let token = Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                try expect(command: "AUTH PLAIN \(token)", 235)
            } else {
                try expect(command: "AUTH LOGIN", 334)
                try expect(command: Data(user.utf8).base64EncodedString(), 334)
                try expect(command: Data(password.utf8).base64EncodedString(), 235)
            }
        }
    }

    private func ehlo() throws -> [String] {
        try write(Array("EHLO \(configuration.heloName)\r\n".utf8))
        var lines: [String] = []
        let code = try readReply { lines.append($0.uppercased()) }.0
        guard code == 250 else { throw Failure(description: "EHLO: \(code)", code: code) }
        return lines
    }

    private func expect(command: String, _ codes: Int...) throws {
        try write(Array((command + "\r\n").utf8))
        let (code, text) = try readReply()
        guard codes.contains(code) else {
            let verb = command.split(separator: " ").first.map(String.init) ?? command
            throw Failure(description: "\(verb): \(code) \(text)", code: code)
        }
    }

    /// Reads a possibly multi-line reply ("250-…" lines, then "250 …").
    private func readReply(_ each: (String) -> Void = { _ in }) throws -> (Int, String) {
        var text = ""
        while true {
            let line = try readLine()
            guard line.count >= 3, let code = Int(line.prefix(3)) else { throw Failure(description: "malformed reply") }
            let rest = line.dropFirst(4)
            each(String(rest))
            text += (text.isEmpty ? "" : " ") + rest
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return (code, text) }
        }
    }

    private func readLine() throws -> String {
        while true {
            if let end = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard buffer.count < 64 << 10 else { throw Failure(description: "reply line too long") }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n: Int
            if let ssl {
                n = Int(chunk.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) })
            } else {
                let socket = fd
                n = chunk.withUnsafeMutableBytes { raw in Self.retrying { recv(socket, raw.baseAddress, raw.count, 0) } }
            }
            guard n > 0 else {
                let timedOut = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
                throw Failure(description: timedOut ? OutboundError.timedOut.description : "connection closed by the relay")
            }
            buffer += chunk[..<n]
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n: Int = bytes.withUnsafeBytes { raw in
                let base = raw.baseAddress! + offset
                if let ssl { return Int(SSL_write(ssl, base, Int32(raw.count - offset))) }
                return Self.retrying { Glibc.send(fd, base, raw.count - offset, Int32(MSG_NOSIGNAL)) }
            }
            guard n > 0 else { throw Failure(description: OutboundError.broken.description) }
            offset += n
        }
    }

    private static func retrying(_ call: () -> Int) -> Int {
        while true {
            let n = call()
            if n < 0, errno == EINTR { continue }
            return n
        }
    }

    // MARK: Socket and TLS

    private func connect() throws {
        do {
            fd = try Outbound.connect(host: configuration.host, port: configuration.port, timeout: configuration.timeout, policy: policy)
        } catch {
            throw Failure(description: error.description, refused: error == .refused || error == .invalid)
        }
    }

    private func startTLS() throws {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw Failure(description: OutboundError.tlsFailed.description) }
        context = ctx
        if configuration.verifiesCertificate {
            SSL_CTX_set_default_verify_paths(ctx)
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        }
        guard let s = SSL_new(ctx) else { throw Failure(description: OutboundError.tlsFailed.description) }
        ssl = s
        _ = COpenSSL_set_sni(s, configuration.host)
        if configuration.verifiesCertificate {
            SSL_set1_host(s, configuration.host)
        }
        SSL_set_fd(s, fd)
        buffer = []
        guard SSL_connect(s) == 1 else {
            let code = ERR_get_error()
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            Log.info("smtp: TLS handshake with \(configuration.host):\(configuration.port) failed: \(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            throw Failure(description: OutboundError.tlsFailed.description)
        }
    }

    // MARK: Helpers

    /// An address without anything that could end or extend an SMTP command.
    static func clean(_ address: String) -> String {
        String(address.unicodeScalars.filter { $0.value > 32 && $0 != "<" && $0 != ">" }.map(Character.init))
    }

    /// CRLF line ends, and a dot doubled at the start of any line (RFC 5321 4.5.2).
    static func dotStuffed(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(data.count + 64)
        var lineStart = true
        var previous: UInt8 = 0
        for byte in data {
            if byte == 10, previous != 13 { out.append(13) }
            if lineStart, byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out.append(byte)
            lineStart = byte == 10
            previous = byte
        }
        if !lineStart { out += [13, 10] }
        return out
    }
}

/// The development mailbox: each message becomes an `.eml` file, and counts as sent.
final class DevMailbox: MailTransport {
    let directory: String
    /// The file name of the next message (without extension), set by the caller.
    var nextName = "message"

    init(directory: String) { self.directory = directory }

    func send(from: String, to: String, data: [UInt8]) -> SendOutcome {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/" + nextName + ".eml"
            try Data(data).write(to: URL(fileURLWithPath: path), options: .atomic)
            return .sent("stored in \(nextName).eml")
        } catch {
            return .temporary("the development mailbox cannot be written: \(error)")
        }
    }

    func close() {}

    /// `$ENTERCRM_MAIL_DIR`, else `mail/` in the stack's run directory.
    static func defaultDirectory(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = env["ENTERCRM_MAIL_DIR"], !dir.isEmpty { return dir }
        if let run = env["ENTERCRM_RUN_DIR"], !run.isEmpty { return run + "/mail" }
        return ".run/mail"
    }
}
