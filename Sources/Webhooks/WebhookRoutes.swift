import Accounts
import Core
import Foundation
import MariaDB
import Outbound
import Web

/// `/v1/webhooks`: subscriptions (URL, event types, secret, active or paused), a test event,
/// the delivery log and replays. Admins and secret keys only (`Permissions`); every change
/// is in the audit log, in its transaction.
package enum WebhookRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/webhooks", .server, list)
        routes.post("/v1/webhooks", .server, create)
        routes.get("/v1/webhooks/{id}", .server, show)
        routes.put("/v1/webhooks/{id}", .server, update)
        routes.delete("/v1/webhooks/{id}", .server, remove)
        routes.post("/v1/webhooks/{id}/rotate-secret", .server, rotate)
        routes.post("/v1/webhooks/{id}/test", .server, test)
        routes.get("/v1/webhooks/{id}/deliveries", .server, deliveries)
        routes.get("/v1/webhooks/{id}/attempts", .server, attempts)
        routes.post("/v1/webhooks/{id}/deliveries/{delivery}/replay", .server, replayOne)
        routes.post("/v1/webhooks/{id}/replay", .server, replayFailed)
    }

    /// The fields of a create (all required but description) or an update (each optional).
    struct Fields {
        var url: String?, description: String?, types: [String]?, eventNames: [String]??, status: String?

        init(_ input: inout Input, creating: Bool) {
            input.refuseNull("url", "types", "status")
            url = input.string("url", required: creating, max: 2000)
            if let url {
                do { try Outbound.check(url: url) } catch {
                    input.fail("url", error == .refused ? "The url \(OutboundError.fieldMessage)." : "The url must be an http or https URL.")
                }
            }
            description = input.string("description", required: false, max: 255)
            if input.has("types") || creating {
                types = Self.names(&input, "types", allowed: WebhookOutbox.types, required: true)
            }
            if input.has("event_names") {
                eventNames = input.object["event_names"]?.isNull == true ? .some(nil) : Self.names(&input, "event_names", allowed: nil, required: false)
            }
            status = input.oneOf("status", ["active", "paused"], default: creating ? "active" : nil)
        }

        /// A list of distinct names (event types from `allowed`, or tracked event names).
        static func names(_ input: inout Input, _ key: String, allowed: [String]?, required: Bool) -> [String]? {
            guard case .array(let items)? = input.object[key], items.count <= 100 else {
                input.fail(key, "The \(key.replacingOccurrences(of: "_", with: " ")) must be a list of at most 100 names.")
                return nil
            }
            var out: [String] = []
            for item in items {
                guard let name = item.stringValue, !name.isEmpty, name.count <= 190, Input.controlCharacterProblem(name) == nil else {
                    input.fail(key, "Each of the \(key.replacingOccurrences(of: "_", with: " ")) must be a non-empty name.")
                    return nil
                }
                if let allowed, !allowed.contains(name) {
                    input.fail(key, "Unknown event type \(name): the types are \(allowed.joined(separator: ", ")).")
                    return nil
                }
                if !out.contains(name) { out.append(name) }
            }
            if required && out.isEmpty { input.fail(key, "Choose at least one event type.") }
            return out
        }
    }

    static func text(_ names: [String]) -> String { JSONWriter.string(.array(names.map { .string($0) })) }

    @Sendable static func list(_ c: Context) throws -> Response {
        let rows = try c.db.query("SELECT \(WebhookStore.columns) FROM webhook_subscriptions WHERE tenant_id = \(c.tenant) ORDER BY id DESC LIMIT 500")
        return .json(["data": .array(try rows.map(WebhookStore.json)),
                      "event_types": .array(WebhookOutbox.types.map { .string($0) })])
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try WebhookStore.json(try WebhookStore.find(c.db, c.tenant, try c.request.id())))
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let f = Fields(&input, creating: true)
        try input.check()
        let secret = WebhookSignature.newSecret()
        let row: Row = try c.db.transaction {
            let id = try c.db.execute("""
                INSERT INTO webhook_subscriptions (tenant_id, url, description, types, event_names, secret, status, created_by, created_at, updated_at)
                VALUES (\(c.tenant), \(f.url!), \(f.description), \(text(f.types!)), \((f.eventNames ?? nil).map(text)), \(secret),
                        \(f.status!), \(c.principal?.userID), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            try AuditLog.record(c, "webhook.created", target: ("webhook", id),
                                details: ["url": .string(f.url!), "types": .array(f.types!.map { .string($0) })])
            return try WebhookStore.find(c.db, c.tenant, id)
        }
        WebhookOutbox.invalidate(tenant: c.tenant.id)
        guard case .object(var body) = try WebhookStore.json(row) else { return .json([:]) }
        body["secret"] = .string(secret)
        body["note"] = "This is the only time the full secret is shown; rotate it to get a new one."
        return .json(.object(body), status: 201)
    }

    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        var input = try Input(c.request)
        let f = Fields(&input, creating: false)
        try input.check()
        let row: Row = try c.db.transaction {
            let before = try WebhookStore.find(c.db, c.tenant, id, lock: true)
            var sets: [SQL] = ["updated_at = UTC_TIMESTAMP(6)"]
            if let url = f.url { sets.append("url = \(url)") }
            if input.has("description") { sets.append("description = \(f.description)") }
            if let types = f.types { sets.append("types = \(text(types))") }
            if let names = f.eventNames { sets.append("event_names = \(names.map(text))") }
            if let status = f.status, status != (try before.string("status")) {
                sets.append("status = \(status)")
                sets.append("paused_reason = NULL")
                if status == "active" { sets.append("failing_since = NULL") }
            }
            try c.db.execute("UPDATE webhook_subscriptions SET \(SQL.join(sets, separator: ", ")) WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try AuditLog.record(c, "webhook.updated", target: ("webhook", id), details: .object(input.object))
            return try WebhookStore.find(c.db, c.tenant, id)
        }
        WebhookOutbox.invalidate(tenant: c.tenant.id)
        return .json(try WebhookStore.json(row))
    }

    @Sendable static func remove(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            let row = try WebhookStore.find(c.db, c.tenant, id, lock: true)
            try c.db.execute("DELETE FROM webhook_subscriptions WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try AuditLog.record(c, "webhook.deleted", target: ("webhook", id), details: ["url": row.json("url")])
        }
        WebhookOutbox.invalidate(tenant: c.tenant.id)
        return .json(["message": "Webhook deleted."])
    }

    /// A new secret; the previous one keeps signing too (a second signature) for 24 hours.
    @Sendable static func rotate(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let secret = WebhookSignature.newSecret()
        try c.db.transaction {
            _ = try WebhookStore.find(c.db, c.tenant, id, lock: true)
            try c.db.execute("""
                UPDATE webhook_subscriptions SET previous_secret = secret, previous_secret_until = UTC_TIMESTAMP(6) + INTERVAL 1 DAY,
                    secret = \(secret), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
            try AuditLog.record(c, "webhook.secret_rotated", target: ("webhook", id))
        }
        return .json(["id": .int(Int64(id)), "secret": .string(secret),
                      "note": "The previous secret also signs (a second signature) for 24 hours."])
    }

    /// Queues a `webhook.test` event for this subscription only.
    @Sendable static func test(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let row = try WebhookStore.find(c.db, c.tenant, id)
        guard try row.string("status") == "active" else { throw HTTPError.conflict("The webhook is paused: resume it to send a test event.") }
        let data: JSON = ["message": "A test event from EnterCRM.", "webhook_id": .int(Int64(id))]
        let delivery = try c.db.execute("""
            INSERT INTO webhook_deliveries (tenant_id, subscription_id, type, subject, data, next_attempt_at, occurred_at, created_at)
            VALUES (\(c.tenant), \(id), 'webhook.test', \("test:\(id)"), \(JSONWriter.string(data)), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        return .json(["delivery_id": .int(Int64(delivery)), "message": "Test event queued."], status: 202)
    }
}
