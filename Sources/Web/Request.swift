/// A request as nginx passed it over FastCGI.
public struct Request: Sendable {
    public let method: String
    /// The decoded, normalised path (nginx's DOCUMENT_URI), without the query string.
    public let path: String
    public let queryString: String
    /// Header names in lowercase with dashes ("x-api-key").
    public let headers: [String: String]
    public let body: [UInt8]
    public let remoteAddress: String
    public let requestID: String
    /// A body too large for memory, written to this file as it arrived (`BodySpool`): the
    /// handler may move it away; otherwise it is removed after the answer.
    public var bodyFile: String?
    /// Values of `{name}` segments of the matched route.
    public var pathParameters: [String: String] = [:]

    public init(method: String, path: String, queryString: String = "", headers: [String: String] = [:],
                body: [UInt8] = [], remoteAddress: String = "127.0.0.1", requestID: String = "test") {
        self.method = method
        self.path = path
        self.queryString = queryString
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    /// Builds a request from FastCGI parameters.
    init(parameters p: [String: String], body: [UInt8]) {
        var headers: [String: String] = [:]
        headers.reserveCapacity(16)
        for (name, value) in p where name.hasPrefix("HTTP_") {
            headers[Request.headerName(fromParameter: name)] = value
        }
        if let type = p["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        let uri = p["DOCUMENT_URI"] ?? p["SCRIPT_NAME"] ?? "/"
        self.init(
            method: p["REQUEST_METHOD"] ?? "GET",
            path: uri,
            queryString: p["QUERY_STRING"] ?? "",
            headers: headers,
            body: body,
            remoteAddress: p["REMOTE_ADDR"] ?? "",
            requestID: p["REQUEST_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? Request.makeID()
        )
    }

    /// "HTTP_X_API_KEY" → "x-api-key", byte by byte (this runs for every header of every request).
    static func headerName(fromParameter name: String) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(name.utf8.count - 5)
        for byte in name.utf8.dropFirst(5) {
            switch byte {
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "-"))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(byte + 32)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func makeID() -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { bytes[i] = UInt8.random(in: 0...255) }
        return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Query parameters, percent-decoded; the first of repeated names wins.
    public var query: [String: String] {
        var result: [String: String] = [:]
        for pair in queryString.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Request.decodeComponent(parts[0])
            if result[name] == nil {
                result[name] = parts.count > 1 ? Request.decodeComponent(parts[1]) : ""
            }
        }
        return result
    }

    static func decodeComponent(_ s: Substring) -> String {
        let plusDecoded = s.replacingOccurrences(of: "+", with: " ")
        return plusDecoded.removingPercentEncoding ?? plusDecoded
    }

    /// The value of path parameter `name`.
    public func parameter(_ name: String) -> String { pathParameters[name] ?? "" }

    /// A path parameter that must be a positive integer id; anything else is a 404.
    public func id(_ name: String = "id") throws -> Int {
        guard let v = Int(parameter(name)), v > 0 else { throw HTTPError.notFound() }
        return v
    }

    /// Whether a Content-Type names JSON: `application/json` or `application/<something>+json`,
    /// any letter case, parameters (`; charset=utf-8`) ignored.
    public static func isJSONType(_ contentType: String) -> Bool {
        // The usual header, decided without building strings (every tracked event passes here).
        if contentType == "application/json" || contentType == "application/json; charset=utf-8" { return true }
        let type = mediaType(contentType)
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }

    /// `text/plain` (what `navigator.sendBeacon` and a CORS "simple" request send).
    public static func isPlainTextType(_ contentType: String) -> Bool {
        mediaType(contentType) == "text/plain"
    }

    /// "Application/JSON ; charset=UTF-8" → "application/json".
    public static func mediaType(_ contentType: String) -> String {
        let type = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// 415 unless the body is declared JSON (or `text/plain` where `plainText` allows it).
    /// A body without a Content-Type is refused too: a JSON endpoint names its type. Every
    /// JSON body is read through `json()`, so every endpoint that reads one gets the rule;
    /// requests without a body (GET, DELETE) are not concerned.
    public func checkJSONContentType(plainText: Bool = false) throws {
        let type = header("content-type") ?? ""
        if Request.isJSONType(type) || (plainText && Request.isPlainTextType(type)) { return }
        let expected = plainText ? "application/json or text/plain" : "application/json"
        var errors = ValidationErrors()
        errors.add("content_type", type.isEmpty ? "The Content-Type header is missing; expected \(expected)."
                                                : "The Content-Type must be \(expected).")
        throw HTTPError(415, "Unsupported media type: send the body as JSON with Content-Type: \(expected).", errors: errors)
    }

    /// The body as JSON: 400 when it is missing or malformed, 415 when it is not declared
    /// JSON (`plainText`: `text/plain` is taken too, the tracking endpoints' beacons).
    public func json(plainText: Bool = false) throws -> JSON {
        if body.isEmpty { throw HTTPError.badRequest("A JSON request body is required.") }
        try checkJSONContentType(plainText: plainText)
        do {
            return try JSONParser.parse(body)
        } catch let error as JSONParseError where error.isTooDeep {
            var errors = ValidationErrors()
            errors.add("body", "nested deeper than \(JSONParser.maximumDepth) levels")
            throw HTTPError(400, "The JSON body is nested deeper than \(JSONParser.maximumDepth) levels.", errors: errors)
        } catch let error as JSONParseError {
            throw HTTPError.badRequest("Malformed JSON: \(error.description).")
        }
    }

    /// The body as a JSON object: 400 when it is not one.
    public func jsonObject(plainText: Bool = false) throws -> JSONObject {
        guard let object = try json(plainText: plainText).objectValue else { throw HTTPError.badRequest("The request body must be a JSON object.") }
        return object
    }
}

import Foundation
