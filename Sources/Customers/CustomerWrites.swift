import MariaDB
import Web
import Core
import Segments
import Tags

/// The one write path of customers' profile fields from checked `CustomerRoutes.Fields`: the
/// API's create and update are a batch of one, an import's chunk is a batch of hundreds, and
/// both get the same effects in a few statements however many rows:
/// - the customers updated are read and locked together, the companies named locked together
///   (so that none is deleted before the customers naming it are written);
/// - each item is applied in order in Swift (`CustomerProfile.apply`: the update rule), so
///   that an item may name a customer an earlier item of the batch made or changed;
/// - new customers go in with one `customers_insert_rows`, changed ones with one
///   `customers_update_rows` (schema/043), and a customer whose fields come out the same is
///   not written at all (not even its update time);
/// - the profile changes are recorded (CustomerChanges, with customer.created and
///   customer.updated for webhooks) and the customers written marked for the segments
///   (SegmentStore.markDirty), once each; tags given go through TagWrites.
/// The triggers do the rest per row as for any write: search words, the company by email
/// domain, companies' totals, customer counts, the dashboard.
package enum CustomerWrites {
    /// The customer an item writes: a new one, an existing one, or the one an earlier item of
    /// the same batch wrote (by its index; a new one if that item failed).
    package enum Target: Sendable {
        case new
        case existing(Int)
        case sameAs(Int)
    }

    package struct Item {
        package var target: Target
        package var fields: CustomerRoutes.Fields
        package init(_ target: Target, _ fields: CustomerRoutes.Fields) {
            self.target = target
            self.fields = fields
        }
    }

    /// What became of an item: the customer's id, or why it was refused (the API's 404 or 422).
    package enum Outcome {
        case created(Int), updated(Int), unchanged(Int)
        case failed(HTTPError)
    }

    /// Writes `items` in the caller's transaction (or one of its own). Errors that are not an
    /// item's (the database's) are thrown; a duplicate address among the new customers (another
    /// spelling of the same address under the index's collation, or one another connection
    /// created since the caller looked) fails the insert whole with 1062, and the caller can
    /// write the items one at a time, each then finding its customer.
    /// Long (about 70 lines): the steps (lock, apply in order, insert, update, record) share
    /// the batch's state and read best in order.
    package static func write(_ db: Connection, _ tenant: Tenant, _ items: [Item], actor: CustomerChanges.Actor) throws -> [Outcome] {
        enum Slot: Hashable { case customer(Int), new(Int) }
        enum Pending { case created(Slot), updated(Slot), unchanged(Slot), failed(HTTPError) }
        return try db.transaction {
            var state: [Slot: CustomerProfile] = [:]
            let ids = Set(items.compactMap { if case .existing(let id) = $0.target { id } else { nil } })
            if !ids.isEmpty {
                for row in try db.query("""
                    SELECT \(CustomerProfile.columns) FROM customers WHERE tenant_id = \(tenant) AND id IN (\(list: ids.sorted()))
                    ORDER BY id FOR UPDATE
                    """) {
                    state[.customer(try row.int("id"))] = CustomerProfile(row: row)
                }
            }
            let companies = try CompanyStore.lockExisting(db, tenant, ids: Set(items.compactMap { $0.fields.companyID ?? nil }))
            var pending: [Pending] = []
            var slots: [Int: Slot] = [:]
            var newOnes: [Int] = []
            var transitions: [(slot: Slot, before: [String: JSON], after: [String: JSON])] = []
            for (index, item) in items.enumerated() {
                var slot: Slot?
                switch item.target {
                case .new: slot = nil
                case .existing(let id): slot = .customer(id)
                case .sameAs(let earlier): slot = slots[earlier]
                }
                if let slot, state[slot] == nil {
                    pending.append(.failed(.notFound("Customer not found.")))
                    continue
                }
                if case .some(.some(let company)) = item.fields.companyID, !companies.contains(company) {
                    pending.append(.failed(.invalid("company_id", "The company must be a company of this workspace.")))
                    continue
                }
                guard let slot, var profile = state[slot] else {
                    state[.new(index)] = CustomerProfile(new: item.fields)
                    slots[index] = .new(index)
                    newOnes.append(index)
                    pending.append(.created(.new(index)))
                    continue
                }
                let before = profile.snapshot
                do { try profile.apply(item.fields) } catch let error as HTTPError {
                    pending.append(.failed(error))
                    continue
                }
                slots[index] = slot
                let after = profile.snapshot
                if before == after {
                    pending.append(.unchanged(slot))
                } else {
                    state[slot] = profile
                    transitions.append((slot, before, after))
                    pending.append(.updated(slot))
                }
            }
            var idOf: [Slot: Int] = [:]
            for case .customer(let id) in state.keys { idOf[.customer(id)] = id }
            let created = try insert(db, tenant, newOnes.map { state[.new($0)]! })
            for (n, index) in newOnes.enumerated() { idOf[.new(index)] = created[n] }
            var changed: [JSON] = []
            for case .customer(let id) in Set(transitions.map(\.slot)) { changed.append(.array([.int(Int64(id))] + state[.customer(id)]!.json)) }
            if !changed.isEmpty { try db.execute("CALL customers_update_rows(\(tenant), \(JSONWriter.string(.array(changed))))") }
            try CustomerChanges.record(db, tenant, transitions: transitions.map { (idOf[$0.slot]!, $0.before, $0.after) }, actor: actor)
            try SegmentStore.markDirty(db, tenant, customers: created + transitions.map { idOf[$0.slot]! })
            try CustomerChanges.created(db, tenant, ids: created)
            // Tags given (TagWrites: their history and segment marks): added to a new customer
            // (no history yet), made the tags of an existing one.
            for (item, outcome) in zip(items, pending) {
                guard let tags = item.fields.tags else { continue }
                switch outcome {
                case .created(let slot) where !tags.isEmpty:
                    try TagWrites.add(db, tenant, .customer, ids: [idOf[slot]!], names: tags, actor: nil)
                case .updated(let slot), .unchanged(let slot):
                    if case .new = item.target { continue }
                    try TagWrites.replace(db, tenant, .customer, id: idOf[slot]!, names: tags, actor: actor)
                default: break
                }
            }
            return pending.map {
                switch $0 {
                case .created(let slot): .created(idOf[slot]!)
                case .updated(let slot): .updated(idOf[slot]!)
                case .unchanged(let slot): .unchanged(idOf[slot]!)
                case .failed(let error): .failed(error)
                }
            }
        }
    }

    /// New customers' ids, in order: those with an email in one `customers_insert_rows`, each
    /// without one alone (its id is the insert's own; the others' are read back by email).
    private static func insert(_ db: Connection, _ tenant: Tenant, _ profiles: [CustomerProfile]) throws -> [Int] {
        func call(_ rows: [CustomerProfile]) throws -> [Int] {
            var ids = [Int](repeating: 0, count: rows.count)
            for row in try db.query("CALL customers_insert_rows(\(tenant), \(JSONWriter.string(.array(rows.map { .array($0.json) }))))") {
                ids[try row.int("n") - 1] = try row.int("id")
            }
            return ids
        }
        let withEmail = profiles.indices.filter { profiles[$0].email != nil }
        var ids = [Int](repeating: 0, count: profiles.count)
        if !withEmail.isEmpty {
            for (n, id) in try call(withEmail.map { profiles[$0] }).enumerated() { ids[withEmail[n]] = id }
        }
        for index in profiles.indices where profiles[index].email == nil { ids[index] = try call([profiles[index]])[0] }
        return ids
    }

    /// The ids of the customers with `emails` (each answered as given: the unique index folds
    /// case and accents), locked until the commit. An address that is no customer is not
    /// locked (READ COMMITTED holds no gap): should another connection create it before this
    /// transaction's insert, that insert fails whole with 1062 (see `write`).
    package static func lockByEmail(_ db: Connection, _ tenant: Tenant, _ emails: [String]) throws -> [String: Int] {
        guard !emails.isEmpty else { return [:] }
        var ids: [String: Int] = [:]
        for row in try db.query("""
            SELECT j.email, c.id
            FROM JSON_TABLE(\(JSONWriter.string(.array(emails.map(JSON.string)))), '$[*]' COLUMNS (
                     email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
            JOIN customers c FORCE INDEX (uq_email) ON c.tenant_id = \(tenant) AND c.email = j.email
            FOR UPDATE
            """) {
            ids[try row.string("email")] = try row.int("id")
        }
        return ids
    }
}
