import Foundation
import MariaDB
import Platform
import Web

/// Stores events and keeps each customer's aggregates in step, in one transaction: a 2xx
/// means the events and every aggregate they change are committed together.
///
/// Work is done per batch, not per event: the batch's deltas are summed per customer in
/// Swift (exact decimal arithmetic) and applied with one multi-row upsert, then the events
/// go in with one multi-row INSERT. Customers are locked in email order, so concurrent
/// batches touching the same customers do not deadlock each other.
enum EventRecorder {
    /// What happened to one input event.
    struct Result {
        let eventID: String
        let customerID: Int?
        let duplicate: Bool
    }

    /// The sum of a batch's effect on one customer.
    struct Delta {
        var count = 0
        var orders = 0
        var total = Decimal(0)
        var lastSeen = Date.distantPast
        var firstOrder: Date?
        var lastOrder: Date?
        var currency: String?

        mutating func add(_ e: TrackedEvent) {
            count += 1
            if e.occurredAt > lastSeen { lastSeen = e.occurredAt }
            if let amount = e.amount {
                orders += 1
                total += amount
                firstOrder = min(firstOrder ?? e.occurredAt, e.occurredAt)
                lastOrder = max(lastOrder ?? e.occurredAt, e.occurredAt)
                if currency == nil { currency = e.currency }
            }
        }

        /// Adds another sum of the same customer's events.
        mutating func merge(_ other: Delta) {
            count += other.count
            orders += other.orders
            total += other.total
            if other.lastSeen > lastSeen { lastSeen = other.lastSeen }
            if let f = other.firstOrder { firstOrder = min(firstOrder ?? f, f) }
            if let l = other.lastOrder { lastOrder = max(lastOrder ?? l, l) }
            if currency == nil { currency = other.currency }
        }

        var totalText: SQLDecimal { SQLDecimal("\(total)") ?? SQLDecimal(0) }
        var average: SQLDecimal? {
            guard orders > 0 else { return nil }
            var avg = total / Decimal(orders), rounded = Decimal()
            NSDecimalRound(&rounded, &avg, 2, .plain)
            return SQLDecimal("\(rounded)")
        }
    }

    struct DuplicateRace: Error {}

    /// Records `events` (already checked); returns one result per event, in order.
    static func record(_ db: Connection, _ tenant: Tenant, _ events: [TrackedEvent]) throws -> [Result] {
        do {
            return try db.transaction(retries: retries) { try recordInTransaction(db, tenant, events) }
        } catch is DuplicateRace {
            // Another request stored one of these message ids meanwhile: start again, and
            // the duplicate is found this time.
            return try db.transaction(retries: retries) { try recordInTransaction(db, tenant, events) }
        }
    }

    /// One event of a customer known by email (the hot path of `/v1/track/event` and
    /// `/v1/track/pageview`): the same transaction as `record` for a batch of one, run by the
    /// `track_one_event` procedure (schema/015) in one round trip instead of six. Other
    /// events (by customer_id or anonymous_id) go through `record`.
    static func recordOne(_ db: Connection, _ tenant: Tenant, _ e: TrackedEvent) throws -> Result {
        guard let email = e.email else { return try record(db, tenant, [e])[0] }
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

    private static func recordInTransaction(_ db: Connection, _ tenant: Tenant, _ events: [TrackedEvent]) throws -> [Result] {
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
        var byEmail: [String: Delta] = [:]
        var byID: [Int: Delta] = [:]
        for i in fresh {
            let e = events[i]
            if let email = e.email {
                byEmail[email, default: Delta()].add(e)
            } else if let id = e.customerID ?? e.anonymousID.flatMap({ linked[$0] }) {
                byID[id, default: Delta()].add(e)
                customerOf[i] = id
            }
        }

        // 3. Customers known by email: their ids read (no lock), the new ones inserted with
        // their deltas (and locked: they are new rows).
        var known: [Int: Delta] = byID
        var emailIDs: Set<Int> = []
        if !byEmail.isEmpty {
            let ids = try resolveByEmail(db, tenant, byEmail.sorted { $0.key < $1.key }, existing: &known)
            emailIDs = Set(byEmail.keys.compactMap { ids[$0] })
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
                     \(amount), \(e.currency), \(e.url), \(e.referrer), \(e.userAgent), \(e.ip), \(e.messageID), \(e.occurredAt), UTC_TIMESTAMP(6))
                    """
            }
            do {
                try db.execute("""
                    INSERT INTO events (tenant_id, public_id, customer_id, anonymous_id, type, name, properties, amount, currency,
                                        url, referrer, user_agent, ip, message_id, occurred_at, received_at)
                    VALUES \(SQL.join(rows, separator: ", "))
                    """)
            } catch let error as MariaDBError where error.isDuplicateKey && error.duplicateKeyName == "uq_message_id" {
                throw DuplicateRace()
            }
        }

        // 5. Every existing customer's deltas, summed per id (by email, customer_id or linked
        // anonymous id alike), in one statement that locks them in id order.
        if !known.isEmpty {
            let matched = try updateByID(db, tenant, known.sorted { $0.key < $1.key })
            if matched != known.count {
                // A customer found by email was erased meanwhile: start again (no event may
                // name a customer gone; the email then makes a new one).
                let present = Set(try db.query("""
                    SELECT c.id FROM JSON_TABLE(\(JSONWriter.string(.array(emailIDs.map { .int(Int64($0)) }))), '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j
                    JOIN customers c ON c.id = j.id AND c.tenant_id = \(tenant)
                    """).map { try $0.int("id") })
                if !emailIDs.isSubset(of: present) { throw DuplicateRace() }
            }
        }
        // 6. Their segment memberships are re-evaluated after the commit, by the evaluator.
        var tracked: [Int: Int] = [:]
        for i in fresh { if let id = customerOf[i] { tracked[id, default: 0] += 1 } }
        try SegmentStore.markTracked(db, tenant, events: tracked)
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
    /// read, no lock) and their deltas added to `existing` (summed with any the batch has for
    /// the same id), to be applied by id later; the others go through the INSERT ... ON
    /// DUPLICATE KEY UPDATE, which also covers one created meanwhile. An INSERT that meets
    /// an existing row costs a write undone, and its locks on the unique index made
    /// concurrent imports of the same customers deadlock.
    private static func resolveByEmail(_ db: Connection, _ tenant: Tenant, _ deltas: [(key: String, value: Delta)],
                                       existing: inout [Int: Delta]) throws -> [String: Int] {
        var ids = try idsByEmail(db, tenant, deltas.map(\.key))
        for (email, delta) in deltas {
            if let id = ids[email] { existing[id, default: Delta()].merge(delta) }
        }
        let missing = deltas.filter { ids[$0.key] == nil }
        if !missing.isEmpty {
            for (email, id) in try insertOrAddByEmail(db, tenant, missing) { ids[email] = id }
        }
        return ids
    }

    private static func insertOrAddByEmail(_ db: Connection, _ tenant: Tenant, _ deltas: [(key: String, value: Delta)]) throws -> [String: Int] {
        // The new customers and their deltas as one JSON parameter (JSON_TABLE): one statement
        // text for any number of them.
        let rows: [JSON] = deltas.map { email, d in
            .array([.string(email), .int(Int64(d.count)), .string(UTC.sqlDateTime(d.lastSeen)), .string(d.totalText.text),
                    .int(Int64(d.orders)), d.average.map { .string($0.text) } ?? .null, d.currency.map { .string($0) } ?? .null,
                    d.firstOrder.map { .string(UTC.sqlDateTime($0)) } ?? .null, d.lastOrder.map { .string(UTC.sqlDateTime($0)) } ?? .null])
        }
        // The average comes first: it reads the old total and count plus this batch's,
        // whichever order MariaDB applies the assignments in.
        let result = try db.execute("""
            INSERT INTO customers (tenant_id, email, events_count, last_seen_at, clv_total, clv_order_count, clv_average_order,
                                   currency, first_order_at, last_order_at, created_at, updated_at)
            SELECT \(tenant), j.address, j.n, j.seen, j.total, j.orders, j.average, j.money, j.first_order, j.last_order,
                   UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
            FROM JSON_TABLE(\(JSONWriter.string(.array(rows))), '$[*]' COLUMNS (
                     address VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[0]', n INT UNSIGNED PATH '$[1]',
                     seen DATETIME(6) PATH '$[2]', total DECIMAL(14,2) PATH '$[3]', orders INT UNSIGNED PATH '$[4]',
                     average DECIMAL(14,2) PATH '$[5]', money CHAR(3) PATH '$[6]', first_order DATETIME(6) PATH '$[7]',
                     last_order DATETIME(6) PATH '$[8]')) j
            ON DUPLICATE KEY UPDATE
                id = LAST_INSERT_ID(id),
                clv_average_order = IF(clv_order_count + VALUES(clv_order_count) > 0,
                    ROUND((clv_total + VALUES(clv_total)) / (clv_order_count + VALUES(clv_order_count)), 2), clv_average_order),
                events_count = events_count + VALUES(events_count),
                last_seen_at = GREATEST(COALESCE(last_seen_at, VALUES(last_seen_at)), VALUES(last_seen_at)),
                clv_total = clv_total + VALUES(clv_total),
                clv_order_count = clv_order_count + VALUES(clv_order_count),
                first_order_at = LEAST(COALESCE(first_order_at, VALUES(first_order_at)), COALESCE(VALUES(first_order_at), first_order_at)),
                last_order_at = GREATEST(COALESCE(last_order_at, VALUES(last_order_at)), COALESCE(VALUES(last_order_at), last_order_at)),
                currency = COALESCE(currency, VALUES(currency)),
                updated_at = VALUES(updated_at)
            """)
        // One row inserted: its id is the statement's. When the customer was created meanwhile
        // (the UPDATE branch), INSERT ... SELECT reports no id (0), not LAST_INSERT_ID(id):
        // the events were stored with customer_id 0 while the customer took their
        // aggregates. So anything else is read back by email.
        if deltas.count == 1, result.affectedRows == 1, result.lastInsertID > 0 { return [deltas[0].key: result.lastInsertID] }
        return try idsByEmail(db, tenant, deltas.map(\.key))
    }

    /// The ids of those of `emails` that are customers (a read by the unique email, no lock).
    /// Up to `fewRows` emails, an IN list (one prepared statement per count); more go as one
    /// JSON parameter (JSON_TABLE), so a batch's statement text is the same for any number of
    /// them and is prepared once per connection, not once per batch.
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
            SELECT c.id, c.email
            FROM JSON_TABLE(\(list), '$[*]' COLUMNS (email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
            JOIN customers c FORCE INDEX (uq_email) ON c.tenant_id = \(tenant) AND c.email = j.email
            """) {
            ids[try row.string("email")] = try row.int("id")
        }
        return ids
    }

    /// Adds deltas to customers known by id (a customer_id, or a linked anonymous id);
    /// returns how many matched.
    ///
    /// The deltas go as one JSON parameter read by JSON_TABLE: one statement text for any
    /// batch (prepared once per connection; a derived table of one SELECT per customer cost
    /// a parse of hundreds of SELECTs per batch). FORCE INDEX (PRIMARY): each customer is
    /// found and locked by its id, never by a scan of a secondary index that starts with
    /// tenant_id (which stale statistics can make the optimizer choose, locking every row
    /// it passes).
    @discardableResult
    private static func updateByID(_ db: Connection, _ tenant: Tenant, _ deltas: [(key: Int, value: Delta)]) throws -> Int {
        let rows: [JSON] = deltas.map { id, d in
            .array([.int(Int64(id)), .int(Int64(d.count)), .int(Int64(d.orders)), .string(d.totalText.text),
                    .string(UTC.sqlDateTime(d.lastSeen)), d.firstOrder.map { .string(UTC.sqlDateTime($0)) } ?? .null,
                    d.lastOrder.map { .string(UTC.sqlDateTime($0)) } ?? .null, d.currency.map { .string($0) } ?? .null])
        }
        return try db.execute("""
            UPDATE JSON_TABLE(\(JSONWriter.string(.array(rows))), '$[*]' COLUMNS (
                       id BIGINT UNSIGNED PATH '$[0]', n INT UNSIGNED PATH '$[1]', orders INT UNSIGNED PATH '$[2]',
                       total DECIMAL(14,2) PATH '$[3]', seen DATETIME(6) PATH '$[4]', first_order DATETIME(6) PATH '$[5]',
                       last_order DATETIME(6) PATH '$[6]', currency CHAR(3) PATH '$[7]')) d
                   STRAIGHT_JOIN customers c FORCE INDEX (PRIMARY) ON c.id = d.id
            SET c.clv_average_order = IF(c.clv_order_count + d.orders > 0,
                    ROUND((c.clv_total + d.total) / (c.clv_order_count + d.orders), 2), c.clv_average_order),
                c.events_count = c.events_count + d.n,
                c.last_seen_at = GREATEST(COALESCE(c.last_seen_at, d.seen), d.seen),
                c.clv_total = c.clv_total + d.total,
                c.clv_order_count = c.clv_order_count + d.orders,
                c.first_order_at = LEAST(COALESCE(c.first_order_at, d.first_order), COALESCE(d.first_order, c.first_order_at)),
                c.last_order_at = GREATEST(COALESCE(c.last_order_at, d.last_order), COALESCE(d.last_order, c.last_order_at)),
                c.currency = COALESCE(c.currency, d.currency),
                c.updated_at = UTC_TIMESTAMP(6)
            WHERE c.tenant_id = \(tenant)
            """).affectedRows
    }

    /// What `/v1/track/identify` may set on a customer.
    struct Traits {
        var name: String?, phone: String?, city: String?, country: String?
        var properties: JSONObject?
    }

    /// The one rule of who may write a customer's profile from tracking. With `overwrite`
    /// (a secret key or a session) the traits replace what is there and the properties are
    /// merged (RFC 7396). Without it (a publishable key, public in web pages) the traits only
    /// fill fields that are empty and add properties whose keys are absent: an identified
    /// customer's name, phone, city, country and existing properties never change (the
    /// email is the key and never changes). Either way the browser's anonymous history is
    /// linked to the customer, and the aggregates rebuilt from the events (whose revenue is
    /// what `TrackedEvent.applyRevenueRule` let count). Returns the customer id and how many
    /// anonymous events joined them.
    static func identify(_ db: Connection, _ tenant: Tenant, email: String, traits t: Traits, anonymousID: String?,
                         overwrite: Bool) throws -> (customerID: Int, merged: Int) {
        try db.transaction {
            let id: Int
            if overwrite {
                id = try db.execute("""
                    INSERT INTO customers (tenant_id, email, name, phone, city, country, properties, created_at, updated_at)
                    VALUES (\(tenant), \(email), \(t.name), \(t.phone), \(t.city), \(t.country), '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                    ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id),
                        name = COALESCE(VALUES(name), name), phone = COALESCE(VALUES(phone), phone),
                        city = COALESCE(VALUES(city), city), country = COALESCE(VALUES(country), country),
                        updated_at = UTC_TIMESTAMP(6)
                    """).lastInsertID
            } else {
                id = try db.execute("""
                    INSERT INTO customers (tenant_id, email, name, phone, city, country, properties, created_at, updated_at)
                    VALUES (\(tenant), \(email), \(t.name), \(t.phone), \(t.city), \(t.country), '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                    ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id),
                        name = COALESCE(NULLIF(name, ''), VALUES(name)), phone = COALESCE(NULLIF(phone, ''), VALUES(phone)),
                        city = COALESCE(NULLIF(city, ''), VALUES(city)), country = COALESCE(NULLIF(country, ''), VALUES(country)),
                        updated_at = UTC_TIMESTAMP(6)
                    """).lastInsertID
            }
            if let properties = t.properties {
                // The upsert locked the row; merge the traits' properties into it.
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
            var merged = 0
            if let anonymousID {
                try db.execute("""
                    INSERT INTO identities (tenant_id, anonymous_id, customer_id, created_at, updated_at)
                    VALUES (\(tenant), \(anonymousID), \(id), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                    ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), updated_at = UTC_TIMESTAMP(6)
                    """)
                merged = try db.execute("""
                    UPDATE events SET customer_id = \(id)
                    WHERE tenant_id = \(tenant) AND anonymous_id = \(anonymousID) AND customer_id IS NULL
                    """).affectedRows
                if merged > 0 { try recompute(db, tenant, customer: id) }
            }
            return (id, merged)
        }
    }

    /// Rebuilds a customer's aggregates from their events: after anonymous history joins them.
    static func recompute(_ db: Connection, _ tenant: Tenant, customer id: Int) throws {
        try db.execute("""
            UPDATE customers c JOIN (
                SELECT COUNT(*) AS n, MAX(occurred_at) AS seen, COALESCE(SUM(amount), 0) AS total, COUNT(amount) AS orders,
                       MIN(IF(amount IS NULL, NULL, occurred_at)) AS first_order, MAX(IF(amount IS NULL, NULL, occurred_at)) AS last_order
                FROM events WHERE tenant_id = \(tenant) AND customer_id = \(id)
            ) e
            SET c.events_count = e.n, c.last_seen_at = e.seen, c.clv_total = e.total, c.clv_order_count = e.orders,
                c.clv_average_order = IF(e.orders > 0, ROUND(e.total / e.orders, 2), NULL),
                c.first_order_at = e.first_order, c.last_order_at = e.last_order, c.updated_at = UTC_TIMESTAMP(6)
            WHERE c.tenant_id = \(tenant) AND c.id = \(id)
            """)
    }
}
