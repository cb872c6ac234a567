import Foundation
import MariaDB
import Web

/// One row of the `jobs` table, as a handler sees it.
public struct Job: Sendable {
    public let id: Int
    public let tenantID: Int?
    public let kind: String
    public let payload: JSON
    /// Counting this run.
    public let attempts: Int
    public let maxAttempts: Int

    init(row: Row) throws {
        id = try row.int("id")
        tenantID = row.optionalInt("tenant_id")
        kind = try row.string("kind")
        payload = (try? JSONParser.parse(try row.string("payload"))) ?? .object(JSONObject())
        attempts = try row.int("attempts")
        maxAttempts = try row.int("max_attempts")
    }
}

/// What a handler gets: the job and the runner thread's own connection.
public struct JobContext {
    public let job: Job
    public let db: Connection
    let runnerID: String

    /// The runner (and its thread) running this job.
    public var runnerName: String { String(runnerID.split(separator: "/").first ?? "") }

    /// Extends the lease of a long job so that no other runner takes it over.
    public func heartbeat(seconds: Int = 300) throws {
        try db.execute("""
            UPDATE jobs SET locked_until = UTC_TIMESTAMP(6) + INTERVAL \(seconds) SECOND
            WHERE id = \(job.id) AND locked_by = \(runnerID)
            """)
    }
}

/// The handlers of each job kind. Features register theirs; the runner looks them up.
public struct JobRegistry: Sendable {
    public struct Entry: Sendable {
        public let maxAttempts: Int
        /// Seconds a claimed job may run before another runner may take it over.
        public let leaseSeconds: Int
        public let handler: @Sendable (JobContext) throws -> Void
    }

    public private(set) var entries: [String: Entry] = [:]
    public private(set) var schedules: [JobSchedule] = []
    public private(set) var loops: [JobLoop] = []

    public init() {}

    /// Work polled continuously by a thread of its own in every runner, for latency a
    /// queued job cannot give (seconds, not a poll interval plus a claim). The handler
    /// returns true when it did something; it is then called again at once, else after
    /// `interval` seconds. It must be safe with many runners (claim with SKIP LOCKED).
    public mutating func loop(_ name: String, interval: Double, _ handler: @escaping @Sendable (Connection) throws -> Bool) {
        loops.append(JobLoop(name: name, interval: interval, handler: handler))
    }

    public mutating func register(_ kind: String, maxAttempts: Int = 5, leaseSeconds: Int = 300,
                                  _ handler: @escaping @Sendable (JobContext) throws -> Void) {
        entries[kind] = Entry(maxAttempts: maxAttempts, leaseSeconds: leaseSeconds, handler: handler)
    }

    /// A job of `kind` enqueued every `seconds`, exactly once per period across all runners.
    public mutating func every(_ seconds: Int, name: String, kind: String, payload: JSON = [:]) {
        schedules.append(JobSchedule(name: name, kind: kind, payload: payload, intervalSeconds: seconds))
    }
}

/// A handler polled continuously by each runner (see `JobRegistry.loop`).
public struct JobLoop: Sendable {
    public let name: String
    public let interval: Double
    public let handler: @Sendable (Connection) throws -> Bool
}

/// A recurring job.
public struct JobSchedule: Sendable {
    public let name: String
    public let kind: String
    public let payload: JSON
    public let intervalSeconds: Int
}

/// Puts jobs on the queue.
public enum JobQueue {
    /// Enqueues a job; with a `uniqueKey`, a job with the same key is not enqueued twice
    /// (the existing one's id is returned).
    @discardableResult
    public static func enqueue(_ db: Connection, kind: String, payload: JSON = [:], tenantID: Int? = nil,
                               runAt: Date? = nil, maxAttempts: Int = 5, uniqueKey: String? = nil) throws -> Int {
        let payloadText = JSONWriter.string(payload)
        let when = runAt ?? Date()
        if let uniqueKey {
            try db.execute("""
                INSERT INTO jobs (tenant_id, kind, payload, max_attempts, run_at, unique_key, created_at, updated_at)
                VALUES (\(tenantID), \(kind), \(payloadText), \(maxAttempts), \(when), \(uniqueKey), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)
                """)
            return try db.queryOne("SELECT LAST_INSERT_ID() AS id")?.int("id") ?? 0
        }
        return try db.execute("""
            INSERT INTO jobs (tenant_id, kind, payload, max_attempts, run_at, created_at, updated_at)
            VALUES (\(tenantID), \(kind), \(payloadText), \(maxAttempts), \(when), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
    }
}
