import Foundation
import MariaDB
import Web
import Core

/// What `entercrm bench-segments` measures for `make bench`: re-evaluating one customer
/// against every segment of the workspace, as the evaluator does after an event.
public enum SegmentBench {
    /// Milliseconds per customer for `samples` customers drawn evenly over the workspace,
    /// each evaluated and committed in its own transaction; and the number of segments.
    /// `afterEvent`: what the evaluator does after tracking (the segments tracking can change).
    public static func evaluationTimes(_ db: Connection, tenantID: Int, samples: Int, afterEvent: Bool = false) throws -> (times: [Double], segments: Int) {
        let tenant = Tenant(id: tenantID)
        let segments = try db.queryOne("SELECT COUNT(*) AS n FROM segments WHERE tenant_id = \(tenant)")?.int("n") ?? 0
        guard let bounds = try db.queryOne("SELECT MIN(id) AS low, MAX(id) AS high FROM customers WHERE tenant_id = \(tenant)"),
              let low = bounds.optionalInt("low"), let high = bounds.optionalInt("high") else { return ([], segments) }
        var generator = SystemRandomNumberGenerator()
        var times: [Double] = []
        for _ in 0..<samples {
            let id = Int.random(in: low...high, using: &generator)
            let started = DispatchTime.now().uptimeNanoseconds
            try db.transaction { try SegmentStore.evaluate(db, tenant, customers: [id], activityOnly: afterEvent) }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
        }
        return (times, segments)
    }
}
