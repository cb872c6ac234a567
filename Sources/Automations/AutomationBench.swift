import Cryptography
import FastCGI
import Foundation
import MariaDB
import Web
import Platform
import Core

/// `entercrm bench-automations`: enrols `enrolments` customers of a scratch workspace in a
/// three-step flow (add a tag, set a property, exit) and lets `threads` engine threads
/// advance them all, as the job runner does; prints enrolments and steps a second. The
/// workspace is removed afterwards.
public enum AutomationBench {
    public struct Figures: Sendable {
        /// Enrolled at the start.
        public let enrolled: Int
        /// Advanced to the end of the flow (state `exited`).
        public let enrolments: Int
        public let steps: Int
        public let seconds: Double
        /// Checked afterwards: step log lines (one per node, trigger included: four per
        /// enrolment), customers with the tag and the property, enrolments with a step twice.
        public let stepLines: Int
        public let customersChanged: Int
        public let duplicateSteps: Int
        /// Every enrolment advanced, each step recorded once, every customer changed.
        public var complete: Bool {
            enrolments == enrolled && stepLines == 4 * enrolled && customersChanged == enrolled && duplicateSteps == 0
        }
        public var enrolmentsPerSecond: Double { Double(enrolments) / seconds }
        public var stepsPerSecond: Double { Double(steps) / seconds }
    }

    /// Long (about 90 lines): a bench's setup, timed run and check read best as one script.
    public static func run(_ configuration: DatabaseConfiguration, enrolments: Int, threads: Int, batch: Int = 200,
                           log: (String) -> Void) throws -> Figures {
        let db = Connection(configuration: configuration)
        let slug = "bench-automations-" + Random.hex(bytes: 4)
        let tenantID = try db.execute("""
            INSERT INTO tenants (name, slug, created_at, updated_at) VALUES (\(slug), \(slug), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        let tenant = Tenant(id: tenantID)
        defer {
            log("bench: removing the scratch workspace")
            _ = try? db.execute("DELETE FROM automations WHERE tenant_id = \(tenant)")
            _ = try? db.execute("DELETE FROM tenants WHERE id = \(tenant)")
        }
        log("bench: \(enrolments) customers")
        var made = 0
        while made < enrolments {
            let n = min(50_000, enrolments - made)
            try db.execute("""
                INSERT INTO customers (tenant_id, email, name, properties, created_at, updated_at)
                SELECT \(tenant), CONCAT('c', seq + \(made), '@bench.local'), CONCAT('Customer ', seq + \(made)), '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
                FROM seq_1_to_50000 WHERE seq <= \(n)
                """)
            made += n
        }
        let design: JSON = [
            "nodes": [
                ["id": "1", "type": "trigger", "data": [:], "position": ["x": 0, "y": 0]],
                ["id": "2", "type": "action", "data": ["action": "add_tag", "tag": "bench"], "position": ["x": 0, "y": 100]],
                ["id": "3", "type": "action", "data": ["action": "update_customer", "property": "benched", "value": "yes"], "position": ["x": 0, "y": 200]],
                ["id": "4", "type": "exit", "data": [:], "position": ["x": 0, "y": 300]],
            ],
            "edges": [["id": "a", "source": "1", "target": "2"], ["id": "b", "source": "2", "target": "3"], ["id": "c", "source": "3", "target": "4"]],
        ]
        let automation = try db.execute("""
            INSERT INTO automations (tenant_id, name, trigger_type, trigger_config, is_active, design, steps_count, webhook_secret, created_at, updated_at)
            VALUES (\(tenant), 'Bench', 'customer_created', '{}', 1, \(JSONWriter.string(design)), 3, 'bench', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        let now = Date()
        try db.execute("""
            INSERT INTO automation_enrolments (tenant_id, automation_id, customer_id, cycle, current_node, state, next_run_at, context, entered_at, updated_at)
            SELECT \(tenant), \(automation), id, 0, '1', 'active', \(now), '{}', \(now), UTC_TIMESTAMP(6) FROM customers WHERE tenant_id = \(tenant)
            """)
        log("bench: \(enrolments) enrolled; advancing with \(threads) threads")
        let counter = StepCounter()
        let started = Date()
        var workers: [JoinableThread] = []
        for i in 0..<threads {
            workers.append(try JoinableThread {
                Connection.initializeThread()
                let own = Connection(configuration: configuration)
                var engine = AutomationEngine(now: now, owner: "bench-\(i)")
                engine.batchSize = batch
                while true {
                    var steps = 0
                    do { steps = try engine.runDue(own, tenant: tenant, budget: 3600) } catch { print("bench: \(error)") }
                    counter.add(steps)
                    if steps == 0 {
                        let left = (try? own.queryOne("""
                            SELECT COUNT(*) AS n FROM automation_enrolments WHERE automation_id = \(automation) AND state IN ('active', 'waiting')
                            """)?.int("n")) ?? 0
                        if left == 0 { break }
                        usleep(20_000)
                    }
                }
                own.disconnect()
                Connection.finishThread()
            })
        }
        for w in workers { w.join() }
        let seconds = Date().timeIntervalSince(started)
        let done = try db.queryOne("""
            SELECT COUNT(*) AS n FROM automation_enrolments WHERE automation_id = \(automation) AND state = 'exited' AND step_seq = 4
            """)?.int("n") ?? 0
        let lines = try db.queryOne("""
            SELECT COUNT(*) AS n FROM automation_steps WHERE automation_id = \(automation) AND outcome = 'completed'
            """)?.int("n") ?? 0
        let twice = try db.queryOne("""
            SELECT COUNT(*) AS n FROM (SELECT enrolment_id FROM automation_steps WHERE automation_id = \(automation)
            GROUP BY enrolment_id, node_id HAVING COUNT(*) > 1) t
            """)?.int("n") ?? 0
        let changed = try db.queryOne("""
            SELECT COUNT(*) AS n FROM customers WHERE tenant_id = \(tenant)
            AND JSON_CONTAINS(properties, '"bench"', '$.tags') AND JSON_VALUE(properties, '$.benched') = 'yes'
            """)?.int("n") ?? 0
        return Figures(enrolled: enrolments, enrolments: done, steps: counter.value, seconds: seconds,
                       stepLines: lines, customersChanged: changed, duplicateSteps: twice)
    }
}

/// Steps counted across the bench threads.
final class StepCounter: Sendable {
    private let total = Lock(0)
    func add(_ n: Int) { total.withLock { $0 += n } }
    var value: Int { total.withLock { $0 } }
}
