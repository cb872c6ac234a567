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
    // holding `condition`.
    public static let shared = TrackingGroupCommit()

    /// Transactions under way at once per process: while one waits for its commit's flush,
    /// the next group is written.
    let leaders = 2
    /// Events per transaction at most.
    let batchLimit = 100

    private final class Waiter {
        let tenant: Tenant
        let event: TrackedEvent
        var outcome: Result<EventRecorder.Result, any Error>?
        init(_ tenant: Tenant, _ event: TrackedEvent) {
            self.tenant = tenant
            self.event = event
        }
    }

    private let condition = NSCondition()
    private var waiting: [Waiter] = []
    private var inFlight = 0
    private var groups = 0, grouped = 0

    /// Transactions that held more than one event since the process started, and their events.
    public var statistics: (groups: Int, events: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (groups, grouped)
    }

    /// Records `event`, alone or with others that arrived meanwhile; returns when it is committed.
    func record(_ db: Connection, _ tenant: Tenant, _ event: TrackedEvent) throws -> EventRecorder.Result {
        let me = Waiter(tenant, event)
        condition.lock()
        waiting.append(me)
        while true {
            if let outcome = me.outcome {
                condition.unlock()
                return try outcome.get()
            }
            if inFlight < leaders, !waiting.isEmpty {
                let group = Array(waiting.prefix(batchLimit))
                waiting.removeFirst(group.count)
                inFlight += 1
                if group.count > 1 { groups += 1; grouped += group.count }
                condition.unlock()
                let outcomes = Self.write(db, group)
                condition.lock()
                inFlight -= 1
                for (waiter, outcome) in zip(group, outcomes) { waiter.outcome = outcome }
                condition.broadcast()
            } else {
                condition.wait()
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
