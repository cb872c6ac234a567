import CCurl
import FastCGI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SMTP to a user-given relay through libcurl, behind the same address guard as
/// `OutboundHTTP` (every address vetted in the open-socket callback). One handle is kept
/// for a run of messages, so libcurl reuses the connection between them.
///
/// libcurl speaks EHLO, STARTTLS (required when `startTLS`), AUTH (PLAIN, LOGIN …, as the
/// relay offers), MAIL, RCPT and DATA, and dot-stuffs the message; line ends are made CRLF here.
public final class OutboundSMTP {
    public struct Relay: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var startTLS: Bool
        public var username: String?
        public var password: String?
        /// Seconds for the connection and for each answer of the relay.
        public var timeout: Int
        /// The name given in EHLO.
        public var heloName: String
        /// Whether the relay's certificate must verify against the system's CAs.
        public var verifiesCertificate: Bool

        public init(host: String, port: Int, startTLS: Bool, username: String? = nil, password: String? = nil, timeout: Int = 20,
                    heloName: String = "entercrm.localhost", verifiesCertificate: Bool = true) {
            self.host = host
            self.port = port
            self.startTLS = startTLS
            self.username = username
            self.password = password
            self.timeout = timeout
            self.heloName = heloName
            self.verifiesCertificate = verifiesCertificate
        }
    }

    /// What became of one message.
    public enum Outcome: Equatable, Sendable {
        /// The relay took it (its final reply).
        case accepted(String)
        /// The relay refused it with a reply (`code` 4xx or 5xx and the reply's text).
        case refused(code: Int, reply: String)
        /// No reply that decides; `handedOver` when the whole message had been given to the
        /// connection before it failed (it may have been delivered).
        case failed(OutboundError, handedOver: Bool)
    }

    public let relay: Relay
    let policy: OutboundPolicy
    private var curl: UnsafeMutableRawPointer?

    public init(_ relay: Relay, policy: OutboundPolicy = .fromEnvironment()) {
        self.relay = relay
        self.policy = policy
    }

    deinit { close() }

    /// Ends the connection (libcurl sends QUIT).
    public func close() {
        if let curl { curl_easy_cleanup(curl) }
        curl = nil
    }

    /// Sends one message to one recipient.
    public func send(from: String, to: String, data: [UInt8]) -> Outcome {
        guard OutboundHTTP.initialized else { return .failed(.couldNotConnect, handedOver: false) }
        if curl == nil { curl = curl_easy_init() }
        guard let curl else { return .failed(.couldNotConnect, handedOver: false) }
        let transfer = OutboundHTTP.Transfer(host: OutboundPolicy.bare(relay.host), policy: policy)
        let message = Message(Self.crlf(data))
        let recipients: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "<\(Self.clean(to))>")
        defer { curl_slist_free_all(recipients) }
        let host = IPAddress(relay.host).map { $0.isIPv4 ? $0.description : "[\($0.description)]" } ?? OutboundPolicy.bare(relay.host)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        let messageContext = Unmanaged.passUnretained(message).toOpaque()
        ccurl_setopt_string(curl, CURLOPT_URL, "smtp://\(host):\(relay.port)/\(relay.heloName)")
        ccurl_setopt_string(curl, CURLOPT_PROTOCOLS_STR, "smtp")
        ccurl_setopt_string(curl, CURLOPT_PROXY, "")
        ccurl_setopt_string(curl, CURLOPT_NOPROXY, "*")
        ccurl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, relay.timeout)
        ccurl_setopt_long(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, relay.timeout)
        ccurl_setopt_long(curl, CURLOPT_TIMEOUT, max(60, relay.timeout * 3))
        ccurl_setopt_long(curl, CURLOPT_USE_SSL, relay.startTLS ? Int(CURLUSESSL_ALL.rawValue) : Int(CURLUSESSL_NONE.rawValue))
        ccurl_setopt_long(curl, CURLOPT_SSL_VERIFYPEER, relay.verifiesCertificate ? 1 : 0)
        ccurl_setopt_long(curl, CURLOPT_SSL_VERIFYHOST, relay.verifiesCertificate ? 2 : 0)
        if let user = relay.username, !user.isEmpty {
            ccurl_setopt_string(curl, CURLOPT_USERNAME, user)
            ccurl_setopt_string(curl, CURLOPT_PASSWORD, relay.password ?? "")
        }
        ccurl_setopt_opensocket(curl, openSocket)
        ccurl_setopt_pointer(curl, CURLOPT_OPENSOCKETDATA, context)
        ccurl_setopt_header(curl, replyLine)
        ccurl_setopt_pointer(curl, CURLOPT_HEADERDATA, messageContext)
        ccurl_setopt_read(curl, readMessage)
        ccurl_setopt_pointer(curl, CURLOPT_READDATA, messageContext)
        ccurl_setopt_string(curl, CURLOPT_MAIL_FROM, "<\(Self.clean(from))>")
        ccurl_setopt_slist(curl, CURLOPT_MAIL_RCPT, recipients)
        ccurl_setopt_long(curl, CURLOPT_UPLOAD, 1)
        ccurl_setopt_long(curl, CURLOPT_INFILESIZE, message.bytes.count)
        let code = curl_easy_perform(curl)
        // The list is freed after this call: libcurl must not keep it.
        ccurl_setopt_slist(curl, CURLOPT_MAIL_RCPT, nil)
        var reply = 0
        ccurl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &reply)
        if code == CURLE_OK { return .accepted(message.reply(reply)) }
        if transfer.refused {
            close()
            return .failed(.refused, handedOver: false)
        }
        // A reply that refuses (4xx, 5xx) decides; 354 is DATA's go-ahead, not a refusal.
        if reply >= 400 {
            return .refused(code: reply, reply: message.reply(reply))
        }
        let error = OutboundHTTP.category(code, refused: false)
        Log.info("outbound: SMTP to \(transfer.host):\(relay.port) failed: \(error) (\(String(cString: curl_easy_strerror(code))), last reply \(reply))")
        close()
        return .failed(error, handedOver: reply == 354 && message.finished)
    }

    /// The message being uploaded, and the relay's last reply line.
    final class Message {
        // Not Sendable: libcurl calls back on the sending thread, inside perform.
        let bytes: [UInt8]
        var offset = 0
        /// The relay's reply lines in this transaction (a refusal may be followed by QUIT's 221).
        var replies: [String] = []

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        /// The whole message was given to libcurl.
        var finished: Bool { offset == bytes.count }

        /// The last reply line with this code.
        func reply(_ code: Int) -> String {
            replies.last { $0.hasPrefix("\(code) ") || $0 == String(code) } ?? replies.last { $0.hasPrefix(String(code)) } ?? ""
        }
    }

    /// CRLF line ends (a bare LF becomes CRLF), and a final CRLF. libcurl doubles leading
    /// dots itself, which needs CRLF line ends to see the lines.
    public static func crlf(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(data.count + 64)
        var previous: UInt8 = 0
        for byte in data {
            if byte == 10, previous != 13 { out.append(13) }
            out.append(byte)
            previous = byte
        }
        if !(out.count >= 2 && out[out.count - 2] == 13 && out[out.count - 1] == 10) { out += [13, 10] }
        return out
    }

    /// An address without anything that could end or extend an SMTP command.
    public static func clean(_ address: String) -> String {
        String(address.unicodeScalars.filter { $0.value > 32 && $0 != "<" && $0 != ">" }.map(Character.init))
    }
}

/// libcurl's read callback: the next part of the message.
private let readMessage: curl_read_callback = { buffer, size, count, clientp in
    guard let buffer, let clientp else { return 0 }
    let message = Unmanaged<OutboundSMTP.Message>.fromOpaque(clientp).takeUnretainedValue()
    let n = min(size * count, message.bytes.count - message.offset)
    if n == 0 { return 0 }
    message.bytes.withUnsafeBufferPointer { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + message.offset, byteCount: n)
    }
    message.offset += n
    return n
}

/// libcurl's header callback, which for SMTP receives the relay's reply lines: keeps the last.
private let replyLine: curl_write_callback = { data, size, count, clientp in
    let n = size * count
    guard let data, let clientp else { return n }
    let message = Unmanaged<OutboundSMTP.Message>.fromOpaque(clientp).takeUnretainedValue()
    let line = data.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: min(n, 512)), as: UTF8.self) }
    if message.replies.count < 64 { message.replies.append(line.trimmingCharacters(in: .whitespacesAndNewlines)) }
    return n
}
