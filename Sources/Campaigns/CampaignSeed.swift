import Foundation
import MariaDB
import Web
import Core

/// Demo campaigns: a newsletter sent a month ago with realistic figures (about 55 % opened,
/// 17 % clicked, 1 % bounced) and the opens and clicks behind them on three links, and a
/// draft. Idempotent.
package enum CampaignSeed {
    /// The newsletter's links, the first clicked most.
    static let links = ["https://shop.example/spring", "https://shop.example/spring/dresses", "https://shop.example/stores"]

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        if let sent = try db.queryOne("SELECT id FROM campaigns WHERE tenant_id = \(tenant) AND name = 'March Newsletter'")?.int("id") {
            try engagements(db, tenant, campaign: sent)
            return
        }
        try db.execute("""
            INSERT IGNORE INTO segments (tenant_id, name, description, filters, created_at, updated_at)
            VALUES (\(tenant), 'Newsletter', 'Customers with an email address', '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """)
        guard let segment = try db.queryOne("SELECT id FROM segments WHERE tenant_id = \(tenant) AND name = 'Newsletter'")?.int("id") else { return }
        try db.execute("""
            INSERT IGNORE INTO segment_members (segment_id, customer_id, tenant_id, added_at)
            SELECT \(segment), id, tenant_id, UTC_TIMESTAMP(6) FROM customers WHERE tenant_id = \(tenant) AND email IS NOT NULL
            """)
        try db.execute("""
            UPDATE segments SET customers_count = (SELECT COUNT(*) FROM segment_members WHERE segment_id = \(segment)) WHERE id = \(segment)
            """)
        let body = """
            <h1>March news, {{first_name|friend}}</h1><p>Our spring collection is here. Members in {{city|your city}} get free shipping.</p>
            <p><a href="\(links[0])">See the collection</a></p>
            <p>New this month: <a href="\(links[1])">summer dresses</a>. Or come by: <a href="\(links[2])">find a store</a>.</p>
            """
        let sent = try db.execute("""
            INSERT INTO campaigns (tenant_id, name, type, status, segment_id, subject, body, sent_at, finished_at, created_at, updated_at)
            VALUES (\(tenant), 'March Newsletter', 'email', 'sent', \(segment), 'Spring is here, {{first_name|friend}}', \(body),
                    UTC_TIMESTAMP(6) - INTERVAL 30 DAY, UTC_TIMESTAMP(6) - INTERVAL 30 DAY + INTERVAL 4 MINUTE,
                    UTC_TIMESTAMP(6) - INTERVAL 32 DAY, UTC_TIMESTAMP(6) - INTERVAL 30 DAY)
            """).lastInsertID
        // r in [0, 1000) spreads the outcomes: < 11 bounced, < 14 unsubscribed, < 185 clicked,
        // < 560 opened, else delivered only; every fifth open is a privacy proxy's.
        try db.execute("""
            INSERT INTO campaign_messages (tenant_id, campaign_id, customer_id, address, token, status, attempts, next_attempt_at,
                                           sent_at, opened_at, clicked_at, human_opened_at, human_clicked_at, bounced_at, unsubscribed_at,
                                           opens, clicks, error)
            SELECT \(tenant), \(sent), x.id, x.email, LEFT(SHA2(CONCAT('seed/', x.id, '/', RAND()), 256), 24),
                   CASE WHEN x.r < 11 THEN 'bounced' WHEN x.r < 14 THEN 'unsubscribed' WHEN x.r < 185 THEN 'clicked'
                        WHEN x.r < 560 THEN 'opened' ELSE 'sent' END,
                   1, x.t, IF(x.r < 11, NULL, x.t),
                   IF(x.r >= 11 AND x.r < 560, x.t + INTERVAL (x.r * 7) MINUTE, NULL),
                   IF(x.r >= 11 AND x.r < 185, x.t + INTERVAL (x.r * 7 + 3) MINUTE, NULL),
                   IF(x.r >= 11 AND x.r < 560 AND MOD(x.r, 5) <> 0, x.t + INTERVAL (x.r * 7) MINUTE, NULL),
                   IF(x.r >= 14 AND x.r < 185 AND MOD(x.r, 7) <> 0, x.t + INTERVAL (x.r * 7 + 3) MINUTE, NULL),
                   IF(x.r < 11, x.t, NULL), IF(x.r >= 11 AND x.r < 14, x.t + INTERVAL 2 DAY, NULL),
                   IF(x.r >= 11 AND x.r < 560, 1 + MOD(x.r, 3), 0), IF(x.r >= 11 AND x.r < 185, 1, 0),
                   IF(x.r < 11, '550 5.1.1 The email account that you tried to reach does not exist', NULL)
            FROM (SELECT c.id, c.email, MOD(c.id * 7919, 1000) AS r, UTC_TIMESTAMP(6) - INTERVAL 30 DAY AS t
                  FROM segment_members m JOIN customers c ON c.id = m.customer_id
                  WHERE m.segment_id = \(segment) AND m.tenant_id = \(tenant)) x
            """)
        try db.execute("""
            UPDATE campaigns SET total_recipients = (SELECT COUNT(*) FROM campaign_messages WHERE campaign_id = \(sent)) WHERE id = \(sent)
            """)
        try engagements(db, tenant, campaign: sent)
        try db.execute("""
            INSERT INTO campaigns (tenant_id, name, type, status, segment_id, subject, body, created_at, updated_at)
            VALUES (\(tenant), 'Spring Sale', 'email', 'draft', \(segment), 'Exclusive offer for our best customers, {{first_name|friend}}',
                    '<h1>Spring Sale</h1><p>Use code SPRING25 for 25% off.</p><p><a href="https://shop.example/sale">Shop now</a></p>',
                    UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """)
        log("seed: campaigns March Newsletter (sent) and Spring Sale (draft)")
    }

    /// The newsletter's opens and clicks as the tracking links record them (the campaign
    /// report reads them): an open at each message's first open, a second one for every
    /// third, and a click on one of the links at its first click. Once.
    static func engagements(_ db: Connection, _ tenant: Tenant, campaign: Int) throws {
        if try db.queryOne("SELECT id FROM campaign_engagements WHERE campaign_id = \(campaign) LIMIT 1") != nil { return }
        try db.execute("""
            INSERT INTO campaign_engagements (tenant_id, campaign_id, message_id, kind, classification, user_agent, created_at)
            SELECT tenant_id, campaign_id, id, 'open', IF(human_opened_at IS NULL, 'proxy', 'human'), 'Mozilla/5.0 (seed)', opened_at
            FROM campaign_messages WHERE campaign_id = \(campaign) AND opened_at IS NOT NULL
            UNION ALL
            SELECT tenant_id, campaign_id, id, 'open', 'human', 'Mozilla/5.0 (seed)', opened_at + INTERVAL 5 HOUR
            FROM campaign_messages WHERE campaign_id = \(campaign) AND opened_at IS NOT NULL AND MOD(id, 3) = 0
            """)
        try db.execute("""
            INSERT INTO campaign_engagements (tenant_id, campaign_id, message_id, kind, classification, url, user_agent, created_at)
            SELECT tenant_id, campaign_id, id, 'click', IF(human_clicked_at IS NULL, 'proxy', 'human'),
                   CASE WHEN MOD(id, 6) < 3 THEN \(links[0]) WHEN MOD(id, 6) < 5 THEN \(links[1]) ELSE \(links[2]) END,
                   'Mozilla/5.0 (seed)', clicked_at
            FROM campaign_messages WHERE campaign_id = \(campaign) AND clicked_at IS NOT NULL
            """)
    }
}
