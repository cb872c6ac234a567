#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// One customer's purchase summary in the conventions of the literature: `x` repeat purchases
/// (purchase days after the first), `tx` the age at the last purchase and `T` the age at the
/// as-of time, both in weeks since the first purchase.
public struct RFT: Sendable, Equatable {
    public var x: Double
    public var tx: Double
    public var T: Double
    public init(x: Double, tx: Double, T: Double) { self.x = x; self.tx = tx; self.T = T }
}

/// The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").
public struct BGNBD: Sendable, Equatable {
    public var r: Double, alpha: Double, a: Double, b: Double
    public init(r: Double, alpha: Double, a: Double, b: Double) { self.r = r; self.alpha = alpha; self.a = a; self.b = b }

    /// The log-likelihood of one customer, eq. (6) of the paper in log-sum-exp form:
    /// ln L = ln A₁ + ln A₂ + ln(e^{ln A₃} + δ(x>0) e^{ln A₄}), with
    /// A₁ = Γ(r+x)αʳ/Γ(r), A₂ = Γ(a+b)Γ(b+x)/(Γ(b)Γ(a+b+x)), A₃ = (α+T)^{−(r+x)},
    /// A₄ = a/(b+x−1) · (α+tₓ)^{−(r+x)}.
    public func logLikelihood(_ c: RFT) -> Double {
        let x = c.x
        let lnA1 = lgamma(r + x) - lgamma(r) + r * log(alpha)
        let lnA2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
        let lnA3 = -(r + x) * log(alpha + c.T)
        let lnA4 = x > 0 ? log(a) - log(b + x - 1) - (r + x) * log(alpha + c.tx) : -Double.infinity
        return lnA1 + lnA2 + Special.logAddExp(lnA3, lnA4)
    }

    public func logLikelihood(_ data: [RFT]) -> Double {
        data.reduce(0) { $0 + logLikelihood($1) }
    }

    /// P(alive | x, tₓ, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+tₓ))^{r+x}), eq. (12).
    public func probabilityAlive(_ c: RFT) -> Double {
        guard c.x > 0 else { return 1 }
        let lnRatio = log(a) - log(b + c.x - 1) + (r + c.x) * (log(alpha + c.T) - log(alpha + c.tx))
        return 1 / (1 + exp(lnRatio))
    }

    /// E[Y(t) | x, tₓ, T], the expected number of purchases in the next `t` weeks, eq. (10):
    /// ((a+b+x−1)/(a−1)) · [1 − ((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
    /// divided by 1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+tₓ))^{r+x}. Nil if ₂F₁ does not converge.
    public func conditionalExpectedPurchases(_ c: RFT, t: Double) -> Double? {
        guard t > 0 else { return 0 }
        let x = c.x
        let z = t / (alpha + c.T + t)
        guard let f = Special.hyp2f1(r + x, b + x, a + b + x - 1, z) else { return nil }
        let head = (a + b + x - 1) / (a - 1)
        let bracket = 1 - exp((r + x) * (log(alpha + c.T) - log(alpha + c.T + t))) * f
        let odds = x > 0 ? exp(log(a) - log(b + x - 1) + (r + x) * (log(alpha + c.T) - log(alpha + c.tx))) : 0
        return head * bracket / (1 + odds)
    }

    /// E[X(t)], the expected number of repeat purchases of a new customer in `t` weeks, eq. (9):
    /// ((a+b−1)/(a−1)) · [1 − (α/(α+t))ʳ ₂F₁(r, b; a+b−1; t/(α+t))].
    public func expectedPurchases(t: Double) -> Double? {
        guard t > 0 else { return 0 }
        guard let f = Special.hyp2f1(r, b, a + b - 1, t / (alpha + t)) else { return nil }
        return (a + b - 1) / (a - 1) * (1 - exp(r * (log(alpha) - log(alpha + t))) * f)
    }

    /// Fits by maximum likelihood: Nelder-Mead on the logs of the four parameters, from
    /// several starting points, each best point restarted until it stops improving.
    public static func fit(_ data: [RFT]) -> (model: BGNBD, logLikelihood: Double)? {
        fit(weighted: data.map { ($0, 1) })
    }

    /// Fits on customers given with weights (the number of customers with that summary).
    ///
    /// The terms that depend only on x (four ln Γ) are computed once per distinct x, so an
    /// evaluation costs three logarithms and an exponential per customer. On large data the
    /// starts are explored on a fixed, evenly spaced subsample of `subsample` summaries and
    /// only the best is then polished on all of them.
    public static func fit(weighted data: [(RFT, Double)], subsample: Int = 20_000) -> (model: BGNBD, logLikelihood: Double)? {
        let full = Likelihood(data)
        guard full.n > 0 else { return nil }
        let explore = data.count > subsample
            ? Likelihood(stride(from: 0, to: data.count, by: max(1, data.count / subsample)).map { data[$0] })
            : full
        let meanT = data.reduce(0) { $0 + $1.0.T * $1.1 } / full.n
        let starts: [[Double]] = [
            [0, log(max(meanT, 1)), 0, 0],
            [log(0.5), log(max(meanT / 4, 0.5)), log(0.5), log(2)],
            [log(2), log(max(meanT, 1) * 2), log(2), log(5)],
            [log(0.2), 0, log(0.1), log(0.5)],
        ]
        guard var best = NelderMead.minimize(explore.negativeMean, starts: starts) else { return nil }
        if explore.count != full.count {
            guard let polished = NelderMead.minimize(full.negativeMean, starts: [best.point], step: 0.05) else { return nil }
            best = polished
        }
        let m = BGNBD(r: exp(best.point[0]), alpha: exp(best.point[1]), a: exp(best.point[2]), b: exp(best.point[3]))
        return (m, -best.value * full.n)
    }

    /// The bound of the log-parameters in fits: e^14 ≈ 1.2 million.
    public static let logBound = 14.0

    /// The BG/NBD log-likelihood of a data set, arranged for repeated evaluation.
    struct Likelihood {
        let xs: [Double]          // distinct x
        let xIndex: [Int]         // per summary: its x's position in xs
        let tx: [Double], T: [Double], w: [Double]
        let n: Double
        var count: Int { tx.count }

        init(_ data: [(RFT, Double)]) {
            var positions: [Double: Int] = [:]
            var xs: [Double] = []
            xIndex = data.map { item in
                if let i = positions[item.0.x] { return i }
                positions[item.0.x] = xs.count
                xs.append(item.0.x)
                return xs.count - 1
            }
            self.xs = xs
            tx = data.map(\.0.tx)
            T = data.map(\.0.T)
            w = data.map(\.1)
            n = w.reduce(0, +)
        }

        /// −(ln L)/n at log-parameters (ln r, ln α, ln a, ln b); +∞ where it is not finite.
        func negativeMean(_ p: [Double]) -> Double {
            // Parameters stay within e^±14: where the maximum lies at infinity (a and
            // b grow without bound when everyone has the same dropout), the fit stops at the wall.
            guard p.allSatisfy({ abs($0) <= BGNBD.logBound }) else { return .infinity }
            let r = exp(p[0]), alpha = exp(p[1]), a = exp(p[2]), b = exp(p[3])
            let common = lgamma(a + b) - lgamma(b) - lgamma(r) + r * log(alpha)
            let constant = xs.map { x in common + lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x) }
            let dropout = xs.map { x in x > 0 ? log(a) - log(b + x - 1) : -Double.infinity }
            var ll = 0.0
            for i in 0..<tx.count {
                let k = xIndex[i], x = xs[k]
                let lnA3 = -(r + x) * log(alpha + T[i])
                let value: Double
                if x > 0 {
                    let lnA4 = dropout[k] - (r + x) * log(alpha + tx[i])
                    let m = max(lnA3, lnA4)
                    value = m + log(exp(lnA3 - m) + exp(lnA4 - m))
                } else {
                    value = lnA3
                }
                ll += w[i] * (constant[k] + value)
            }
            return ll.isFinite ? -ll / n : .infinity
        }
    }
}
