import Foundation
import MariaDB
import Web
import Core
import Jobs

/// The analytics job kinds: one workspace's recompute, and the nightly fan-out.
package enum AnalyticsJobs {
    static let recompute = "analytics.recompute"
    static let recomputeAll = "analytics.recompute_all"

    package static func register(_ registry: inout JobRegistry) {
        registry.register(recompute, maxAttempts: 3, leaseSeconds: 1800) { context in
            guard let tenantID = context.job.tenantID else { return }
            let asOf = context.job.payload["as_of"]?.stringValue.flatMap(RFC3339.parse) ?? Date()
            try AnalyticsStore.recompute(context.db, Tenant(id: tenantID), asOf: asOf)
            try SegmentStore.syncAfterRecompute(context.db, Tenant(id: tenantID))
        }
        registry.register(recomputeAll, maxAttempts: 3) { context in
            // One job per workspace with customers, at most one per workspace and day.
            let day = String(RFC3339.format(Date()).prefix(10))
            for row in try context.db.query("SELECT id FROM tenants WHERE EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = tenants.id)") {
                let id = try row.int("id")
                try JobQueue.enqueue(context.db, kind: recompute, payload: [:], tenantID: id, maxAttempts: 3,
                                     uniqueKey: "analytics.nightly:\(id):\(day)")
            }
        }
        registry.every(86400, name: "analytics-nightly", kind: recomputeAll)
    }
}
