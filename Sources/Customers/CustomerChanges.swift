import MariaDB
import Web
import Core

/// The history of customers' profiles: what each write changed (field, old value, new value)
/// and who made it. Every writer of profile fields takes a `snapshot` of the customers it
/// writes before and after, inside its transaction, and hands both to `record`, the one
/// comparison; the timeline shows the rows as `profile_changed`.
package enum CustomerChanges {
    /// Who changed it: a member, an API key, or the system (an automation).
    package struct Actor: Sendable {
        let type: String
        let id: Int?

        package static let system = Actor(type: "system", id: nil)

        package init(_ principal: Principal?) {
            if let user = principal?.userID {
                (type, id) = ("member", user)
            } else if let key = principal?.apiKeyID {
                (type, id) = ("api_key", key)
            } else {
                (type, id) = ("system", nil)
            }
        }

        init(type: String, id: Int?) {
            self.type = type
            self.id = id
        }
    }

    /// Each customer's compared fields: name, email, phone, city, country, company and owner,
    /// and each property as `properties.<key>`.
    package typealias Snapshot = [Int: [String: JSON]]

    /// The profiles of `ids` (call it inside the writer's transaction, after locking them).
    package static func snapshot(_ db: Connection, _ tenant: Tenant, ids: [Int]) throws -> Snapshot {
        guard !ids.isEmpty else { return [:] }
        return try read(db, "SELECT \(CustomerProfile.columns) FROM customers WHERE tenant_id = \(tenant) AND id IN (\(list: ids))")
    }

    /// The profile of the customer with `email`, if there is one (identify's upsert is by email).
    package static func snapshot(_ db: Connection, _ tenant: Tenant, email: String) throws -> Snapshot {
        try read(db, "SELECT \(CustomerProfile.columns) FROM customers WHERE tenant_id = \(tenant) AND email = \(email) FOR UPDATE")
    }

    static func read(_ db: Connection, _ sql: SQL) throws -> Snapshot {
        var snapshot: Snapshot = [:]
        for row in try db.query(sql) { snapshot[try row.int("id")] = CustomerProfile(row: row).snapshot }
        return snapshot
    }

    /// Writes a row per field that differs between `before` and `after`, for the customers in
    /// both (a customer made by the write has no history yet), in one statement.
    package static func record(_ db: Connection, _ tenant: Tenant, before: Snapshot, after: Snapshot, actor: Actor) throws {
        try record(db, tenant, transitions: before.sorted { $0.key < $1.key }.compactMap { id, old in
            after[id].map { (id, old, $0) }
        }, actor: actor)
    }

    /// The same for a batch of writes (an import's chunk), in order: one customer may change
    /// more than once (a file naming the same email twice), each change its own rows.
    static func record(_ db: Connection, _ tenant: Tenant, transitions: [(id: Int, before: [String: JSON], after: [String: JSON])],
                       actor: Actor) throws {
        var rows: [SQL] = []
        var updated: [WebhookOutbox.Item] = []
        for (id, old, new) in transitions {
            var changes = JSONObject()
            for field in Set(old.keys).union(new.keys).sorted() {
                let was = old[field] ?? .null, now = new[field] ?? .null
                guard was != now else { continue }
                let oldText: String? = was == .null ? nil : JSONWriter.string(was)
                let newText: String? = now == .null ? nil : JSONWriter.string(now)
                rows.append("(\(tenant), \(id), \(String(field.prefix(200))), \(oldText), \(newText), \(actor.type), \(actor.id), UTC_TIMESTAMP(6))")
                changes[field] = ["old": was, "new": now]
            }
            if !changes.isEmpty {
                updated.append(.init("customer.updated", subject: "customer:\(id)", data: ["id": .int(Int64(id)), "changes": .object(changes)]))
            }
        }
        // customer.updated: the same comparison, in the writer's transaction.
        try WebhookOutbox.record(db, tenant: tenant.id, updated)
        // At most 1,000 rows a statement (8 values each: well within a statement's 65,535).
        for start in stride(from: 0, to: rows.count, by: 1_000) {
            try db.execute("""
                INSERT INTO customer_changes (tenant_id, customer_id, field, old_value, new_value, actor_type, actor_id, occurred_at)
                VALUES \(SQL.join(Array(rows[start..<min(start + 1_000, rows.count)]), separator: ", "))
                """)
        }
    }

    /// customer.created for `ids`, customers the caller's transaction made (the API, identify,
    /// the batch import): one read and one outbox statement in that transaction, and nothing
    /// at all when the workspace has no such subscription (`WebhookOutbox.mayWant`). Not a
    /// trigger on customers: a trigger call per inserted row measurably slowed bulk inserts.
    package static func created(_ db: Connection, _ tenant: Tenant, ids: [Int]) throws {
        guard !ids.isEmpty, WebhookOutbox.mayWant(db, tenant: tenant.id, "customer.created") else { return }
        let fields = ["id", "email", "name", "phone", "city", "country", "company_id", "created_at"]
        let rows = try db.query("""
            SELECT id, email, name, phone, city, country, company_id, created_at FROM customers
            WHERE tenant_id = \(tenant) AND id IN (\(list: ids)) ORDER BY id
            """)
        try WebhookOutbox.record(db, tenant: tenant.id, try rows.map { row in
            .init("customer.created", subject: "customer:\(try row.int("id"))", data: row.json(fields))
        })
    }

    /// A customer's changes, oldest first (the customer export).
    package static func all(_ db: Connection, _ tenant: Tenant, customer id: Int) throws -> [JSON] {
        try db.query("""
            SELECT field, old_value, new_value, actor_type, actor_id, occurred_at FROM customer_changes
            WHERE tenant_id = \(tenant) AND customer_id = \(id) ORDER BY occurred_at, id
            """).map { row in
            let value = { (name: String) -> JSON in row.optionalString(name).flatMap { try? JSONParser.parse($0) } ?? .null }
            return .object(JSONObject([
                ("field", .string(try row.string("field"))), ("old", value("old_value")), ("new", value("new_value")),
                ("actor_type", .string(try row.string("actor_type"))), ("actor_id", row.json("actor_id")),
                ("occurred_at", row.json("occurred_at")),
            ]))
        }
    }

    /// What profile changes add to a customer's timeline.
    package static let timeline = [
        TimelineBranch(
            subject: "customer", types: ["profile_changed"], type: "'profile_changed'", occurredAt: "pc.occurred_at", id: "pc.id",
            actorType: "pc.actor_type", actorID: "pc.actor_id",
            data: "JSON_OBJECT('field', pc.field, 'old', JSON_EXTRACT(pc.old_value, '$'), 'new', JSON_EXTRACT(pc.new_value, '$'))",
            from: "customer_changes pc FORCE INDEX (idx_customer_changes_customer)",
            of: { tenant, id in "pc.tenant_id = \(tenant) AND pc.customer_id = \(id)" }),
    ]
}
