import Foundation
import MariaDB
import Web
import Core
import Messaging

/// Advances enrolments through their automation's flow.
///
/// The enrolments table is the queue: an enrolment is due when its `next_run_at` has come
/// (a delay sets it into the future, so a delay is a scheduled run, like a job's `run_at`).
/// Due enrolments are claimed with `FOR UPDATE SKIP LOCKED` and a lease, so any number of
/// runners may work at once. Each step is recorded in one transaction with the move to the
/// next node, and only against the step sequence it read: a step redone after a crash is
/// recorded once. Actions inside the database (customer updates, tags, CRM entries) commit
/// with their step; messages that leave the system are recorded as `sending` before the
/// send and `sent` after it, and one found `sending` (the process died mid-send) is not
/// sent again.
struct AutomationEngine {
    /// The engine's clock: `Date()` in production; tests move it forward.
    var now: Date
    var messenger: Messenger
    var owner: String
    var batchSize = 200
    /// Retry back-off base, seconds: base · 2^(attempt-1).
    var retryBase: Double = 30
    var maxAttempts = 5
    /// Tests only: dies (throws) right after an external send, before it is recorded.
    var crashAfterSend = false

    init(now: Date = Date(), messenger: Messenger = AutomationDelivery.messenger(), owner: String = "engine") {
        self.now = now
        self.messenger = messenger
        self.owner = owner
    }

    /// An automation as the engine needs it, read once per batch.
    struct Loaded {
        let id: Int
        let tenant: Tenant
        let design: AutomationDesign
        let secret: String
        let isActive: Bool
    }

    /// `now`, and the microsecond that storing a time may round it up by.
    var due: Date { now.addingTimeInterval(0.000_002) }

    enum Move {
        case next(String?, String?)
        case wait(Date, String)
        case exit(String?)
    }

    // MARK: Enrolling

    /// Enrols a customer, respecting the automation's re-entry policy. Returns whether a new
    /// enrolment began.
    @discardableResult
    static func enrol(_ db: Connection, _ tenant: Tenant, automationID: Int, triggerNode: String, reentry: String,
                      customerID: Int, context: JSON = [:], now: Date) throws -> Bool {
        let last = try db.queryOne("""
            SELECT cycle, state FROM automation_enrolments
            WHERE automation_id = \(automationID) AND customer_id = \(customerID) ORDER BY cycle DESC LIMIT 1
            """)
        var cycle = 0
        if let last {
            let finished = ["completed", "exited", "failed"].contains(try last.string("state"))
            guard reentry == "after_completion", finished else { return false }
            cycle = try last.int("cycle") + 1
        }
        return try db.execute("""
            INSERT IGNORE INTO automation_enrolments (tenant_id, automation_id, customer_id, cycle, current_node, state,
                next_run_at, context, entered_at, updated_at)
            VALUES (\(tenant), \(automationID), \(customerID), \(cycle), \(triggerNode), 'active', \(now),
                    \(JSONWriter.string(context)), \(now), UTC_TIMESTAMP(6))
            """).affectedRows == 1
    }

    // MARK: Running

    /// Runs every due step (of one workspace, or all), batch after batch, until none is due
    /// or `budget` seconds have passed. Returns the number of steps taken.
    @discardableResult
    func runDue(_ db: Connection, tenant: Tenant? = nil, budget: Double = 30) throws -> Int {
        let started = Date()
        var steps = 0
        var cache: [Int: Loaded] = [:]
        var skips = 0
        while Date().timeIntervalSince(started) < budget {
            let claimed = try claim(db, tenant: tenant)
            if claimed.isEmpty {
                // SKIP LOCKED also passes over rows another runner's scan holds for an
                // instant; due rows nobody has leased are worth another look.
                if skips < 20, try unleasedDue(db, tenant: tenant) { skips += 1; usleep(10_000); continue }
                break
            }
            // Read again for each batch: a design saved or an automation deactivated since
            // the last one is what this batch follows.
            cache = [:]
            for automationID in Set(claimed.map(\.1)).sorted() {
                if let loaded = try Self.load(db, automationID) { cache[automationID] = loaded }
            }
            // Steps inside the database, of the whole batch, in one transaction and set by
            // set (see AutomationBatch); steps that send something, one enrolment at a time after.
            let (taken, external) = try db.transaction { try advanceBatch(db, claimed, cache) }
            steps += taken
            for (id, automationID) in claimed where external.contains(id) {
                guard let automation = cache[automationID] else { continue }
                defer { release(db, id) }
                steps += try sendAndContinue(db, automation, enrolmentID: id)
            }
            if claimed.count < batchSize { break }
        }
        return steps
    }

    private func unleasedDue(_ db: Connection, tenant: Tenant?) throws -> Bool {
        let scope: SQL = tenant.map { " AND tenant_id = \($0)" } ?? ""
        return try db.queryOne("""
            SELECT 1 AS x FROM automation_enrolments WHERE state IN ('active', 'waiting') AND next_run_at <= \(due)\(scope)
            AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP(6)) LIMIT 1
            """) != nil
    }

    static func load(_ db: Connection, _ id: Int) throws -> Loaded? {
        guard let row = try db.queryOne("SELECT id, tenant_id, design, webhook_secret, is_active FROM automations WHERE id = \(id)") else { return nil }
        return Loaded(id: id, tenant: Tenant(id: try row.int("tenant_id")), design: AutomationDesign.stored(try row.string("design")),
                      secret: try row.string("webhook_secret"), isActive: try row.bool("is_active"))
    }

    /// Leases up to `batchSize` due enrolments, the longest due first: (id, automation id).
    private func claim(_ db: Connection, tenant: Tenant?) throws -> [(Int, Int)] {
        try db.transaction {
            // One scan per state, each in the order of its index (named: a scan that merged
            // others would lock, and skip, rows of other workspaces' batches). A single scan
            // of `state IN ('active', 'waiting') ORDER BY next_run_at` sorts: it reads, and
            // locks, every due row for each batch, and other runners' SKIP LOCKED then find
            // nothing.
            var rows: [(id: Int, automation: Int, due: Date)] = []
            for state in ["active", "waiting"] {
                let found = try tenant.map { tenant in
                    try db.query("""
                        SELECT id, automation_id, next_run_at FROM automation_enrolments FORCE INDEX (idx_enrolments_tenant_due)
                        WHERE tenant_id = \(tenant) AND state = \(state) AND next_run_at <= \(due)
                        AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP(6))
                        ORDER BY next_run_at LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                        """)
                } ?? db.query("""
                    SELECT id, automation_id, next_run_at FROM automation_enrolments FORCE INDEX (idx_enrolments_due)
                    WHERE state = \(state) AND next_run_at <= \(due)
                    AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP(6))
                    ORDER BY next_run_at LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                    """)
                for row in found {
                    rows.append((try row.int("id"), try row.int("automation_id"), row.optionalDate("next_run_at") ?? .distantPast))
                }
            }
            let picked = rows.sorted { ($0.due, $0.id) < ($1.due, $1.id) }.prefix(batchSize)
            guard !picked.isEmpty else { return [] }
            let ids = picked.map(\.id)
            // The lease is a conditional UPDATE and what it changed decides: SKIP LOCKED only
            // sees this node's locks, so on Galera a runner on another node may have leased a
            // row already (its commit replicated after our SELECT).
            let leased = try db.execute("""
                UPDATE automation_enrolments SET locked_by = \(owner), locked_until = UTC_TIMESTAMP(6) + INTERVAL 120 SECOND
                WHERE id IN (\(list: ids)) AND state IN ('active', 'waiting') AND (locked_until IS NULL OR locked_until < UTC_TIMESTAMP(6))
                """).affectedRows
            if leased == ids.count { return picked.map { ($0.id, $0.automation) } }
            // Some were not: the ones this runner holds now carry its name and a fresh lease
            // (rows it held before were not due for a claim: their lease had not run out).
            let mine = Set(try db.query("""
                SELECT id FROM automation_enrolments WHERE id IN (\(list: ids)) AND locked_by = \(owner)
                AND locked_until > UTC_TIMESTAMP(6) + INTERVAL 60 SECOND
                """).map { try $0.int("id") })
            return picked.filter { mine.contains($0.id) }.map { ($0.id, $0.automation) }
        }
    }

    /// Takes the steps of one enrolment until it waits, ends or fails: the batch's
    /// interpreter (AutomationBatch) on a batch of one, with its sends between. The demo
    /// seed's path. Takes the enrolment's lease when it is free (or this runner's), and
    /// releases it.
    func advance(_ db: Connection, _ automation: Loaded, enrolmentID: Int) throws -> Int {
        guard try db.execute("""
            UPDATE automation_enrolments SET locked_by = \(owner), locked_until = UTC_TIMESTAMP(6) + INTERVAL 120 SECOND
            WHERE id = \(enrolmentID) AND (locked_by = \(owner) OR locked_until IS NULL OR locked_until < UTC_TIMESTAMP(6))
            """).affectedRows == 1 else { return 0 }
        defer { release(db, enrolmentID) }
        let (taken, external) = try db.transaction { try advanceBatch(db, [(enrolmentID, automation.id)], [automation.id: automation]) }
        return external.isEmpty ? taken : taken + (try sendAndContinue(db, automation, enrolmentID: enrolmentID))
    }

    private func release(_ db: Connection, _ enrolmentID: Int) {
        _ = try? db.execute("""
            UPDATE automation_enrolments SET locked_by = NULL, locked_until = NULL WHERE id = \(enrolmentID) AND locked_by = \(owner)
            """)
    }

    /// An enrolment the batch stopped before a step that sends (its lease kept): the send,
    /// then the steps after it as a batch of one, send after send, until it waits, ends,
    /// fails, or has taken 100 steps here (it is then due again, for the next batch).
    private func sendAndContinue(_ db: Connection, _ automation: Loaded, enrolmentID: Int) throws -> Int {
        var steps = 0
        while steps < 100 {
            guard try send(db, automation, enrolmentID: enrolmentID) else { return steps }
            steps += 1
            let (taken, external) = try db.transaction { try advanceBatch(db, [(enrolmentID, automation.id)], [automation.id: automation]) }
            steps += taken
            if external.isEmpty { return steps }
        }
        return steps
    }

    /// Takes the step that sends (email, SMS, notice, webhook) of an enrolment at one, at
    /// most once (AutomationActions.send), outside any transaction: the message is recorded
    /// as sending, committed, before it leaves. The step is then recorded against the
    /// sequence read, and only then. Whether it was taken (a failure is a retry).
    private func send(_ db: Connection, _ automation: Loaded, enrolmentID: Int) throws -> Bool {
        guard let e = try db.queryOne("""
            SELECT customer_id, current_node, state, step_seq, context, next_run_at FROM automation_enrolments WHERE id = \(enrolmentID)
            """) else { return false }
        let state = try e.string("state")
        guard state == "active" || state == "waiting", automation.isActive, (e.optionalDate("next_run_at") ?? .distantFuture) <= due,
              let node = automation.design.byID[e.optionalString("current_node") ?? ""], node.type == .action,
              let kind = node.action, kind.isExternal else { return false }
        let seq = try e.int("step_seq")
        let context = (try? JSONParser.parse(e.optionalString("context") ?? "{}")) ?? [:]
        let actions = AutomationActions(db: db, tenant: automation.tenant, automation: automation, enrolmentID: enrolmentID, seq: seq,
                                        customerID: try e.int("customer_id"), node: node, now: now)
        do {
            let detail = try actions.send(kind, context: context, messenger: messenger, crashAfterSend: crashAfterSend)
            let target = automation.design.next(node.id)
            return try db.transaction {
                guard try db.execute("""
                    UPDATE automation_enrolments SET step_seq = step_seq + 1, current_node = COALESCE(\(target), current_node),
                        state = IF(\(target == nil), 'completed', 'active'), next_run_at = IF(\(target == nil), NULL, \(now)),
                        finished_at = IF(\(target == nil), \(now), NULL), attempts = 0, last_error = NULL, updated_at = UTC_TIMESTAMP(6)
                    WHERE id = \(enrolmentID) AND step_seq = \(seq)
                    """).affectedRows == 1 else { return false }
                try Self.insertSteps(db, [StepLine(tenant: automation.tenant, automationID: automation.id, enrolmentID: enrolmentID, seq: seq,
                                                   nodeID: node.id, nodeType: kind.rawValue, outcome: "completed",
                                                   detail: detail.map { String($0.prefix(1000)) })], now: now)
                return true
            }
        } catch AutomationError.simulatedCrash {
            throw AutomationError.simulatedCrash
        } catch let error as MariaDBError {
            // The database's own failures (a deadlock, a lost connection): the step is
            // taken again later (what was sent is recorded, and not sent again).
            throw error
        } catch {
            try retry(db, automation, enrolmentID, seq: seq, node: node, error: String(describing: error))
            return false
        }
    }

    /// A failed action: again after a back-off, or `failed` for good with the error.
    func retry(_ db: Connection, _ automation: Loaded, _ enrolmentID: Int, seq: Int, node: AutomationDesign.Node, error: String) throws {
        try db.transaction {
            guard let row = try db.queryOne("SELECT attempts FROM automation_enrolments WHERE id = \(enrolmentID) AND step_seq = \(seq) FOR UPDATE") else { return }
            let attempts = try row.int("attempts") + 1
            let final = attempts >= maxAttempts
            let delay = min(retryBase * pow(2, Double(attempts - 1)), 3600)
            let message = String(error.prefix(1000))
            try db.execute("""
                UPDATE automation_enrolments SET attempts = \(attempts), last_error = \(message),
                    state = IF(\(final), 'failed', state), next_run_at = IF(\(final), NULL, \(now.addingTimeInterval(delay))),
                    finished_at = IF(\(final), \(now), NULL), updated_at = UTC_TIMESTAMP(6)
                WHERE id = \(enrolmentID)
                """)
            let outcome = final ? "failed" : "retrying"
            let detail = final ? "failed after \(attempts) attempts: \(message)" : "attempt \(attempts) failed, retrying: \(message)"
            try db.execute("""
                INSERT INTO automation_steps (tenant_id, automation_id, enrolment_id, seq, node_id, node_type, outcome, detail, created_at)
                VALUES (\(automation.tenant), \(automation.id), \(enrolmentID), \(seq), \(node.id), \(node.action?.rawValue ?? node.type.rawValue),
                        \(outcome), \(String(detail.prefix(1000))), \(now))
                ON DUPLICATE KEY UPDATE detail = VALUES(detail), created_at = VALUES(created_at)
                """)
        }
    }

    /// A stable number in [0, 100) from a key: the same enrolment takes the same branch of a
    /// split however often the step runs.
    static func bucket(_ key: String) -> Double {
        var hash: UInt64 = 14695981039346656037
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 1099511628211
        }
        return Double(hash % 10000) / 100
    }
}

/// Another runner (through another Galera node) took what this one was about to claim.
struct AutomationClaimLost: Error {}
