import Analytics
import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
import Jobs

@Suite struct AnalyticsTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    func key(_ owner: String) -> String {
        client.send("POST", "/v1/api-keys", ["name": "k", "type": "secret"], token: owner)["key"]!.stringValue!
    }

    /// Sends purchases through the tracking API, 500 a batch.
    func track(_ key: String, _ purchases: [(email: String, time: Date, amount: Double)]) {
        var start = 0
        while start < purchases.count {
            let events: [JSON] = purchases[start..<min(start + 500, purchases.count)].map { p in
                .object(JSONObject([("customer_email", .string(p.email)), ("event", "purchase"),
                                    ("occurred_at", .string(RFC3339.format(p.time, fractionDigits: 3))),
                                    ("properties", .object(JSONObject([("amount", .string(String(format: "%.2f", p.amount)))])))]))
            }
            let r = client.send("POST", "/v1/track/batch", ["events": .array(events)], key: key)
            #expect(r.status == 200 && r["errors"] == [], "batch: \(r.body.prefix(300))")
            start += 500
        }
    }

    /// Asks for a recompute and runs the queued job here; returns the 202's body.
    @discardableResult
    func recompute(_ token: String, asOf: Date? = nil) throws -> JSON {
        let body: JSON? = asOf.map { .object(JSONObject([("as_of", .string(RFC3339.format($0)))])) }
        let r = client.send("POST", "/v1/analytics/recompute", body, token: token)
        #expect(r.status == 202, "\(r.body)")
        let job = try #require(r["job_id"]?.intValue)
        let runner = JobRunner(registry: JobKinds.registry(), database: try TestDatabase.configuration(), kinds: ["analytics.recompute"])
        for _ in 0..<200 {
            let row = try #require(try client.db.queryOne("SELECT status, last_error FROM jobs WHERE id = \(job)"))
            let status = try row.string("status")
            if status == "succeeded" { return r.json }
            if status == "failed" { Issue.record("job failed: \(row.optionalString("last_error") ?? "")"); return r.json }
            if try !runner.runNext(client.db) { Thread.sleep(forTimeInterval: 0.05) }
        }
        Issue.record("the recompute job did not finish")
        return r.json
    }

    func profile(_ token: String, _ email: String) throws -> JSON {
        let list = client.send("GET", "/v1/customers", token: token, query: "email=\(email)")
        let id = try #require(list["data"]?.arrayValue?.first?["id"]?.intValue)
        return client.send("GET", "/v1/customers/\(id)", token: token).json
    }

    /// Purchases of `n` customers "sim0@example.com"… drawn from BG/NBD (r=0.75 α=8 a=0.8 b=2.5)
    /// and Gamma-Gamma (p=6 q=4 v=15), joined over the year before `asOf`; the first `free`
    /// customers buy for 0.
    func simulatedPurchases(_ n: Int, seed: UInt64, asOf: Date, free: Int = 0) -> [(email: String, time: Date, amount: Double)] {
        let truth = BGNBD(r: 0.75, alpha: 8, a: 0.8, b: 2.5)
        let spendTruth = GammaGamma(p: 6, q: 4, v: 15)
        var g = SplitMix64(seed: seed)
        var purchases: [(email: String, time: Date, amount: Double)] = []
        for i in 0..<n {
            // Joined over a year (at midday, so a purchase's day is its week offset's day).
            let joined = asOf.addingTimeInterval(-Double(365 + i % 365) * 86400 + 43200)
            let T = asOf.timeIntervalSince(joined) / 86400 / 7
            // Times are rounded to whole days, as the model sees them; two on one day are one.
            var days = Set<Int>()
            for t in Simulation.bgnbdPurchases(truth, T: T, &g) { days.insert(Int((t * 7).rounded(.down))) }
            let amounts = i < free ? [Double](repeating: 0, count: days.count) : Simulation.gammaGammaAmounts(spendTruth, count: days.count, &g)
            for (d, amount) in zip(days.sorted(), amounts) {
                purchases.append(("sim\(i)@example.com", joined.addingTimeInterval(Double(d) * 86400), amount))
            }
        }
        return purchases
    }

    @Test func rfmScoresSegmentsAndGridOnAFixedSet() throws {
        let owner = client.register()
        let k = key(owner.token)
        let asOf = RFC3339.parse("2026-06-01T00:00:00Z")!
        func daysAgo(_ d: Double) -> Date { asOf.addingTimeInterval(-d * 86400) }
        var purchases: [(email: String, time: Date, amount: Double)] = []
        // best: 12 purchases up to 2 days ago, 900 in all.
        for i in 0..<12 { purchases.append(("best@example.com", daysAgo(2 + Double(i) * 20), 75)) }
        purchases.append(("worst@example.com", daysAgo(400), 10))
        purchases.append(("new@example.com", daysAgo(3), 50))
        for i in 0..<9 { purchases.append(("gone@example.com", daysAgo(350 + Double(i) * 10), 700.0 / 9)) }
        for i in 0..<3 { purchases.append(("mid@example.com", daysAgo(90 + Double(i) * 30), 200.0 / 3)) }
        // After the as-of time: ignored by this recompute.
        purchases.append(("worst@example.com", asOf.addingTimeInterval(86400), 5000))
        track(k, purchases)
        client.send("POST", "/v1/customers", ["email": "never@example.com"], token: owner.token)

        let accepted = try recompute(owner.token, asOf: asOf)
        #expect(accepted["as_of"] == "2026-06-01T00:00:00Z")
        let expected: [(String, Int, Int, Int, String)] = [
            ("best@example.com", 5, 5, 5, "Champions"), ("worst@example.com", 1, 1, 1, "Lost"),
            ("new@example.com", 4, 1, 2, "Promising"), ("gone@example.com", 2, 4, 4, "At Risk"),
            ("mid@example.com", 3, 3, 3, "Need Attention"),
        ]
        for (email, r, f, m, segment) in expected {
            let p = try profile(owner.token, email)
            #expect(p["rfm_r"] == .int(Int64(r)) && p["rfm_f"] == .int(Int64(f)) && p["rfm_m"] == .int(Int64(m)), "\(email): \(p)")
            #expect(p["rfm_score"] == .int(Int64(r + f + m)) && p["rfm_segment"] == .string(segment), "\(email)")
            #expect(p["clv_predicted"]?.doubleValue != nil, "\(email) has a prediction")
        }
        let never = try profile(owner.token, "never@example.com")
        #expect(never["rfm_score"] == .null && never["rfm_r"] == .null && never["rfm_segment"] == .null && never["p_alive"] == .null)

        let rfm = client.send("GET", "/v1/analytics/rfm", token: owner.token)
        #expect(rfm.status == 200 && rfm["customers"] == 5 && rfm["as_of"] == "2026-06-01T00:00:00Z")
        let grid = try #require(rfm["grid"]?.arrayValue)
        #expect(grid.count == 25)
        let best = try #require(grid.first { $0["r"] == 5 && $0["f"] == 5 })
        #expect(best["customers"] == 1 && best["revenue"] == .double(900) && best["segment"] == "Champions")
        let segments = try #require(rfm["segments"]?.arrayValue)
        #expect(segments.count == 11)
        #expect(segments.first { $0["segment"] == "Lost" }?["revenue"] == .double(10), "the later purchase is not counted")

        // Sorting and filtering by the new fields.
        let bySegment = client.send("GET", "/v1/customers", token: owner.token, query: "rfm_score_min=9&sort=rfm_score&order=desc")
        #expect(bySegment["data"]?.arrayValue?.compactMap { $0["email"]?.stringValue } == ["best@example.com", "gone@example.com", "mid@example.com"])
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "sort=p_alive").status == 200)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "sort=expected_purchases&p_alive_min=0").status == 200)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "p_alive_max=high")["errors"]?["p_alive_max"] != nil)

        // Five customers are too few for a model: the heuristic is labelled as such.
        let clv = client.send("GET", "/v1/analytics/clv", token: owner.token)
        #expect(clv["model"] == "heuristic_historical_rate" && clv["bgnbd"] == .null && clv["customers"] == 5)
        #expect(client.send("POST", "/v1/analytics/recompute", ["as_of": "yesterday"], token: owner.token).status == 422)
    }

    @Test func simulatedHistoriesImportedThroughTrackingRecoverTheParameters() throws {
        let owner = client.register()
        let k = key(owner.token)
        let asOf = RFC3339.parse("2026-01-01T00:00:00Z")!
        let n = 1500
        var purchases = simulatedPurchases(n, seed: 42, asOf: asOf)
        // Events after the as-of time must not change the fit.
        for i in 0..<200 { purchases.append(("sim\(i)@example.com", asOf.addingTimeInterval(Double(1 + i % 30) * 86400), 999)) }
        track(k, purchases)
        try recompute(owner.token, asOf: asOf)

        let clv = client.send("GET", "/v1/analytics/clv", token: owner.token)
        #expect(clv["as_of"] == "2026-01-01T00:00:00Z" && clv["model"] == "bgnbd_gamma_gamma" && clv["customers"] == .int(Int64(n)))
        let bg = try #require(clv["bgnbd"]), gg = try #require(clv["gamma_gamma"])
        let r = bg["r"]!.doubleValue!, alpha = bg["alpha"]!.doubleValue!, a = bg["a"]!.doubleValue!, b = bg["b"]!.doubleValue!
        let p = gg["p"]!.doubleValue!, q = gg["q"]!.doubleValue!, v = gg["v"]!.doubleValue!
        print("API recovery (n=\(n)): BG/NBD r=\(r) alpha=\(alpha) a=\(a) b=\(b) (true 0.75, 8, 0.8, 2.5); Gamma-Gamma p=\(p) q=\(q) v=\(v) (true 6, 4, 15); repeat=\(clv["repeat_customers"]!)")
        #expect(bg["time_unit"] == "week")
        let bins = try #require(clv["distribution"]?.arrayValue)
        #expect(bins.count == 9 && bins.reduce(0) { $0 + ($1["customers"]?.intValue ?? 0) } == n)
        // n = 1,500: standard errors of roughly 6% (r), 10% (α), 20–25% (a, b); tolerances are about 2 SE.
        #expect(abs(r / 0.75 - 1) < 0.2 && abs(alpha / 8 - 1) < 0.3, "r \(r) alpha \(alpha)")
        #expect(abs(a / 0.8 - 1) < 0.5 && abs(b / 2.5 - 1) < 0.5, "a \(a) b \(b)")
        let mean = p * v / (q - 1)
        #expect(abs(mean / (6.0 * 15 / 3) - 1) < 0.1, "population mean spend \(mean)")

        // Calibration: fit on all but the last half year before as_of, predict that half year.
        let cal = client.send("GET", "/v1/analytics/clv/calibration", token: owner.token,
                              query: "calibration_end=2025-07-01T00:00:00Z&holdout_end=2026-01-01T00:00:00Z")
        #expect(cal.status == 200 && cal["model"] == "bgnbd", "\(cal.body.prefix(300))")
        #expect(cal["buckets"]?.arrayValue?.count == 8)
        let actual = try #require(cal["actual_purchases"]?.doubleValue), predicted = try #require(cal["predicted_purchases"]?.doubleValue)
        print("API calibration: holdout actual \(actual), predicted \(predicted)")
        #expect(abs(predicted / actual - 1) < 0.2)
        #expect(client.send("GET", "/v1/analytics/clv/calibration", token: owner.token, query: "calibration_end=soon").status == 422)
        #expect(client.send("GET", "/v1/analytics/clv/calibration", token: owner.token).status == 422)

        let alive = client.send("GET", "/v1/customers", token: owner.token, query: "sort=p_alive&order=desc&per_page=5")
        for c in alive["data"]?.arrayValue ?? [] {
            #expect((c["p_alive"]?.doubleValue ?? -1) >= 0 && (c["p_alive"]?.doubleValue ?? 2) <= 1)
            #expect(c["expected_purchases"]?.doubleValue != nil)
        }
    }

    /// Customers whose purchases are all 0, tracked through the API beside simulated spenders
    /// (BG/NBD r=0.75 α=8 a=0.8 b=2.5, Gamma-Gamma p=6 q=4 v=15): they are BG/NBD customers
    /// with a P(alive) and expected purchases, and get Gamma-Gamma's population mean spend.
    @Test func zeroAmountBuyersGetBGNBDOutputsThroughTheAPI() throws {
        let owner = client.register()
        let k = key(owner.token)
        let asOf = RFC3339.parse("2026-01-01T00:00:00Z")!
        let n = 600, free = 120
        let purchases = simulatedPurchases(n, seed: 2212, asOf: asOf, free: free)
        // Those of the 0 buyers who bought on two days or more: repeat buyers for BG/NBD only.
        let freeRepeat = Dictionary(grouping: purchases.filter { $0.amount == 0 }, by: \.email).values
            .filter { Set($0.map { Int($0.time.timeIntervalSince1970 / 86400) }).count > 1 }.count
        track(k, purchases)
        try recompute(owner.token, asOf: asOf)

        let clv = client.send("GET", "/v1/analytics/clv", token: owner.token)
        #expect(clv["model"] == "bgnbd_gamma_gamma" && clv["customers"] == .int(Int64(n)), "\(clv.body.prefix(300))")
        let gg = try #require(clv["gamma_gamma"])
        let mean = gg["p"]!.doubleValue! * gg["v"]!.doubleValue! / (gg["q"]!.doubleValue! - 1)
        #expect(freeRepeat > 10)
        for i in [0, 1, 2, 3, free - 1] {
            let p = try profile(owner.token, "sim\(i)@example.com")
            #expect(p["clv_total"]?.doubleValue == 0 && p["rfm_score"]?.intValue != nil, "sim\(i): \(p)")
            let alive = try #require(p["p_alive"]?.doubleValue, "sim\(i) has a P(alive)")
            let expected = try #require(p["expected_purchases"]?.doubleValue), value = try #require(p["clv_predicted"]?.doubleValue)
            #expect(alive > 0 && alive <= 1 && expected >= 0)
            // Spend is the population mean: the discounted value is at most purchases × mean.
            #expect(value <= expected * mean + 0.01 && (expected < 0.01 || value > 0), "sim\(i): \(p)")
        }
        // Every purchaser, the 120 who bought for 0 included, has the BG/NBD outputs.
        let row = try #require(try client.db.queryOne("""
            SELECT COUNT(*) AS n, SUM(p_alive IS NULL OR expected_purchases IS NULL OR clv_predicted IS NULL) AS missing,
                SUM(clv_total = 0) AS zero FROM customers WHERE tenant_id = \(owner.tenantID)
            """))
        #expect(try row.int("n") == n && row.optionalInt("missing") == 0 && row.optionalInt("zero") == free)
    }
}
