/// Field-by-field validation messages, in the order they were found.
public struct ValidationErrors: Sendable, Equatable {
    public private(set) var fields: [(field: String, messages: [String])] = []

    public init() {}

    public var isEmpty: Bool { fields.isEmpty }

    public mutating func add(_ field: String, _ message: String) {
        if let i = fields.firstIndex(where: { $0.field == field }) {
            fields[i].messages.append(message)
        } else {
            fields.append((field, [message]))
        }
    }

    public func has(_ field: String) -> Bool { fields.contains { $0.field == field } }

    /// Throws a 422 if anything was added.
    public func check() throws {
        if !isEmpty { throw HTTPError.validation(self) }
    }

    public var json: JSON {
        .object(JSONObject(fields.map { ($0.field, .array($0.messages.map(JSON.string))) }))
    }

    public static func == (a: ValidationErrors, b: ValidationErrors) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.field == $1.field && $0.messages == $1.messages }
    }
}

/// An error that knows its HTTP status; its JSON body is
/// `{"message": "…", "errors": {"field": ["…"]}}` (`errors` for validation only).
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var errors: ValidationErrors?
    public var headers: [(String, String)]

    public init(_ status: Int, _ message: String, errors: ValidationErrors? = nil, headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers
    }

    public var description: String { "HTTP \(status): \(message)" }

    public var response: Response {
        var body: JSONObject = JSONObject([("message", .string(message))])
        if let errors { body["errors"] = errors.json }
        var response = Response.json(.object(body), status: status)
        response.headers += headers
        return response
    }

    public static func badRequest(_ message: String) -> HTTPError { HTTPError(400, message) }
    public static func unauthorized(_ message: String = "Unauthenticated.") -> HTTPError { HTTPError(401, message) }
    public static func forbidden(_ message: String = "This action is not allowed.") -> HTTPError { HTTPError(403, message) }
    public static func notFound(_ message: String = "Not found.") -> HTTPError { HTTPError(404, message) }
    public static func conflict(_ message: String) -> HTTPError { HTTPError(409, message) }
    public static func payloadTooLarge(_ message: String = "Request body too large.") -> HTTPError { HTTPError(413, message) }

    public static func validation(_ errors: ValidationErrors, message: String = "The given data was invalid.") -> HTTPError {
        HTTPError(422, message, errors: errors)
    }

    /// A 422 for one field.
    public static func invalid(_ field: String, _ message: String) -> HTTPError {
        var errors = ValidationErrors()
        errors.add(field, message)
        return .validation(errors)
    }

    public static func tooManyRequests(_ message: String = "Too many requests. Slow down.", retryAfter: Int) -> HTTPError {
        HTTPError(429, message, headers: [("Retry-After", String(retryAfter))])
    }

    public static func unavailable(_ message: String = "Service unavailable.", retryAfter: Int = 5) -> HTTPError {
        HTTPError(503, message, headers: [("Retry-After", String(retryAfter))])
    }
}
