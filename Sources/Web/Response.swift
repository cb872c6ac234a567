/// A response: status, headers and body bytes.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Set on a placeholder whose answer another thread gives later (`Response.pending`).
    public var pending: PendingResponse?
    /// A body written piece by piece after the head (`Response.streamed`), never held whole.
    public var stream: ResponseStream?

    public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSON, status: Int = 200) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: JSONWriter.bytes(value))
    }

    public static func noContent() -> Response { Response(status: 204) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    /// A header value on one line: CR, LF and the other control characters become spaces, so
    /// that no value (a redirect target taken from a link, say) can add a header or end the head.
    static func headerValue(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 }) else { return value }
        return String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : $0 }))
    }

    /// A body too large to hold (CSV exports): `write` is called on the request's own thread
    /// after the head is sent, and gives the body in pieces to the function it is passed.
    public static func streamed(headers: [(String, String)], _ write: @escaping (_ send: @escaping ([UInt8]) -> Void) throws -> Void) -> Response {
        var response = Response(status: 200, headers: headers)
        response.stream = ResponseStream(write)
        return response
    }

    /// The body of a streamed response, collected (tests, in-process clients).
    public func collected() throws -> Response {
        guard let stream else { return self }
        var answer = self
        answer.stream = nil
        try stream.write { answer.body.append(contentsOf: $0) }
        return answer
    }

    /// The head of a streamed answer: no Content-Length (nginx sends it chunked).
    func serializedHead(requestID: String) -> [UInt8] {
        var head = "Status: \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(Self.headerValue(value))\r\n" }
        head += "X-Request-Id: \(requestID)\r\n\r\n"
        return Array(head.utf8)
    }

    /// The CGI-style response head and body as FastCGI sends them.
    func serialized(requestID: String) -> [UInt8] {
        var head = "Status: \(status) \(Self.reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(Self.headerValue(value))\r\n" }
        head += "X-Request-Id: \(requestID)\r\n"
        if status != 204 { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var out = Array(head.utf8)
        out.reserveCapacity(out.count + body.count)
        out.append(contentsOf: body)
        return out
    }
}

/// The writer of a streamed body. `@unchecked Sendable`: it is made by a handler and run by
/// the same request thread right after the handler returns (`HTTPServer.respond`); it never
/// crosses threads, so what it captures (the request's database connection) stays on one.
public final class ResponseStream: @unchecked Sendable {
    let write: (_ send: @escaping ([UInt8]) -> Void) throws -> Void
    init(_ write: @escaping (_ send: @escaping ([UInt8]) -> Void) throws -> Void) { self.write = write }
}
