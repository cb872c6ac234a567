import FastCGI
import Foundation
import MariaDB
import Platform

/// An application served over FastCGI. Each pool thread makes one `ThreadState` (its
/// database connection and caches) and passes it to every request it handles.
public protocol HTTPApplication: Sendable {
    associatedtype ThreadState
    func makeThreadState() -> ThreadState
    func finishThreadState(_ state: ThreadState)
    /// Answers a request; a thrown `HTTPError` becomes its response, a database error its
    /// status (see `ErrorResponses`), anything else a logged 500.
    func handle(_ request: Request, state: ThreadState) throws -> Response
}

/// Limits applied to every request before the application sees it.
public struct ServerLimits: Sendable {
    public var maxBodyBytes: Int
    public var spool: BodySpool?
    public init(maxBodyBytes: Int = 10 << 20, spool: BodySpool? = nil) {
        self.maxBodyBytes = maxBodyBytes
        self.spool = spool
    }
}

/// POST paths whose bodies (CSV imports, up to a GiB) are written to a file as they arrive
/// instead of being held in memory: the handler finds the file in `Request.bodyFile`.
public struct BodySpool: Sendable {
    public var paths: Set<String>
    public var maxBytes: Int
    public var directory: String
    public init(paths: Set<String>, maxBytes: Int, directory: String) {
        self.paths = paths
        self.maxBytes = maxBytes
        self.directory = directory
    }
}

/// Adapts an `HTTPApplication` to the FastCGI worker: builds the `Request`, enforces the
/// body limit, maps errors, adds the request id, writes the response and one access-log line.
public struct HTTPServer<App: HTTPApplication>: FastCGIResponder {
    public let app: App
    public let limits: ServerLimits

    public init(app: App, limits: ServerLimits = ServerLimits()) {
        self.app = app
        self.limits = limits
    }

    /// A pool thread's state: the application's, and its buffered access-log lines.
    public final class ThreadState {
        let app: App.ThreadState
        let accessLog = LogBuffer()
        init(app: App.ThreadState) { self.app = app }
    }

    public func makeThreadState() -> ThreadState { ThreadState(app: app.makeThreadState()) }
    public func finishThreadState(_ state: ThreadState) {
        state.accessLog.flush()
        deferredLog.flush()
        app.finishThreadState(state.app)
    }
    public func willWait(_ state: ThreadState) {
        state.accessLog.flush()
        deferredLog.flush()
    }

    /// The access-log lines of answers given later, by whichever thread gives them.
    private let deferredLog = SharedLogBuffer()

    public func respond(to connection: FastCGIConnection, state: ThreadState) {
        let started = DispatchTime.now().uptimeNanoseconds
        let parameters = connection.parameters()
        let declared = Int(parameters["CONTENT_LENGTH"] ?? "") ?? 0
        var response: Response
        var request: Request
        let uri = parameters["DOCUMENT_URI"] ?? ""
        if let spool = limits.spool, parameters["REQUEST_METHOD"] == "POST", spool.paths.contains(uri) {
            request = Request(parameters: parameters, body: [])
            response = Self.spooled(&request, spool, declared: declared, connection) { request in
                ErrorResponses.run(request) { try app.handle(request, state: state.app) }
            }
        } else if declared > limits.maxBodyBytes {
            request = Request(parameters: parameters, body: [])
            response = HTTPError.payloadTooLarge().response
        } else if let body = connection.readBody(expected: declared, limit: limits.maxBodyBytes) {
            request = Request(parameters: parameters, body: body)
            response = ErrorResponses.run(request) { try app.handle(request, state: state.app) }
        } else {
            request = Request(parameters: parameters, body: [])
            response = HTTPError.payloadTooLarge().response
        }
        if let pending = response.pending {
            let placeholder = response
            if let final = pending.current {
                response = placeholder.completed(by: final)
            } else {
                // Answered later by another thread: this one goes on to its next request.
                let detached = connection.detach()
                let log = deferredLog
                let send: (Response) -> Void = { final in
                    let answer = placeholder.completed(by: final)
                    detached.answer(Self.bytes(answer, request))
                    log.append(Self.accessLine(request, answer, started))
                }
                if let final = pending.takeOrDeliver(send) { send(final) }
                return
            }
        }
        if let stream = response.stream, request.method != "HEAD" {
            connection.write(response.serializedHead(requestID: request.requestID))
            do {
                try stream.write { connection.write($0) }
            } catch {
                // The head is sent: the answer can only be cut short (the client then sees an
                // incomplete download, not a complete-looking truncated file). The log says why.
                Log.error("request \(request.requestID) \(request.method) \(request.path): stream ended early: \(error)")
                connection.abort()
            }
        } else {
            connection.write(Self.bytes(response, request))
        }
        state.accessLog.append(Self.accessLine(request, response, started))
    }

    /// Writes the body of a spooled path to a new file of the spool directory, answers with
    /// `handle`, then removes the file unless the handler moved it.
    static func spooled(_ request: inout Request, _ spool: BodySpool, declared: Int, _ connection: FastCGIConnection,
                        _ handle: (Request) -> Response) -> Response {
        if declared > spool.maxBytes { return HTTPError.payloadTooLarge().response }
        let path = spool.directory + "/" + request.requestID + "-" + Request.makeID()
        try? FileManager.default.createDirectory(atPath: spool.directory, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            Log.error("request \(request.requestID): cannot create \(path): errno \(errno)")
            _ = try? connection.readBody(limit: 0, toDescriptor: -1)
            return HTTPError.unavailable("The upload could not be stored. Try again later.", retryAfter: 30).response
        }
        defer { unlink(path) }
        let written: Int?
        do {
            written = try connection.readBody(limit: spool.maxBytes, toDescriptor: fd)
            close(fd)
        } catch {
            close(fd)
            Log.error("request \(request.requestID): writing the upload failed: \(error)")
            return HTTPError.unavailable("The upload could not be stored (disk full?). Try again later.", retryAfter: 30).response
        }
        guard written != nil else { return HTTPError.payloadTooLarge().response }
        request.bodyFile = path
        return handle(request)
    }

    static func bytes(_ response: Response, _ request: Request) -> [UInt8] {
        let bytes = response.serialized(requestID: request.requestID)
        return request.method == "HEAD" ? Array(bytes.prefix(bytes.count - response.body.count)) : bytes
    }

    static func accessLine(_ request: Request, _ response: Response, _ started: UInt64) -> String {
        let micros = (DispatchTime.now().uptimeNanoseconds - started) / 1000
        return "\(Log.timestamp()) access \(request.remoteAddress) \"\(request.method) \(request.path)\" \(response.status) \(response.body.count) \(micros)us \(request.requestID)\n"
    }
}

/// A `LogBuffer` that several threads append to.
final class SharedLogBuffer: Sendable {
    private let buffer = Lock(LogBuffer())

    func append(_ line: String) {
        buffer.withLock { $0.append(line) }
    }

    func flush() {
        buffer.withLock { $0.flush() }
    }
}

/// How errors become responses.
public enum ErrorResponses {
    /// Runs `body`, turning anything it throws into the right response.
    public static func run(_ request: Request, _ body: () throws -> Response) -> Response {
        do {
            return try body()
        } catch {
            return response(for: error, request: request)
        }
    }

    public static func response(for error: Error, request: Request) -> Response {
        switch error {
        case let error as HTTPError:
            return error.response
        case let error as MariaDBError:
            return response(for: error, request: request)
        default:
            Log.error("request \(request.requestID) \(request.method) \(request.path) failed: \(error)")
            return internalError(request)
        }
    }

    static func response(for error: MariaDBError, request: Request) -> Response {
        if error.isDuplicateKey {
            let field = fieldName(forKey: error.duplicateKeyName)
            return HTTPError.invalid(field, "The \(field.replacingOccurrences(of: "_", with: " ")) has already been taken.").response
        }
        if error.isConnectionLost {
            Log.warning("request \(request.requestID): database unavailable: \(error.code) \(error.message)")
            return HTTPError.unavailable("The database is unavailable. Try again shortly.", retryAfter: 5).response
        }
        if error.isDiskFull {
            Log.error("request \(request.requestID): database out of disk space: \(error.code) \(error.message)")
            return HTTPError.unavailable("The database is out of disk space; nothing was stored. Try again later.", retryAfter: 30).response
        }
        if error.isTimeout || error.isDeadlock {
            Log.warning("request \(request.requestID): database busy: \(error.code) \(error.message)")
            return HTTPError.unavailable("The database is busy. Try again shortly.", retryAfter: 2).response
        }
        if error.isDataError {
            return HTTPError(422, "A value is too long or out of range.").response
        }
        Log.error("request \(request.requestID) \(request.method) \(request.path) failed: \(error)")
        return internalError(request)
    }

    /// Unique keys are named `uq_<field>`: the part after the prefix names the field.
    static func fieldName(forKey key: String?) -> String {
        guard let key else { return "value" }
        return key.hasPrefix("uq_") ? String(key.dropFirst(3)) : key
    }

    /// A 500 tells only the request id; the log has the rest.
    static func internalError(_ request: Request) -> Response {
        .json(["message": "Internal server error.", "request_id": .string(request.requestID)], status: 500)
    }
}
