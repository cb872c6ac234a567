import Analytics
import FastCGI
import Foundation
import MariaDB
import Web
import Core

/// The SQL of RFM and predicted lifetime value. Every function takes the workspace.
enum AnalyticsStore {
    /// Customer ids per range: each range's reads and writes are statements that stay well
    /// within the statement time limit, on a workspace of millions.
    static let rangeSize = 20_000

    /// Reads the workspace's purchases up to `asOf`, scores and fits, and writes the results
    /// onto its customers, one id range per transaction (each customer is always consistent),
    /// then the model row. Customers with no purchase by then get nulls.
    @discardableResult
    static func recompute(_ db: Connection, _ tenant: Tenant, asOf: Date,
                          settings: CustomerValue.Settings = CustomerValue.Settings()) throws -> CustomerValue.Outcome {
        let started = Date()
        let histories = try purchases(db, tenant, before: asOf)
        let read = Date()
        let outcome = CustomerValue.compute(histories, asOf: asOf.timeIntervalSince1970, settings: settings)
        let computed = Date()
        let summary = calibrationSummary(outcome)
        let results = outcome.results.sorted { $0.id < $1.id }
        var next = 0
        for (low, high) in try idRanges(db, tenant) {
            var end = next
            while end < results.count, results[end].id < high { end += 1 }
            let chunk = results[next..<end]
            next = end
            try db.transaction {
                // FORCE INDEX (PRIMARY): the id range, never a scan of idx_customers_rfm or
                // idx_customers_predicted for the IS NOT NULL test. After a bulk load, before
                // the statistics caught up, the optimizer chose those indexes and the UPDATE
                // locked every scored row of the workspace there, deadlocking with
                // concurrent PATCHes of customers.
                try db.execute("""
                    UPDATE customers FORCE INDEX (PRIMARY) SET rfm_recency = NULL, rfm_frequency = NULL, rfm_monetary = NULL, rfm_score = NULL,
                        rfm_segment = NULL, rfm_revenue = NULL, clv_predicted = NULL, p_alive = NULL, expected_purchases = NULL
                    WHERE tenant_id = \(tenant) AND id >= \(low) AND id < \(high) AND (rfm_score IS NOT NULL OR clv_predicted IS NOT NULL)
                    """)
                var start = chunk.startIndex
                while start < chunk.endIndex {
                    let rows: [SQL] = chunk[start..<min(start + 500, chunk.endIndex)].map { r in
                        """
                        SELECT \(r.id) AS id, \(r.rfm.r) AS r, \(r.rfm.f) AS f, \(r.rfm.m) AS m, \(r.rfm.total) AS score,
                            \(r.rfm.segment.rawValue) AS segment, \(money(r.revenue)) AS revenue, \(r.clv.map(money)) AS clv,
                            \(r.pAlive) AS alive, \(r.expectedPurchases) AS expected
                        """
                    }
                    try db.execute("""
                        UPDATE (\(SQL.join(rows, separator: " UNION ALL "))) v
                               STRAIGHT_JOIN customers c FORCE INDEX (PRIMARY) ON c.id = v.id
                        SET c.rfm_recency = v.r, c.rfm_frequency = v.f, c.rfm_monetary = v.m, c.rfm_score = v.score,
                            c.rfm_segment = v.segment, c.rfm_revenue = v.revenue, c.clv_predicted = v.clv,
                            c.p_alive = v.alive, c.expected_purchases = v.expected
                        WHERE c.tenant_id = \(tenant)
                        """)
                    start += 500
                }
            }
        }
        // The model row also keeps the sum of the predictions just written (the home
        // dashboard's "predicted CLV of the base"), read in the same statement; an erasure
        // takes its customer's out (schema/033_dashboard.sql).
        let bg = outcome.bgnbd, gg = outcome.gammaGamma
        let ms = Int(Date().timeIntervalSince(started) * 1000)
        Log.info("analytics.recompute workspace \(tenant.id): \(outcome.customers) customers, read \(Int(read.timeIntervalSince(started) * 1000)) ms, "
                 + "model \(Int(computed.timeIntervalSince(read) * 1000)) ms, written in \(ms - Int(computed.timeIntervalSince(started) * 1000)) ms")
        try db.execute("""
            INSERT INTO analytics_models (tenant_id, as_of, model, horizon_months, monthly_discount, customers, repeat_customers,
                bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b, bgnbd_log_likelihood, gg_p, gg_q, gg_v, gg_log_likelihood,
                calibration, predicted_total, predicted_customers, duration_ms, computed_at)
            VALUES (\(tenant), \(asOf), \(outcome.model.rawValue), \(settings.horizonMonths), \(settings.monthlyDiscount),
                \(outcome.customers), \(outcome.repeatCustomers), \(bg?.model.r), \(bg?.model.alpha), \(bg?.model.a),
                \(bg?.model.b), \(bg?.logLikelihood), \(gg?.model.p), \(gg?.model.q), \(gg?.model.v), \(gg?.logLikelihood),
                \(JSONWriter.string(summary)),
                (SELECT COALESCE(SUM(clv_predicted), 0) FROM customers WHERE tenant_id = \(tenant) AND clv_predicted IS NOT NULL),
                (SELECT COUNT(clv_predicted) FROM customers WHERE tenant_id = \(tenant) AND clv_predicted IS NOT NULL),
                \(ms), UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE as_of = VALUES(as_of), model = VALUES(model), horizon_months = VALUES(horizon_months),
                monthly_discount = VALUES(monthly_discount), customers = VALUES(customers),
                repeat_customers = VALUES(repeat_customers), bgnbd_r = VALUES(bgnbd_r), bgnbd_alpha = VALUES(bgnbd_alpha),
                bgnbd_a = VALUES(bgnbd_a), bgnbd_b = VALUES(bgnbd_b), bgnbd_log_likelihood = VALUES(bgnbd_log_likelihood),
                gg_p = VALUES(gg_p), gg_q = VALUES(gg_q), gg_v = VALUES(gg_v), gg_log_likelihood = VALUES(gg_log_likelihood),
                calibration = VALUES(calibration), predicted_total = VALUES(predicted_total),
                predicted_customers = VALUES(predicted_customers), duration_ms = VALUES(duration_ms), computed_at = VALUES(computed_at)
            """)
        return outcome
    }

    /// The workspace's customer ids cut into half-open ranges of `rangeSize` ids.
    static func idRanges(_ db: Connection, _ tenant: Tenant) throws -> [(Int, Int)] {
        guard let row = try db.queryOne("SELECT MIN(id) AS low, MAX(id) AS high FROM customers WHERE tenant_id = \(tenant)"),
              let low = row.optionalInt("low"), let high = row.optionalInt("high") else { return [] }
        return stride(from: low, through: high, by: rangeSize).map { ($0, min($0 + rangeSize, high + 1)) }
    }

    /// Purchases at or before `before`, grouped by customer (ascending
    /// ids, each customer's purchases in time order). Read along the (tenant, name, time) index
    /// one window of `purchaseWindow` at a time, so each statement stays short and only purchase
    /// rows are visited (reading by customer visited every event of every customer).
    /// This is the analytics' one rule of who is a purchaser: a purchase that counts towards
    /// lifetime value (`events.amount` set, as `clv_order_count` counts them), 0 included.
    static func purchases(_ db: Connection, _ tenant: Tenant, before: Date) throws -> [(id: Int, purchases: [CustomerValue.Purchase])] {
        // The windows span the purchases there are, not up to `before`: a holdout that ends
        // in a far year (a caller's date) must not cost a read per empty fortnight.
        guard let row = try db.queryOne("""
                SELECT MIN(occurred_at) AS first, MAX(occurred_at) AS last FROM events
                WHERE tenant_id = \(tenant) AND name = 'purchase' AND occurred_at <= \(before)
                """), let first = row.optionalDate("first"), let last = row.optionalDate("last") else { return [] }
        var byCustomer: [Int: [CustomerValue.Purchase]] = [:]
        var from = first
        while from <= last {
            let to = from.addingTimeInterval(purchaseWindow)
            let rows = try db.query("""
                SELECT customer_id, occurred_at, amount FROM events
                WHERE tenant_id = \(tenant) AND name = 'purchase' AND occurred_at >= \(from) AND occurred_at < \(to)
                  AND occurred_at <= \(before) AND type = 'event' AND amount IS NOT NULL AND customer_id IS NOT NULL
                """)
            for row in rows {
                let p = CustomerValue.Purchase(time: try row.date("occurred_at").timeIntervalSince1970, amount: try row.double("amount"))
                byCustomer[try row.int("customer_id"), default: []].append(p)
            }
            from = to
        }
        return byCustomer.keys.sorted().map { id in (id, byCustomer[id]!.sorted { $0.time < $1.time }) }
    }

    /// The span of one read of purchases: two weeks.
    static let purchaseWindow: TimeInterval = 14 * 86400

    static func money(_ v: Double) -> DBValue { .decimal(String(format: "%.2f", v)) }

    /// Per repeat-purchase bucket (0, 1, …, 7+): customers, mean P(alive), mean expected purchases.
    static func calibrationSummary(_ o: CustomerValue.Outcome) -> JSON {
        var count = [Int](repeating: 0, count: 8), alive = [Double](repeating: 0, count: 8), expected = [Double](repeating: 0, count: 8)
        for r in o.results {
            let k = min(7, Int(r.rft.x))
            count[k] += 1
            alive[k] += r.pAlive ?? 0
            expected[k] += r.expectedPurchases ?? 0
        }
        return .array((0..<8).map { k in
            let n = Double(max(count[k], 1))
            return .object(JSONObject([
                ("frequency", .string(k == 7 ? "7+" : String(k))), ("customers", .int(Int64(count[k]))),
                ("mean_p_alive", o.bgnbd == nil || count[k] == 0 ? .null : .double(round6(alive[k] / n))),
                ("mean_expected_purchases", count[k] == 0 ? .null : .double(round6(expected[k] / n))),
            ]))
        })
    }

    static func round6(_ v: Double) -> Double { (v * 1e6).rounded() / 1e6 }
}
