import Analytics
import Foundation
import MariaDB
import Web
import Core
import Jobs

/// `/v1/analytics`: the RFM grid, the CLV model, and recomputing them.
package enum AnalyticsRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/analytics/rfm", .server, rfm)
        routes.get("/v1/analytics/clv", .server, clv)
        routes.get("/v1/analytics/clv/calibration", .server, calibration)
        routes.post("/v1/analytics/recompute", .server, recompute)
    }

    /// The 5×5 R×F grid (R from 5 down to 1, F from 1 up to 5) with customers and revenue per
    /// cell, and the customers and revenue of each segment. Revenue is the spend RFM scored.
    @Sendable static func rfm(_ c: Context) throws -> Response {
        var cells: [String: (n: Int, revenue: JSON)] = [:]
        for row in try c.db.query("""
            SELECT rfm_recency AS r, rfm_frequency AS f, COUNT(*) AS n, SUM(rfm_revenue) AS revenue FROM customers
            WHERE tenant_id = \(c.tenant) AND rfm_score IS NOT NULL GROUP BY rfm_recency, rfm_frequency
            """) {
            cells["\(try row.int("r")),\(try row.int("f"))"] = (try row.int("n"), row.json("revenue"))
        }
        var bySegment: [String: (n: Int, revenue: JSON)] = [:]
        for row in try c.db.query("""
            SELECT rfm_segment AS segment, COUNT(*) AS n, SUM(rfm_revenue) AS revenue FROM customers
            WHERE tenant_id = \(c.tenant) AND rfm_score IS NOT NULL GROUP BY rfm_segment
            """) {
            bySegment[try row.string("segment")] = (try row.int("n"), row.json("revenue"))
        }
        var grid: [JSON] = []
        for r in stride(from: 5, through: 1, by: -1) {
            for f in 1...5 {
                let cell = cells["\(r),\(f)"]
                grid.append(.object(JSONObject([("r", .int(Int64(r))), ("f", .int(Int64(f))),
                                                ("segment", .string(RFM.Segment.of(r: r, f: f).rawValue)),
                                                ("customers", .int(Int64(cell?.n ?? 0))), ("revenue", cell?.revenue ?? .number("0.00"))])))
            }
        }
        let model = try c.db.queryOne("SELECT as_of FROM analytics_models WHERE tenant_id = \(c.tenant)")
        return .json(.object(JSONObject([
            ("as_of", model?.json("as_of") ?? .null),
            ("customers", .int(Int64(cells.values.reduce(0) { $0 + $1.n }))),
            ("grid", .array(grid)),
            ("segments", .array(RFM.Segment.allCases.map { s in
                let v = bySegment[s.rawValue]
                return .object(JSONObject([("segment", .string(s.rawValue)), ("customers", .int(Int64(v?.n ?? 0))),
                                           ("revenue", v?.revenue ?? .number("0.00"))]))
            })),
        ])))
    }

    /// The fitted model of the last recompute.
    @Sendable static func clv(_ c: Context) throws -> Response {
        guard let m = try c.db.queryOne("SELECT * FROM analytics_models WHERE tenant_id = \(c.tenant)") else {
            return .json(.object(JSONObject([
                ("as_of", .null), ("model", .null), ("horizon_months", 12), ("customers", 0), ("repeat_customers", 0),
                ("bgnbd", .null), ("gamma_gamma", .null), ("calibration", .array([])),
            ])))
        }
        let bgnbd: JSON = m["bgnbd_r"].isNull ? .null : .object(JSONObject([
            ("r", m.json("bgnbd_r")), ("alpha", m.json("bgnbd_alpha")), ("a", m.json("bgnbd_a")), ("b", m.json("bgnbd_b")),
            ("time_unit", "week"), ("log_likelihood", m.json("bgnbd_log_likelihood")),
        ]))
        let gammaGamma: JSON = m["gg_p"].isNull ? .null : .object(JSONObject([
            ("p", m.json("gg_p")), ("q", m.json("gg_q")), ("v", m.json("gg_v")), ("log_likelihood", m.json("gg_log_likelihood")),
        ]))
        // The distribution of predicted CLV, in fixed bins of the workspace's currency.
        let d = try c.db.queryOne("""
            SELECT SUM(clv_predicted < 10) AS b0, SUM(clv_predicted >= 10 AND clv_predicted < 50) AS b1,
                SUM(clv_predicted >= 50 AND clv_predicted < 100) AS b2, SUM(clv_predicted >= 100 AND clv_predicted < 250) AS b3,
                SUM(clv_predicted >= 250 AND clv_predicted < 500) AS b4, SUM(clv_predicted >= 500 AND clv_predicted < 1000) AS b5,
                SUM(clv_predicted >= 1000 AND clv_predicted < 2500) AS b6, SUM(clv_predicted >= 2500 AND clv_predicted < 5000) AS b7,
                SUM(clv_predicted >= 5000) AS b8
            FROM customers WHERE tenant_id = \(c.tenant) AND clv_predicted IS NOT NULL
            """)
        let edges = [0, 10, 50, 100, 250, 500, 1000, 2500, 5000]
        let distribution: [JSON] = edges.indices.map { i in
            .object(JSONObject([("from", .int(Int64(edges[i]))), ("to", i + 1 < edges.count ? .int(Int64(edges[i + 1])) : .null),
                                ("customers", .int(Int64(d?.optionalInt("b\(i)") ?? 0)))]))
        }
        return .json(.object(JSONObject([
            ("as_of", m.json("as_of")), ("model", m.json("model")), ("horizon_months", m.json("horizon_months")),
            ("monthly_discount_rate", m.json("monthly_discount")),
            ("customers", m.json("customers")), ("repeat_customers", m.json("repeat_customers")),
            ("bgnbd", bgnbd), ("gamma_gamma", gammaGamma),
            ("calibration", (try? JSONParser.parse(m.optionalString("calibration") ?? "[]")) ?? .array([])),
            ("distribution", .array(distribution)),
            ("computed_at", m.json("computed_at")), ("duration_ms", m.json("duration_ms")),
        ])))
    }

    /// Fits BG/NBD on the purchases up to `calibration_end` and compares, per calibration
    /// frequency bucket (0…6, 7+), the mean predicted and actual repeat purchases in the holdout
    /// from `calibration_end` to `holdout_end` (default now). Computed on request.
    @Sendable static func calibration(_ c: Context) throws -> Response {
        let q = c.request.query
        var errors = ValidationErrors()
        let now = Date()
        var calibrationEnd: Date?, holdoutEnd = now
        if let raw = q["calibration_end"], !raw.isEmpty {
            if let d = RFC3339.parse(raw) { calibrationEnd = d } else { errors.add("calibration_end", "The calibration end must be an RFC 3339 date-time (2026-03-01T00:00:00Z).") }
        } else {
            errors.add("calibration_end", "The calibration end is required.")
        }
        if let raw = q["holdout_end"], !raw.isEmpty {
            if let d = RFC3339.parse(raw) { holdoutEnd = d } else { errors.add("holdout_end", "The holdout end must be an RFC 3339 date-time (2026-03-01T00:00:00Z).") }
        }
        if let end = calibrationEnd, end.addingTimeInterval(7 * 86400) > holdoutEnd {
            errors.add("calibration_end", "The calibration end must be at least a week before the holdout end.")
        }
        try errors.check()
        let histories = try AnalyticsStore.purchases(c.db, c.tenant, before: holdoutEnd)
        let out = Calibration.compute(histories, calibrationEnd: calibrationEnd!.timeIntervalSince1970, holdoutEnd: holdoutEnd.timeIntervalSince1970)
        let fitted = out.model
        return .json(.object(JSONObject([
            ("calibration_end", .string(RFC3339.format(calibrationEnd!))), ("holdout_end", .string(RFC3339.format(holdoutEnd))),
            ("holdout_weeks", .double(AnalyticsStore.round6(out.holdoutWeeks))),
            ("model", fitted == nil ? .null : "bgnbd"), ("customers", .int(Int64(out.customers))),
            ("bgnbd", fitted.map { f in .object(JSONObject([
                ("r", .double(f.model.r)), ("alpha", .double(f.model.alpha)), ("a", .double(f.model.a)), ("b", .double(f.model.b)),
                ("time_unit", "week"), ("log_likelihood", .double(f.logLikelihood)),
            ])) } ?? .null),
            ("actual_purchases", .double(out.totalActual)),
            ("predicted_purchases", out.totalPredicted.map { .double(AnalyticsStore.round6($0)) } ?? .null),
            ("buckets", .array(out.buckets.map { b in .object(JSONObject([
                ("frequency", .string(b.frequency == 7 ? "7+" : String(b.frequency))), ("customers", .int(Int64(b.customers))),
                ("actual", .double(AnalyticsStore.round6(b.actual))),
                ("predicted", fitted == nil ? .null : .double(AnalyticsStore.round6(b.predicted))),
            ])) })),
        ])))
    }

    /// Queues a recompute, optionally as of a past time (later events are ignored): 202.
    @Sendable static func recompute(_ c: Context) throws -> Response {
        var asOf: Date?
        if !c.request.body.isEmpty {
            let body = try c.request.jsonObject()
            var errors = ValidationErrors()
            if let value = body["as_of"], value != .null {
                if let text = value.stringValue, let date = RFC3339.parse(text) {
                    if date > Date().addingTimeInterval(86400) { errors.add("as_of", "The as of may not be in the future.") }
                    asOf = date
                } else {
                    errors.add("as_of", "The as of must be an RFC 3339 date-time (2026-03-01T00:00:00Z).")
                }
            }
            try errors.check()
        }
        let asOfText = asOf.map { RFC3339.format($0, fractionDigits: 6) }
        let id = try JobQueue.enqueue(c.db, kind: AnalyticsJobs.recompute, payload: .object(JSONObject([("as_of", asOfText.map(JSON.string) ?? .null)])),
                                      tenantID: c.tenant.id, maxAttempts: 3)
        return .json(.object(JSONObject([
            ("job_id", .int(Int64(id))), ("status", "queued"), ("as_of", asOf.map { JSON.string(RFC3339.format($0)) } ?? .null),
        ])), status: 202)
    }
}
