import Foundation
import MariaDB
import Web
import Core
import Accounts
import Customers

/// `/v1/track/*`: events, pageviews, batches and identify, from servers (secret keys) and
/// browsers (publishable keys, cross-origin, `text/plain` bodies from sendBeacon).
package enum TrackingRoutes {
    package static func register(_ routes: inout Routes) {
        routes.post("/v1/track/event", .tracking, event)
        routes.post("/v1/track/pageview", .tracking, pageview)
        routes.post("/v1/track/batch", .tracking, batch)
        routes.post("/v1/track/identify", .tracking, identify)
        for path in ["/v1/track/event", "/v1/track/pageview", "/v1/track/batch", "/v1/track/identify"] {
            routes.options(path, .anyone, preflight)
        }
        routes.get("/v1/events", .server, recent)
    }

    static let batchLimit = 500

    /// Browsers call these endpoints from customers' websites: any origin may, since the
    /// credential is a publishable key (no cookies are involved).
    static let corsHeaders: [(String, String)] = [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "POST, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type, X-API-Key, Authorization, Content-Encoding"),
        ("Access-Control-Max-Age", "86400"),
    ]

    package static func cors(_ response: Response) -> Response {
        var response = response
        response.headers += corsHeaders
        return response
    }

    @Sendable static func preflight(_ c: Context) throws -> Response {
        Response(status: 204)
    }

    /// Customer ids given explicitly must be this workspace's.
    static func checkCustomerIDs(_ c: Context, _ events: [TrackedEvent]) throws -> Set<Int> {
        let ids = Array(Set(events.compactMap(\.customerID)))
        guard !ids.isEmpty else { return [] }
        let known = Set(try c.db.query("SELECT id FROM customers WHERE tenant_id = \(c.tenant) AND id IN (\(list: ids))").map { try $0.int("id") })
        return Set(ids).subtracting(known)
    }

    /// `TrackedEvent.applyRevenueRule` for this caller.
    static func applyRevenueRule(_ c: Context, _ events: inout [TrackedEvent]) throws {
        try TrackedEvent.applyRevenueRule(&events, publishable: c.principal?.isPublishableKey == true) {
            try WorkspaceSettings.countsBrowserRevenue(c.db, c.tenant)
        }
    }

    static func single(_ c: Context, kind: TrackedEvent.Kind) throws -> Response {
        var events = [try TrackedEvent(try c.request.jsonObject(plainText: true), kind: kind, request: c.request, now: Date())]
        try applyRevenueRule(c, &events)
        let event = events[0]
        if !(try checkCustomerIDs(c, [event])).isEmpty {
            throw HTTPError.invalid("customer_id", "The customer id is not a customer of this workspace.")
        }
        // Answered by the process's tracking writer once the event is committed; this thread
        // goes on to other requests meanwhile.
        let pending = PendingResponse(), request = c.request
        try TrackingGroupCommit.shared.submit(c.configuration.database, c.tenant, event) { outcome in
            pending.fulfil(ErrorResponses.run(request) {
                let result = try outcome.get()
                return .json(["recorded": true, "event_id": .string(result.eventID), "customer_id": .from(result.customerID)])
            })
        }
        return .pending(pending)
    }

    @Sendable static func event(_ c: Context) throws -> Response {
        try single(c, kind: .event)
    }

    @Sendable static func pageview(_ c: Context) throws -> Response {
        try single(c, kind: .pageview)
    }

    /// Up to 500 items; the valid ones are stored even when others are not.
    @Sendable static func batch(_ c: Context) throws -> Response {
        let body = try c.request.jsonObject(plainText: true)
        guard let items = body["events"]?.arrayValue else {
            throw HTTPError.invalid("events", "The events field must be an array of events.")
        }
        guard items.count <= batchLimit else {
            throw HTTPError.invalid("events", "A batch may hold at most \(batchLimit) events.")
        }
        let now = Date()
        var errors: [JSON] = []
        var valid: [TrackedEvent] = []
        for (index, item) in items.enumerated() {
            guard let object = item.objectValue else {
                errors.append(["index": .int(index), "message": "The event must be a JSON object."])
                continue
            }
            let kind: TrackedEvent.Kind = object["type"]?.stringValue == "pageview" ? .pageview : .event
            do {
                valid.append(try TrackedEvent(object, kind: kind, request: c.request, now: now))
            } catch let error as HTTPError {
                let detail = error.errors?.fields.first.map { "\($0.field): \($0.messages.joined(separator: " "))" } ?? error.message
                errors.append(["index": .int(index), "message": .string(detail)])
            }
        }
        let unknown = try checkCustomerIDs(c, valid)
        if !unknown.isEmpty {
            var kept: [TrackedEvent] = []
            var validIndex = 0
            for (index, item) in items.enumerated() {
                guard item.objectValue != nil, !errors.contains(where: { $0["index"]?.intValue == index }) else { continue }
                let event = valid[validIndex]
                validIndex += 1
                if let id = event.customerID, unknown.contains(id) {
                    errors.append(["index": .int(index), "message": "customer_id: The customer id is not a customer of this workspace."])
                } else {
                    kept.append(event)
                }
            }
            valid = kept
            errors.sort { ($0["index"]?.intValue ?? 0) < ($1["index"]?.intValue ?? 0) }
        }
        try applyRevenueRule(c, &valid)
        let results = try EventRecorder.record(c.db, c.tenant, valid)
        let duplicates = results.filter(\.duplicate).count
        return .json([
            "recorded": .int(results.count - duplicates),
            "duplicates": .int(duplicates),
            "errors": .array(errors),
        ])
    }

    /// Links a browser's anonymous id to a customer (made from the email if new), applies the
    /// traits, and moves the browser's anonymous history to the customer. A browser already
    /// linked to another identified customer is linked anew for what comes next; the two
    /// customers are never merged. With a publishable key the traits only fill what is empty
    /// (`EventRecorder.identify`).
    @Sendable static func identify(_ c: Context) throws -> Response {
        let body = try c.request.jsonObject(plainText: true)
        var input = Input(body)
        let email = input.email("email")
        let anonymousID = input.string("anonymous_id", required: false, max: 100).flatMap { $0.isEmpty ? nil : $0 }
        let traits = body["traits"]?.objectValue ?? JSONObject()
        if body["traits"] != nil, body["traits"] != .null, body["traits"]?.objectValue == nil {
            input.fail("traits", "The traits must be a JSON object.")
        }
        let t = readTraits(traits, into: &input)
        try input.check()

        let (customerID, merged) = try EventRecorder.identify(c.db, c.tenant, key: .email(email!), traits: t, anonymousID: anonymousID,
                                                              overwrite: c.principal?.isPublishableKey != true,
                                                              actor: CustomerChanges.Actor(c.principal))
        return .json(["identified": true, "customer_id": .int(customerID), "merged_events": .int(merged)])
    }

    /// The traits an identify may set (`traits` of `/v1/track/identify`, the customer fields
    /// of a Segment identify's), checked; problems go to `input` named `traits.<field>`.
    static func readTraits(_ traits: JSONObject, into input: inout Input) -> EventRecorder.Traits {
        var traitInput = Input(traits)
        var t = EventRecorder.Traits()
        t.name = traitInput.string("name", required: false, max: 190)
        t.phone = traitInput.string("phone", required: false, max: 40)
        t.city = traitInput.string("city", required: false, max: 120)
        t.country = traitInput.string("country", required: false, max: 64)
        if let c = t.country, c.count == 2 { t.country = c.uppercased() }
        t.properties = traitInput.properties("properties")
        for field in traitInput.errors.fields { for m in field.messages { input.fail("traits.\(field.field)", m) } }
        return t
    }

    /// The workspace's latest events (the console's live view).
    @Sendable static func recent(_ c: Context) throws -> Response {
        var limit = 50
        if let raw = c.request.query["limit"] {
            guard let v = Int(raw), (1...200).contains(v) else { throw HTTPError.invalid("limit", "The limit must be between 1 and 200.") }
            limit = v
        }
        return .json(["data": .array(try latest(c.db, c.tenant, limit: limit))])
    }

    /// The workspace's latest events, newest first, with their customers' email and name;
    /// with `sourceKey`, only those that came in with that key through the Segment intake.
    package static func latest(_ db: Connection, _ tenant: Tenant, limit: Int, sourceKey: Int? = nil) throws -> [JSON] {
        let index: SQL = sourceKey == nil ? "" : "FORCE INDEX (idx_events_source)"
        let source: SQL = sourceKey.map { "AND e.source_key_id = \($0)" } ?? ""
        let rows = try db.query("""
            SELECT e.public_id, e.type, e.name, e.customer_id, e.anonymous_id, e.properties, e.url, e.referrer, e.message_id,
                   e.occurred_at, e.received_at, cu.email AS customer_email, cu.name AS customer_name
            FROM events e \(index) LEFT JOIN customers cu ON cu.id = e.customer_id AND cu.tenant_id = e.tenant_id
            WHERE e.tenant_id = \(tenant) \(source) ORDER BY e.id DESC LIMIT \(limit)
            """)
        return rows.map { row in
            var o = CustomerJSON.event(row).objectValue!
            o["customer_email"] = row.json("customer_email")
            o["customer_name"] = row.json("customer_name")
            return .object(o)
        }
    }
}
