import Foundation
import MariaDB
import Web
import Core
import Jobs

/// The segment job kinds and loops: whole-segment rebuilds, the time-boundary sweep, and
/// the evaluator of dirty customers that keeps memberships current within seconds.
package enum SegmentJobs {
    static let rebuild = "segments.rebuild"
    static let boundaries = "segments.boundaries"

    package static func register(_ registry: inout JobRegistry) {
        registry.register(rebuild, maxAttempts: 5, leaseSeconds: 600) { context in
            guard let tenantID = context.job.tenantID, let id = context.job.payload["segment_id"]?.intValue else { return }
            try SegmentStore.rebuild(context.db, Tenant(id: tenantID), segment: id) { try context.heartbeat(seconds: 600) }
        }
        registry.register(boundaries, maxAttempts: 3) { context in
            try SegmentStore.markBoundaryCrossings(context.db)
        }
        registry.every(30, name: "segment-boundaries", kind: boundaries)
        // Dirty customers are re-evaluated as soon as they appear: polled every 200 ms, and
        // at once again while there is more.
        registry.loop("segment-evaluator", interval: 0.2) { db in
            try SegmentStore.processDirty(db) > 0
        }
    }
}
