#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A small, seeded random number generator (SplitMix64), so simulations are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Draws from the generative processes of the two models, for tests and back-tests.
public enum Simulation {
    /// A uniform draw in (0, 1).
    public static func uniform<G: RandomNumberGenerator>(_ g: inout G) -> Double {
        (Double(g.next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    public static func normal<G: RandomNumberGenerator>(_ g: inout G) -> Double {
        sqrt(-2 * log(uniform(&g))) * cos(2 * Double.pi * uniform(&g))
    }

    /// Gamma(shape, rate) by Marsaglia & Tsang (2000); shapes below 1 by the boost U^{1/shape}.
    public static func gamma<G: RandomNumberGenerator>(shape: Double, rate: Double, _ g: inout G) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1, rate: rate, &g) * pow(uniform(&g), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / sqrt(9 * d)
        while true {
            let z = normal(&g)
            let v = pow(1 + c * z, 3)
            if v <= 0 { continue }
            if log(uniform(&g)) < 0.5 * z * z + d - d * v + d * log(v) { return d * v / rate }
        }
    }

    public static func beta<G: RandomNumberGenerator>(_ a: Double, _ b: Double, _ g: inout G) -> Double {
        let x = gamma(shape: a, rate: 1, &g)
        let y = gamma(shape: b, rate: 1, &g)
        return x / (x + y)
    }

    /// One customer's purchase times (weeks, the first at 0) under BG/NBD, observed for `T` weeks:
    /// λ ~ Gamma(r, α), p ~ Beta(a, b); purchases are Poisson(λ) and after each repeat
    /// purchase the customer drops out with probability p.
    public static func bgnbdPurchases<G: RandomNumberGenerator>(_ m: BGNBD, T: Double, _ g: inout G) -> [Double] {
        let lambda = gamma(shape: m.r, rate: m.alpha, &g)
        let p = beta(m.a, m.b, &g)
        var times: [Double] = [0]
        var t = 0.0
        while true {
            t += -log(uniform(&g)) / lambda
            if t > T { break }
            times.append(t)
            if uniform(&g) < p { break }
        }
        return times
    }

    /// Spend per transaction under Gamma-Gamma for one customer: ν ~ Gamma(q, v), each
    /// amount ~ Gamma(p, ν).
    public static func gammaGammaAmounts<G: RandomNumberGenerator>(_ m: GammaGamma, count: Int, _ g: inout G) -> [Double] {
        let nu = gamma(shape: m.q, rate: m.v, &g)
        return (0..<count).map { _ in gamma(shape: m.p, rate: nu, &g) }
    }
}
