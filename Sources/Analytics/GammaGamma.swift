#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A repeat buyer for the spend model: `x` repeat purchases and `mean` their mean value.
public struct Spend: Sendable, Equatable {
    public var x: Double
    public var mean: Double
    public init(x: Double, mean: Double) { self.x = x; self.mean = mean }
}

/// The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma
/// Model of Monetary Value"): each transaction ~ Gamma(p, ν), ν ~ Gamma(q, v).
public struct GammaGamma: Sendable, Equatable {
    public var p: Double, q: Double, v: Double
    public init(p: Double, q: Double, v: Double) { self.p = p; self.q = q; self.v = v }

    /// ln f(m̄ₓ | x): ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m̄ₓ + px ln x − (px+q) ln(v + x m̄ₓ).
    public func logLikelihood(_ s: Spend) -> Double {
        let px = p * s.x
        return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(v) + (px - 1) * log(s.mean) + px * log(s.x)
            - (px + q) * log(v + s.x * s.mean)
    }

    public func logLikelihood(_ data: [Spend]) -> Double { data.reduce(0) { $0 + logLikelihood($1) } }

    /// The population mean spend per transaction, pv/(q−1); nil when q ≤ 1 (no finite mean).
    public var populationMean: Double? { q > 1 ? p * v / (q - 1) : nil }

    /// E[M | x, m̄ₓ] = p(v + x m̄ₓ)/(px + q − 1); for x = 0 the population mean.
    public func conditionalExpectedSpend(_ s: Spend) -> Double? {
        guard q > 1 else { return nil }
        guard s.x > 0 else { return populationMean }
        return p * (v + s.x * s.mean) / (p * s.x + q - 1)
    }

    /// Fits by maximum likelihood, Nelder-Mead on log parameters with restarts.
    ///
    /// The terms that depend only on x are computed once per distinct x, so an evaluation
    /// costs one logarithm per buyer. On large data the starts are explored on a fixed, evenly
    /// spaced subsample of `subsample` buyers and only the best is polished on all of them.
    public static func fit(_ data: [Spend], subsample: Int = 20_000) -> (model: GammaGamma, logLikelihood: Double)? {
        let data = data.filter { $0.x > 0 && $0.mean > 0 && $0.mean.isFinite }
        guard !data.isEmpty else { return nil }
        let full = Likelihood(data)
        let explore = data.count > subsample
            ? Likelihood(stride(from: 0, to: data.count, by: max(1, data.count / subsample)).map { data[$0] })
            : full
        let mean = data.reduce(0) { $0 + $1.mean } / Double(data.count)
        let starts: [[Double]] = [
            [0, 0, log(mean)],
            [log(5), log(3), log(mean)],
            [log(0.5), log(10), log(mean * 10)],
            [log(2), log(2), 0],
        ]
        guard var best = NelderMead.minimize(explore.negativeMean, starts: starts) else { return nil }
        if explore.count != full.count {
            guard let polished = NelderMead.minimize(full.negativeMean, starts: [best.point], step: 0.05) else { return nil }
            best = polished
        }
        let m = GammaGamma(p: exp(best.point[0]), q: exp(best.point[1]), v: exp(best.point[2]))
        return (m, -best.value * Double(data.count))
    }

    /// The Gamma-Gamma log-likelihood of a data set, arranged for repeated evaluation.
    struct Likelihood {
        let xs: [Double]          // distinct x
        let xIndex: [Int]         // per buyer: its x's position in xs
        let lnMean: [Double], xMean: [Double]
        var count: Int { lnMean.count }

        init(_ data: [Spend]) {
            var positions: [Double: Int] = [:]
            var xs: [Double] = []
            xIndex = data.map { s in
                if let i = positions[s.x] { return i }
                positions[s.x] = xs.count
                xs.append(s.x)
                return xs.count - 1
            }
            self.xs = xs
            lnMean = data.map { log($0.mean) }
            xMean = data.map { $0.x * $0.mean }
        }

        /// −(ln L)/n at log-parameters (ln p, ln q, ln v); +∞ where it is not finite.
        func negativeMean(_ z: [Double]) -> Double {
            guard z.allSatisfy({ abs($0) <= BGNBD.logBound }) else { return .infinity }
            let p = exp(z[0]), q = exp(z[1]), v = exp(z[2])
            let common = -lgamma(q) + q * log(v)
            let constant = xs.map { x in common + lgamma(p * x + q) - lgamma(p * x) + p * x * log(x) }
            let px = xs.map { p * $0 }
            var ll = 0.0
            for i in 0..<lnMean.count {
                let k = xIndex[i]
                ll += constant[k] + (px[k] - 1) * lnMean[i] - (px[k] + q) * log(v + xMean[i])
            }
            return ll.isFinite ? -ll / Double(lnMean.count) : .infinity
        }
    }
}
