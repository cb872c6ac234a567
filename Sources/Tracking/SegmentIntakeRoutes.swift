import Foundation
import MariaDB
import Web
import Core
import Customers

/// The Segment-compatible intake (the public Segment HTTP tracking API): `POST /v1/batch`,
/// `/v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/group` and `/v1/alias`, so that
/// analytics.js, Segment's server libraries, RudderStack or Jitsu work with only their host
/// and write key changed. The write key is either of our API keys, sent as the HTTP Basic
/// user name (empty password; `RequestCredential`) or as `writeKey` in the body (`prepare`).
///
/// One write path: each message becomes what `/v1/track/batch` (`TrackedEvent`,
/// `EventRecorder.record`) or `/v1/track/identify` (`EventRecorder.identify`) takes, so every
/// tracking rule (de-duplication, revenue, aggregates, segments, who may overwrite a profile)
/// is theirs.
package enum SegmentIntakeRoutes {
    package static let paths = ["/v1/batch", "/v1/track", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias"]

    package static func register(_ routes: inout Routes) {
        routes.post("/v1/batch", .tracking, batch)
        for kind in SegmentIntakeMessage.Kind.allCases {
            routes.post("/v1/\(kind.rawValue)", .tracking) { c in try single(c, kind: kind) }
        }
        for path in paths { routes.options(path, .anyone, TrackingRoutes.preflight) }
    }

    /// The spec's limits: a batch of at most 500 KB, a message of at most 32 KB (400 beyond).
    static let batchLimit = 500 * 1024, messageLimit = 32 * 1024

    /// Before authentication: a gzip body inflated (at most the batch limit and a byte, so
    /// that a zip bomb costs no more), and a `writeKey` in the body of a request that carries
    /// no other credential taken as its API key (as if sent in X-API-Key).
    package static func prepare(_ request: Request) throws -> Request {
        var body = request.body
        var headers = request.headers
        if let encoding = headers["content-encoding"]?.trimmingCharacters(in: .whitespaces).lowercased(), !encoding.isEmpty,
           encoding != "identity" {
            guard encoding == "gzip" else {
                throw invalid("Content-Encoding", "Only gzip bodies are accepted (Content-Encoding: gzip).")
            }
            do {
                body = try Gzip.inflate(body, limit: batchLimit + 1)
            } catch .tooLarge {
                throw tooLarge(batch: request.path == "/v1/batch")
            } catch {
                throw invalid("Content-Encoding", "The body is not valid gzip data.")
            }
            headers["content-encoding"] = nil
        }
        if body.count > (request.path == "/v1/batch" ? batchLimit : messageLimit) {
            throw tooLarge(batch: request.path == "/v1/batch")
        }
        if try RequestCredential.of(request) == nil, let key = writeKey(body) {
            headers["x-api-key"] = key
        }
        if body == request.body && headers == request.headers { return request }
        return Request(method: request.method, path: request.path, queryString: request.queryString, headers: headers,
                       body: body, remoteAddress: request.remoteAddress, requestID: request.requestID)
    }

    /// The body's `writeKey`, if it is a JSON object with one (no error otherwise: the
    /// handler reports a malformed body, and a missing key is a 401).
    static func writeKey(_ body: [UInt8]) -> String? {
        guard body.count >= 12, let key = (try? JSONParser.parse(body))?["writeKey"]?.stringValue, !key.isEmpty else { return nil }
        return key
    }

    static func tooLarge(batch: Bool) -> HTTPError {
        batch ? invalid("batch", "A batch may be at most 500 KB.") : invalid("body", "A message may be at most 32 KB.")
    }

    /// The spec answers every refused message with 400 (not our 422), naming the field.
    static func invalid(_ field: String, _ message: String) -> HTTPError {
        var errors = ValidationErrors()
        errors.add(field, message)
        return HTTPError(400, message, errors: errors)
    }

    /// `/v1/batch`: the messages in order; those that are invalid are left out and named in
    /// `errors`, the others stored (`200 {"success": true}`, as the libraries expect).
    @Sendable static func batch(_ c: Context) throws -> Response {
        let body = try c.request.jsonObject(plainText: true)
        guard let items = body["batch"]?.arrayValue else {
            throw invalid("batch", "The batch field must be an array of messages.")
        }
        if c.request.body.count > messageLimit {
            for (index, item) in items.enumerated() where JSONWriter.string(item).utf8.count > messageLimit {
                throw invalid("batch.\(index)", "A message may be at most 32 KB.")
            }
        }
        let sentAt = body["sentAt"]?.stringValue
        let messages = items.enumerated().map { ($0.offset, $0.element.objectValue, nil as SegmentIntakeMessage.Kind?) }
        let errors = try process(c, messages, sentAt: sentAt)
        return .json(errors.isEmpty ? ["success": true] : ["success": true, "errors": .array(errors)])
    }

    /// `/v1/track`, `/v1/identify`, ...: one message of the path's type; 400 naming the field
    /// when it is invalid.
    static func single(_ c: Context, kind: SegmentIntakeMessage.Kind) throws -> Response {
        let body = try c.request.jsonObject(plainText: true)
        do {
            _ = try process(c, [(0, body, kind)], sentAt: nil, throwing: true)
        } catch let error as HTTPError where error.status == 422 {
            // The spec answers every invalid message with 400.
            throw HTTPError(400, error.message, errors: error.errors)
        }
        return .json(["success": true])
    }

    /// Runs the messages in order. Consecutive tracks, pages and screens are stored together
    /// (one `EventRecorder.record`); an identify, group or alias first stores the events
    /// before it, so that an identify joins the anonymous events sent before it. Returns the
    /// errors of the messages left out (`throwing`: throws the first instead).
    static func process(_ c: Context, _ messages: [(Int, JSONObject?, SegmentIntakeMessage.Kind?)], sentAt: String?,
                        throwing: Bool = false) throws -> [JSON] {
        let now = Date()
        var errors: [(Int, HTTPError)] = []
        var pending: [(Int, SegmentIntakeMessage)] = []
        let sourceKey = c.principal?.apiKeyID
        func flush() throws {
            guard !pending.isEmpty else { return }
            // Checked first, so that an invalid event makes no customer: an event of a userId
            // is read with a stand-in customer id, replaced once the valid ones' are known.
            var events: [TrackedEvent] = [], users: [String?] = []
            for (index, m) in pending {
                do {
                    events.append(try m.event(customerID: m.userID == nil ? nil : Int(Int32.max), request: c.request, now: now,
                                              sourceKeyID: sourceKey))
                    users.append(m.userID)
                } catch let error as HTTPError {
                    if throwing { throw error }
                    errors.append((index, error))
                }
            }
            pending = []
            let ids = try EventRecorder.customerIDs(c.db, c.tenant, externalIDs: Array(Set(users.compactMap { $0 })))
            for i in events.indices { if let user = users[i] { events[i].customerID = ids[user] } }
            try TrackingRoutes.applyRevenueRule(c, &events)
            if !events.isEmpty { _ = try EventRecorder.record(c.db, c.tenant, events) }
        }
        for (index, object, kind) in messages {
            do {
                guard let object else { throw HTTPError.badRequest("The message must be a JSON object.") }
                let m = try SegmentIntakeMessage(object, kind: kind, sentAt: sentAt, receivedAt: now)
                switch m.kind {
                case .track, .page, .screen:
                    pending.append((index, m))
                case .identify, .group, .alias:
                    try flush()
                    try SegmentIntakeIdentity.apply(c, m)
                }
            } catch let error as HTTPError where error.status == 400 || error.status == 422 {
                if throwing { throw error }
                errors.append((index, error))
            }
        }
        try flush()
        return errors.sorted { $0.0 < $1.0 }.map { index, error in
            let detail = error.errors?.fields.first.map { "\($0.field): \($0.messages.joined(separator: " "))" } ?? error.message
            return ["index": .int(Int64(index)), "message": .string(detail)]
        }
    }
}
