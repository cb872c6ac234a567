import Foundation
import MariaDB
import Web
import Core
import Messaging
import Tracking

/// `/t/`: the open pixel, signed click redirects and the unsubscribe page, reached from
/// the messages themselves (no credentials; the token names the message).
enum EngagementRoutes {
    static func register(_ routes: inout Routes) {
        routes.get("/t/o/{file}", .anyone, open)
        routes.get("/t/c/{token}", .anyone, click)
        routes.get("/t/u/{token}", .anyone, unsubscribePage)
        routes.post("/t/u/{token}", .anyone, unsubscribe)
    }

    /// A transparent 1×1 GIF.
    static let gif: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
    ]

    enum Kind: String { case open, click, unsubscribe }

    /// Who hit a link: a person, a privacy or image proxy fetching on their behalf, or a
    /// security scanner (named in its user agent, without one, or clicking within seconds
    /// of delivery).
    static func classify(userAgent: String?, kind: Kind, secondsSinceDelivery: Double?) -> String {
        let ua = (userAgent ?? "").lowercased()
        if ua.isEmpty { return "scanner" }
        let proxies = ["googleimageproxy", "ggpht.com", "yahoomailproxy", "yahoo mail proxy", "apple mail privacy", "mailprivacy",
                       "imageproxy", "image proxy", "outlook-imageproxy", "front-image-proxy"]
        if proxies.contains(where: ua.contains) { return "proxy" }
        let scanners = ["barracuda", "mimecast", "proofpoint", "symantec", "messagelabs", "forcepoint", "trendmicro", "trend micro",
                        "sophos", "fortinet", "fortiguard", "safelinks", "ms-office", "microsoft office", "bot", "spider", "crawl",
                        "scan", "python-requests", "python-urllib", "aiohttp", "curl/", "wget", "go-http-client", "java/", "okhttp",
                        "headlesschrome", "phantomjs", "libwww", "httpclient", "zgrab", "preview"]
        if scanners.contains(where: ua.contains) { return "scanner" }
        if kind != .open, let seconds = secondsSinceDelivery, seconds < 10 { return "scanner" }
        return "human"
    }

    /// The automation email an unsubscribe token names (signed: see CampaignLinks).
    static func automationMessage(_ c: Context, token: String) throws -> (tenant: Tenant, customerID: Int, automationID: Int, messageID: Int)? {
        try Unsubscribes.automationEmail(c.db, links: CampaignLinks(base: CampaignLinks.publicBase(), secret: c.configuration.jwtSecret),
                                         token: token)
    }

    static func message(_ db: Connection, token: String) throws -> Row? {
        guard token.count == 24, token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return try db.queryOne("""
            SELECT m.id, m.tenant_id, m.campaign_id, m.customer_id, m.status, m.sent_at, c.name AS campaign_name
            FROM campaign_messages m JOIN campaigns c ON c.id = m.campaign_id WHERE m.token = \(token)
            """)
    }

    /// Records an open or click: the engagement row, the message's times and status, and,
    /// for people and proxies (not scanners), an event on the customer's timeline.
    static func record(_ c: Context, _ m: Row, kind: Kind, url: String? = nil) throws -> String {
        let id = try m.int("id")
        let tenant = Tenant(id: try m.int("tenant_id"))
        let userAgent = c.request.header("user-agent").map { String($0.prefix(512)) }
        let since = m.optionalDate("sent_at").map { Date().timeIntervalSince($0) }
        let classification = classify(userAgent: userAgent, kind: kind, secondsSinceDelivery: since)
        let human = classification == "human"
        let status = try m.string("status")
        let delivered = ["sent", "opened", "clicked", "unsubscribed"].contains(status)
        try c.db.transaction {
            try c.db.execute("""
                INSERT INTO campaign_engagements (tenant_id, campaign_id, message_id, kind, classification, url, user_agent, ip, created_at)
                VALUES (\(tenant), \(try m.int("campaign_id")), \(id), \(kind.rawValue), \(classification), \(url), \(userAgent),
                        \(c.request.remoteAddress), UTC_TIMESTAMP(6))
                """)
            guard delivered else { return }
            if kind == .open {
                try c.db.execute("""
                    UPDATE campaign_messages SET opens = opens + 1, opened_at = COALESCE(opened_at, UTC_TIMESTAMP(6)),
                        human_opened_at = IF(\(human), COALESCE(human_opened_at, UTC_TIMESTAMP(6)), human_opened_at),
                        status = IF(status = 'sent', 'opened', status)
                    WHERE id = \(id)
                    """)
            } else if kind == .click, classification != "scanner" {
                // A click implies the message was opened, even with images blocked.
                try c.db.execute("""
                    UPDATE campaign_messages SET clicks = clicks + 1, clicked_at = COALESCE(clicked_at, UTC_TIMESTAMP(6)),
                        opened_at = COALESCE(opened_at, UTC_TIMESTAMP(6)),
                        human_clicked_at = IF(\(human), COALESCE(human_clicked_at, UTC_TIMESTAMP(6)), human_clicked_at),
                        human_opened_at = IF(\(human), COALESCE(human_opened_at, UTC_TIMESTAMP(6)), human_opened_at),
                        status = IF(status IN ('sent', 'opened'), 'clicked', status)
                    WHERE id = \(id)
                    """)
            }
        }
        if delivered, classification != "scanner" {
            try timelineEvent(c, m, name: kind == .open ? "email_opened" : "email_clicked", url: url, classification: classification)
        }
        return classification
    }

    /// The event on the customer's timeline, through the tracking path (so that segments and
    /// automations see it); once per message and kind (its message id).
    static func timelineEvent(_ c: Context, _ m: Row, name: String, url: String?, classification: String) throws {
        var properties = JSONObject()
        properties["campaign_id"] = .int(try m.int("campaign_id"))
        properties["campaign_name"] = m.json("campaign_name")
        properties["message_id"] = .int(try m.int("id"))
        properties["classification"] = .string(classification)
        if let url { properties["url"] = .string(url) }
        let event = TrackedEvent(campaignEvent: name, customerID: try m.int("customer_id"), properties: properties,
                                 url: url, userAgent: c.request.header("user-agent"), ip: c.request.remoteAddress,
                                 messageID: "campaign-\(name)-\(try m.int("id"))")
        _ = try EventRecorder.record(c.db, Tenant(id: try m.int("tenant_id")), [event])
    }

    @Sendable static func open(_ c: Context) throws -> Response {
        let file = c.request.pathParameters["file"] ?? ""
        let token = file.hasSuffix(".gif") ? String(file.dropLast(4)) : file
        if let m = try message(c.db, token: token) { _ = try record(c, m, kind: .open) }
        return Response(status: 200, headers: [("Content-Type", "image/gif"), ("Cache-Control", "no-store, max-age=0")], body: gif)
    }

    /// Redirects to the destination only when its signature is this message's and the token
    /// is a stored message of a campaign that was sent: the link cannot be pointed anywhere
    /// else, and no token that nobody stored (a test send's) makes a redirect.
    @Sendable static func click(_ c: Context) throws -> Response {
        let token = c.request.pathParameters["token"] ?? ""
        let q = c.request.query
        let links = CampaignLinks(base: CampaignLinks.publicBase(), secret: c.configuration.jwtSecret)
        guard let url = q["u"], let signature = q["s"], links.verify(token, url, signature),
              url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://"),
              !url.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 }),
              let m = try message(c.db, token: token) else {
            throw HTTPError.notFound("This link is not valid.")
        }
        _ = try record(c, m, kind: .click, url: url)
        return Response(status: 302, headers: [("Location", url), ("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer")])
    }

    static func page(_ title: String, _ paragraphs: [String], form token: String? = nil) -> Response {
        var html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
        html += "<title>\(MailTemplate.escapeHTML(title))</title></head><body><main>"
        html += "<h1>\(MailTemplate.escapeHTML(title))</h1>"
        for p in paragraphs { html += "<p>\(MailTemplate.escapeHTML(p))</p>" }
        if let token {
            html += "<form method=\"post\" action=\"/t/u/\(MailTemplate.escapeHTML(token))\"><input type=\"hidden\" name=\"confirm\" value=\"1\">"
            html += "<button type=\"submit\">Unsubscribe</button></form>"
        }
        html += "</main></body></html>"
        return Response(status: 200, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
                        body: Array(html.utf8))
    }

    /// A GET never unsubscribes (scanners follow every link): it asks for a confirmation.
    @Sendable static func unsubscribePage(_ c: Context) throws -> Response {
        let token = c.request.pathParameters["token"] ?? ""
        if let a = try automationMessage(c, token: token) {
            if try Unsubscribes.contains(c.db, a.tenant, customer: a.customerID, channel: .email) {
                return page("You are unsubscribed", ["You will receive no more of these emails."])
            }
            return page("Unsubscribe", ["Do you want to stop receiving these emails?"], form: token)
        }
        guard let m = try message(c.db, token: token) else { throw HTTPError.notFound("This link is not valid.") }
        if try m.string("status") == "unsubscribed" {
            return page("You are unsubscribed", ["You will receive no more of these emails."])
        }
        return page("Unsubscribe", ["Do you want to stop receiving these emails?"], form: token)
    }

    /// The one-click unsubscribe of RFC 8058 (`List-Unsubscribe=One-Click`) and the page's
    /// confirmation: both POST.
    @Sendable static func unsubscribe(_ c: Context) throws -> Response {
        let token = c.request.pathParameters["token"] ?? ""
        if let a = try automationMessage(c, token: token) {
            // An automation's email: the customer leaves email, as a campaign's unsubscribe
            // does (automations and campaigns both send nothing more to them).
            let first = try Unsubscribes.add(c.db, a.tenant, customer: a.customerID, channel: .email, campaignID: nil)
            if first {
                let event = TrackedEvent(campaignEvent: "email_unsubscribed", customerID: a.customerID,
                                         properties: JSONObject([("automation_id", JSON.int(a.automationID))]), url: nil,
                                         userAgent: c.request.header("user-agent"), ip: c.request.remoteAddress,
                                         messageID: "automation-email_unsubscribed-\(a.messageID)")
                _ = try EventRecorder.record(c.db, a.tenant, [event])
            }
            return page("You are unsubscribed", ["You will receive no more of these emails."])
        }
        guard let m = try message(c.db, token: token) else { throw HTTPError.notFound("This link is not valid.") }
        let tenant = Tenant(id: try m.int("tenant_id"))
        let id = try m.int("id")
        let customer = try m.int("customer_id")
        let userAgent = c.request.header("user-agent").map { String($0.prefix(512)) }
        let classification = classify(userAgent: userAgent, kind: .unsubscribe, secondsSinceDelivery: nil)
        let channel: Unsubscribes.Channel = try c.db.queryOne("SELECT type FROM campaigns WHERE id = \(try m.int("campaign_id"))")?.string("type") == "sms" ? .sms : .email
        let first: Bool = try c.db.transaction {
            try c.db.execute("""
                INSERT INTO campaign_engagements (tenant_id, campaign_id, message_id, kind, classification, user_agent, ip, created_at)
                VALUES (\(tenant), \(try m.int("campaign_id")), \(id), 'unsubscribe', \(classification), \(userAgent),
                        \(c.request.remoteAddress), UTC_TIMESTAMP(6))
                """)
            try Unsubscribes.add(c.db, tenant, customer: customer, channel: channel, campaignID: try m.int("campaign_id"))
            return try c.db.execute("""
                UPDATE campaign_messages SET unsubscribed_at = COALESCE(unsubscribed_at, UTC_TIMESTAMP(6)), status = 'unsubscribed'
                WHERE id = \(id) AND status IN ('sent', 'opened', 'clicked')
                """).affectedRows > 0
        }
        if first {
            try timelineEvent(c, m, name: "email_unsubscribed", url: nil, classification: classification)
        }
        return page("You are unsubscribed", ["You will receive no more of these emails."])
    }
}
