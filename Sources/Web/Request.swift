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

    /// The body as JSON: 400 when it is missing or malformed.
    public func json() throws -> JSON {
        if body.isEmpty { throw HTTPError.badRequest("A JSON request body is required.") }
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
    public func jsonObject() throws -> JSONObject {
        guard let object = try json().objectValue else { throw HTTPError.badRequest("The request body must be a JSON object.") }
        return object
    }
}

import Foundation
