import Foundation
import MariaDB
import Web
import Core
import Customers
import Segments

/// Advancing a claimed batch set by set: a few statements for the whole batch instead of a
/// dozen round trips for each enrolment.
///
/// Inside one transaction: the batch's enrolments are read and locked (`FOR UPDATE`) and
/// checked against the lease; then, round after round, every enrolment still moving takes
/// one step, in memory where it can (trigger, delay, split, exit), and a node kind at a
/// time where it cannot: the conditions of a node are one query for all the customers at
/// it, the customer actions (tags, properties, fields) work on the batch's customers read
/// and locked once, the CRM actions run one at a time behind a savepoint. At the end the
/// customers are written with one statement, the enrolments with one statement per
/// outcome (node, state, times), and the step log with multi-row INSERTs. Steps that send
/// something stop the enrolment before them; the caller takes those one by one, with
/// commits of their own (at most once).
///
/// Each step is still recorded exactly once: the rows are locked from the read to the
/// commit, the steps and the moves commit together, and a transaction rolled back (a crash,
/// a deadlock, a Galera certification conflict) leaves the enrolments where they were.
extension AutomationEngine {
    /// An enrolment of the batch, on its way through the flow.
    struct Flight {
        let id: Int
        let automation: Loaded
        let customerID: Int
        /// The node it is at.
        var node: String
        var state: String
        var seq: Int
        var context: JSON
        var contextChanged = false
        /// Steps taken in this batch.
        var steps = 0
        /// The columns its steps set, the last step's value winning.
        var outcome = Outcome()
        var done = false
        /// A step that sends is next (the caller takes it).
        var pending = false
        /// An action failed at this node, with this error: a retry is recorded.
        var failure: (node: AutomationDesign.Node, error: String)?
    }

    /// What the batch's steps set on an enrolment row, besides its node and sequence.
    struct Outcome: Hashable {
        enum Stamp: Hashable { case keep, null, at(Date) }
        var state = ""
        var nextRunAt = Stamp.keep
        var finishedAt = Stamp.keep
        var resetAttempts = false
        var resetError = false
    }

    /// A customer of the batch, read and locked once; changed in memory, written at the end.
    struct BatchCustomer {
        var profile: JSON
        var propertiesChanged = false
        var fields: [String: String?] = [:]
        var dirty: Bool { propertiesChanged || !fields.isEmpty }
    }

    struct StepLine {
        let tenant: Tenant
        let automationID: Int
        let enrolmentID: Int
        let seq: Int
        let nodeID: String
        let nodeType: String
        let outcome: String
        let detail: String?
    }

    /// Takes the steps of the claimed enrolments, inside the caller's transaction. Returns
    /// the steps taken and the enrolments whose next step sends (their lease kept).
    ///
    /// Long (about 250 lines) on purpose: the steps of a batch share state held in memory
    /// until the transaction's writes (the flights, the customers changed and not yet written,
    /// the step lines, the moves), and its parts are local functions over that state. Splitting
    /// it means moving that state into a type of its own; worth doing when it next changes.
    func advanceBatch(_ db: Connection, _ claimed: [(Int, Int)], _ automations: [Int: Loaded]) throws -> (steps: Int, external: [Int]) {
        let ids = claimed.map(\.0)
        guard !ids.isEmpty else { return (0, []) }
        var flights: [Flight] = []
        for e in try db.query("""
            SELECT id, automation_id, customer_id, current_node, state, step_seq, context, next_run_at, locked_by
            FROM automation_enrolments WHERE id IN (\(list: ids)) ORDER BY id FOR UPDATE
            """) {
            // Only what this runner leased and is still due: another runner may have taken
            // it after a lease ran out, or the automation paused it.
            guard e.optionalString("locked_by") == owner, let automation = automations[try e.int("automation_id")], automation.isActive else { continue }
            let state = try e.string("state")
            guard state == "active" || state == "waiting", (e.optionalDate("next_run_at") ?? .distantFuture) <= due else { continue }
            flights.append(Flight(id: try e.int("id"), automation: automation, customerID: try e.int("customer_id"),
                                  node: e.optionalString("current_node") ?? "", state: state, seq: try e.int("step_seq"),
                                  context: (try? JSONParser.parse(e.optionalString("context") ?? "{}")) ?? [:]))
        }
        var lines: [StepLine] = []
        var customers: [Int: BatchCustomer] = [:]
        var missing = Set<Int>()

        func step(_ i: Int, _ nodeID: String, _ nodeType: String, _ move: Move, detail: String? = nil, outcome: String? = nil) {
            var f = flights[i]
            var text = detail
            let line: String
            switch move {
            case .next(let target, let d):
                text = text ?? d
                line = outcome ?? "completed"
                if let target {
                    f.node = target
                    f.state = "active"
                    f.outcome.state = "active"
                    f.outcome.nextRunAt = .at(now)
                    f.outcome.finishedAt = .null
                } else {
                    f.state = "completed"
                    f.outcome.state = "completed"
                    f.outcome.nextRunAt = .null
                    f.outcome.finishedAt = .at(now)
                    f.done = true
                }
                f.outcome.resetAttempts = true
                f.outcome.resetError = true
            case .wait(let until, let d):
                text = d
                line = "waiting"
                f.state = "waiting"
                f.outcome.state = "waiting"
                f.outcome.nextRunAt = .at(until)
                f.outcome.resetAttempts = true
                f.done = true
            case .exit(let d):
                text = text ?? d
                line = outcome ?? "completed"
                f.state = "exited"
                f.outcome.state = "exited"
                f.outcome.nextRunAt = .null
                f.outcome.finishedAt = .at(now)
                f.done = true
            }
            lines.append(StepLine(tenant: f.automation.tenant, automationID: f.automation.id, enrolmentID: f.id, seq: f.seq,
                                  nodeID: nodeID, nodeType: nodeType, outcome: line, detail: text.map { String($0.prefix(1000)) }))
            f.seq += 1
            f.steps += 1
            flights[i] = f
        }
        func fail(_ i: Int, _ node: AutomationDesign.Node, _ error: Error) {
            flights[i].failure = (node, String(describing: error))
            flights[i].done = true
        }
        /// Writes the customers changed so far (before anything reads them from the database).
        func flushCustomers() throws {
            let dirty = customers.filter(\.value.dirty)
            guard !dirty.isEmpty else { return }
            var byTenant: [Int: [Int]] = [:]
            for f in flights where dirty[f.customerID] != nil { byTenant[f.automation.tenant.id, default: []].append(f.customerID) }
            for (tenant, list) in byTenant.sorted(by: { $0.key < $1.key }) {
                let ids = Array(Set(list)).sorted()
                try Self.writeCustomers(db, Tenant(id: tenant), ids.map { ($0, dirty[$0]!) })
            }
            for id in dirty.keys {
                customers[id]?.propertiesChanged = false
                customers[id]?.fields = [:]
            }
        }

        for _ in 0..<100 {
            var conditions: [String: [Int]] = [:]
            var customerActions: [Int] = []
            var crmActions: [Int] = []
            for i in flights.indices where !flights[i].done {
                let f = flights[i]
                let design = f.automation.design
                guard let node = design.byID[f.node] else {
                    step(i, f.node, "removed", .exit("the node is no longer in the flow"), outcome: "ended")
                    continue
                }
                let type = node.action?.rawValue ?? node.type.rawValue
                switch node.type {
                case .trigger:
                    step(i, node.id, type, .next(design.next(node.id), nil))
                case .delay:
                    if f.state == "waiting" {
                        step(i, node.id, type, .next(design.next(node.id), nil))
                    } else {
                        let until = AutomationDesign.delayUntil(node.data, from: now)
                        step(i, node.id, type, .wait(until, "until \(RFC3339.format(until))"))
                    }
                case .split:
                    let percent = node.data["percent_a"]?.doubleValue ?? 50
                    let branch = Self.bucket("\(f.id):\(node.id)") < percent ? "a" : "b"
                    step(i, node.id, type, .next(design.next(node.id, handle: branch), branch))
                case .exit:
                    step(i, node.id, type, .exit(nil))
                case .condition:
                    conditions["\(f.automation.id)\n\(node.id)", default: []].append(i)
                case .action:
                    guard let kind = node.action else { fail(i, node, AutomationError.action("no action kind")); continue }
                    switch kind {
                    case _ where kind.isExternal:
                        flights[i].pending = true
                        flights[i].done = true
                    case .update_customer, .add_tag, .remove_tag:
                        customerActions.append(i)
                    default:
                        crmActions.append(i)
                    }
                }
            }
            if conditions.isEmpty && customerActions.isEmpty && crmActions.isEmpty {
                if flights.allSatisfy(\.done) { break }
                continue
            }

            // Conditions: one query per condition node for every customer at it.
            if !conditions.isEmpty { try flushCustomers() }
            for (_, group) in conditions.sorted(by: { $0.key < $1.key }) {
                let automation = flights[group[0]].automation
                let node = automation.design.byID[flights[group[0]].node]!
                let yes = try AutomationConditions.matching(db, automation.tenant, customerIDs: group.map { flights[$0].customerID },
                                                            node.data["filters"] ?? node.data["filter"] ?? [:], now: now)
                for i in group {
                    let branch = yes.contains(flights[i].customerID) ? "yes" : "no"
                    step(i, node.id, node.type.rawValue, .next(automation.design.next(node.id, handle: branch), branch))
                }
            }

            // Customer actions: the customers read and locked once, changed in memory.
            if !customerActions.isEmpty {
                var wanted: [Int: Set<Int>] = [:]
                for i in customerActions where customers[flights[i].customerID] == nil && !missing.contains(flights[i].customerID) {
                    wanted[flights[i].automation.tenant.id, default: []].insert(flights[i].customerID)
                }
                for (tenantID, ids) in wanted.sorted(by: { $0.key < $1.key }) {
                    let tenant = Tenant(id: tenantID)
                    let rows = try db.query("""
                        SELECT \(CustomerJSON.columns) FROM customers c WHERE c.tenant_id = \(tenant) AND c.id IN (\(list: ids.sorted()))
                        ORDER BY c.id FOR UPDATE
                        """)
                    for row in rows { customers[try row.int("id")] = BatchCustomer(profile: CustomerJSON.profile(row, segments: [])) }
                    missing.formUnion(ids.filter { customers[$0] == nil })
                }
            }
            for i in customerActions {
                let f = flights[i]
                let node = f.automation.design.byID[f.node]!
                guard var customer = customers[f.customerID] else { fail(i, node, AutomationError.action("the customer no longer exists")); continue }
                do {
                    let (detail, change) = try AutomationActions.customerAction(node.action!, node: node, profile: &customer.profile, context: f.context)
                    switch change {
                    case .properties: customer.propertiesChanged = true
                    case .field(let field, let value): customer.fields[field] = .some(value)
                    }
                    customers[f.customerID] = customer
                    step(i, node.id, node.action!.rawValue, .next(f.automation.design.next(node.id), nil), detail: detail)
                } catch {
                    fail(i, node, error)
                }
            }

            // CRM actions: one at a time, each behind a savepoint, as a single step would.
            if !crmActions.isEmpty { try flushCustomers() }
            for i in crmActions {
                let f = flights[i]
                let node = f.automation.design.byID[f.node]!
                let actions = AutomationActions(db: db, tenant: f.automation.tenant, automation: f.automation,
                                                enrolmentID: f.id, seq: f.seq, customerID: f.customerID, node: node, now: now)
                try db.execute("SAVEPOINT automation_step")
                do {
                    var context = f.context
                    let detail = try actions.perform(node.action!, context: &context)
                    if context != f.context {
                        flights[i].context = context
                        flights[i].contextChanged = true
                    }
                    step(i, node.id, node.action!.rawValue, .next(f.automation.design.next(node.id), nil), detail: detail)
                } catch let error as MariaDBError {
                    // The database's own failures (a deadlock, a lost connection) end the
                    // batch; its transaction is rolled back and the steps are taken again.
                    throw error
                } catch {
                    try db.execute("ROLLBACK TO SAVEPOINT automation_step")
                    fail(i, node, error)
                }
                // It read the customer itself; read it again if needed.
                customers[f.customerID] = nil
            }
        }

        // The writes: customers, enrolments by outcome, the step log, then the retries.
        try flushCustomers()
        var groups: [EnrolmentWrite: [Int]] = [:]
        for f in flights where f.steps > 0 {
            let write = EnrolmentWrite(steps: f.steps, node: f.node, outcome: f.outcome, release: !f.pending,
                                       context: f.contextChanged ? JSONWriter.string(f.context) : nil)
            groups[write, default: []].append(f.id)
        }
        for (write, ids) in groups {
            for chunk in stride(from: 0, to: ids.count, by: 1000).map({ Array(ids[$0..<min($0 + 1000, ids.count)]) }) {
                let changed = try db.execute(write.sql(ids: chunk, now: now)).affectedRows
                // The rows are locked since they were read: nobody else can have moved them.
                guard changed == chunk.count else {
                    throw AutomationError.action("the batch's enrolments changed under their lock (\(changed) of \(chunk.count) written)")
                }
            }
        }
        for start in stride(from: 0, to: lines.count, by: 500) {
            try Self.insertSteps(db, lines[start..<min(start + 500, lines.count)], now: now)
        }
        for f in flights {
            guard let (node, error) = f.failure else { continue }
            try retry(db, f.automation, f.id, seq: f.seq, node: node, error: error)
        }
        // Leases of what took no step (or ended in a retry) and sends nothing next.
        let written = Set(flights.filter { $0.steps > 0 }.map(\.id))
        let pending = Set(flights.filter(\.pending).map(\.id))
        let unreleased = ids.filter { !pending.contains($0) && !written.contains($0) }
        if !unreleased.isEmpty {
            try db.execute("""
                UPDATE automation_enrolments SET locked_by = NULL, locked_until = NULL WHERE id IN (\(list: unreleased)) AND locked_by = \(owner)
                """)
        }
        return (lines.count, flights.filter(\.pending).map(\.id))
    }

    /// One UPDATE for the enrolments whose steps in the batch came to the same thing.
    struct EnrolmentWrite: Hashable {
        let steps: Int
        let node: String
        let outcome: Outcome
        /// Releases the lease (nothing to send next).
        let release: Bool
        let context: String?

        func sql(ids: [Int], now: Date) -> SQL {
            var sql: SQL = "UPDATE automation_enrolments SET step_seq = step_seq + \(steps), current_node = \(node), state = \(outcome.state)"
            switch outcome.nextRunAt {
            case .keep: break
            case .null: sql = sql + ", next_run_at = NULL"
            case .at(let date): sql = sql + ", next_run_at = \(date)"
            }
            switch outcome.finishedAt {
            case .keep: break
            case .null: sql = sql + ", finished_at = NULL"
            case .at(let date): sql = sql + ", finished_at = \(date)"
            }
            if outcome.resetAttempts { sql = sql + ", attempts = 0" }
            if outcome.resetError { sql = sql + ", last_error = NULL" }
            if let context { sql = sql + ", context = \(context)" }
            if release { sql = sql + ", locked_by = NULL, locked_until = NULL" }
            return sql + ", updated_at = UTC_TIMESTAMP(6) WHERE id IN (\(list: ids))"
        }
    }

    /// The customers' new properties and fields, in one UPDATE (a CASE per column), and the
    /// customers marked for their segments (a profile change, as any other write makes).
    static func writeCustomers(_ db: Connection, _ tenant: Tenant, _ changed: [(Int, BatchCustomer)]) throws {
        for start in stride(from: 0, to: changed.count, by: 500) {
            let chunk = changed[start..<min(start + 500, changed.count)]
            var sets: [SQL] = []
            let withProperties = chunk.filter { $0.1.propertiesChanged }
            if !withProperties.isEmpty {
                let cases = SQL.join(withProperties.map { id, c in
                    "WHEN \(id) THEN \(JSONWriter.string(.object(c.profile["properties"]?.objectValue ?? JSONObject())))"
                }, separator: " ")
                sets.append("properties = CASE id " + cases + " ELSE properties END")
            }
            for (column, field) in [(SQLIdentifier("name"), "name"), (SQLIdentifier("phone"), "phone"),
                                    (SQLIdentifier("city"), "city"), (SQLIdentifier("country"), "country")] {
                let with = chunk.filter { $0.1.fields[field] != nil }
                guard !with.isEmpty else { continue }
                let cases = SQL.join(with.map { id, c in "WHEN \(id) THEN \(c.fields[field]!)" }, separator: " ")
                sets.append("\(column) = CASE id " + cases + " ELSE \(column) END")
            }
            guard !sets.isEmpty else { continue }
            let before = try CustomerChanges.snapshot(db, tenant, ids: chunk.map(\.0))
            try db.execute("UPDATE customers FORCE INDEX (PRIMARY) SET " + SQL.join(sets, separator: ", ")
                + ", updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = \(tenant) AND id IN (\(list: chunk.map(\.0)))")
            try CustomerChanges.record(db, tenant, before: before, after: try CustomerChanges.snapshot(db, tenant, ids: chunk.map(\.0)),
                                       actor: .system)
            try SegmentStore.markDirty(db, tenant, customers: chunk.map(\.0), reason: .profile)
        }
    }

    static func insertSteps(_ db: Connection, _ lines: ArraySlice<StepLine>, now: Date) throws {
        guard !lines.isEmpty else { return }
        let values = SQL.join(lines.map { l in
            "(\(l.tenant), \(l.automationID), \(l.enrolmentID), \(l.seq), \(l.nodeID), \(l.nodeType), \(l.outcome), \(l.detail), \(now))"
        }, separator: ", ")
        try db.execute("""
            INSERT INTO automation_steps (tenant_id, automation_id, enrolment_id, seq, node_id, node_type, outcome, detail, created_at) VALUES
            """ + values)
    }
}
