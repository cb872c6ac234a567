import Cryptography
import FastCGI
import Foundation
import MariaDB
import Core

/// Exact totals of large lists, counted in full and shared by every worker process through
/// `crm_list_totals` (schema/019_list_totals.sql).
///
/// How stale a total may be: a total served reflects every write committed more than
/// `lifetime` (30 s) before the request, and usually those of the last `refreshAfter` (10 s)
/// too. It is always an exact count, never an estimate, but of a moment up to 30 s ago.
///
/// - younger than `refreshAfter`: served;
/// - younger than `lifetime`: served, and one background thread of this process recounts it
///   (unless another counter holds the list's lease), so lists in steady use are recounted
///   every 10 s or so without a request waiting for it;
/// - older, or never counted: the request counts it, holding the lease; other requests for
///   the same list meanwhile wait for that count instead of counting it again.
///
/// The lease (`counting_until`) is a replicated row taken by a conditional UPDATE, so one
/// counter at a time per list across processes and database nodes.
package enum ListTotals {
    static let lifetime = 30.0
    static let refreshAfter = 10.0
    /// How long a counter may hold a list's lease before another may take it over.
    static let leaseSeconds = 60
    /// How long a request waits for another counter's count before counting itself (a full
    /// count of a million entries takes about a second; a counter that died holding the
    /// lease holds it until `leaseSeconds` run out).
    static let waitLimit = 5.0

    /// The list's key: a SHA-256 of `key` (the list's SQL text and its parameters).
    static func digest(_ key: String) -> [UInt8] { Digest.sha256(key) }

    struct Stored {
        var total: Int?
        var age: Double?
        var leased: Bool
    }

    static func read(_ db: Connection, _ tenant: Tenant, _ digest: [UInt8]) throws -> Stored? {
        guard let row = try db.queryOne("""
            SELECT total, TIMESTAMPDIFF(MICROSECOND, computed_at, UTC_TIMESTAMP(6)) AS age_us,
                   counting_until > UTC_TIMESTAMP(6) AS leased
            FROM crm_list_totals WHERE tenant_id = \(tenant) AND list_key = \(digest)
            """) else { return nil }
        return Stored(total: row.optionalInt("total"), age: row.optionalInt("age_us").map { Double($0) / 1e6 },
                      leased: row.optionalInt("leased") == 1)
    }

    /// Takes the list's lease (creating its row): true when this caller may count it.
    /// `staleAfter`: only when the stored count is at least that old (a refresh).
    static func lease(_ db: Connection, _ tenant: Tenant, _ digest: [UInt8], staleAfter: Double? = nil) throws -> Bool {
        try db.execute("INSERT IGNORE INTO crm_list_totals (tenant_id, list_key) VALUES (\(tenant), \(digest))")
        let stale: SQL = staleAfter.map {
            " AND (computed_at IS NULL OR computed_at < UTC_TIMESTAMP(6) - INTERVAL \(Int($0 * 1e6)) MICROSECOND)"
        } ?? ""
        return try db.execute("""
            UPDATE crm_list_totals SET counting_until = UTC_TIMESTAMP(6) + INTERVAL \(leaseSeconds) SECOND
            WHERE tenant_id = \(tenant) AND list_key = \(digest)
              AND (counting_until IS NULL OR counting_until < UTC_TIMESTAMP(6))\(stale)
            """).affectedRows == 1
    }

    /// Counts with the lease held and stores the count with the time it began (a count
    /// that began earlier than the stored one does not replace it); gives the lease up.
    static func countAndStore(_ db: Connection, _ tenant: Tenant, _ digest: [UInt8],
                              _ count: (Connection) throws -> Int) throws -> Int {
        do {
            // The count sees every write committed before it began (its own read view).
            try db.execute("SET @list_total_began = UTC_TIMESTAMP(6)")
            let total = try count(db)
            try db.execute("""
                UPDATE crm_list_totals
                SET total = IF(computed_at IS NULL OR computed_at <= @list_total_began, \(total), total),
                    computed_at = IF(computed_at IS NULL OR computed_at <= @list_total_began, @list_total_began, computed_at),
                    counting_until = NULL
                WHERE tenant_id = \(tenant) AND list_key = \(digest)
                """)
            return total
        } catch {
            _ = try? db.execute("UPDATE crm_list_totals SET counting_until = NULL WHERE tenant_id = \(tenant) AND list_key = \(digest)")
            throw error
        }
    }

    /// The stored total of the list `key` of `tenant`, if it is younger than `lifetime`;
    /// past `refreshAfter`, this process's background thread recounts it with `count` (on
    /// its own connection).
    package static func cached(_ db: Connection, _ tenant: Tenant, key: String,
                       count: @escaping @Sendable (Connection) throws -> Int) throws -> Int? {
        let digest = digest(key)
        guard let stored = try read(db, tenant, digest), let total = stored.total, let age = stored.age, age < lifetime else {
            return nil
        }
        if age >= refreshAfter && !stored.leased {
            Recounter.shared.enqueue(.init(tenant: tenant, digest: digest, configuration: db.configuration, count: count))
        }
        return total
    }

    /// The list `key` of `tenant` counted now with `count` and stored, or, when another
    /// request or process is counting it already, that count when it is stored.
    package static func counted(_ db: Connection, _ tenant: Tenant, key: String, count: (Connection) throws -> Int) throws -> Int {
        let digest = digest(key)
        let started = Date()
        while true {
            if try lease(db, tenant, digest) {
                let total = try countAndStore(db, tenant, digest, count)
                // Lists not asked for in a day go (this workspace's only).
                try db.execute("""
                    DELETE FROM crm_list_totals WHERE tenant_id = \(tenant) AND computed_at < UTC_TIMESTAMP(6) - INTERVAL 1 DAY
                    """)
                return total
            }
            usleep(20_000)
            if let stored = try read(db, tenant, digest), let total = stored.total, let age = stored.age, age < lifetime {
                return total
            }
            // The other counter is taking too long (or died holding the lease): count here.
            if Date().timeIntervalSince(started) > waitLimit { return try count(db) }
        }
    }

    /// One thread per process that recounts lists past `refreshAfter`, one at a time, on a
    /// connection of its own. Started at the first refresh.
    final class Recounter: @unchecked Sendable {
        // @unchecked: `queue`, `queued` and `started` are only touched while holding `lock`.
        struct Task: Sendable {
            let tenant: Tenant
            let digest: [UInt8]
            let configuration: DatabaseConfiguration
            let count: @Sendable (Connection) throws -> Int
            var name: String { "\(tenant.id):" + digest.map { String(format: "%02x", $0) }.joined() }
        }

        static let shared = Recounter()
        private let lock = NSCondition()
        private var queue: [Task] = []
        private var queued: Set<String> = []
        private var started = false

        func enqueue(_ task: Task) {
            lock.lock()
            defer { lock.unlock() }
            guard queue.count < 1_000, queued.insert(task.name).inserted else { return }
            queue.append(task)
            if !started {
                started = true
                let thread = Thread { [self] in run(task.configuration) }
                thread.stackSize = 1 << 20
                thread.start()
            }
            lock.signal()
        }

        private func next() -> Task {
            lock.lock()
            defer { lock.unlock() }
            while queue.isEmpty { lock.wait() }
            return queue.removeFirst()
        }

        private func done(_ task: Task) {
            lock.lock()
            defer { lock.unlock() }
            queued.remove(task.name)
        }

        private func run(_ configuration: DatabaseConfiguration) {
            Connection.initializeThread()
            let db = Connection(configuration: configuration)
            while true {
                let task = next()
                do {
                    db.dropIfClosedByServer()
                    if try ListTotals.lease(db, task.tenant, task.digest, staleAfter: ListTotals.refreshAfter) {
                        _ = try ListTotals.countAndStore(db, task.tenant, task.digest, task.count)
                    }
                } catch {
                    Log.warning("list totals: a background recount failed: \(error)")
                }
                done(task)
            }
        }
    }
}
