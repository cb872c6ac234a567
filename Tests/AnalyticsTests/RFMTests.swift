import Analytics
import Testing

@Suite struct RFMTests {
    @Test func quintilesOfTenDistinctValues() {
        #expect(RFM.quintiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], higherIsBetter: true) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        #expect(RFM.quintiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], higherIsBetter: false) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1])
    }

    @Test func tiesShareAScoreWhateverTheOrder() {
        // Six of ten bought once: all six get the score of the first of them, 1.
        let values: [Double] = [1, 1, 1, 1, 1, 1, 2, 3, 3, 9]
        #expect(RFM.quintiles(values, higherIsBetter: true) == [1, 1, 1, 1, 1, 1, 4, 4, 4, 5])
        #expect(RFM.quintiles(values.reversed(), higherIsBetter: true) == [5, 4, 4, 4, 1, 1, 1, 1, 1, 1])
        #expect(RFM.quintiles([7, 7, 7], higherIsBetter: true) == [1, 1, 1])
        #expect(RFM.quintiles([7, 7, 7], higherIsBetter: false) == [1, 1, 1])
        #expect(RFM.quintiles([], higherIsBetter: true) == [])
    }

    @Test func scoresAndSegmentsOfAFixedSet() {
        let inputs: [RFM.Input] = [
            .init(recencyDays: 2, frequency: 12, monetary: 900),   // best everywhere
            .init(recencyDays: 400, frequency: 1, monetary: 10),   // worst everywhere
            .init(recencyDays: 3, frequency: 1, monetary: 50),     // recent, once
            .init(recencyDays: 350, frequency: 9, monetary: 700),  // long gone, was frequent
            .init(recencyDays: 90, frequency: 3, monetary: 200),
        ]
        let s = RFM.score(inputs)
        #expect(s.map(\.r) == [5, 1, 4, 2, 3])
        #expect(s.map(\.f) == [5, 1, 1, 4, 3])
        #expect(s.map(\.m) == [5, 1, 2, 4, 3])
        #expect(s.map(\.total) == [15, 3, 7, 10, 9])
        #expect(s.map(\.segment) == [.champions, .lost, .promising, .atRisk, .needAttention])
    }

    @Test func segmentMapCoversEveryCell() {
        let grid = (1...5).map { r in (1...5).map { f in RFM.Segment.of(r: r, f: f).rawValue } }
        #expect(grid[4] == ["New Customers", "Potential Loyalists", "Potential Loyalists", "Champions", "Champions"])
        #expect(grid[3] == ["Promising", "Potential Loyalists", "Potential Loyalists", "Loyal Customers", "Loyal Customers"])
        #expect(grid[2] == ["About to Sleep", "About to Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"])
        #expect(grid[1] == ["Hibernating", "Hibernating", "At Risk", "At Risk", "Cannot Lose Them"])
        #expect(grid[0] == ["Lost", "Lost", "At Risk", "At Risk", "Cannot Lose Them"])
        #expect(Set(grid.joined()).count == 11)
    }
}
