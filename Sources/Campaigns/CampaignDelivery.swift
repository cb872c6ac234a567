import FastCGI
import Cryptography
import Foundation
import MariaDB
import Web
import Core
import Jobs
import Messaging

/// The delivery of campaigns in `entercrm jobs`.
///
/// At most once per recipient: a batch of messages is marked `sending` (committed) before
/// its SMTP transactions, and each outcome is recorded after them. A message found still
/// `sending` when a delivery job starts was in flight when a runner died: whether the relay
/// got it is unknown, so it is marked `failed` ("interrupted"), counted on the campaign,
/// logged, and never sent again.
package enum CampaignDelivery {
    static let deliverKind = "campaigns.deliver"
    static let startKind = "campaigns.start"
    /// Attempts of a message refused for now (SMTP 4xx) before it bounces.
    static let maxMessageAttempts = 4
    /// A delivery job's lease; renewed by a heartbeat while it sends.
    static let leaseSeconds = 20

    package static func register(_ registry: inout JobRegistry) {
        registry.register(deliverKind, maxAttempts: 1000, leaseSeconds: leaseSeconds) { context in
            guard let tenantID = context.job.tenantID, let id = context.job.payload["campaign_id"]?.intValue else { return }
            let env = ProcessInfo.processInfo.environment
            let retry = env["ENTERCRM_MAIL_RETRY_SECONDS"].flatMap(Double.init) ?? 60
            try deliver(context.db, Tenant(id: tenantID), campaign: id, links: CampaignLinks.fromEnvironment(),
                        retryBase: retry, heartbeat: { try context.heartbeat(seconds: leaseSeconds) })
        }
        registry.register(startKind, maxAttempts: 5) { context in
            guard let tenantID = context.job.tenantID, let id = context.job.payload["campaign_id"]?.intValue else { return }
            let planned = context.job.payload["scheduled_at"]?.stringValue.flatMap(RFC3339.parse)
            try startScheduled(context.db, Tenant(id: tenantID), campaign: id, planned: planned)
        }
    }

    /// Starts a scheduled campaign whose time has come, unless it was changed meanwhile.
    static func startScheduled(_ db: Connection, _ tenant: Tenant, campaign id: Int, planned: Date?) throws {
        try db.transaction {
            guard let row = try CampaignStore.find(db, tenant, id: id, lock: true), try row.string("status") == "scheduled",
                  let at = row.optionalDate("scheduled_at") else { return }
            if let planned, abs(planned.timeIntervalSince(at)) > 1 { return }
            guard at <= Date().addingTimeInterval(1) else { return }
            let queued = try CampaignStore.start(db, tenant, campaign: row)
            Log.info("campaigns: scheduled campaign \(id) started with \(queued) messages")
        }
    }

    /// One recipient's SMS, as the workspace's SMS webhook (`SMSWebhook`) takes it.
    static func smsPayload(campaign: Row, message: Int, to: String, values: TemplateValues, token: String, links: CampaignLinks) -> [UInt8] {
        var values = values
        values.unsubscribeURL = links.unsubscribe(token)
        let text = Template.render(campaign.optionalString("body") ?? "", values, for: .plain)
        return JSONWriter.bytes([
            "message_id": .int(message),
            "campaign_id": .from(campaign.optionalInt("id")),
            "to": .string(to),
            "body": .string(text),
        ])
    }

    /// One recipient's message: merge tags (HTML-escaped in the body, one line in the
    /// subject), tracked links, the open pixel, an unsubscribe footer and headers.
    /// `signLinks: false` (a test send) leaves links as they are: a click redirect is signed
    /// only for a message of a campaign being sent, whose token `EngagementRoutes.click`
    /// finds, never for a test message that nobody stored.
    /// `body` and `subject`, when given, stand for the campaign's (an unsaved edit's preview).
    static func compose(campaign: Row, to address: String, values: TemplateValues, token: String, links: CampaignLinks,
                        settings: MailSettings, subjectPrefix: String = "", signLinks: Bool = true,
                        body: String? = nil, subject: String? = nil) -> MailMessage {
        var values = values
        values.unsubscribeURL = links.unsubscribe(token)
        let template = body ?? campaign.optionalString("body") ?? ""
        var html = Template.render(template, values, for: .html)
        html = MailTemplate.rewriteLinks(html) { url in
            url == values.unsubscribeURL || !signLinks ? url : links.click(token, url)
        }
        let text = MailTemplate.text(fromHTML: html)
        let footer = template.contains("{{unsubscribe_url") ? "" :
            "<p style=\"font-size:12px;color:#6b7280\"><a href=\"\(MailTemplate.escapeHTML(values.unsubscribeURL))\">Unsubscribe</a></p>"
        let pixel = "<img src=\"\(MailTemplate.escapeHTML(links.pixel(token)))\" width=\"1\" height=\"1\" alt=\"\">"
        if let close = html.range(of: "</body>", options: [.caseInsensitive, .backwards]) {
            html.replaceSubrange(close, with: footer + pixel + "</body>")
        } else {
            html += footer + pixel
        }
        let subject = Template.render(subject ?? campaign.optionalString("subject") ?? "", values, for: .header)
        let domain = settings.fromEmail.split(separator: "@").last.map(String.init) ?? "entercrm.localhost"
        let campaignID = campaign.optionalInt("id") ?? 0
        return MailMessage(fromEmail: settings.fromEmail, fromName: settings.fromName, to: address, toName: values.name,
                           subject: MailTemplate.headerSafe(subjectPrefix + subject), html: html,
                           text: text + (footer.isEmpty ? "" : "\nUnsubscribe: \(values.unsubscribeURL)\n"),
                           messageID: "c\(campaignID).\(token)@\(domain)", listUnsubscribeURL: values.unsubscribeURL,
                           extraHeaders: [("X-EnterCRM-Campaign", String(campaignID))])
    }

    /// Delivers a campaign's due messages until none is left, the campaign is cancelled, or
    /// only retries later than now remain (a job is then queued for the earliest).
    private struct LeaseLost: Error, CustomStringConvertible {
        var description: String { "the workspace's campaign send lease was lost (taken over after it ran out)" }
    }

    /// Takes the workspace's send lease when it is free or has run out; the affected rows of
    /// the conditional UPDATE decide, so of two runners on two nodes only one gets it.
    static func acquireLease(_ db: Connection, _ tenant: Tenant, owner: String) throws -> Bool {
        try db.execute("INSERT IGNORE INTO campaign_send_leases (tenant_id) VALUES (\(tenant))")
        return try db.execute("""
            UPDATE campaign_send_leases SET owner = \(owner), locked_until = UTC_TIMESTAMP(6) + INTERVAL \(leaseSeconds) SECOND
            WHERE tenant_id = \(tenant) AND (owner IS NULL OR locked_until < UTC_TIMESTAMP(6))
            """).affectedRows == 1
    }

    /// Sends what is due of one campaign, holding the workspace's send lease.
    ///
    /// Long (about 170 lines): one run holds the lease, the transport, the pacing at the
    /// workspace's rate and each message's states (queued, sending, then sent, retried later,
    /// bounced or failed, each committed before and after the relay's answer), and the local
    /// `beat` renews the lease between them. The per-message step is what to split out next.
    static func deliver(_ db: Connection, _ tenant: Tenant, campaign id: Int, links: CampaignLinks, retryBase: Double = 60,
                        makeTransport: ((MailSettings) -> MailTransport)? = nil, heartbeat: () throws -> Void = {}) throws {
        guard let campaign = try CampaignStore.find(db, tenant, id: id), try campaign.string("status") == "sending" else { return }
        // One campaign of a workspace sends at a time, so the send rate is the workspace's.
        // The lease is a replicated row taken by a conditional UPDATE (GET_LOCK is local to
        // one server: on Galera two runners on different nodes would both get it). A runner
        // that dies gives it up when the lease runs out; the heartbeat renews it.
        let owner = "campaigns/\(getpid())/\(UUID().uuidString.prefix(12))"
        guard try acquireLease(db, tenant, owner: owner) else {
            try JobQueue.enqueue(db, kind: deliverKind, payload: ["campaign_id": .int(id)], tenantID: tenant.id,
                                 runAt: Date().addingTimeInterval(2), maxAttempts: 1000)
            return
        }
        defer {
            _ = try? db.execute("""
                UPDATE campaign_send_leases SET owner = NULL, locked_until = NULL WHERE tenant_id = \(tenant) AND owner = \(owner)
                """)
        }
        func beat() throws {
            try heartbeat()
            let renewed = try db.execute("""
                UPDATE campaign_send_leases SET locked_until = UTC_TIMESTAMP(6) + INTERVAL \(leaseSeconds) SECOND
                WHERE tenant_id = \(tenant) AND owner = \(owner)
                """).affectedRows
            // Lost (this runner stalled past the lease and another took over): stop sending.
            if renewed != 1 { throw LeaseLost() }
        }

        let interrupted = try db.execute("""
            UPDATE campaign_messages SET status = 'failed', failed_at = UTC_TIMESTAMP(6),
                error = 'interrupted during delivery (runner stopped); not sent again, it may or may not have arrived'
            WHERE campaign_id = \(id) AND status = 'sending'
            """).affectedRows
        if interrupted > 0 {
            try db.execute("UPDATE campaigns SET interrupted = interrupted + \(interrupted) WHERE tenant_id = \(tenant) AND id = \(id)")
            Log.warning("campaigns: campaign \(id): \(interrupted) message(s) were in flight when a runner stopped; marked failed, not resent")
        }

        let type = try campaign.string("type")
        let settings = try MailSettings.load(db, tenant)
        let transport: MailTransport = type == "sms" ? SMSWebhook(settings) : makeTransport?(settings) ?? settings.transport()
        defer { transport.close() }
        let batchSize = max(1, min(50, settings.sendRate))
        let started = Date()
        var handled = 0
        var lastBeat = Date()

        while true {
            guard try db.queryOne("SELECT status FROM campaigns WHERE tenant_id = \(tenant) AND id = \(id)")?.string("status") == "sending" else {
                return
            }
            let rows = try db.query("""
                SELECT m.id, m.customer_id, m.address, m.token, m.attempts, c.name, c.email, c.phone, c.city, c.country, c.properties,
                       c.id AS present
                FROM campaign_messages m LEFT JOIN customers c ON c.id = m.customer_id AND c.tenant_id = m.tenant_id
                WHERE m.campaign_id = \(id) AND m.status = 'queued' AND m.next_attempt_at <= UTC_TIMESTAMP(6)
                ORDER BY m.id LIMIT \(batchSize)
                """)
            if rows.isEmpty {
                if let next = try db.queryOne("""
                    SELECT MIN(next_attempt_at) AS next FROM campaign_messages WHERE campaign_id = \(id) AND status = 'queued'
                    """)?.optionalDate("next") {
                    try JobQueue.enqueue(db, kind: deliverKind, payload: ["campaign_id": .int(id)], tenantID: tenant.id,
                                         runAt: next, maxAttempts: 1000)
                    return
                }
                // Sent when any message was delivered; failed when there were recipients and
                // none of them could be reached (every message bounced or failed).
                let counts = try db.queryOne("""
                    SELECT COUNT(*) AS total, COUNT(IF(status IN ('sent', 'opened', 'clicked', 'unsubscribed'), 1, NULL)) AS delivered
                    FROM campaign_messages WHERE campaign_id = \(id)
                    """)
                let final = (counts?.optionalInt("total") ?? 0) > 0 && (counts?.optionalInt("delivered") ?? 0) == 0 ? "failed" : "sent"
                try db.transaction {
                    let finished = try db.execute("""
                        UPDATE campaigns SET status = \(final), finished_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)
                        WHERE tenant_id = \(tenant) AND id = \(id) AND status = 'sending'
                        """).affectedRows == 1
                    guard finished, final == "sent" else { return }
                    try WebhookOutbox.record(db, tenant: tenant.id, [.init("campaign.sent", subject: "campaign:\(id)", data: [
                        "id": .int(id), "name": campaign.json("name"), "type": .string(type),
                        "recipients": .int(Int64(counts?.optionalInt("total") ?? 0)),
                        "delivered": .int(Int64(counts?.optionalInt("delivered") ?? 0)),
                    ])])
                }
                Log.info("campaigns: campaign \(id) \(final)")
                return
            }
            // Before: the batch is marked in flight (committed) before any of it is sent.
            // Each message is claimed by a conditional UPDATE whose affected rows decide: only
            // the messages this runner moved from queued to sending are sent by it (on Galera
            // an autocommit UPDATE that lost certification is retried by the server and then
            // finds the rows taken). One transaction: a conflict runs the claims again.
            let claimed: Set<Int> = try db.transaction(retries: 5) {
                var mine = Set<Int>()
                for row in rows {
                    let messageID = try row.int("id")
                    if try db.execute("""
                        UPDATE campaign_messages SET status = 'sending', sending_at = UTC_TIMESTAMP(6), attempts = attempts + 1
                        WHERE id = \(messageID) AND status = 'queued'
                        """).affectedRows == 1 { mine.insert(messageID) }
                }
                return mine
            }
            var sent: [Int] = []
            var failures: [(id: Int, status: String, error: String)] = []
            var retries: [(id: Int, attempts: Int, error: String)] = []
            for row in rows {
                let messageID = try row.int("id")
                guard claimed.contains(messageID) else { continue }
                if Date().timeIntervalSince(lastBeat) > 5 {
                    try beat()
                    lastBeat = Date()
                }
                guard row.optionalInt("present") != nil else {
                    failures.append((messageID, "failed", "the customer was erased before delivery"))
                    continue
                }
                let address = try row.string("address")
                let values = TemplateValues(row: row)
                let data: [UInt8]
                if type == "sms" {
                    data = smsPayload(campaign: campaign, message: messageID, to: address, values: values,
                                      token: try row.string("token"), links: links)
                } else {
                    data = compose(campaign: campaign, to: address, values: values, token: try row.string("token"),
                                   links: links, settings: settings).rendered()
                }
                if let box = transport as? DevMailbox { box.nextName = "\(tenant.id)-\(id)-\(messageID)" }
                switch transport.send(from: settings.fromEmail, to: address, data: data) {
                case .sent: sent.append(messageID)
                case .permanent(let e): failures.append((messageID, "bounced", e))
                case .unknown(let e): failures.append((messageID, "failed", e))
                case .temporary(let e):
                    let attempts = try row.int("attempts") + 1
                    if attempts >= maxMessageAttempts {
                        failures.append((messageID, "bounced", "gave up after \(attempts) attempts: \(e)"))
                    } else {
                        retries.append((messageID, attempts, e))
                    }
                }
            }
            // After: each outcome recorded.
            if !sent.isEmpty {
                try db.execute("""
                    UPDATE campaign_messages SET status = 'sent', sent_at = UTC_TIMESTAMP(6), error = NULL
                    WHERE id IN (\(list: sent)) AND status = 'sending'
                    """)
            }
            for f in failures {
                let error = String(f.error.prefix(500))
                if f.status == "bounced" {
                    try db.transaction {
                        guard try db.execute("""
                            UPDATE campaign_messages SET status = 'bounced', bounced_at = UTC_TIMESTAMP(6), error = \(error)
                            WHERE id = \(f.id) AND status = 'sending'
                            """).affectedRows == 1,
                            let m = try db.queryOne("SELECT customer_id, address FROM campaign_messages WHERE id = \(f.id)") else { return }
                        let subject = m.optionalInt("customer_id").map { "customer:\($0)" } ?? "campaign:\(id)"
                        try WebhookOutbox.record(db, tenant: tenant.id, [.init("message.bounced", subject: subject, data: [
                            "campaign_id": .int(id), "message_id": .int(f.id), "customer_id": m.json("customer_id"),
                            "address": m.json("address"), "channel": .string(type), "error": .string(error),
                        ])])
                    }
                } else {
                    try db.execute("""
                        UPDATE campaign_messages SET status = 'failed', failed_at = UTC_TIMESTAMP(6), error = \(error)
                        WHERE id = \(f.id) AND status = 'sending'
                        """)
                }
            }
            for r in retries {
                let delay = min(retryBase * pow(2, Double(r.attempts - 1)), 6 * 3600)
                try db.execute("""
                    UPDATE campaign_messages SET status = 'queued', error = \(String(r.error.prefix(500))),
                        next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL \(Int(delay * 1000)) * 1000 MICROSECOND
                    WHERE id = \(r.id) AND status = 'sending'
                    """)
            }
            // The workspace's send rate: no faster than `sendRate` messages a second overall.
            handled += rows.count
            let due = Double(handled) / Double(settings.sendRate)
            let elapsed = Date().timeIntervalSince(started)
            if due > elapsed { usleep(useconds_t(min(due - elapsed, 10) * 1_000_000)) }
            if Date().timeIntervalSince(lastBeat) > 5 {
                try beat()
                lastBeat = Date()
            }
        }
    }
}
