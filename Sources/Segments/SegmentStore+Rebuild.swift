import Analytics
import Foundation
import MariaDB
import Web
import Platform
import Core
import Jobs

/// Whole-segment work: a segment's full rebuild (set-based, by customer id range), the sweep of
/// time boundaries (conditions like "seen in the last N days" that flip as time passes), and the
/// built-in segments kept in step after an analytics recompute.
extension SegmentStore {
    // MARK: Rebuild

    /// Recomputes one segment's whole membership, set-based, one customer id range per
    /// transaction: the matches go into a work table (segment_build_rows), and the difference with the
    /// stored members becomes exits, entries and their records. Then the count, and the
    /// status back to ready if no newer version of the filters came meanwhile.
    static func rebuild(_ db: Connection, _ tenant: Tenant, segment id: Int, heartbeat: () throws -> Void = {}) throws {
        guard let row = try find(db, tenant, id: id) else { return }
        let version = try row.int("version")
        let predicate = filter(row).sql
        // The work table is an ordinary replicated table (temporary tables are node-local on
        // Galera); this rebuild's rows are under its own build id.
        let build = Int.random(in: 1...Int(Int64.max))
        var ranges = try AnalyticsStore.idRanges(db, tenant)
        // Members whose customers fall outside every range (none normally): one last range.
        if ranges.isEmpty { ranges = [(0, Int(Int64.max))] }
        for (index, (low, high)) in ranges.enumerated() {
            let (lower, upper) = (index == 0 ? 0 : low, index == ranges.count - 1 ? Int(Int64.max) : high)
            try db.transaction {
                try db.execute("""
                    INSERT INTO segment_build_rows (build_id, customer_id)
                    SELECT \(build), c.id FROM customers c WHERE c.tenant_id = \(tenant) AND c.id >= \(lower) AND c.id < \(upper) AND \(predicate)
                    """)
                try db.execute("""
                    INSERT INTO segment_changes (tenant_id, segment_id, customer_id, event, occurred_at)
                    SELECT \(tenant), \(id), m.customer_id, 'segment_exited', UTC_TIMESTAMP(6) FROM segment_members m
                    WHERE m.segment_id = \(id) AND m.customer_id >= \(lower) AND m.customer_id < \(upper)
                      AND NOT EXISTS (SELECT 1 FROM segment_build_rows b WHERE b.build_id = \(build) AND b.customer_id = m.customer_id)
                    """)
                try db.execute("""
                    DELETE m FROM segment_members m LEFT JOIN segment_build_rows b ON b.build_id = \(build) AND b.customer_id = m.customer_id
                    WHERE m.segment_id = \(id) AND m.customer_id >= \(lower) AND m.customer_id < \(upper) AND b.customer_id IS NULL
                    """)
                try db.execute("""
                    INSERT INTO segment_changes (tenant_id, segment_id, customer_id, event, occurred_at)
                    SELECT \(tenant), \(id), b.customer_id, 'segment_entered', UTC_TIMESTAMP(6) FROM segment_build_rows b
                    WHERE b.build_id = \(build) AND NOT EXISTS (SELECT 1 FROM segment_members m WHERE m.segment_id = \(id) AND m.customer_id = b.customer_id)
                    """)
                try db.execute("""
                    INSERT IGNORE INTO segment_members (segment_id, customer_id, tenant_id, added_at)
                    SELECT \(id), b.customer_id, \(tenant), UTC_TIMESTAMP(6) FROM segment_build_rows b WHERE b.build_id = \(build)
                    """)
                try db.execute("DELETE FROM segment_build_rows WHERE build_id = \(build)")
            }
            try heartbeat()
        }
        try db.execute("""
            UPDATE segments SET customers_count = (SELECT COUNT(*) FROM segment_members m WHERE m.segment_id = \(id)),
                status = IF(version = \(version), 'ready', status), built_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = \(tenant) AND id = \(id)
            """)
        // Segments built on this one follow it.
        for dependent in try db.query("""
            SELECT id FROM segments WHERE tenant_id = \(tenant) AND JSON_CONTAINS(depends_on, \(String(id)))
            """) {
            try scheduleRebuild(db, tenant, segment: try dependent.int("id"))
        }
    }

    /// Marks a segment building and queues its rebuild.
    static func scheduleRebuild(_ db: Connection, _ tenant: Tenant, segment id: Int) throws {
        try db.execute("""
            UPDATE segments SET status = 'building', version = version + 1 WHERE tenant_id = \(tenant) AND id = \(id)
            """)
        let version = try db.queryOne("SELECT version FROM segments WHERE id = \(id)")?.int("version") ?? 0
        try JobQueue.enqueue(db, kind: SegmentJobs.rebuild, payload: ["segment_id": .int(id)], tenantID: tenant.id,
                             maxAttempts: 5, uniqueKey: "segments.rebuild:\(id):\(version)")
    }

    // MARK: Time boundaries

    /// Marks dirty the customers whose time-based conditions flipped since the last run:
    /// those whose time crossed `now - N days` between the two runs. Returns how many marks.
    @discardableResult
    static func markBoundaryCrossings(_ db: Connection, name: String = "boundaries") throws -> Int {
        let now = try db.queryOne("SELECT UTC_TIMESTAMP(6) AS now")!.date("now")
        guard let previous = try db.queryOne("SELECT checked_at FROM segment_clock WHERE name = \(name)")?.date("checked_at") else {
            try db.execute("INSERT IGNORE INTO segment_clock (name, checked_at) VALUES (\(name), \(now))")
            return 0
        }
        var boundaries: [Int: Set<SegmentFilter.Boundary>] = [:]
        // Every time-based key ends in "_days" or "_days_min": a cheap first cut.
        for row in try db.query("SELECT tenant_id, filters FROM segments WHERE filters LIKE '%days%'") {
            boundaries[try row.int("tenant_id"), default: []].formUnion(filter(row).boundaries)
        }
        var marked = 0
        for (tenantID, set) in boundaries.sorted(by: { $0.key < $1.key }) {
            for boundary in set {
                let selection: SQL
                switch boundary {
                case .lastSeen(let days):
                    selection = """
                        SELECT id FROM customers WHERE tenant_id = \(tenantID)
                        AND last_seen_at >= \(previous) - INTERVAL \(days) DAY AND last_seen_at < \(now) - INTERVAL \(days) DAY
                        """
                case .inactive(let days):
                    selection = """
                        SELECT id FROM customers WHERE tenant_id = \(tenantID)
                        AND last_seen_at >= \(previous) - INTERVAL \(days) DAY AND last_seen_at < \(now) - INTERVAL \(days) DAY
                        UNION SELECT id FROM customers WHERE tenant_id = \(tenantID) AND last_seen_at IS NULL
                        AND created_at >= \(previous) - INTERVAL \(days) DAY AND created_at < \(now) - INTERVAL \(days) DAY
                        """
                case .created(let days):
                    selection = """
                        SELECT id FROM customers WHERE tenant_id = \(tenantID)
                        AND created_at >= \(previous) - INTERVAL \(days) DAY AND created_at < \(now) - INTERVAL \(days) DAY
                        """
                case .event(let eventName, let days):
                    selection = """
                        SELECT DISTINCT customer_id AS id FROM events WHERE tenant_id = \(tenantID) AND name = \(eventName)
                        AND occurred_at >= \(previous) - INTERVAL \(days) DAY AND occurred_at < \(now) - INTERVAL \(days) DAY
                        AND customer_id IS NOT NULL
                        """
                }
                // Marked for every segment, by the mark's one home (segment_mark_dirty).
                let found = try db.queryOne("""
                    SELECT COUNT(*) AS n, JSON_ARRAYAGG(JSON_ARRAY(x.id, \(DirtyReason.all.rawValue))) AS marks FROM (\(selection)) x
                    """)
                if let n = found?.optionalInt("n"), n > 0, let marks = found?.optionalString("marks") {
                    try db.execute("CALL segment_mark_dirty(\(tenantID), \(marks))")
                    marked += n
                }
            }
        }
        try db.execute("UPDATE segment_clock SET checked_at = \(now) WHERE name = \(name)")
        return marked
    }

    // MARK: Built-in segments

    static let systemColors: [RFM.Segment: (String, String)] = [
        .champions: ("#34d399", "High RFM score customers who purchase frequently"),
        .loyal: ("#10b981", "Buy regularly and recently"),
        .potentialLoyalists: ("#60a5fa", "Recent customers with average frequency"),
        .newCustomers: ("#a78bfa", "Bought for the first time recently"),
        .promising: ("#818cf8", "Recent buyers who have not spent much yet"),
        .needAttention: ("#f59e0b", "Average recency and frequency; may slip away"),
        .aboutToSleep: ("#fb923c", "Below-average recency and frequency"),
        .atRisk: ("#fbbf24", "Previously loyal customers who haven't engaged recently"),
        .cannotLoseThem: ("#f87171", "Made big purchases often, but long ago"),
        .hibernating: ("#94a3b8", "Low recency and frequency"),
        .lost: ("#64748b", "Lowest recency and frequency"),
    ]

    /// The workspace's built-in RFM segments, created when missing (a name a user already
    /// took is left to the user) and queued for their first build. Returns the ids created.
    @discardableResult
    static func ensureSystemSegments(_ db: Connection, _ tenant: Tenant) throws -> [Int] {
        let existing = try db.queryOne("SELECT COUNT(*) AS n FROM segments WHERE tenant_id = \(tenant) AND system_key IS NOT NULL")?.int("n") ?? 0
        guard existing < RFM.Segment.allCases.count else { return [] }
        var created: [Int] = []
        for segment in RFM.Segment.allCases {
            let (color, description) = systemColors[segment] ?? ("#94a3b8", segment.rawValue)
            let filters = JSONWriter.string(["rfm_segment": [.string(segment.rawValue)]])
            let result = try db.execute("""
                INSERT IGNORE INTO segments (tenant_id, name, description, color, filters, system_key, status, created_at, updated_at)
                VALUES (\(tenant), \(segment.rawValue), \(description), \(color), \(filters), \(segment.rawValue), 'ready',
                        UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """)
            if result.affectedRows > 0 { created.append(result.lastInsertID) }
        }
        for id in created { try scheduleRebuild(db, tenant, segment: id) }
        return created
    }

    /// After an RFM/CLV recompute: the built-in segments exist, and every segment that reads
    /// the recompute's outputs is rebuilt.
    static func syncAfterRecompute(_ db: Connection, _ tenant: Tenant) throws {
        let created = Set(try ensureSystemSegments(db, tenant))
        for row in try db.query("SELECT id, filters FROM segments WHERE tenant_id = \(tenant) ORDER BY id") {
            let id = try row.int("id")
            if filter(row).usesAnalytics, !created.contains(id) { try scheduleRebuild(db, tenant, segment: id) }
        }
    }
}
