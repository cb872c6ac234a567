import FastCGI
import Foundation
import MariaDB
import Web

/// Runs jobs from the `jobs` table. Any number of runners, on any number of hosts, may run
/// at once: a job is claimed with `SELECT … FOR UPDATE SKIP LOCKED` and marked running in
/// the same transaction, so no two runners take the same job. A claim is a lease: a job
/// whose runner died is claimed again once `locked_until` has passed.
public final class JobRunner: Sendable {
    public let registry: JobRegistry
    public let database: DatabaseConfiguration
    public let runnerID: String
    /// Base of the exponential retry back-off, in seconds.
    public let backoffBase: Double
    /// When set, only jobs of these kinds are claimed (a runner dedicated to some kinds).
    public let kinds: [String]?

    public init(registry: JobRegistry, database: DatabaseConfiguration, runnerID: String? = nil, backoffBase: Double = 5,
                kinds: [String]? = nil) {
        self.registry = registry
        self.kinds = kinds
        self.database = database
        self.runnerID = runnerID ?? "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        self.backoffBase = backoffBase
    }

    /// Claims at most one due job, runs it and records the outcome. Returns false when no
    /// job was due.
    @discardableResult
    public func runNext(_ db: Connection, worker: String = "0") throws -> Bool {
        let owner = "\(runnerID)/\(worker)"
        guard let job = try claim(db, owner: owner) else { return false }
        guard let entry = registry.entries[job.kind] else {
            try fail(db, job: job, owner: owner, error: "no handler is registered for job kind '\(job.kind)'", final: true)
            return true
        }
        if job.attempts > job.maxAttempts {
            try fail(db, job: job, owner: owner, error: "the runner died during the last attempt and no attempts are left", final: true)
            return true
        }
        do {
            try entry.handler(JobContext(job: job, db: db, runnerID: owner))
            try db.execute("""
                UPDATE jobs SET status = 'succeeded', finished_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6),
                    locked_by = NULL, locked_until = NULL
                WHERE id = \(job.id) AND locked_by = \(owner)
                """)
        } catch {
            if db.inTransaction { throw error }
            try fail(db, job: job, owner: owner, error: String(describing: error), final: job.attempts >= job.maxAttempts)
        }
        return true
    }

    private func claim(_ db: Connection, owner: String) throws -> Job? {
        let kindFilter: SQL = kinds.map { " AND kind IN (\(list: $0))" } ?? ""
        return try db.transaction(retries: 5) {
            var row = try db.queryOne("""
                SELECT id FROM jobs WHERE status = 'queued' AND run_at <= UTC_TIMESTAMP(6)\(kindFilter)
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
                """)
            if row == nil {
                // A job whose runner died: its lease has run out.
                row = try db.queryOne("""
                    SELECT id FROM jobs WHERE status = 'running' AND locked_until < UTC_TIMESTAMP(6)\(kindFilter)
                    ORDER BY locked_until, id LIMIT 1 FOR UPDATE SKIP LOCKED
                    """)
            }
            guard let id = try row?.int("id") else { return nil }
            let lease = registry.entries[try db.queryOne("SELECT kind FROM jobs WHERE id = \(id)")?.string("kind") ?? ""]?.leaseSeconds ?? 300
            // The claim itself is conditional: SKIP LOCKED only sees this server's locks, so
            // on a Galera cluster a runner on another node may have taken the job already
            // (its commit replicated here after our SELECT). Only an UPDATE that still finds
            // the job claimable owns it; a concurrent claim on another node loses at COMMIT
            // with a certification conflict (1213), and the transaction runs again.
            let claimed = try db.execute("""
                UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = \(owner),
                    locked_until = UTC_TIMESTAMP(6) + INTERVAL \(lease) SECOND, updated_at = UTC_TIMESTAMP(6)
                WHERE id = \(id) AND (status = 'queued' OR (status = 'running' AND locked_until < UTC_TIMESTAMP(6)))
                """).affectedRows
            guard claimed == 1 else { return nil }
            guard let claimed = try db.queryOne("SELECT id, tenant_id, kind, payload, attempts, max_attempts FROM jobs WHERE id = \(id)") else {
                return nil
            }
            return try Job(row: claimed)
        }
    }

    private func fail(_ db: Connection, job: Job, owner: String, error: String, final: Bool) throws {
        let message = String(error.prefix(4000))
        if final {
            Log.warning("job \(job.id) (\(job.kind)) failed for good after \(job.attempts) attempts: \(message)")
            try db.execute("""
                UPDATE jobs SET status = 'failed', last_error = \(message), finished_at = UTC_TIMESTAMP(6),
                    updated_at = UTC_TIMESTAMP(6), locked_by = NULL, locked_until = NULL
                WHERE id = \(job.id) AND locked_by = \(owner)
                """)
        } else {
            let delay = backoff(attempt: job.attempts)
            Log.info("job \(job.id) (\(job.kind)) attempt \(job.attempts) failed, retrying in \(Int(delay)) s: \(message)")
            try db.execute("""
                UPDATE jobs SET status = 'queued', last_error = \(message),
                    run_at = UTC_TIMESTAMP(6) + INTERVAL \(Int(delay * 1000)) * 1000 MICROSECOND,
                    updated_at = UTC_TIMESTAMP(6), locked_by = NULL, locked_until = NULL
                WHERE id = \(job.id) AND locked_by = \(owner)
                """)
        }
    }

    /// base · 2^(attempt-1), at most an hour, with up to 20 % jitter so retries spread out.
    public func backoff(attempt: Int) -> Double {
        let raw = min(backoffBase * pow(2, Double(max(attempt - 1, 0))), 3600)
        return raw * Double.random(in: 1.0...1.2)
    }

    /// Registers the schedules (keeping their next run times) and enqueues the due ones,
    /// each at most once per period whichever runner gets there first.
    public func enqueueDueSchedules(_ db: Connection) throws {
        for schedule in registry.schedules {
            try db.execute("""
                INSERT INTO job_schedules (name, kind, payload, interval_seconds, next_run_at)
                VALUES (\(schedule.name), \(schedule.kind), \(JSONWriter.string(schedule.payload)), \(schedule.intervalSeconds), UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE kind = VALUES(kind), payload = VALUES(payload), interval_seconds = VALUES(interval_seconds)
                """)
        }
        try db.transaction {
            let due = try db.query("""
                SELECT name, kind, payload, interval_seconds FROM job_schedules
                WHERE enabled = 1 AND next_run_at <= UTC_TIMESTAMP(6) FOR UPDATE SKIP LOCKED
                """)
            for row in due {
                let name = try row.string("name")
                try db.execute("""
                    INSERT INTO jobs (kind, payload, run_at, schedule_name, created_at, updated_at)
                    VALUES (\(try row.string("kind")), \(try row.string("payload")), UTC_TIMESTAMP(6), \(name), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                    """)
                try db.execute("""
                    UPDATE job_schedules SET last_enqueued_at = UTC_TIMESTAMP(6),
                        next_run_at = UTC_TIMESTAMP(6) + INTERVAL \(try row.int("interval_seconds")) SECOND
                    WHERE name = \(name)
                    """)
            }
        }
    }

    /// Runs `concurrency` threads until `stop` is set; each finishes its current job first.
    public func run(concurrency: Int, pollInterval: Double = 1, stop: AtomicFlag) throws {
        var threads: [JoinableThread] = []
        for index in 0..<concurrency {
            threads.append(try JoinableThread { [self] in
                Connection.initializeThread()
                let db = Connection(configuration: database)
                var lastScheduleCheck = 0.0
                while !stop.isSet {
                    do {
                        if index == 0, Date().timeIntervalSince1970 - lastScheduleCheck >= 1 {
                            lastScheduleCheck = Date().timeIntervalSince1970
                            try enqueueDueSchedules(db)
                        }
                        if try runNext(db, worker: String(index)) { continue }
                    } catch let error as MariaDBError where error.isConnectionLost {
                        Log.warning("jobs: database unavailable (\(error.code)); retrying")
                    } catch {
                        Log.error("jobs: \(error)")
                    }
                    var waited = 0.0
                    while waited < pollInterval, !stop.isSet {
                        usleep(50_000)
                        waited += 0.05
                    }
                }
                db.disconnect()
                Connection.finishThread()
            })
        }
        for loop in registry.loops {
            threads.append(try JoinableThread { [self] in
                Connection.initializeThread()
                let db = Connection(configuration: database)
                while !stop.isSet {
                    var busy = false, failed = false
                    do {
                        busy = try loop.handler(db)
                    } catch let error as MariaDBError where error.isConnectionLost {
                        failed = true
                        Log.warning("jobs: \(loop.name): database unavailable (\(error.code)); retrying")
                    } catch {
                        failed = true
                        Log.error("jobs: \(loop.name): \(error)")
                    }
                    if busy { continue }
                    // After a failure, at most one attempt (and one log line) a second.
                    let pause = failed ? max(loop.interval, 1) : loop.interval
                    var waited = 0.0
                    while waited < pause, !stop.isSet {
                        usleep(50_000)
                        waited += 0.05
                    }
                }
                db.disconnect()
                Connection.finishThread()
            })
        }
        for thread in threads { thread.join() }
    }
}
