import MariaDB
import Core

/// What segments add to a customer's timeline: each entry and exit (`segment_changes`, the
/// same rows `GET /v1/customers/{id}/events` and the segment history read).
package enum SegmentChangesTimeline {
    package static let branches = [
        TimelineBranch(
            subject: "customer", types: ["segment_entered", "segment_exited"],
            type: "x.event", occurredAt: "x.occurred_at", id: "x.id",
            data: "JSON_OBJECT('segment_id', x.segment_id, 'segment_name', s.name, 'segment_color', s.color)",
            from: "segment_changes x JOIN segments s ON s.id = x.segment_id",
            of: { tenant, id in "x.tenant_id = \(tenant) AND x.customer_id = \(id)" },
            only: { types in "x.event IN (\(list: Array(types)))" }),
    ]
}
