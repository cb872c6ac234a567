/// The Nelder-Mead simplex method (standard coefficients 1, 2, ½, ½), with restarts.
public enum NelderMead {
    public struct Result: Sendable { public var point: [Double]; public var value: Double }

    /// Minimises `f` from each start, restarting each run from its best point (a fresh simplex)
    /// until a restart no longer improves by more than 1e-10; returns the best over all starts,
    /// or nil if no finite value was found.
    public static func minimize(_ f: ([Double]) -> Double, starts: [[Double]], step: Double = 0.5,
                                tolerance: Double = 1e-10, maxIterations: Int = 5000, maxRestarts: Int = 4) -> Result? {
        var best: Result?
        for start in starts {
            var current = run(f, start: start, step: step, tolerance: tolerance, maxIterations: maxIterations)
            for _ in 0..<maxRestarts {
                let again = run(f, start: current.point, step: step / 4, tolerance: tolerance, maxIterations: maxIterations)
                let improved = again.value < current.value - 1e-10
                if again.value < current.value { current = again }
                if !improved { break }
            }
            if current.value.isFinite, current.value < (best?.value ?? .infinity) { best = current }
        }
        return best
    }

    static func run(_ f: ([Double]) -> Double, start: [Double], step: Double, tolerance: Double, maxIterations: Int) -> Result {
        let n = start.count
        var simplex: [[Double]] = [start]
        for i in 0..<n {
            var p = start
            p[i] += step
            simplex.append(p)
        }
        var values = simplex.map(f)
        // A run also ends when its best value has not improved by more than `tolerance`
        // (relatively) in 20·n iterations: along a flat ridge towards a parameter bound the
        // simplex keeps moving while the likelihood no longer changes.
        var stallBest = values.min() ?? .infinity, stalled = 0
        for _ in 0..<maxIterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if values[n].isFinite, abs(values[n] - values[0]) <= tolerance * (abs(values[0]) + 1e-12) {
                let spread = (1...n).map { i in zip(simplex[i], simplex[0]).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
                if spread < 1e-6 { break }
            }
            if values[0] < stallBest - tolerance * (abs(stallBest) + 1e-12) || !stallBest.isFinite {
                stallBest = values[0]; stalled = 0
            } else {
                stalled += 1
                if stalled >= 20 * n { break }
            }
            var centroid = [Double](repeating: 0, count: n)
            for i in 0..<n { for j in 0..<n { centroid[j] += simplex[i][j] / Double(n) } }
            let worst = simplex[n]
            func along(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (worst[$0] - centroid[$0]) } }
            let reflected = along(-1)
            let fr = f(reflected)
            if fr < values[0] {
                let expanded = along(-2)
                let fe = f(expanded)
                if fe < fr { simplex[n] = expanded; values[n] = fe } else { simplex[n] = reflected; values[n] = fr }
            } else if fr < values[n - 1] {
                simplex[n] = reflected; values[n] = fr
            } else {
                let contracted = fr < values[n] ? along(-0.5) : along(0.5)
                let fc = f(contracted)
                if fc < min(fr, values[n]) {
                    simplex[n] = contracted; values[n] = fc
                } else {
                    for i in 1...n {
                        simplex[i] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[i][$0] - simplex[0][$0]) }
                        values[i] = f(simplex[i])
                    }
                }
            }
        }
        let i = values.indices.min { values[$0] < values[$1] }!
        return Result(point: simplex[i], value: values[i])
    }
}
