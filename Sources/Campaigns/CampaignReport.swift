import Foundation
import MariaDB
import Web
import Core

/// `GET /v1/campaigns/{id}/report`: clicks per link and opens and clicks over time, from the
/// recorded engagements (`campaign_engagements`, one row per open or click with the link's
/// destination URL). Scanners' clicks and opens are left out, as the campaign's counts leave
/// them out; proxies' opens (Apple Mail's) count as opens, as they do there.
enum CampaignReport {
    /// The buckets of the series: SQL that turns `created_at` into its bucket's start.
    static let buckets: [String: SQL] = [
        "hour": "DATE_FORMAT(e.created_at, '%Y-%m-%d %H:00:00')",
        "day": "DATE_FORMAT(e.created_at, '%Y-%m-%d 00:00:00')",
    ]

    @Sendable static func report(_ c: Context) throws -> Response {
        guard let campaign = try CampaignStore.find(c.db, c.tenant, id: try c.request.id()) else {
            throw HTTPError.notFound("Campaign not found.")
        }
        let id = try campaign.int("id")
        let counted: SQL = "e.tenant_id = \(c.tenant) AND e.campaign_id = \(id) AND e.classification <> 'scanner'"
        let links = try c.db.query("""
            SELECT e.url, COUNT(*) AS clicks, COUNT(DISTINCT e.message_id) AS unique_clicks,
                   COUNT(IF(e.classification = 'human', 1, NULL)) AS human_clicks
            FROM campaign_engagements e WHERE \(counted) AND e.kind = 'click' AND e.url IS NOT NULL
            GROUP BY e.url ORDER BY clicks DESC, e.url LIMIT 100
            """).map { $0.json(["url", "clicks", "unique_clicks", "human_clicks"]) }
        // Hours for a campaign whose engagements span three days or less, else days.
        let span = try c.db.queryOne("""
            SELECT MIN(e.created_at) AS first, MAX(e.created_at) AS last FROM campaign_engagements e
            WHERE \(counted) AND e.kind IN ('open', 'click')
            """)
        let first = span?.optionalDate("first")
        let last = span?.optionalDate("last")
        var interval = c.request.query["interval"] ?? ((last ?? .distantPast).timeIntervalSince(first ?? .distantPast) <= 3 * 86_400 ? "hour" : "day")
        if buckets[interval] == nil {
            throw HTTPError.invalid("interval", "The interval is hour or day.")
        }
        if interval == "hour", let first, let last, last.timeIntervalSince(first) > 90 * 86_400 { interval = "day" }
        let bucket = buckets[interval]!
        var counts: [String: (opens: Int, clicks: Int)] = [:]
        for row in try c.db.query("""
            SELECT \(bucket) AS at, COUNT(IF(e.kind = 'open', 1, NULL)) AS opens, COUNT(IF(e.kind = 'click', 1, NULL)) AS clicks
            FROM campaign_engagements e WHERE \(counted) AND e.kind IN ('open', 'click') GROUP BY at
            """) {
            counts[try row.string("at")] = (try row.int("opens"), try row.int("clicks"))
        }
        return .json([
            "campaign_id": .int(id), "interval": .string(interval), "links": .array(links),
            "series": .array(series(counts, from: first, to: last, step: interval == "hour" ? 3600 : 86_400)),
            "totals": ["opens": .int(counts.values.reduce(0) { $0 + $1.opens }), "clicks": .int(counts.values.reduce(0) { $0 + $1.clicks })],
        ])
    }

    /// Every bucket from the first engagement's to the last's, the empty ones with zeros, so
    /// that a chart's axis is time.
    static func series(_ counts: [String: (opens: Int, clicks: Int)], from first: Date?, to last: Date?, step: TimeInterval) -> [JSON] {
        guard let first, let last else { return [] }
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let start = (first.timeIntervalSince1970 / step).rounded(.down) * step
        var out: [JSON] = []
        var t = start
        while t <= last.timeIntervalSince1970, out.count < 2_200 {
            let key = format.string(from: Date(timeIntervalSince1970: t))
            let n = counts[key] ?? (0, 0)
            out.append(["at": .string(key.replacingOccurrences(of: " ", with: "T") + "Z"), "opens": .int(n.opens), "clicks": .int(n.clicks)])
            t += step
        }
        return out
    }
}
