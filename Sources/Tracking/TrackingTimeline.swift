import MariaDB
import Core

/// What tracking adds to a customer's timeline: their events, pageviews and identifies, read
/// through `idx_events_customer` (tenant, customer, time; the id is the index's suffix).
/// They came in through an API key, which the event does not keep.
package enum TrackingTimeline {
    package static let branches = [
        TimelineBranch(
            subject: "customer", types: ["event", "pageview", "identify"],
            type: "e.type", occurredAt: "e.occurred_at", id: "e.id", actorType: "'api_key'",
            data: """
                JSON_OBJECT('id', e.public_id, 'name', e.name, 'properties', JSON_EXTRACT(e.properties, '$'), 'amount', e.amount,
                            'currency', e.currency, 'url', e.url, 'referrer', e.referrer)
                """,
            from: "events e FORCE INDEX (idx_events_customer)",
            of: { tenant, id in "e.tenant_id = \(tenant) AND e.customer_id = \(id)" },
            only: { types in "e.type IN (\(list: Array(types)))" }),
    ]
}
