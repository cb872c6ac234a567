import Foundation
import MariaDB
import Platform
import Web

/// What webhook subscriptions hear about: a change written to the outbox in the same
/// transaction as the change itself (`webhook_enqueue`, schema/039, the one writer of outbox
/// rows), so nothing is lost and nothing is sent for a change that rolled back. Every feature
/// calls `record` from the one place its change happens; customers' erasure and segment
/// membership changes are written by triggers (schema/039).
/// The Webhooks feature delivers the rows.
public enum WebhookOutbox {
    /// Every event type a subscription may ask for.
    public static let types = [
        "customer.created", "customer.updated", "customer.deleted",
        "event.tracked",
        "segment.entered", "segment.exited",
        "campaign.sent", "message.bounced", "message.unsubscribed",
        "entry.created", "entry.updated", "entry.stage_changed", "entry.deleted",
        "company.created", "company.updated", "company.deleted",
        "task.created", "task.updated", "task.completed", "task.deleted",
    ]

    /// One change: its type, the subject whose deliveries keep their order ("customer:12"),
    /// the tracked event's name (event.tracked only) and the `data` of the webhook's body.
    public struct Item: Sendable {
        public let type: String
        public let subject: String
        public let name: String?
        public let data: JSON

        public init(_ type: String, subject: String, name: String? = nil, data: JSON) {
            self.type = type
            self.subject = subject
            self.name = name
            self.data = data
        }
    }

    /// Writes `items` to the outbox for the workspace's active subscriptions of their types,
    /// on `db` (so inside the caller's transaction). One statement whatever the count.
    public static func record(_ db: Connection, tenant: Int, _ items: [Item]) throws {
        guard !items.isEmpty else { return }
        let list: [JSON] = items.map { item in
            ["type": .string(item.type), "subject": .string(item.subject), "name": item.name.map { .string($0) } ?? .null,
             "data": .string(JSONWriter.string(item.data))]
        }
        try db.execute("CALL webhook_enqueue(\(tenant), \(JSONWriter.string(.array(list))))")
    }

    /// Whether the workspace may have an active subscription of `type`, answered from a
    /// per-process cache at most `ttl` seconds old: the hot path of tracking asks this before
    /// paying for anything. A subscription made in another process is seen within `ttl`;
    /// one paused or deleted is filtered out by `webhook_enqueue` itself.
    public static func mayWant(_ db: Connection, tenant: Int, _ type: String) -> Bool {
        let now = Date().timeIntervalSince1970
        if let hit = cache.withLock({ $0[tenant] }), hit.until > now { return hit.types.contains(type) }
        var found: Set<String> = []
        do {
            for row in try db.query("SELECT types FROM webhook_subscriptions WHERE tenant_id = \(tenant) AND status = 'active'") {
                if case .array(let names)? = try? JSONParser.parse(try row.string("types")) {
                    found.formUnion(names.compactMap(\.stringValue))
                }
            }
        } catch {
            return true // unknown: let webhook_enqueue decide
        }
        cache.withLock { $0[tenant] = (found, now + ttl) }
        return found.contains(type)
    }

    /// Forgets what this process knows of a workspace's subscriptions (after it changes them).
    public static func invalidate(tenant: Int) {
        _ = cache.withLock { $0.removeValue(forKey: tenant) }
    }

    static let ttl = 1.0
    static let cache = Lock<[Int: (types: Set<String>, until: Double)]>([:])
}
