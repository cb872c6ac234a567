/// RFM scoring: recency, frequency and monetary scores from 1 to 5 by quintiles of a
/// workspace's purchasers, and the R×F segment map.
public enum RFM {
    /// One purchaser's raw values.
    public struct Input: Sendable, Equatable {
        /// Days since the last purchase (smaller is better).
        public var recencyDays: Double
        /// The number of purchases.
        public var frequency: Int
        /// The total spend.
        public var monetary: Double
        public init(recencyDays: Double, frequency: Int, monetary: Double) {
            self.recencyDays = recencyDays; self.frequency = frequency; self.monetary = monetary
        }
    }

    public struct Score: Sendable, Equatable {
        public var r: Int, f: Int, m: Int
        public var total: Int { r + f + m }
        public var segment: Segment { Segment.of(r: r, f: f) }
        public init(r: Int, f: Int, m: Int) { self.r = r; self.f = f; self.m = m }
    }

    /// The quintile score of each value: 1 + ⌊5 · (number of values strictly worse) / n⌋.
    /// Ties always share a score (the one their first position in the sorted order gets),
    /// so the result does not depend on the input order.
    public static func quintiles(_ values: [Double], higherIsBetter: Bool) -> [Int] {
        let n = values.count
        guard n > 0 else { return [] }
        let sorted = values.sorted()
        return values.map { v in
            // Count of values strictly worse than v, by binary search in the sorted list.
            let below = lowerBound(sorted, v)
            let worse = higherIsBetter ? below : n - upperBound(sorted, v)
            return 1 + min(4, (5 * worse) / n)
        }
    }

    public static func score(_ inputs: [Input]) -> [Score] {
        let r = quintiles(inputs.map(\.recencyDays), higherIsBetter: false)
        let f = quintiles(inputs.map { Double($0.frequency) }, higherIsBetter: true)
        let m = quintiles(inputs.map(\.monetary), higherIsBetter: true)
        return inputs.indices.map { Score(r: r[$0], f: f[$0], m: m[$0]) }
    }

    static func lowerBound(_ a: [Double], _ v: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let mid = (lo + hi) / 2; if a[mid] < v { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    static func upperBound(_ a: [Double], _ v: Double) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let mid = (lo + hi) / 2; if a[mid] <= v { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// The 11 segments of the widely used R×F map.
    ///
    /// The cells (R is the row, F the column):
    ///
    /// ```
    ///        F=1              F=2                  F=3                  F=4               F=5
    /// R=5    New Customers    Potential Loyalists  Potential Loyalists  Champions         Champions
    /// R=4    Promising        Potential Loyalists  Potential Loyalists  Loyal Customers   Loyal Customers
    /// R=3    About to Sleep   About to Sleep       Need Attention       Loyal Customers   Loyal Customers
    /// R=2    Hibernating      Hibernating          At Risk              At Risk           Cannot Lose Them
    /// R=1    Lost             Lost                 At Risk              At Risk           Cannot Lose Them
    /// ```
    ///
    /// This is the common ten-segment map (`[1-2][1-2]` Hibernating, `[1-2][3-4]` At Risk,
    /// `[1-2]5` Cannot Lose Them, `3[1-2]` About to Sleep, `33` Need Attention, `[3-4][4-5]`
    /// Loyal Customers, `41` Promising, `51` New Customers, `[4-5][2-3]` Potential Loyalists,
    /// `5[4-5]` Champions) with its lowest-recency corner (`1[1-2]`) split off as Lost.
    public enum Segment: String, Sendable, CaseIterable {
        case champions = "Champions"
        case loyal = "Loyal Customers"
        case potentialLoyalists = "Potential Loyalists"
        case newCustomers = "New Customers"
        case promising = "Promising"
        case needAttention = "Need Attention"
        case aboutToSleep = "About to Sleep"
        case atRisk = "At Risk"
        case cannotLoseThem = "Cannot Lose Them"
        case hibernating = "Hibernating"
        case lost = "Lost"

        public static func of(r: Int, f: Int) -> Segment {
            precondition((1...5).contains(r) && (1...5).contains(f), "RFM scores are 1...5")
            switch (r, f) {
            case (1, 1...2): return .lost
            case (2, 1...2): return .hibernating
            case (1...2, 3...4): return .atRisk
            case (1...2, 5): return .cannotLoseThem
            case (3, 1...2): return .aboutToSleep
            case (3, 3): return .needAttention
            case (3...4, 4...5): return .loyal
            case (4, 1): return .promising
            case (5, 1): return .newCustomers
            case (4...5, 2...3): return .potentialLoyalists
            default: return .champions // (5, 4...5)
            }
        }
    }
}
