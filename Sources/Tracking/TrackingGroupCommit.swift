import Foundation
import FastCGI
import MariaDB
import Platform
import Core

/// Single events (`/v1/track/event`, `/v1/track/pageview`) that arrive while another group
/// is being written are written together, in one transaction: group commit in the pool.
///
/// Each worker process has one writer thread with its own database connection. A request
/// thread hands it the event and goes on to its next request at once: the request is
/// detached (`Response.pending`) and the writer answers it after the commit. While the
/// writer commits a group, the events that arrive form the next one, so groups grow with
/// the load, not with the number of pool threads (when the request threads waited for their
/// commit themselves, a larger group needed more threads, and 32 threads a process made the
/// cheapest requests' tail latency worse). No request is answered before the transaction
/// holding its event has committed, so a 2xx still means committed, and nothing waits for a
/// timer: an event that arrives alone is written alone at once (the `track_one_event`
/// procedure, one round trip).
///
/// Events of one workspace go through `EventRecorder.record`, exactly as a batch does (the
/// customers' aggregates summed per customer, customers locked in id order, message ids
/// de-duplicated across the group too). If a group's transaction fails, its events are
/// written one by one, so that one event cannot fail another's request.
public final class TrackingGroupCommit: Sendable {
    public static let shared = TrackingGroupCommit()

    /// Events per transaction at most.
    let batchLimit = 100

    typealias Outcome = Result<EventRecorder.Result, any Error>

    private struct Waiter {
        let tenant: Tenant
        let event: TrackedEvent
        let done: @Sendable (Outcome) -> Void
    }

    private struct Queue {
        var waiting: [Waiter] = []
        var writing = false
        var sleeping = false
        /// The writer, started by the first event; it lives as long as the process.
        var writer: JoinableThread?
        var groups = 0, grouped = 0
    }
    private let queue = Lock(Queue())
    private let wake = DispatchSemaphore(value: 0)

    /// Transactions that held more than one event since the process started, and their events.
    public var statistics: (groups: Int, events: Int) {
        queue.withLock { ($0.groups, $0.grouped) }
    }

    /// Queues `event` for the writer; `done` is called on the writer's thread once the event
    /// is committed (or has failed).
    func submit(_ database: DatabaseConfiguration, _ tenant: Tenant, _ event: TrackedEvent,
                done: @escaping @Sendable (Outcome) -> Void) throws {
        let asleep = try queue.withLock { queue in
            if queue.writer == nil {
                queue.writer = try JoinableThread(stackSize: 1 << 20) { [self] in run(database) }
            }
            queue.waiting.append(Waiter(tenant: tenant, event: event, done: done))
            defer { queue.sleeping = false }
            return queue.sleeping
        }
        if asleep { wake.signal() }
    }

    /// Returns once every event queued so far is written and answered (a stopping worker).
    package func waitUntilIdle() {
        while true {
            if queue.withLock({ $0.waiting.isEmpty && !$0.writing }) { return }
            usleep(1_000)
        }
    }

    /// The writer thread: takes the waiting events, writes them, answers them; sleeps when
    /// none wait.
    private func run(_ database: DatabaseConfiguration) {
        Connection.initializeThread()
        let db = Connection(configuration: database)
        while true {
            let group: [Waiter] = queue.withLock { queue in
                if queue.waiting.isEmpty {
                    queue.writing = false
                    queue.sleeping = true
                    return []
                }
                let group = Array(queue.waiting.prefix(batchLimit))
                queue.waiting.removeFirst(group.count)
                queue.writing = true
                if group.count > 1 { queue.groups += 1; queue.grouped += group.count }
                return group
            }
            if group.isEmpty {
                wake.wait()
                continue
            }
            for (waiter, outcome) in zip(group, Self.write(db, group)) { waiter.done(outcome) }
        }
    }

    /// Writes a group; one outcome per waiter, in order.
    private static func write(_ db: Connection, _ group: [Waiter]) -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: group.count)
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
