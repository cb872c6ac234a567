import Analytics
import Testing

@Suite struct CustomerValueTests {
    let day = 86400.0

    @Test func sameDayPurchasesAreOneAndAgesAreInWeeks() throws {
        let asOf = 100 * day + 3600
        let s = try #require(CustomerValue.summarize([
            .init(time: 10 * day + 60, amount: 20), .init(time: 10 * day + 7200, amount: 5), // one day: 25
            .init(time: 24 * day, amount: 0),        // a purchase of 0 is a purchase day
            .init(time: 38 * day, amount: 40),
            .init(time: 120 * day, amount: 99),      // after as-of: ignored
        ], asOf: asOf))
        #expect(s.rft == RFT(x: 2, tx: 4, T: 90.0 / 7))
        #expect(s.dayValues == [25, 0, 40])
        let zero = try #require(CustomerValue.summarize([.init(time: 5 * day, amount: 0)], asOf: asOf))
        #expect(zero.rft == RFT(x: 0, tx: 0, T: 95.0 / 7) && zero.dayValues == [0])
        #expect(CustomerValue.summarize([.init(time: 120 * day, amount: 5)], asOf: asOf) == nil)
    }

    /// A simulated workspace (BG/NBD r=0.75 α=8 a=0.8 b=2.5, Gamma-Gamma p=6 q=4 v=15) where one
    /// customer in five only ever buys for 0: every purchaser is in BG/NBD (its n, its fit, a
    /// P(alive) each); Gamma-Gamma is fitted on the positive spenders only, and the zero buyers
    /// get its population mean spend, as customers with no repeat purchase do.
    @Test func zeroAmountBuyersAreInBGNBDButNotInGammaGamma() throws {
        var g = SplitMix64(seed: 2207)
        let truth = BGNBD(r: 0.75, alpha: 8, a: 0.8, b: 2.5), spendTruth = GammaGamma(p: 6, q: 4, v: 15)
        let asOf = 800 * day
        var histories: [(id: Int, purchases: [CustomerValue.Purchase])] = []
        var rfts: [RFT] = [], spends: [Spend] = [], zeroBuyers = Set<Int>()
        for i in 0..<3000 {
            let start = Double(i % 365) * day + day / 2
            var days = Set<Int>()
            for t in Simulation.bgnbdPurchases(truth, T: (asOf - start) / day / 7, &g) { days.insert(Int((t * 7).rounded(.down))) }
            let sorted = days.sorted()
            let free = i % 5 == 0
            let amounts = free ? [Double](repeating: 0, count: sorted.count) : Simulation.gammaGammaAmounts(spendTruth, count: sorted.count, &g)
            if free { zeroBuyers.insert(i) }
            histories.append((i, zip(sorted, amounts).map { .init(time: start + Double($0) * day, amount: $1) }))
            let x = Double(sorted.count - 1)
            rfts.append(RFT(x: x, tx: Double(sorted.last! - sorted.first!) / 7, T: ((asOf / day).rounded(.down) - (start / day).rounded(.down)) / 7))
            if !free && x > 0 { spends.append(Spend(x: x, mean: amounts.dropFirst().reduce(0, +) / x)) }
        }
        let out = CustomerValue.compute(histories, asOf: asOf)
        #expect(out.model == .bgnbdGammaGamma)
        #expect(out.customers == 3000 && out.results.count == 3000)
        #expect(out.repeatCustomers == rfts.filter { $0.x > 0 }.count)
        #expect(out.monetaryCustomers == spends.count && out.monetaryCustomers < out.repeatCustomers)
        // BG/NBD is the fit of every purchaser's (x, tₓ, T), and recovers the truth.
        let bg = try #require(out.bgnbd), all = try #require(CustomerValue.fitGrouped(rfts))
        #expect(abs(bg.logLikelihood - all.logLikelihood) < 1e-6 * abs(all.logLikelihood))
        #expect(abs(bg.model.r / truth.r - 1) < 0.2 && abs(bg.model.alpha / truth.alpha - 1) < 0.3, "\(bg.model)")
        #expect(abs(bg.model.a / truth.a - 1) < 0.5 && abs(bg.model.b / truth.b - 1) < 0.5, "\(bg.model)")
        // Gamma-Gamma is the fit of the positive spenders alone.
        let gg = try #require(out.gammaGamma), positive = try #require(GammaGamma.fit(spends))
        #expect(abs(gg.logLikelihood - positive.logLikelihood) < 1e-6 * abs(positive.logLikelihood))
        let mean = try #require(gg.model.populationMean), trueMean = try #require(spendTruth.populationMean)
        #expect(abs(mean / trueMean - 1) < 0.1, "population mean spend \(mean)")
        for r in out.results where zeroBuyers.contains(r.id) {
            let p = try #require(r.pAlive), e = try #require(r.expectedPurchases), v = try #require(r.clv)
            #expect(p > 0 && p <= 1 && e >= 0 && v >= 0)
            #expect(r.revenue == 0 && r.expectedSpend == mean, "\(r)")
        }
        #expect(out.results.filter { zeroBuyers.contains($0.id) && $0.rft.x > 0 }.count > 50)
    }

    @Test func tooFewRepeatBuyersFallsBackToTheLabelledHeuristic() {
        let histories: [(id: Int, purchases: [CustomerValue.Purchase])] = (1...10).map { i in
            (i, [.init(time: Double(i) * day, amount: 10), .init(time: Double(i + 7) * day, amount: 30)])
        } + [(99, [])]
        let out = CustomerValue.compute(histories, asOf: 70 * day)
        #expect(out.model == .heuristic)
        #expect(out.bgnbd == nil && out.gammaGamma == nil)
        #expect(out.customers == 10 && out.repeatCustomers == 10)
        #expect(out.results.allSatisfy { $0.pAlive == nil && $0.clv != nil })
        #expect(!out.results.contains { $0.id == 99 })
    }

    @Test func simulatedWorkspaceGetsTheModelAndSensibleOutputs() throws {
        var g = SplitMix64(seed: 7)
        let truth = BGNBD(r: 0.75, alpha: 8, a: 0.8, b: 2.5)
        let asOf = 800 * day
        var histories: [(id: Int, purchases: [CustomerValue.Purchase])] = []
        for i in 0..<600 {
            let start = Double(i % 365) * day
            let times = Simulation.bgnbdPurchases(truth, T: (asOf - start) / day / 7, &g)
            let amounts = Simulation.gammaGammaAmounts(GammaGamma(p: 6, q: 4, v: 15), count: times.count, &g)
            histories.append((i, zip(times, amounts).map { .init(time: start + $0 * 7 * day, amount: $1) }))
        }
        let out = CustomerValue.compute(histories, asOf: asOf)
        #expect(out.model == .bgnbdGammaGamma)
        for r in out.results {
            let p = try #require(r.pAlive), e = try #require(r.expectedPurchases), v = try #require(r.clv)
            #expect(p > 0 && p <= 1 && e >= 0 && v >= 0)
            // Discounting makes the value less than undiscounted purchases × spend.
            #expect(v <= e * r.expectedSpend! + 1e-9)
        }
    }
}

@Suite struct CalibrationTests {
    @Test func holdoutPredictionsMatchSimulatedActualsInAggregate() throws {
        var g = SplitMix64(seed: 99)
        let truth = BGNBD(r: 0.75, alpha: 8, a: 0.8, b: 2.5)
        let day = 86400.0
        let calibrationEnd = 500 * day, holdoutEnd = 760 * day
        var histories: [(id: Int, purchases: [CustomerValue.Purchase])] = []
        for i in 0..<3000 {
            let start = Double(i % 200) * day + day / 2
            let times = Simulation.bgnbdPurchases(truth, T: (holdoutEnd - start) / day / 7, &g)
            histories.append((i, times.map { .init(time: start + ($0 * 7 * day).rounded(.down), amount: 10) }))
        }
        let out = Calibration.compute(histories, calibrationEnd: calibrationEnd, holdoutEnd: holdoutEnd)
        #expect(out.model != nil && out.customers == 3000)
        #expect(abs(out.holdoutWeeks - 260.0 / 7) < 1e-9)
        let predicted = try #require(out.totalPredicted)
        // Total holdout purchases within 10% (the sampling error of ~3,000 customers is ~3–5%).
        #expect(abs(predicted / out.totalActual - 1) < 0.1, "predicted \(predicted) actual \(out.totalActual)")
        for b in out.buckets where b.customers >= 100 {
            #expect(abs(b.predicted - b.actual) < 0.35 * max(b.actual, 0.3), "bucket \(b)")
        }
    }
}
