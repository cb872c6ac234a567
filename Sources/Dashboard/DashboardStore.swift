import Foundation
import MariaDB
import Web
import Core
import Jobs

/// The SQL of the home dashboard: set-based reads of the per-day rollups that the writes keep
/// (`schema/033_dashboard.sql`), never of the events. Every function takes the workspace.
package enum DashboardStore {
    /// Sums of the current period [from, to), the previous one [from - days, from), and of
    /// everything on or after `to` (to take the customers total back to the period's end).
    struct Totals {
        var events = (current: 0, previous: 0)
        var orders = (current: 0, previous: 0)
        var revenue = (current: Decimal(0), previous: Decimal(0))
        var newCustomers = (current: 0, previous: 0)
        var newCustomersSinceEnd = 0
        /// Customer-days of both periods: the rows counting their active customers reads.
        var customerDays = 0
        /// Revenue over orders, rounded to the cent as a customer's average is; nil without orders.
        var averageOrder: (current: Decimal?, previous: Decimal?) = (nil, nil)
    }

    static func totals(_ db: Connection, _ tenant: Tenant, _ range: DashboardRange) throws -> Totals {
        let from = DashboardRange.text(range.from), to = DashboardRange.text(range.to)
        let previousFrom = DashboardRange.text(range.previousFrom)
        guard let row = try db.queryOne("""
            SELECT COALESCE(SUM(IF(day >= \(from) AND day < \(to), events, 0)), 0) AS events,
                   COALESCE(SUM(IF(day < \(from), events, 0)), 0) AS previous_events,
                   COALESCE(SUM(IF(day >= \(from) AND day < \(to), orders, 0)), 0) AS orders,
                   COALESCE(SUM(IF(day < \(from), orders, 0)), 0) AS previous_orders,
                   COALESCE(SUM(IF(day >= \(from) AND day < \(to), revenue, 0)), 0) AS revenue,
                   COALESCE(SUM(IF(day < \(from), revenue, 0)), 0) AS previous_revenue,
                   COALESCE(SUM(IF(day >= \(from) AND day < \(to), new_customers, 0)), 0) AS new_customers,
                   COALESCE(SUM(IF(day < \(from), new_customers, 0)), 0) AS previous_new_customers,
                   COALESCE(SUM(IF(day >= \(to), new_customers, 0)), 0) AS new_customers_since,
                   COALESCE(SUM(IF(day < \(to), active_days, 0)), 0) AS customer_days,
                   ROUND(SUM(IF(day >= \(from) AND day < \(to), revenue, 0)) / NULLIF(SUM(IF(day >= \(from) AND day < \(to), orders, 0)), 0), 2) AS average_order,
                   ROUND(SUM(IF(day < \(from), revenue, 0)) / NULLIF(SUM(IF(day < \(from), orders, 0)), 0), 2) AS previous_average_order
            FROM dashboard_days WHERE tenant_id = \(tenant) AND day >= \(previousFrom)
            """) else { return Totals() }
        var t = Totals()
        t.events = (try row.int("events"), try row.int("previous_events"))
        t.orders = (try row.int("orders"), try row.int("previous_orders"))
        t.revenue = (decimal(row, "revenue"), decimal(row, "previous_revenue"))
        t.newCustomers = (try row.int("new_customers"), try row.int("previous_new_customers"))
        t.newCustomersSinceEnd = try row.int("new_customers_since")
        t.customerDays = try row.int("customer_days")
        t.averageOrder = (row.optionalDecimal("average_order").map { _ in decimal(row, "average_order") },
                          row.optionalDecimal("previous_average_order").map { _ in decimal(row, "previous_average_order") })
        return t
    }

    /// Per bucket of the period: events, orders, revenue and new customers, every bucket
    /// present (those without a row are zeros).
    static func series(_ db: Connection, _ tenant: Tenant, _ range: DashboardRange) throws -> [JSON] {
        var byBucket: [String: Row] = [:]
        for row in try db.query("""
            SELECT DATE_FORMAT(\(range.interval.bucketSQL), '%Y-%m-%d') AS bucket, SUM(events) AS events, SUM(orders) AS orders,
                   SUM(revenue) AS revenue, SUM(new_customers) AS new_customers
            FROM dashboard_days
            WHERE tenant_id = \(tenant) AND day >= \(DashboardRange.text(range.from)) AND day < \(DashboardRange.text(range.to))
            GROUP BY bucket
            """) {
            byBucket[try row.string("bucket")] = row
        }
        return range.buckets.map { start in
            let key = DashboardRange.text(start)
            let row = byBucket[key]
            let end = min(DashboardRange.next(start, range.interval), range.to)
            return [
                "start": .string(DashboardRange.text(max(start, range.from))), "end": .string(DashboardRange.text(end)),
                "new_customers": .int(row?.optionalInt("new_customers") ?? 0), "events": .int(row?.optionalInt("events") ?? 0),
                "orders": .int(row?.optionalInt("orders") ?? 0),
                "revenue": .number(money(row.map { decimal($0, "revenue") } ?? 0)),
            ]
        }
    }

    /// Up to this many customer-days (about 100 ms of counting) the active customers are
    /// counted on every request; past it they come from `dashboard_active`: counted when the
    /// range has no row yet, else served as stored and counted again by the job runner once
    /// `freshness` old (as PipelineStats does with a large pipeline's reach).
    static let exactLimit = 50_000
    /// Past this many (seconds of counting), a range never counted is left to the job runner:
    /// the answer says so (nil) rather than keep the request waiting.
    static let synchronousLimit = 1_000_000
    static let freshness: TimeInterval = 60
    static let jobKind = "dashboard.active_customers"

    /// The active customers of the period and of the previous one, and when they were counted
    /// (nil: now); nil while the job runner counts a large range for the first time.
    static func activeCustomers(_ db: Connection, _ tenant: Tenant, _ range: DashboardRange, customerDays: Int) throws -> (current: Int, previous: Int, countedAt: Date?)? {
        if customerDays <= exactLimit {
            let counted = try countActive(db, tenant, range)
            return (counted.current, counted.previous, nil)
        }
        let from = DashboardRange.text(range.from), to = DashboardRange.text(range.to)
        guard let row = try db.queryOne("""
            SELECT current, previous, computed_at FROM dashboard_active WHERE tenant_id = \(tenant) AND from_day = \(from) AND to_day = \(to)
            """), let at = row.optionalDate("computed_at") else {
            if customerDays <= synchronousLimit { return try recount(db, tenant, range) }
            try queueRecount(db, tenant, from, to)
            return nil
        }
        if Date().timeIntervalSince(at) >= freshness { try queueRecount(db, tenant, from, to) }
        return (try row.int("current"), try row.int("previous"), at)
    }

    /// A recount of the range by the job runner, at most one a minute.
    static func queueRecount(_ db: Connection, _ tenant: Tenant, _ from: String, _ to: String) throws {
        let bucket = Int(Date().timeIntervalSince1970 / freshness)
        try JobQueue.enqueue(db, kind: jobKind, payload: ["from": .string(from), "to": .string(to)], tenantID: tenant.id,
                             maxAttempts: 2, uniqueKey: "\(jobKind):\(tenant.id):\(from):\(to):\(bucket)")
    }

    /// Counts a range's active customers and keeps them in `dashboard_active` (whose rows of
    /// the workspace not counted for a day go).
    @discardableResult
    static func recount(_ db: Connection, _ tenant: Tenant, _ range: DashboardRange) throws -> (current: Int, previous: Int, countedAt: Date?) {
        let counted = try countActive(db, tenant, range)
        let now = Date()
        try db.execute("""
            INSERT INTO dashboard_active (tenant_id, from_day, to_day, current, previous, computed_at)
            VALUES (\(tenant), \(DashboardRange.text(range.from)), \(DashboardRange.text(range.to)), \(counted.current), \(counted.previous), \(now))
            ON DUPLICATE KEY UPDATE current = VALUES(current), previous = VALUES(previous), computed_at = VALUES(computed_at)
            """)
        try db.execute("DELETE FROM dashboard_active WHERE tenant_id = \(tenant) AND computed_at < \(now.addingTimeInterval(-86_400))")
        return (counted.current, counted.previous, now)
    }

    /// The job that counts a large range's active customers again.
    package static func register(_ registry: inout JobRegistry) {
        registry.register(jobKind, maxAttempts: 2, leaseSeconds: 600) { context in
            guard let tenantID = context.job.tenantID,
                  let from = context.job.payload["from"]?.stringValue.flatMap(DashboardRange.parseDay),
                  let to = context.job.payload["to"]?.stringValue.flatMap(DashboardRange.parseDay), from < to else { return }
            try recount(context.db, Tenant(id: tenantID), DashboardRange(from: from, to: to, interval: .day))
        }
    }

    /// Distinct customers with an event in the period and in the previous one, in one pass over
    /// `customer_active_days` (a covering range of its primary key).
    static func countActive(_ db: Connection, _ tenant: Tenant, _ range: DashboardRange) throws -> (current: Int, previous: Int) {
        let from = DashboardRange.text(range.from)
        let row = try db.queryOne("""
            SELECT COUNT(DISTINCT IF(day >= \(from), customer_id, NULL)) AS current,
                   COUNT(DISTINCT IF(day < \(from), customer_id, NULL)) AS previous
            FROM customer_active_days FORCE INDEX (PRIMARY)
            WHERE tenant_id = \(tenant) AND day >= \(DashboardRange.text(range.previousFrom)) AND day < \(DashboardRange.text(range.to))
            """)
        return (row?.optionalInt("current") ?? 0, row?.optionalInt("previous") ?? 0)
    }

    /// The sum of the predicted lifetime values the last analytics recompute stored on the
    /// customers, kept on its model row (`analytics_models.predicted_total`), and when it ran;
    /// nil before the first recompute.
    static func predictedValue(_ db: Connection, _ tenant: Tenant) throws -> (total: Decimal?, customers: Int, asOf: JSON) {
        guard let row = try db.queryOne("""
            SELECT predicted_total, predicted_customers, as_of FROM analytics_models WHERE tenant_id = \(tenant)
            """) else { return (nil, 0, .null) }
        return (row.optionalDecimal("predicted_total").map { _ in decimal(row, "predicted_total") },
                row.optionalInt("predicted_customers") ?? 0, row.json("as_of"))
    }

    /// The user segments by size (the largest `limit`) and the built-in RFM segments, with
    /// their entries and exits in the period (`segment_changes`, the segments' history).
    static func segments(_ db: Connection, _ tenant: Tenant, _ range: DashboardRange, limit: Int = 5) throws -> (top: [Row], rfm: [Row], changes: [Int: Row]) {
        let rows = try db.query("""
            SELECT id, name, color, customers_count, system_key, status FROM segments
            WHERE tenant_id = \(tenant) ORDER BY customers_count DESC, id
            """)
        let top = Array(rows.filter { $0.optionalString("system_key") == nil }.prefix(limit))
        let rfm = rows.filter { $0.optionalString("system_key") != nil }
        var changes: [Int: Row] = [:]
        let ids = try top.map { try $0.int("id") }
        if !ids.isEmpty {
            let from = DashboardRange.from(range.from), to = DashboardRange.from(range.to)
            for row in try db.query("""
                SELECT segment_id, SUM(event = 'segment_entered' AND occurred_at < \(to)) AS entered,
                       SUM(event = 'segment_exited' AND occurred_at < \(to)) AS exited,
                       SUM(IF(occurred_at >= \(to), IF(event = 'segment_entered', 1, -1), 0)) AS since_end
                FROM segment_changes WHERE segment_id IN (\(list: ids)) AND occurred_at >= \(from)
                GROUP BY segment_id
                """) {
                changes[try row.int("segment_id")] = row
            }
        }
        return (top, rfm, changes)
    }

    static func decimal(_ row: Row, _ column: String) -> Decimal {
        row.optionalDecimal(column).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) } ?? 0
    }

    /// Money as exact text with two decimals ("1250.50").
    static func money(_ d: Decimal) -> String {
        var value = d, rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, .plain)
        let text = NSDecimalNumber(decimal: rounded).stringValue
        guard let dot = text.firstIndex(of: ".") else { return text + ".00" }
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        return decimals >= 2 ? text : text + String(repeating: "0", count: 2 - decimals)
    }
}

extension DashboardRange {
    /// The instant a day starts.
    static func from(_ day: Int) -> Date { Date(timeIntervalSince1970: Double(day) * 86_400) }
}
