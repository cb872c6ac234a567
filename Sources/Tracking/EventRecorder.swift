import Foundation
import MariaDB
import Platform
import Web
import Core
import Customers
import Segments

/// Stores events and keeps each customer's aggregates in step, in one transaction: a 2xx
/// means the events and every aggregate they change are committed together.
///
/// Work is done per batch, not per event: the events go in with one multi-row INSERT, then
/// their customers' aggregates and segment marks with one CALL of `customer_add_events`
/// (schema/027), the one home of that arithmetic, which locks the customers in id order so
/// that concurrent batches touching the same customers do not deadlock each other.
package enum EventRecorder {
    /// What happened to one input event.
    package struct Result {
        let eventID: String
        let customerID: Int?
        let duplicate: Bool
    }

    struct DuplicateRace: Error {}

    /// Records `events` (already checked); returns one result per event, in order.
    package static func record(_ db: Connection, _ tenant: Tenant, _ events: [TrackedEvent]) throws -> [Result] {
        let known = db.inTransaction ? [:] : try createCustomers(db, tenant, events)
        do {
            return try db.transaction(retries: retries) { try recordInTransaction(db, tenant, events, known: known) }
        } catch is DuplicateRace {
            // Another request stored one of these message ids meanwhile (or a customer was
            // erased, or an address got no customer): start again, and the duplicate is
            // found this time.
            return try db.transaction(retries: retries) { try recordInTransaction(db, tenant, events) }
        }
    }

    /// The ids of the customers `events` name by email, those that do not exist yet created
    /// first and committed in a short transaction of their own (`customers_add_by_email`,
    /// schema/029, 037). Concurrent batches naming the same new address then wait for that
    /// INSERT's commit, not for the other batch's whole transaction (events, aggregates),
    /// which held the unique email index's lock on the new row until its COMMIT (issue 22,
    /// docs/benchmarks.md). A batch that fails after this leaves these customers without
    /// events, as one created through the API is (and marked for the segments, as it is).
    /// The ids are read without a lock, as the transaction's own read was; an erasure
    /// meanwhile is caught by `recordInTransaction`, which then starts again knowing none.
    private static func createCustomers(_ db: Connection, _ tenant: Tenant, _ events: [TrackedEvent]) throws -> [String: Int] {
        let emails = Set(events.compactMap(\.email)).sorted()
        guard !emails.isEmpty else { return [:] }
        var ids = try idsByEmail(db, tenant, emails)
        let missing = emails.filter { ids[$0] == nil }
        if !missing.isEmpty {
            ids.merge(try db.transaction(retries: retries) { try addByEmail(db, tenant, missing) }) { $1 }
        }
        return ids
    }

    /// One event of a customer known by email (the hot path of `/v1/track/event` and
    /// `/v1/track/pageview`): the same transaction as `record` for a batch of one, run by the
    /// `track_one_event` procedure (schema/027, calling `customer_add_events` as `record`
    /// does) in one round trip instead of five. Other
    /// events (by customer_id or anonymous_id) go through `record`.
    static func recordOne(_ db: Connection, _ tenant: Tenant, _ e: TrackedEvent) throws -> Result {
        // A Segment source's event, or one with an event.tracked or customer.created
        // subscription, takes the batch path (which writes the outbox in its transaction);
        // otherwise (a cached answer) nothing changes here.
        guard let email = e.email, e.sourceKeyID == nil, !WebhookOutbox.mayWant(db, tenant: tenant.id, "event.tracked"),
              !WebhookOutbox.mayWant(db, tenant: tenant.id, "customer.created") else {
            return try record(db, tenant, [e])[0]
        }
        precondition(!db.inTransaction, "track_one_event commits its own transaction")
        let properties = e.propertiesText
        let amount = e.amount.flatMap { SQLDecimal("\($0)") }
        let call: SQL = """
            CALL track_one_event(\(tenant), \(email), \(e.publicID), \(e.anonymousID), \(e.kind.rawValue), \(e.name),
                                 \(properties), \(amount), \(e.currency), \(e.url), \(e.referrer), \(e.userAgent), \(e.ip),
                                 \(e.messageID), \(e.occurredAt), \(SegmentStore.DirtyReason.all.rawValue),
                                 \(SegmentStore.DirtyReason.activity.rawValue))
            """
        var attempt = 0, raced = false
        while true {
            attempt += 1
            do {
                guard let row = try db.queryOne(call) else { throw MariaDBError(code: 2014, message: "track_one_event answered no row") }
                return Result(eventID: try row.string("public_id"), customerID: row.optionalInt("customer_id"),
                              duplicate: try row.int("duplicate") == 1)
            } catch let error as MariaDBError where error.isDuplicateKey && error.duplicateKeyName == "uq_message_id" && !raced {
                // Another request stored this message id meanwhile: the next call finds it.
                raced = true
            } catch let error as MariaDBError where error.isDeadlock && attempt <= retries {
                usleep(UInt32.random(in: 1_000...5_000) * UInt32(attempt))
            }
        }
    }

    /// Events of one customer arriving through several Galera nodes at once conflict at
    /// certification (a deadlock error at COMMIT); the aggregates are hot rows, so allow
    /// more reruns than the default before answering 503.
    static let retries = 8

    /// Up to this many emails, `idsByEmail` reads their ids with an IN list rather than
    /// JSON_TABLE, whose temporary table costs more than a few index reads (mariadb-slap,
    /// 5 emails: 72 -> 60 us of mariadbd): a group commit's small groups do not pay for it.
    static let fewRows = 16

    /// Long (about 100 lines): the five numbered steps below must run in this order inside one
    /// transaction (the lock order of step 5 depends on the ones before), so they stay together.
    private static func recordInTransaction(_ db: Connection, _ tenant: Tenant, _ events: [TrackedEvent],
                                            known: [String: Int] = [:]) throws -> [Result] {
        var results = [Result?](repeating: nil, count: events.count)

        // 1. Repeated message ids: earlier requests, and earlier items of this batch.
        let messageIDs = Array(Set(events.compactMap(\.messageID)))
        var seen: [String: (String, Int?)] = [:]
        if !messageIDs.isEmpty {
            let list = JSONWriter.string(.array(messageIDs.map { .string($0) }))
            for row in try db.query("""
                SELECT e.message_id, e.public_id, e.customer_id
                FROM JSON_TABLE(\(list), '$[*]' COLUMNS (m VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
                JOIN events e FORCE INDEX (uq_message_id) ON e.tenant_id = \(tenant) AND e.message_id = j.m
                """) {
                seen[try row.string("message_id")] = (try row.string("public_id"), row.optionalInt("customer_id"))
            }
        }
        var fresh: [Int] = []
        var repeats: [(index: Int, first: Int)] = [] // an earlier item of this batch has its message id
        var firstWith: [String: Int] = [:]
        for (i, e) in events.enumerated() {
            if let m = e.messageID, let first = firstWith[m] {
                repeats.append((i, first))
            } else if let m = e.messageID, let earlier = seen[m] {
                results[i] = Result(eventID: earlier.0, customerID: earlier.1, duplicate: true)
            } else {
                if let m = e.messageID { firstWith[m] = i }
                fresh.append(i)
            }
        }

        // 2. Who each event belongs to.
        var customerOf = [Int?](repeating: nil, count: events.count)
        let anonymousOnly = fresh.filter { events[$0].email == nil && events[$0].customerID == nil }.compactMap { events[$0].anonymousID }
        var linked: [String: Int] = [:]
        if !anonymousOnly.isEmpty {
            let list = JSONWriter.string(.array(Set(anonymousOnly).map { .string($0) }))
            for row in try db.query("""
                SELECT i.anonymous_id, i.customer_id
                FROM JSON_TABLE(\(list), '$[*]' COLUMNS (a VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
                JOIN identities i ON i.tenant_id = \(tenant) AND i.anonymous_id = j.a
                """) {
                linked[try row.string("anonymous_id")] = try row.int("customer_id")
            }
        }
        var emails: Set<String> = []
        for i in fresh {
            let e = events[i]
            if let email = e.email {
                emails.insert(email)
            } else if let id = e.customerID ?? e.anonymousID.flatMap({ linked[$0] }) {
                customerOf[i] = id
            }
        }

        // 3. Customers known by email: their ids read (no lock), the new ones inserted
        // without aggregates (customer_add_events adds them in step 5).
        var emailIDs: Set<Int> = []
        if !emails.isEmpty {
            let ids = try resolveByEmail(db, tenant, emails.sorted(), known: known)
            emailIDs = Set(ids.values)
            for i in fresh { if let email = events[i].email { customerOf[i] = ids[email] } }
        }

        // 4. The events themselves, before the customers that exist are locked: the row locks
        // that concurrent batches over the same customers wait for are held from step 5 to
        // the commit only, not through the INSERT of hundreds of events.
        if !fresh.isEmpty {
            let rows: [SQL] = fresh.map { i in
                let e = events[i]
                let properties = e.propertiesText
                let amount = e.amount.flatMap { SQLDecimal("\($0)") }
                return """
                    (\(tenant), \(e.publicID), \(customerOf[i]), \(e.anonymousID), \(e.kind.rawValue), \(e.name), \(properties),
                     \(amount), \(e.currency), \(e.url), \(e.referrer), \(e.userAgent), \(e.ip), \(e.messageID), \(e.sourceKeyID),
                     \(e.occurredAt), UTC_TIMESTAMP(6))
                    """
            }
            do {
                try db.execute("""
                    INSERT INTO events (tenant_id, public_id, customer_id, anonymous_id, type, name, properties, amount, currency,
                                        url, referrer, user_agent, ip, message_id, source_key_id, occurred_at, received_at)
                    VALUES \(SQL.join(rows, separator: ", "))
                    """)
            } catch let error as MariaDBError where error.isDuplicateKey && error.duplicateKeyName == "uq_message_id" {
                throw DuplicateRace()
            }
        }

        // 5. The customers' aggregates and segment marks, by their one home (schema/027). The
        // events go sorted by customer (stably: a customer's first currency is that of their
        // first order), so that the customers are locked in id order.
        let owned = fresh.compactMap { i in customerOf[i].map { (customer: $0, event: events[i]) } }
            .enumerated().sorted { ($0.element.customer, $0.offset) < ($1.element.customer, $1.offset) }.map(\.element)
        if !owned.isEmpty {
            let matched = try addEvents(db, tenant, owned)
            if matched != Set(owned.map(\.customer)).count {
                // A customer found by email was erased meanwhile: start again (no event may
                // name a customer gone; the email then makes a new one).
                let present = Set(try db.query("""
                    SELECT c.id FROM JSON_TABLE(\(JSONWriter.string(.array(emailIDs.map { .int(Int64($0)) }))), '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j
                    JOIN customers c ON c.id = j.id AND c.tenant_id = \(tenant)
                    """).map { try $0.int("id") })
                if !emailIDs.isSubset(of: present) { throw DuplicateRace() }
            }
        }
        try webhooks(db, tenant, fresh.map { (events[$0], customerOf[$0]) })
        for i in fresh {
            results[i] = Result(eventID: events[i].publicID, customerID: customerOf[i], duplicate: false)
        }
        // A repeat within the batch is answered as the item it repeats: its id and customer.
        for (i, first) in repeats {
            results[i] = Result(eventID: events[first].publicID, customerID: customerOf[first], duplicate: true)
        }
        return results.map { $0! }
    }

    /// Returns each email's customer id. Those that exist are found by the unique email (a
    /// read, no lock); the others are created without aggregates by `addByEmail`, which also
    /// finds one created meanwhile, and answered by the same CALL. Creating costs more than a
    /// read, and its locks on the unique index made concurrent imports of the same customers
    /// deadlock: hence the read first.
    private static func resolveByEmail(_ db: Connection, _ tenant: Tenant, _ emails: [String],
                                       known: [String: Int] = [:]) throws -> [String: Int] {
        var ids = known
        let unknown = emails.filter { ids[$0] == nil }
        if !unknown.isEmpty { ids.merge(try idsByEmail(db, tenant, unknown)) { $1 } }
        let missing = emails.filter { ids[$0] == nil }
        guard !missing.isEmpty else { return ids }
        ids.merge(try addByEmail(db, tenant, missing)) { $1 }
        // Every address must have its customer now: an event is never stored without the
        // customer it names (customers_add_by_email once answered no id for some, schema/037).
        // Should one be missing, start again rather than store it without.
        if missing.contains(where: { ids[$0] == nil }) { throw DuplicateRace() }
        return ids
    }

    /// Creates the customers of `missing` (emails not found), without aggregates.
    private static func addByEmail(_ db: Connection, _ tenant: Tenant, _ missing: [String]) throws -> [String: Int] {
        var ids: [String: Int] = [:]
        // The new customers as one JSON parameter (JSON_TABLE): one statement text for any
        // number of them. customers_add_by_email (schema/029, 037) inserts those that are
        // still not customers (one created meanwhile is found, never inserted twice), adds
        // their search words with one set-based customer_words_add instead of the per-row
        // trigger, and answers each address as given (not as stored: the unique index folds
        // accents) with its customer's id.
        for row in try db.query("""
            CALL customers_add_by_email(\(tenant), \(JSONWriter.string(.array(missing.map { .string($0) }))),
                                        \(SegmentStore.DirtyReason.all.rawValue))
            """) {
            ids[try row.string("email")] = try row.int("id")
        }
        // customer.created for the addresses that were missing. One that another import made
        // meanwhile is announced by both (a repeat, never a loss).
        try CustomerChanges.created(db, tenant, ids: ids.values.sorted())
        return ids
    }

    /// The ids of those of `emails` that are customers (a read by the unique email, no lock).
    /// Up to `fewRows` emails, an IN list (one prepared statement per count); more go as one
    /// JSON parameter (JSON_TABLE), so a batch's statement text is the same for any number of
    /// them and is prepared once per connection, not once per batch. The JSON path answers
    /// each address as given; the IN list answers the stored spelling, so an address given
    /// with other accents than the stored one is not found here and goes to `addByEmail`,
    /// which answers it (and inserts nothing).
    private static func idsByEmail(_ db: Connection, _ tenant: Tenant, _ emails: [String]) throws -> [String: Int] {
        var ids: [String: Int] = [:]
        if emails.count <= fewRows {
            for row in try db.query("""
                SELECT id, email FROM customers FORCE INDEX (uq_email) WHERE tenant_id = \(tenant) AND email IN (\(list: emails))
                """) {
                ids[try row.string("email")] = try row.int("id")
            }
            return ids
        }
        let list = JSONWriter.string(.array(emails.map { .string($0) }))
        for row in try db.query("""
            SELECT c.id, j.email
            FROM JSON_TABLE(\(list), '$[*]' COLUMNS (email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
            JOIN customers c FORCE INDEX (uq_email) ON c.tenant_id = \(tenant) AND c.email = j.email
            """) {
            ids[try row.string("email")] = try row.int("id")
        }
        return ids
    }

    /// Adds events to their customers' aggregates and marks those customers for the segments,
    /// through `customer_add_events` (schema/027: the one home of both rules), in the
    /// caller's transaction; returns how many of the customers were found. `owned` is sorted
    /// by customer. The events go as one JSON parameter read by JSON_TABLE: one statement
    /// text for any batch, prepared once per connection.
    static func addEvents(_ db: Connection, _ tenant: Tenant, _ owned: [(customer: Int, event: TrackedEvent)]) throws -> Int {
        let rows: [JSON] = owned.map { customer, e in
            .array([.int(Int64(customer)), e.amount.flatMap { SQLDecimal("\($0)") }.map { .string($0.text) } ?? .null,
                    e.currency.map { .string($0) } ?? .null, .string(UTC.sqlDateTime(e.occurredAt))])
        }
        let none: Int? = nil // the OUT parameter's placeholder
        let row = try db.queryOne("""
            CALL customer_add_events(\(tenant), \(JSONWriter.string(.array(rows))), \(SegmentStore.DirtyReason.all.rawValue),
                                     \(SegmentStore.DirtyReason.activity.rawValue), \(none))
            """)
        return row?.optionalInt("p_matched") ?? 0
    }

    /// Rebuilds a customer's aggregates from their events (after anonymous history joins them)
    /// and marks them for the segments: `customer_recompute_events` (schema/027), which adds
    /// every event through the same `customer_add_events` as tracking.
    static func recompute(_ db: Connection, _ tenant: Tenant, customer id: Int) throws {
        try db.execute("""
            CALL customer_recompute_events(\(tenant), \(id), \(SegmentStore.DirtyReason.all.rawValue),
                                           \(SegmentStore.DirtyReason.activity.rawValue))
            """)
    }
}
