import EnterCRM
import FastCGI
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
import Jobs

/// Records which runner ran which job, from several threads.
final class RunLog: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var entries: [(job: Int, runner: String)] = []

    func record(_ job: Int, _ runner: String) {
        lock.lock()
        entries.append((job, runner))
        lock.unlock()
    }

    var all: [(job: Int, runner: String)] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }
}

@Suite struct JobRunnerTests {
    let db: Connection
    let kind: String

    init() throws {
        db = try TestDatabase.connect()
        kind = TestDatabase.unique("test.job")
    }

    func status(_ id: Int) throws -> (status: String, attempts: Int, error: String?) {
        let row = try #require(try db.queryOne("SELECT status, attempts, last_error FROM jobs WHERE id = \(id)"))
        return (try row.string("status"), try row.int("attempts"), row.optionalString("last_error"))
    }

    @Test func twoCompetingRunnersRunEachJobExactlyOnce() throws {
        let log = RunLog()
        var registry = JobRegistry()
        registry.register(kind) { context in
            log.record(context.job.id, context.runnerName)
            usleep(500)
        }
        let ids = try (0..<150).map { i in try JobQueue.enqueue(db, kind: kind, payload: ["n": .int(Int64(i))]) }
        let config = try TestDatabase.configuration()
        let kinds = [kind]
        var threads: [JoinableThread] = []
        for name in ["a", "b"] {
            let runner = JobRunner(registry: registry, database: config, runnerID: name, kinds: kinds)
            threads.append(try JoinableThread {
                let own = Connection(configuration: config)
                // A claim can come back empty while the other runner holds the rows it would
                // take; a runner stops only when no job of the kind is left queued.
                do {
                    while true {
                        if try runner.runNext(own) { continue }
                        let left = try own.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE kind = \(kinds[0]) AND status = 'queued'")?.int("n") ?? 0
                        if left == 0 { break }
                        usleep(1_000)
                    }
                } catch { Issue.record("runner \(name): \(error)") }
                own.disconnect()
            })
        }
        for t in threads { t.join() }

        let runs = log.all
        #expect(runs.count == ids.count)
        #expect(Set(runs.map(\.job)) == Set(ids))
        #expect(Set(runs.map(\.runner)).count == 2, "both runners took part")
        let rows = try db.query("SELECT status, attempts FROM jobs WHERE kind = \(kind)")
        #expect(rows.count == ids.count)
        #expect(try rows.allSatisfy { try $0.string("status") == "succeeded" && $0.int("attempts") == 1 })
    }

    @Test func failuresBackOffThenEndInAVisibleFailedState() throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "smtp refused the message" } }
        var registry = JobRegistry()
        registry.register(kind, maxAttempts: 3) { _ in throw Broken() }
        let runner = JobRunner(registry: registry, database: try TestDatabase.configuration(), backoffBase: 0.2, kinds: [kind])
        let id = try JobQueue.enqueue(db, kind: kind, maxAttempts: 3)

        #expect(try runner.runNext(db))
        var s = try status(id)
        #expect(s.status == "queued" && s.attempts == 1 && s.error == "smtp refused the message")
        // Backed off: not due again at once.
        #expect(try runner.runNext(db) == false)
        let runAt = try #require(try db.queryOne("SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), run_at) AS us FROM jobs WHERE id = \(id)")).int("us")
        #expect(runAt > 100_000)

        let deadline = Date().addingTimeInterval(5)
        while try status(id).status == "queued", Date() < deadline {
            if try !runner.runNext(db) { usleep(50_000) }
        }
        s = try status(id)
        #expect(s.status == "failed")
        #expect(s.attempts == 3)
        #expect(s.error == "smtp refused the message")
    }

    @Test func delayedJobsWaitForRunAt() throws {
        var registry = JobRegistry()
        registry.register(kind) { _ in }
        let runner = JobRunner(registry: registry, database: try TestDatabase.configuration(), kinds: [kind])
        let id = try JobQueue.enqueue(db, kind: kind, runAt: Date().addingTimeInterval(1.5))
        #expect(try runner.runNext(db) == false)
        usleep(1_600_000)
        #expect(try runner.runNext(db))
        #expect(try status(id).status == "succeeded")
    }

    @Test func aJobWhoseRunnerDiedIsTakenAgainAfterItsLease() throws {
        var registry = JobRegistry()
        registry.register(kind) { _ in }
        let runner = JobRunner(registry: registry, database: try TestDatabase.configuration(), kinds: [kind])
        // As a runner that crashed mid-job leaves it: running, with a lease about to run out.
        let id = try db.execute("""
            INSERT INTO jobs (kind, payload, status, attempts, run_at, locked_by, locked_until, created_at, updated_at)
            VALUES (\(kind), '{}', 'running', 1, UTC_TIMESTAMP(6), 'dead-runner', UTC_TIMESTAMP(6) + INTERVAL 1 SECOND, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        #expect(try runner.runNext(db) == false, "the lease still holds")
        usleep(1_200_000)
        #expect(try runner.runNext(db))
        let s = try status(id)
        #expect(s.status == "succeeded" && s.attempts == 2)
    }

    @Test func schedulesEnqueueOncePerPeriodAcrossRunners() throws {
        let name = TestDatabase.unique("sched")
        var registry = JobRegistry()
        registry.register(kind) { _ in }
        registry.every(1, name: name, kind: kind)
        let config = try TestDatabase.configuration()
        let runners = (0..<3).map { _ in JobRunner(registry: registry, database: config, kinds: [kind]) }
        let connections = try (0..<3).map { _ in try TestDatabase.connect() }
        for (runner, connection) in zip(runners, connections) { try runner.enqueueDueSchedules(connection) }
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE schedule_name = \(name)")?.int("n") == 1)
        usleep(1_100_000)
        for (runner, connection) in zip(runners, connections) { try runner.enqueueDueSchedules(connection) }
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE schedule_name = \(name)")?.int("n") == 2)
    }

    @Test func uniqueKeysDeduplicate() throws {
        let key = TestDatabase.unique("key")
        let a = try JobQueue.enqueue(db, kind: kind, uniqueKey: key)
        let b = try JobQueue.enqueue(db, kind: kind, uniqueKey: key)
        #expect(a == b)
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE unique_key = \(key)")?.int("n") == 1)
    }

    @Test func unknownKindsFailVisibly() throws {
        let runner = JobRunner(registry: JobRegistry(), database: try TestDatabase.configuration(), kinds: [kind])
        let id = try JobQueue.enqueue(db, kind: kind)
        #expect(try runner.runNext(db))
        let s = try status(id)
        #expect(s.status == "failed")
        #expect(s.error?.contains("no handler") == true)
    }
}
