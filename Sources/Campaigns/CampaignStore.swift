import Cryptography
import Foundation
import MariaDB
import Web
import Core
import Jobs
import Messaging

/// A campaign's delivery figures, counted from its messages.
package struct CampaignStats {
    package var recipients = 0, delivered = 0, opened = 0, clicked = 0, humanOpened = 0, humanClicked = 0
    package var bounced = 0, unsubscribed = 0, failed = 0, pending = 0

    package init() {}

    init(_ row: Row) throws {
        recipients = try row.int("recipients")
        delivered = try row.int("delivered")
        opened = try row.int("opened")
        clicked = try row.int("clicked")
        humanOpened = try row.int("human_opened")
        humanClicked = try row.int("human_clicked")
        bounced = try row.int("bounced")
        unsubscribed = try row.int("unsubscribed")
        failed = try row.int("failed")
        pending = try row.int("pending")
    }

    /// The figures of several campaigns together.
    package static func + (a: CampaignStats, b: CampaignStats) -> CampaignStats {
        var s = a
        s.recipients += b.recipients; s.delivered += b.delivered; s.opened += b.opened; s.clicked += b.clicked
        s.humanOpened += b.humanOpened; s.humanClicked += b.humanClicked; s.bounced += b.bounced
        s.unsubscribed += b.unsubscribed; s.failed += b.failed; s.pending += b.pending
        return s
    }

    /// A percentage of the delivered messages, with one decimal (682 of 1240 → 55.0).
    package func rate(_ n: Int) -> Double {
        guard delivered > 0 else { return 0 }
        return (Double(n) * 1000 / Double(delivered)).rounded() / 10
    }

    static let columns: SQL = """
        campaign_id, COUNT(*) AS recipients,
        COUNT(IF(status IN ('sent', 'opened', 'clicked', 'unsubscribed'), 1, NULL)) AS delivered,
        COUNT(opened_at) AS opened, COUNT(clicked_at) AS clicked,
        COUNT(human_opened_at) AS human_opened, COUNT(human_clicked_at) AS human_clicked,
        COUNT(IF(status = 'bounced', 1, NULL)) AS bounced, COUNT(unsubscribed_at) AS unsubscribed,
        COUNT(IF(status = 'failed', 1, NULL)) AS failed, COUNT(IF(status IN ('queued', 'sending'), 1, NULL)) AS pending
        """
}

/// The SQL of campaigns. Every function takes the workspace.
package enum CampaignStore {
    static let columns: SQL = """
        id, name, type, status, segment_id, subject, body, scheduled_at, sent_at, finished_at,
        total_recipients, interrupted, created_at, updated_at
        """

    package static func find(_ db: Connection, _ tenant: Tenant, id: Int, lock: Bool = false) throws -> Row? {
        if lock {
            return try db.queryOne("SELECT \(columns) FROM campaigns WHERE tenant_id = \(tenant) AND id = \(id) FOR UPDATE")
        }
        return try db.queryOne("SELECT \(columns) FROM campaigns WHERE tenant_id = \(tenant) AND id = \(id)")
    }

    static func stats(_ db: Connection, _ tenant: Tenant, campaigns ids: [Int]) throws -> [Int: CampaignStats] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int: CampaignStats] = [:]
        for row in try db.query("""
            SELECT \(CampaignStats.columns) FROM campaign_messages
            WHERE tenant_id = \(tenant) AND campaign_id IN (\(list: ids)) GROUP BY campaign_id
            """) {
            result[try row.int("campaign_id")] = try CampaignStats(row)
        }
        return result
    }

    /// The figures of the messages that went out in [from, to) and in [previousFrom, from),
    /// every campaign together (the home dashboard), read along idx_messages_sent.
    package static func stats(_ db: Connection, _ tenant: Tenant, sentFrom previousFrom: Date, _ from: Date, _ to: Date) throws -> (current: CampaignStats, previous: CampaignStats) {
        var current = CampaignStats(), previous = CampaignStats()
        for row in try db.query("""
            SELECT \(CampaignStats.columns), sent_at >= \(from) AS current FROM campaign_messages FORCE INDEX (idx_messages_sent)
            WHERE tenant_id = \(tenant) AND sent_at >= \(previousFrom) AND sent_at < \(to) GROUP BY campaign_id, current
            """) {
            if try row.int("current") == 1 { current = current + (try CampaignStats(row)) } else { previous = previous + (try CampaignStats(row)) }
        }
        return (current, previous)
    }

    /// Members of the segment who can be reached on the channel and have not unsubscribed.
    /// The campaigns that send to this segment, with their status: what a segment's
    /// `used_by` names.
    @Sendable package static func segmentUsers(_ db: Connection, _ tenant: Tenant, id: Int) throws -> [(id: Int, name: String, status: String)] {
        try db.query("SELECT id, name, status FROM campaigns WHERE tenant_id = \(tenant) AND segment_id = \(id) ORDER BY id").map {
            (try $0.int("id"), try $0.string("name"), try $0.string("status"))
        }
    }

    static func audienceSize(_ db: Connection, _ tenant: Tenant, segment: Int, type: String) throws -> Int {
        try db.queryOne("""
            SELECT COUNT(*) AS n FROM segment_members m JOIN customers c ON c.id = m.customer_id AND c.tenant_id = m.tenant_id
            WHERE m.tenant_id = \(tenant) AND m.segment_id = \(segment) AND \(reachable(type, tenant))
            """)?.int("n") ?? 0
    }

    static func reachable(_ type: String, _ tenant: Tenant) -> SQL {
        switch type {
        case "sms":
            return "c.phone IS NOT NULL AND c.phone <> '' AND " + Unsubscribes.excluded(tenant, customerID: "c.id", channel: .sms)
        case "ad":
            return "((c.email IS NOT NULL AND c.email <> '') OR (c.phone IS NOT NULL AND c.phone <> ''))"
        default:
            return "c.email IS NOT NULL AND c.email <> '' AND " + Unsubscribes.excluded(tenant, customerID: "c.id", channel: .email)
        }
    }

    /// Freezes the audience into one message row per recipient and starts delivery, in one
    /// transaction with the caller's (the campaign row is locked by the caller). Returns the
    /// number of messages queued.
    static func start(_ db: Connection, _ tenant: Tenant, campaign: Row) throws -> Int {
        let id = try campaign.int("id")
        let type = try campaign.string("type")
        guard let segment = campaign.optionalInt("segment_id") else {
            throw HTTPError.invalid("segment_id", "Choose a segment before sending the campaign.")
        }
        if type == "email" {
            var errors = ValidationErrors()
            if (campaign.optionalString("subject") ?? "").isEmpty { errors.add("subject", "An email campaign needs a subject.") }
            if (campaign.optionalString("body") ?? "").isEmpty { errors.add("body", "An email campaign needs a body.") }
            try errors.check()
        } else if type == "sms", (campaign.optionalString("body") ?? "").isEmpty {
            throw HTTPError.invalid("body", "An SMS campaign needs a body.")
        }
        // Messages are queued (and so delivered) in customer order: the primary key's order, free to read.
        // Tokens: a SHA-256 of a random salt of this send and the customer id. The salt is
        // never stored, so tokens cannot be guessed from ids.
        let salt = Random.hex(bytes: 16)
        let address: SQL = type == "sms" ? "c.phone" : (type == "ad" ? "COALESCE(NULLIF(c.email, ''), c.phone)" : "c.email")
        let initial: SQL = type == "ad" ? "'sent'" : "'queued'"
        let queued = try db.execute("""
            INSERT INTO campaign_messages (tenant_id, campaign_id, customer_id, address, token, status, next_attempt_at, sent_at)
            SELECT \(tenant), \(id), c.id, \(address), LEFT(SHA2(CONCAT(\(salt), '/', c.id), 256), 24), \(initial),
                   UTC_TIMESTAMP(6), IF(\(initial) = 'sent', UTC_TIMESTAMP(6), NULL)
            FROM segment_members m JOIN customers c ON c.id = m.customer_id AND c.tenant_id = m.tenant_id
            WHERE m.tenant_id = \(tenant) AND m.segment_id = \(segment) AND \(reachable(type, tenant))
            ORDER BY m.customer_id
            """).affectedRows
        if type == "ad" {
            // An ad audience is delivered as a file: frozen now, downloadable at once.
            try db.execute("""
                UPDATE campaigns SET status = 'sent', sent_at = UTC_TIMESTAMP(6), finished_at = UTC_TIMESTAMP(6),
                    total_recipients = \(queued), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(tenant) AND id = \(id)
                """)
        } else {
            try db.execute("""
                UPDATE campaigns SET status = 'sending', sent_at = UTC_TIMESTAMP(6), total_recipients = \(queued),
                    updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(tenant) AND id = \(id)
                """)
            try JobQueue.enqueue(db, kind: CampaignDelivery.deliverKind, payload: ["campaign_id": .int(id)],
                                 tenantID: tenant.id, maxAttempts: 1000)
        }
        return queued
    }

    /// A scheduled campaign's start, as a job at its time. A changed schedule gets a new job;
    /// the old one finds the time changed and does nothing.
    static func scheduleStart(_ db: Connection, _ tenant: Tenant, campaign id: Int, at date: Date) throws {
        let stamp = Int(date.timeIntervalSince1970 * 1000)
        try JobQueue.enqueue(db, kind: CampaignDelivery.startKind,
                             payload: ["campaign_id": .int(id), "scheduled_at": .string(RFC3339.format(date))],
                             tenantID: tenant.id, runAt: date, uniqueKey: "campaign-start-\(id)-\(stamp)")
    }
}
