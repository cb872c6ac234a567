#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Special functions the models need, in double precision.
public enum Special {
    /// ln Γ(x) for x > 0.
    public static func lnGamma(_ x: Double) -> Double { lgamma(x) }

    /// ln(eᵃ + eᵇ) without overflow.
    public static func logAddExp(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let m = max(a, b)
        return m + log(exp(a - m) + exp(b - m))
    }

    /// The Gaussian hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1 and c > 0, by its
    /// power series Σ (a)ₖ(b)ₖ/((c)ₖ k!) zᵏ. Terms are summed until one changes the sum by
    /// less than 1e-15 relatively twice in a row, after the terms have started to shrink.
    /// Returns nil when the series has not converged within `maxTerms`.
    public static func hyp2f1(_ a: Double, _ b: Double, _ c: Double, _ z: Double, maxTerms: Int = 2_000_000) -> Double? {
        guard z >= 0, z < 1, c > 0, a.isFinite, b.isFinite, c.isFinite else { return nil }
        var term = 1.0
        var sum = 1.0
        var small = 0
        for k in 0..<maxTerms {
            let kd = Double(k)
            term *= (a + kd) * (b + kd) / ((c + kd) * (kd + 1)) * z
            sum += term
            if !sum.isFinite { return nil }
            if term == 0 { return sum }
            // The ratio of successive terms tends to z < 1: once it is below 1, a small term
            // means the rest (a geometric tail at most term·ratio/(1−ratio)) is small too.
            let ratio = abs((a + kd + 1) * (b + kd + 1) / ((c + kd + 1) * (kd + 2)) * z)
            if ratio < 1, abs(term) * (1 + ratio / (1 - ratio)) <= 1e-16 * abs(sum) {
                small += 1
                if small >= 2 { return sum }
            } else {
                small = 0
            }
        }
        return nil
    }
}
