import Analytics
import Foundation
import Testing

/// The closed forms against values computed independently with mpmath at 50 digits
/// (scripts/analytics_reference.py → ReferenceValues.swift).
@Suite struct ClosedFormTests {
    func close(_ a: Double?, _ b: Double, _ rel: Double = 1e-9) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= rel * max(1, abs(b))
    }

    @Test func hypergeometricSeries() {
        for (a, b, c, z, want) in ReferenceValues.hyp2f1 {
            let got = Special.hyp2f1(a, b, c, z)
            #expect(close(got, want, 1e-11), "2F1(\(a), \(b); \(c); \(z)) = \(String(describing: got)), want \(want)")
        }
        #expect(Special.hyp2f1(1, 1, 2, 1.0) == nil, "z = 1 is outside the disc")
    }

    @Test func bgnbdLikelihoodPAliveAndConditionalExpectation() {
        for (r, alpha, a, b, x, tx, T, t, ll, alive, ey) in ReferenceValues.bgnbd {
            let m = BGNBD(r: r, alpha: alpha, a: a, b: b)
            let c = RFT(x: x, tx: tx, T: T)
            #expect(close(m.logLikelihood(c), ll), "LL \(m) \(c)")
            #expect(close(m.probabilityAlive(c), alive), "P(alive) \(m) \(c)")
            #expect(close(m.conditionalExpectedPurchases(c, t: t), ey), "E[Y(\(t))] \(m) \(c)")
        }
    }

    @Test func paperExample() {
        // Fader, Hardie & Lee (2005), CDNOW: x = 2, tx = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks.
        let m = BGNBD(r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)
        let e = m.conditionalExpectedPurchases(RFT(x: 2, tx: 30.43, T: 38.86), t: 39)!
        #expect(abs(e - 1.226) < 0.0005)
    }

    @Test func unconditionalExpectation() {
        for (r, alpha, a, b, t, want) in ReferenceValues.unconditional {
            #expect(close(BGNBD(r: r, alpha: alpha, a: a, b: b).expectedPurchases(t: t), want), "E[X(\(t))]")
        }
    }

    @Test func gammaGamma() {
        for (p, q, v, x, mean, ll, e) in ReferenceValues.gammaGamma {
            let m = GammaGamma(p: p, q: q, v: v)
            #expect(close(m.logLikelihood(Spend(x: x, mean: mean)), ll), "GG LL")
            #expect(close(m.conditionalExpectedSpend(Spend(x: x, mean: mean)), e), "GG E[M]")
        }
        #expect(GammaGamma(p: 2, q: 0.9, v: 10).populationMean == nil, "q ≤ 1 has no finite mean")
    }
}
