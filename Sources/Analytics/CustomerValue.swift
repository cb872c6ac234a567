#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// RFM and predicted lifetime value for a whole workspace, from its purchases.
public enum CustomerValue {
    /// One purchase: when (seconds since 1970, UTC) and its amount.
    public struct Purchase: Sendable, Equatable {
        public var time: Double
        public var amount: Double
        public init(time: Double, amount: Double) { self.time = time; self.amount = amount }
    }

    public struct Settings: Sendable, Equatable {
        /// The horizon of `expected_purchases` and `clv_predicted`, in months.
        public var horizonMonths: Int = 12
        /// The monthly discount rate of `clv_predicted`.
        public var monthlyDiscount: Double = 0.01
        /// Fewer customers than this, or fewer repeat buyers than `minimumRepeatBuyers`,
        /// and BG/NBD is not fitted.
        public var minimumCustomers: Int = 30
        /// Fewer repeat buyers than this and neither model is fitted; fewer repeat buyers
        /// with a positive mean repeat spend (Gamma-Gamma's customers) and Gamma-Gamma is not.
        public var minimumRepeatBuyers: Int = 20
        public init() {}
    }

    /// Weeks in a month: 52.1775 / 12.
    public static let weeksPerMonth = 365.2425 / 7 / 12

    /// Which model produced the predictions.
    public enum Model: String, Sendable {
        /// BG/NBD for purchases, Gamma-Gamma for spend.
        case bgnbdGammaGamma = "bgnbd_gamma_gamma"
        /// BG/NBD for purchases; Gamma-Gamma could not be fitted (too few repeat buyers with
        /// a positive mean repeat spend, or q ≤ 1), so spend is the customer's own mean order
        /// value (heuristic; 0 for a customer whose purchases were all 0).
        case bgnbdMeanSpend = "bgnbd_mean_spend"
        /// No model could be fitted: a heuristic. Each customer's historical repeat rate
        /// (repeat purchase days per week of age) times the horizon, times their mean order
        /// value; no P(alive).
        case heuristic = "heuristic_historical_rate"
    }

    /// One customer's results.
    public struct Result: Sendable, Equatable {
        public var id: Int
        public var rfm: RFM.Score
        /// RFM's raw values.
        public var recencyDays: Double, orders: Int, revenue: Double
        /// The model's summary: repeat purchase days, ages in weeks.
        public var rft: RFT
        public var pAlive: Double?
        public var expectedPurchases: Double?
        public var expectedSpend: Double?
        public var clv: Double?
    }

    public struct Outcome: Sendable {
        public var model: Model
        public var bgnbd: (model: BGNBD, logLikelihood: Double)?
        public var gammaGamma: (model: GammaGamma, logLikelihood: Double)?
        /// BG/NBD's customers: every purchaser, those whose purchases were all 0 included.
        public var customers: Int
        /// Customers with a repeat purchase day (x > 0), whatever its amount.
        public var repeatCustomers: Int
        /// Gamma-Gamma's customers: repeat buyers whose repeat purchase days have a positive
        /// mean value. The others (no repeat purchase, or repeat purchases all 0) get the
        /// population mean spend when Gamma-Gamma is fitted, else their own mean order value.
        public var monetaryCustomers: Int
        public var results: [Result]
    }

    /// The model's summary of one history: purchase days (UTC), x = days − 1, tₓ and T in weeks
    /// from the first purchase day; the day values (sums of that day's amounts, 0 for a day
    /// whose purchases were all 0). Every purchase given counts: which events are purchases
    /// is the caller's rule (`AnalyticsStore.purchases`), not this one's.
    public static func summarize(_ purchases: [Purchase], asOf: Double) -> (rft: RFT, dayValues: [Double])? {
        var days: [Int: Double] = [:]
        for p in purchases where p.time <= asOf {
            days[Int((p.time / 86400).rounded(.down)), default: 0] += p.amount
        }
        guard let first = days.keys.min(), let last = days.keys.max() else { return nil }
        let asOfDay = Double(asOf / 86400).rounded(.down)
        let values = days.keys.sorted().map { days[$0]! }
        let rft = RFT(x: Double(days.count - 1), tx: Double(last - first) / 7, T: (asOfDay - Double(first)) / 7)
        return (rft, values)
    }

    /// Scores and predicts every customer given (each with at least one purchase before `asOf`;
    /// others are left out and get nulls).
    public static func compute(_ histories: [(id: Int, purchases: [Purchase])], asOf: Double, settings: Settings = Settings()) -> Outcome {
        var ids: [Int] = [], rfts: [RFT] = [], dayValues: [[Double]] = [], rfmInputs: [RFM.Input] = []
        for (id, purchases) in histories {
            let valid = purchases.filter { $0.time <= asOf }
            guard let s = summarize(valid, asOf: asOf), let lastTime = valid.map(\.time).max() else { continue }
            ids.append(id)
            rfts.append(s.rft)
            dayValues.append(s.dayValues)
            rfmInputs.append(RFM.Input(recencyDays: (asOf - lastTime) / 86400, frequency: valid.count,
                                       monetary: valid.reduce(0) { $0 + $1.amount }))
        }
        let scores = RFM.score(rfmInputs)
        // Gamma-Gamma models positive spend: a repeat buyer whose repeat purchases were all 0
        // is left out of it, like a customer with no repeat purchase (BG/NBD keeps both).
        let spends: [Spend?] = dayValues.map { v in
            guard v.count > 1 else { return nil }
            let mean = v.dropFirst().reduce(0, +) / Double(v.count - 1)
            return mean > 0 ? Spend(x: Double(v.count - 1), mean: mean) : nil
        }
        let monetary = spends.compactMap { $0 }
        let repeatBuyers = rfts.reduce(0) { $0 + ($1.x > 0 ? 1 : 0) }
        let bg: (model: BGNBD, logLikelihood: Double)? =
            ids.count >= settings.minimumCustomers && repeatBuyers >= settings.minimumRepeatBuyers ? fitGrouped(rfts) : nil
        var gg: (model: GammaGamma, logLikelihood: Double)? =
            bg != nil && monetary.count >= settings.minimumRepeatBuyers ? GammaGamma.fit(monetary) : nil
        if let g = gg, g.model.q <= 1 { gg = nil }
        let model: Model = bg == nil ? .heuristic : (gg == nil ? .bgnbdMeanSpend : .bgnbdGammaGamma)

        let horizon = settings.horizonMonths
        let discounts = (1...max(1, horizon)).map { 1 / pow(1 + settings.monthlyDiscount, Double($0)) }
        var results: [Result] = []
        results.reserveCapacity(ids.count)
        for i in ids.indices {
            let c = rfts[i]
            let ownMean = dayValues[i].reduce(0, +) / Double(dayValues[i].count)
            var r = Result(id: ids[i], rfm: scores[i], recencyDays: rfmInputs[i].recencyDays, orders: rfmInputs[i].frequency,
                           revenue: rfmInputs[i].monetary, rft: c)
            if let m = bg?.model {
                r.pAlive = m.probabilityAlive(c)
                r.expectedSpend = gg.flatMap { g in spends[i].flatMap { g.model.conditionalExpectedSpend($0) } ?? g.model.populationMean } ?? ownMean
                // Monthly increments of E[Y(t)], each discounted to the as-of time.
                var previous = 0.0, value = 0.0, ok = true
                for month in 1...max(1, horizon) {
                    guard let e = m.conditionalExpectedPurchases(c, t: Double(month) * weeksPerMonth) else { ok = false; break }
                    value += (e - previous) * discounts[month - 1]
                    previous = e
                }
                if ok {
                    r.expectedPurchases = previous
                    r.clv = value * r.expectedSpend!
                }
            } else {
                let rate = c.T > 0 ? c.x / c.T : 0
                r.expectedSpend = ownMean
                r.expectedPurchases = rate * Double(horizon) * weeksPerMonth
                r.clv = (1...max(1, horizon)).reduce(0) { $0 + rate * weeksPerMonth * discounts[$1 - 1] } * ownMean
            }
            results.append(r)
        }
        return Outcome(model: model, bgnbd: bg, gammaGamma: gg, customers: ids.count, repeatCustomers: repeatBuyers,
                       monetaryCustomers: monetary.count, results: results)
    }

    /// BG/NBD fitted on the distinct (x, tₓ, T) triples weighted by their counts: at day
    /// resolution a large workspace has far fewer distinct triples than customers.
    public static func fitGrouped(_ data: [RFT]) -> (model: BGNBD, logLikelihood: Double)? {
        var counts: [RFTKey: Double] = [:]
        for c in data { counts[RFTKey(c), default: 0] += 1 }
        let groups = counts.map { ($0.key.rft, $0.value) }
        return BGNBD.fit(weighted: groups)
    }

    struct RFTKey: Hashable {
        let x: Double, tx: Double, T: Double
        init(_ c: RFT) { x = c.x; tx = c.tx; T = c.T }
        var rft: RFT { RFT(x: x, tx: tx, T: T) }
    }
}
