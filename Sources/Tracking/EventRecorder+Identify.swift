import Foundation
import MariaDB
import Web
import Core
import Customers
import Segments

extension EventRecorder {
    /// What an identify may set on a customer.
    struct Traits {
        var name: String?, phone: String?, city: String?, country: String?
        var properties: JSONObject?
    }

    /// Whom an identify names: an email (`/v1/track/identify`), or an external id (a Segment
    /// `userId`, `customers.external_id`) with the email its traits may give.
    enum IdentityKey: Equatable {
        case email(String)
        case externalID(String, email: String?)
    }

    /// The one rule of who may write a customer's profile from tracking. With `overwrite`
    /// (a secret key or a session) the traits replace what is there and the properties are
    /// merged (RFC 7396). Without it (a publishable key, public in web pages) the traits only
    /// fill fields that are empty and add properties whose keys are absent: an identified
    /// customer's name, phone, city, country, email and existing properties never change.
    /// Either way the browser's anonymous history is linked to the customer, and the
    /// aggregates rebuilt from the events (whose revenue is what
    /// `TrackedEvent.applyRevenueRule` let count). Two customers are never merged: an email
    /// that is another identified customer's is not taken (`customer(externalID:)`).
    /// Returns the customer id and how many anonymous events joined them.
    static func identify(_ db: Connection, _ tenant: Tenant, key: IdentityKey, traits t: Traits, anonymousID: String?,
                         overwrite: Bool, actor: CustomerChanges.Actor) throws -> (customerID: Int, merged: Int) {
        try db.transaction {
            let id: Int, before: CustomerChanges.Snapshot
            switch key {
            case .email(let email):
                before = try CustomerChanges.snapshot(db, tenant, email: email)
                id = try db.execute("""
                    INSERT INTO customers (tenant_id, email, properties, created_at, updated_at)
                    VALUES (\(tenant), \(email), '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                    ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), updated_at = UTC_TIMESTAMP(6)
                    """).lastInsertID
            case .externalID(let external, let email):
                (id, before) = try customer(db, tenant, externalID: external, email: email, overwrite: overwrite)
            }
            try applyTraits(db, tenant, id: id, t, overwrite: overwrite)
            var merged = 0
            if let anonymousID { merged = try link(db, tenant, anonymousID: anonymousID, to: id) }
            try CustomerChanges.record(db, tenant, before: before, after: try CustomerChanges.snapshot(db, tenant, ids: [id]), actor: actor)
            // No profile before this upsert (read with a lock on the address): it made the customer.
            if before.isEmpty { try CustomerChanges.created(db, tenant, ids: [id]) }
            // The profile changed (and, merging, the activity): every segment looks again.
            try SegmentStore.markDirty(db, tenant, customers: [id])
            return (id, merged)
        }
    }

    /// The customer an external id names, locked, and its profile before: found by the
    /// external id; else the customer of `email` when no system named them yet (they get the
    /// external id); else a new one. An email that belongs to another customer already named
    /// by another external id stays theirs (never merged; the new customer has no email). An
    /// existing customer's email changes only with `overwrite`, to an address no one has.
    private static func customer(_ db: Connection, _ tenant: Tenant, externalID: String, email: String?,
                                 overwrite: Bool) throws -> (Int, CustomerChanges.Snapshot) {
        if let row = try db.queryOne("""
            SELECT id, email FROM customers WHERE tenant_id = \(tenant) AND external_id = \(externalID) FOR UPDATE
            """) {
            let id = try row.int("id")
            let before = try CustomerChanges.snapshot(db, tenant, ids: [id])
            let current = row.optionalString("email")
            if let email, email != current, overwrite || current == nil,
               try db.queryOne("SELECT id FROM customers WHERE tenant_id = \(tenant) AND email = \(email)") == nil {
                try db.execute("UPDATE customers SET email = \(email), updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = \(tenant) AND id = \(id)")
            }
            return (id, before)
        }
        var email = email
        if let address = email, let row = try db.queryOne("""
            SELECT id, external_id FROM customers WHERE tenant_id = \(tenant) AND email = \(address) FOR UPDATE
            """) {
            let id = try row.int("id")
            if row.optionalString("external_id") == nil {
                let before = try CustomerChanges.snapshot(db, tenant, ids: [id])
                try db.execute("UPDATE customers SET external_id = \(externalID), updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = \(tenant) AND id = \(id)")
                return (id, before)
            }
            email = nil
        }
        let id = try db.execute("""
            INSERT INTO customers (tenant_id, email, external_id, properties, created_at, updated_at)
            VALUES (\(tenant), \(email), \(externalID), '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        return (id, [:])
    }

    /// Writes the traits on a customer (locked by the caller) under `identify`'s rule.
    private static func applyTraits(_ db: Connection, _ tenant: Tenant, id: Int, _ t: Traits, overwrite: Bool) throws {
        if t.name != nil || t.phone != nil || t.city != nil || t.country != nil {
            if overwrite {
                try db.execute("""
                    UPDATE customers SET name = COALESCE(\(t.name), name), phone = COALESCE(\(t.phone), phone),
                        city = COALESCE(\(t.city), city), country = COALESCE(\(t.country), country), updated_at = UTC_TIMESTAMP(6)
                    WHERE tenant_id = \(tenant) AND id = \(id)
                    """)
            } else {
                try db.execute("""
                    UPDATE customers SET name = COALESCE(NULLIF(name, ''), \(t.name)), phone = COALESCE(NULLIF(phone, ''), \(t.phone)),
                        city = COALESCE(NULLIF(city, ''), \(t.city)), country = COALESCE(NULLIF(country, ''), \(t.country)),
                        updated_at = UTC_TIMESTAMP(6)
                    WHERE tenant_id = \(tenant) AND id = \(id)
                    """)
            }
        }
        guard let properties = t.properties else { return }
        let current = try db.queryOne("SELECT properties FROM customers WHERE tenant_id = \(tenant) AND id = \(id)")
        let existing = (try? JSONParser.parse(current?.optionalString("properties") ?? "{}"))?.objectValue ?? JSONObject()
        var result = existing
        if overwrite {
            result = JSON.object(existing).mergePatched(with: .object(properties)).objectValue ?? existing
        } else {
            for (key, value) in properties where existing[key] == nil && value != .null { result[key] = value }
        }
        if result != existing {
            let problems = Input.propertiesProblems(result, field: "traits.properties")
            if !problems.isEmpty { throw HTTPError.validation(problems) }
            try db.execute("UPDATE customers SET properties = \(JSONWriter.string(.object(result))) WHERE tenant_id = \(tenant) AND id = \(id)")
        }
    }

    /// Links a browser's anonymous id to a customer (anew, if it was another's) and moves its
    /// anonymous history to them, rebuilding their aggregates; returns how many events moved.
    static func link(_ db: Connection, _ tenant: Tenant, anonymousID: String, to id: Int) throws -> Int {
        try db.execute("""
            INSERT INTO identities (tenant_id, anonymous_id, customer_id, created_at, updated_at)
            VALUES (\(tenant), \(anonymousID), \(id), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), updated_at = UTC_TIMESTAMP(6)
            """)
        let merged = try db.execute("""
            UPDATE events SET customer_id = \(id)
            WHERE tenant_id = \(tenant) AND anonymous_id = \(anonymousID) AND customer_id IS NULL
            """).affectedRows
        if merged > 0 { try recompute(db, tenant, customer: id) }
        return merged
    }

    /// The customers that external ids name, those not yet customers created first, in a
    /// short transaction of their own (as `createCustomers` does for emails), and marked for
    /// the segments as every new customer is. The new ones go in with one multi-row INSERT
    /// without ON DUPLICATE KEY or IGNORE (which lose rows under concurrent imports:
    /// schema/037); if another request created one of them meanwhile, that statement fails
    /// whole and they go in one by one, skipping those that exist.
    static func customerIDs(_ db: Connection, _ tenant: Tenant, externalIDs: [String]) throws -> [String: Int] {
        guard !externalIDs.isEmpty else { return [:] }
        func read(_ ids: [String]) throws -> [String: Int] {
            var found: [String: Int] = [:]
            for row in try db.query("""
                SELECT id, external_id FROM customers FORCE INDEX (uq_external_id) WHERE tenant_id = \(tenant) AND external_id IN (\(list: ids))
                """) {
                found[try row.string("external_id")] = try row.int("id")
            }
            return found
        }
        var ids = try read(externalIDs)
        let missing = Set(externalIDs).filter { ids[$0] == nil }.sorted()
        guard !missing.isEmpty else { return ids }
        func row(_ external: String) -> SQL { "(\(tenant), \(external), '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))" }
        try db.transaction(retries: retries) {
            do {
                try db.execute("""
                    INSERT INTO customers (tenant_id, external_id, properties, created_at, updated_at)
                    VALUES \(SQL.join(missing.map(row), separator: ", "))
                    """)
            } catch let error as MariaDBError where error.isDuplicateKey {
                for external in missing {
                    do {
                        try db.execute("INSERT INTO customers (tenant_id, external_id, properties, created_at, updated_at) VALUES \(row(external))")
                    } catch let error as MariaDBError where error.isDuplicateKey {
                        // Created meanwhile by another request: found by the read below.
                    }
                }
            }
            let created = try read(missing)
            try SegmentStore.markDirty(db, tenant, customers: Array(created.values))
            try CustomerChanges.created(db, tenant, ids: Array(created.values))
            ids.merge(created) { $1 }
        }
        return ids
    }
}
