import Foundation
import MariaDB

/// Single events (`/v1/track/event`, `/v1/track/pageview`) that arrive while another is being
/// written are written together, in one transaction: group commit in the pool.
///
/// A request thread that finds fewer than `leaders` transactions under way in its process
/// becomes a leader: it takes the events waiting (its own among them, up to `batchLimit`),
/// writes them on its own database connection, and hands each waiting thread its result.
/// The others wait for theirs. No request is answered before the transaction holding its
/// event has committed, so a 2xx still means committed, and nothing waits for a timer: an
/// event that arrives alone is written alone at once (the `track_one_event` procedure, one
/// round trip).
///
/// Events of one workspace go through `EventRecorder.record`, exactly as a batch does (the
/// customers' aggregates summed per customer, customers locked in id order, message ids
/// de-duplicated across the group too). If a group's transaction fails, its events are
/// written one by one, so that one event cannot fail another's request.
public final class TrackingGroupCommit: @unchecked Sendable {
    // @unchecked: `waiting`, `inFlight` and every Waiter's `outcome` are only touched while
    // holding `lock`.
    public static let shared = TrackingGroupCommit()

    /// Transactions under way at once per process. One: the events that arrive while it
    /// commits make the next group larger, and each group costs the server about the same
    /// few statements whatever its size. Measured on the bench's million-customer workspace
    /// (wrk -c64 on POST /v1/track/event, 2 processes x 16 threads): 2 leaders made groups of
    /// about 5 events and cost mariadbd 220-240 us an event; 1 leader, groups of about 8, cost
    /// 165-180 us; with 32 threads a process, groups of about 12, 135-140 us.
    let leaders = 1
    /// Events per transaction at most.
    let batchLimit = 100

    private final class Waiter {
        let tenant: Tenant
        let event: TrackedEvent
        var outcome: Result<EventRecorder.Result, any Error>?
        /// Each waiting thread sleeps on its own semaphore, woken when its outcome is set or
        /// when it is to lead the next group: a broadcast woke every waiting thread of the
        /// process at each commit, and the futex traffic of those that went back to sleep
        /// cost more of the pool's CPU than writing the events.
        let wake = DispatchSemaphore(value: 0)
        init(_ tenant: Tenant, _ event: TrackedEvent) {
            self.tenant = tenant
            self.event = event
        }
    }

    private let lock = NSLock()
    private var waiting: [Waiter] = []
    private var inFlight = 0
    private var groups = 0, grouped = 0

    /// Transactions that held more than one event since the process started, and their events.
    public var statistics: (groups: Int, events: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (groups, grouped)
    }

    /// Records `event`, alone or with others that arrived meanwhile; returns when it is committed.
    func record(_ db: Connection, _ tenant: Tenant, _ event: TrackedEvent) throws -> EventRecorder.Result {
        let me = Waiter(tenant, event)
        lock.lock()
        waiting.append(me)
        while true {
            if let outcome = me.outcome {
                lock.unlock()
                return try outcome.get()
            }
            if inFlight < leaders {
                // The oldest waiting events; `me` is among them unless more than batchLimit
                // wait, and then a later group (or the next turn of this loop) takes it.
                let group = Array(waiting.prefix(batchLimit))
                waiting.removeFirst(group.count)
                inFlight += 1
                if group.count > 1 { groups += 1; grouped += group.count }
                lock.unlock()
                let outcomes = Self.write(db, group)
                lock.lock()
                inFlight -= 1
                for (waiter, outcome) in zip(group, outcomes) {
                    waiter.outcome = outcome
                    if waiter !== me { waiter.wake.signal() }
                }
                // The first of those still waiting leads the next group.
                waiting.first?.wake.signal()
            } else {
                lock.unlock()
                me.wake.wait()
                lock.lock()
            }
        }
    }

    /// Writes a group; one outcome per waiter, in order.
    private static func write(_ db: Connection, _ group: [Waiter]) -> [Result<EventRecorder.Result, any Error>] {
        var outcomes = [Result<EventRecorder.Result, any Error>?](repeating: nil, count: group.count)
        var byTenant: [Int: [Int]] = [:]
        for (i, w) in group.enumerated() { byTenant[w.tenant.id, default: []].append(i) }
        for indexes in byTenant.values {
            let tenant = group[indexes[0]].tenant
            let events = indexes.map { group[$0].event }
            if indexes.count > 1, let results = try? EventRecorder.record(db, tenant, events) {
                for (i, result) in zip(indexes, results) { outcomes[i] = .success(result) }
            } else {
                for i in indexes { outcomes[i] = Result { try EventRecorder.recordOne(db, tenant, group[i].event) } }
            }
        }
        return outcomes.map { $0! }
    }
}
