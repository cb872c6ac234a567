import Analytics
import Foundation
import MariaDB
import Web
import Platform
import Core
import Jobs

/// The SQL of segments and their stored membership. Every function takes the workspace.
///
/// Membership lives in `segment_members` and each segment's `customers_count`. It changes in
/// three ways, all recording every entry and exit in `segment_changes`:
/// - `evaluate`: a few customers against every segment, after a write marked them dirty;
/// - `rebuild`: one segment against every customer, set-based, one id range at a time;
/// - `forget`: a customer erased.
package enum SegmentStore {
    static let columns: SQL = """
        s.id, s.name, s.description, s.color, s.filters, s.system_key, s.status, s.version, s.depends_on,
        s.customers_count, s.built_at, s.created_at, s.updated_at
        """

    package static func find(_ db: Connection, _ tenant: Tenant, id: Int) throws -> Row? {
        try db.queryOne("SELECT \(columns) FROM segments s WHERE s.tenant_id = \(tenant) AND s.id = \(id)")
    }

    /// A stored segment's filter, parsed (stored filters were checked when saved).
    package static func filter(_ row: Row) -> SegmentFilter {
        var errors = ValidationErrors()
        let json = (try? JSONParser.parse(row.optionalString("filters") ?? "{}")) ?? [:]
        return SegmentFilter.parse(json, errors: &errors) ?? .any([])
    }

    // MARK: Checks on save

    /// The `in_segment` ids must be segments of this workspace, and must not lead back to
    /// `selfID`. Adds problems to `errors`.
    package static func checkReferences(_ db: Connection, _ tenant: Tenant, filter: SegmentFilter, selfID: Int?,
                                errors: inout ValidationErrors) throws {
        let direct = filter.referencedSegments
        guard !direct.isEmpty else { return }
        if let selfID, direct.contains(selfID) {
            errors.add("filters", "A segment cannot contain itself (in_segment \(selfID) is this segment).")
            return
        }
        var graph: [Int: [Int]] = [:]
        for row in try db.query("SELECT id, depends_on FROM segments WHERE tenant_id = \(tenant)") {
            let ids = ((try? JSONParser.parse(row.optionalString("depends_on") ?? "[]"))?.arrayValue ?? []).compactMap(\.intValue)
            graph[try row.int("id")] = ids
        }
        for id in direct.sorted() where graph[id] == nil {
            errors.add("filters", "Segment \(id) does not exist in this workspace (in_segment).")
        }
        guard let selfID, errors.isEmpty else { return }
        // Does any referenced segment reach back to this one?
        var stack = Array(direct), seen = Set<Int>()
        while let next = stack.popLast() {
            if next == selfID {
                errors.add("filters", "These filters would make a cycle: a segment they name with in_segment contains this segment.")
                return
            }
            if seen.insert(next).inserted { stack += graph[next] ?? [] }
        }
    }

    // MARK: Dirty customers

    /// What changed about a customer: the profile (every segment is re-evaluated) or only
    /// activity (the segments whose conditions tracking can change).
    package struct DirtyReason: OptionSet {
        package let rawValue: Int
        package init(rawValue: Int) { self.rawValue = rawValue }
        package static let profile = DirtyReason(rawValue: 1)
        package static let activity = DirtyReason(rawValue: 2)
        package static let all: DirtyReason = [.profile, .activity]
    }

    /// Marks customers for re-evaluation; called inside the transaction of the write that
    /// changed them. Nothing when the workspace has no segment. The mark's one home is the
    /// `segment_mark_dirty` procedure (schema/027), which tracking's `customer_add_events`
    /// calls too.
    package static func markDirty(_ db: Connection, _ tenant: Tenant, customers ids: [Int], reason: DirtyReason = .all) throws {
        let unique = Array(Set(ids)).sorted()
        guard !unique.isEmpty else { return }
        let marks: [JSON] = unique.map { .array([.int(Int64($0)), .int(Int64(reason.rawValue))]) }
        try db.execute("CALL segment_mark_dirty(\(tenant), \(JSONWriter.string(.array(marks))))")
    }

    /// Marks a company's customers for re-evaluation when a segment of the workspace reads
    /// their company (`SegmentFilter.readsCompanies`); called in the transaction of the change
    /// to the company, before a deletion unlinks them.
    package static func companyChanged(_ db: Connection, _ tenant: Tenant, company id: Int) throws {
        guard try levels(db, tenant).joined().contains(where: { $0.filter.readsCompanies }) else { return }
        var after = 0
        while true {
            let ids = try db.query("""
                SELECT id FROM customers FORCE INDEX (idx_customers_company)
                WHERE tenant_id = \(tenant) AND company_id = \(id) AND id > \(after) ORDER BY id LIMIT 5000
                """).map { try $0.int("id") }
            guard let last = ids.last else { return }
            try markDirty(db, tenant, customers: ids, reason: .profile)
            after = last
        }
    }

    /// Re-evaluates up to `limit` dirty customers (any workspace) and clears their marks, in
    /// one transaction. Rows another runner holds are skipped. Returns how many were done.
    @discardableResult
    static func processDirty(_ db: Connection, limit: Int = 200) throws -> Int {
        // Tracking re-marks hot customers all the time, through every node: a batch meets
        // those writes at certification more often than most transactions, so it reruns
        // up to 8 times, as tracking does.
        try db.transaction(retries: 8) {
            let rows = try db.query("""
                SELECT tenant_id, customer_id, reasons FROM segment_dirty LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """)
            guard !rows.isEmpty else { return 0 }
            var byTenant: [Int: [(Int, DirtyReason)]] = [:]
            for row in rows {
                byTenant[try row.int("tenant_id"), default: []].append((try row.int("customer_id"), DirtyReason(rawValue: try row.int("reasons"))))
            }
            var done = 0
            for (tenantID, all) in byTenant.sorted(by: { $0.key < $1.key }) {
                // The claim is the DELETE of each mark with the reasons read, decided by its
                // affected rows: SKIP LOCKED only sees this node's locks, so on Galera an
                // evaluator on another node may have taken (or a write re-marked) a row since.
                var marks: [(Int, DirtyReason)] = []
                for (customerID, reasons) in all {
                    let taken = try db.execute("""
                        DELETE FROM segment_dirty WHERE tenant_id = \(tenantID) AND customer_id = \(customerID) AND reasons = \(reasons.rawValue)
                        """).affectedRows
                    if taken == 1 { marks.append((customerID, reasons)) }
                }
                let activityOnly = marks.filter { !$0.1.contains(.profile) }.map(\.0)
                let everything = marks.filter { $0.1.contains(.profile) }.map(\.0)
                if !everything.isEmpty { try evaluate(db, Tenant(id: tenantID), customers: everything) }
                if !activityOnly.isEmpty { try evaluate(db, Tenant(id: tenantID), customers: activityOnly, activityOnly: true) }
                done += marks.count
            }
            return done
        }
    }

    /// A segment ready for evaluation: its compiled test, and whether tracking can change it
    /// (itself, or through a segment it names with `in_segment`).
    struct Compiled: Sendable {
        let id: Int
        let filter: SegmentFilter
        let test: SQL
        let readsActivity: Bool
    }

    /// The workspace's segments in evaluation order: a segment comes after those it names
    /// with `in_segment`. Each level can be evaluated in one query. Cached per workspace
    /// while this stamp stays the same: any create, delete or change of filters (which bumps
    /// the version) changes it.
    static func levels(_ db: Connection, _ tenant: Tenant) throws -> [[Compiled]] {
        let stamp = try db.queryOne("""
            SELECT CONCAT(COUNT(*), ':', COALESCE(SUM(id), 0), ':', COALESCE(SUM(version), 0), ':', COALESCE(MAX(updated_at), '')) AS stamp
            FROM segments WHERE tenant_id = \(tenant)
            """)?.optionalString("stamp") ?? ""
        if let cached = SegmentCache.shared.levels(tenant: tenant.id, stamp: stamp) { return cached }
        let made = try loadLevels(db, tenant)
        SegmentCache.shared.store(tenant: tenant.id, stamp: stamp, levels: made)
        return made
    }

    private static func loadLevels(_ db: Connection, _ tenant: Tenant) throws -> [[Compiled]] {
        var pending: [Int: SegmentFilter] = [:]
        for row in try db.query("SELECT id, filters FROM segments WHERE tenant_id = \(tenant) ORDER BY id") {
            pending[try row.int("id")] = filter(row)
        }
        var done = Set<Int>(), levels: [[Compiled]] = [], activity: [Int: Bool] = [:]
        while !pending.isEmpty {
            let ready = pending.filter { $0.value.referencedSegments.allSatisfy { done.contains($0) || pending[$0] == nil } }
                .sorted { $0.key < $1.key }
            // A cycle (refused on save) or a dangling id: evaluate the rest as one level.
            let level = ready.isEmpty ? pending.sorted { $0.key < $1.key } : ready
            levels.append(level.map { id, filter in
                let reads = filter.readsActivity || filter.referencedSegments.contains { activity[$0] ?? true }
                activity[id] = reads
                return Compiled(id: id, filter: filter, test: "IF(COALESCE(\(filter.sql), 0), \(id), NULL)", readsActivity: reads)
            })
            for (id, _) in level { pending[id] = nil; done.insert(id) }
        }
        return levels
    }

    /// Evaluates the workspace's segments for `ids` (with `activityOnly`, only those that
    /// tracking can change) and applies the difference to the stored membership: one query
    /// per level (one row per customer, the matching segment ids joined), one read of the
    /// current memberships, then inserts, deletes and changes.
    static func evaluate(_ db: Connection, _ tenant: Tenant, customers ids: [Int], activityOnly: Bool = false) throws {
        let customers = Array(Set(ids)).sorted()
        guard !customers.isEmpty else { return }
        for all in try levels(db, tenant) {
            let level = activityOnly ? all.filter(\.readsActivity) : all
            guard !level.isEmpty else { continue }
            var matched = Set<[Int]>()
            for row in try db.query("""
                SELECT c.id, CONCAT_WS(',', \(SQL.join(level.map(\.test), separator: ", "))) AS hits
                FROM customers c WHERE c.tenant_id = \(tenant) AND c.id IN (\(list: customers))
                """) {
                let customer = try row.int("id")
                for hit in (row.optionalString("hits") ?? "").split(separator: ",") {
                    if let segment = Int(hit) { matched.insert([segment, customer]) }
                }
            }
            var current = Set<[Int]>()
            for row in try db.query("""
                SELECT segment_id, customer_id FROM segment_members
                WHERE tenant_id = \(tenant) AND customer_id IN (\(list: customers)) AND segment_id IN (\(list: level.map(\.id)))
                """) {
                current.insert([try row.int("segment_id"), try row.int("customer_id")])
            }
            try apply(db, tenant, entered: matched.subtracting(current).sorted { $0.lexicographicallyPrecedes($1) },
                      exited: current.subtracting(matched).sorted { $0.lexicographicallyPrecedes($1) })
        }
    }

    /// Writes entries and exits ([segment, customer] pairs), their records and the counts.
    /// Row by row (entries and exits are rare beside evaluations): only a row this call
    /// really inserted or deleted is recorded and counted, so a rebuild or another runner
    /// moving the same customer at the same time never counts it twice.
    static func apply(_ db: Connection, _ tenant: Tenant, entered: [[Int]], exited: [[Int]]) throws {
        var delta: [Int: Int] = [:]
        var changes: [SQL] = []
        for pair in entered {
            let inserted = try db.execute("""
                INSERT IGNORE INTO segment_members (segment_id, customer_id, tenant_id, added_at)
                VALUES (\(pair[0]), \(pair[1]), \(tenant), UTC_TIMESTAMP(6))
                """).affectedRows
            guard inserted > 0 else { continue }
            delta[pair[0], default: 0] += 1
            changes.append("(\(tenant), \(pair[0]), \(pair[1]), 'segment_entered', UTC_TIMESTAMP(6))")
        }
        for pair in exited {
            let deleted = try db.execute("""
                DELETE FROM segment_members WHERE segment_id = \(pair[0]) AND customer_id = \(pair[1])
                """).affectedRows
            guard deleted > 0 else { continue }
            delta[pair[0], default: 0] -= 1
            changes.append("(\(tenant), \(pair[0]), \(pair[1]), 'segment_exited', UTC_TIMESTAMP(6))")
        }
        if !changes.isEmpty {
            try db.execute("""
                INSERT INTO segment_changes (tenant_id, segment_id, customer_id, event, occurred_at) VALUES \(SQL.join(changes, separator: ", "))
                """)
        }
        for (segment, n) in delta.sorted(by: { $0.key < $1.key }) where n != 0 {
            try db.execute("""
                UPDATE segments SET customers_count = GREATEST(CAST(customers_count AS SIGNED) + \(n), 0)
                WHERE tenant_id = \(tenant) AND id = \(segment)
                """)
        }
    }

    /// A customer about to be erased leaves their segments (the rows go with the customer).
    package static func forget(_ db: Connection, _ tenant: Tenant, customer id: Int) throws {
        let pairs = try db.query("SELECT segment_id FROM segment_members WHERE tenant_id = \(tenant) AND customer_id = \(id)")
            .map { [try $0.int("segment_id"), id] }
        try apply(db, tenant, entered: [], exited: pairs)
        try db.execute("DELETE FROM segment_dirty WHERE tenant_id = \(tenant) AND customer_id = \(id)")
    }
}

/// Each workspace's parsed segments in evaluation order, shared by the threads of a process.
final class SegmentCache: Sendable {
    static let shared = SegmentCache()
    typealias Levels = [[SegmentStore.Compiled]]
    private let entries = Lock<[Int: (stamp: String, levels: Levels)]>([:])

    func levels(tenant: Int, stamp: String) -> Levels? {
        entries.withLock { entries in
            guard let entry = entries[tenant], entry.stamp == stamp else { return nil }
            return entry.levels
        }
    }

    func store(tenant: Int, stamp: String, levels: Levels) {
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[tenant] = (stamp, levels)
        }
    }
}
