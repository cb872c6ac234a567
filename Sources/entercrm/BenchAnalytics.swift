import Analytics
import ArgumentParser
import Foundation

/// Times the model side of an analytics recompute without a database: N customers drawn from
/// known BG/NBD and Gamma-Gamma parameters (or, with --uniform, with no heterogeneity at all,
/// where every maximum lies at the parameter bounds), then each phase of CustomerValue.compute.
struct BenchAnalytics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-analytics",
        abstract: "Time fitting BG/NBD and Gamma-Gamma and predicting for N simulated customers.")

    @Option(help: "Customers.") var customers = 1_000_000
    @Option(help: "Weeks each customer has been observed, at most.") var weeks = 156.0
    @Flag(help: "Identical customers: a Poisson buyer with no dropout and one spend level.") var uniform = false

    func run() throws {
        var g = SplitMix64(seed: 42)
        let truth = BGNBD(r: 0.75, alpha: 8, a: 0.8, b: 2.5), spend = GammaGamma(p: 6, q: 4, v: 15)
        let asOf = 1_790_000_000.0
        var histories: [(id: Int, purchases: [CustomerValue.Purchase])] = []
        histories.reserveCapacity(customers)
        let clock = ContinuousClock()
        var started = clock.now
        for id in 1...customers {
            let T = 1 + Simulation.uniform(&g) * (weeks - 1)
            let times: [Double]
            let amounts: [Double]
            if uniform {
                var t = 0.0, list: [Double] = [0]
                while true { t += -log(Simulation.uniform(&g)) / 0.1; if t > T { break }; list.append(t) }
                times = list
                amounts = list.map { _ in 10 + 200 * Simulation.uniform(&g) }
            } else {
                times = Simulation.bgnbdPurchases(truth, T: T, &g)
                amounts = Simulation.gammaGammaAmounts(spend, count: times.count, &g)
            }
            let birth = asOf - T * 7 * 86400
            histories.append((id, zip(times, amounts).map { CustomerValue.Purchase(time: birth + $0 * 7 * 86400, amount: $1) }))
        }
        print("simulated \(customers) customers (\(uniform ? "uniform" : "BG/NBD + Gamma-Gamma")) in \(clock.now - started)")
        started = clock.now
        let outcome = CustomerValue.compute(histories, asOf: asOf)
        let total = clock.now - started
        print("compute: \(total) for \(outcome.customers) customers, \(outcome.repeatCustomers) repeat; model \(outcome.model.rawValue)")
        if let bg = outcome.bgnbd?.model { print(String(format: "  BG/NBD r %.4f alpha %.4f a %.4f b %.4f", bg.r, bg.alpha, bg.a, bg.b)) }
        if let gg = outcome.gammaGamma?.model { print(String(format: "  Gamma-Gamma p %.4f q %.4f v %.4f", gg.p, gg.q, gg.v)) }
        // The phases on their own.
        let rfts = outcome.results.map(\.rft)
        started = clock.now
        _ = CustomerValue.fitGrouped(rfts)
        print("  BG/NBD fit alone: \(clock.now - started)")
        let spends = outcome.results.compactMap { r -> Spend? in
            r.rft.x > 0 ? Spend(x: r.rft.x, mean: max(0.01, (r.revenue - r.revenue / Double(r.orders)) / r.rft.x)) : nil
        }
        started = clock.now
        _ = GammaGamma.fit(spends)
        print("  Gamma-Gamma fit alone (\(spends.count) repeat buyers): \(clock.now - started)")
    }
}
