import Core
import MariaDB
import Web

extension EventRecorder {
    /// event.tracked for the batch's new events, in its transaction (one statement for the
    /// batch); nothing at all when the workspace has no such subscription (a cached answer).
    static func webhooks(_ db: Connection, _ tenant: Tenant, _ stored: [(TrackedEvent, Int?)]) throws {
        guard !stored.isEmpty, WebhookOutbox.mayWant(db, tenant: tenant.id, "event.tracked") else { return }
        try WebhookOutbox.record(db, tenant: tenant.id, stored.map { e, customer in
            WebhookOutbox.Item("event.tracked", subject: customer.map { "customer:\($0)" } ?? "anonymous:\(e.anonymousID ?? e.publicID)",
                               name: e.name, data: [
                "id": .string(e.publicID), "customer_id": customer.map { .int(Int64($0)) } ?? .null,
                "anonymous_id": e.anonymousID.map { .string($0) } ?? .null, "type": .string(e.kind.rawValue), "name": .string(e.name),
                "properties": .object(e.properties), "amount": e.amount.map { .number("\($0)") } ?? .null,
                "currency": e.currency.map { .string($0) } ?? .null, "url": e.url.map { .string($0) } ?? .null,
                "occurred_at": .string(RFC3339.format(e.occurredAt)),
            ])
        })
    }
}
