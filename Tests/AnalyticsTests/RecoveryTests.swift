import Analytics
import Foundation
import Testing

/// Parameter recovery: data drawn from the models' generative processes with known
/// parameters, fitted back.
@Suite struct RecoveryTests {
    @Test func bgnbdAndGammaGammaRecoverTheirParameters() throws {
        let truth = BGNBD(r: 0.75, alpha: 8, a: 0.8, b: 2.5)
        let spendTruth = GammaGamma(p: 6, q: 4, v: 15)
        var g = SplitMix64(seed: 20260511)
        var data: [RFT] = []
        var spends: [Spend] = []
        let n = 5000
        for i in 0..<n {
            // Cohorts that joined over a year, observed for 52 to 104 weeks.
            let T = 52 + 52 * Double(i) / Double(n)
            let times = Simulation.bgnbdPurchases(truth, T: T, &g)
            let x = Double(times.count - 1)
            data.append(RFT(x: x, tx: times.last!, T: T))
            if x > 0 {
                let amounts = Simulation.gammaGammaAmounts(spendTruth, count: Int(x), &g)
                spends.append(Spend(x: x, mean: amounts.reduce(0, +) / x))
            }
        }
        let fit = try #require(BGNBD.fit(data))
        let m = fit.model
        print("BG/NBD true r=\(truth.r) alpha=\(truth.alpha) a=\(truth.a) b=\(truth.b); fitted r=\(m.r) alpha=\(m.alpha) a=\(m.a) b=\(m.b) LL=\(fit.logLikelihood) (n=\(n))")
        // The fit is at least as likely as the truth (it is the maximum).
        #expect(fit.logLikelihood >= truth.logLikelihood(data) - 1e-6)
        // With 5,000 customers the standard errors are a few percent for r and α and
        // 10–20% for a and b (which are weakly identified); 25% holds with margin.
        #expect(abs(m.r / truth.r - 1) < 0.15, "r \(m.r)")
        #expect(abs(m.alpha / truth.alpha - 1) < 0.2, "alpha \(m.alpha)")
        #expect(abs(m.a / truth.a - 1) < 0.3, "a \(m.a)")
        #expect(abs(m.b / truth.b - 1) < 0.3, "b \(m.b)")

        let gg = try #require(GammaGamma.fit(spends))
        let s = gg.model
        print("Gamma-Gamma true p=\(spendTruth.p) q=\(spendTruth.q) v=\(spendTruth.v); fitted p=\(s.p) q=\(s.q) v=\(s.v) LL=\(gg.logLikelihood) (repeat buyers=\(spends.count))")
        #expect(gg.logLikelihood >= spendTruth.logLikelihood(spends) - 1e-6)
        // The population mean pv/(q−1) is well identified even where p, q, v trade off.
        let meanFit = try #require(s.populationMean), meanTrue = try #require(spendTruth.populationMean)
        #expect(abs(meanFit / meanTrue - 1) < 0.05, "mean \(meanFit) vs \(meanTrue)")
        #expect(abs(s.p / spendTruth.p - 1) < 0.25, "p \(s.p)")
        #expect(abs(s.q / spendTruth.q - 1) < 0.35, "q \(s.q)")
        #expect(abs(s.v / spendTruth.v - 1) < 0.5, "v \(s.v)")
    }
}

@Suite struct FitGuardTests {
    func simulate(_ truth: BGNBD, n: Int, seed: UInt64) -> [RFT] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { i in
            let T = 52 + 52 * Double(i) / Double(n)
            let times = Simulation.bgnbdPurchases(truth, T: T, &g)
            return RFT(x: Double(times.count - 1), tx: times.last!, T: T)
        }
    }

    @Test func exploringASubsampleThenPolishingOnAllFindsTheFullMaximum() throws {
        let data = simulate(BGNBD(r: 0.75, alpha: 8, a: 0.8, b: 2.5), n: 4000, seed: 3)
        let full = try #require(BGNBD.fit(weighted: data.map { ($0, 1) }, subsample: 100_000))
        let sampled = try #require(BGNBD.fit(weighted: data.map { ($0, 1) }, subsample: 500))
        #expect(abs(sampled.logLikelihood - full.logLikelihood) < 1e-3, "\(sampled.logLikelihood) vs \(full.logLikelihood)")
        #expect(abs(sampled.model.r / full.model.r - 1) < 1e-3)
    }

    @Test func gammaGammaExploredOnASubsampleFindsTheFullMaximum() throws {
        var g = SplitMix64(seed: 5)
        let truth = GammaGamma(p: 6, q: 4, v: 15)
        let spends: [Spend] = (0..<4000).map { i in
            let x = 1 + i % 6
            let amounts = Simulation.gammaGammaAmounts(truth, count: x, &g)
            return Spend(x: Double(x), mean: amounts.reduce(0, +) / Double(x))
        }
        let full = try #require(GammaGamma.fit(spends, subsample: 100_000))
        let sampled = try #require(GammaGamma.fit(spends, subsample: 400))
        // The per-x arrangement computes the same likelihood as the plain formula.
        #expect(abs(full.model.logLikelihood(spends) - full.logLikelihood) < 1e-6 * abs(full.logLikelihood))
        #expect(abs(sampled.logLikelihood - full.logLikelihood) < 1e-3, "\(sampled.logLikelihood) vs \(full.logLikelihood)")
        #expect(abs(sampled.model.p / full.model.p - 1) < 1e-3)
        #expect(abs(sampled.model.q / full.model.q - 1) < 1e-3)
    }

    @Test func aMaximumAtInfinityStopsAtTheBound() throws {
        // Everyone drops out with the same probability 0.2 and buys at the same rate: a, b → ∞
        // and r, α → ∞. The fit ends, finite, with a/(a+b) ≈ 0.2 and r/α ≈ the rate.
        var g = SplitMix64(seed: 11)
        let data: [RFT] = (0..<3000).map { _ in
            var t = 0.0, last = 0.0, x = 0.0
            while true {
                t += -log(Simulation.uniform(&g)) / 0.1
                if t > 80 { break }
                x += 1; last = t
                if Simulation.uniform(&g) < 0.2 { break }
            }
            return RFT(x: x, tx: last, T: 80)
        }
        let fit = try #require(BGNBD.fit(data))
        let m = fit.model
        #expect(m.a.isFinite && m.b.isFinite && m.r.isFinite && m.alpha.isFinite)
        #expect(abs(m.a / (m.a + m.b) - 0.2) < 0.03, "dropout \(m.a / (m.a + m.b))")
        #expect(abs(m.r / m.alpha - 0.1) < 0.01, "rate \(m.r / m.alpha)")
    }
}
