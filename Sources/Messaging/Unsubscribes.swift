import Core
import Foundation
import MariaDB

/// Who left a channel: one list for campaigns and automations alike. A customer who
/// unsubscribes through a campaign's link or an automation email's link gets nothing more on
/// that channel from either. The table is `campaign_unsubscribes` (older than automations).
package enum Unsubscribes {
    package enum Channel: String, Sendable { case email, sms }

    /// Whether the customer left the channel.
    package static func contains(_ db: Connection, _ tenant: Tenant, customer: Int, channel: Channel) throws -> Bool {
        try db.queryOne("""
            SELECT 1 AS x FROM campaign_unsubscribes WHERE tenant_id = \(tenant) AND customer_id = \(customer) AND channel = \(channel.rawValue)
            """) != nil
    }

    /// An audience condition: the customer whose id is `customerID` (a column) has not left the channel.
    package static func excluded(_ tenant: Tenant, customerID: SQL, channel: Channel) -> SQL {
        """
        NOT EXISTS (SELECT 1 FROM campaign_unsubscribes u
        WHERE u.tenant_id = \(tenant) AND u.customer_id = \(customerID) AND u.channel = \(channel.rawValue))
        """
    }

    /// Records that the customer left the channel (through `campaignID`'s link, or an
    /// automation email's: nil). True the first time, false when they had left already.
    @discardableResult
    package static func add(_ db: Connection, _ tenant: Tenant, customer: Int, channel: Channel, campaignID: Int?) throws -> Bool {
        let first = try db.execute("""
            INSERT IGNORE INTO campaign_unsubscribes (tenant_id, customer_id, channel, campaign_id, created_at)
            VALUES (\(tenant), \(customer), \(channel.rawValue), \(campaignID), UTC_TIMESTAMP(6))
            """).affectedRows == 1
        if first {
            try WebhookOutbox.record(db, tenant: tenant.id, [.init("message.unsubscribed", subject: "customer:\(customer)", data: [
                "customer_id": .int(Int64(customer)), "channel": .string(channel.rawValue),
                "campaign_id": campaignID.map { .int(Int64($0)) } ?? .null,
            ])])
        }
        return first
    }

    /// The automation email an unsubscribe token names (its signature checked by `links`),
    /// with its workspace and customer.
    package static func automationEmail(_ db: Connection, links: CampaignLinks, token: String)
        throws -> (tenant: Tenant, customerID: Int, automationID: Int, messageID: Int)? {
        guard let id = links.automationMessageID(token: token), let row = try db.queryOne("""
            SELECT m.tenant_id, m.automation_id, e.customer_id FROM automation_messages m
            JOIN automation_enrolments e ON e.id = m.enrolment_id AND e.tenant_id = m.tenant_id
            WHERE m.id = \(id) AND m.channel = 'email'
            """) else { return nil }
        return (Tenant(id: try row.int("tenant_id")), try row.int("customer_id"), try row.int("automation_id"), id)
    }
}
