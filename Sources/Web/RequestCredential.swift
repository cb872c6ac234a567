/// The one credential a request carries: the single home of the rule "which credential does
/// this request carry". nginx keys its rate limit with a mirror of this rule (the `$cred_*`
/// and `$rl_credential` maps of nginx/entercrm.conf.template, which cite this file), and
/// Tests/e2e/test_credentials.py sends every variant through both.
///
/// The rule:
/// - The places a credential can be: the `Authorization` header, the `X-API-Key` header, the
///   `EF-Access-Key` header, and a `key` query parameter. A header counts when it is not empty;
///   a query parameter counts when its name is `key` in any letter case followed by `=`, as
///   nginx's `$arg_key` finds it (its value is used as sent, not percent-decoded, as nginx
///   keys on it).
/// - More than one of them is a 400, before anything is looked up. So is an API-key header
///   sent twice: nginx 1.22 hands both lines to the pool (the FastCGI layer joins them with
///   ", ", as nginx 1.23 and later do themselves), and a key never contains a comma. (A
///   repeated Authorization never gets here: nginx answers it with 400 itself.) So is a
///   query parameter that decodes to `key` but is not written `key=` (`%6Bey=`, `key` alone),
///   which nginx would not see.
/// - `Authorization` must be `Bearer <token>`: "Bearer" in any letter case, spaces or tabs,
///   then an RFC 6750 token (`[A-Za-z0-9._~+/-]+=*`), then nothing but spaces or tabs; or
///   `Basic <base64 of "key:">`, an API key with an empty password (the Segment libraries'
///   write key, accepted on the tracking endpoints only; nginx keys it on the base64 as sent).
///   Anything else is malformed (the caller answers 401; nginx keys it on the client address).
public enum RequestCredential: Sendable, Equatable {
    /// A bearer token, as parsed from `Authorization`.
    case bearer(String)
    /// An `Authorization` header that is not a bearer token.
    case malformedAuthorization
    /// An API key from `X-API-Key` or `EF-Access-Key`.
    case headerKey(String)
    /// An API key from the `key` query parameter (only publishable keys, only on /v1/track).
    case urlKey(String)
    /// An API key as the user name of HTTP Basic with an empty password (the Segment
    /// libraries' write key; only on the tracking endpoints).
    case basicKey(String)

    /// The credential of `request`, nil when it carries none; throws a 400 when it carries
    /// more than one (or one twice).
    public static func of(_ request: Request) throws -> RequestCredential? {
        var found: [(name: String, credential: RequestCredential)] = []
        if let value = nonEmpty(request.headers["authorization"]) {
            // nginx itself refuses a repeated Authorization (400), so a comma here is no
            // second credential, only a malformed one.
            found.append(("Authorization", bearer(value).map(RequestCredential.bearer)
                                                ?? basic(value).map(RequestCredential.basicKey) ?? .malformedAuthorization))
        }
        if let value = nonEmpty(request.headers["x-api-key"]) {
            try single(value, "X-API-Key")
            found.append(("X-API-Key", .headerKey(value)))
        }
        if let value = nonEmpty(request.headers["ef-access-key"]) {
            try single(value, "EF-Access-Key")
            found.append(("EF-Access-Key", .headerKey(value)))
        }
        if !request.queryString.isEmpty, let value = try urlKey(request.queryString) {
            found.append(("key", .urlKey(value)))
        }
        if found.count > 1 {
            throw conflict(found.map(\.name), "The request carries more than one credential (\(found.map(\.name).joined(separator: ", "))). Send exactly one.")
        }
        return found.first?.credential
    }

    /// The token of a well-formed `Bearer` header value, else nil.
    public static func bearer(_ value: String) -> String? {
        let bytes = Array(trimmed(value).utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count + 1 else { return nil }
        for i in 0..<scheme.count where bytes[i] | 0x20 != scheme[i] { return nil }
        var i = scheme.count
        guard bytes[i] == 0x20 || bytes[i] == 0x09 else { return nil }
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
        let start = i
        while i < bytes.count, isTokenByte(bytes[i]) { i += 1 }
        guard i > start else { return nil }
        while i < bytes.count, bytes[i] == UInt8(ascii: "=") { i += 1 }
        guard i == bytes.count else { return nil }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    /// The user name of a well-formed `Basic` header value ("Basic" in any letter case,
    /// spaces or tabs, base64 of `name:` with an empty password), else nil.
    public static func basic(_ value: String) -> String? {
        let t = trimmed(value)
        guard t.count > 6, t.prefix(5).lowercased() == "basic", t.dropFirst(5).first == " " || t.dropFirst(5).first == "\t" else { return nil }
        let encoded = t.dropFirst(6).trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8),
              text.hasSuffix(":"), text.utf8.count > 1, !text.dropLast().contains(":") else { return nil }
        return String(text.dropLast())
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// The raw value of the one `key=` parameter, nil without one; 400 for two, or for one
    /// written so that nginx would not see it.
    static func urlKey(_ query: String) throws -> String? {
        var value: String?
        var count = 0
        var hidden = false
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let raw = parts[0]
            // Cheap first: only names of three bytes, or with a %, can be "key".
            guard raw.utf8.count == 3 || raw.contains("%") || raw.contains("+") else { continue }
            if raw.lowercased() == "key", parts.count == 2 {
                count += 1
                if value == nil { value = String(parts[1]) }
            } else if Request.decodeComponent(raw).trimmingCharacters(in: .whitespaces).lowercased() == "key" {
                hidden = true
            }
        }
        if count > 1 { throw conflict(["key"], "The key query parameter is sent more than once. Send exactly one credential.") }
        if hidden {
            throw conflict(["key"], "The key query parameter must be written key=… (not percent-encoded, not without a value).",
                           detail: "written in a form nginx does not read")
        }
        return value
    }

    /// A header sent twice reaches the pool joined with ", "; a credential holds no comma.
    static func single(_ value: String, _ name: String) throws {
        if value.utf8.contains(UInt8(ascii: ",")) {
            throw conflict([name], "The \(name) header is sent more than once (or holds a comma). Send exactly one credential.")
        }
    }

    static func conflict(_ fields: [String], _ message: String, detail: String = "more than one credential") -> HTTPError {
        var errors = ValidationErrors()
        for field in fields { errors.add(field, detail) }
        return HTTPError(400, message, errors: errors)
    }

    static func nonEmpty(_ value: String?) -> String? {
        guard let value else { return nil }
        let t = trimmed(value)
        return t.isEmpty ? nil : t
    }

    /// Without the spaces and tabs around it (nginx strips them too).
    static func trimmed(_ value: String) -> String {
        guard let first = value.utf8.first, let last = value.utf8.last,
              first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 else { return value }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
    }
}

import Foundation
