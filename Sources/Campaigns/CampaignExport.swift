import Foundation
import MariaDB
import Web
import Core
import Accounts

/// `GET /v1/campaigns/{id}/recipients.csv` (issue 25 part 2): the campaign's recipients (its
/// messages, as the campaign page lists them, in the same order), streamed along the primary
/// key by the one CSV writer. The audit log records the export first.
enum CampaignExport {
    static let columns = ["id", "customer_id", "customer_name", "address", "status", "sent_at", "opened_at", "clicked_at",
                          "bounced_at", "unsubscribed_at", "failed_at", "error"]

    /// A message's statuses (campaign_messages.status, schema/009 and 014).
    static let messageStatuses = ["queued", "sending", "sent", "opened", "clicked", "bounced", "unsubscribed", "failed", "cancelled"]

    @Sendable static func recipients(_ c: Context) throws -> Response {
        let id = try c.request.id()
        guard let campaign = try CampaignStore.find(c.db, c.tenant, id: id) else { throw HTTPError.notFound("Campaign not found.") }
        let chosen = try CSVWriter.columns(c.request.query["columns"], allowed: columns, defaults: columns)
        let status = c.request.query["status"].flatMap { $0.isEmpty ? nil : $0 }
        if let status, !messageStatuses.contains(status) {
            throw HTTPError.invalid("status", "The status must be one of \(messageStatuses.joined(separator: ", ")).")
        }
        try AuditLog.record(c, "campaign.recipients_exported", target: ("campaign", id), details: [
            "name": campaign.json("name"), "status": status.map(JSON.string) ?? .null,
        ])
        let db = c.db, tenant = c.tenant
        var after = 0
        return CSVWriter.stream(filename: "campaign-\(id)-recipients.csv", header: chosen) {
            let rows = try db.query("""
                SELECT m.id, m.customer_id, cu.name AS customer_name, m.address, m.status, m.sent_at, m.opened_at, m.clicked_at,
                       m.bounced_at, m.unsubscribed_at, m.failed_at, m.error
                FROM campaign_messages m LEFT JOIN customers cu ON cu.id = m.customer_id AND cu.tenant_id = m.tenant_id
                WHERE m.tenant_id = \(tenant) AND m.campaign_id = \(id) AND m.id > \(after)
                  AND (\(status) IS NULL OR m.status = \(status))
                ORDER BY m.id LIMIT 5000
                """)
            after = try rows.last?.int("id") ?? after
            return rows.map { row in chosen.map { CSVWriter.text(row.json($0)) } }
        }
    }
}
