/// Calibration and holdout: fit on the purchases up to `calibrationEnd`, then compare each
/// customer's conditional expected purchases over the holdout with what they actually bought.
public enum Calibration {
    public struct Bucket: Sendable, Equatable {
        /// Repeat purchase days in the calibration period: 0…6, and 7 for "7 or more".
        public var frequency: Int
        public var customers: Int
        public var actual: Double
        public var predicted: Double
    }

    public struct Outcome: Sendable {
        public var model: (model: BGNBD, logLikelihood: Double)?
        public var customers: Int
        public var holdoutWeeks: Double
        /// Mean actual and predicted repeat purchases per customer in the holdout, by bucket.
        public var buckets: [Bucket]
        public var totalActual: Double
        public var totalPredicted: Double?
    }

    public static func compute(_ histories: [(id: Int, purchases: [CustomerValue.Purchase])], calibrationEnd: Double,
                               holdoutEnd: Double, settings: CustomerValue.Settings = CustomerValue.Settings()) -> Outcome {
        let endDay = (calibrationEnd / 86400).rounded(.down)
        let holdoutDay = (holdoutEnd / 86400).rounded(.down)
        let t = max(0, (holdoutDay - endDay) / 7)
        var rfts: [RFT] = [], actual: [Double] = []
        var repeatBuyers = 0
        for (_, purchases) in histories {
            guard let s = CustomerValue.summarize(purchases, asOf: calibrationEnd) else { continue }
            let before = Set(purchases.filter { $0.time <= calibrationEnd }.map { Int(($0.time / 86400).rounded(.down)) })
            let after = Set(purchases.filter { $0.time > calibrationEnd && $0.time <= holdoutEnd }
                .map { Int(($0.time / 86400).rounded(.down)) }).subtracting(before)
            rfts.append(s.rft)
            actual.append(Double(after.count))
            if s.rft.x > 0 { repeatBuyers += 1 }
        }
        let fit = rfts.count >= settings.minimumCustomers && repeatBuyers >= settings.minimumRepeatBuyers ? CustomerValue.fitGrouped(rfts) : nil
        var n = [Int](repeating: 0, count: 8), a = [Double](repeating: 0, count: 8), p = [Double](repeating: 0, count: 8)
        var predictedAll = true
        for i in rfts.indices {
            let k = min(7, Int(rfts[i].x))
            n[k] += 1
            a[k] += actual[i]
            if let m = fit?.model, let e = m.conditionalExpectedPurchases(rfts[i], t: t) { p[k] += e } else { predictedAll = false }
        }
        let buckets = (0..<8).map { k in
            Bucket(frequency: k, customers: n[k], actual: n[k] > 0 ? a[k] / Double(n[k]) : 0, predicted: n[k] > 0 ? p[k] / Double(n[k]) : 0)
        }
        return Outcome(model: fit, customers: rfts.count, holdoutWeeks: t, buckets: buckets, totalActual: a.reduce(0, +),
                       totalPredicted: fit != nil && predictedAll ? p.reduce(0, +) : nil)
    }
}
