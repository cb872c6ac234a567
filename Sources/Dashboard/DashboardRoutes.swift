import Analytics
import Foundation
import MariaDB
import Web
import Core
import Customers
import Tracking
import Segments
import Pipelines
import Campaigns

/// `GET /v1/dashboard?from=&to=&interval=day|week|month&pipeline_id=`: the home dashboard in
/// one answer. Every figure is read where its rule lives, in a fixed number of set-based
/// queries (none per row): the per-day rollups for events, revenue, orders and new customers
/// (`schema/033_dashboard.sql`), the workspace's customer counter, the stored CLV predictions,
/// the campaign figures (`CampaignStats`, human opens and clicks), the pipeline's stats
/// (`PipelineStats`: its funnel and open value), the segments' counts and history, and the
/// latest events (`TrackingRoutes.latest`, which the console then polls at `GET /v1/events`).
package enum DashboardRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/dashboard", .server, show)
    }

    /// Latest events in the answer.
    static let feedSize = 10

    @Sendable static func show(_ c: Context) throws -> Response {
        let today = try c.db.queryOne("SELECT DATEDIFF(UTC_DATE(), '1970-01-01') AS d")!.int("d")
        let range = try DashboardRange.parse(c.request.query, today: today)
        var pipelineID: Int?
        if let raw = c.request.query["pipeline_id"], !raw.isEmpty {
            guard let id = Int(raw), id > 0 else { throw HTTPError.invalid("pipeline_id", "The pipeline id must be a positive integer.") }
            pipelineID = id
        }
        let pipelines = try Pipeline.all(c.db, c.tenant)
        let pipeline = try pipelineID.map { id in
            guard let found = pipelines.first(where: { $0.id == id }) else { throw HTTPError.notFound("Pipeline not found.") }
            return found
        } ?? pipelines.first
        let funnel = try pipeline.map { try PipelineStats.stats(c.db, c.tenant, $0) } ?? .null

        let totals = try DashboardStore.totals(c.db, c.tenant, range)
        let active = try DashboardStore.activeCustomers(c.db, c.tenant, range, customerDays: totals.customerDays)
        let predicted = try DashboardStore.predictedValue(c.db, c.tenant)
        let campaigns = try CampaignStore.stats(c.db, c.tenant, sentFrom: DashboardRange.from(range.previousFrom),
                                                DashboardRange.from(range.from), DashboardRange.from(range.to))
        let customersNow = try CustomerTotals.workspaceCustomers(c.db, c.tenant)
        let customersAtEnd = customersNow - totals.newCustomersSinceEnd
        let customersAtStart = customersAtEnd - totals.newCustomers.current

        let predictedTile: JSON = [
            "value": predicted.total.map { .number(DashboardStore.money($0)) } ?? .null, "previous": .null, "change": .null, "unit": "money",
            "customers": .int(predicted.customers), "as_of": predicted.asOf,
        ]
        let pipelineTile: JSON = [
            "value": funnel["totals"]?["open_sum"] ?? .null, "previous": .null, "change": .null, "unit": "money",
            "open_entries": funnel["totals"]?["open"] ?? .null, "pipeline_id": pipeline.map { .int($0.id) } ?? .null,
        ]
        var activeTile = active.map { count($0.current, $0.previous) }
            ?? ["value": .null, "previous": .null, "change": .null, "unit": "count", "counting": true]
        if case .object(var o) = activeTile {
            o["counted_at"] = active?.countedAt.map { .string(RFC3339.format($0)) } ?? .null
            activeTile = .object(o)
        }
        let kpis: JSON = [
            "customers": count(customersAtEnd, customersAtStart),
            "new_customers": count(totals.newCustomers.current, totals.newCustomers.previous),
            "active_customers": activeTile,
            "events": count(totals.events.current, totals.events.previous),
            "orders": count(totals.orders.current, totals.orders.previous),
            "revenue": money(totals.revenue.current, totals.revenue.previous),
            "average_order_value": money(totals.averageOrder.current, totals.averageOrder.previous),
            "predicted_clv": predictedTile,
            "messages_sent": count(campaigns.current.delivered, campaigns.previous.delivered),
            "human_open_rate": rate(campaigns.current, campaigns.previous, \.humanOpened),
            "human_click_rate": rate(campaigns.current, campaigns.previous, \.humanClicked),
            "open_pipeline_value": pipelineTile,
        ]

        let segments = try DashboardStore.segments(c.db, c.tenant, range)
        let latest = try TrackingRoutes.latest(c.db, c.tenant, limit: feedSize)
        return .json([
            "from": .string(DashboardRange.text(range.from)), "to": .string(DashboardRange.text(range.to)),
            "interval": .string(range.interval.rawValue),
            "previous": ["from": .string(DashboardRange.text(range.previousFrom)), "to": .string(DashboardRange.text(range.from))],
            "empty": .bool(customersNow == 0 && latest.isEmpty),
            "kpis": kpis,
            "series": .array(try DashboardStore.series(c.db, c.tenant, range)),
            "pipelines": .array(pipelines.map { ["id": .int($0.id), "name": .string($0.name), "crm_entity_id": .int($0.entityID)] }),
            "funnel": funnel,
            "top_segments": .array(try segments.top.map { try segment($0, segments.changes[try $0.int("id")]) }),
            "rfm": ["as_of": predicted.asOf, "segments": .array(rfm(segments.rfm))],
            "latest_events": .array(latest),
        ])
    }

    /// A tile of a count: the value, the previous period's, and the change as a fraction of it
    /// (0.25 is 25 % more; null when the previous period had none).
    static func count(_ value: Int, _ previous: Int) -> JSON {
        ["value": .int(value), "previous": .int(previous), "change": change(Decimal(value), Decimal(previous)), "unit": "count"]
    }

    static func money(_ value: Decimal?, _ previous: Decimal?) -> JSON {
        [
            "value": value.map { .number(DashboardStore.money($0)) } ?? .null,
            "previous": previous.map { .number(DashboardStore.money($0)) } ?? .null,
            "change": value.flatMap { v in previous.map { change(v, $0) } } ?? .null, "unit": "money",
        ]
    }

    /// A rate of the delivered messages (`CampaignStats.rate`, in percent); its change is the
    /// difference in percentage points. Null without delivered messages.
    static func rate(_ current: CampaignStats, _ previous: CampaignStats, _ part: KeyPath<CampaignStats, Int>) -> JSON {
        let value: Double? = current.delivered > 0 ? current.rate(current[keyPath: part]) : nil
        let before: Double? = previous.delivered > 0 ? previous.rate(previous[keyPath: part]) : nil
        let points: JSON = value.flatMap { v in before.map { .double(((v - $0) * 10).rounded() / 10) } } ?? .null
        return ["value": JSON.from(value), "previous": JSON.from(before), "change": points, "unit": "percent"]
    }

    static func change(_ value: Decimal, _ previous: Decimal) -> JSON {
        guard previous != 0 else { return .null }
        let ratio = NSDecimalNumber(decimal: (value - previous) / previous).doubleValue
        return .double((ratio * 10_000).rounded() / 10_000)
    }

    /// A top segment: its size now and at the period's start and end, from its entries and exits.
    static func segment(_ row: Row, _ changes: Row?) throws -> JSON {
        let now = try row.int("customers_count")
        let entered = changes?.optionalInt("entered") ?? 0, exited = changes?.optionalInt("exited") ?? 0
        let atEnd = now - (changes?.optionalInt("since_end") ?? 0)
        let atStart = atEnd - entered + exited
        return [
            "id": .int(try row.int("id")), "name": row.json("name"), "color": row.json("color"), "status": row.json("status"),
            "customers_count": .int(now), "customers_at_start": .int(atStart), "customers_at_end": .int(atEnd),
            "entered": .int(entered), "exited": .int(exited), "change": change(Decimal(atEnd), Decimal(atStart)),
        ]
    }

    /// The built-in RFM segments in the RFM order (Champions first), with their member counts.
    static func rfm(_ rows: [Row]) -> [JSON] {
        RFM.Segment.allCases.compactMap { segment in
            guard let row = rows.first(where: { $0.optionalString("system_key") == segment.rawValue }) else { return nil }
            return [
                "segment": .string(segment.rawValue), "segment_id": row.json("id"), "color": row.json("color"),
                "customers": row.json("customers_count"), "status": row.json("status"),
            ]
        }
    }
}
