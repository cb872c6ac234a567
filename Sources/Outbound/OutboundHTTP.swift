import CCurl
import FastCGI
#if canImport(Glibc)
import Glibc
#endif

/// An answer to an outbound HTTP request: its status and at most `OutboundHTTP.maxBody` bytes of its body.
public struct HTTPAnswer: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]
}

/// HTTP requests to user-given URLs, through libcurl: every address libcurl is about to
/// connect to is vetted in its open-socket callback (so the socket goes to the address that
/// was checked), no redirect is followed (a 3xx is the answer), no proxy from the
/// environment is used, only http and https are spoken, connect and the whole call have time
/// limits, and the body is read up to 64 KiB.
public enum OutboundHTTP {
    public static let maxBody = 64 << 10

    /// `curl_global_init` once per process, before the first handle (a Swift global is
    /// initialised once, under a lock).
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// POSTs `body` to `url`. Any HTTP answer is returned (the caller judges its status);
    /// everything else throws a category.
    public static func post(_ url: String, headers: [(String, String)], body: [UInt8], connectTimeout: Double = 5,
                            timeout: Double = 10, policy: OutboundPolicy = .fromEnvironment()) throws(OutboundError) -> HTTPAnswer {
        let target = try HTTPTarget(url)
        guard initialized, let curl = curl_easy_init() else { throw .couldNotConnect }
        defer { curl_easy_cleanup(curl) }
        let transfer = Transfer(host: target.host, policy: policy)
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers + [("Expect", "")] {
            // A header value never carries a line break (it would start another header).
            let clean = String(String.UnicodeScalarView(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
            list = curl_slist_append(list, value.isEmpty ? "\(name):" : "\(name): \(clean)")
        }
        defer { curl_slist_free_all(list) }
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var code: CURLcode = CURLE_OK
        body.withUnsafeBytes { raw in
            ccurl_setopt_string(curl, CURLOPT_URL, url)
            ccurl_setopt_string(curl, CURLOPT_PROTOCOLS_STR, "http,https")
            ccurl_setopt_long(curl, CURLOPT_FOLLOWLOCATION, 0)
            ccurl_setopt_long(curl, CURLOPT_MAXREDIRS, 0)
            ccurl_setopt_string(curl, CURLOPT_PROXY, "")
            ccurl_setopt_string(curl, CURLOPT_NOPROXY, "*")
            ccurl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
            ccurl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
            ccurl_setopt_long(curl, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
            ccurl_setopt_opensocket(curl, openSocket)
            ccurl_setopt_pointer(curl, CURLOPT_OPENSOCKETDATA, context)
            ccurl_setopt_write(curl, writeBody)
            ccurl_setopt_pointer(curl, CURLOPT_WRITEDATA, context)
            ccurl_setopt_slist(curl, CURLOPT_HTTPHEADER, list)
            ccurl_setopt_long(curl, CURLOPT_POST, 1)
            ccurl_setopt_long(curl, CURLOPT_POSTFIELDSIZE, raw.count)
            // libcurl reads the body during perform, while `raw` is valid.
            ccurl_setopt_pointer(curl, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            code = curl_easy_perform(curl)
        }
        var status = 0
        ccurl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        // A body longer than the limit stops the transfer (the write callback refuses the
        // rest); the answer's status and first 64 KiB stand.
        if code == CURLE_OK || (code == CURLE_WRITE_ERROR && transfer.truncated && status > 0) {
            return HTTPAnswer(status: status, body: transfer.body)
        }
        let error = category(code, refused: transfer.refused)
        Log.info("outbound: POST to \(target.host):\(target.port) failed: \(error) (\(String(cString: curl_easy_strerror(code))))")
        throw error
    }

    static func category(_ code: CURLcode, refused: Bool) -> OutboundError {
        if refused { return .refused }
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timedOut
        case CURLE_COULDNT_RESOLVE_HOST: return .unresolved
        case CURLE_URL_MALFORMAT: return .invalid
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED:
            return .tlsFailed
        // The scheme was checked before the call: an unsupported protocol here is an answer
        // that is not HTTP (HTTP/0.9 is refused).
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY:
            return .broken
        default: return .couldNotConnect
        }
    }

    /// The state of one transfer, shared with libcurl's callbacks through a raw pointer.
    final class Transfer {
        // Not Sendable: used by the calling thread only (libcurl calls back on it, inside perform).
        let host: String
        let policy: OutboundPolicy
        var refused = false
        var truncated = false
        var body: [UInt8] = []

        init(host: String, policy: OutboundPolicy) {
            self.host = host
            self.policy = policy
        }
    }
}

/// libcurl's open-socket callback: vets the address it is about to connect to, and makes
/// the socket only for an address the policy permits (CURL_SOCKET_BAD refuses the connection).
let openSocket: curl_opensocket_callback = { clientp, purpose, address in
    guard let clientp, let address else { return CURL_SOCKET_BAD }
    let transfer = Unmanaged<OutboundHTTP.Transfer>.fromOpaque(clientp).takeUnretainedValue()
    guard let sa = ccurl_sockaddr(address), let (ip, port) = IPAddress.from(sa),
          transfer.policy.permits(ip, port: port, host: transfer.host) else {
        transfer.refused = true
        if let sa = ccurl_sockaddr(address), let (ip, port) = IPAddress.from(sa) {
            Log.info("outbound: refused \(transfer.host):\(port) -> \(ip) (\(ip.internalRange ?? "unknown family"))")
        }
        return CURL_SOCKET_BAD
    }
    return socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
}

/// libcurl's write callback: keeps the first `maxBody` bytes, then stops the transfer.
private let writeBody: curl_write_callback = { data, size, count, clientp in
    guard let clientp else { return 0 }
    let transfer = Unmanaged<OutboundHTTP.Transfer>.fromOpaque(clientp).takeUnretainedValue()
    let n = size * count
    let room = OutboundHTTP.maxBody - transfer.body.count
    if let data, n > 0 {
        data.withMemoryRebound(to: UInt8.self, capacity: n) { p in
            transfer.body.append(contentsOf: UnsafeBufferPointer(start: p, count: min(n, max(room, 0))))
        }
    }
    if n > room {
        transfer.truncated = true
        return 0
    }
    return n
}
