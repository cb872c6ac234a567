import MariaDB
import Core

/// What campaigns add to a customer's timeline: each message sent to them, and when it was
/// opened, clicked, bounced or made them unsubscribe (the times `campaign_messages` keeps;
/// `human` tells an open by a person from one by a mail proxy or scanner, as the campaign
/// report counts them).
package enum CampaignTimeline {
    static func message(_ type: String, at: SQL) -> TimelineBranch {
        TimelineBranch(
            subject: "customer", types: [type], type: "\(type)", occurredAt: at, id: "m.id",
            data: """
                JSON_OBJECT('campaign_id', m.campaign_id, 'campaign_name', c.name, 'channel', c.type, 'address', m.address,
                            'status', m.status, 'opens', m.opens, 'clicks', m.clicks,
                            'human', m.human_opened_at IS NOT NULL OR m.human_clicked_at IS NOT NULL, 'error', m.error)
                """,
            from: "campaign_messages m FORCE INDEX (idx_messages_customer) JOIN campaigns c ON c.id = m.campaign_id",
            of: { tenant, id in "m.tenant_id = \(tenant) AND m.customer_id = \(id) AND \(at) IS NOT NULL" })
    }

    package static let branches = [
        message("message_sent", at: "m.sent_at"),
        message("message_opened", at: "m.opened_at"),
        message("message_clicked", at: "m.clicked_at"),
        message("message_bounced", at: "m.bounced_at"),
        message("message_unsubscribed", at: "m.unsubscribed_at"),
    ]
}
