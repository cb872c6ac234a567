import Foundation
import MariaDB
import Web
import Jobs

/// The automation job kinds: every second the trigger intake and the due steps; every five
/// minutes the time-based scans (inactive customers, date properties).
package enum AutomationJobs {
    static let tick = "automations.tick"
    static let scan = "automations.scan"

    package static func register(_ registry: inout JobRegistry) {
        registry.register(tick, maxAttempts: 1, leaseSeconds: 120) { context in
            try AutomationTriggers.intake(context.db)
            var engine = AutomationEngine(owner: "jobs:\(context.job.id)")
            engine.now = Date()
            try engine.runDue(context.db, budget: 20)
        }
        registry.register(scan, maxAttempts: 2, leaseSeconds: 900) { context in
            try AutomationTriggers.scan(context.db)
        }
        registry.every(1, name: "automations-tick", kind: tick)
        registry.every(300, name: "automations-scan", kind: scan)
    }
}
